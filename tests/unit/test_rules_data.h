/*
 * test_rules_data.h - builders for test_rules.c: param trees and the period
 * (period_agg + statement) every rules test settles, built by hand and freed
 * with the engine's statement_free.
 * Included by test_rules.c and test_rules_hook.c only; everything here is static.
 */
#ifndef SETTLE_TEST_RULES_DATA_H
#define SETTLE_TEST_RULES_DATA_H

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "statement.h"
#include "timefmt.h"

/* A scalar param node (strings copied; free with param_clear). */
static param pscalar(const char *key, const char *value)
{
    param p = {PARAM_SCALAR, key ? xstrdup(key) : NULL, xstrdup(value), true, NULL, 0};
    return p;
}

/* A map or list node taking copies of n items (their strings move in). */
static param pnode(param_kind kind, const char *key, size_t n, const param *items)
{
    param p = {kind, key ? xstrdup(key) : NULL, NULL, false, xcalloc(n, sizeof *items), n};
    memcpy(p.items, items, n * sizeof *items);
    return p;
}

/* Frees a param tree built with pscalar/pnode. */
static void param_clear(param *p)
{
    for (size_t i = 0; i < p->n_items; i++)
        param_clear(&p->items[i]);
    free(p->items);
    free(p->key);
    free(p->scalar);
}

/* params = {case = name}. */
static param pcase(const char *name)
{
    param c = pscalar("case", name);
    return pnode(PARAM_MAP, NULL, 1, &c);
}

/* A tier {upto, rate} (upto NULL: open) as a param map. */
static param ptier(const char *upto, const char *rate)
{
    param t[2];
    t[0] = pscalar("rate", rate);
    if (upto)
        t[1] = pscalar("upto", upto);
    return pnode(PARAM_MAP, NULL, upto ? 2 : 1, t);
}

/* Day number of a "YYYY-MM-DD" literal. */
static int32_t day_of(const char *s)
{
    int32_t d = 0;
    date_parse(s, strlen(s), &d);
    return d;
}

/* A breakdown group with one sum set. */
static agg_group group(const char *key, int exp)
{
    agg_group g;
    memset(&g, 0, sizeof g);
    g.key = xstrdup(key);
    g.exponent = exp;
    return g;
}

/* Sets total and count of one type. */
static void put(agg_sums *s, tx_type t, int64_t total, int64_t count)
{
    s->total[t] = total;
    s->count[t] = count;
}

/*
 * The period all tests settle: acme, September 2025, EUR. GGR 285000,
 * 266 transactions; see view.lua for what each field is checked against.
 */
static period_agg *agg_new(void)
{
    period_agg *a = xcalloc(1, sizeof *a);
    a->partner = xstrdup("acme");
    a->kind = PERIOD_MONTHLY;
    a->first_day = day_of("2025-09-01");
    a->last_day = day_of("2025-09-30");
    strcpy(a->label, "2025-09");
    strcpy(a->currency, "EUR");
    a->exponent = 2;
    put(&a->total, TX_BET, 1000000, 100);
    put(&a->total, TX_WIN, 700000, 60);
    put(&a->total, TX_REFUND, 20000, 2);
    put(&a->total, TX_WIN_REVERSAL, 5000, 1);
    put(&a->total, TX_BONUS, 30000, 3);
    put(&a->total, TX_JACKPOT_CONTRIBUTION, 10000, 100);
    a->duplicates = 3;
    a->rejected = 2;
    a->carry_in = -1500;
    return a;
}

/* Adds the breakdowns and FX list view.lua looks at. */
static void agg_add_breakdowns(period_agg *a)
{
    a->n_game = 2;
    a->by_game = xcalloc(2, sizeof *a->by_game);
    a->by_game[0] = group("g1", 2);
    put(&a->by_game[0].s, TX_BET, 600000, 60);
    put(&a->by_game[0].s, TX_WIN, 400000, 30);
    a->by_game[1] = group("g2", 2);
    put(&a->by_game[1].s, TX_BET, 400000, 40);
    put(&a->by_game[1].s, TX_WIN, 300000, 30);
    put(&a->by_game[1].s, TX_REFUND, 20000, 2);
    put(&a->by_game[1].s, TX_WIN_REVERSAL, 5000, 1);
    a->n_category = 1;
    a->by_category = xcalloc(1, sizeof *a->by_category);
    a->by_category[0] = group("slots", 2);
    put(&a->by_category[0].s, TX_WIN, 700000, 60);
    a->n_currency = 1;
    a->by_currency = xcalloc(1, sizeof *a->by_currency);
    a->by_currency[0] = group("USD", 2);
    put(&a->by_currency[0].s, TX_BET, 1100000, 100);
    a->n_day = 1;
    a->by_day = xcalloc(1, sizeof *a->by_day);
    a->by_day[0] = group("2025-09-02", 2);
    put(&a->by_day[0].s, TX_BET, 50000, 10);
    a->n_fx = 1;
    a->fx = xcalloc(1, sizeof *a->fx);
    a->fx[0] = (fx_applied){day_of("2025-09-02"), day_of("2025-09-01"), "USD", "EUR",
                            xstrdup("0.9091")};
}

/* A statement over a fresh agg_new period. */
static statement st_new(const char *kind)
{
    statement st;
    memset(&st, 0, sizeof st);
    st.agg = agg_new();
    st.kind = kind ? xstrdup(kind) : NULL;
    return st;
}

/* Frees what st_new and rules_settle put in st (statement_free also frees the period). */
static void st_clear(statement *st)
{
    statement_free(st);
}

#endif
