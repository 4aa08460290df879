/*
 * audit.c - appending hash-chained (and, with a key, HMAC-signed) entries to
 * audit.jsonl; the line format is described in audit.h. The previous entry's
 * hash and sequence number are read from the file's last complete line, so
 * the log itself is the only state the chain needs.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "json_writer.h"
#include "timefmt.h"
#include "util.h"

#define AUDIT_HEX_LEN 64

/* True when s[0..64) is lowercase hex, the only form audit.c writes. */
static bool audit_is_hex(const char *s)
{
    for (size_t i = 0; i < AUDIT_HEX_LEN; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/*
 * Checks that s[0..n) ends in <open><64 hex><close>; gives the length before
 * <open> and the hex (copied, NUL-terminated). False when it does not.
 */
static bool audit_split_tail(const char *s, size_t n, const char *open, const char *close,
                             size_t *before, char hex[65])
{
    size_t lo = strlen(open), lc = strlen(close), tail = lo + AUDIT_HEX_LEN + lc;
    if (n < tail)
        return false;
    const char *t = s + n - tail;
    if (memcmp(t, open, lo) != 0 || !audit_is_hex(t + lo) ||
        memcmp(t + lo + AUDIT_HEX_LEN, close, lc) != 0)
        return false;
    memcpy(hex, t + lo, AUDIT_HEX_LEN);
    hex[AUDIT_HEX_LEN] = 0;
    *before = n - tail;
    return true;
}

bool audit_split_hash(const char *line, size_t n, size_t *before, char hash[65])
{
    return audit_split_tail(line, n, ",\"hash\":\"", "\"}", before, hash);
}

bool audit_split_hmac(const char *text, size_t n, size_t *before, char hmac[65])
{
    return audit_split_tail(text, n, ",\"hmac\":\"", "\"", before, hmac);
}

void audit_hmac_hex(const char *key, size_t klen, const char *text, size_t n, char hex[65])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)text, n, mac, &len) ||
        len != 32) {
        fprintf(stderr, "settle: HMAC-SHA256 failed in libcrypto\n");
        exit(EXIT_FAILED);
    }
    sha256_hex(mac, hex);
}

int audit_key_load(char **key, size_t *len, char *err, size_t errlen)
{
    *key = NULL;
    *len = 0;
    const char *path = getenv(AUDIT_KEY_ENV);
    if (!path || !path[0])
        return 0;
    if (read_file_capped(path, AUDIT_KEY_MAX, key, len) != 0) {
        snprintf(err, errlen, "cannot read the audit key %s ($%s): %s", path, AUDIT_KEY_ENV,
                 errno == EFBIG ? "over 64 KiB; is it the right file?" : strerror(errno));
        return -1;
    }
    if (*len == 0) {
        free(*key);
        *key = NULL;
        snprintf(err, errlen, "the audit key %s ($%s) is empty", path, AUDIT_KEY_ENV);
        return -1;
    }
    return 1;
}

/*
 * Reads the last complete line of the log (without its newline) into `line`,
 * skipping blank lines; empty when there is none. *torn is set when the file
 * does not end in a newline (bytes after the last newline are an entry whose
 * append was cut short; they are not the last line). 0, or -1 with errno.
 */
static int audit_last_line(int fd, sbuf *line, bool *torn)
{
    off_t end = lseek(fd, 0, SEEK_END), pos = end;
    char buf[4096];
    *torn = false;
    if (end < 0 || (end > 0 && pread(fd, buf, 1, end - 1) != 1))
        return -1;
    *torn = end > 0 && buf[0] != '\n';
    bool skipping = *torn, started = false;
    sbuf rev;
    sbuf_init(&rev);
    while (pos > 0) {
        size_t n = pos < (off_t)sizeof buf ? (size_t)pos : sizeof buf;
        pos -= (off_t)n;
        if (pread(fd, buf, n, pos) != (ssize_t)n)
            return sbuf_free(&rev), -1;
        for (size_t i = n; i-- > 0;) {
            if (skipping) {
                skipping = buf[i] != '\n';
                continue;
            }
            if (buf[i] == '\n' && started)
                goto done;
            started = started || buf[i] != '\n';
            if (started)
                sbuf_addc(&rev, buf[i]);
        }
    }
done:
    for (size_t i = rev.len; i-- > 0;)
        sbuf_addc(line, rev.buf[i]);
    sbuf_free(&rev);
    return 0;
}

/* Extracts "seq" and "hash" of the last entry (genesis values when none). */
static void audit_chain_tail(const char *line, audit_head *h)
{
    h->seq = 0;
    if (strncmp(line, "{\"seq\":", 7) == 0)
        h->seq = atoll(line + 7);
    size_t before;
    if (!audit_split_hash(line, strlen(line), &before, h->hash))
        snprintf(h->hash, sizeof h->hash, "%s", AUDIT_GENESIS);
}

void audit_os_user(char *buf, size_t len)
{
    uid_t uid = geteuid();
    struct passwd *pw = getpwuid(uid);
    if (pw)
        snprintf(buf, len, "%s", pw->pw_name);
    else
        snprintf(buf, len, "%u", (unsigned)uid);
}

void audit_entry_begin(audit_entry *e)
{
    sbuf_init(&e->b);
    jw_init_members(&e->w, &e->b, JW_COMPACT);
}

const char *audit_entry_text(const audit_entry *e)
{
    return e->b.buf ? e->b.buf : "";
}

void audit_entry_list(audit_entry *e, const char *key, const audit_entry *list)
{
    jw_open(&e->w, key, '[');
    jw_raw_members(&e->w, audit_entry_text(list));
    jw_close(&e->w, ']');
}

char *audit_entry_take(audit_entry *e)
{
    char *text = e->b.buf ? sbuf_take(&e->b) : xstrdup("");
    audit_entry_free(e);
    return text;
}

void audit_entry_free(audit_entry *e)
{
    sbuf_free(&e->b);
    jw_init_members(&e->w, &e->b, JW_COMPACT);
}

/*
 * Appends ,"<name>":"<64 hex>" where hex is the digest of b.buf[from..) (HMAC
 * with key, else SHA-256), also copied to hex.
 */
static void audit_seal(jw *w, const char *name, size_t from, const char *key, size_t klen,
                       char hex[65])
{
    const char *text = w->b->buf + from;
    size_t n = w->b->len - from;
    if (key) {
        audit_hmac_hex(key, klen, text, n, hex);
    } else {
        unsigned char d[32];
        sha256_mem(text, n, d);
        sha256_hex(d, hex);
    }
    jw_str(w, name, hex);
}

/*
 * Builds the complete line (hmac when key is not NULL, hash, newline) of the
 * entry after `last`; a leading newline first when `torn`. Sets *next to the
 * new entry's seq and hash. Caller owns the result.
 */
static char *audit_line(const audit_head *last, const char *event, const char *fields,
                        const char *key, size_t klen, bool torn, audit_head *next)
{
    char now[21], user[64], hmac[65];
    instant_format((int64_t)time(NULL), now);
    audit_os_user(user, sizeof user);
    sbuf b;
    sbuf_init(&b);
    sbuf_adds(&b, torn ? "\n{" : "{");
    size_t from = torn ? 1 : 0;
    jw w;
    jw_init_members(&w, &b, JW_COMPACT);
    next->seq = last->seq + 1;
    jw_int(&w, "seq", next->seq);
    jw_str(&w, "time", now);
    jw_str(&w, "event", event);
    jw_str(&w, "version", SETTLE_VERSION);
    jw_str(&w, "user", user);
    jw_raw_members(&w, fields);
    jw_str(&w, "prev", last->hash);
    if (key)
        audit_seal(&w, "hmac", from, key, klen, hmac);
    audit_seal(&w, "hash", from, NULL, 0, next->hash);
    jw_close(&w, '}');
    sbuf_addc(&b, '\n');
    return sbuf_take(&b);
}

/* Writes the next entry after the log's last line to fd; *next is its head. 0, or -1 with errno. */
static int audit_write(int fd, const char *event, const char *fields, const char *key,
                       size_t klen, audit_head *next)
{
    sbuf last;
    sbuf_init(&last);
    bool torn;
    int rc = -1;
    if (audit_last_line(fd, &last, &torn) == 0) {
        audit_head head;
        audit_chain_tail(last.buf ? last.buf : "", &head);
        char *line = audit_line(&head, event, fields, key, klen, torn, next);
        size_t n = strlen(line);
        if (write(fd, line, n) == (ssize_t)n && fsync(fd) == 0)
            rc = 0;
        free(line);
    }
    sbuf_free(&last);
    return rc;
}

int audit_append(const char *dir, const char *event, const char *fields, audit_head *written,
                 char *err, size_t errlen)
{
    audit_head next;
    char *path = path_join(dir, AUDIT_LOG_NAME), *key = NULL, kerr[300];
    size_t klen = 0;
    if (audit_key_load(&key, &klen, kerr, sizeof kerr) < 0)
        fprintf(stderr, "settle: warning: %s; this audit entry is written without an hmac\n",
                kerr);
    int fd = -1, rc = -1;
    if (mkdir_p(dir) == 0)
        fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        snprintf(err, errlen, "cannot open audit log %s: %s", path, strerror(errno));
    else if ((rc = audit_write(fd, event, fields, key, klen, &next)) != 0)
        snprintf(err, errlen, "cannot append to audit log %s: %s", path, strerror(errno));
    if (rc == 0 && written)
        *written = next;
    if (fd >= 0)
        close(fd);
    if (key)
        OPENSSL_cleanse(key, klen);
    free(key);
    free(path);
    return rc;
}

/* The last complete line of <dir>/audit.jsonl into line (empty without a log). 0, or -1 with errno. */
static int audit_read_last(const char *dir, sbuf *line)
{
    char *path = path_join(dir, AUDIT_LOG_NAME);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    bool torn;
    int rc = audit_last_line(fd, line, &torn);
    close(fd);
    return rc;
}

int audit_head_read(const char *dir, audit_head *h)
{
    sbuf last;
    sbuf_init(&last);
    int rc = audit_read_last(dir, &last);
    audit_chain_tail(rc == 0 && last.buf ? last.buf : "", h);
    sbuf_free(&last);
    return rc;
}

int audit_last_contains(const char *dir, const char *needle, bool *found)
{
    sbuf last;
    sbuf_init(&last);
    int rc = audit_read_last(dir, &last);
    *found = rc == 0 && last.buf && strstr(last.buf, needle) != NULL;
    sbuf_free(&last);
    return rc;
}
