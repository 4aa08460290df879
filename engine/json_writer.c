/*
 * json_writer.c - the engine's one JSON writer (see json_writer.h): keys in
 * the order they are written, three layouts (indented, one line, compact),
 * "{}"/"[]" for empty containers, money as decimal strings.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"
#include "money.h"

void jw_init(jw *w, sbuf *b)
{
    memset(w, 0, sizeof *w);
    w->b = b;
}

void jw_init_members(jw *w, sbuf *b, jw_style style)
{
    jw_init(w, b);
    w->depth = 1;
    w->empty[1] = true;
    w->style[0] = w->style[1] = style;
}

/* Appends two spaces per level. */
static void jw_indent(jw *w, int depth)
{
    for (int i = 0; i < depth; i++)
        sbuf_adds(w->b, "  ");
}

/* The separator before a member of the innermost container (none at depth 0). */
static void jw_sep(jw *w)
{
    if (w->depth == 0)
        return;
    bool first = w->empty[w->depth];
    w->empty[w->depth] = false;
    switch (w->style[w->depth]) {
    case JW_INDENT:
        sbuf_adds(w->b, first ? "\n" : ",\n");
        jw_indent(w, w->depth);
        break;
    case JW_LINE:
        sbuf_adds(w->b, first ? "" : ", ");
        break;
    case JW_COMPACT:
        sbuf_adds(w->b, first ? "" : ",");
        break;
    }
}

/* Starts a member: separator, then "key": when key is set. */
static void jw_item(jw *w, const char *key)
{
    jw_sep(w);
    if (key) {
        sbuf_add_json_str(w->b, key, strlen(key));
        sbuf_adds(w->b, w->style[w->depth] == JW_COMPACT ? ":" : ": ");
    }
}

/* Opens '{' or '[' in `style`; nesting beyond JW_MAX_DEPTH aborts. */
static void jw_open_as(jw *w, const char *key, char brace, jw_style style)
{
    jw_item(w, key);
    sbuf_addc(w->b, brace);
    if (++w->depth >= JW_MAX_DEPTH)
        abort();
    w->empty[w->depth] = true;
    w->style[w->depth] = style;
}

void jw_open(jw *w, const char *key, char brace)
{
    jw_open_as(w, key, brace, w->style[w->depth]);
}

void jw_open_line(jw *w, const char *key, char brace)
{
    jw_open_as(w, key, brace, w->style[w->depth] == JW_COMPACT ? JW_COMPACT : JW_LINE);
}

/* Closes the innermost container; an indented one with members ends on its own line. */
void jw_close(jw *w, char brace)
{
    if (w->depth <= 0)
        abort();
    if (!w->empty[w->depth] && w->style[w->depth] == JW_INDENT) {
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

void jw_bool(jw *w, const char *key, bool v)
{
    jw_item(w, key);
    sbuf_adds(w->b, v ? "true" : "false");
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

void jw_raw_members(jw *w, const char *text)
{
    if (!text || !text[0])
        return;
    jw_sep(w);
    sbuf_adds(w->b, text);
}

/* Ends the document with a newline. */
void jw_end(jw *w)
{
    sbuf_addc(w->b, '\n');
}
