/*
 * recon_period.c - a statement's reconciliation with one ledger (recon.h;
 * docs/reconciliation.md sections 2-4). Matching by transaction is read from
 * the state (matched sums, stored breaks, open items: waiting, or missing
 * after wait_days); daily matching is computed here from the partner's cells
 * and the ledger's cells, one (game, currency, type) at a time. Sums are kept
 * native per (day, kind, currency) and converted once each, half-even, into
 * the settlement currency. The break listing goes through the state's
 * temporary table, which sorts on disk: memory does not grow with breaks.
 */
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "recon_int.h"
#include "timefmt.h"

#define RP_MATCHED RK_COUNT   /* the accumulator slot of matched items */

/* A native sum of one (day, slot, currency): slot a recon_kind or RP_MATCHED. */
typedef struct rp_acc {
    int32_t day;
    int slot;
    char cur[4];
    int64_t count, amount;
} rp_acc;

/* One day of a daily (game, currency, type) group. */
typedef struct rp_day {
    int32_t day;
    bool has_p, has_l, done;
    int64_t pt, pc, lt, lc;
} rp_day;

/* One recon_period or recon_period_breaks call (everything owned is freed before it returns). */
typedef struct rp_ctx {
    state *st;
    const recon_scope *sc;
    recon_result *out;       /* NULL when listing breaks */
    int exponent;            /* the settlement currency's */
    rp_acc *acc;             /* daily: sums not yet converted */
    size_t n_acc, cap_acc;
    rp_day *g;               /* daily: the group being read */
    size_t n_g, cap_g;
    char *game, cur[4];      /* daily: the group's key (game owned) */
    int type;
    int failed;              /* -1 after a state failure */
} rp_ctx;

/* The kind called `name`; RK_COUNT when none. */
static recon_kind kind_of(const char *name)
{
    for (int k = 0; k < RK_COUNT; k++)
        if (name && strcmp(name, recon_kind_name((recon_kind)k)) == 0)
            return (recon_kind)k;
    return RK_COUNT;
}

/* Sets the result's hold reason (the first one wins; `msg` is taken). */
static void rp_hold(rp_ctx *c, char *msg)
{
    if (!c->out->hold_reason)
        c->out->hold_reason = msg;
    else
        free(msg);
}

/* Converts a native (day, currency) sum into the settlement currency; false with the hold
 * reason set when no rate applies or the result overflows. */
static bool rp_convert(rp_ctx *c, int32_t day, const char *cur, int64_t native, int64_t *v)
{
    if (strcmp(cur, c->sc->currency) == 0) {
        *v = native;
        return true;
    }
    char date[11];
    date_format(day, date);
    fx_rate r;
    if (fx_lookup(c->sc->fx, cur, c->sc->currency, day, &r) != 0) {
        rp_hold(c, xasprintf("no FX rate %s->%s on or before %s", cur, c->sc->currency, date));
        return false;
    }
    int from = currency_exponent(cur, strlen(cur));
    if (money_convert(native, from, r.rate, c->exponent, ROUND_HALF_EVEN, v) != MONEY_OK) {
        rp_hold(c, xasprintf("overflow converting %s on %s", cur, date));
        return false;
    }
    return true;
}

/* Adds a converted (count, amount) to s; holds on an overflow. */
static void rp_add(rp_ctx *c, recon_sum *s, int64_t count, int64_t amount)
{
    if (!money_add(s->amount, amount, &s->amount))
        rp_hold(c, xasprintf("overflow summing the reconciliation with %s", c->sc->rcfg->ledger));
    s->count += count;
}

/* Converts one native sum of a slot and adds it to the result. */
static void rp_take(rp_ctx *c, int32_t day, int slot, const char *cur, int64_t count,
                    int64_t native, bool exact)
{
    int64_t v = 0;
    if (!exact) {
        rp_hold(c, xasprintf("overflow summing the reconciliation with %s",
                             c->sc->rcfg->ledger));
        return;
    }
    if (!rp_convert(c, day, cur, native, &v))
        return;
    rp_add(c, slot == RP_MATCHED ? &c->out->matched : &c->out->breaks[slot], count, v);
}

/* ---- matching by transaction: read from the state ---- */

static int on_matched(void *ctx, const state_rsum_row *r)
{
    rp_take(ctx, r->day, RP_MATCHED, r->currency, r->count, r->amount, r->exact);
    return 0;
}

static int on_break_sum(void *ctx, const state_rsum_row *r)
{
    recon_kind k = kind_of(r->tag);
    if (k != RK_COUNT)
        rp_take(ctx, r->day, (int)k, r->currency, r->count, r->amount, r->exact);
    return 0;
}

/* True when an item of `day` no longer waits for its counterpart. */
static bool rp_missing(const recon_scope *sc, int32_t day)
{
    return (int64_t)day + sc->rcfg->wait_days < sc->today;
}

static int on_open_sum(void *ctx, const state_rsum_row *r)
{
    rp_ctx *c = ctx;
    if (!rp_missing(c->sc, r->day)) {
        c->out->waiting += r->count;
        return 0;
    }
    recon_kind k = r->tag && r->tag[0] == '1' ? RK_MISSING_IN_PARTNER : RK_MISSING_IN_LEDGER;
    rp_take(c, r->day, (int)k, r->currency, r->count, r->amount, r->exact);
    return 0;
}

static int on_ledger_sum(void *ctx, const state_rsum_row *r)
{
    rp_ctx *c = ctx;
    int t = r->tag ? atoi(r->tag) : -1;
    int64_t v;
    if (t < 0 || t >= TX_TYPE_COUNT)
        return 0;
    if (!r->exact)
        rp_hold(c, xasprintf("overflow summing the ledger %s", c->sc->rcfg->ledger));
    else if (rp_convert(c, r->day, r->currency, r->amount, &v) &&
             !agg_sums_add(&c->out->ledger_totals, (tx_type)t, v, r->count))
        rp_hold(c, xasprintf("overflow summing the ledger %s", c->sc->rcfg->ledger));
    return 0;
}

/* ---- daily matching: computed per (game, currency, type) ---- */

/* Adds a native sum to the (day, slot, currency of the group) accumulator; an amount that
 * would overflow starts another entry (converted on its own). */
static void daily_acc(rp_ctx *c, int32_t day, int slot, int64_t count, int64_t amount)
{
    for (size_t i = c->n_acc; i-- > 0;) {
        rp_acc *a = &c->acc[i];
        if (a->day == day && a->slot == slot && strcmp(a->cur, c->cur) == 0 &&
            money_add(a->amount, amount, &a->amount)) {
            a->count += count;
            return;
        }
    }
    if (c->n_acc == c->cap_acc) {
        c->cap_acc = c->cap_acc ? 2 * c->cap_acc : 64;
        c->acc = xrealloc(c->acc, c->cap_acc * sizeof *c->acc);
    }
    rp_acc *a = &c->acc[c->n_acc++];
    *a = (rp_acc){.day = day, .slot = slot, .count = count, .amount = amount};
    memcpy(a->cur, c->cur, 4);
}

/* A daily break found: summed for the result, or listed (c->out NULL). 0, or -1 after a
 * state failure. */
static int daily_break(rp_ctx *c, recon_kind k, const rp_day *p, const rp_day *l)
{
    const rp_day *own = p ? p : l;
    if (!c->out) {
        sbuf id;
        sbuf_init(&id);
        sbuf_addf(&id, "%s/%s", c->game, tx_type_name((tx_type)c->type));
        state_recon_row r = {.kind = recon_kind_name(k), .id = id.buf, .id_len = id.len,
                             .day = own->day, .currency = c->cur, .ledger_currency = c->cur,
                             .has_partner = p != NULL, .has_ledger = l != NULL,
                             .partner_amount = p ? p->pt : 0, .ledger_amount = l ? l->lt : 0};
        int rc = state_recon_tmp_add(c->st, &r);
        sbuf_free(&id);
        return rc == 0 ? 0 : (c->failed = -1);
    }
    int64_t amount, diff;
    if (k == RK_MISSING_IN_PARTNER)
        amount = l->lt;
    else if (k == RK_MISSING_IN_LEDGER)
        amount = p->pt;
    else if (!money_sub(p->pt, l->lt, &diff) || diff == INT64_MIN) {
        rp_hold(c, xasprintf("overflow summing the reconciliation with %s", c->sc->rcfg->ledger));
        return 0;
    } else
        amount = diff < 0 ? -diff : diff;
    daily_acc(c, own->day, (int)k, 1, amount);
    return 0;
}

/* True when day is in the statement's period. */
static bool in_period(const rp_ctx *c, int32_t day)
{
    return day >= c->sc->first_day && day <= c->sc->last_day;
}

/* The one-sided ledger day nearest to partner day p (same sum and count, within
 * day_window, not taken; the earlier on a tie), or NULL. */
static rp_day *daily_shift_of(rp_ctx *c, const rp_day *p)
{
    rp_day *best = NULL;
    int64_t best_gap = 0;
    for (size_t j = 0; j < c->n_g; j++) {
        rp_day *l = &c->g[j];
        int64_t gap = (int64_t)l->day - p->day;
        gap = gap < 0 ? -gap : gap;
        if (l->done || !l->has_l || l->has_p || l->lt != p->pt || l->lc != p->pc ||
            gap > c->sc->rcfg->day_window)
            continue;
        if (!best || gap < best_gap) {
            best = l;
            best_gap = gap;
        }
    }
    return best;
}

/* Compares the days of one (game, currency, type) group (docs/reconciliation.md, daily):
 * both sides on a day, then day shifts in partner-day order, then what is left. */
static int daily_group(rp_ctx *c)
{
    for (size_t i = 0; i < c->n_g; i++) {
        rp_day *d = &c->g[i];
        if (!d->has_p || !d->has_l)
            continue;
        d->done = true;
        if (!in_period(c, d->day))
            continue;
        if (d->pt == d->lt && d->pc == d->lc) {
            if (c->out)
                daily_acc(c, d->day, RP_MATCHED, d->pc, d->pt);
        } else if (daily_break(c, RK_AMOUNT_MISMATCH, d, d) != 0)
            return -1;
    }
    for (size_t i = 0; i < c->n_g; i++) {
        rp_day *p = &c->g[i], *l;
        if (p->done || !p->has_p || !(l = daily_shift_of(c, p)))
            continue;
        p->done = l->done = true;
        if (in_period(c, p->day) && daily_break(c, RK_DAY_SHIFT, p, l) != 0)
            return -1;
    }
    for (size_t i = 0; i < c->n_g; i++) {
        rp_day *d = &c->g[i];
        if (d->done || !in_period(c, d->day))
            continue;
        if (!rp_missing(c->sc, d->day)) {
            if (c->out)
                c->out->waiting++;
        } else if (daily_break(c, d->has_p ? RK_MISSING_IN_LEDGER : RK_MISSING_IN_PARTNER,
                               d->has_p ? d : NULL, d->has_p ? NULL : d) != 0)
            return -1;
    }
    c->n_g = 0;
    return 0;
}

/* Adds one day to the group, finishing the previous group when the key changes. */
static int on_daily(void *ctx, const state_daily_row *r)
{
    rp_ctx *c = ctx;
    if (!c->game || strcmp(c->game, r->game) != 0 || strcmp(c->cur, r->currency) != 0 ||
        c->type != r->type) {
        if (c->game && daily_group(c) != 0)
            return -1;
        free(c->game);
        c->game = xstrdup(r->game);
        snprintf(c->cur, sizeof c->cur, "%s", r->currency);
        c->type = r->type;
    }
    if (c->n_g == c->cap_g) {
        c->cap_g = c->cap_g ? 2 * c->cap_g : 64;
        c->g = xrealloc(c->g, c->cap_g * sizeof *c->g);
    }
    c->g[c->n_g++] = (rp_day){.day = r->day, .has_p = r->has_partner, .has_l = r->has_ledger,
                              .pt = r->partner_total, .pc = r->partner_count,
                              .lt = r->ledger_total, .lc = r->ledger_count};
    return 0;
}

/* Runs daily matching over the period (with two windows around it, so a shift at its edge
 * sees its counterpart's own match). 0, or -1 after a state failure. */
static int daily_run(rp_ctx *c)
{
    int64_t w = 2 * (int64_t)c->sc->rcfg->day_window;
    int rc = state_recon_daily(c->st, c->sc->pc->id, c->sc->rcfg->ledger,
                               (int32_t)(c->sc->first_day - w), (int32_t)(c->sc->last_day + w),
                               on_daily, c);
    if (rc == 0 && c->game)
        rc = daily_group(c);
    if (rc == 0 && c->out)
        for (size_t i = 0; i < c->n_acc; i++)
            rp_take(c, c->acc[i].day, c->acc[i].slot, c->acc[i].cur, c->acc[i].count,
                    c->acc[i].amount, true);
    free(c->game);
    free(c->g);
    free(c->acc);
    c->game = NULL;
    c->g = NULL;
    c->acc = NULL;
    return rc != 0 || c->failed ? -1 : 0;
}

/* ---- the result ---- */

/* Sets the status and, when held, the reason (docs/reconciliation.md section 3). */
static void rp_status(rp_ctx *c)
{
    recon_result *r = c->out;
    const reconcile_config *rc = c->sc->rcfg;
    int64_t n = 0, amount = 0;
    for (int k = 0; k < RK_COUNT; k++) {
        n += r->breaks[k].count;
        if (!money_add(amount, r->breaks[k].amount, &amount))
            rp_hold(c, xasprintf("overflow summing the reconciliation with %s", rc->ledger));
    }
    char sum[MONEY_FMT_MAX], tol[MONEY_FMT_MAX];
    if (r->hold_reason)
        r->reason = xstrdup(r->hold_reason);
    else if (n > rc->tol_breaks)
        r->reason = xasprintf("reconciliation with %s: %lld break%s (tolerance %lld)", rc->ledger,
                              (long long)n, n == 1 ? "" : "s", (long long)rc->tol_breaks);
    else if (amount > rc->tol_amount) {
        money_format(amount, c->exponent, sum);
        money_format(rc->tol_amount, c->exponent, tol);
        r->reason = xasprintf("reconciliation with %s: breaks of %s %s (tolerance %s)",
                              rc->ledger, sum, c->sc->currency, tol);
    }
    r->status = r->reason ? RS_HELD
                : r->waiting ? RS_WAITING
                : n ? RS_WITHIN_TOLERANCE
                : RS_CLEAN;
}

void recon_result_free(recon_result *r)
{
    if (!r)
        return;
    free(r->ledger);
    free(r->reason);
    free(r->hold_reason);
    memset(r, 0, sizeof *r);
}

int recon_period(state *st, const recon_scope *sc, recon_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->ledger = xstrdup(sc->rcfg->ledger);
    out->match = sc->rcfg->match;
    rp_ctx c = {.st = st, .sc = sc, .out = out,
                .exponent = currency_exponent(sc->currency, strlen(sc->currency))};
    const char *p = sc->pc->id, *l = sc->rcfg->ledger;
    int32_t a = sc->first_day, b = sc->last_day;
    int rc = state_recon_sums(st, RSUM_LEDGER, p, l, a, b, on_ledger_sum, &c);
    if (rc == 0 && sc->rcfg->match == MATCH_TRANSACTION) {
        rc = state_recon_sums(st, RSUM_MATCHED, p, l, a, b, on_matched, &c);
        if (rc == 0)
            rc = state_recon_sums(st, RSUM_BREAKS, p, l, a, b, on_break_sum, &c);
        if (rc == 0)
            rc = state_recon_sums(st, RSUM_OPEN, p, l, a, b, on_open_sum, &c);
    } else if (rc == 0)
        rc = daily_run(&c);
    if (rc != 0) {
        snprintf(err, errlen, "%s", state_error(st));
        recon_result_free(out);
        return -1;
    }
    rp_status(&c);
    return 0;
}

/* ---- the breaks, listed ---- */

typedef struct rp_list {
    rp_ctx c;
    recon_break_fn fn;
    void *ctx;
    bool malformed;
    int stopped;       /* fn's non-zero result */
} rp_list;

/* Adds the open items of one chunk that are missing in the period to the listing. */
static int on_open_chunk(void *ctx, const unsigned char *p, size_t n)
{
    rp_list *L = ctx;
    const recon_scope *sc = L->c.sc;
    while (n) {
        recon_rec rec;
        size_t used = recon_rec_get(p, n, &rec);
        if (used == 0)
            return L->malformed = true, -1;
        p += used;
        n -= used;
        if (rec.day < sc->first_day || rec.day > sc->last_day || !rp_missing(sc, rec.day))
            continue;
        bool partner = rec.side == RECON_SIDE_PARTNER;
        state_recon_row r = {.kind = recon_kind_name(partner ? RK_MISSING_IN_LEDGER
                                                             : RK_MISSING_IN_PARTNER),
                             .id = rec.id, .id_len = rec.id_len, .day = rec.day,
                             .currency = rec.cur, .ledger_currency = rec.cur,
                             .has_partner = partner, .has_ledger = !partner};
        if (partner) {
            r.partner_amount = rec.amount;
            r.partner_file = rec.file_id;
            r.partner_line = rec.line;
        } else {
            r.ledger_amount = rec.amount;
            r.ledger_file = rec.file_id;
            r.ledger_line = rec.line;
        }
        if (state_recon_tmp_add(L->c.st, &r) != 0)
            return -1;
    }
    return 0;
}

/* Hands one sorted row to the caller as a recon_break. */
static int on_listed(void *ctx, const state_recon_row *r)
{
    rp_list *L = ctx;
    recon_break b = {.kind = kind_of(r->kind), .ledger = L->c.sc->rcfg->ledger, .id = r->id,
                     .day = r->day, .currency = r->currency,
                     .ledger_currency = r->ledger_currency, .has_partner = r->has_partner,
                     .has_ledger = r->has_ledger, .partner_amount = r->partner_amount,
                     .ledger_amount = r->ledger_amount,
                     .exponent = currency_exponent(r->currency, strlen(r->currency)),
                     .ledger_exponent = currency_exponent(r->ledger_currency,
                                                          strlen(r->ledger_currency)),
                     .partner_file = r->partner_path, .partner_line = r->partner_line,
                     .ledger_file = r->ledger_path, .ledger_line = r->ledger_line};
    return L->stopped = L->fn(L->ctx, &b);
}

int recon_period_breaks(state *st, const recon_scope *sc, recon_break_fn fn, void *ctx, char *err,
                        size_t errlen)
{
    rp_list L = {.c = {.st = st, .sc = sc}, .fn = fn, .ctx = ctx};
    const char *p = sc->pc->id, *l = sc->rcfg->ledger;
    int rc = state_recon_tmp_reset(st);
    if (rc == 0 && sc->rcfg->match == MATCH_TRANSACTION) {
        rc = state_recon_tmp_breaks(st, p, l, sc->first_day, sc->last_day);
        if (rc == 0)
            rc = state_recon_open_all(st, p, l, on_open_chunk, &L);
    } else if (rc == 0)
        rc = daily_run(&L.c);
    if (rc == 0 && (rc = state_recon_tmp_each(st, on_listed, &L)) == 0)
        return 0;
    if (L.stopped)
        return L.stopped;
    if (L.malformed)
        snprintf(err, errlen, "reconciliation: the open items of %s and %s are malformed in "
                 "the state", p, l);
    else
        snprintf(err, errlen, "%s", state_error(st));
    return -1;
}
