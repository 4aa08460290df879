/*
 * state.h - the run's memory between nights, in one SQLite file
 * (<paths.state>/settle.db, WAL mode, schema versioned).
 *
 * It holds processed files (by SHA-256), stored aggregation cells, rejected
 * rows, per-day duplicate counts, runs, and issued statements. A run works
 * inside one transaction (state_begin .. state_commit); anything that fails
 * before the commit leaves the store exactly as it was.
 *
 * Every function returns 0 on success and -1 on an SQLite error, with the
 * message available from state_error(). Strings passed in are copied by
 * SQLite; strings handed out are borrowed for the duration of a callback.
 */
#ifndef SETTLE_STATE_H
#define SETTLE_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "aggregate.h"
#include "cells.h"
#include "dedup.h"
#include "statement.h"

typedef struct state state;

/* Opens (creating and migrating as needed) <dir>/settle.db. NULL with err on failure. */
state *state_open(const char *dir, char *err, size_t errlen);
/* Opens an existing <dir>/settle.db read only (never creates, migrates or writes anything);
 * NULL with err on failure, err starting "no state yet" when there is no store yet. */
state *state_open_readonly(const char *dir, char *err, size_t errlen);
/* An empty store in memory, gone at state_close: a dry run before any real run. */
state *state_open_memory(char *err, size_t errlen);
/* True when <dir>/settle.db exists. */
bool state_exists(const char *dir);
void state_close(state *s);
const char *state_error(const state *s);

int state_begin(state *s);
int state_commit(state *s);
void state_rollback(state *s);

/*
 * Small named text values kept between runs (e.g. the last config hash).
 * state_meta_get copies the value into out (cut to fit; "" when absent).
 */
int state_meta_get(state *s, const char *key, char *out, size_t cap);
int state_meta_put(state *s, const char *key, const char *value);

/* The secret SipHash key of this store (created on first use). */
int state_dedup_key(state *s, dedup_key *k);

/* Runs. */
int state_run_begin(state *s, const char *started_utc, int64_t *run_id);
int state_run_end(state *s, int64_t run_id, const char *finished_utc, int exit_code,
                  const char *summary);

/*
 * The run journal: the audit entry of a run is stored with the run's commit
 * (state_run_journal, inside the run transaction) and marked audited once it
 * is in audit.jsonl. A run found unaudited (a crash or an audit write error
 * after the commit) has its entry appended by the next run. Outside a run
 * transaction each call is its own transaction. The fields string from
 * state_run_unaudited is owned by the caller (NULL and *run_id 0 when none).
 */
int state_run_journal(state *s, int64_t run_id, const char *audit_fields);
int state_run_unaudited(state *s, int64_t *run_id, char **audit_fields);
int state_run_audited(state *s, int64_t run_id);

/*
 * The outputs of a committed run that are not in place yet. A run stages its
 * reports (report.h), lists each in its own transaction (state_output_add:
 * the path relative to the reports folder and the SHA-256 of its bytes),
 * commits, renames them into place and then forgets them
 * (state_outputs_done). A run that died in between left its list here; the
 * next run finishes the renames first (run_publish.c). state_outputs_each
 * calls fn(ctx, file, sha256) per pending output, oldest run first, until fn
 * returns non-zero (that value is returned). Outside a run transaction each
 * call is its own transaction. 0, or -1 with the state error.
 */
int state_output_add(state *s, int64_t run_id, const char *file, const char *sha256);
int state_outputs_each(state *s, int (*fn)(void *ctx, const char *file, const char *sha256),
                       void *ctx);
int state_outputs_done(state *s);

/* Files. `seen` is set when this partner already processed a file with that hash (a
 * quarantined one does not count: its bytes are read again if they come back). */
int state_file_seen(state *s, const char *partner, const char *sha256, bool *seen);
int state_file_add(state *s, int64_t run_id, const char *partner, const char *path,
                   const char *sha256, int64_t size, int64_t *file_id);
/* `seen` is set when this partner processed a file of exactly `size` bytes (a file
 * with the same SHA-256 has the same size, so no match means the file is new). */
int state_file_size_seen(state *s, const char *partner, int64_t size, bool *seen);
/*
 * state_inbox.c: a file's identity (device, inode, size, modification and change
 * times) as text in key; state_stat_known sets *known (and sha256) when this
 * partner's file of that identity is known to be processed, so it need not be read
 * again; state_stat_put records it. -1 on state failure.
 */
#define STATE_STAT_KEY 128
void state_stat_key(const struct stat *sb, char key[STATE_STAT_KEY]);
int state_stat_known(state *s, const char *partner, const char *key, char sha256[65],
                     bool *known);
int state_stat_put(state *s, const char *partner, const char *key, const char *sha256);
/* Sets the SHA-256 of a file added with a placeholder while it was hashed. */
int state_file_set_sha(state *s, int64_t file_id, const char *sha256);
typedef struct file_counts {
    int64_t rows, transactions, duplicates, rejected;
} file_counts;
int state_file_finish(state *s, int64_t file_id, const file_counts *c, const char *outcome);

/* Records a file moved to quarantine (outcome "quarantined") with its reason. */
int state_file_quarantined(state *s, int64_t run_id, const char *partner, const char *path,
                           const char *sha256, int64_t size, const char *reason);
/* Records a control-total mismatch of a processed file (its periods are held). */
int state_file_control(state *s, int64_t file_id, const char *mismatch);
/* Calls fn for each file with a control mismatch feeding the partner's days [first,last]. */
int state_control_holds(state *s, const char *partner, int32_t first, int32_t last,
                        int (*fn)(void *ctx, const char *path, const char *mismatch), void *ctx);
/*
 * Late data: a final statement is never rewritten; what changed is settled
 * as an adjustment in a later open period. state_adjustment_add records one,
 * state_adjustments_from sums those already made for an origin period, and
 * state_adjustments_each feeds those landing in a target period, in order.
 */
int state_adjustment_add(state *s, const char *partner, const char *origin, const char *target,
                         int64_t amount, const char *detail, int64_t run_id);
int state_adjustments_from(state *s, const char *partner, const char *origin, int64_t *sum);
int state_adjustments_each(state *s, const char *partner, const char *target,
                           int (*fn)(void *ctx, const char *origin, int64_t amount,
                                     const char *detail),
                           void *ctx);
/*
 * Restatements (state_restate.c): a final period re-derived from everything now
 * stored after late data (or a restated carry_in) changed it. The final statement
 * row is never rewritten; the latest restatement of a period is its effective
 * result, so the next period's carry_in (state_carry_before) is its carry_out.
 * Strings of a row handed out are borrowed for the duration of the call/callback.
 */
typedef struct restatement_row {
    const char *partner, *period; /* the restated (final) period */
    const char *target;           /* the open period that received it */
    const char *cause;            /* the period whose late data started it (== period when own) */
    const char *files;            /* the late files, one a line; NULL when none */
    const char *lines;            /* the restated rule lines as a JSON array */
    int32_t first_day, last_day;
    int64_t carry_in, payable, carry_out;     /* restated */
    int64_t issued_payable, issued_carry_out; /* of the final statement as issued */
    int64_t previous_payable;                 /* effective payable before this restatement */
    int64_t run_id;
} restatement_row;
int state_restatement_add(state *s, const restatement_row *r);
/* The latest restatement of a period; *found false when it was never restated. */
int state_restatement_last(state *s, const char *partner, const char *period,
                           restatement_row *r, bool *found);
/* The latest restatement made by run `run_id` of a period ending before `before_day`. */
int state_restatement_upstream(state *s, const char *partner, int64_t run_id,
                               int32_t before_day, restatement_row *r, bool *found);
/* Every restatement that landed in open period `target`, in the order made. */
int state_restatements_each(state *s, const char *partner, const char *target,
                            int (*fn)(void *ctx, const restatement_row *r), void *ctx);
/*
 * A restatement that could not be made (held: missing FX rate, rule error, control
 * totals) waits here with its late files (one a line) and is retried every run.
 * state_restate_pending_get hands out the files as an owned string (NULL when none).
 */
int state_restate_pending_put(state *s, const char *partner, const char *period,
                              int32_t first_day, const char *files, const char *reason);
int state_restate_pending_get(state *s, const char *partner, const char *period, char **files);
int state_restate_pending_drop(state *s, const char *partner, const char *period);
int state_restate_pending_days(state *s, const char *partner,
                               int (*fn)(void *ctx, int32_t first_day), void *ctx);
/* Files first processed by run `run_id` that fed the partner's days [first,last]. */
int state_run_inputs(state *s, const char *partner, int32_t first, int32_t last, int64_t run_id,
                     int (*fn)(void *ctx, const char *path, const char *sha256), void *ctx);

/*
 * Approvals (settle approve): a held statement released for issue, by whom
 * (the OS account), when, why (--reason) and which hold. state_approval_get
 * fills *a (strings owned by the caller: statement_approval_free) and sets
 * *found; a is zeroed when there is none. 0, or -1 with the state error.
 */
int state_approval_get(state *s, const char *partner, const char *period, statement_approval *a,
                       bool *found);
int state_approval_add(state *s, const char *partner, const char *period,
                       const statement_approval *a);

/* Rejected rows; day INT32_MIN when unknown (filled later by state_rejects_fill_day). */
typedef struct reject_row {
    const char *partner, *file, *id, *reason, *detail, *raw;
    uint64_t line;
    int32_t day;
} reject_row;
int state_reject_add(state *s, int64_t file_id, const reject_row *r);
/* Gives unknown-day rejects of a file the day `day` (the file's last good day). */
int state_rejects_fill_day(state *s, int64_t file_id, int32_t day);
/*
 * Calls fn for every reject a period label's exceptions.csv lists, ordered by
 * file then line: the partner's rejects with day in [first,last] and no later
 * report label, plus those reported in `label` (late rejects of a period that
 * was already final, see state_rejects_report). With first > last (label
 * ignored): the rejects whose day is unknown.
 */
int state_rejects_each(state *s, const char *partner, int32_t first, int32_t last,
                       const char *label, int (*fn)(void *ctx, const reject_row *r), void *ctx);
/*
 * Rejects of run `run_id` with day in [first,last] (a period already final)
 * are reported in the exceptions.csv of `label` (a later open period) instead;
 * *n is how many were. state_rows.c.
 */
int state_rejects_report(state *s, const char *partner, int32_t first, int32_t last,
                         int64_t run_id, const char *label, int64_t *n);

/* Row accounting (state_rows.c); the counts are defined in statement.h. */
/* Adds a file's row outcomes on one business day (INT32_MIN: unknown, no statement). */
int state_file_rows_add(state *s, int64_t file_id, const char *partner, int32_t day,
                        const row_counts *c);
/* Stores a file's rows read and its lines that are not data. */
int state_file_lines(state *s, int64_t file_id, const file_lines *l);
/* Row outcomes of the partner's days [first,last], summed over its files. */
int state_period_rows(state *s, const char *partner, int32_t first, int32_t last, row_counts *c);
/* One processed input file's accounting: whole file, and its rows in days [first,last]. */
int state_input_rows(state *s, const char *partner, const char *sha256, int32_t first,
                     int32_t last, input_rows *r);

/* Adds the run's cells and duplicate counts of one partner into the store. */
int state_cells_add(state *s, const char *partner, const cell_map *m);
/* Records that `ledger` is a ledger's id (ledger_ids, migration 12: `settle status` lists
 * it under ledgers, not partners). -1 on failure. */
int state_ledger_mark(state *s, const char *ledger);
/* Adds a ledger file's sums into ledger_cells (migration 11): the map's category
 * strings are the owners' partner ids; its duplicate counts are not kept. -1 on failure. */
int state_ledger_cells_add(state *s, const char *ledger, const cell_map *m);
/* Feeds the stored cells and counts of a partner's days [first,last] to a builder. */
int state_period_load(state *s, const char *partner, int32_t first, int32_t last,
                      period_builder *b);
/* Records that file `file_id` contributed data to the partner's business `day`. */
int state_file_day(state *s, const char *partner, int32_t day, int64_t file_id);

/* Input files (path, sha256) that contributed cells or rejects to days [first,last]. */
int state_period_inputs(state *s, const char *partner, int32_t first, int32_t last,
                        int (*fn)(void *ctx, const char *path, const char *sha256), void *ctx);

/* Statements. */
typedef struct statement_row {
    const char *partner, *period, *kind, *status, *currency, *hold_reason;
    int32_t first_day, last_day;
    int64_t ggr, payable, carry_in, carry_out, transactions, duplicates, rejected;
    int exponent;
    const char *rules_sha256, *config_sha256, *json_sha256;
    const char *recon_status;  /* the worst reconciliation status (held, waiting,
                                * within_tolerance, clean); NULL when not reconciled */
    int64_t recon_breaks;      /* breaks over every ledger */
} statement_row;
int state_statement_put(state *s, const statement_row *r);
/* Looks a statement up; *found false when none. Row strings valid until the next call. */
int state_statement_get(state *s, const char *partner, const char *period, statement_row *r,
                        bool *found);
/* carry_out of the partner's latest statement ending before `first_day` (0 if none): its
 * latest restatement's when it was restated (state_restatement_last). */
int state_carry_before(state *s, const char *partner, int32_t first_day, int64_t *carry);
/* Every stored statement of a period label, ordered by partner. */
int state_statements_of_label(state *s, const char *period,
                              int (*fn)(void *ctx, const statement_row *r), void *ctx);
/* first_day of every statement of a partner from `from_day` on, ascending. */
int state_statement_days(state *s, const char *partner, int32_t from_day,
                         int (*fn)(void *ctx, int32_t first_day), void *ctx);

/*
 * Status overview for `settle status`, with the caller's warnings (lines about
 * things outside the state, e.g. a partner's missing inbox folder): text
 * "Warnings:" at the top, JSON key "warnings" (list of strings). s NULL (no
 * state yet) prints the empty overview: JSON with "state_exists": false,
 * text only the warnings. -1 on failure (state_error(s) says why when s).
 */
int state_status_print(state *s, FILE *out, bool json, const char *const *warnings,
                       size_t n_warnings);


/* Distinct business days with stored data (cells or rejects) of a partner in [from,to]. */
int state_days_with_data(state *s, const char *partner, int32_t from, int32_t to,
                         int (*fn)(void *ctx, int32_t day), void *ctx);
/* Rolls back to / releases a savepoint named "file" (per-file all-or-nothing). */
int state_savepoint(state *s);
int state_savepoint_release(state *s);
int state_savepoint_rollback(state *s);

/* first_day of a partner's non-final statements made with other rules or config hashes. */
int state_statements_stale(state *s, const char *partner, const char *rules_sha256,
                           const char *config_sha256, int (*fn)(void *ctx, int32_t first_day),
                           void *ctx);

/*
 * Dedup memory across runs: the ids first seen in a file, as packed 20-byte
 * entries (16-byte digest, 4-byte fingerprint), stored as one row per chunk
 * (chunk 0, 1, ... of a file; at most SEEN_CHUNK_IDS entries each). `ids` is
 * the caller's and is read during the call only (bound without a copy).
 */
int state_seen_add(state *s, const char *partner, int64_t file_id, int64_t chunk,
                   int32_t last_day, const void *ids, size_t n_bytes);
/* Feeds every stored entry of files whose last day is on or after `since_day`, in file
 * order, until fn returns non-zero (returned). -1 with the error on a state failure. */
int state_seen_load(state *s, const char *partner, int32_t since_day,
                    int (*fn)(void *ctx, const unsigned char *entry), void *ctx);

/* first_day of a partner's held statements (retried every run), of open ones whose
 * reconciliation is held or waiting (settled again until it is not), and of provisional
 * ones whose last day is before `before_day` (their grace has passed). */
int state_statements_due(state *s, const char *partner, int32_t before_day,
                         int (*fn)(void *ctx, int32_t first_day), void *ctx);

/*
 * Reconciliation by transaction (state_recon.c, tables of migration 11; used
 * by recon_match.c). The open items of each (partner, ledger, partition) are
 * packed records (recon_int.h) in chunks of at most STATE_RECON_CHUNK bytes;
 * state_recon_open_each hands each chunk to fn (borrowed for the call) in
 * chunk order until fn returns non-zero (returned); _drop deletes all of a
 * partition's chunks; _put stores one (the bytes are read during the call).
 */
#define STATE_RECON_CHUNK (4u << 20)
int state_recon_open_each(state *s, const char *partner, const char *ledger, int part,
                          int (*fn)(void *ctx, const unsigned char *p, size_t n), void *ctx);
int state_recon_open_drop(state *s, const char *partner, const char *ledger, int part);
int state_recon_open_put(state *s, const char *partner, const char *ledger, int part,
                         int64_t chunk, const void *items, size_t n);
/* Adds (count, amount) to the open items of a day, side (0 partner, 1 ledger) and
 * currency; a row whose count reaches 0 is deleted. */
int state_recon_days_add(state *s, const char *partner, const char *ledger, int32_t day,
                         int side, const char *currency, int64_t count, int64_t amount);
/* Adds matched items to the partner's (day, currency). */
int state_recon_matched_add(state *s, const char *partner, const char *ledger, int32_t day,
                            const char *currency, int64_t count, int64_t amount);
/* One break whose sides are known (recon_breaks); a side is absent when its file is 0. */
typedef struct state_recon_break {
    const char *partner, *ledger, *kind, *tx_id;
    size_t tx_id_len;
    int32_t day, ledger_day;             /* the break's day; the ledger side's day */
    const char *currency, *ledger_currency;
    int64_t partner_amount, ledger_amount;
    int64_t partner_file, ledger_file;   /* files.id; 0: that side is absent */
    uint64_t partner_line, ledger_line;
    int64_t run_id;
} state_recon_break;
int state_recon_break_add(state *s, const state_recon_break *b);

/*
 * A statement's reconciliation (state_recon_period.c; read by recon_period.c).
 * state_recon_sums calls fn per row of one sum of (partner, ledger) over the
 * days [first,last]: RSUM_MATCHED per (day, currency), tag ""; RSUM_BREAKS
 * per (day, kind, currency), tag the kind, amount the summed break amount
 * (docs/reconciliation.md section 3); RSUM_OPEN per (day, side, currency),
 * tag "0" (partner) or "1" (ledger); RSUM_LEDGER the ledger's cells per (day,
 * currency, type), tag the type's number. `exact` is false when SQLite could
 * not keep the amount an integer (an overflow). Strings borrowed for the call;
 * fn's non-zero result stops and is returned; -1 with the state error.
 */
typedef enum state_rsum { RSUM_MATCHED = 0, RSUM_BREAKS, RSUM_OPEN, RSUM_LEDGER } state_rsum;
typedef struct state_rsum_row {
    int32_t day;
    const char *tag, *currency;
    int64_t count, amount;
    bool exact;
} state_rsum_row;
int state_recon_sums(state *s, state_rsum which, const char *partner, const char *ledger,
                     int32_t first, int32_t last, int (*fn)(void *ctx, const state_rsum_row *r),
                     void *ctx);
/* The partner's cells (summed over categories) and the ledger's cells of the partner, per
 * (game, currency, type, day) over [first,last], in that order; a side without a cell has
 * has_* false. */
typedef struct state_daily_row {
    const char *game, *currency;
    int type;
    int32_t day;
    bool has_partner, has_ledger, exact;
    int64_t partner_total, partner_count, ledger_total, ledger_count;
} state_daily_row;
int state_recon_daily(state *s, const char *partner, const char *ledger, int32_t first,
                      int32_t last, int (*fn)(void *ctx, const state_daily_row *r), void *ctx);
/* Every chunk of open items of (partner, ledger), all partitions (see state_recon_open_each). */
int state_recon_open_all(state *s, const char *partner, const char *ledger,
                         int (*fn)(void *ctx, const unsigned char *p, size_t n), void *ctx);
/*
 * The breaks of one period being listed, in a temporary table of this
 * connection: _reset creates or empties it, _add adds one row (file ids,
 * 0 unknown), _breaks copies the stored breaks of (partner, ledger) over
 * [first,last], and _each hands them out sorted by day, kind and id (paths
 * filled from files, NULL when unknown; strings borrowed for the call).
 */
typedef struct state_recon_row {
    const char *kind, *id;
    size_t id_len;
    int32_t day;
    const char *currency, *ledger_currency;
    bool has_partner, has_ledger;
    int64_t partner_amount, ledger_amount;
    int64_t partner_file, ledger_file;       /* files.id (for _add) */
    const char *partner_path, *ledger_path;  /* files.path (from _each) */
    uint64_t partner_line, ledger_line;
} state_recon_row;
int state_recon_tmp_reset(state *s);
int state_recon_tmp_add(state *s, const state_recon_row *r);
int state_recon_tmp_breaks(state *s, const char *partner, const char *ledger, int32_t first,
                           int32_t last);
int state_recon_tmp_each(state *s, int (*fn)(void *ctx, const state_recon_row *r), void *ctx);

/*
 * The figures of settle.prom (state_metrics.c), over the whole state. Each
 * row's labels are the figure's group (unused ones NULL), its value a count
 * or sum; rows come sorted by their labels. fn gets each (borrowed for the
 * call) until it returns non-zero (returned). 0, or -1 with the state error.
 */
typedef enum state_metric {
    SMET_FILES,         /* partner, outcome: files */
    SMET_ROWS,          /* partner: rows read from its processed files */
    SMET_TRANSACTIONS,  /* partner: transactions counted */
    SMET_DUPLICATES,    /* partner: duplicates */
    SMET_REJECTS,       /* partner, reason: rejected rows */
    SMET_STATEMENTS,    /* partner, status: statements */
    SMET_BREAKS,        /* partner, ledger, kind: breaks with both sides known */
    SMET_OPEN,          /* partner, ledger, side ("0" partner, "1" ledger), and the day:
                           open reconciliation items */
    SMET_LAST_SUCCESS,  /* no label: Unix time the last recorded run finished (no row:
                           none yet) */
    SMET_COUNT
} state_metric;
typedef struct state_metric_row {
    const char *label[3];
    int32_t day;
    int64_t value;
} state_metric_row;
int state_metrics_each(state *s, state_metric m,
                       int (*fn)(void *ctx, const state_metric_row *row), void *ctx);

#endif
