/*
 * ingest_csv_split.c - the CSV reader's splitter: text in, rows out.
 *
 * ingest_csv.c hands checked UTF-8 text to csvr_feed, which cuts it into
 * physical lines (long lines in CSVR_PIECE pieces) and takes a fast path or
 * the byte splitter for each (see ingest_csv.c's comment for both and for
 * the libcsv-compatible reading). Rows go to the reader's callback with
 * their line and raw text. Memory: the reader's row arena, entry buffer and
 * raw text buffer, all owned by the csvr (ingest_csv.c frees them).
 */
#include <string.h>

#include "ingest_csv_int.h"

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
void csvr_bytes_end(csvr *r)
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
void csvr_feed(csvr *r, char *p, size_t n)
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
