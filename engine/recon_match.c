/*
 * recon_match.c - matching by transaction after ingest (recon.h,
 * docs/reconciliation.md section 2). For each ledger L and partition k, L's
 * new items of k are read once; then for each partner P reconciled with L by
 * transaction that has new items on either side, P's new items of k, L's of
 * P and the open items the state keeps for (P, L, k) are grouped by key
 * (recon_group.c), each group ordered by side, currency, type, day, file and
 * line, summed per side, currency and type, paired and compared. Pairs give
 * matched sums and breaks; what stays unpaired is written back as the
 * partition's open items, and the per-day counts of open items are adjusted
 * by what was read and what was written. Every business day of an item whose
 * key had something new is touched. Memory: one (P, L, k) at a time.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "recon_int.h"

/* One item in memory; its id text is at ids + id_off of its vector. */
typedef struct rm_item {
    dedup_digest key;
    int64_t amount, file_id;
    uint64_t line;
    uint32_t id_off, owner;
    int32_t day;
    uint16_t id_len;
    uint8_t type, side;
    uint8_t fresh;   /* new this run, not read from the state */
    uint8_t paired;  /* taken by a pair (or merged into another item) */
    char cur[4];
} rm_item;
_Static_assert(offsetof(rm_item, key) == 0, "recon_groups_build reads the key at offset 0");

/* A growable vector of items and the arena of their ids. */
typedef struct rm_vec {
    rm_item *v;
    size_t n, cap;
    sbuf ids;
} rm_vec;

/* A (day, side, currency) count and amount, summed before it is written. */
typedef struct rm_sum {
    int32_t day;
    int side;
    char cur[4];
    int64_t count, amount;
} rm_sum;

/* Entries summed as they are added (a hash of their (day, side, currency) to their index). */
typedef struct rm_sums {
    rm_sum *v;
    size_t n, cap;
    uint32_t *slot;   /* index + 1 of the entry of a hash slot; 0: empty */
    size_t n_slot;    /* a power of two, at least twice cap */
} rm_sums;

/* The business days touched per partner: an open-addressing set (INT32_MIN: empty). */
typedef struct rm_days {
    int32_t *v;
    size_t n, cap;     /* cap: a power of two, or 0 */
} rm_days;

typedef struct rm_ctx {
    recon_items *r;
    state *st;
    const settle_config *cfg;
    int64_t run_id;
    size_t li, pi;                 /* the ledger and partner being matched */
    const reconcile_config *rc;    /* pi's entry for li */
    unsigned part;
    rm_vec lv;                     /* L's new items of the partition, all owners */
    rm_vec w;                      /* the working set of (P, L, k) */
    recon_groups groups;           /* w grouped by key */
    rm_item *g;                    /* one group of more than one item, copied and ordered */
    size_t g_cap;
    rm_sums matched, open;         /* matched sums; open-item deltas */
    rm_days *days;                 /* per partner */
    sbuf out;                      /* the open items being packed into a chunk */
    int64_t chunk;
    char *err;
    size_t errlen;
} rm_ctx;

/* ---- small containers ---- */

static void vec_push(rm_vec *w, const recon_rec *rec, uint8_t fresh)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 1024;
        w->v = xrealloc(w->v, w->cap * sizeof *w->v);
    }
    rm_item *it = &w->v[w->n++];
    *it = (rm_item){.key = rec->key, .amount = rec->amount, .file_id = rec->file_id,
                    .line = rec->line, .id_off = (uint32_t)w->ids.len, .owner = rec->owner,
                    .day = rec->day, .id_len = rec->id_len, .type = rec->type, .side = rec->side,
                    .fresh = fresh};
    memcpy(it->cur, rec->cur, 4);
    sbuf_add(&w->ids, rec->id, rec->id_len);
}

static void vec_clear(rm_vec *w)
{
    w->n = 0;
    sbuf_reset(&w->ids);
}

static void vec_free(rm_vec *w)
{
    free(w->v);
    sbuf_free(&w->ids);
}

/* The record of item `it` of vector w (its id borrowed from w). */
static recon_rec rec_of(const rm_vec *w, const rm_item *it)
{
    recon_rec rec = {.key = it->key, .day = it->day, .type = it->type, .side = it->side,
                     .amount = it->amount, .file_id = it->file_id, .line = it->line,
                     .owner = it->owner, .id_len = it->id_len, .id = w->ids.buf + it->id_off};
    memcpy(rec.cur, it->cur, 4);
    return rec;
}

static size_t sum_slot(const rm_sums *s, int32_t day, int side, const char *cur)
{
    uint64_t h = ((uint64_t)(uint32_t)day << 17 ^ (uint64_t)side << 16 ^
                  (uint64_t)(unsigned char)cur[0] << 24 ^ (uint64_t)(unsigned char)cur[1] << 8 ^
                  (unsigned char)cur[2]) * 0x9e3779b97f4a7c15ull;
    size_t i = (size_t)(h >> 32) & (s->n_slot - 1);
    for (;; i = (i + 1) & (s->n_slot - 1)) {
        const rm_sum *e = s->slot[i] ? &s->v[s->slot[i] - 1] : NULL;
        if (!e || (e->day == day && e->side == side && memcmp(e->cur, cur, 4) == 0))
            return i;
    }
}

/* Grows the entries and rebuilds the hash (the latest entry of a key wins its slot). */
static void sums_grow(rm_sums *s)
{
    s->cap = s->cap ? 2 * s->cap : 256;
    s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    free(s->slot);
    s->n_slot = 2 * s->cap;
    s->slot = xcalloc(s->n_slot, sizeof *s->slot);
    for (size_t i = 0; i < s->n; i++)
        s->slot[sum_slot(s, s->v[i].day, s->v[i].side, s->v[i].cur)] = (uint32_t)i + 1;
}

/* Adds (count, amount) to the entry of (day, side, currency); a sum that would overflow
 * starts another entry of the same key (sums_write writes them apart). */
static void sums_add(rm_sums *s, int32_t day, int side, const char *cur, int64_t count,
                     int64_t amount)
{
    if (s->n == s->cap)
        sums_grow(s);
    size_t at = sum_slot(s, day, side, cur);
    rm_sum *e = s->slot[at] ? &s->v[s->slot[at] - 1] : NULL;
    if (e && money_add(e->amount, amount, &e->amount)) {
        e->count += count;
        return;
    }
    e = &s->v[s->n++];
    *e = (rm_sum){.day = day, .side = side, .count = count, .amount = amount};
    memcpy(e->cur, cur, 4);
    s->slot[at] = (uint32_t)s->n;
}

/* Empties s. */
static void sums_clear(rm_sums *s)
{
    s->n = 0;
    if (s->slot)
        memset(s->slot, 0, s->n_slot * sizeof *s->slot);
}

static int sum_cmp(const void *a, const void *b)
{
    const rm_sum *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    if (x->side != y->side)
        return x->side - y->side;
    return strcmp(x->cur, y->cur);
}

static int day_cmp(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* The slot of day in d (where it is, or the empty slot where it would go). */
static size_t day_slot(const rm_days *d, int32_t day)
{
    size_t i = (size_t)(((uint64_t)(uint32_t)day * 0x9e3779b97f4a7c15ull) >> 40) & (d->cap - 1);
    while (d->v[i] != INT32_MIN && d->v[i] != day)
        i = (i + 1) & (d->cap - 1);
    return i;
}

static void days_add(rm_days *d, int32_t day)
{
    if (2 * (d->n + 1) > d->cap) {
        rm_days g = {.cap = d->cap ? 2 * d->cap : 64};
        g.v = xmalloc(g.cap * sizeof *g.v);
        for (size_t i = 0; i < g.cap; i++)
            g.v[i] = INT32_MIN;
        for (size_t i = 0; i < d->cap; i++)
            if (d->v[i] != INT32_MIN)
                g.v[day_slot(&g, d->v[i])] = d->v[i];
        g.n = d->n;
        free(d->v);
        *d = g;
    }
    size_t at = day_slot(d, day);
    d->n += d->v[at] == INT32_MIN;
    d->v[at] = day;
}

/* The days of d, sorted, moved to the front of d->v (d is no longer a set). */
static void days_sorted(rm_days *d)
{
    size_t k = 0;
    for (size_t i = 0; i < d->cap; i++)
        if (d->v[i] != INT32_MIN)
            d->v[k++] = d->v[i];
    xqsort(d->v, k, sizeof *d->v, day_cmp);
}

/* ---- failures ---- */

static int st_fail(rm_ctx *c)
{
    snprintf(c->err, c->errlen, "%s", state_error(c->st));
    return -1;
}

static int items_fail(rm_ctx *c)
{
    snprintf(c->err, c->errlen, "%s", recon_items_error(c->r));
    return -1;
}

/* ---- loading ---- */

static int on_new(void *ctx, const recon_rec *rec)
{
    vec_push(ctx, rec, 1);
    return 0;
}

/* Adds the open items of one stored chunk to the working set (and subtracts them from the
 * per-day counts: whatever is still open is added back when written). */
static int on_open_chunk(void *ctx, const unsigned char *p, size_t n)
{
    rm_ctx *c = ctx;
    while (n) {
        recon_rec rec;
        size_t used = recon_rec_get(p, n, &rec);
        if (used == 0) {
            snprintf(c->err, c->errlen, "reconciliation: the open items of %s and %s are "
                     "malformed in the state", c->cfg->partners[c->pi].id, c->rc->ledger);
            return -1;
        }
        vec_push(&c->w, &rec, 0);
        sums_add(&c->open, rec.day, rec.side, rec.cur, -1, -rec.amount);
        p += used;
        n -= used;
    }
    return 0;
}

/* Orders items by key, side, currency, type, day, file and line. */
static int item_cmp(const void *a, const void *b)
{
    const rm_item *x = a, *y = b;
    if (x->key.hi != y->key.hi)
        return x->key.hi < y->key.hi ? -1 : 1;
    if (x->key.lo != y->key.lo)
        return x->key.lo < y->key.lo ? -1 : 1;
    if (x->side != y->side)
        return x->side - y->side;
    int c = memcmp(x->cur, y->cur, 4);
    if (c)
        return c;
    if (x->type != y->type)
        return x->type - y->type;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    if (x->file_id != y->file_id)
        return x->file_id < y->file_id ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

/* ---- results ---- */

/* Writes one break from the pair's known sides (p or l may be NULL). */
static int put_break(rm_ctx *c, recon_kind kind, const rm_item *p, const rm_item *l)
{
    const rm_item *own = p ? p : l;
    state_recon_break b = {.partner = c->cfg->partners[c->pi].id, .ledger = c->rc->ledger,
                           .kind = recon_kind_name(kind), .tx_id = c->w.ids.buf + own->id_off,
                           .tx_id_len = own->id_len, .day = own->day,
                           .currency = own->cur, .ledger_currency = l ? l->cur : own->cur,
                           .run_id = c->run_id};
    if (p) {
        b.partner_amount = p->amount;
        b.partner_file = p->file_id;
        b.partner_line = p->line;
    }
    if (l) {
        b.ledger_amount = l->amount;
        b.ledger_file = l->file_id;
        b.ledger_line = l->line;
        b.ledger_day = l->day;
    }
    return state_recon_break_add(c->st, &b) == 0 ? 0 : st_fail(c);
}

/* Compares a pair, in the order of docs/reconciliation.md, and records its result. */
static int pair_result(rm_ctx *c, rm_item *p, rm_item *l)
{
    p->paired = l->paired = 1;
    int64_t apart = (int64_t)p->day - l->day;
    if (strcmp(p->cur, l->cur) != 0)
        return put_break(c, RK_CURRENCY_MISMATCH, p, l);
    if (p->type != l->type)
        return put_break(c, RK_TYPE_MISMATCH, p, l);
    if (p->amount != l->amount)
        return put_break(c, RK_AMOUNT_MISMATCH, p, l);
    if (apart > c->rc->day_window || -apart > c->rc->day_window)
        return put_break(c, RK_MISSING_IN_LEDGER, p, NULL) ||
               put_break(c, RK_MISSING_IN_PARTNER, NULL, l) ? -1 : 0;
    if (apart != 0)
        return put_break(c, RK_DAY_SHIFT, p, l);
    sums_add(&c->matched, p->day, 0, p->cur, 1, p->amount);
    return 0;
}

/* Stores the packed open items gathered so far as the partition's next chunk. */
static int out_flush(rm_ctx *c)
{
    if (c->out.len == 0)
        return 0;
    if (state_recon_open_put(c->st, c->cfg->partners[c->pi].id, c->rc->ledger, (int)c->part,
                             c->chunk++, c->out.buf, c->out.len) != 0)
        return st_fail(c);
    sbuf_reset(&c->out);
    return 0;
}

/* Keeps an unpaired item open: packed into the partition's chunks and counted on its day. */
static int keep_open(rm_ctx *c, const rm_item *it)
{
    recon_rec rec = rec_of(&c->w, it);
    size_t n = recon_rec_size(&rec);
    if (c->out.len + n > STATE_RECON_CHUNK && out_flush(c) != 0)
        return -1;
    unsigned char buf[RECON_REC_FIXED + RECON_ID_MAX];
    recon_rec_put(buf, &rec);
    sbuf_add(&c->out, buf, n);
    sums_add(&c->open, it->day, it->side, it->cur, 1, it->amount);
    return 0;
}

/* Sums same-side items of one currency and type into the first (earliest) of them; an
 * amount that would overflow starts a new item instead. */
static void merge_group(rm_item *g, size_t n)
{
    rm_item *into = NULL;
    for (size_t i = 0; i < n; i++) {
        rm_item *it = &g[i];
        if (into && into->side == it->side && into->type == it->type &&
            strcmp(into->cur, it->cur) == 0 && money_add(into->amount, it->amount, &into->amount))
            it->paired = 1; /* merged away */
        else
            into = it;
    }
}

/* Pairs the partner items of a key group with its ledger items (same currency and type
 * first, then in order) and keeps the rest open. */
static int match_group(rm_ctx *c, rm_item *g, size_t n)
{
    bool fresh = false;
    for (size_t i = 0; i < n; i++)
        fresh |= g[i].fresh;
    if (fresh)
        for (size_t i = 0; i < n; i++)
            days_add(&c->days[c->pi], g[i].day);
    if (fresh)
        merge_group(g, n);
    for (int loose = 0; fresh && loose < 2; loose++)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; g[i].side == RECON_SIDE_PARTNER && !g[i].paired && j < n; j++)
                if (g[j].side == RECON_SIDE_LEDGER && !g[j].paired &&
                    (loose || (g[i].type == g[j].type && strcmp(g[i].cur, g[j].cur) == 0)) &&
                    pair_result(c, &g[i], &g[j]) != 0)
                    return -1;
    for (size_t i = 0; i < n; i++)
        if (!g[i].paired && keep_open(c, &g[i]) != 0)
            return -1;
    return 0;
}

/* Writes one summed entry (nothing when it is zero). */
static int sum_put(rm_ctx *c, const rm_sum *t, bool open)
{
    const char *partner = c->cfg->partners[c->pi].id;
    if (t->count == 0 && t->amount == 0)
        return 0;
    int rc = open ? state_recon_days_add(c->st, partner, c->rc->ledger, t->day, t->side, t->cur,
                                         t->count, t->amount)
                  : state_recon_matched_add(c->st, partner, c->rc->ledger, t->day, t->cur,
                                            t->count, t->amount);
    return rc == 0 ? 0 : st_fail(c);
}

/* Sorts s, writes the sum of each (day, side, currency) (in parts if it would overflow),
 * and empties s. */
static int sums_write(rm_ctx *c, rm_sums *s, bool open)
{
    xqsort(s->v, s->n, sizeof *s->v, sum_cmp);
    for (size_t i = 0; i < s->n;) {
        rm_sum t = s->v[i++];
        for (; i < s->n && sum_cmp(&t, &s->v[i]) == 0; i++) {
            int64_t amount;
            if (!money_add(t.amount, s->v[i].amount, &amount)) {
                if (sum_put(c, &t, open) != 0)
                    return -1;
                t = s->v[i];
                continue;
            }
            t.amount = amount;
            t.count += s->v[i].count;
        }
        if (sum_put(c, &t, open) != 0)
            return -1;
    }
    sums_clear(s);
    return 0;
}

/* ---- one (partner, ledger, partition) ---- */

/* Copies the items of the key whose last item is `last` (index + 1 in w) to c->g, ordered
 * by item_cmp (an insertion sort: groups are small); returns how many. */
static size_t group_of(rm_ctx *c, uint32_t last)
{
    size_t n = 0;
    for (uint32_t at = last; at; at = c->groups.next[at - 1]) {
        if (n == c->g_cap) {
            c->g_cap = c->g_cap ? 2 * c->g_cap : 16;
            c->g = xrealloc(c->g, c->g_cap * sizeof *c->g);
        }
        rm_item it = c->w.v[at - 1];
        size_t k = n++;
        for (; k > 0 && item_cmp(&it, &c->g[k - 1]) < 0; k--)
            c->g[k] = c->g[k - 1];
        c->g[k] = it;
    }
    return n;
}

/* The partner's reconcile entry for ledger li (recon_ledger_wanted said there is one). */
static const reconcile_config *entry_of(const settle_config *cfg, size_t pi, size_t li)
{
    const partner_config *pc = &cfg->partners[pi];
    for (size_t i = 0; i < pc->n_reconcile; i++)
        if (pc->reconcile[i].ledger_index == li && pc->reconcile[i].match == MATCH_TRANSACTION)
            return &pc->reconcile[i];
    return NULL;
}

static int match_part(rm_ctx *c)
{
    const char *partner = c->cfg->partners[c->pi].id;
    vec_clear(&c->w);
    int rc = recon_items_each(c->r, recon_src_partner(c->r, c->pi), c->part, on_new, &c->w);
    if (rc != 0)
        return items_fail(c);
    for (size_t i = 0; i < c->lv.n; i++)
        if (c->lv.v[i].owner == c->pi) {
            recon_rec rec = rec_of(&c->lv, &c->lv.v[i]);
            vec_push(&c->w, &rec, 1);
        }
    size_t fresh = c->w.n;
    if (fresh == 0)
        return 0;
    rc = state_recon_open_each(c->st, partner, c->rc->ledger, (int)c->part, on_open_chunk, c);
    if (rc != 0)
        return rc == -1 && !c->err[0] ? st_fail(c) : -1;
    if (c->w.n > fresh &&
        state_recon_open_drop(c->st, partner, c->rc->ledger, (int)c->part) != 0)
        return st_fail(c);
    if (recon_groups_build(&c->groups, c->w.v, c->w.n, sizeof *c->w.v) != 0) {
        snprintf(c->err, c->errlen, "reconciliation: %zu items in one partition of %s and %s",
                 c->w.n, partner, c->rc->ledger);
        return -1;
    }
    c->chunk = 0;
    sbuf_reset(&c->out);
    for (size_t f = 0; f < c->groups.n_first; f++) {
        uint32_t last = c->groups.slot[c->groups.first[f]];
        int grc = c->groups.next[last - 1] == 0 ? match_group(c, &c->w.v[last - 1], 1)
                                                : match_group(c, c->g, group_of(c, last));
        if (grc != 0)
            return -1;
    }
    if (out_flush(c) != 0 || sums_write(c, &c->matched, false) != 0 ||
        sums_write(c, &c->open, true) != 0)
        return -1;
    return 0;
}

/* Matches partition k of ledger li with every partner reconciled with it by transaction. */
static int match_ledger_part(rm_ctx *c, size_t li, unsigned k)
{
    c->li = li;
    c->part = k;
    vec_clear(&c->lv);
    if (recon_items_each(c->r, recon_src_ledger(c->r, li), k, on_new, &c->lv) != 0)
        return items_fail(c);
    for (size_t pi = 0; pi < c->cfg->n_partners; pi++) {
        if (!recon_ledger_wanted(c->cfg, li, pi))
            continue;
        c->pi = pi;
        c->rc = entry_of(c->cfg, pi, li);
        if (match_part(c) != 0)
            return -1;
    }
    return 0;
}

/* Calls touch for every day touched, per partner in order. */
static int touch_all(rm_ctx *c, recon_touch_fn touch, void *ctx)
{
    for (size_t pi = 0; pi < c->cfg->n_partners; pi++) {
        rm_days *d = &c->days[pi];
        days_sorted(d);
        for (size_t i = 0; i < d->n; i++)
            if (touch && touch(ctx, pi, d->v[i]) != 0) {
                snprintf(c->err, c->errlen, "reconciliation: re-settling %s's day %d failed",
                         c->cfg->partners[pi].id, (int)d->v[i]);
                return -1;
            }
    }
    return 0;
}

int recon_match_all(recon_items *r, state *st, int64_t run_id, recon_touch_fn touch, void *ctx,
                    char *err, size_t errlen)
{
    if (!r)
        return 0;
    rm_ctx c = {.r = r, .st = st, .cfg = recon_items_config(r), .run_id = run_id, .err = err,
                .errlen = errlen};
    err[0] = '\0';
    c.days = xcalloc(c.cfg->n_partners ? c.cfg->n_partners : 1, sizeof *c.days);
    sbuf_init(&c.lv.ids);
    sbuf_init(&c.w.ids);
    sbuf_init(&c.out);
    int rc = 0;
    for (size_t li = 0; rc == 0 && li < c.cfg->n_ledgers; li++)
        for (unsigned k = 0; rc == 0 && k < RECON_PARTS; k++)
            rc = match_ledger_part(&c, li, k);
    if (rc == 0)
        rc = touch_all(&c, touch, ctx);
    for (size_t pi = 0; pi < c.cfg->n_partners; pi++)
        free(c.days[pi].v);
    free(c.days);
    vec_free(&c.lv);
    vec_free(&c.w);
    recon_groups_free(&c.groups);
    free(c.g);
    sbuf_free(&c.out);
    free(c.matched.v);
    free(c.matched.slot);
    free(c.open.v);
    free(c.open.slot);
    return rc;
}
