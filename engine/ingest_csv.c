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

#include "ingest.h"
#include "ingest_iconv.h"
#include "ingest_source.h"

#define CSVR_BLOCK INGEST_BLOCK(1024 * 1024) /* read(2) size */
#define CSVR_PIECE INGEST_BLOCK(16 * 1024)  /* most bytes of a line handled at once */
#define CSVR_MAX_ROW (16 * INGEST_MAX_FIELD) /* field bytes kept per row */
#define CSVR_MAX_FIELDS 16384               /* fields kept per row */
#define CSVR_NO_QUOTE 0x100                 /* quote "byte" for "no quoting": matches none */

/* Where the byte splitter is (the states of libcsv's parser, by the same names). */
typedef enum csvr_state {
    CSVR_ROW_NOT_BEGUN = 0,
    CSVR_FIELD_NOT_BEGUN,
    CSVR_FIELD_BEGUN,
    CSVR_FIELD_MIGHT_HAVE_ENDED /* a quote met inside a quoted field */
} csvr_state;

/* One read of one file: splitter, buffers, position and the row being built. */
typedef struct csvr {
    csvr_state ps;          /* the byte splitter's state */
    bool quoted;            /* the field being built began with a quote */
    size_t spaces;          /* blanks at the end of the field being built */
    unsigned char delim;
    int quote;              /* quote byte, or CSVR_NO_QUOTE */
    char *entry;            /* owned, INGEST_MAX_FIELD bytes: the field being built */
    size_t elen;            /* its length (bytes past INGEST_MAX_FIELD are counted, not kept) */
    const csv_options *o;
    ingest_row_fn fn;
    void *ctx;
    ingest_stats *st;
    int rc;                 /* the callback's stop value, 0 while reading */
    byte_source *src;       /* owned */
    char *block;            /* owned, CSVR_BLOCK bytes */
    icv conv;               /* used when convert is true */
    bool convert;
    uint64_t line;          /* physical line being fed, 1-based */
    uint64_t row_line;      /* line where the current row starts */
    uint64_t quote_line;    /* line where the open quoted field starts */
    int skip;               /* physical lines still to skip */
    bool mid_line;          /* last byte fed was not an LF */
    bool bom_check;         /* nothing fed yet: look for a UTF-8 BOM */
    bool header_due;        /* next row is the header */
    /* The current row: field bytes in arena, field i at off[i], length f[i].n. */
    char *arena;            /* owned */
    size_t alen, acap;
    slice *f;               /* owned */
    size_t *off;            /* owned */
    size_t nf, fcap;
    bool too_long;
    bool enc_bad;           /* text not valid in the file's encoding: the file is unreadable */
    uint64_t enc_line;      /* where */
    unsigned first2;        /* the file's first two bytes (to name UTF-16), 0 before */
    bool first_read;
    bool direct;            /* fields point into the block (fast path), not the arena */
    /* Raw text: borrowed from the block (raw_own false) or copied to raw_buf. */
    const char *raw_p;
    size_t raw_n;
    bool raw_own;
    char raw_buf[INGEST_MAX_RAW + 8];
} csvr;

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

/* ---- the row under construction ---------------------------------------- */

/* Forgets the current row's fields and flags; keeps the buffers for reuse. */
static void csvr_row_reset(csvr *r)
{
    r->alen = r->nf = 0;
    r->too_long = r->direct = false;
}

/* Makes room for `n` more arena bytes and one more field (n is capped). */
static void csvr_row_grow(csvr *r, size_t n)
{
    if (r->alen + n > r->acap) {
        size_t cap = r->acap;
        while (cap < r->alen + n)
            cap *= 2; /* alen + n <= CSVR_MAX_ROW: no overflow */
        r->arena = xrealloc(r->arena, cap);
        r->acap = cap;
    }
    if (r->nf == r->fcap) {
        r->fcap *= 2; /* at most CSVR_MAX_FIELDS */
        r->f = xrealloc(r->f, r->fcap * sizeof *r->f);
        r->off = xrealloc(r->off, r->fcap * sizeof *r->off);
    }
}

/*
 * Keeps one field: copies it into the row arena (the caller's buffer may be
 * reused at once). A field, row or field count over the caps marks the row
 * too long and stops storing it.
 */
static inline void csvr_keep(csvr *r, const char *s, size_t len)
{
    if (r->too_long)
        return;
    if (len > INGEST_MAX_FIELD || r->nf == CSVR_MAX_FIELDS || len > CSVR_MAX_ROW - r->alen) {
        r->too_long = true;
        return;
    }
    if (r->alen + len > r->acap || r->nf == r->fcap)
        csvr_row_grow(r, len);
    memcpy(r->arena + r->alen, s, len);
    r->off[r->nf] = r->alen;
    r->f[r->nf++].n = len;
    r->alen += len;
}

/* ---- raw text ------------------------------------------------------------ */

/* Starts the raw text of a new row (the bytes fed so far were blank). */
static void csvr_raw_reset(csvr *r)
{
    r->raw_n = 0;
    r->raw_own = false;
}

/*
 * Appends to raw_buf, keeping at most INGEST_MAX_RAW + 3 bytes: room for a
 * CRLF line end plus one byte that shows the text goes on (cut on view).
 */
static void csvr_raw_copy(csvr *r, const char *p, size_t n)
{
    size_t room = INGEST_MAX_RAW + 3 - r->raw_n;
    if (n > room)
        n = room;
    memcpy(r->raw_buf + r->raw_n, p, n);
    r->raw_n += n;
}

/*
 * Adds bytes the parser is about to see. Within one feed the pieces are
 * contiguous, so a borrowed raw just grows; an owned raw copies (capped).
 */
static void csvr_raw_add(csvr *r, const char *p, size_t n)
{
    if (r->raw_own) {
        csvr_raw_copy(r, p, n);
    } else if (r->raw_n == 0) {
        r->raw_p = p, r->raw_n = n;
    } else {
        r->raw_n += n;
    }
}

/* Copies a borrowed raw into raw_buf, before its buffer is reused. */
static void csvr_raw_own(csvr *r)
{
    const char *p = r->raw_p;
    size_t n = r->raw_n;
    r->raw_n = 0;
    r->raw_own = true;
    csvr_raw_copy(r, p, n);
}

/*
 * The raw text for delivery: line end dropped; over INGEST_MAX_RAW it is
 * cut at a UTF-8 character boundary and "..." appended (in raw_buf).
 */
static slice csvr_raw_view(csvr *r)
{
    const char *p = r->raw_own ? r->raw_buf : r->raw_p;
    size_t n = r->raw_n;
    if (n && p[n - 1] == '\n')
        n--;
    if (n && p[n - 1] == '\r')
        n--;
    if (n <= INGEST_MAX_RAW)
        return (slice){p, n};
    n = INGEST_MAX_RAW;
    while (n > 0 && (p[n] & 0xC0) == 0x80)
        n--;
    memmove(r->raw_buf, p, n);
    memcpy(r->raw_buf + n, "...", 3);
    return (slice){r->raw_buf, n + 3};
}

/* ---- delivery -------------------------------------------------------------- */

/*
 * Row end: points the slices into the arena unless they point into the
 * block already, calls the caller's function (unless it asked to stop
 * before), then resets the row.
 */
static void csvr_row(csvr *r)
{
    if (!r->rc) {
        ingest_row row = {.fields = r->f, .line = r->row_line, .raw = csvr_raw_view(r)};
        row.status = r->too_long ? ROW_FIELD_TOO_LONG : ROW_OK;
        row.n_fields = r->too_long ? 0 : r->nf;
        for (size_t i = 0; i < row.n_fields && !r->direct; i++)
            r->f[i].p = r->arena + r->off[i];
        row.is_header = r->header_due;
        r->st->rows += !r->header_due;
        r->header_due = false;
        r->rc = r->fn(r->ctx, &row);
    }
    csvr_row_reset(r);
}

/* ---- the byte splitter ---------------------------------------------------- */

/* True for the blanks trimmed around unquoted fields (unless one is the delimiter). */
static inline bool csvr_blank(const csvr *r, unsigned char c)
{
    return (c == ' ' || c == '\t') && c != r->delim;
}

/* Appends one byte to the field being built; past INGEST_MAX_FIELD it is only counted. */
static inline void csvr_entry_add(csvr *r, unsigned char c)
{
    if (r->elen < INGEST_MAX_FIELD)
        r->entry[r->elen] = (char)c;
    r->elen++;
}

/*
 * Ends the field being built: an unquoted one loses its trailing blanks.
 * Longer than INGEST_MAX_FIELD, it marks the row too long; else it is kept.
 */
static void csvr_entry_end(csvr *r)
{
    size_t len = r->elen - (r->quoted ? 0 : r->spaces);
    if (len > INGEST_MAX_FIELD)
        r->too_long = true;
    else
        csvr_keep(r, r->entry, len);
    r->ps = CSVR_FIELD_NOT_BEGUN;
    r->elen = r->spaces = 0;
    r->quoted = false;
}

/* Ends the row after its last field. */
static void csvr_entry_row(csvr *r)
{
    csvr_row(r);
    r->ps = CSVR_ROW_NOT_BEGUN;
}

/* A quoted field ends at its closing quote: that quote and the blanks after it go. */
static void csvr_entry_unquote(csvr *r)
{
    r->elen -= r->spaces + 1; /* the quote was added, so elen > spaces */
    r->spaces = 0;
}

/* A byte between fields (or rows): blanks skipped, line ends, delimiters, a field begun. */
static void csvr_byte_between(csvr *r, unsigned char c)
{
    if (csvr_blank(r, c))
        return;
    if (c == '\r' || c == '\n') {
        if (r->ps == CSVR_FIELD_NOT_BEGUN) { /* a blank line is no row */
            csvr_entry_end(r);
            csvr_entry_row(r);
        }
    } else if (c == r->delim) {
        csvr_entry_end(r);
    } else if ((int)c == r->quote) {
        r->ps = CSVR_FIELD_BEGUN;
        r->quoted = true;
        r->quote_line = r->line;
    } else {
        r->ps = CSVR_FIELD_BEGUN;
        r->quoted = false;
        csvr_entry_add(r, c);
    }
}

/* A byte inside a field. */
static void csvr_byte_in(csvr *r, unsigned char c)
{
    if ((int)c == r->quote) {
        csvr_entry_add(r, c);
        if (r->quoted)
            r->ps = CSVR_FIELD_MIGHT_HAVE_ENDED;
        else
            r->spaces = 0;
    } else if (!r->quoted && (c == r->delim || c == '\r' || c == '\n')) {
        csvr_entry_end(r);
        if (c != r->delim)
            csvr_entry_row(r);
    } else {
        csvr_entry_add(r, c);
        r->spaces = !r->quoted && csvr_blank(r, c) ? r->spaces + 1 : 0;
    }
}

/* A byte after a quote inside a quoted field: the field's end, "" or stray text. */
static void csvr_byte_after_quote(csvr *r, unsigned char c)
{
    if (c == r->delim || c == '\r' || c == '\n') {
        csvr_entry_unquote(r);
        csvr_entry_end(r);
        if (c != r->delim)
            csvr_entry_row(r);
    } else if (csvr_blank(r, c)) {
        csvr_entry_add(r, c);
        r->spaces++;
    } else if ((int)c == r->quote) {
        if (r->spaces) { /* a quote after blanks is kept; the field may still end */
            r->spaces = 0;
            csvr_entry_add(r, c);
        } else { /* "": the quote added before stands for both */
            r->ps = CSVR_FIELD_BEGUN;
        }
    } else { /* text after the quote: kept with it, still a quoted field */
        r->ps = CSVR_FIELD_BEGUN;
        r->spaces = 0;
        csvr_entry_add(r, c);
    }
}

/* Splits one piece of text a byte at a time. */
static void csvr_bytes(csvr *r, const char *p, size_t n)
{
    for (const unsigned char *s = (const unsigned char *)p, *e = s + n; s < e; s++) {
        switch (r->ps) {
        case CSVR_ROW_NOT_BEGUN:
        case CSVR_FIELD_NOT_BEGUN: csvr_byte_between(r, *s); break;
        case CSVR_FIELD_BEGUN: csvr_byte_in(r, *s); break;
        case CSVR_FIELD_MIGHT_HAVE_ENDED: csvr_byte_after_quote(r, *s); break;
        }
    }
}

/* End of text: a field still being built (not an open quoted one) ends the last row. */
static void csvr_bytes_end(csvr *r)
{
    if (r->ps == CSVR_ROW_NOT_BEGUN)
        return;
    if (r->ps == CSVR_FIELD_MIGHT_HAVE_ENDED)
        csvr_entry_unquote(r);
    csvr_entry_end(r);
    csvr_entry_row(r);
}

/*
 * True when a whole line (LF included, nothing of it fed yet) has no CR but
 * the one of a final CRLF: the fast paths take only such lines.
 */
static bool csvr_one_line(const char *p, size_t n)
{
    const char *cr = memchr(p, '\r', n);
    return !cr || cr == p + n - 2;
}

/*
 * Keeps the field p..e as it is, as a slice straight into the block: no
 * copy, the block outlives the row callback. Over CSVR_MAX_FIELDS marks the
 * row too long.
 */
static inline void csvr_keep_span(csvr *r, const char *p, const char *e)
{
    if (r->nf == CSVR_MAX_FIELDS) {
        r->too_long = true;
        return;
    }
    if (r->nf == r->fcap)
        csvr_row_grow(r, 0);
    r->f[r->nf].p = p;
    r->f[r->nf++].n = (size_t)(e - p);
}

/* Keeps the unquoted field p..e with its blanks trimmed, as libcsv does. */
static inline void csvr_keep_direct(csvr *r, const char *p, const char *e)
{
    while (p < e && csvr_blank(r, *p))
        p++;
    while (e > p && csvr_blank(r, e[-1]))
        e--;
    csvr_keep_span(r, p, e);
}

/*
 * The fast path, several times faster than libcsv's byte loop: splits a
 * plain line (line end dropped) at each delimiter with memchr and delivers
 * it; a blank line is no row, as in libcsv.
 */
static void csvr_split(csvr *r, const char *p, size_t n)
{
    const char *end = p + n, *d;
    char delim = (char)r->delim;
    while ((d = memchr(p, delim, (size_t)(end - p))) != NULL) {
        csvr_keep_direct(r, p, d);
        p = d + 1;
    }
    csvr_keep_direct(r, p, end);
    r->direct = true;
    if (r->nf == 1 && r->f[0].n == 0 && !r->too_long)
        csvr_row_reset(r);
    else
        csvr_row(r);
}

/*
 * The fast path for a line with quotes (line end dropped), as RFC 4180
 * exports write them: every field either unquoted without a quote byte, or
 * quoted from its first byte to a closing quote that the delimiter or the
 * line end follows, with no quote inside. libcsv gives such a field's inner
 * bytes unchanged and trims the unquoted ones, so the fields point into the
 * block as on the plain path. Anything else - a doubled quote, blanks around
 * a quoted field, a quote inside an unquoted field, a field still open at
 * the line end - returns false with nothing kept, for libcsv to parse.
 */
static bool csvr_quoted_split(csvr *r, const char *p, size_t n)
{
    const char *end = p + n, *e;
    char delim = (char)r->delim, q = (char)r->quote;
    for (;; p = e + 1) {
        if (p < end && *p == q) {
            const char *c = memchr(p + 1, q, (size_t)(end - p - 1));
            e = c ? c + 1 : NULL;
            if (!e || (e < end && *e != delim))
                return csvr_row_reset(r), false;
            csvr_keep_span(r, p + 1, c);
        } else {
            e = memchr(p, delim, (size_t)(end - p));
            e = e ? e : end;
            if (memchr(p, q, (size_t)(e - p)))
                return csvr_row_reset(r), false;
            csvr_keep_direct(r, p, e);
        }
        if (e == end)
            break;
    }
    r->direct = true;
    csvr_row(r);
    return true;
}

/*
 * Parses one piece of one line: notes where a row starts, keeps its raw
 * text, then takes a fast path or the byte splitter.
 */
static void csvr_parse(csvr *r, char *p, size_t n, bool eol)
{
    bool fresh = r->ps == CSVR_ROW_NOT_BEGUN;
    if (fresh) {
        r->row_line = r->line;
        csvr_raw_reset(r);
    }
    csvr_raw_add(r, p, n);
    size_t text = n - 1 - (n > 1 && p[n - 2] == '\r'); /* line end dropped */
    if (!fresh || !eol || !csvr_one_line(p, n))
        csvr_bytes(r, p, n);
    else if (r->quote == CSVR_NO_QUOTE || !memchr(p, r->quote, text))
        csvr_split(r, p, text);
    else if (!csvr_quoted_split(r, p, text))
        csvr_bytes(r, p, n);
}

/* Handles one piece of a line (eol: it ends with the LF): skip or parse. */
static void csvr_piece(csvr *r, char *p, size_t n, bool eol)
{
    if (r->skip == 0)
        csvr_parse(r, p, n, eol);
    else if (eol) {
        r->skip--;
        r->st->skipped++;
    }
    r->mid_line = !eol;
    if (eol) {
        r->line++;
        r->st->lines++;
    }
}

/* Drops a UTF-8 BOM at the very start of the (converted) text. */
static size_t csvr_bom(csvr *r, const char *p, size_t n)
{
    r->bom_check = false;
    return n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

/*
 * Feeds a run of UTF-8 text line by line (pieces of at most CSVR_PIECE).
 * The run's buffer is reused after the call, so a row still open at the end
 * gets its raw text copied. Stops early once the callback asked to stop.
 */
static void csvr_feed(csvr *r, char *p, size_t n)
{
    if (r->bom_check && n) {
        size_t b = csvr_bom(r, p, n);
        p += b, n -= b;
    }
    while (n > 0 && !r->rc) {
        size_t len = n < CSVR_PIECE ? n : CSVR_PIECE;
        char *lf = memchr(p, '\n', len);
        if (lf)
            len = (size_t)(lf - p) + 1;
        csvr_piece(r, p, len, lf != NULL);
        p += len, n -= len;
    }
    if (r->ps != CSVR_ROW_NOT_BEGUN && !r->raw_own)
        csvr_raw_own(r);
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
