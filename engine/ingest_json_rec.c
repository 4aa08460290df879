/*
 * ingest_json_rec.c - the JSON reader's records (see ingest_json.c): yajl's
 * callbacks keep the stack of open containers, match wanted paths, collect
 * a record's values and raw text, and deliver rows; plus the positions and
 * error reporting both files share.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_json_int.h"

/* Marks the file unreadable with a one-line reason in err (first reason wins). */
void jr_fatal(jr *r, const char *fmt, ...)
{
    if (r->fatal)
        return;
    r->fatal = true;
    if (!r->err || !r->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, r->errlen, fmt, ap);
    va_end(ap);
}

/* ---- positions ------------------------------------------------------------- */

/* Moves the line cursor to file offset `at` (clamped to the block); returns its line. */
uint64_t jr_line(jr *r, uint64_t at)
{
    uint64_t end = r->base + r->n;
    if (at > end)
        at = end;
    while (r->pos < at) {
        const char *p = r->blk + (r->pos - r->base);
        const char *lf = memchr(p, '\n', at - r->pos);
        if (!lf) {
            r->pos = at;
            break;
        }
        r->pos = r->base + (uint64_t)(lf - r->blk) + 1;
        r->line++;
        r->line_start = r->pos;
    }
    return r->line;
}

/* Column (1-based, in bytes) of `at`, after jr_line(at). */
uint64_t jr_col(const jr *r, uint64_t at)
{
    return at >= r->line_start ? at - r->line_start + 1 : 1;
}

/*
 * A syntax problem at `at`: in NDJSON it makes this line a bad row (reason
 * kept in `problem`); otherwise the file is unreadable.
 */
void jr_syntax(jr *r, uint64_t at, const char *msg)
{
    unsigned long long l = jr_line(r, at), c = jr_col(r, at);
    if (r->layout != JL_NDJSON) {
        jr_fatal(r, "line %llu, column %llu: %s", l, c, msg);
        return;
    }
    if (!r->ln_dead)
        snprintf(r->problem, sizeof r->problem, "line %llu, column %llu: %s", l, c, msg);
    r->ln_dead = true;
}

/* ---- raw text ---------------------------------------------------------------- */

/* Starts a record's raw text at file offset `at` (in the current block). */
static void jr_cap_mark(jr *r, uint64_t at)
{
    r->cap_on = true;
    r->cap_from = at;
    r->raw_n = 0;
}

/*
 * Appends p[0..n) to the raw text, keeping one byte past INGEST_MAX_RAW to
 * show it goes on. Outside NDJSON, blanks and the separating comma before
 * an element are dropped.
 */
void jr_raw_add(jr *r, const char *p, size_t n)
{
    if (r->layout != JL_NDJSON)
        while (r->raw_n == 0 && n && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' ||
                                      *p == ','))
            p++, n--;
    size_t room = INGEST_MAX_RAW + 1 - r->raw_n;
    if (n > room)
        n = room;
    memcpy(r->raw + r->raw_n, p, n);
    r->raw_n += n;
}

/* Captures the block's bytes from cap_from up to file offset `to`. */
void jr_cap_to(jr *r, uint64_t to)
{
    if (r->cap_from < r->base)
        r->cap_from = r->base;
    if (to > r->base + r->n)
        to = r->base + r->n;
    if (!r->cap_on || to <= r->cap_from)
        return;
    jr_raw_add(r, r->blk + (r->cap_from - r->base), (size_t)(to - r->cap_from));
    r->cap_from = to;
}

/* The raw text for a row: line breaks as spaces, cut at INGEST_MAX_RAW plus "...". */
slice jr_raw_view(jr *r)
{
    size_t n = r->raw_n;
    if (r->layout == JL_NDJSON && n && n <= INGEST_MAX_RAW && r->raw[n - 1] == '\r')
        n--;
    for (char *q = r->raw; (q = memchr(q, '\n', n - (size_t)(q - r->raw))) != NULL;)
        *q++ = ' ';
    for (char *q = r->raw; (q = memchr(q, '\r', n - (size_t)(q - r->raw))) != NULL;)
        *q++ = ' ';
    if (n > INGEST_MAX_RAW) {
        n = INGEST_MAX_RAW;
        while (n > 0 && (r->raw[n] & 0xC0) == 0x80)
            n--;
        memcpy(r->raw + n, "...", 3);
        n += 3;
    }
    return (slice){r->raw, n};
}

/* ---- delivery ------------------------------------------------------------------ */

/* Name of slot i: a record path or a control path. */
static const char *jr_slot_name(const jr *r, size_t i)
{
    return i < r->n_paths ? r->paths[i] : r->control[i - r->n_paths];
}

/* Sets the row's status from slots first..first+n: the first unusable one wins. */
static void jr_check_slots(jr *r, const jslots *s, size_t first, size_t n, ingest_row *row)
{
    static const char *const what[] = { /* formats given INGEST_MAX_FIELD */
        [JS_OBJECT] = "holds an object, not a value",
        [JS_ARRAY] = "holds an array, not a value",
        [JS_TOO_LONG] = "is longer than %d bytes",
        [JS_BAD_TEXT] = "holds a \\u escape that is no character (lone surrogate)",
    };
    for (size_t i = first; i < first + n; i++) {
        uint8_t st = s->state[i];
        if (st < JS_OBJECT)
            continue;
        row->status = st == JS_TOO_LONG ? ROW_FIELD_TOO_LONG : ROW_BAD_SYNTAX;
        int k = snprintf(r->problem, sizeof r->problem, "%s ", jr_slot_name(r, i));
        if (k >= 0 && (size_t)k < sizeof r->problem)
            snprintf(r->problem + k, sizeof r->problem - (size_t)k, what[st], INGEST_MAX_FIELD);
        row->problem = r->problem;
        return;
    }
}

/*
 * Calls the row function for a record read into `s` (or, with `doc_trailer`,
 * the document's control totals). A record holding control[0] is a trailer.
 * Bad rows carry no fields. Keeps the callback's stop value in r->rc.
 */
void jr_emit(jr *r, const jslots *s, bool doc_trailer, uint64_t line, slice raw)
{
    bool trailer = doc_trailer || (!r->rec_problem && r->layout != JL_DOC && r->n_control &&
                                   js_present(s, r->n_paths));
    size_t first = trailer ? r->n_paths : 0, n = trailer ? r->n_control : r->n_paths;
    ingest_row row = {.fields = r->fields, .line = line, .raw = raw, .is_trailer = trailer};
    row.problem = r->rec_problem;
    row.status = row.problem ? ROW_BAD_SYNTAX : ROW_OK;
    if (!row.problem)
        jr_check_slots(r, s, first, n, &row);
    if (row.status == ROW_OK) {
        for (size_t i = 0; i < n; i++)
            r->fields[i] = js_value(s, first + i);
        row.n_fields = n;
    }
    r->st->rows += !trailer;
    r->rc = r->fn(r->ctx, &row);
}

/* ---- records and containers (from yajl's callbacks) ------------------------------ */

/* True when the value now starting is a record: a records array element, an NDJSON line. */
static bool jr_at_record(const jr *r)
{
    return r->depth == 0 ? r->layout == JL_NDJSON : r->fr[r->depth].is_records;
}

/* The trie node of the value now starting in the innermost container (counts elements). */
static int jr_node(jr *r)
{
    if (r->depth == 0)
        return r->layout == JL_DOC ? JT_DOC : -1;
    jframe *f = &r->fr[r->depth];
    if (!f->is_array)
        return f->key_node;
    uint64_t i = f->index++;
    return f->node < 0 ? -1 : jt_index(&r->trie, f->node, i);
}

/*
 * Records a wanted value (or container) met at `node`, outside or inside a
 * record. A string (text) is checked for the invalid UTF-8 a lone surrogate
 * escape decodes to; only wanted ones, as checking costs.
 */
static void jr_set(jr *r, int node, jslot_state st, const char *p, size_t n, bool text)
{
    size_t bad; /* utf8_scan: 0 only when all of p[0..n) is complete UTF-8 */
    if (node < 0 || r->trie.n[node].slot < 0)
        return;
    if (text && st == JS_VALUE && n <= INGEST_MAX_FIELD && utf8_scan(p, n, &bad) != 0)
        st = JS_BAD_TEXT;
    js_set(r->in_rec ? &r->rec : &r->doc, &r->trie, r->trie.n[node].slot, st, p, n);
}

/*
 * A record starts at `at` (its first byte; its line is the record's line).
 * In NDJSON a second value on the line, or a value that is not an object,
 * makes the line bad; elsewhere a non-object is a bad row of its own.
 */
static void jr_rec_start(jr *r, uint64_t at, bool is_obj)
{
    if (r->layout == JL_NDJSON && (r->ln_values++ || !is_obj)) {
        jr_syntax(r, at, r->ln_values > 1 ? "more than one JSON value on the line"
                                          : "not a JSON object");
        return;
    }
    r->in_rec = true;
    r->rec_done = false;
    r->rec_depth = r->depth + 1;
    r->rec_line = jr_line(r, at);
    r->rec_problem = is_obj ? NULL : "array element is not a JSON object";
    js_reset(&r->rec);
}

/* The record ended just before `end`: NDJSON waits for the line end, others deliver. */
static void jr_rec_end(jr *r, uint64_t end)
{
    r->in_rec = false;
    if (r->layout == JL_NDJSON) {
        r->rec_done = true;
        return;
    }
    jr_cap_to(r, end);
    jr_emit(r, &r->rec, false, r->rec_line, jr_raw_view(r));
    jr_cap_mark(r, end); /* the next element's text starts here */
}

/*
 * The document's records path was met holding `st` (array or not). The first
 * occurrence wins: an array becomes the records container, anything else
 * makes the file unreadable. Returns true when this frame holds the records.
 */
static bool jr_records_here(jr *r, int node, jslot_state st, uint64_t at)
{
    if (node < 0 || !r->trie.n[node].records || r->in_rec || r->records_found)
        return false;
    if (st != JS_ARRAY) {
        char msg[300];
        snprintf(msg, sizeof msg, "'%s' holds %s, not the records array", r->records,
                 st == JS_OBJECT ? "an object" : "a value");
        jr_syntax(r, at, msg);
        return false;
    }
    r->records_found = true;
    jr_cap_mark(r, at + 1);
    return true;
}

/* '{' or '[': checks depth, starts a record or notes a wanted container, pushes a frame. */
static void jr_open(jr *r, bool is_array)
{
    uint64_t at = jr_at(r) - 1;
    if (r->depth == JSON_MAX_DEPTH) {
        jr_syntax(r, at, "nesting deeper than 64 levels");
        return;
    }
    jframe f = {.node = -1, .key_node = -1, .is_array = is_array};
    bool rec = jr_at_record(r);
    int node = jr_node(r);
    if (rec) {
        jr_rec_start(r, at, !is_array);
        if (!jr_alive(r))
            return;
        if (r->layout != JL_NDJSON)
            jr_cap_mark(r, at);
        f.node = is_array ? -1 : JT_RECORD;
    } else if (r->depth == 0 && r->layout == JL_ARRAY) {
        f.is_records = true;
        jr_cap_mark(r, at + 1);
    } else {
        f.node = node;
        jr_set(r, node, is_array ? JS_ARRAY : JS_OBJECT, NULL, 0, false);
        f.is_records = jr_records_here(r, node, is_array ? JS_ARRAY : JS_OBJECT, at);
    }
    r->fr[++r->depth] = f;
}

/* '}' or ']': pops the frame; ends the record when it was the record's own. */
static void jr_close(jr *r)
{
    int d = r->depth--;
    if (r->in_rec && d == r->rec_depth)
        jr_rec_end(r, jr_at(r));
    else if (r->fr[d].is_records)
        r->cap_on = false;
}

/* A scalar p[0..n) (text: a string): a record on its own (always a bad one), or maybe wanted. */
static void jr_scalar(jr *r, jslot_state st, const char *p, size_t n, bool text)
{
    uint64_t end = jr_at(r);
    if (jr_at_record(r)) {
        jr_rec_start(r, end, false);
        if (jr_alive(r))
            jr_rec_end(r, end);
        return;
    }
    int node = jr_node(r);
    jr_set(r, node, st, p, n, text);
    jr_records_here(r, node, st, end);
}

/* yajl callbacks: each hands its event on, then says whether to go on. */
static int jcb_null(void *c)
{
    jr_scalar(c, JS_NULL, "", 0, false);
    return jr_alive(c);
}

static int jcb_bool(void *c, int v)
{
    jr_scalar(c, JS_VALUE, v ? "true" : "false", v ? 4 : 5, false);
    return jr_alive(c);
}

/* A number, exactly as written: over-long if the scanner cut it (see jr_feed). */
static int jcb_number(void *c, const char *s, size_t n)
{
    jr *r = c;
    jslot_state st = r->cut ? JS_TOO_LONG : JS_VALUE;
    r->cut = false;
    jr_scalar(r, st, s, n, false);
    return jr_alive(r);
}

/* A string: over-long if the scanner cut it (see jr_feed). */
static int jcb_string(void *c, const unsigned char *s, size_t n)
{
    jr *r = c;
    jslot_state st = r->cut ? JS_TOO_LONG : JS_VALUE;
    r->cut = false;
    jr_scalar(r, st, (const char *)s, n, true);
    return jr_alive(r);
}

/* An object key: finds the wanted node of the value that follows (a cut key matches nothing). */
static int jcb_key(void *c, const unsigned char *k, size_t n)
{
    jr *r = c;
    jframe *f = &r->fr[r->depth];
    f->key_node = f->node < 0 || r->cut ? -1 : jt_key(&r->trie, f->node, (const char *)k, n);
    r->cut = false;
    return 1;
}

static int jcb_start_map(void *c)
{
    jr_open(c, false);
    return jr_alive(c);
}

static int jcb_start_array(void *c)
{
    jr_open(c, true);
    return jr_alive(c);
}

static int jcb_end(void *c)
{
    jr_close(c);
    return jr_alive(c);
}

const yajl_callbacks jr_callbacks = {
    jcb_null, jcb_bool, NULL, NULL, jcb_number, jcb_string,
    jcb_start_map, jcb_key, jcb_end, jcb_start_array, jcb_end,
};
