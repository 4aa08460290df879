/*
 * json_writer.h - the one JSON writer of the engine, for the reports, for
 * `settle status --json` and for the audit log. Keys come out in the order
 * they are written, so the output depends only on the calls made.
 *
 * Three layouts, chosen per container and inherited by everything inside it:
 *   JW_INDENT   one member per line, 2-space indent, `"key": value`
 *               (reports, status); an empty container stays "{}" / "[]"
 *   JW_LINE     the container on one line: `{"a": 1, "b": 2}` (status records)
 *   JW_COMPACT  no blanks at all: `{"a":1,"b":2}` (the audit log's lines)
 *
 * The writer appends to a caller-owned sbuf and keeps no other pointer.
 * Nesting deeper than JW_MAX_DEPTH, or closing more than was opened, is a
 * programming error and aborts.
 */
#ifndef SETTLE_JSON_WRITER_H
#define SETTLE_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

#define JW_MAX_DEPTH 16

typedef enum jw_style { JW_INDENT, JW_LINE, JW_COMPACT } jw_style;

typedef struct jw {
    sbuf *b;                        /* borrowed output buffer */
    int depth;                      /* open containers */
    bool empty[JW_MAX_DEPTH];       /* container at depth i has no member yet */
    jw_style style[JW_MAX_DEPTH];   /* layout of the container at depth i */
} jw;

/* Starts an indented document in b (borrowed) at depth 0. */
void jw_init(jw *w, sbuf *b);
/*
 * Starts writing the members of an object (or the elements of an array) whose
 * opening brace is not written by this writer: depth 1 in `style`, so each
 * member after the first is preceded by a separator. jw_close on it writes
 * the closing brace given; the text can also be taken as it is, braceless.
 */
void jw_init_members(jw *w, sbuf *b, jw_style style);
/* Opens an object ('{') or array ('['), laid out like its parent; key is NULL
 * at top level and in arrays. */
void jw_open(jw *w, const char *key, char brace);
/* The same, with this container and everything in it on one line (JW_LINE),
 * unless the parent is already JW_COMPACT. */
void jw_open_line(jw *w, const char *key, char brace);
/* Closes the innermost container with `brace`. */
void jw_close(jw *w, char brace);
void jw_str(jw *w, const char *key, const char *s); /* NULL writes null */
void jw_int(jw *w, const char *key, int64_t v);
void jw_bool(jw *w, const char *key, bool v);
void jw_money(jw *w, const char *key, int64_t v, int exponent); /* decimal string */
void jw_null(jw *w, const char *key);
/*
 * Appends `text`, members (or elements) already written in this container's
 * layout by another writer (e.g. one started with jw_init_members), after a
 * separator when needed. "" adds nothing.
 */
void jw_raw_members(jw *w, const char *text);
void jw_end(jw *w); /* final newline */

#endif
