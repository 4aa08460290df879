/*
 * ingest_json.c - the streaming JSON reader of ingest.h, built on yajl 2.
 *
 * The drop is read through ingest_source.h (so gzip is transparent) in
 * JR_BLOCK blocks. Every byte first passes a small scanner (jr_feed) that
 * checks UTF-8, refuses NUL bytes and follows string boundaries; the bytes
 * then go to yajl, whose callbacks (ingest_json_rec.c) keep a stack of open
 * containers and the wanted values of the record being read (matched and
 * kept by ingest_json_path.c). This file: the scanner, blocks. NDJSON lines
 * are cut in ingest_json_lines.c, which hands each whole line to the fast
 * path (ingest_json_fast.c) first and to the scanner and yajl when it
 * declines.
 *
 *   array and document layouts: one yajl parse over the whole file. A record
 *     is an element of the records array; it is delivered from the callback
 *     that ends it. Its raw text runs from its first byte to its last, found
 *     with yajl_get_bytes_consumed (the offset, within the buffer given to
 *     the running yajl_parse, just past the token a callback is about); a
 *     record that spans blocks has its start copied to `raw` at block end.
 *   NDJSON: the file is cut at each LF; a line is parsed on its own, so a
 *     bad line is one bad row. One yajl handle (multiple values allowed)
 *     serves every good line; a bad line's handle is dropped and replaced.
 *
 * Memory: the block, the raw text (INGEST_MAX_RAW), the wanted values (each
 * at most INGEST_MAX_FIELD), yajl's stack (depth is capped at 64) and yajl's
 * token buffer: a string whose escaped text passes JR_STR_CAP has its middle
 * withheld from yajl (the scanner still checks it), so no token grows past
 * that; such a string decodes to over INGEST_MAX_FIELD bytes in any case
 * (an escape is at most 6 bytes for 1). Likewise a run of more than
 * INGEST_MAX_FIELD digits. The value is then marked too long.
 *
 * Positions: lines are counted by LF through a cursor (jr_line) that only
 * moves forward; columns are 1-based byte offsets within the line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "ingest_json_int.h"

/* ---- yajl ------------------------------------------------------------------------ */

/* yajl's allocator: the x* functions, so out of memory exits as everywhere else. */
static void *jr_yalloc(void *ctx, size_t n)
{
    (void)ctx;
    return xmalloc(n);
}

static void *jr_yrealloc(void *ctx, void *p, size_t n)
{
    (void)ctx;
    return xrealloc(p, n);
}

static void jr_yfree(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

/* A new parser (out of memory exits). The scanner checks UTF-8, so yajl need not. */
yajl_handle jr_handle(jr *r)
{
    yajl_alloc_funcs af = {jr_yalloc, jr_yrealloc, jr_yfree, NULL};
    yajl_handle h = yajl_alloc(&jr_callbacks, &af, r);
    if (!h) {
        fputs("settle: out of memory\n", stderr);
        exit(EXIT_FAILED);
    }
    yajl_config(h, yajl_dont_validate_strings, 1);
    if (r->layout == JL_NDJSON) {
        yajl_config(h, yajl_allow_multiple_values, 1);
        yajl_config(h, yajl_allow_partial_values, 1); /* jr_line_close judges open lines */
    }
    return h;
}

/*
 * After yajl_parse or yajl_complete_parse returned `s`: a syntax error is
 * reported at the last byte yajl took (the bad character, or the end of the
 * bad token); at the end of the file, just past the last byte. A cancel has
 * its reason set already.
 */
void jr_parsed(jr *r, yajl_status s)
{
    if (s != yajl_status_error)
        return;
    size_t used = yajl_get_bytes_consumed(r->h);
    uint64_t at = r->call_base + (used ? used - 1 : 0); /* the last byte yajl took */
    unsigned char *m = yajl_get_error(r->h, 0, NULL, 0);
    char msg[256];
    snprintf(msg, sizeof msg, "%s", m ? (const char *)m : "syntax error");
    msg[strcspn(msg, "\n")] = 0;
    if (m)
        yajl_free_error(r->h, m);
    if (strstr(msg, "premature EOF") && r->layout != JL_NDJSON)
        snprintf(msg, sizeof msg, "file ends in the middle of %s (truncated?)",
                 r->in_rec ? "a record" : r->layout == JL_DOC ? "the document" : "the array");
    jr_syntax(r, at, msg);
}

/* Gives blk[from, to) to yajl, unless this NDJSON line is already bad. */
static void jr_parse(jr *r, size_t from, size_t to)
{
    if (from >= to || r->ln_dead || jr_halt(r))
        return;
    r->call_base = r->base + from;
    jr_parsed(r, yajl_parse(r->h, (const unsigned char *)r->blk + from, to - from));
}

/* ---- the scanner ------------------------------------------------------------------ */

/*
 * One byte inside a string: follows escapes. Returns 1 at the closing quote,
 * a negative code for a byte JSON forbids there (see jr_str_error), else 0.
 */
static int jr_str_byte(jscan *s, unsigned char c)
{
    s->str_len++;
    if (c < 0x20)
        return -1;
    if (s->hex) {
        s->hex--;
        return strchr("0123456789abcdefABCDEF", c) ? 0 : -2;
    }
    if (s->bs) {
        s->bs = false;
        s->hex = c == 'u' ? 4 : 0;
        return strchr("\"\\/bfnrtu", c) ? 0 : -3;
    }
    if (c == '\\')
        s->bs = true;
    else if (c == '"')
        return s->in_str = false, 1;
    return 0;
}

/* yajl's words for what jr_str_byte refused in a withheld string. */
static const char *jr_str_error(int code)
{
    return code == -1   ? "lexical error: invalid character inside string."
           : code == -2 ? "lexical error: invalid (non-hex) character occurs after '\\u' inside "
                          "string."
                        : "lexical error: inside a string, '\\' occurs before a character which "
                          "it may not.";
}

/* A byte that is not UTF-8 (or NUL) at block offset i: the file is unreadable. */
static void jr_bad_text(jr *r, size_t i, unsigned char c)
{
    uint64_t at = r->base + i;
    unsigned long long l = jr_line(r, at), col = jr_col(r, at);
    if (c == 0 && !r->sc.u8.need)
        jr_fatal(r, "line %llu, column %llu: NUL byte (UTF-16 text? JSON drops must be UTF-8)", l,
                 col);
    else
        jr_fatal(r, "line %llu: text is not valid UTF-8 (wrong encoding?)", l);
}

/* True when a string is long enough to cut before byte c, and may be cut there. */
static bool jr_cut_here(const jscan *s, unsigned char c)
{
    return s->str_len >= JR_STR_CAP && !s->bs && !s->hex && c != '"' && (c & 0xC0) != 0x80;
}

/* True for a control byte yajl would take as white space although JSON does not (\f, \v). */
static bool jr_bad_blank(unsigned char c)
{
    return c < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

/* True for an ASCII byte that is neither a quote, a backslash nor a control byte. */
static inline bool jr_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/*
 * The fast path: skips the run of plain bytes at b[i..], counting it into an
 * open string (no further than JR_STR_CAP) or into a run of digits (stopping
 * at a digit past INGEST_MAX_FIELD). Returns the offset after the run (i when
 * a cap stops it at once: jr_feed's slow path then withholds).
 */
static size_t jr_plain_run(jscan *s, const unsigned char *b, size_t i, size_t to)
{
    size_t j = i;
    if (s->in_str) {
        size_t room = s->str_len < JR_STR_CAP ? JR_STR_CAP - s->str_len : 0;
        size_t end = to - i > room ? i + room : to;
        while (j < end && jr_plain(b[j]))
            j++;
        s->str_len += j - i;
        return j;
    }
    for (; j < to && jr_plain(b[j]); j++) {
        if (b[j] < '0' || b[j] > '9')
            s->digits = 0;
        else if (s->digits == INGEST_MAX_FIELD)
            break;
        else
            s->digits++;
    }
    return j;
}

/*
 * A byte the scanner refuses at block offset i (yajl would accept it or
 * never see it): yajl gets what comes before, then the syntax error is
 * reported unless yajl found an earlier one. Nothing more of the range goes
 * to yajl (*seg = to).
 */
static void jr_refuse(jr *r, size_t *seg, size_t i, size_t to, const char *msg)
{
    if (!r->sc.hold)
        jr_parse(r, *seg, i);
    r->sc.hold = JH_NONE;
    *seg = to;
    if (!jr_halt(r))
        jr_syntax(r, r->base + i, msg);
}

/*
 * Starts withholding at block offset i (a string or a run of digits passed
 * its cap): yajl gets what comes before; its next value is marked cut.
 */
static void jr_hold(jr *r, size_t seg, size_t i, int what)
{
    if (!r->sc.hold)
        jr_parse(r, seg, i);
    r->sc.hold = (uint8_t)what;
    r->cut = true;
}

/*
 * A byte outside strings (slow path): opens a string, withholds a digit past
 * the cap, refuses \f and \v. Ends withholding at a digit run's end.
 */
static void jr_outside(jr *r, size_t *seg, size_t i, size_t to, unsigned char c)
{
    jscan *s = &r->sc;
    bool digit = c >= '0' && c <= '9';
    if (s->hold == JH_DIGITS && !digit) {
        s->hold = JH_NONE;
        *seg = i; /* the number goes on, or ends, here */
    }
    if (!digit)
        s->digits = 0;
    else if (s->digits < INGEST_MAX_FIELD)
        s->digits++;
    else if (!s->hold)
        jr_hold(r, *seg, i, JH_DIGITS);
    if (c == '"')
        *s = (jscan){.u8 = s->u8, .in_str = true};
    else if (jr_bad_blank(c))
        jr_refuse(r, seg, i, to, "lexical error: invalid char in json text.");
}

/*
 * A byte inside a string (slow path): withholds from a safe cut point past
 * JR_STR_CAP to the closing quote, and checks withheld bytes as yajl would.
 */
static void jr_inside(jr *r, size_t *seg, size_t i, size_t to, unsigned char c)
{
    jscan *s = &r->sc;
    if (!s->hold && jr_cut_here(s, c))
        jr_hold(r, *seg, i, JH_STRING);
    int v = jr_str_byte(s, c);
    if (s->hold && v > 0) {
        s->hold = JH_NONE;
        *seg = i; /* the closing quote goes to yajl */
    } else if (s->hold && v < 0) {
        jr_refuse(r, seg, i, to, jr_str_error(v));
    }
}

/*
 * Checks blk[from, to) byte by byte and gives it to yajl, withholding the
 * middle of an over-long string or digit run (yajl's token buffer stays
 * bounded; the value is marked cut, so too long). Returns jr_halt: 0 to go on.
 */
int jr_feed(jr *r, size_t from, size_t to)
{
    jscan *s = &r->sc;
    const unsigned char *b = (const unsigned char *)r->blk;
    size_t seg = from;
    for (size_t i = from; i < to; i++) {
        unsigned char c = b[i];
        if (!s->hold && !s->bs && !s->hex && !s->u8.need && jr_plain(c)) {
            size_t j = jr_plain_run(s, b, i, to);
            if (j > i) {
                i = j - 1;
                continue;
            }
        }
        if ((c >= 0x80 || c == 0 || s->u8.need) && (c == 0 || !ju8_step(&s->u8, c))) {
            if (!s->hold)
                jr_parse(r, seg, i);
            if (!jr_halt(r))
                jr_bad_text(r, i, c);
            return jr_halt(r);
        }
        if (s->in_str)
            jr_inside(r, &seg, i, to, c);
        else
            jr_outside(r, &seg, i, to, c);
        if (jr_halt(r))
            return jr_halt(r);
    }
    if (!s->hold)
        jr_parse(r, seg, to);
    return jr_halt(r);
}

/* ---- the file ------------------------------------------------------------------------- */

/*
 * Compiles the wanted paths; control paths hang from the document's root in
 * that layout. A NULL path matches nothing (its field is always empty).
 */
static void jr_paths(jr *r)
{
    for (size_t i = 0; i < r->n_paths; i++)
        if (r->paths[i])
            jt_add(&r->trie, JT_RECORD, r->paths[i], (int)i);
    for (size_t i = 0; i < r->n_control; i++)
        if (r->control[i])
            jt_add(&r->trie, r->layout == JL_DOC ? JT_DOC : JT_RECORD, r->control[i],
                   (int)(r->n_paths + i));
    if (r->layout == JL_DOC)
        jt_add(&r->trie, JT_DOC, r->records, -1);
}

/* The first block: drops a UTF-8 BOM, refuses UTF-16 and UTF-32. Offset to go on from, or -1. */
static long jr_bom(jr *r)
{
    const unsigned char *b = (const unsigned char *)r->blk;
    if (r->n >= 4 && (memcmp(b, "\0\0\xFE\xFF", 4) == 0 || memcmp(b, "\xFF\xFE\0\0", 4) == 0)) {
        jr_fatal(r, "line 1, column 1: UTF-32 text; JSON drops must be UTF-8");
        return -1;
    }
    if (r->n >= 2 && ((b[0] == 0xFE && b[1] == 0xFF) || (b[0] == 0xFF && b[1] == 0xFE))) {
        jr_fatal(r, "line 1, column 1: UTF-16 text; JSON drops must be UTF-8");
        return -1;
    }
    if (r->n >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0) {
        r->pos = r->line_start = 3;
        return 3;
    }
    return 0;
}

/*
 * Finds the layout from the first byte at or after `from` that is not white
 * space, and sets up for it. Returns that byte's offset, r->n when the block
 * holds none, or -1 (not JSON).
 */
static long jr_detect(jr *r, size_t from)
{
    size_t i = from;
    while (i < r->n && (r->blk[i] == ' ' || r->blk[i] == '\t' || r->blk[i] == '\r' ||
                        r->blk[i] == '\n'))
        i++;
    if (i == r->n)
        return (long)i;
    unsigned char c = (unsigned char)r->blk[i];
    uint64_t at = r->base + i;
    if (c == '[' || c == '{') {
        r->layout = c == '[' ? JL_ARRAY : r->records ? JL_DOC : JL_NDJSON;
        r->doc_line = jr_line(r, at);
        r->h = r->layout == JL_NDJSON ? NULL : jr_handle(r);
        jr_paths(r);
        return (long)i;
    }
    unsigned long long l = jr_line(r, at), col = jr_col(r, at);
    if (c == 0)
        jr_bad_text(r, i, c);
    else if (c >= 0x20 && c < 0x7F)
        jr_fatal(r, "line %llu, column %llu: not JSON (starts with '%c')", l, col, c);
    else
        jr_fatal(r, "line %llu, column %llu: not JSON (starts with byte 0x%02X)", l, col, c);
    return -1;
}

/* Reads up to JR_BLOCK bytes (the source may give fewer at once). Count, 0 at the end, or -1. */
static ssize_t jr_fill(jr *r)
{
    size_t got = 0;
    while (got < JR_BLOCK) {
        ssize_t k = source_read(r->src, r->blk + got, JR_BLOCK - got, r->err, r->errlen);
        if (k < 0)
            return -1;
        if (k == 0)
            break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

/*
 * End of file: completes the parse (a file ending inside a value is
 * unreadable), then the document's checks and control-totals trailer.
 * Returns 0 or jr_halt's value.
 */
static int jr_finish(jr *r)
{
    r->st->lines = r->line - 1 + (r->pos > r->line_start);
    if (r->layout == JL_NONE)
        return 0;
    if (r->layout == JL_NDJSON && r->ln_open)
        jr_line_close(r, r->base, true);
    if (r->layout != JL_NDJSON) {
        r->call_base = r->base;
        jr_parsed(r, yajl_complete_parse(r->h));
    }
    if (!jr_halt(r) && r->sc.u8.need)
        jr_fatal(r, "line %llu: text is not valid UTF-8 (wrong encoding?)",
                 (unsigned long long)r->line);
    if (!jr_halt(r) && r->layout == JL_DOC && !r->records_found)
        jr_fatal(r, "no records array at '%s' in the document", r->records);
    else if (!jr_halt(r) && r->layout == JL_DOC && r->n_control)
        jr_emit(r, &r->doc, true, r->doc_line, (slice){"", 0});
    return jr_halt(r);
}

/* The block is done: keeps an open record's text, moves the line cursor to its end. */
static void jr_block_end(jr *r)
{
    if (r->layout != JL_NDJSON)
        jr_cap_to(r, r->base + r->n);
    jr_line(r, r->base + r->n);
}

/* Reads the file block by block into the layout's reader. Returns 0, rc or -1. */
static int jr_run(jr *r)
{
    for (bool first = true;; first = false) {
        r->base += r->n;
        r->n = 0;
        ssize_t k = jr_fill(r);
        r->st->bytes = source_file_bytes(r->src);
        if (k <= 0)
            return k < 0 ? -1 : jr_finish(r);
        r->n = (size_t)k;
        long from = first ? jr_bom(r) : 0;
        if (from >= 0 && r->layout == JL_NONE)
            from = jr_detect(r, (size_t)from);
        if (from < 0)
            return -1;
        if (r->layout == JL_NDJSON)
            jr_ndjson(r, (size_t)from);
        else if (r->layout != JL_NONE)
            jr_feed(r, (size_t)from, r->n);
        if (jr_halt(r))
            return jr_halt(r);
        jr_block_end(r);
    }
}

/* The header row: the wanted paths themselves. Returns the callback's value. */
static int jr_header(jr *r)
{
    for (size_t i = 0; i < r->n_paths; i++)
        r->fields[i] = r->paths[i] ? (slice){r->paths[i], strlen(r->paths[i])} : (slice){"", 0};
    ingest_row row = {.fields = r->fields, .n_fields = r->n_paths, .line = 1,
                      .raw = {"", 0}, .is_header = true};
    return r->rc = r->fn(r->ctx, &row);
}

/* Allocates a reader for one call; the caller's strings are borrowed, the rest owned. */
static jr *jr_new(const json_options *o, const char *const *paths, size_t n_paths,
                  const char *const *control, size_t n_control)
{
    jr *r = xcalloc(1, sizeof *r);
    r->paths = paths, r->n_paths = n_paths;
    r->control = control, r->n_control = n_control;
    r->records = o && o->records && *o->records ? o->records : NULL;
    jt_init(&r->trie, n_paths + n_control);
    js_init(&r->rec, n_paths + n_control);
    js_init(&r->doc, n_paths + n_control);
    r->fields = xcalloc(n_paths > n_control ? n_paths : n_control ? n_control : 1,
                        sizeof *r->fields);
    r->blk = xmalloc(JR_BLOCK);
    r->line = 1;
    return r;
}

/* Releases everything the reader owns and closes the file. */
static void jr_free(jr *r)
{
    source_close(r->src);
    if (r->h)
        yajl_free(r->h);
    jt_free(&r->trie);
    js_free(&r->rec);
    js_free(&r->doc);
    free(r->fields);
    free(r->blk);
    free(r);
}

/*
 * See ingest.h. The reader owns every buffer and frees them all before
 * returning, on every path; rows' slices borrow from them during callbacks.
 */
int ingest_json_file(const char *path, const json_options *o, const char *const *paths,
                     size_t n_paths, const char *const *control, size_t n_control,
                     ingest_row_fn fn, void *ctx, ingest_stats *stats, char *err, size_t errlen)
{
    ingest_stats local;
    memset(stats ? stats : &local, 0, sizeof local);
    if (err && errlen)
        err[0] = 0;
    jr *r = jr_new(o, paths, n_paths, control, n_control);
    r->fn = fn, r->ctx = ctx, r->st = stats ? stats : &local;
    r->err = err, r->errlen = errlen;
    int rc = -1;
    r->src = source_open(path, err, errlen);
    if (r->src)
        rc = jr_header(r);
    if (r->src && rc == 0)
        rc = jr_run(r);
    jr_free(r);
    return rc;
}
