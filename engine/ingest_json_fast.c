/*
 * ingest_json_fast.c - the NDJSON reader's fast path (see ingest_json.c): one
 * whole line read in a single pass, straight into the record's slots,
 * without the scanner and yajl.
 *
 * It takes only a line it can read exactly as the slow path would: one JSON
 * object between optional blanks (space, tab, CR), valid UTF-8, no NUL, at
 * most JF_MAX_DEPTH deep, every string and number no longer than
 * INGEST_MAX_FIELD bytes as written, no escaped key, and no \u escape that
 * is a surrogate outside a proper pair or U+0000. On such a line yajl would
 * report the same values: numbers as written (never converted), strings
 * with their escapes decoded the way yajl decodes them. Anything else
 * (a syntax error, bad text, a long value, an odd escape) returns false
 * with nothing delivered and the line cursor unmoved: the caller then reads
 * the line the usual way, so rows, rejects and errors stay the slow path's.
 *
 * Memory: nothing of its own; values go to the record's slots (r->rec) and
 * decoded strings through a buffer of INGEST_MAX_FIELD bytes on the stack.
 */
#include <string.h>

#include "ingest_json_int.h"

#define JF_MAX_DEPTH (JSON_MAX_DEPTH - 2) /* deeper lines go the slow way */

bool jr_fast_off; /* tests: read every line through yajl */

/* One line being read: the cursor p in [p, e), the reader, the decode buffer. */
typedef struct jf {
    const unsigned char *p, *e;
    jr *r;
    char buf[INGEST_MAX_FIELD];
} jf;

/* Byte classes inside a string: 0 plain, else what needs a look. */
enum { JC_PLAIN, JC_QUOTE, JC_BACKSLASH, JC_CONTROL, JC_HIGH };

/* The class of every byte inside a string. */
static const unsigned char jf_class[256] = {
    [0x00 ... 0x1F] = JC_CONTROL, ['"'] = JC_QUOTE, ['\\'] = JC_BACKSLASH,
    [0x80 ... 0xFF] = JC_HIGH,
};

/*
 * Skips the plain string bytes at p: eight at a time while a word holds no
 * quote, backslash, control or high byte; in the word that holds one, the
 * lowest flagged byte is the first that is not plain (each test flags its
 * byte exactly, and a borrow only flags bytes above it), found with ctz on
 * little-endian GCC/clang builds, by the byte loop elsewhere and for the last
 * bytes. Returns the first byte that is not plain, or e.
 */
static inline const unsigned char *jf_plain(const unsigned char *p, const unsigned char *e)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    while (e - p >= 8) {
        uint64_t w, q, b, m;
        memcpy(&w, p, 8);
        q = w ^ (ones * '"');
        b = w ^ (ones * '\\');
        m = (((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w) | w) & high;
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (m) /* the lowest flagged byte is exact (a borrow only flags bytes above it) */
            return p + (__builtin_ctzll(m) >> 3);
#else
        if (m)
            break;
#endif
        p += 8;
    }
    while (p < e && jf_class[*p] == JC_PLAIN)
        p++;
    return p;
}

/* Skips the blanks JSON and the scanner both allow between tokens. */
static inline void jf_ws(jf *f)
{
    while (f->p < f->e && (*f->p == ' ' || *f->p == '\t' || *f->p == '\r'))
        f->p++;
}

/* The value of 4 hex digits at s, or -1 when one is not a hex digit. */
static long jf_hex4(const unsigned char *s)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/*
 * Checks the escape at p (just past the backslash, before e). Returns the
 * bytes it spans after the backslash, or 0 for one the fast path leaves to
 * yajl: a bad escape, U+0000, or a surrogate not in a high-low pair.
 */
static size_t jf_escape(const unsigned char *p, const unsigned char *e)
{
    if (p >= e)
        return 0;
    if (*p != 'u')
        return strchr("\"\\/bfnrt", *p) && *p ? 1 : 0;
    long c = e - p >= 5 ? jf_hex4(p + 1) : -1;
    if (c <= 0 || (c >= 0xDC00 && c <= 0xDFFF))
        return 0;
    if (c < 0xD800 || c > 0xDBFF)
        return 5;
    long lo = e - p >= 11 && p[5] == '\\' && p[6] == 'u' ? jf_hex4(p + 7) : -1;
    return lo >= 0xDC00 && lo <= 0xDFFF ? 11 : 0;
}

/* Checks the UTF-8 character starting at p (a byte >= 0x80). Its length, or 0 if bad. */
static size_t jf_utf8(const unsigned char *p, const unsigned char *e)
{
    ju8 u = {0};
    size_t k = 0;
    do {
        if (p + k >= e || !ju8_step(&u, p[k]))
            return 0;
        k++;
    } while (u.need);
    return k;
}

/*
 * Reads the string whose opening quote is at f->p. Sets s[0..n) to its text
 * as written and *esc when it holds an escape; leaves f->p after the closing
 * quote. Returns false for anything the fast path leaves to yajl.
 */
static bool jf_string(jf *f, const unsigned char **s, size_t *n, bool *esc)
{
    const unsigned char *p = ++f->p, *e = f->e;
    *esc = false;
    for (;;) {
        p = jf_plain(p, e);
        if (p >= e)
            return false;
        size_t k;
        switch (jf_class[*p]) {
        case JC_QUOTE:
            *s = f->p, *n = (size_t)(p - f->p);
            f->p = p + 1;
            return *n <= INGEST_MAX_FIELD;
        case JC_BACKSLASH:
            if (!(k = jf_escape(p + 1, e)))
                return false;
            *esc = true;
            p += 1 + k;
            break;
        case JC_HIGH:
            if (!(k = jf_utf8(p, e)))
                return false;
            p += k;
            break;
        default:
            return false;
        }
    }
}

/* Appends code point c as UTF-8 at d (as yajl's Utf32toUtf8 does); returns the end. */
static char *jf_put(char *d, unsigned long c)
{
    if (c < 0x80) {
        *d++ = (char)c;
    } else if (c < 0x800) {
        *d++ = (char)(0xC0 | (c >> 6));
        *d++ = (char)(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        *d++ = (char)(0xE0 | (c >> 12));
        *d++ = (char)(0x80 | ((c >> 6) & 0x3F));
        *d++ = (char)(0x80 | (c & 0x3F));
    } else {
        *d++ = (char)(0xF0 | (c >> 18));
        *d++ = (char)(0x80 | ((c >> 12) & 0x3F));
        *d++ = (char)(0x80 | ((c >> 6) & 0x3F));
        *d++ = (char)(0x80 | (c & 0x3F));
    }
    return d;
}

/*
 * Decodes the escapes of s[0..n), checked by jf_string, into f->buf (never
 * longer than n). Returns the decoded length.
 */
static size_t jf_unescape(jf *f, const unsigned char *s, size_t n)
{
    static const char plain[128] = {['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b',
                                    ['f'] = '\f', ['n'] = '\n', ['r'] = '\r', ['t'] = '\t'};
    char *d = f->buf;
    for (size_t i = 0; i < n;) {
        if (s[i] != '\\') {
            *d++ = (char)s[i++];
        } else if (s[i + 1] != 'u') {
            *d++ = plain[s[i + 1]];
            i += 2;
        } else {
            unsigned long c = (unsigned long)jf_hex4(s + i + 2);
            i += 6;
            if (c >= 0xD800 && c <= 0xDBFF) { /* a checked pair */
                c = 0x10000 + ((c - 0xD800) << 10) + ((unsigned long)jf_hex4(s + i + 2) - 0xDC00);
                i += 6;
            }
            d = jf_put(d, c);
        }
    }
    return (size_t)(d - f->buf);
}

/* Records a wanted value for `node` (-1: not wanted), as jr_set does. */
static inline void jf_set(jf *f, int node, jslot_state st, const char *p, size_t n)
{
    const jr *r = f->r;
    if (node >= 0 && r->trie.n[node].slot >= 0)
        js_set(&f->r->rec, &r->trie, r->trie.n[node].slot, st, p, n);
}

/* A number as JSON (and yajl) writes it; true with f->p past it. */
static bool jf_number(jf *f, int node)
{
    const unsigned char *s = f->p, *p = s, *e = f->e;
    if (p < e && *p == '-')
        p++;
    if (p < e && *p == '0')
        p++;
    else if (p < e && *p >= '1' && *p <= '9')
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    else
        return false;
    if (p < e && *p == '.') {
        const unsigned char *d = ++p;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
        if (p == d)
            return false;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        const unsigned char *d = p;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
        if (p == d)
            return false;
    }
    if ((size_t)(p - s) > INGEST_MAX_FIELD)
        return false;
    f->p = p;
    jf_set(f, node, JS_VALUE, (const char *)s, (size_t)(p - s));
    return true;
}

/* true, false or null; true with f->p past it. */
static bool jf_word(jf *f, int node)
{
    static const char *const w[] = {"true", "false", "null"};
    int k = *f->p == 't' ? 0 : *f->p == 'f' ? 1 : 2;
    size_t n = strlen(w[k]);
    if ((size_t)(f->e - f->p) < n || memcmp(f->p, w[k], n) != 0)
        return false;
    f->p += n;
    jf_set(f, node, k == 2 ? JS_NULL : JS_VALUE, k == 2 ? "" : w[k], k == 2 ? 0 : n);
    return true;
}

static bool jf_value(jf *f, int node, int depth);

/*
 * The child of `node` for key k[0..n). In the record's own object (`hint`
 * not NULL) the child that held the same place on the last line is tried
 * first: drops write their keys in one order. hint holds node + 1, 0 = none.
 */
static int jf_key(jf *f, int node, const char *k, size_t n, int *hint)
{
    const jtrie *t = &f->r->trie;
    if (hint && *hint > 0) {
        const jt_node *d = &t->n[*hint - 1];
        size_t i = 0;
        while (d->seg_n == n && i < n && d->seg[i] == k[i]) /* short keys: no memcmp call */
            i++;
        if (d->seg_n == n && i == n)
            return *hint - 1;
    }
    int c = jt_key(t, node, k, n);
    if (hint && c >= 0)
        *hint = c + 1;
    return c;
}

/* Opens the container at f->p: true when `close` follows at once (it is empty). */
static bool jf_open(jf *f, char close)
{
    f->p++;
    jf_ws(f);
    if (f->p < f->e && *f->p == close)
        return f->p++, true;
    return false;
}

/* After a member or element: 1 when a comma says another follows, 0 at `close`, -1 otherwise. */
static int jf_next(jf *f, char close)
{
    jf_ws(f);
    if (f->p < f->e && *f->p == ',') {
        f->p++;
        jf_ws(f);
        return 1;
    }
    return f->p < f->e && *f->p++ == close ? 0 : -1;
}

/* The object at f->p, met at `node`; its keys match node's children. */
static bool jf_object(jf *f, int node, int depth)
{
    int *hints = depth == 1 ? f->r->fast_hint : NULL;
    if (jf_open(f, '}'))
        return true;
    for (size_t i = 0;; i++) {
        const unsigned char *k;
        size_t n;
        bool esc;
        if (f->p >= f->e || *f->p != '"' || !jf_string(f, &k, &n, &esc) || esc)
            return false;
        int child = node < 0 ? -1 : jf_key(f, node, (const char *)k, n,
                                            hints && i < JF_HINTS ? &hints[i] : NULL);
        jf_ws(f);
        if (f->p >= f->e || *f->p != ':')
            return false;
        f->p++;
        jf_ws(f);
        int more = jf_value(f, child, depth) ? jf_next(f, '}') : -1;
        if (more <= 0)
            return more == 0;
    }
}

/* The array at f->p, met at `node`; its elements match node's index children. */
static bool jf_array(jf *f, int node, int depth)
{
    if (jf_open(f, ']'))
        return true;
    for (uint64_t i = 0;; i++) {
        int child = node < 0 ? -1 : jt_index(&f->r->trie, node, i);
        int more = jf_value(f, child, depth) ? jf_next(f, ']') : -1;
        if (more <= 0)
            return more == 0;
    }
}

/* The value at f->p (not at the end), met at `node` inside `depth` containers. */
static bool jf_value(jf *f, int node, int depth)
{
    const unsigned char *s;
    size_t n;
    bool esc;
    if (f->p >= f->e)
        return false;
    switch (*f->p) {
    case '{':
    case '[':
        if (depth >= JF_MAX_DEPTH)
            return false;
        jf_set(f, node, *f->p == '{' ? JS_OBJECT : JS_ARRAY, NULL, 0);
        return *f->p == '{' ? jf_object(f, node, depth + 1) : jf_array(f, node, depth + 1);
    case '"':
        if (!jf_string(f, &s, &n, &esc))
            return false;
        if (node >= 0 && f->r->trie.n[node].slot >= 0)
            jf_set(f, node, JS_VALUE, esc ? f->buf : (const char *)s,
                   esc ? jf_unescape(f, s, n) : n);
        return true;
    case 't':
    case 'f':
    case 'n':
        return jf_word(f, node);
    default:
        return jf_number(f, node);
    }
}

/*
 * See ingest_json_int.h. On success the record is delivered as
 * jr_line_close would deliver it, and the line cursor moves past the LF.
 */
bool jr_fast_line(jr *r, size_t from, size_t end)
{
    if (jr_fast_off)
        return false;
    jf f;
    f.p = (const unsigned char *)r->blk + from;
    f.e = (const unsigned char *)r->blk + end;
    f.r = r;
    js_reset(&r->rec);
    jf_ws(&f);
    bool ok = f.p < f.e && *f.p == '{' && jf_object(&f, JT_RECORD, 1);
    jf_ws(&f);
    if (!ok || f.p != f.e) {
        js_reset(&r->rec);
        return false;
    }
    uint64_t line = jr_line(r, r->base + from);
    r->raw_n = 0;
    jr_raw_add(r, r->blk + from, end - from);
    r->ln_seen = true;
    r->rec_problem = NULL;
    jr_emit(r, &r->rec, false, line, jr_raw_view(r));
    r->pos = r->line_start = r->base + end + 1; /* the line had no other LF */
    r->line++;
    return true;
}
