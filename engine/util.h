/*
 * util.h - memory, strings, diagnostics, hashing and atomic files shared by
 * every stage of settle.
 *
 * THE OWNERSHIP RULE (stated once, followed everywhere):
 *   - A `slice` never owns its bytes. It points into a buffer that belongs to
 *     someone else and is valid only until that owner's next call (for the
 *     ingest readers: until the row callback returns).
 *   - Every `char *` stored in a struct is owned by that struct and released by
 *     the struct's `*_free` function. Functions that return `char *` hand
 *     ownership to the caller.
 *   - Out of memory is not recoverable inside a run: x*alloc print
 *     "settle: out of memory" and exit 3. The state store commits only at the
 *     end of a run, so exiting leaves state exactly as it was before the run.
 */
#ifndef SETTLE_UTIL_H
#define SETTLE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SETTLE_VERSION "0.1.0"

/* Exit codes, SPEC section 2. */
enum {
    EXIT_CLEAN = 0,     /* all settled cleanly */
    EXIT_ATTENTION = 1, /* settled, with exceptions or anomalies */
    EXIT_USAGE = 2,     /* usage, config or rule error; nothing changed */
    EXIT_FAILED = 3,    /* run failed; state unchanged or rolled back */
    EXIT_LOCKED = 75    /* another run holds the lock */
};

/* A borrowed run of bytes; see the ownership rule above. */
typedef struct slice {
    const char *p;
    size_t n;
} slice;

/* A growable, owned byte buffer; always NUL-terminated after any append. */
typedef struct sbuf {
    char *buf;
    size_t len, cap;
} sbuf;

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/*
 * Zeroed memory for a large table probed at random (the seen ids, the Bloom
 * filter): from 2 MiB on it is mapped on its own and the kernel is asked for
 * huge pages, which spares a TLB miss and most page faults per probe. Never
 * NULL; released with xfree_table with the same size.
 */
void *xcalloc_table(size_t n);
void xfree_table(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/*
 * qsort that also takes an empty array given as base NULL (n == 0): C leaves
 * qsort(NULL, 0, ...) undefined, and a list that never grew is NULL.
 */
void xqsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
/* Returns a malloc'd string built like printf. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void sbuf_init(sbuf *b);
void sbuf_free(sbuf *b);
void sbuf_reset(sbuf *b);
void sbuf_add(sbuf *b, const void *p, size_t n);
void sbuf_addc(sbuf *b, char c);
void sbuf_adds(sbuf *b, const char *s);
void sbuf_addf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Appends s[0..n) as valid UTF-8, the one way settle writes text that is not
 * (a drop's file name in Latin-1, say) into any output: every byte that is not
 * part of a valid UTF-8 sequence becomes the four characters \xNN (two
 * lower-case hex digits: caf\xe9.csv); valid UTF-8 is copied unchanged.
 */
void sbuf_add_utf8(sbuf *b, const char *s, size_t n);
/* NULL when s[0..*n) is UTF-8 already; else a new string (caller frees) made by
 * sbuf_add_utf8, with *n set to its length. For writers that take (s, n). */
char *utf8_escaped(const char *s, size_t *n);
/* Appends `s` as a JSON string literal (quotes included, escapes applied; text that is
 * not UTF-8 goes through sbuf_add_utf8 first, so the JSON is always valid). */
void sbuf_add_json_str(sbuf *b, const char *s, size_t n);
/* Takes the buffer out of `b` (caller owns it); `b` is left empty. */
char *sbuf_take(sbuf *b);

bool slice_eq(slice s, const char *z);
slice slice_trim(slice s);

/*
 * Diagnostics: a list of "file:line:col: message" strings collected while
 * loading config or rules, printed together so an operator fixes all at once.
 */
typedef struct diag {
    char **msgs;
    size_t n, cap;
} diag;

void diag_init(diag *d);
void diag_free(diag *d);
/* Adds one message. `line`/`col` of 0 are left out of the prefix. */
void diag_add(diag *d, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void diag_print(const diag *d, FILE *out);

/* 64-bit hash of bytes (not cryptographic; for in-memory tables). */
uint64_t hash_bytes(const void *p, size_t n, uint64_t seed);

/* SHA-256 helpers (OpenSSL EVP). Hex output is 64 chars + NUL. */
typedef struct sha256_ctx sha256_ctx;
sha256_ctx *sha256_new(void);
void sha256_update(sha256_ctx *c, const void *p, size_t n);
void sha256_final(sha256_ctx *c, unsigned char out[32]); /* also frees c */
void sha256_hex(const unsigned char digest[32], char hex[65]);
/* Hashes a whole file in blocks; returns 0, or -1 with errno set. */
int sha256_file(const char *path, unsigned char out[32]);
/* Hashes the rest of an open file (fd stays open); 0, or -1 with errno set. */
int sha256_fd(int fd, unsigned char out[32]);
void sha256_mem(const void *p, size_t n, unsigned char out[32]);

/*
 * Atomic output: writes `n` bytes to `path` through a temp file in the same
 * directory, fsyncs it, renames it over `path` and fsyncs the directory.
 * Creates missing parent directories (mode 0750); the file gets mode 0640.
 * Returns 0, or -1 with errno set and no visible partial file.
 */
int atomic_write(const char *path, const void *data, size_t n);
/*
 * The two halves of atomic_write, for outputs that must stay invisible until
 * something else (the state commit) has happened. staged_path is the hidden
 * staging name of `path`: <dir>/.<name>.tmp (caller frees). staged_write
 * creates the folder, writes and fsyncs that file (mode 0640) and returns its
 * path (caller frees), or NULL with errno set and nothing left behind; `path`
 * itself is untouched. staged_publish renames the staged file onto `path` and
 * fsyncs the folder: 0, or -1 with errno set.
 */
char *staged_path(const char *path);
char *staged_write(const char *path, const void *data, size_t n);
int staged_publish(const char *staged, const char *path);
/* Writes all n bytes to fd (retrying short writes and EINTR); -1 with errno on failure. */
int write_all(int fd, const void *data, size_t n);
/* Reads all n bytes at off; -1 with errno on failure (EIO at end of file). */
int pread_all(int fd, void *buf, size_t n, uint64_t off);
/* fsyncs a directory so a rename inside it survives a crash. 0, or -1 with errno. */
int fsync_dir(const char *dir);
/* mkdir -p with mode 0750. Returns 0 or -1 with errno set. */
int mkdir_p(const char *path);
/* Milliseconds of the monotonic clock (for durations and rates, never for dates). */
int64_t monotonic_ms(void);
/* Joins `dir` and `rel` unless `rel` is absolute. Caller owns the result. */
char *path_join(const char *dir, const char *rel);
/* Directory part of `path` ("." when none). Caller owns the result. */
char *path_dir(const char *path);
/* Last component of `path` (borrowed pointer into `path`). */
const char *path_base(const char *path);

/*
 * Checks that s[0..n) is UTF-8 (RFC 3629: no overlongs, surrogates or code
 * points over U+10FFFF). Returns 0 when it all is (*at = n); 1 when all is
 * but a sequence cut short by the end, which starts at *at (the next block
 * may complete it); -1 when the bytes at *at are invalid.
 */
int utf8_scan(const char *s, size_t n, size_t *at);

/*
 * Reads a whole small file into *out (owned by the caller, NUL-terminated,
 * *len bytes before the NUL). Returns 0, or -1 with errno set (EFBIG when the
 * file is over `max` bytes); *out is NULL on failure.
 */
int read_file_capped(const char *path, size_t max, char **out, size_t *len);
/* The same from an open file descriptor (left open). */
int read_fd_capped(int fd, size_t max, char **out, size_t *len);

/*
 * Opens an existing regular file for reading without following a symbolic
 * link as its last component (O_NOFOLLOW), and checks the opened descriptor
 * itself (fstat), so a file swapped for a link, FIFO or device in between is
 * refused too. Never blocks on a FIFO. Returns the fd (caller closes), or -1
 * with errno: ELOOP for a symbolic link, EISDIR for a folder, EINVAL for any
 * other kind of file.
 */
int open_regular(const char *path);

#endif
