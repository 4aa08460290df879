/*
 * ingest_iconv.h - private to the readers: block-wise conversion of a
 * partner's encoding to UTF-8 with iconv, tolerant of bad bytes.
 *
 * The converter knows nothing about CSV. It hands converted UTF-8 to a sink in
 * chunks; each byte that is invalid in the source encoding is handed over as
 * U+FFFD with bad=true, so the caller can reject the row that contains it and
 * go on.
 */
#ifndef SETTLE_INGEST_ICONV_H
#define SETTLE_INGEST_ICONV_H

#include <iconv.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Receives `n` bytes of UTF-8 at `p` (writable, valid only during the call).
 * bad is true when the bytes are the U+FFFD that stands for an invalid input
 * byte. Returns 0 to go on, non-zero to stop the conversion.
 */
typedef int (*icv_sink)(void *ctx, char *p, size_t n, bool bad);

typedef struct icv {
    iconv_t cd;
    char *out;   /* owned output chunk, ICV_OUT bytes */
} icv;

/* True when `encoding` names UTF-8 (or is NULL): no conversion is needed. */
bool icv_is_utf8(const char *encoding);
/* Opens a converter from `encoding` to UTF-8. Returns 0, or -1 (unknown name). */
int icv_open(icv *c, const char *encoding);
/* Releases the converter (safe on a converter that failed to open). */
void icv_close(icv *c);
/*
 * Converts in[0..n) and feeds the result to `sink`. Returns how many input
 * bytes were used: when !eof an incomplete multibyte sequence at the end is
 * left unused, for the caller to put before the next block. At eof every
 * byte is used (a truncated sequence counts as bad) and the shift state is
 * flushed. A non-zero sink result stops early and is stored in *rc.
 */
size_t icv_push(icv *c, char *in, size_t n, bool eof, icv_sink sink, void *ctx, int *rc);

#endif
