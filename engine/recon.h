/*
 * recon.h - reconciliation: partner transactions matched against the
 * operator's own ledgers (SPEC section 10; semantics in docs/reconciliation.md).
 *
 * Three parts, one file each:
 *  - recon_items.c: while a run ingests, every new partner transaction of a
 *    partner reconciled by `match: transaction`, and every new ledger row of
 *    such a partner, is written as an item to a scratch file of its source,
 *    spread over RECON_PARTS partitions by the top bits of its key's digest.
 *    Memory: a fixed buffer per partition and source, whatever the rows.
 *  - recon_match.c: after ingest, per ledger and partition, the new items of
 *    both sides and the open items the state keeps for that partition are
 *    matched in memory (one partition at a time); results go to the state
 *    (matched sums per day, breaks with both sides, open items per day), the
 *    unmatched remainder is written back as the partition's open items, and
 *    every business day whose result changed is touched (re-settled).
 *  - recon_period.c: a statement's reconciliation with one ledger, read from
 *    the state (transaction matching) or computed from the period's partner
 *    cells and ledger cells (daily matching), converted to the settlement
 *    currency; and the breaks one by one for reconciliation.csv, streamed.
 *
 * Keys: the dedup digest (dedup_siphash128 under the run's key, stable for a
 * state) of the key text: the partner's transaction id as settle counts it
 * (for `amounts:` partners "<id>:<type>"), and for a ledger row its `id`, or
 * "<round>:<type>" when its partner has `amounts:`.
 */
#ifndef SETTLE_RECON_H
#define SETTLE_RECON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aggregate.h"
#include "config.h"
#include "dedup.h"
#include "fx.h"
#include "state.h"
#include "txn.h"
#include "util.h"

#define RECON_PARTS 256   /* partitions of items by the digest's top 8 bits */

typedef enum recon_kind {
    RK_MISSING_IN_LEDGER = 0,
    RK_MISSING_IN_PARTNER,
    RK_AMOUNT_MISMATCH,
    RK_TYPE_MISMATCH,
    RK_CURRENCY_MISMATCH,
    RK_DAY_SHIFT,
    RK_COUNT
} recon_kind;
/* "missing_in_ledger", ...; NULL out of range. */
const char *recon_kind_name(recon_kind k);

typedef enum recon_status { RS_CLEAN = 0, RS_WITHIN_TOLERANCE, RS_WAITING, RS_HELD } recon_status;
/* "clean", "within_tolerance", "waiting", "held". */
const char *recon_status_name(recon_status s);

/* ---- items, collected while ingesting (recon_items.c) ---- */

/* One item as the ingest stage hands it over; `id` is borrowed for the call. */
typedef struct recon_item {
    dedup_digest key;       /* digest of the key text */
    slice id;               /* the key text (reconciliation.csv's id) */
    int32_t day;            /* business day */
    tx_type type;
    char cur[4];            /* ISO code, NUL-terminated */
    int64_t amount;         /* minor units of cur */
    int64_t file_id;        /* the files row it was read from */
    uint64_t line;
} recon_item;

typedef struct recon_items recon_items;

/*
 * Opens the run's item collector. Scratch files go to `dir` (NULL: $TMPDIR),
 * unlinked as soon as they are open. NULL with err on failure. The config is
 * borrowed for the collector's life.
 */
recon_items *recon_items_open(const settle_config *cfg, const char *dir, char *err, size_t errlen);
/* True when partner pi is reconciled by transaction with at least one ledger. */
bool recon_partner_wanted(const settle_config *cfg, size_t pi);
/* True when partner pi is reconciled by transaction with ledger li. */
bool recon_ledger_wanted(const settle_config *cfg, size_t li, size_t pi);
/* Adds partner pi's new transaction (counted, not a repeat). 0, or -1 with err on a write failure. */
int recon_items_partner(recon_items *r, size_t pi, const recon_item *it);
/* Adds ledger li's new row belonging to partner pi. 0, or -1 on a write failure. */
int recon_items_ledger(recon_items *r, size_t li, size_t pi, const recon_item *it);
/* The file was undone: its items are ignored from now on. */
void recon_items_void(recon_items *r, int64_t file_id);
/* The last failure's message. */
const char *recon_items_error(const recon_items *r);
/* Closes and frees the collector and its scratch files; NULL is fine. */
void recon_items_close(recon_items *r);

/* ---- matching, after ingest (recon_match.c, recon_match_run.c) ---- */

/* Called for each (partner index, business day) whose reconciliation changed; non-zero stops. */
typedef int (*recon_touch_fn)(void *ctx, size_t partner, int32_t day);

/*
 * Matches every (partner, ledger) pair reconciled by transaction that has new
 * items this run against the open items the state keeps, inside the run's
 * transaction; with threads >= 2 on that many worker threads (the state is
 * the same either way: only the calling thread touches it). No item may be
 * added afterwards. 0, or -1 with err (state or scratch failure).
 */
int recon_match_all(recon_items *r, state *st, int64_t run_id, int threads, recon_touch_fn touch,
                    void *ctx, char *err, size_t errlen);

/* ---- a statement's reconciliation (recon_period.c) ---- */

/* A count and an amount in the settlement currency's minor units. */
typedef struct recon_sum {
    int64_t count;
    int64_t amount;
} recon_sum;

/* A statement's reconciliation with one ledger (strings owned; recon_result_free). */
typedef struct recon_result {
    char *ledger;
    recon_match match;
    recon_sum matched;
    recon_sum breaks[RK_COUNT];
    int64_t waiting;              /* open items still within wait_days */
    recon_status status;
    char *reason;                 /* why it is held (status RS_HELD), else NULL */
    agg_sums ledger_totals;       /* the ledger's sums of the partner's period, settlement currency */
    char *hold_reason;            /* a missing FX rate or an overflow while converting, else NULL */
} recon_result;
void recon_result_free(recon_result *r);

/* The period being reconciled. */
typedef struct recon_scope {
    const settle_config *cfg;
    const partner_config *pc;
    const reconcile_config *rcfg;
    int32_t first_day, last_day;  /* inclusive */
    int32_t today;                /* business day of the run */
    const fx_table *fx;
    const char *currency;         /* settlement currency */
} recon_scope;

/* Computes the result for one period and ledger. 0, or -1 with err on a state failure. */
int recon_period(state *st, const recon_scope *sc, recon_result *out, char *err, size_t errlen);

/* One break, for reconciliation.csv (strings borrowed for the call). */
typedef struct recon_break {
    recon_kind kind;
    const char *ledger;
    const char *id;
    int32_t day;
    const char *currency, *ledger_currency; /* ledger_currency differs only for currency_mismatch */
    bool has_partner, has_ledger;
    int64_t partner_amount, ledger_amount;  /* minor units of their currencies */
    int exponent, ledger_exponent;
    const char *partner_file;     /* "<folder>/<name>" or NULL */
    uint64_t partner_line;
    const char *ledger_file;
    uint64_t ledger_line;
} recon_break;
typedef int (*recon_break_fn)(void *ctx, const recon_break *b);

/*
 * Hands every break of the period with one ledger to fn, sorted by day, kind
 * and id, streamed (memory does not grow with the breaks). fn's non-zero
 * result stops it and is returned; -1 with err on a state failure.
 */
int recon_period_breaks(state *st, const recon_scope *sc, recon_break_fn fn, void *ctx, char *err,
                        size_t errlen);

#endif
