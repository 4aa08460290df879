/*
 * report.h - everything settle writes for people and scripts to read
 * (SPEC section 6): statements (JSON, CSV, HTML), per-period summaries, and
 * the exceptions report. Every file is staged (hidden temp file, fsync,
 * mode 0640; see path_list) and is byte-identical for identical inputs: no run time,
 * host or random value appears in these files.
 *
 * Partner strings are escaped in HTML and defused in CSV: a cell starting
 * with = + - @ (or tab/CR) gets a leading apostrophe so a spreadsheet shows
 * text instead of evaluating a formula.
 */
#ifndef SETTLE_REPORT_H
#define SETTLE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "statement.h"
#include "util.h"

/*
 * The outputs of one run, staged. Every report file is written to the hidden
 * staging file beside its final path (staged_path: ".<name>.tmp", fsynced)
 * and listed here with its final path and SHA-256; nothing is visible until
 * report_publish renames them into place, after the state commit that
 * records them (run.c). report_discard removes them instead. A path staged
 * twice is listed once (the later bytes). The list owns its strings.
 */
typedef struct path_list {
    char **items;          /* final paths */
    char (*sha)[65];       /* SHA-256 (lowercase hex) of each staged file */
    size_t n, cap;
} path_list;
/* Lists `path` (copied) as staged with that hash, or updates its hash. */
void path_list_stage(path_list *l, const char *path, const char sha[65]);
void path_list_free(path_list *l);
/*
 * Renames every staged file of the list into place and fsyncs its folder.
 * Tries them all; 0, or -1 with the first failure in err (those files stay
 * staged). The list is unchanged.
 */
int report_publish(const path_list *l, char *err, size_t errlen);
/* Removes every staged file of the list (after a failed or rolled-back run) and empties it. */
void report_discard(path_list *l);

/*
 * Stages <reports_dir>/<label>/<partner>/statement.{json,csv,html}.
 * Returns 0, or -1 with a reason in err. Every file is added to `written`.
 */
int report_statement(const char *reports_dir, const statement *st, path_list *written, char *err,
                     size_t errlen);
/* The JSON text of statement.json (caller frees); exposed for tests and preview. */
char *statement_to_json(const statement *st);

/* One partner's line in a period summary. */
typedef struct summary_row {
    const char *partner, *kind, *currency, *status, *hold_reason; /* borrowed; hold_reason may be NULL */
    int exponent;
    int64_t ggr, payable, carry_out, transactions, duplicates, rejected;
    const char *recon_status;    /* borrowed; NULL when the partner is not reconciled */
    int64_t recon_breaks;        /* reconciliation breaks over its ledgers */
} summary_row;

/*
 * Stages <reports_dir>/<label>/summary.{txt,json,html} for the rows given
 * (in the order given; the caller sorts by partner).
 */
int report_summary(const char *reports_dir, const char *label, const summary_row *rows,
                   size_t n_rows, path_list *written, char *err, size_t errlen);

/*
 * The exceptions report of one period label, written row by row to a temp
 * file (memory stays bounded) and staged as
 * <reports_dir>/<label>/exceptions.csv by exceptions_end. Header:
 * partner,file,line,day,id,reason,detail,raw  (day: the row's own business
 * day, YYYY-MM-DD, empty when unknown)
 */
typedef struct csv_stream exceptions_writer;
/* NULL with a reason in err when the temp file cannot be created. */
exceptions_writer *exceptions_begin(const char *reports_dir, const char *label, char *err,
                                    size_t errlen);
int exceptions_row(exceptions_writer *w, const char *partner, const char *file, uint64_t line,
                   int32_t day, const char *id, const char *reason, const char *detail,
                   const char *raw);
/* Flushes, fsyncs and stages it in `written`; frees w. 0, or -1 with err (temp removed). */
int exceptions_end(exceptions_writer *w, path_list *written, char *err, size_t errlen);
/* Removes the temp file and frees w. */
void exceptions_abort(exceptions_writer *w);

/*
 * A CSV file written row by row like exceptions.csv (report_exceptions.c):
 * staged beside its final path, made durable and listed by csv_stream_end
 * (w freed; -1 with err and the temp removed on failure), or removed by
 * csv_stream_abort.
 */
typedef struct csv_stream csv_stream;
int csv_stream_end(csv_stream *w, path_list *written, char *err, size_t errlen);
void csv_stream_abort(csv_stream *w);

/*
 * <reports_dir>/<label>/<partner>/reconciliation.csv (report_recon.c,
 * docs/reconciliation.md section 4), one row per break as recon_period_breaks
 * hands them. Header: ledger,kind,id,day,currency,partner_amount,
 * ledger_amount,difference,partner_file,ledger_file. NULL with err when the
 * names are not plain or the file cannot be created; recon_csv_row is 0, or
 * -1 after a failed write (then csv_stream_end fails too).
 */
struct recon_break;
csv_stream *recon_csv_begin(const char *reports_dir, const char *label, const char *partner,
                            char *err, size_t errlen);
int recon_csv_row(csv_stream *w, const struct recon_break *b);

/* CSV cell writer used by all CSV outputs: quotes as needed and defuses formulas. */
void csv_add_cell(sbuf *b, const char *s, size_t n);
/* HTML text escaper (& < > " '). */
void html_add_text(sbuf *b, const char *s, size_t n);

#endif
