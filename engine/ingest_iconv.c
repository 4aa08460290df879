/*
 * ingest_iconv.c - converts a partner's encoding to UTF-8 block by block
 * (see ingest_iconv.h). Bad input bytes become U+FFFD, flagged to the sink;
 * incomplete sequences at a block's end are handed back to the caller to be
 * completed by the next block.
 */
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

#include "ingest_iconv.h"
#include "ingest_source.h"
#include "util.h"

/* Size of the UTF-8 output chunk handed to the sink. */
#define ICV_OUT INGEST_BLOCK(256 * 1024)

/* True for NULL or any spelling of UTF-8 we treat as "no conversion". */
bool icv_is_utf8(const char *encoding)
{
    return !encoding || strcasecmp(encoding, "utf-8") == 0 || strcasecmp(encoding, "utf8") == 0;
}

/* Opens iconv from `encoding` to UTF-8; on failure c->out stays NULL, -1. */
int icv_open(icv *c, const char *encoding)
{
    c->out = NULL;
    c->cd = iconv_open("UTF-8", encoding);
    if (c->cd == (iconv_t)-1)
        return -1;
    c->out = xmalloc(ICV_OUT);
    return 0;
}

/* Frees the output chunk and closes iconv; nothing to do if open failed. */
void icv_close(icv *c)
{
    if (!c->out)
        return;
    iconv_close(c->cd);
    free(c->out);
    c->out = NULL;
}

/* Hands the output written so far (up to `o`) to the sink; sets *rc. */
static void icv_flush(icv *c, const char *o, icv_sink sink, void *ctx, int *rc)
{
    if (o > c->out && !*rc)
        *rc = sink(ctx, c->out, (size_t)(o - c->out), false);
}

/* Reports one bad input byte to the sink as U+FFFD; sets *rc. */
static void icv_bad(icv_sink sink, void *ctx, int *rc)
{
    char fffd[3] = {(char)0xEF, (char)0xBF, (char)0xBD};
    if (!*rc)
        *rc = sink(ctx, fffd, sizeof fffd, true);
}

/* Flushes iconv's shift state at end of input (stateful encodings). */
static void icv_reset(icv *c, icv_sink sink, void *ctx, int *rc)
{
    char *o = c->out;
    size_t ol = ICV_OUT;
    iconv(c->cd, NULL, NULL, &o, &ol);
    icv_flush(c, o, sink, ctx, rc);
}

/*
 * One iconv step over (*in, *n) into the output chunk, then the chunk goes to
 * the sink. Returns 1 to call again, 0 when the rest is an incomplete
 * sequence to carry (or input is used up).
 */
static int icv_step(icv *c, char **in, size_t *n, bool eof, icv_sink sink, void *ctx, int *rc)
{
    char *o = c->out;
    size_t ol = ICV_OUT;
    size_t r = iconv(c->cd, in, n, &o, &ol);
    int e = errno;
    icv_flush(c, o, sink, ctx, rc);
    if (r != (size_t)-1 || *n == 0)
        return 0;
    if (e == E2BIG)
        return 1;
    if (e == EINVAL && !eof)
        return 0;
    icv_bad(sink, ctx, rc); /* EILSEQ, or a sequence cut by end of file */
    (*in)++;
    (*n)--;
    return 1;
}

/* Converts a block; see ingest_iconv.h for the contract. */
size_t icv_push(icv *c, char *in, size_t n, bool eof, icv_sink sink, void *ctx, int *rc)
{
    char *p = in;
    size_t left = n;
    while (left > 0 && !*rc && icv_step(c, &p, &left, eof, sink, ctx, rc))
        ;
    if (eof && !*rc)
        icv_reset(c, sink, ctx, rc);
    return (size_t)(p - in);
}
