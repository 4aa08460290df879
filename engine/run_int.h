/*
 * run_int.h - private to run*.c: the state of one `settle run`, shared by
 * the ingest stage (run_ingest.c), the settle stage (run_settle.c) and the
 * driver (run.c).
 */
#ifndef SETTLE_RUN_INT_H
#define SETTLE_RUN_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "progress.h"
#include "audit.h"
#include "config.h"
#include "recon.h"
#include "dedup.h"
#include "fx.h"
#include "report.h"
#include "rules.h"
#include "state.h"
#include "tax.h"
#include "txn.h"
#include "tz.h"

/* A (partner, period) to settle this run, by the period's first day. */
typedef struct run_period {
    size_t partner;
    int32_t first_day;
    bool late;  /* new data arrived for it this run */
} run_period;

typedef struct run_totals {
    int64_t files, files_skipped, files_failed, files_waiting, control_mismatches;
    int64_t files_refused;      /* symbolic links in the inbox (run_drops.c): exit 1 */
    int64_t files_not_regular;  /* folders, FIFOs, devices matching `files:`: warned */
    int64_t inbox_missing;      /* partners without an inbox folder: warned */
    int64_t rows, transactions, duplicates, rejected;
    int64_t skipped_by_rule;    /* part of rejected: asked for by the rule, not a data problem */
    int64_t rows_read;          /* rows met in processed files, data or not (run_rows.c) */
    int64_t rows_other;         /* of which header, control and title lines */
    row_counts row_outcomes;    /* of which data rows, by outcome */
    int64_t statements, held, rule_failures;
} run_totals;

/* A file to move to quarantine once the run is committed (all strings owned). */
typedef struct run_quarantined {
    char *partner, *src, *name, *sha, *reason;
} run_quarantined;

typedef struct run_ctx {
    const settle_config *cfg;
    state *st;
    rules_engine *re;
    fx_table *fx;
    tax_table *tax;             /* NULL when no tax: section */
    tz_zone *business_zone;
    dedup_key key;
    int64_t run_id;
    bool dry_run;
    progress progress;          /* the terminal's progress line (progress.h) */
    int threads;                /* ingest threads: 1 = none besides the main one (run_ingest_int.h) */
    bool unattributed;          /* some rejects have no business day */
    int64_t (*rejects_by_reason)[REJ_CODE_COUNT]; /* per partner, then per ledger; processed
                                                     files only */
    recon_items *recon;         /* the reconciliation items of this run; NULL without ledgers */
    int32_t today;              /* business day "now" (or $SETTLE_TODAY) */
    bool has_range;
    int32_t from_day, to_day;   /* --date / --from --to */
    const bool *selected;       /* per partner: included in this run */
    char (*rules_sha)[65];      /* per partner */
    run_period *periods;        /* to settle, deduplicated */
    size_t n_periods, cap_periods;
    char **labels;              /* period labels whose reports are rewritten */
    size_t n_labels, cap_labels;
    run_totals totals;
    path_list written;          /* outputs written this run */
    audit_entry audit_files;    /* records of the audit entry's lists (audit.h), begun by run.c */
    audit_entry audit_statements;
    audit_entry audit_changes;  /* config / rule files changed since the last run */
    run_quarantined *quarantine;  /* unreadable files, moved after the commit */
    size_t n_quarantine, cap_quarantine;
} run_ctx;

/* run_drops.c: the drops in a partner's folder, sorted (names owned by the caller); links
 * and other non-files are refused or skipped, said on stderr, counted and audited. */
char **run_list_drops(run_ctx *rc, const partner_config *pc, const char *dir, size_t *n);
/* Queues an unreadable file for quarantine (strings copied). */
void run_quarantine_add(run_ctx *rc, const char *partner, const char *src, const char *name,
                        const char *sha, const char *reason);
/* Moves the queued files with their .reason files; -1 when any move failed (printed). */
int run_quarantine_flush(run_ctx *rc);
void run_quarantine_free(run_ctx *rc);

/* run_rows.c: the outcome of one data row, and a file's row accounting being built. */
typedef enum row_outcome { ROW_SETTLED, ROW_DUPLICATE, ROW_REJECTED, ROW_SKIPPED } row_outcome;
typedef struct rows_day {
    int32_t day;
    row_counts c;
} rows_day;
typedef struct rows_acc {
    rows_day *days;             /* owned; outcomes per business day (a handful per file) */
    size_t n, cap;
    row_counts unknown;         /* rows whose day is unknown (no readable time) */
    file_lines lines;           /* rows read and the lines that are not data */
} rows_acc;
/* Counts one data row's outcome on its day (INT32_MIN: unknown). */
void rows_note(rows_acc *a, int32_t day, row_outcome o);
/* Stores the file's accounting; unknown-day rows go to last_day as its rejects do. -1 on
 * state failure. */
int rows_commit(rows_acc *a, state *st, int64_t file_id, const char *partner, int32_t last_day);
/* Adds a processed file's accounting to the run's totals. */
void rows_totals(const rows_acc *a, run_totals *t);
/* Frees the days and zeroes everything, ready for the next file. */
void rows_reset(rows_acc *a);
/* Fills st->rows and every input's rows from the state; -1 on state failure. */
int run_statement_rows(run_ctx *rc, const partner_config *pc, statement *st);
/* Holds st when its reconciliation is held and not approved (run_settle.c). -1 on state
 * failure. */
int run_recon_hold(run_ctx *rc, const partner_config *pc, statement *st);
/* Dry run: prints each partner's rejects of this run by reason code (stdout). */
void run_print_rejects(const run_ctx *rc);

/* Ingests every new file of partner `pi`; -1 only on a state/I-O failure. */
int run_ingest_partner(run_ctx *rc, size_t pi);
/* Ingests every new file of ledger `li` from <inbox>/<ledger id>/ (run_ingest_ledger.c);
 * -1 only on a state/I-O failure. */
int run_ingest_ledger(run_ctx *rc, size_t li);
/* Adds the period labels of `day` (one per statement kind of the partners) to the labels
 * whose exceptions are rewritten: for a ledger's rejects that belong to no partner. */
void run_touch_labels(run_ctx *rc, int32_t day);
/* Adds (partner, period of `day`) to the settle set. */
void run_touch(run_ctx *rc, size_t pi, int32_t day, bool late);
/* Context of run_touch_day: which run and partner a listed day belongs to. */
typedef struct run_touch_ctx {
    run_ctx *rc;
    size_t partner;
} run_touch_ctx;
/* Callback form of run_touch for state listings of days (ctx: run_touch_ctx). */
int run_touch_day(void *ctx, int32_t day);
/* Settles every period in the set and rewrites the touched reports; -1 on failure. */
int run_settle_all(run_ctx *rc, char *err, size_t errlen);
/*
 * The statement of one period as a run computes it (aggregates, FX, carry_in, the
 * partner's loaded rule, late-data adjustments), without control holds and without
 * writing anything: for `settle preview`. A rule error or an aggregate hold leaves st
 * held (st->error set for a rule error). -1 on a state failure.
 */
int run_build_statement(run_ctx *rc, const run_period *rp, statement *st);

/* Holds a settled statement fed by a file whose control totals do not match, unless
 * `settle approve` released its period (run_settle.c). -1 on state failure. */
int run_control_hold(run_ctx *rc, const partner_config *pc, statement *st);
/*
 * run_restate.c. run_apply_adjustments adds the late-data adjustment lines landing in
 * an (open) statement to its lines and payable, and the restatements they come from to
 * its list; -1 on state failure. run_restate handles a period of the settle set whose
 * statement is final (*final true; false: nothing done, settle it): re-derived and
 * recorded as a restatement when late data arrived for it or its carry_in moved, the
 * payable difference recorded for the first open period (added to the set); kept
 * pending when held. Never writes the final statement. -1 with err on state failure.
 */
int run_apply_adjustments(run_ctx *rc, const partner_config *pc, statement *st);
/* Adds the final periods whose restatement was held (kept pending) to the settle set as
 * late, so every run retries them. -1 on state failure. */
int run_restate_plan(run_ctx *rc);
int run_restate(run_ctx *rc, const run_period *rp, const char *label, bool *final, char *err,
                size_t errlen);
/* The first period after the one starting `first_day` whose statement is not final
 * (where late adjustments and late rejects are reported): *out its first day. -1 on
 * state failure. */
int run_next_open_period(run_ctx *rc, const partner_config *pc, int32_t first_day,
                         int32_t *out);

/*
 * Compares the config's and each selected rule file's SHA-256 with those of
 * the previous run (kept in the state), notes each change for the audit
 * entry and stores the new hashes. -1 on state failure.
 */
int run_audit_changes(run_ctx *rc);
/*
 * run_publish.c: the staged outputs of the run listed in its transaction
 * (run_outputs_journal, -1 on state failure); renamed into place after the
 * commit (run_outputs_publish, -1 with a message when some stay staged).
 */
int run_outputs_journal(run_ctx *rc);
int run_outputs_publish(run_ctx *rc);

/* The run's audit entry fields (files, statements, outputs with hashes); caller frees. */
char *run_audit_fields(const run_ctx *rc, int exit_code);


#endif
