/*
 * ingest_json_lines.c - the JSON reader's NDJSON lines (see ingest_json.c):
 * the file is cut at each LF and each line is one row. A whole line goes to
 * the fast path (ingest_json_fast.c) first; a line it declines, or one cut
 * by the block's end, goes through the scanner and yajl (jr_feed) and is
 * judged when it ends (jr_line_close).
 */
#include <string.h>

#include "ingest_json_int.h"

/* A line starts at block offset i: fresh per-line state, and a parser if the last was dropped. */
static void jr_line_open(jr *r, size_t i)
{
    r->ln_open = true;
    r->ln_dead = r->in_rec = r->rec_done = r->cut = false;
    r->ln_values = 0;
    r->ln_line = jr_line(r, r->base + i);
    r->rec_problem = NULL;
    r->depth = 0;
    r->raw_n = 0;
    r->sc = (jscan){.u8 = r->sc.u8};
    if (!r->h)
        r->h = jr_handle(r);
}

/* True when the line read so far is a '{' alone: a pretty-printed document, not NDJSON. */
static bool jr_lone_brace(const jr *r)
{
    size_t i = 0, n = r->raw_n;
    while (i < n && (r->raw[i] == ' ' || r->raw[i] == '\t'))
        i++;
    while (n > i && (r->raw[n - 1] == ' ' || r->raw[n - 1] == '\t' || r->raw[n - 1] == '\r'))
        n--;
    return n == i + 1 && r->raw[i] == '{';
}

/*
 * The line ends at file offset `end` (at_eof: the file ends there without a
 * line end). A last line still inside a value means the file was truncated;
 * another line inside a value is a bad row. Delivers the line's record or
 * bad row (a blank line is no row) and drops a bad line's parser.
 * Returns jr_halt.
 */
int jr_line_close(jr *r, uint64_t end, bool at_eof)
{
    r->ln_open = false;
    bool open = !r->ln_dead && (r->depth > 0 || r->sc.in_str);
    if (open && at_eof)
        jr_fatal(r, "line %llu: file ends in the middle of a record (truncated?)",
                 (unsigned long long)r->ln_line);
    else if (open && !r->ln_seen && jr_lone_brace(r))
        jr_fatal(r, "line %llu: '{' alone on the first line: one JSON document, not NDJSON "
                    "(set json.records to read it)", (unsigned long long)r->ln_line);
    else if (open)
        jr_syntax(r, end, "the line ends in the middle of a record");
    if (at_eof && !r->ln_dead && !jr_halt(r)) {
        r->call_base = end;
        jr_parsed(r, yajl_complete_parse(r->h));
    }
    if (!jr_halt(r) && (r->ln_dead || r->rec_done)) {
        r->ln_seen = true;
        r->rec_problem = r->ln_dead ? r->problem : NULL;
        jr_emit(r, &r->rec, false, r->ln_line, jr_raw_view(r));
    }
    if (r->ln_dead) {
        yajl_free(r->h);
        r->h = NULL;
    }
    return jr_halt(r);
}

/* NDJSON: cuts blk[from, n) at each LF; each line is checked, parsed and closed at its LF. */
int jr_ndjson(jr *r, size_t from)
{
    for (size_t i = from; i < r->n && !jr_halt(r);) {
        const char *lf = memchr(r->blk + i, '\n', r->n - i);
        size_t end = lf ? (size_t)(lf - r->blk) : r->n;
        if (lf && !r->ln_open && jr_fast_line(r, i, end)) {
            i = end + 1;
            continue;
        }
        if (!r->ln_open)
            jr_line_open(r, i);
        jr_raw_add(r, r->blk + i, end - i);
        if (jr_feed(r, i, end + (lf != NULL)))
            break;
        i = end + (lf != NULL);
        if (lf)
            jr_line_close(r, r->base + end, false);
    }
    return jr_halt(r);
}
