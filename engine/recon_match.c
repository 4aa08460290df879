/*
 * recon_match.c - matching by transaction, one unit at a time (recon_int.h;
 * docs/reconciliation.md section 2). A unit is ledger L's partition k: L's
 * new items of k are read once; then for each partner P reconciled with L by
 * transaction that has new items on either side, P's new items of k, L's of
 * P and the open items the state keeps for (P, L, k) (read by the driver,
 * recon_match_run.c) are grouped by key (recon_group.c), each group ordered
 * by side, currency, type, day, file and line, summed per side, currency and
 * type, paired and compared. Pairs give matched sums and breaks; what stays
 * unpaired is packed as the partition's new open items, and the per-day
 * counts of open items are adjusted by what was read and what is kept.
 * Every business day of an item whose key had something new is touched.
 * Nothing here touches the state: results go to the unit's recon_unit_result, for
 * the driver to write. Memory: one unit at a time per worker.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "recon_int.h"

/* Entries summed as they are added (a hash of their (day, side, currency) to their index). */
typedef struct rm_sums {
    recon_unit_sum *v;
    size_t n, cap;
    uint32_t *slot;   /* index + 1 of the entry of a hash slot; 0: empty */
    size_t n_slot;    /* a power of two, at least twice cap */
} rm_sums;

/* The business days touched: an open-addressing set (INT32_MIN: empty). */
typedef struct rm_days {
    int32_t *v;
    size_t n, cap;     /* cap: a power of two, or 0 */
} rm_days;


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

struct recon_worker {
    const recon_items *r;
    const settle_config *cfg;
    recon_cursor cur;              /* reads the scratch files */
    size_t li, pi;                 /* the ledger and partner being matched */
    const reconcile_config *rc;    /* pi's entry for li */
    unsigned part;
    rm_vec lv;                     /* L's new items of the partition, all owners */
    rm_vec w;                      /* the working set of (P, L, k) */
    recon_groups groups;           /* w grouped by key */
    rm_item *g;                    /* one group of more than one item, copied and ordered */
    size_t g_cap;
    rm_sums matched, open;         /* matched sums; open-item deltas */
    rm_days days;                  /* of the partner being matched */
    int32_t last_day;              /* the day added last to days (INT32_MIN: none) */
    recon_unit_result *res;             /* the partner's result being filled */
    char *err;
    size_t errlen;
};

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
        const recon_unit_sum *e = s->slot[i] ? &s->v[s->slot[i] - 1] : NULL;
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
    recon_unit_sum *e = s->slot[at] ? &s->v[s->slot[at] - 1] : NULL;
    if (e && money_add(e->amount, amount, &e->amount)) {
        e->count += count;
        return;
    }
    e = &s->v[s->n++];
    *e = (recon_unit_sum){.day = day, .side = side, .count = count, .amount = amount};
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
    const recon_unit_sum *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    if (x->side != y->side)
        return x->side - y->side;
    return strcmp(x->cur, y->cur);
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


/* Empties d, keeping its memory. */
static void days_clear(rm_days *d)
{
    for (size_t i = 0; i < d->cap; i++)
        d->v[i] = INT32_MIN;
    d->n = 0;
}

/* ---- results ---- */

static void *grow(void *v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return v;
    *cap = *cap ? 2 * *cap : 16;
    if (*cap < need)
        *cap = need;
    return xrealloc(v, *cap * size);
}

/* Empties res for a new unit, keeping its memory (not `wanted` or `open_in`). */
static void result_clear(recon_unit_result *res)
{
    res->touched = false;
    res->n_brk = res->n_chunk = res->n_sums = res->n_matched = res->n_days = 0;
    sbuf_reset(&res->ids);
    sbuf_reset(&res->out);
}

void recon_unit_result_free(recon_unit_result *res)
{
    sbuf_free(&res->open_in);
    free(res->brk);
    sbuf_free(&res->ids);
    sbuf_free(&res->out);
    free(res->chunk_end);
    free(res->sums);
    free(res->days);
    memset(res, 0, sizeof *res);
}

/* Records one break from the pair's known sides (p or l may be NULL). */
static void put_break(recon_worker *c, recon_kind kind, const rm_item *p, const rm_item *l)
{
    recon_unit_result *res = c->res;
    res->brk = grow(res->brk, &res->cap_brk, res->n_brk + 1, sizeof *res->brk);
    recon_unit_break *o = &res->brk[res->n_brk++];
    const rm_item *own = p ? p : l;
    memset(o, 0, sizeof *o);
    o->id_off = res->ids.len;
    sbuf_add(&res->ids, c->w.ids.buf + own->id_off, own->id_len);
    memcpy(o->cur, own->cur, 4);
    memcpy(o->ledger_cur, l ? l->cur : own->cur, 4);
    o->b = (state_recon_break){.partner = c->cfg->partners[c->pi].id, .ledger = c->rc->ledger,
                               .kind = recon_kind_name(kind), .tx_id_len = own->id_len,
                               .day = own->day};
    if (p) {
        o->b.partner_amount = p->amount;
        o->b.partner_file = p->file_id;
        o->b.partner_line = p->line;
    }
    if (l) {
        o->b.ledger_amount = l->amount;
        o->b.ledger_file = l->file_id;
        o->b.ledger_line = l->line;
        o->b.ledger_day = l->day;
    }
}

/* Compares a pair, in the order of docs/reconciliation.md, and records its result. */
static void pair_result(recon_worker *c, rm_item *p, rm_item *l)
{
    p->paired = l->paired = 1;
    int64_t apart = (int64_t)p->day - l->day;
    if (memcmp(p->cur, l->cur, 4) != 0)
        put_break(c, RK_CURRENCY_MISMATCH, p, l);
    else if (p->type != l->type)
        put_break(c, RK_TYPE_MISMATCH, p, l);
    else if (p->amount != l->amount)
        put_break(c, RK_AMOUNT_MISMATCH, p, l);
    else if (apart > c->rc->day_window || -apart > c->rc->day_window) {
        put_break(c, RK_MISSING_IN_LEDGER, p, NULL);
        put_break(c, RK_MISSING_IN_PARTNER, NULL, l);
    } else if (apart != 0)
        put_break(c, RK_DAY_SHIFT, p, l);
    else
        sums_add(&c->matched, p->day, 0, p->cur, 1, p->amount);
}

/* Ends the chunk of open items packed so far (nothing when it is empty). */
static void chunk_end(recon_unit_result *res)
{
    size_t start = res->n_chunk ? res->chunk_end[res->n_chunk - 1] : 0;
    if (res->out.len == start)
        return;
    res->chunk_end = grow(res->chunk_end, &res->cap_chunk, res->n_chunk + 1,
                          sizeof *res->chunk_end);
    res->chunk_end[res->n_chunk++] = res->out.len;
}

/* Keeps an unpaired item open: packed into the partition's chunks and counted on its day. */
static void keep_open(recon_worker *c, const rm_item *it)
{
    recon_unit_result *res = c->res;
    recon_rec rec = rec_of(&c->w, it);
    size_t n = recon_rec_size(&rec);
    size_t start = res->n_chunk ? res->chunk_end[res->n_chunk - 1] : 0;
    if (res->out.len - start + n > STATE_RECON_CHUNK)
        chunk_end(res);
    unsigned char buf[RECON_REC_FIXED + RECON_ID_MAX];
    recon_rec_put(buf, &rec);
    sbuf_add(&res->out, buf, n);
    sums_add(&c->open, it->day, it->side, it->cur, 1, it->amount);
}

/* Sums same-side items of one currency and type into the first (earliest) of them; an
 * amount that would overflow starts a new item instead. */
static void merge_group(rm_item *g, size_t n)
{
    rm_item *into = NULL;
    for (size_t i = 0; i < n; i++) {
        rm_item *it = &g[i];
        if (into && into->side == it->side && into->type == it->type &&
            memcmp(into->cur, it->cur, 4) == 0 && money_add(into->amount, it->amount, &into->amount))
            it->paired = 1; /* merged away */
        else
            into = it;
    }
}

/* Adds day to the partner's touched days (the same day as last time: nothing to do). */
static inline void touch_day(recon_worker *c, int32_t day)
{
    if (day != c->last_day) {
        days_add(&c->days, day);
        c->last_day = day;
    }
}

/* Pairs the partner items of a key group with its ledger items (same currency and type
 * first, then in order) and keeps the rest open. */
static void match_group(recon_worker *c, rm_item *g, size_t n)
{
    bool fresh = false;
    for (size_t i = 0; i < n; i++)
        fresh |= g[i].fresh;
    if (fresh) {
        for (size_t i = 0; i < n; i++)
            touch_day(c, g[i].day);
        merge_group(g, n);
    }
    for (int loose = 0; fresh && loose < 2; loose++)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; g[i].side == RECON_SIDE_PARTNER && !g[i].paired && j < n; j++)
                if (g[j].side == RECON_SIDE_LEDGER && !g[j].paired &&
                    (loose || (g[i].type == g[j].type && memcmp(g[i].cur, g[j].cur, 4) == 0)))
                    pair_result(c, &g[i], &g[j]);
    for (size_t i = 0; i < n; i++)
        if (!g[i].paired)
            keep_open(c, &g[i]);
}

/* Sorts s and appends the sum of each (day, side, currency) to the result (in parts if it
 * would overflow; nothing for a zero one); empties s. */
static void sums_out(recon_worker *c, rm_sums *s)
{
    recon_unit_result *res = c->res;
    xqsort(s->v, s->n, sizeof *s->v, sum_cmp);
    for (size_t i = 0; i < s->n;) {
        recon_unit_sum t = s->v[i++];
        for (; i < s->n && sum_cmp(&t, &s->v[i]) == 0; i++) {
            int64_t amount;
            if (!money_add(t.amount, s->v[i].amount, &amount)) {
                res->sums = grow(res->sums, &res->cap_sums, res->n_sums + 1, sizeof *res->sums);
                res->sums[res->n_sums++] = t;
                t = s->v[i];
                continue;
            }
            t.amount = amount;
            t.count += s->v[i].count;
        }
        if (t.count == 0 && t.amount == 0)
            continue;
        res->sums = grow(res->sums, &res->cap_sums, res->n_sums + 1, sizeof *res->sums);
        res->sums[res->n_sums++] = t;
    }
    sums_clear(s);
}

/* ---- loading ---- */

static int on_new(void *ctx, const recon_rec *rec)
{
    vec_push(ctx, rec, 1);
    return 0;
}

/* Adds the stored open items to the working set (and subtracts them from the per-day
 * counts: whatever is still open is added back when kept). */
static int load_open(recon_worker *c)
{
    const unsigned char *p = (const unsigned char *)c->res->open_in.buf;
    size_t n = c->res->open_in.len;
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
static int item_cmp(const rm_item *x, const rm_item *y)
{
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

/* Copies the items of the key whose last item is `last` (index + 1 in w) to c->g, ordered
 * by item_cmp (an insertion sort: groups are small); returns how many. */
static size_t group_of(recon_worker *c, uint32_t last)
{
    size_t n = 0;
    for (uint32_t at = last; at; at = c->groups.next[at - 1]) {
        if (n == c->g_cap) {
            c->g_cap = c->g_cap ? 2 * c->g_cap : 16;
            c->g = xrealloc(c->g, c->g_cap * sizeof *c->g);
        }
        const rm_item *it = &c->w.v[at - 1];
        size_t k = n++;
        for (; k > 0 && item_cmp(it, &c->g[k - 1]) < 0; k--)
            c->g[k] = c->g[k - 1];
        c->g[k] = *it;
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

/* The new items of (P, L, k), then the open ones, matched into c->res. */
static int match_part(recon_worker *c)
{
    vec_clear(&c->w);
    if (recon_items_each(c->r, &c->cur, recon_src_partner(c->r, c->pi), c->part, on_new,
                         &c->w) != 0) {
        snprintf(c->err, c->errlen, "%s", c->cur.err);
        return -1;
    }
    for (size_t i = 0; i < c->lv.n; i++)
        if (c->lv.v[i].owner == c->pi) {
            recon_rec rec = rec_of(&c->lv, &c->lv.v[i]);
            vec_push(&c->w, &rec, 1);
        }
    if (c->w.n == 0)
        return 0; /* nothing new: the open items stay as they are */
    c->res->touched = true;
    if (load_open(c) != 0)
        return -1;
    if (recon_groups_build(&c->groups, c->w.v, c->w.n, sizeof *c->w.v) != 0) {
        snprintf(c->err, c->errlen, "reconciliation: %zu items in one partition of %s and %s",
                 c->w.n, c->cfg->partners[c->pi].id, c->rc->ledger);
        return -1;
    }
    if (c->days.cap)
        days_clear(&c->days);
    c->last_day = INT32_MIN;
    for (size_t f = 0; f < c->groups.n_first; f++) {
        uint32_t last = c->groups.slot[c->groups.first[f]];
        if (c->groups.next[last - 1] == 0)
            match_group(c, &c->w.v[last - 1], 1);
        else
            match_group(c, c->g, group_of(c, last));
    }
    chunk_end(c->res);
    sums_out(c, &c->matched);
    c->res->n_matched = c->res->n_sums;
    sums_out(c, &c->open);
    for (size_t i = 0; i < c->days.cap; i++)
        if (c->days.v[i] != INT32_MIN) {
            c->res->days = grow(c->res->days, &c->res->cap_days, c->res->n_days + 1,
                                sizeof *c->res->days);
            c->res->days[c->res->n_days++] = c->days.v[i];
        }
    return 0;
}

/* ---- a worker ---- */

recon_worker *recon_worker_new(const recon_items *r)
{
    recon_worker *w = xcalloc(1, sizeof *w);
    w->r = r;
    w->cfg = recon_items_config(r);
    sbuf_init(&w->lv.ids);
    sbuf_init(&w->w.ids);
    return w;
}

void recon_worker_free(recon_worker *w)
{
    if (!w)
        return;
    recon_cursor_free(&w->cur);
    vec_free(&w->lv);
    vec_free(&w->w);
    recon_groups_free(&w->groups);
    free(w->g);
    free(w->matched.v);
    free(w->matched.slot);
    free(w->open.v);
    free(w->open.slot);
    free(w->days.v);
    free(w);
}

int recon_worker_unit(recon_worker *w, size_t li, unsigned part, recon_unit_result *res, char *err,
                      size_t errlen)
{
    w->li = li;
    w->part = part;
    w->err = err;
    w->errlen = errlen;
    vec_clear(&w->lv);
    if (recon_items_each(w->r, &w->cur, recon_src_ledger(w->r, li), part, on_new, &w->lv) != 0) {
        snprintf(err, errlen, "%s", w->cur.err);
        return -1;
    }
    for (size_t pi = 0; pi < w->cfg->n_partners; pi++) {
        result_clear(&res[pi]);
        if (!res[pi].wanted)
            continue;
        w->pi = pi;
        w->rc = entry_of(w->cfg, pi, li);
        w->res = &res[pi];
        if (match_part(w) != 0)
            return -1;
    }
    return 0;
}
