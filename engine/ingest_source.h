/*
 * ingest_source.h - private to the readers: the bytes of a drop, whether the
 * file is plain or gzip-compressed.
 *
 * A gzip file is recognised by its magic bytes (1f 8b), not by its name, and
 * inflated as it is read (several concatenated gzip members are one stream,
 * as gzip(1) reads them). A truncated or corrupt archive is a read error, so
 * the file is unreadable as a whole and is never half counted.
 *
 * Memory: one input block for a compressed file plus zlib's window (~300 KB);
 * nothing for a plain file.
 */
#ifndef SETTLE_INGEST_SOURCE_H
#define SETTLE_INGEST_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The size of a reader buffer that is normally `n` bytes. Fuzz builds (meson
 * -Dfuzz=true defines SETTLE_SMALL_BLOCKS) use 64 bytes, so inputs of a few
 * KiB cross every block, chunk and carry boundary the readers have.
 */
#ifdef SETTLE_SMALL_BLOCKS
#define INGEST_BLOCK(n) 64
#else
#define INGEST_BLOCK(n) (n)
#endif

typedef struct byte_source byte_source;

/*
 * Opens `path` for reading: a regular file, never through a symbolic link
 * (open_regular, util.h). Returns a source the caller owns (release with
 * source_close), or NULL with a one-line reason in err ("cannot open: ...").
 */
byte_source *source_open(const char *path, char *err, size_t errlen);

/*
 * Reads up to `n` bytes of content into buf. Returns the number of bytes
 * (> 0), 0 at the end of the content, or -1 with a reason in err: an I/O
 * error, "corrupt gzip data: ...", or "gzip archive is truncated".
 * After 0 or -1, further calls return the same.
 */
ssize_t source_read(byte_source *s, char *buf, size_t n, char *err, size_t errlen);

/* True when the file is gzip-compressed. */
bool source_is_gzip(const byte_source *s);

/* Bytes read from the file itself so far (compressed size for gzip). */
uint64_t source_file_bytes(const byte_source *s);

/* Closes the file and frees the source. NULL is allowed. */
void source_close(byte_source *s);

#endif
