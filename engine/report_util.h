/*
 * report_util.h - private helpers shared by the report_*.c files only (not a
 * public engine interface): money cells, CSV rows,
 * the HTML page frame, safe path components and the staged write that lists
 * written paths. Ownership follows util.h: nothing here keeps a pointer.
 */
#ifndef SETTLE_REPORT_UTIL_H
#define SETTLE_REPORT_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "json_writer.h"
#include "report.h"

/* ---- JSON: the engine's one writer (json_writer.h), indented for reports. */

/* ---- cells */
/* Formats money into buf (MONEY_FMT_MAX bytes); returns buf. */
const char *rep_money(int64_t v, int exponent, char *buf);
/* GGR of s formatted into buf, or "overflow"; returns buf. */
const char *rep_ggr(const agg_sums *s, int exponent, char *buf);
/* Appends one CSV row of n cells (const char *, NULL = empty) and "\n". */
void rep_csv_row(sbuf *b, size_t n, ...);

/* ---- HTML */
void rep_html_begin(sbuf *b, const char *title);
void rep_html_end(sbuf *b);
/* Appends a status badge (<span class="badge held">held</span>). */
void rep_html_badge(sbuf *b, const char *status);
/* Appends <tag>escaped text</tag>; attrs is a literal attribute string or NULL. */
void rep_html_elem(sbuf *b, const char *tag, const char *attrs, const char *text);
/* Appends one table row: n cells; cells whose index bit is set in num_mask are numbers. */
void rep_html_row(sbuf *b, const char *cell_tag, unsigned num_mask, size_t n, ...);

/* ---- files */
/* True when s is usable as one path component (no '/', not "", ".", ".."). */
bool rep_name_ok(const char *s);
/* Formats a reason into err (may be NULL or errlen 0). */
void rep_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Stages b as dir/name and lists it in written (see path_list). 0, or -1 with err. */
int rep_write(const char *dir, const char *name, const sbuf *b, path_list *written, char *err,
              size_t errlen);

/* ---- streamed CSV (report_exceptions.c) */
/* Creates dir and the staged file of `name`, its first line the header; NULL with err. */
csv_stream *csv_stream_begin(const char *dir, const char *name, const char *header, char *err,
                             size_t errlen);
/* Buffers one cell (NULL: empty; defused) and a ',' or, when last, a newline. */
void csv_stream_cell(csv_stream *w, const char *s, bool last);
/* Ends a row: flushes every 64 KiB. 0, or -1 after a failed write. */
int csv_stream_row_end(csv_stream *w);

/* ---- the three statement renderers (report_statement.c, report_html.c) */
void rep_statement_csv(sbuf *b, const statement *st);
void rep_statement_html(sbuf *b, const statement *st);
/* "total", "count", "ggr" and "transactions" of s (report_statement.c). */
void rep_json_sums(jw *w, const agg_sums *s, int exponent);
/* The statement's "reconciliation" array and HTML section, when it is reconciled
 * (report_recon.c). */
void rep_recon_json(jw *w, const statement *st);
void rep_recon_html(sbuf *b, const statement *st);

#endif
