/*
 * util.c - memory, buffers, diagnostics, hashing and SHA-256 (files and paths: util_file.c).
 * The ownership rule of the whole engine is stated in util.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* Reports out-of-memory and exits 3; state is committed only at run end. */
static void oom(void)
{
    fputs("settle: out of memory\n", stderr);
    exit(EXIT_FAILED);
}

/* malloc that never returns NULL (n of 0 allocates 1 byte). */
void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

/* calloc that never returns NULL; count*size overflow is out of memory. */
void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        oom();
    return p;
}

#define TABLE_HUGE ((size_t)2 << 20)

void *xcalloc_table(size_t n)
{
    if (n < TABLE_HUGE)
        return xcalloc(1, n);
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        oom();
    madvise(p, n, MADV_HUGEPAGE); /* a hint: without huge pages it still works */
    return p;
}

void xfree_table(void *p, size_t n)
{
    if (!p)
        return;
    if (n < TABLE_HUGE)
        free(p);
    else
        munmap(p, n);
}

/* realloc that never returns NULL. */
void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom();
    return q;
}

void xqsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

/* strdup that never returns NULL; NULL in gives NULL out. */
char *xstrdup(const char *s)
{
    return s ? xstrndup(s, strlen(s)) : NULL;
}

/* Copies n bytes of s into a new NUL-terminated string. */
char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

/*
 * vprintf into a new string owned by the caller; *len gets its length. A
 * text vsnprintf cannot produce (over INT_MAX bytes) is out of memory. `fmt`
 * is declared non-null: without that, gcc's UBSan instrumentation adds a
 * path where it is NULL and -Wformat-truncation rejects that path.
 */
__attribute__((format(printf, 2, 0), nonnull(2)))
static char *xvasprintf(size_t *len, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    if (n < 0)
        oom();
    char *p = xmalloc((size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, again);
    va_end(again);
    *len = (size_t)n;
    return p;
}

/* printf into a new string owned by the caller. */
char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    size_t n;
    va_start(ap, fmt);
    char *p = xvasprintf(&n, fmt, ap);
    va_end(ap);
    return p;
}

void sbuf_init(sbuf *b)
{
    b->buf = NULL;
    b->len = b->cap = 0;
}

void sbuf_free(sbuf *b)
{
    free(b->buf);
    sbuf_init(b);
}

/* Empties the buffer but keeps its memory for reuse. */
void sbuf_reset(sbuf *b)
{
    b->len = 0;
    if (b->buf)
        b->buf[0] = 0;
}

/* Makes room for `extra` more bytes plus the NUL; overflow is out of memory. */
static void sbuf_grow(sbuf *b, size_t extra)
{
    if (extra > SIZE_MAX / 2 - b->len)
        oom();
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    b->buf = xrealloc(b->buf, cap);
    b->cap = cap;
}

void sbuf_add(sbuf *b, const void *p, size_t n)
{
    sbuf_grow(b, n);
    if (n)
        memcpy(b->buf + b->len, p, n);
    b->len += n;
    b->buf[b->len] = 0;
}

void sbuf_addc(sbuf *b, char c)
{
    sbuf_grow(b, 1);
    b->buf[b->len++] = c;
    b->buf[b->len] = 0;
}

void sbuf_adds(sbuf *b, const char *s)
{
    sbuf_add(b, s, strlen(s));
}

void sbuf_addf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    size_t n;
    va_start(ap, fmt);
    char *p = xvasprintf(&n, fmt, ap);
    va_end(ap);
    sbuf_add(b, p, n);
    free(p);
}

/* JSON string literal: escapes quote, backslash and control bytes; text that is not
 * UTF-8 is first made so (utf8_escaped: its \xNN then reads "\\xNN" in JSON). */
void sbuf_add_json_str(sbuf *b, const char *s, size_t n)
{
    char *fixed = utf8_escaped(s, &n);
    if (fixed)
        s = fixed;
    sbuf_addc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            sbuf_addc(b, '\\');
            sbuf_addc(b, (char)c);
        } else if (c == '\n') {
            sbuf_adds(b, "\\n");
        } else if (c == '\r') {
            sbuf_adds(b, "\\r");
        } else if (c == '\t') {
            sbuf_adds(b, "\\t");
        } else if (c < 0x20 || c == 0x7f) {
            sbuf_addf(b, "\\u%04x", c);
        } else {
            sbuf_addc(b, (char)c);
        }
    }
    sbuf_addc(b, '"');
    free(fixed);
}

/* Hands the buffer to the caller (never NULL) and leaves b empty. */
char *sbuf_take(sbuf *b)
{
    char *p = b->buf ? b->buf : xstrdup("");
    sbuf_init(b);
    return p;
}

bool slice_eq(slice s, const char *z)
{
    size_t n = strlen(z);
    return s.n == n && (n == 0 || memcmp(s.p, z, n) == 0);
}

/* Drops leading and trailing blanks (space, tab, CR, LF). */
slice slice_trim(slice s)
{
    while (s.n && (s.p[0] == ' ' || s.p[0] == '\t' || s.p[0] == '\r' || s.p[0] == '\n')) {
        s.p++;
        s.n--;
    }
    while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t' || s.p[s.n - 1] == '\r' ||
                   s.p[s.n - 1] == '\n'))
        s.n--;
    return s;
}

void diag_init(diag *d)
{
    d->msgs = NULL;
    d->n = d->cap = 0;
}

void diag_free(diag *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->msgs[i]);
    free(d->msgs);
    diag_init(d);
}

/* Adds "file:line:col: message"; zero line/col are omitted. */
void diag_add(diag *d, const char *file, int line, int col, const char *fmt, ...)
{
    sbuf b;
    sbuf_init(&b);
    if (file)
        sbuf_addf(&b, "%s:", file);
    if (line > 0)
        sbuf_addf(&b, "%d:", line);
    if (line > 0 && col > 0)
        sbuf_addf(&b, "%d:", col);
    if (b.len)
        sbuf_addc(&b, ' ');
    va_list ap;
    size_t n;
    va_start(ap, fmt);
    char *msg = xvasprintf(&n, fmt, ap);
    va_end(ap);
    sbuf_add(&b, msg, n);
    free(msg);
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 8;
        d->msgs = xrealloc(d->msgs, d->cap * sizeof *d->msgs);
    }
    d->msgs[d->n++] = sbuf_take(&b);
}

void diag_print(const diag *d, FILE *out)
{
    for (size_t i = 0; i < d->n; i++)
        fprintf(out, "%s\n", d->msgs[i]);
}

/* 64-bit multiply-xorshift hash over 8-byte words (wyhash-like mixing). */
static inline uint64_t mix64(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *s = p;
    const uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull;
    uint64_t h = seed ^ k0 ^ (uint64_t)n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = mix64(h ^ w, k1);
        s += 8;
        n -= 8;
    }
    /* the last 0..7 bytes as a little-endian word, built in a register: a
     * memcpy of n bytes into a stack word stalls the load that follows
     * (store forwarding fails), which cost ~10% of reading a drop */
    uint64_t w = 0;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    memcpy(&w, s, n);
#else
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)s[i] << (8 * i);
#endif
    return mix64(h ^ w ^ k1, k0 ^ (uint64_t)n);
}

struct sha256_ctx {
    EVP_MD_CTX *md;
};

sha256_ctx *sha256_new(void)
{
    sha256_ctx *c = xmalloc(sizeof *c);
    c->md = EVP_MD_CTX_new();
    if (!c->md || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1)
        oom();
    return c;
}

void sha256_update(sha256_ctx *c, const void *p, size_t n)
{
    EVP_DigestUpdate(c->md, p, n);
}

/* Writes the digest and frees the context. */
void sha256_final(sha256_ctx *c, unsigned char out[32])
{
    unsigned int len = 32;
    EVP_DigestFinal_ex(c->md, out, &len);
    EVP_MD_CTX_free(c->md);
    free(c);
}

void sha256_hex(const unsigned char digest[32], char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[64] = 0;
}

void sha256_mem(const void *p, size_t n, unsigned char out[32])
{
    sha256_ctx *c = sha256_new();
    sha256_update(c, p, n);
    sha256_final(c, out);
}

/* Hashes a file in 1 MiB blocks; -1 with errno on open/read failure. */
int sha256_file(const char *path, unsigned char out[32])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = sha256_fd(fd, out);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

/* Hashes what is left of fd in 1 MiB blocks (fd stays open); -1 with errno on a read error. */
int sha256_fd(int fd, unsigned char out[32])
{
    size_t cap = 1 << 20;
    char *buf = xmalloc(cap);
    sha256_ctx *c = sha256_new();
    ssize_t got;
    int rc = 0, e = 0;
    while ((got = read(fd, buf, cap)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = -1;
            e = errno;
            break;
        }
        sha256_update(c, buf, (size_t)got);
    }
    sha256_final(c, out);
    free(buf);
    errno = e;
    return rc;
}

/* Milliseconds of CLOCK_MONOTONIC (for durations, never for dates). */
int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
