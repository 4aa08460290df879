/*
 * util_utf8.c - UTF-8: checking text (RFC 3629) and the one way settle writes
 * text that is not UTF-8 (a drop's file name in Latin-1, say) into an output:
 * its bad bytes as \xNN. Declared in util.h.
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Length of the UTF-8 sequence led by byte c (0 for a byte that cannot lead). */
static int utf8_lead_len(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return 2;
    if (c >= 0xE0 && c <= 0xEF)
        return 3;
    if (c >= 0xF0 && c <= 0xF4)
        return 4;
    return 0;
}

/* True when p[1..len) continue the sequence led by p[0] (no overlong, surrogate or > U+10FFFF). */
static bool utf8_tail_ok(const unsigned char *p, size_t len)
{
    unsigned char lo = 0x80, hi = 0xBF;
    if (p[0] == 0xE0)
        lo = 0xA0;
    else if (p[0] == 0xED)
        hi = 0x9F;
    else if (p[0] == 0xF0)
        lo = 0x90;
    else if (p[0] == 0xF4)
        hi = 0x8F;
    for (size_t i = 1; i < len; i++, lo = 0x80, hi = 0xBF)
        if (p[i] < lo || p[i] > hi)
            return false;
    return true;
}

/* True when all 8 bytes at p are ASCII. */
static inline bool utf8_ascii8(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return (w & 0x8080808080808080ull) == 0;
}

int utf8_scan(const char *s, size_t n, size_t *at)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (i + 8 <= n && utf8_ascii8(p + i)) {
            i += 8;
            continue;
        }
        int len = utf8_lead_len(p[i]);
        if (len == 0) {
            *at = i;
            return -1;
        }
        if ((size_t)len > n - i) { /* cut by the end: a complete prefix is still valid */
            *at = i;
            return utf8_tail_ok(p + i, n - i) ? 1 : -1;
        }
        if (!utf8_tail_ok(p + i, (size_t)len)) {
            *at = i;
            return -1;
        }
        i += (size_t)len;
    }
    *at = n;
    return 0;
}

/* See util.h: valid runs copied, each other byte as the text \xNN. */
void sbuf_add_utf8(sbuf *b, const char *s, size_t n)
{
    size_t at;
    while (utf8_scan(s, n, &at) != 0) {
        sbuf_add(b, s, at);
        sbuf_addf(b, "\\x%02x", (unsigned char)s[at]);
        s += at + 1;
        n -= at + 1;
    }
    sbuf_add(b, s, n);
}

char *utf8_escaped(const char *s, size_t *n)
{
    size_t at;
    if (utf8_scan(s, *n, &at) == 0)
        return NULL;
    sbuf t;
    sbuf_init(&t);
    sbuf_add_utf8(&t, s, *n);
    *n = t.len;
    return sbuf_take(&t);
}
