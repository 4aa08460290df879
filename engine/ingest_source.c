/*
 * ingest_source.c - the byte source of ingest_source.h: read(2) for a plain
 * file, zlib inflate for a gzip one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "ingest_source.h"
#include "util.h"

#define SRC_IN_BLOCK INGEST_BLOCK(256 * 1024) /* compressed bytes read at once */

struct byte_source {
    int fd;
    bool gzip;
    bool done;            /* end reached or failed: reads return `last` */
    ssize_t last;
    uint64_t file_bytes;
    z_stream z;
    bool z_open;
    bool member_done;     /* the last gzip member ended: only a new member may follow */
    unsigned char *in;    /* owned, SRC_IN_BLOCK; gzip only */
    unsigned char peek[2];
    size_t n_peek;        /* plain file: magic bytes read ahead, handed out first */
};

/* Formats a reason into err; returns -1. */
static ssize_t src_fail(byte_source *s, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    s->done = true;
    s->last = -1;
    return -1;
}

/* read(2) retried on EINTR; counts the bytes. */
static ssize_t src_read_fd(byte_source *s, void *buf, size_t n)
{
    ssize_t r;
    do
        r = read(s->fd, buf, n);
    while (r < 0 && errno == EINTR);
    if (r > 0)
        s->file_bytes += (uint64_t)r;
    return r;
}

/* Reads the first two bytes to see whether the file is gzip. 0 or -1 (errno). */
static int src_sniff(byte_source *s)
{
    while (s->n_peek < 2) {
        ssize_t r = src_read_fd(s, s->peek + s->n_peek, 2 - s->n_peek);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        s->n_peek += (size_t)r;
    }
    s->gzip = s->n_peek == 2 && s->peek[0] == 0x1f && s->peek[1] == 0x8b;
    return 0;
}

/* Sets up inflate for gzip, with the sniffed magic as its first input. */
static void src_gzip_init(byte_source *s)
{
    s->in = xmalloc(SRC_IN_BLOCK);
    memcpy(s->in, s->peek, 2);
    s->n_peek = 0;
    s->z.next_in = s->in;
    s->z.avail_in = 2;
    if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK) {
        fputs("settle: out of memory (zlib)\n", stderr);
        exit(EXIT_FAILED);
    }
    s->z_open = true;
}

byte_source *source_open(const char *path, char *err, size_t errlen)
{
    byte_source *s = xcalloc(1, sizeof *s);
    s->fd = open_regular(path); /* a drop is read where it is: never through a link */
    if (s->fd < 0 || src_sniff(s) != 0) {
        if (err && errlen)
            snprintf(err, errlen, "cannot %s: %s", s->fd < 0 ? "open" : "read",
                     s->fd < 0 && errno == ELOOP ? "it is a symbolic link" : strerror(errno));
        source_close(s);
        return NULL;
    }
    posix_fadvise(s->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    if (s->gzip)
        src_gzip_init(s);
    return s;
}

/* Plain file: the sniffed bytes first, then read(2). */
static ssize_t src_read_plain(byte_source *s, char *buf, size_t n, char *err, size_t errlen)
{
    if (s->n_peek) {
        size_t k = s->n_peek < n ? s->n_peek : n;
        memcpy(buf, s->peek, k);
        memmove(s->peek, s->peek + k, s->n_peek - k);
        s->n_peek -= k;
        return (ssize_t)k;
    }
    ssize_t r = src_read_fd(s, buf, n);
    if (r < 0)
        return src_fail(s, err, errlen, "read error: %s", strerror(errno));
    return r;
}

/* Refills zlib's input. 1 when bytes came, 0 at end of file, -1 on error. */
static int src_refill(byte_source *s, char *err, size_t errlen)
{
    ssize_t r = src_read_fd(s, s->in, SRC_IN_BLOCK);
    if (r < 0)
        return (int)src_fail(s, err, errlen, "read error: %s", strerror(errno));
    s->z.next_in = s->in;
    s->z.avail_in = (uInt)r;
    return r > 0;
}

/*
 * After a member ended: another member may follow (its magic is checked), or
 * the file ends. Returns 1 to go on inflating, 0 at the clean end, -1 error.
 */
static int src_next_member(byte_source *s, char *err, size_t errlen)
{
    if (s->z.avail_in == 0) {
        int r = src_refill(s, err, errlen);
        if (r <= 0)
            return r;
    }
    if (s->z.next_in[0] != 0x1f)
        return (int)src_fail(s, err, errlen, "corrupt gzip data: bytes after the end of the archive");
    s->member_done = false;
    inflateReset(&s->z);
    return 1;
}

/* Gzip: inflates into buf until some output, the end, or an error. */
static ssize_t src_read_gzip(byte_source *s, char *buf, size_t n, char *err, size_t errlen)
{
    s->z.next_out = (unsigned char *)buf;
    s->z.avail_out = (uInt)(n > UINT32_MAX ? UINT32_MAX : n);
    while (s->z.avail_out == (uInt)(n > UINT32_MAX ? UINT32_MAX : n)) {
        if (s->member_done) {
            int r = src_next_member(s, err, errlen);
            if (r <= 0)
                return r;
        }
        if (s->z.avail_in == 0) {
            int r = src_refill(s, err, errlen);
            if (r < 0)
                return -1;
            if (r == 0)
                return src_fail(s, err, errlen, "gzip archive is truncated (it ends mid-stream)");
        }
        int zr = inflate(&s->z, Z_NO_FLUSH);
        if (zr == Z_STREAM_END)
            s->member_done = true;
        else if (zr == Z_MEM_ERROR)
            return src_fail(s, err, errlen, "out of memory inflating gzip data");
        else if (zr != Z_OK && zr != Z_BUF_ERROR)
            return src_fail(s, err, errlen, "corrupt gzip data: %s",
                            s->z.msg ? s->z.msg : "invalid stream");
    }
    return (ssize_t)((char *)s->z.next_out - buf);
}

ssize_t source_read(byte_source *s, char *buf, size_t n, char *err, size_t errlen)
{
    if (s->done)
        return s->last;
    if (n == 0)
        return 0;
    ssize_t r = s->gzip ? src_read_gzip(s, buf, n, err, errlen)
                        : src_read_plain(s, buf, n, err, errlen);
    if (r == 0) {
        s->done = true;
        s->last = 0;
    }
    return r;
}

bool source_is_gzip(const byte_source *s)
{
    return s->gzip;
}

uint64_t source_file_bytes(const byte_source *s)
{
    return s->file_bytes;
}

void source_close(byte_source *s)
{
    if (!s)
        return;
    if (s->z_open)
        inflateEnd(&s->z);
    if (s->fd >= 0)
        close(s->fd);
    free(s->in);
    free(s);
}
