/*
 * aggregate.c - agg_sums arithmetic and the period view: cells read back from
 * the state are grouped by (day, currency), converted once per day and type
 * into the settlement currency, and summed into total, by_day, by_category,
 * by_game; by_currency keeps each source currency exact.
 */
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "money.h"
#include "strmap.h"

bool agg_ggr(const agg_sums *s, int64_t *ggr)
{
    int64_t stake, paid;
    return money_sub(s->total[TX_BET], s->total[TX_REFUND], &stake) &&
           money_sub(s->total[TX_WIN], s->total[TX_WIN_REVERSAL], &paid) &&
           money_sub(stake, paid, ggr);
}

int64_t agg_transactions(const agg_sums *s)
{
    int64_t n = 0;
    for (int t = 0; t < TX_TYPE_COUNT; t++)
        n += s->count[t];
    return n;
}

bool agg_sums_add(agg_sums *s, tx_type t, int64_t amount, int64_t count)
{
    int64_t sum;
    if (!money_add(s->total[t], amount, &sum))
        return false;
    s->total[t] = sum;
    s->count[t] += count;
    return true;
}

/* Frees an array of groups and their keys. */
static void groups_free(agg_group *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(g[i].key);
    free(g);
}

void period_agg_free(period_agg *p)
{
    if (!p)
        return;
    free(p->partner);
    groups_free(p->by_category, p->n_category);
    groups_free(p->by_game, p->n_game);
    groups_free(p->by_currency, p->n_currency);
    groups_free(p->by_day, p->n_day);
    for (size_t i = 0; i < p->n_fx; i++)
        free(p->fx[i].rate);
    free(p->fx);
    free(p->hold_reason);
    free(p);
}

/* A breakdown under construction: strmap of keys -> index into groups. */
typedef struct group_set {
    strmap *keys;
    agg_group *groups;
    size_t cap;
} group_set;

/* The group for `key`, created with `exponent` when new. */
static agg_group *group_get(group_set *gs, const char *key, int exponent)
{
    size_t before = strmap_count(gs->keys);
    uint32_t id = strmap_intern(gs->keys, key, strlen(key));
    if (id < before)
        return &gs->groups[id];
    if (id >= gs->cap) {
        gs->cap = gs->cap ? gs->cap * 2 : 16;
        gs->groups = xrealloc(gs->groups, gs->cap * sizeof *gs->groups);
    }
    agg_group *g = &gs->groups[id];
    memset(g, 0, sizeof *g);
    g->key = xstrdup(key);
    g->exponent = exponent;
    return g;
}

static int group_cmp(const void *a, const void *b)
{
    return strcmp(((const agg_group *)a)->key, ((const agg_group *)b)->key);
}

/* Moves the groups out sorted by key and frees the set. */
static agg_group *group_take(group_set *gs, size_t *n)
{
    *n = strmap_count(gs->keys);
    xqsort(gs->groups, *n, sizeof *gs->groups, group_cmp);
    strmap_free(gs->keys);
    return gs->groups;
}

typedef struct stored_cell {
    int32_t day;
    char *currency, *category, *game;
    tx_type type;
    int64_t total, count;
} stored_cell;

struct period_builder {
    period_agg *agg;
    stored_cell *cells;
    size_t n, cap;
};

period_builder *period_builder_new(const char *partner, period_kind kind, int32_t day,
                                   const char *currency)
{
    period_builder *b = xcalloc(1, sizeof *b);
    period_agg *p = b->agg = xcalloc(1, sizeof *p);
    p->partner = xstrdup(partner);
    p->kind = kind;
    p->first_day = period_first_day(kind, day);
    p->last_day = period_last_day(kind, day);
    period_label(kind, day, p->label);
    snprintf(p->currency, sizeof p->currency, "%s", currency);
    p->exponent = currency_exponent(currency, strlen(currency));
    return b;
}

void period_builder_add(period_builder *b, const cell_row *c)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->cells = xrealloc(b->cells, b->cap * sizeof *b->cells);
    }
    stored_cell *s = &b->cells[b->n++];
    s->day = c->day;
    s->currency = xstrdup(c->currency);
    s->category = xstrdup(c->category);
    s->game = xstrdup(c->game);
    s->type = c->type;
    s->total = c->total;
    s->count = c->count;
}

void period_builder_counts(period_builder *b, int64_t duplicates, int64_t rejected)
{
    b->agg->duplicates += duplicates;
    b->agg->rejected += rejected;
}

/* Sets the hold reason once (the first problem found is the one reported). */
static void builder_hold(period_agg *p, char *reason)
{
    if (p->hold_reason)
        free(reason);
    else
        p->hold_reason = reason;
}

/* Orders cells by day, currency, then the given key (category or game). */
static int cell_cmp_day_cur(const stored_cell *a, const stored_cell *b)
{
    if (a->day != b->day)
        return a->day < b->day ? -1 : 1;
    return strcmp(a->currency, b->currency);
}

static int cell_cmp_category(const void *x, const void *y)
{
    const stored_cell *a = x, *b = y;
    int c = cell_cmp_day_cur(a, b);
    if (c == 0)
        c = strcmp(a->category, b->category);
    return c ? c : (int)a->type - (int)b->type;
}

static int cell_cmp_game(const void *x, const void *y)
{
    const stored_cell *a = x, *b = y;
    int c = cell_cmp_day_cur(a, b);
    if (c == 0)
        c = strcmp(a->game, b->game);
    return c ? c : (int)a->type - (int)b->type;
}

static int cell_cmp_type(const void *x, const void *y)
{
    const stored_cell *a = x, *b = y;
    int c = cell_cmp_day_cur(a, b);
    return c ? c : (int)a->type - (int)b->type;
}

/* Records that `r` was applied to (day, base) in the statement's fx list. */
static void builder_note_fx(period_agg *p, int32_t day, const char *base, const fx_rate *r)
{
    p->fx = xrealloc(p->fx, (p->n_fx + 1) * sizeof *p->fx);
    fx_applied *a = &p->fx[p->n_fx++];
    a->day = day;
    a->rate_date = r->date;
    snprintf(a->base, sizeof a->base, "%s", base);
    snprintf(a->quote, sizeof a->quote, "%s", p->currency);
    a->rate = xstrdup(r->text);
}

/*
 * Converts one native (day, currency) sum into the settlement currency.
 * Returns false, with the hold reason set, when no rate applies or the
 * result overflows. `note` records the rate in the statement's fx list.
 */
static bool builder_convert(period_agg *p, const fx_table *fx, int32_t day, const char *cur,
                            int64_t native, bool note, int64_t *out)
{
    if (strcmp(cur, p->currency) == 0) {
        *out = native;
        return true;
    }
    char date[11];
    date_format(day, date);
    fx_rate r;
    if (fx_lookup(fx, cur, p->currency, day, &r) != 0) {
        builder_hold(p, xasprintf("no FX rate %s->%s on or before %s", cur, p->currency, date));
        return false;
    }
    if (note)
        builder_note_fx(p, day, cur, &r);
    int from = currency_exponent(cur, strlen(cur));
    if (money_convert(native, from, r.rate, p->exponent, ROUND_HALF_EVEN, out) != MONEY_OK) {
        builder_hold(p, xasprintf("overflow converting %s on %s", cur, date));
        return false;
    }
    return true;
}

/* Which breakdown a sweep fills. */
typedef enum sweep_kind { SWEEP_DAY, SWEEP_CATEGORY, SWEEP_GAME } sweep_kind;

/* The breakdown key of a cell for a sweep (day key written into buf). */
static const char *sweep_key(sweep_kind k, const stored_cell *c, char buf[11])
{
    if (k == SWEEP_CATEGORY)
        return c->category;
    if (k == SWEEP_GAME)
        return c->game;
    date_format(c->day, buf);
    return buf;
}

/* Adds one converted run to its group (and, for the day sweep, the total). */
static void sweep_add(period_agg *p, group_set *gs, sweep_kind k, const stored_cell *c,
                      int64_t amount, int64_t count)
{
    char buf[11];
    agg_group *g = group_get(gs, sweep_key(k, c, buf), p->exponent);
    bool ok = agg_sums_add(&g->s, c->type, amount, count);
    if (k == SWEEP_DAY)
        ok = agg_sums_add(&p->total, c->type, amount, count) && ok;
    if (!ok)
        builder_hold(p, xasprintf("overflow summing %s", tx_type_name(c->type)));
}

/* True when a and b fall in the same converted run of a sweep. */
static bool sweep_same_run(sweep_kind k, const stored_cell *a, const stored_cell *b)
{
    if (a->day != b->day || a->type != b->type || strcmp(a->currency, b->currency) != 0)
        return false;
    if (k == SWEEP_CATEGORY)
        return strcmp(a->category, b->category) == 0;
    if (k == SWEEP_GAME)
        return strcmp(a->game, b->game) == 0;
    return true;
}

/*
 * Sorts the cells for breakdown k, sums each run natively (exact), converts
 * it once and adds it to the breakdown.
 */
static void builder_sweep(period_builder *b, const fx_table *fx, sweep_kind k, group_set *gs)
{
    static int (*const cmps[])(const void *, const void *) = {cell_cmp_type, cell_cmp_category,
                                                              cell_cmp_game};
    period_agg *p = b->agg;
    xqsort(b->cells, b->n, sizeof *b->cells, cmps[k]);
    int32_t noted_day = INT32_MIN;
    const char *noted_cur = "";
    for (size_t i = 0, j; i < b->n; i = j) {
        int64_t native = 0, count = 0, conv;
        bool ok = true;
        for (j = i; j < b->n && sweep_same_run(k, &b->cells[i], &b->cells[j]); j++) {
            ok = ok && money_add(native, b->cells[j].total, &native);
            count += b->cells[j].count;
        }
        bool note = k == SWEEP_DAY &&
                    (b->cells[i].day != noted_day || strcmp(b->cells[i].currency, noted_cur));
        if (note) {
            noted_day = b->cells[i].day;
            noted_cur = b->cells[i].currency;
        }
        if (!ok)
            builder_hold(p, xasprintf("overflow summing %s", b->cells[i].currency));
        else if (!builder_convert(p, fx, b->cells[i].day, b->cells[i].currency, native, note,
                                  &conv))
            conv = 0; /* held: the amount is left out, its transactions still counted */
        sweep_add(p, gs, k, &b->cells[i], ok ? conv : 0, count);
    }
}

/* by_currency: exact native sums in each currency's own minor unit. */
static void builder_by_currency(period_builder *b, group_set *gs)
{
    for (size_t i = 0; i < b->n; i++) {
        const stored_cell *c = &b->cells[i];
        agg_group *g = group_get(gs, c->currency, currency_exponent(c->currency, strlen(c->currency)));
        if (!agg_sums_add(&g->s, c->type, c->total, c->count))
            builder_hold(b->agg, xasprintf("overflow summing %s", c->currency));
    }
}

/* Frees the builder's cell copies and the builder itself. */
static void builder_free(period_builder *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->cells[i].currency);
        free(b->cells[i].category);
        free(b->cells[i].game);
    }
    free(b->cells);
    free(b);
}

period_agg *period_builder_finish(period_builder *b, const fx_table *fx)
{
    period_agg *p = b->agg;
    group_set days = {strmap_new(), NULL, 0}, cats = {strmap_new(), NULL, 0},
              games = {strmap_new(), NULL, 0}, curs = {strmap_new(), NULL, 0};
    builder_sweep(b, fx, SWEEP_DAY, &days);
    builder_sweep(b, fx, SWEEP_CATEGORY, &cats);
    builder_sweep(b, fx, SWEEP_GAME, &games);
    builder_by_currency(b, &curs);
    p->by_day = group_take(&days, &p->n_day);
    p->by_category = group_take(&cats, &p->n_category);
    p->by_game = group_take(&games, &p->n_game);
    p->by_currency = group_take(&curs, &p->n_currency);
    builder_free(b);
    return p;
}
