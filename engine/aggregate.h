/*
 * aggregate.h - sums per partner and business day, kept as "cells", and the
 * period view built from them for rules and reports.
 *
 * A cell is (partner, day, currency, category, game, type) -> (sum, count).
 * Memory grows with the number of distinct cells (days x games x ...), never
 * with the number of rows. Strings (games, categories, currencies) are
 * interned once per run; ids are small integers.
 */
#ifndef SETTLE_AGGREGATE_H
#define SETTLE_AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "timefmt.h"
#include "txn.h"
#include "util.h"

/* Totals and counts for every canonical type. */
typedef struct agg_sums {
    int64_t total[TX_TYPE_COUNT];
    int64_t count[TX_TYPE_COUNT];
} agg_sums;

/* GGR = (bet - refund) - (win - win_reversal). Returns false on overflow. */
bool agg_ggr(const agg_sums *s, int64_t *ggr);
/* Number of transactions (sum of counts). */
int64_t agg_transactions(const agg_sums *s);
/* Adds one amount to a type; false on overflow (sums untouched). */
bool agg_sums_add(agg_sums *s, tx_type t, int64_t amount, int64_t count);

/* One keyed breakdown entry (a category, game, currency or day). */
typedef struct agg_group {
    char *key;     /* owned */
    int exponent;  /* minor-unit digits of these sums (by_currency: that currency's) */
    agg_sums s;
} agg_group;

/* An FX rate that was applied, for the statement. */
typedef struct fx_applied {
    int32_t day;        /* business day converted */
    int32_t rate_date;  /* date of the rate used (latest on or before day) */
    char base[4], quote[4];
    char *rate;         /* owned; rate text as in the table */
} fx_applied;

/*
 * Everything the rules and reports see about one partner and period. All
 * amounts are in the settlement currency's minor units except by_currency,
 * which keeps each source currency exact in its own minor units.
 */
typedef struct period_agg {
    char *partner;               /* owned */
    period_kind kind;
    int32_t first_day, last_day; /* inclusive */
    char label[16];              /* "2025-09", "2025-W39", "2025-09-22" */
    char currency[4];            /* settlement currency */
    int exponent;
    agg_sums total;
    agg_group *by_category, *by_game, *by_currency, *by_day; /* owned arrays, sorted by key */
    size_t n_category, n_game, n_currency, n_day;
    fx_applied *fx;              /* owned array, sorted by day then base */
    size_t n_fx;
    int64_t duplicates;          /* repeats counted once */
    int64_t rejected;            /* rows rejected into exceptions.csv */
    int64_t carry_in;            /* balance carried from the previous period */
    char *hold_reason;           /* owned; non-NULL when the statement must be held (missing FX, ...) */
} period_agg;

void period_agg_free(period_agg *p);

/* ---- Building a period view from stored cells ---- */

#include "fx.h"

/* A stored cell as read back from the state (strings borrowed for the call). */
typedef struct cell_row {
    int32_t day;
    const char *currency, *category, *game;
    tx_type type;
    int64_t total, count;
} cell_row;

typedef struct period_builder period_builder;

/* Starts the view of one partner's period; settlement currency `currency`. */
period_builder *period_builder_new(const char *partner, period_kind kind, int32_t day,
                                   const char *currency);
/* Adds one cell (copied). */
void period_builder_add(period_builder *b, const cell_row *c);
/* Adds duplicate and rejected counts of the period. */
void period_builder_counts(period_builder *b, int64_t duplicates, int64_t rejected);
/*
 * Converts and sums everything into a new period_agg (caller owns it) and
 * frees the builder. Each (business day, source currency) sum is converted
 * once, half-even, at the latest rate on or before that day; a missing rate
 * or an overflow sets agg->hold_reason instead of guessing.
 */
period_agg *period_builder_finish(period_builder *b, const fx_table *fx);

#endif
