/*
 * report_json.c - a tiny JSON writer for the report files: keys in the order
 * they are written, 2-space indentation, "{}"/"[]" for empty containers,
 * money as decimal strings. Deterministic by construction: the output depends
 * only on the calls made. Writes into a caller-owned sbuf.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "report_util.h"

/* Starts writing into b (borrowed) at depth 0. */
void jw_init(jw *w, sbuf *b)
{
    w->b = b;
    w->depth = 0;
    memset(w->empty, 0, sizeof w->empty);
}

/* Appends two spaces per level. */
static void jw_indent(jw *w, int depth)
{
    for (int i = 0; i < depth; i++)
        sbuf_adds(w->b, "  ");
}

/* Starts a member: separator, newline, indent, and "key": when key is set. */
static void jw_item(jw *w, const char *key)
{
    if (w->depth > 0) {
        if (!w->empty[w->depth])
            sbuf_addc(w->b, ',');
        sbuf_addc(w->b, '\n');
        jw_indent(w, w->depth);
        w->empty[w->depth] = false;
    }
    if (key) {
        sbuf_add_json_str(w->b, key, strlen(key));
        sbuf_adds(w->b, ": ");
    }
}

/* Opens '{' or '['; nesting beyond JW_MAX_DEPTH is a programming error (aborts). */
void jw_open(jw *w, const char *key, char brace)
{
    jw_item(w, key);
    sbuf_addc(w->b, brace);
    if (++w->depth >= JW_MAX_DEPTH)
        abort();
    w->empty[w->depth] = true;
}

/* Closes the innermost container; an empty one stays on one line ("{}"). */
void jw_close(jw *w, char brace)
{
    if (!w->empty[w->depth]) {
        sbuf_addc(w->b, '\n');
        jw_indent(w, w->depth - 1);
    }
    w->depth--;
    sbuf_addc(w->b, brace);
}

/* A string member (escaped), or null when s is NULL. */
void jw_str(jw *w, const char *key, const char *s)
{
    jw_item(w, key);
    if (s)
        sbuf_add_json_str(w->b, s, strlen(s));
    else
        sbuf_adds(w->b, "null");
}

/* An integer member (counts, exponents): a JSON number. */
void jw_int(jw *w, const char *key, int64_t v)
{
    jw_item(w, key);
    sbuf_addf(w->b, "%" PRId64, v);
}

/* A money member: decimal string in major units, never a JSON number. */
void jw_money(jw *w, const char *key, int64_t v, int exponent)
{
    char buf[MONEY_FMT_MAX];
    money_format(v, exponent, buf);
    jw_str(w, key, buf);
}

/* A null member. */
void jw_null(jw *w, const char *key)
{
    jw_item(w, key);
    sbuf_adds(w->b, "null");
}

/* Ends the document with a newline. */
void jw_end(jw *w)
{
    sbuf_addc(w->b, '\n');
}
