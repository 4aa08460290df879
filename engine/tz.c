/*
 * tz.c - IANA zones from TZif files (RFC 8536, versions 1 to 4).
 *
 * A zone is a sorted list of transition instants, each naming the offset in
 * force from it on, plus the footer's POSIX rule (tzrule.c) for instants after
 * the last transition; "slim" files list few transitions and lean on it.
 * Lookups binary-search the list and remember the last interval found, so a
 * run of rows near each other costs one comparison each. Leap-second
 * ("right/") files are refused: settle counts POSIX seconds.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tz.h"
#include "tzrule.h"
#include "util.h"

#define TZ_MAX_FILE (1 << 20)          /* real TZif files are under 4 KiB */
#define TZ_LOCAL_LIMIT ((int64_t)1 << 60) /* local times beyond are refused */

/* Why a load failed; the messages are in tz_load. */
enum { TZE_OK = 0, TZE_MISSING, TZE_CORRUPT, TZE_LEAP };

/* The last interval [start, end) found, with its offset. */
struct tz_cache {
    int64_t start, end;
    int32_t off;
};

struct tz_zone {
    char *name;
    int64_t *trans;         /* ntrans transition instants, strictly ascending */
    uint8_t *types;         /* type index in force from each transition on */
    int32_t *offs;          /* UTC offset of each of the ntypes types */
    size_t ntrans, ntypes;
    tzrule rule;            /* footer rule, used when has_rule */
    int has_rule;
    int64_t span;           /* largest |offset| + 1: how far local strays from UTC */
    struct tz_cache *cache; /* separate so const lookups may update it */
};

/* A TZif header: version byte and the six counts. */
typedef struct tzf_hdr {
    int ver;
    uint32_t isut, isstd, leap, time, type, chars;
} tzf_hdr;

/* Big-endian 32-bit read. */
static uint32_t tzf_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Big-endian signed 64-bit read. */
static int64_t tzf_i64(const unsigned char *p)
{
    return (int64_t)((uint64_t)tzf_u32(p) << 32 | tzf_u32(p + 4));
}

/* Reads the 44-byte header at p[0..n). Returns 0, or -1 if it is not one. */
static int tzf_header(const unsigned char *p, size_t n, tzf_hdr *h)
{
    if (n < 44 || memcmp(p, "TZif", 4) != 0)
        return -1;
    if (p[4] != 0 && (p[4] < '2' || p[4] > '4'))
        return -1;
    h->ver = p[4] ? p[4] - '0' : 1;
    h->isut = tzf_u32(p + 20);
    h->isstd = tzf_u32(p + 24);
    h->leap = tzf_u32(p + 28);
    h->time = tzf_u32(p + 32);
    h->type = tzf_u32(p + 36);
    h->chars = tzf_u32(p + 40);
    return 0;
}

/* Byte length of the data block after header h, with tsz-byte times. */
static uint64_t tzf_datalen(const tzf_hdr *h, unsigned tsz)
{
    return (uint64_t)h->time * (tsz + 1) + (uint64_t)h->type * 6 + h->chars +
           (uint64_t)h->leap * (tsz + 4) + h->isstd + h->isut;
}

/* Checks the counts of the block that will be used. TZE_OK or a TZE_ code. */
static int tzf_counts_ok(const tzf_hdr *h)
{
    if (h->type == 0 || h->type > 256 || h->chars == 0)
        return TZE_CORRUPT;
    if ((h->isstd && h->isstd != h->type) || (h->isut && h->isut != h->type))
        return TZE_CORRUPT;
    return h->leap ? TZE_LEAP : TZE_OK;
}

/* Reads the transition times and their type indexes. TZE_OK or TZE_CORRUPT. */
static int tzf_trans(tz_zone *z, const tzf_hdr *h, const unsigned char *p, unsigned tsz)
{
    z->ntrans = h->time;
    z->trans = xcalloc(z->ntrans, sizeof *z->trans);
    z->types = xmalloc(z->ntrans);
    for (size_t i = 0; i < z->ntrans; i++) {
        const unsigned char *q = p + i * tsz;
        z->trans[i] = tsz == 8 ? tzf_i64(q) : (int32_t)tzf_u32(q);
        z->types[i] = p[z->ntrans * tsz + i];
        if (z->types[i] >= h->type || (i && z->trans[i] <= z->trans[i - 1]))
            return TZE_CORRUPT;
    }
    return TZE_OK;
}

/* Reads the local time types (offsets) at p. TZE_OK or TZE_CORRUPT. */
static int tzf_types(tz_zone *z, const tzf_hdr *h, const unsigned char *p)
{
    z->ntypes = h->type;
    z->offs = xcalloc(z->ntypes, sizeof *z->offs);
    for (size_t i = 0; i < z->ntypes; i++) {
        const unsigned char *q = p + i * 6;
        z->offs[i] = (int32_t)tzf_u32(q);
        if (z->offs[i] < -89999 || z->offs[i] > 93599 || q[4] > 1 || q[5] >= h->chars)
            return TZE_CORRUPT;
    }
    return TZE_OK;
}

/* Reads one data block (its size already checked). TZE_OK or a TZE_ code. */
static int tzf_body(tz_zone *z, const tzf_hdr *h, const unsigned char *p, unsigned tsz)
{
    int rc = tzf_counts_ok(h);
    if (rc == TZE_OK)
        rc = tzf_trans(z, h, p, tsz);
    if (rc == TZE_OK)
        rc = tzf_types(z, h, p + (size_t)h->time * (tsz + 1));
    return rc;
}

/* Reads the "\n<rule>\n" footer at p[0..n); empty means none. TZE_ code. */
static int tzf_footer(tz_zone *z, const unsigned char *p, size_t n)
{
    const unsigned char *nl;
    if (n == 0)
        return TZE_OK;
    if (p[0] != '\n' || !(nl = memchr(p + 1, '\n', n - 1)))
        return TZE_CORRUPT;
    if (nl == p + 1)
        return TZE_OK;
    if (tzrule_parse((const char *)p + 1, (size_t)(nl - p - 1), &z->rule) < 0)
        return TZE_CORRUPT;
    z->has_rule = 1;
    return TZE_OK;
}

/* Parses a whole TZif image p[0..n) into z. TZE_OK or a TZE_ code. */
static int tzf_parse(tz_zone *z, const unsigned char *p, size_t n)
{
    tzf_hdr h;
    uint64_t len;
    if (tzf_header(p, n, &h) < 0 || (len = tzf_datalen(&h, 4)) > n - 44)
        return TZE_CORRUPT;
    if (h.ver == 1)
        return tzf_body(z, &h, p + 44, 4);
    p += 44 + len;
    n -= 44 + len;
    if (tzf_header(p, n, &h) < 0 || h.ver == 1 || (len = tzf_datalen(&h, 8)) > n - 44)
        return TZE_CORRUPT;
    int rc = tzf_body(z, &h, p + 44, 8);
    return rc ? rc : tzf_footer(z, p + 44 + len, n - 44 - (size_t)len);
}

/* Reads a regular file of at most TZ_MAX_FILE bytes into a new buffer the
 * caller frees. TZE_OK, TZE_MISSING (absent, not a file) or TZE_CORRUPT. */
static int tz_slurp(const char *path, unsigned char **buf, size_t *len)
{
    struct stat st;
    ssize_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return TZE_MISSING;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return TZE_MISSING;
    }
    *len = st.st_size > TZ_MAX_FILE ? 0 : (size_t)st.st_size;
    *buf = xmalloc(*len);
    for (size_t off = 0; off < *len && got >= 0; off += (size_t)got)
        if ((got = read(fd, *buf + off, *len - off)) == 0)
            got = -1;
    close(fd);
    return got < 0 || *len == 0 ? TZE_CORRUPT : TZE_OK;
}

/* Loads zone file `name` under $TZDIR (or /usr/share/zoneinfo) into z. */
static int tz_read(tz_zone *z, const char *name)
{
    const char *dir = getenv("TZDIR");
    char *path = path_join(dir && *dir ? dir : "/usr/share/zoneinfo", name);
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = tz_slurp(path, &buf, &len);
    if (rc == TZE_OK)
        rc = tzf_parse(z, buf, len);
    free(buf);
    free(path);
    return rc;
}

/* Reads "+N"/"-N" (N 0..14) after "GMT" into POSIX-inverted seconds. 0/-1. */
static int tz_gmt_offset(const char *s, int32_t *off)
{
    int sign = s[0] == '-' ? 1 : s[0] == '+' ? -1 : 0;
    size_t n = strlen(s);
    if (!sign || n < 2 || n > 3 || s[1] < '0' || s[1] > '9')
        return -1;
    if (n == 3 && (s[1] == '0' || s[2] < '0' || s[2] > '9'))
        return -1;
    int h = n == 2 ? s[1] - '0' : (s[1] - '0') * 10 + s[2] - '0';
    *off = sign * h * 3600;
    return h <= 14 ? 0 : -1;
}

/* Builds UTC/GMT and Etc/GMT+-N without a file. TZE_OK or TZE_MISSING. */
static int tz_builtin(tz_zone *z, const char *name)
{
    int32_t off = 0;
    if (strncmp(name, "Etc/", 4) == 0)
        name += 4;
    if (strcmp(name, "UTC") != 0 && strcmp(name, "GMT") != 0 &&
        (strncmp(name, "GMT", 3) != 0 || tz_gmt_offset(name + 3, &off) < 0))
        return TZE_MISSING;
    z->ntypes = 1;
    z->offs = xmalloc(sizeof *z->offs);
    z->offs[0] = off;
    return TZE_OK;
}

/* True when `s` is a safe zone name: [A-Za-z0-9/_+-], no "..", no leading '/'. */
static int tz_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 255 || s[0] == '/' || strstr(s, ".."))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '+' || c == '-'))
            return 0;
    }
    return 1;
}

/* Widens z->span to cover offset `off`. */
static void tz_cover(tz_zone *z, int32_t off)
{
    int64_t a = off < 0 ? -(int64_t)off : off;
    if (a + 1 > z->span)
        z->span = a + 1;
}

/* Computes the span and an empty cache once the data is read. */
static void tz_finish(tz_zone *z)
{
    z->span = 1;
    for (size_t i = 0; i < z->ntypes; i++)
        tz_cover(z, z->offs[i]);
    if (z->has_rule) {
        tz_cover(z, z->rule.std_off);
        tz_cover(z, z->rule.dst_off);
    }
    z->cache = xmalloc(sizeof *z->cache);
    *z->cache = (struct tz_cache){1, 0, 0};
}

/* Writes a formatted one-line reason into err (when err is not NULL). */
static void tz_err(char *err, size_t errlen, const char *fmt, const char *name)
{
    if (err && errlen)
        snprintf(err, errlen, fmt, name);
}

/* Loads a zone; see tz.h. Caller frees it with tz_free; NULL + err on failure. */
tz_zone *tz_load(const char *name, char *err, size_t errlen)
{
    static const char *const why[] = {
        "", "unknown time zone '%s'", "time zone file for '%s' is not valid TZif",
        "time zone '%s' counts leap seconds (not supported)"};
    if (!name || !tz_name_ok(name)) {
        tz_err(err, errlen, "invalid time zone name '%s'", name ? name : "");
        return NULL;
    }
    tz_zone *z = xcalloc(1, sizeof *z);
    int rc = tz_read(z, name);
    if (rc == TZE_MISSING)
        rc = tz_builtin(z, name);
    if (rc != TZE_OK) {
        tz_err(err, errlen, why[rc], name);
        tz_free(z);
        return NULL;
    }
    z->name = xstrdup(name);
    tz_finish(z);
    return z;
}

/* Frees a zone and everything it owns; NULL is a no-op. */
void tz_free(tz_zone *z)
{
    if (!z)
        return;
    free(z->name);
    free(z->trans);
    free(z->types);
    free(z->offs);
    free(z->cache);
    free(z);
}

/* The name the zone was loaded by (owned by the zone). */
const char *tz_name(const tz_zone *z)
{
    return z->name;
}

/* Index of the last transition at or before utc (caller ensures trans[0] <= utc). */
static size_t tz_bsearch(const int64_t *t, size_t n, int64_t utc)
{
    size_t lo = 0, hi = n; /* answer in [lo, hi) */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid] <= utc)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Offset at utc and the interval [*start, *end) it holds for, uncached. */
static int32_t tz_search(const tz_zone *z, int64_t utc, int64_t *start, int64_t *end)
{
    size_t n = z->ntrans, i;
    *start = INT64_MIN;
    *end = INT64_MAX;
    if (n == 0)
        return z->has_rule ? tzrule_interval(&z->rule, utc, start, end) : z->offs[0];
    if (utc < z->trans[0]) {
        *end = z->trans[0];
        return z->offs[0];
    }
    i = tz_bsearch(z->trans, n, utc);
    if (i + 1 < n || !z->has_rule) {
        *start = z->trans[i];
        *end = i + 1 < n ? z->trans[i + 1] : INT64_MAX;
        return z->offs[z->types[i]];
    }
    int32_t off = tzrule_interval(&z->rule, utc, start, end);
    if (*start < z->trans[i])
        *start = z->trans[i];
    return off;
}

/* Cached tz_search: reuses the last interval when utc falls inside it. */
static int32_t tz_lookup(const tz_zone *z, int64_t utc, int64_t *start, int64_t *end)
{
    struct tz_cache *c = z->cache;
    if (!(utc >= c->start && utc < c->end))
        c->off = tz_search(z, utc, &c->start, &c->end);
    *start = c->start;
    *end = c->end;
    return c->off;
}

/* Offset (seconds east) in force at UTC instant utc. Never fails. */
int32_t tz_offset_at(const tz_zone *z, int64_t utc)
{
    int64_t s, e;
    return tz_lookup(z, utc, &s, &e);
}

/*
 * Local wall time -> UTC. Walks the offset intervals that cover
 * [local - span, local + span] in order; the first whose offset maps `local`
 * back inside itself gives the earliest instant. None: a DST gap (or a local
 * time beyond +-2^60 s), TZ_NONEXISTENT with *utc untouched.
 */
tz_status tz_local_to_utc(const tz_zone *z, int64_t local, int64_t *utc)
{
    int64_t s, e;
    if (local < -TZ_LOCAL_LIMIT || local > TZ_LOCAL_LIMIT)
        return TZ_NONEXISTENT;
    for (int64_t u = local - z->span; u <= local + z->span; u = e) {
        int64_t cand = local - tz_lookup(z, u, &s, &e);
        if (cand >= s && cand < e) {
            *utc = cand;
            return TZ_OK;
        }
        if (e == INT64_MAX)
            break;
    }
    return TZ_NONEXISTENT;
}
