/*
 * ingest_csv.c - the streaming CSV reader of ingest.h.
 *
 * The file is read through ingest_source.c (plain or gzip) in CSVR_BLOCK
 * blocks, checked to be valid UTF-8 or converted to it by ingest_iconv.c, and
 * handled one
 * physical line at a time, long lines in CSVR_PIECE pieces. Going by line is
 * what gives every row the exact line it starts on, even when a quoted field
 * spans lines.
 *
 * Two kinds of path, same result:
 *   - fast paths: a whole line with no stray CR and either no quote byte or
 *     only simply quoted fields (csvr_quoted_split) is split at the
 *     delimiters with memchr, the slices pointing into the block;
 *   - the byte splitter (csvr_bytes): everything else, one byte at a time,
 *     each field built in the entry buffer, then copied into the row arena.
 * The splitter is settle's own and reads CSV exactly as libcsv 3.0 does
 * with its default options (what earlier versions of this reader used):
 * blanks (space, tab) around unquoted fields trimmed, "" in a quoted field
 * one quote, text after a closing quote kept with that quote, blank lines
 * no rows, CR or LF ending a row. test_csv compares the whole reader with
 * libcsv on the csv-spectrum cases and on random text, and fuzz_csv on
 * every input it makes; libcsv is linked only into those two.
 * Memory: the block, the row arena (capped by CSVR_MAX_ROW), the entry
 * buffer (INGEST_MAX_FIELD) and INGEST_MAX_RAW of raw text.
 *
 * Known limit: lines are counted by LF. A lone CR (classic Mac line end)
 * still ends a row, but such rows share the LF-line's number and raw text.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest_csv_int.h"

/* Formats a one-line reason into err (may be NULL); returns -1 for the caller. */
static int csvr_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- reading the file -------------------------------------------------- */

/* Reads until `n` bytes or the end; returns the count or -1 (reason in err). */
static ssize_t csvr_read(csvr *r, char *buf, size_t n, char *err, size_t errlen)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = source_read(r->src, buf + got, n - got, err, errlen);
        if (k < 0)
            return -1;
        if (k == 0)
            break;
        got += (size_t)k;
    }
    if (!r->first_read && got >= 2)
        r->first2 = (unsigned)(unsigned char)buf[0] << 8 | (unsigned char)buf[1];
    r->first_read = true;
    return (ssize_t)got;
}

/* Line of byte `off` of a block whose first byte is on line `line`. */
static uint64_t csvr_line_at(const char *p, size_t off, uint64_t line)
{
    const char *e = p + off, *q;
    while ((q = memchr(p, '\n', (size_t)(e - p))) != NULL)
        line++, p = q + 1;
    return line;
}

/* Marks the file unreadable: its text is not valid in its encoding at `line`. */
static int csvr_enc_fail(csvr *r, uint64_t line)
{
    r->enc_bad = true;
    r->enc_line = line;
    return -1;
}

/*
 * Checks a block of text before it is parsed: a NUL byte (binary data, not
 * CSV) or invalid UTF-8 makes the file unreadable. Returns how many bytes
 * to parse now (a sequence cut by the block's end waits for the next one),
 * or -1.
 */
static ssize_t csvr_check_utf8(csvr *r, const char *p, size_t n, bool eof)
{
    size_t at;
    int v = utf8_scan(p, n, &at);
    const char *nul = memchr(p, 0, v == 0 ? n : at);
    if (nul)
        return csvr_enc_fail(r, csvr_line_at(p, (size_t)(nul - p), r->line));
    if (v < 0 || (v > 0 && eof))
        return csvr_enc_fail(r, csvr_line_at(p, at, r->line));
    return (ssize_t)at;
}

/* Reads a UTF-8 file: every checked block goes straight to the parser. 0 or -1. */
static int csvr_run_plain(csvr *r, char *err, size_t errlen)
{
    size_t carry = 0;
    for (;;) {
        ssize_t k = csvr_read(r, r->block + carry, CSVR_BLOCK - carry, err, errlen);
        if (k < 0)
            return -1;
        r->st->bytes += (uint64_t)k;
        size_t have = carry + (size_t)k;
        ssize_t ok = csvr_check_utf8(r, r->block, have, k == 0);
        if (ok < 0)
            return 0;
        csvr_feed(r, r->block, (size_t)ok);
        if (k == 0 || r->rc)
            return 0;
        carry = have - (size_t)ok; /* at most 3 bytes of a cut sequence */
        memmove(r->block, r->block + ok, carry);
    }
}

/* icv_sink: a bad byte (outside skipped lines) stops the read; else feeds the text. */
static int csvr_sink(void *ctx, char *p, size_t n, bool bad)
{
    csvr *r = ctx;
    if (bad && r->skip == 0)
        return csvr_enc_fail(r, r->line);
    const char *nul = memchr(p, 0, n);
    if (nul)
        return csvr_enc_fail(r, csvr_line_at(p, (size_t)(nul - p), r->line));
    csvr_feed(r, p, n);
    return r->rc;
}

/*
 * Reads a file in another encoding: blocks go through iconv; an incomplete
 * sequence at a block's end is moved to the front and completed by the next
 * read. Returns 0 or -1 (read error).
 */
static int csvr_run_iconv(csvr *r, char *err, size_t errlen)
{
    size_t carry = 0;
    int rc = 0;
    for (;;) {
        ssize_t k = csvr_read(r, r->block + carry, CSVR_BLOCK - carry, err, errlen);
        if (k < 0)
            return -1;
        r->st->bytes += (uint64_t)k;
        size_t have = carry + (size_t)k;
        size_t used = icv_push(&r->conv, r->block, have, k == 0, csvr_sink, r, &rc);
        if (k == 0 || rc)
            return 0;
        carry = have - used; /* a few bytes: one partial character */
        memmove(r->block, r->block + used, carry);
    }
}

/* The reason for a file whose text is not in its declared encoding. */
static int csvr_enc_reason(csvr *r, char *err, size_t errlen)
{
    const char *enc = r->o->encoding ? r->o->encoding : "utf-8";
    if (r->first2 == 0xFFFE || r->first2 == 0xFEFF)
        return csvr_fail(err, errlen, "the file is UTF-16 text, but csv.encoding is %s", enc);
    return csvr_fail(err, errlen, "line %llu: text is not valid %s (wrong encoding, or binary data)",
                     (unsigned long long)r->enc_line, enc);
}

/*
 * End of file: a quoted field still open makes the file unreadable (-1);
 * otherwise a last row that had no line end is delivered.
 */
static int csvr_finish(csvr *r, char *err, size_t errlen)
{
    if (r->enc_bad)
        return csvr_enc_reason(r, err, errlen);
    if (r->mid_line)
        r->st->lines++;
    if (r->quoted && r->ps == CSVR_FIELD_BEGUN)
        return csvr_fail(err, errlen, "unterminated quoted field starting at line %llu",
                         (unsigned long long)r->quote_line);
    csvr_bytes_end(r);
    return r->rc;
}

/* ---- set-up and the entry point ------------------------------------------ */

/* Sets the splitter up from the options: delimiter, quote (or none). */
static void csvr_parser_init(csvr *r)
{
    r->ps = CSVR_ROW_NOT_BEGUN;
    r->delim = (unsigned char)(r->o->delimiter ? r->o->delimiter : ',');
    r->quote = r->o->quote ? (unsigned char)r->o->quote : CSVR_NO_QUOTE;
    r->entry = xmalloc(INGEST_MAX_FIELD);
}

/* Allocates the reader; every buffer is owned and freed by csvr_free. */
static csvr *csvr_new(const csv_options *o, ingest_row_fn fn, void *ctx, ingest_stats *st)
{
    csvr *r = xcalloc(1, sizeof *r);
    r->o = o, r->fn = fn, r->ctx = ctx, r->st = st;
    r->line = 1;
    r->skip = o->skip_lines > 0 ? o->skip_lines : 0;
    r->bom_check = true;
    r->header_due = o->header;
    r->acap = 4096;
    r->arena = xmalloc(r->acap);
    r->fcap = 32;
    r->f = xmalloc(r->fcap * sizeof *r->f);
    r->off = xmalloc(r->fcap * sizeof *r->off);
    csvr_parser_init(r);
    return r;
}

/* Opens the file and the converter. Returns 0 or -1 with the reason. */
static int csvr_open(csvr *r, const char *path, char *err, size_t errlen)
{
    const char *enc = r->o->encoding;
    r->convert = !icv_is_utf8(enc);
    if (r->convert && icv_open(&r->conv, enc) != 0)
        return csvr_fail(err, errlen, "unknown encoding '%s'", enc);
    r->src = source_open(path, err, errlen);
    if (!r->src)
        return -1;
    r->block = xmalloc(CSVR_BLOCK);
    return 0;
}

/* Releases everything the reader owns, closes the file. */
static void csvr_free(csvr *r)
{
    source_close(r->src);
    if (r->convert)
        icv_close(&r->conv);
    free(r->entry);
    free(r->block);
    free(r->arena);
    free(r->f);
    free(r->off);
    free(r);
}

/*
 * See ingest.h. The reader owns every buffer and frees them all before
 * returning, on every path; rows' slices borrow from them during callbacks.
 */
int ingest_csv_file(const char *path, const csv_options *o, ingest_row_fn fn, void *ctx,
                    ingest_stats *stats, char *err, size_t errlen)
{
    ingest_stats local;
    memset(stats ? stats : &local, 0, sizeof local);
    if (err && errlen)
        err[0] = 0;
    csvr *r = csvr_new(o, fn, ctx, stats ? stats : &local);
    int rc = csvr_open(r, path, err, errlen);
    if (rc == 0)
        rc = r->convert ? csvr_run_iconv(r, err, errlen) : csvr_run_plain(r, err, errlen);
    if (rc == 0)
        rc = r->rc ? r->rc : csvr_finish(r, err, errlen);
    csvr_free(r);
    return rc;
}
