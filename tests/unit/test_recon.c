/*
 * test_recon.c - reconciliation's matching core: the item collector
 * (recon_items.c: partitioned scratch files read back exactly, void files
 * skipped), recon_match_all over several runs against a simple model, the
 * open items of one partition in more than one chunk, and (TEST_RECON_BIG=n)
 * the time and peak memory of n + n items.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "recon_int.h"
#include "state.h"
#include "util.h"

static const dedup_key tkey = {0x1111222233334444ull, 0x5555666677778888ull};

/* ---- a config: p0 reconciled by transaction with wallet (day_window 1) and bank
 * (day_window 2), p1 not reconciled, p2 daily with wallet, p3 with wallet (day_window 0) ---- */

#define N_PARTNERS 4
#define N_LEDGERS 2

static settle_config cfg;

static void cfg_make(void)
{
    static partner_config parts[N_PARTNERS];
    static ledger_config ledgers[N_LEDGERS];
    static reconcile_config rc0[2] = {
        {.ledger = "wallet", .ledger_index = 0, .match = MATCH_TRANSACTION, .day_window = 1},
        {.ledger = "bank", .ledger_index = 1, .match = MATCH_TRANSACTION, .day_window = 2}};
    static reconcile_config rc2 = {.ledger = "wallet", .ledger_index = 0, .match = MATCH_DAILY,
                                   .day_window = 1};
    static reconcile_config rc3 = {.ledger = "wallet", .ledger_index = 0,
                                   .match = MATCH_TRANSACTION, .day_window = 0};
    static char *ids[N_PARTNERS] = {"p0", "p1", "p2", "p3"};
    for (int i = 0; i < N_PARTNERS; i++)
        parts[i].id = ids[i];
    parts[0].reconcile = rc0;
    parts[0].n_reconcile = 2;
    parts[2].reconcile = &rc2;
    parts[2].n_reconcile = 1;
    parts[3].reconcile = &rc3;
    parts[3].n_reconcile = 1;
    ledgers[0].src.id = "wallet";
    ledgers[1].src.id = "bank";
    cfg.partners = parts;
    cfg.n_partners = N_PARTNERS;
    cfg.ledgers = ledgers;
    cfg.n_ledgers = N_LEDGERS;
}

/* ---- the collector ---- */

#define N_ITEMS 300000u

/* The id text of item n, and its item. */
static recon_item item_of(uint32_t n, char *buf, size_t cap)
{
    int len = snprintf(buf, cap, "tx-%u%s", n, n % 1000 == 7 ? "-a-much-longer-transaction-id" : "");
    recon_item it = {.key = dedup_siphash128(&tkey, buf, (size_t)len),
                     .id = {buf, (size_t)len},
                     .day = 20000 + (int32_t)(n % 40),
                     .type = (tx_type)(n % TX_TYPE_COUNT),
                     .amount = (int64_t)n * 7919 - 1000000000000ll,
                     .file_id = 1 + n % 50,
                     .line = n + 1};
    memcpy(it.cur, n % 3 ? "EUR" : "USD", 4);
    return it;
}

typedef struct seen_items {
    unsigned part;
    uint64_t n, lines, bad;
    char *hit;
} seen_items;

/* Checks one read-back record against item_of(line - 1). */
static int on_item(void *ctx, const recon_rec *rec)
{
    seen_items *s = ctx;
    uint32_t n = (uint32_t)(rec->line - 1);
    char buf[96];
    recon_item it = item_of(n, buf, sizeof buf);
    if (n >= N_ITEMS || s->hit[n] || recon_part_of(rec->key) != s->part ||
        rec->key.lo != it.key.lo || rec->key.hi != it.key.hi || rec->day != it.day ||
        rec->type != it.type || rec->amount != it.amount || rec->file_id != it.file_id ||
        strcmp(rec->cur, it.cur) != 0 || rec->id_len != it.id.n ||
        memcmp(rec->id, it.id.p, it.id.n) != 0 || rec->owner != (n % 2 ? 2u : 0u) ||
        rec->side != RECON_SIDE_LEDGER)
        s->bad++;
    else
        s->hit[n] = 1;
    s->n++;
    return 0;
}

static void test_items(void)
{
    char err[256];
    recon_items *r = recon_items_open(&cfg, NULL, err, sizeof err);
    CHECK(r != NULL);
    if (!r)
        return;
    uint64_t failed = 0;
    for (uint32_t n = 0; n < N_ITEMS; n++) {
        char buf[96];
        recon_item it = item_of(n, buf, sizeof buf);
        if (recon_items_ledger(r, 0, n % 2 ? 2 : 0, &it) != 0)
            failed++;
    }
    CHECK_EQ_INT(failed, 0);
    recon_items_void(r, 13);
    recon_items_void(r, 13);
    recon_items_void(r, 3);
    seen_items s = {.hit = xcalloc(N_ITEMS, 1)};
    uint64_t counted = 0;
    recon_cursor cur = {0};
    CHECK_EQ_INT(recon_items_seal(r), 0);
    for (unsigned k = 0; k < RECON_PARTS; k++) {
        s.part = k;
        counted += recon_items_count(r, recon_src_ledger(r, 0), k);
        CHECK_EQ_INT(recon_items_each(r, &cur, recon_src_ledger(r, 0), k, on_item, &s), 0);
    }
    CHECK_EQ_INT(counted, N_ITEMS);
    CHECK_EQ_INT(s.bad, 0);
    uint64_t missing = 0;
    for (uint32_t n = 0; n < N_ITEMS; n++)
        missing += !s.hit[n] != (1 + n % 50 == 13 || 1 + n % 50 == 3);
    CHECK_EQ_INT(missing, 0);
    CHECK_EQ_INT(s.n, N_ITEMS - 2 * N_ITEMS / 50);
    /* the partner sources are empty */
    s.n = 0;
    CHECK_EQ_INT(recon_items_each(r, &cur, recon_src_partner(r, 0), 5, on_item, &s), 0);
    CHECK_EQ_INT(s.n, 0);
    recon_cursor_free(&cur);
    free(s.hit);
    recon_items_close(r);
    recon_items_close(NULL);
    CHECK(recon_items_open(&cfg, "/nonexistent/dir", err, sizeof err) == NULL);
}

/* ---- matching, against a model ---- */

#define N_KEYS 700 /* keys per reconciled partner */
#define N_RUNS 4

/* One generated item; li is the ledger of a ledger item, -1 for a partner item (in the
 * model's open list, the ledger it waits for). */
typedef struct m_item {
    char id[24];
    int pi, li, side;
    int32_t day;
    int type;
    char cur[4];
    int64_t amount, file;
    uint64_t line;
    int run;
} m_item;

typedef struct m_list {
    m_item *v;
    size_t n, cap;
} m_list;

/* Sorted text rows, to compare the model with the state. */
typedef struct rows {
    char **v;
    size_t n, cap;
} rows;

static m_list gen;       /* every generated item */
static m_list open_m;    /* the model's open items */
static rows m_breaks;    /* the model's breaks, as rows of recon_breaks */
static uint64_t next_line = 1, rng_state = 88172645463325252ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int rnd_below(int n)
{
    return (int)(rnd() % (uint64_t)n);
}

static m_item *list_push(m_list *l, const m_item *it)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 1024;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n] = *it;
    return &l->v[l->n++];
}

static void rows_add(rows *r, char *row)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 256;
        r->v = xrealloc(r->v, r->cap * sizeof *r->v);
    }
    r->v[r->n++] = row;
}

static void rows_free(rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i]);
    free(r->v);
    *r = (rows){0};
}

static int row_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds one item of a random run; one in 30 goes to the run's void file. */
static void gen_add(const char *id, int pi, int li, int32_t day, int type, const char *cur,
                    int64_t amount)
{
    m_item it = {.pi = pi, .li = li, .side = li >= 0, .day = day, .type = type,
                 .amount = amount, .line = next_line++, .run = rnd_below(N_RUNS)};
    snprintf(it.id, sizeof it.id, "%s", id);
    snprintf(it.cur, sizeof it.cur, "%s", cur);
    it.file = rnd_below(30) == 0 ? 900 + it.run
                                 : (li >= 0 ? 50 + 10 * it.run + li : 10 + 10 * it.run + pi);
    list_push(&gen, &it);
}

/* One key of partner pi: the partner's item (nine in ten) and, per ledger, one case. */
static void gen_key(int pi, int n)
{
    char id[24];
    snprintf(id, sizeof id, "%s-%d", cfg.partners[pi].id, n);
    int32_t day = 100 + rnd_below(30);
    int type = rnd_below(3);
    const char *cur = rnd_below(5) ? "EUR" : "USD", *other = cur[0] == 'E' ? "USD" : "EUR";
    int64_t amount = (int64_t)(rnd() % 2000000000000000ull) - 1000000000000ll;
    if (rnd_below(10))
        gen_add(id, pi, -1, day, type, cur, amount);
    const partner_config *pc = &cfg.partners[pi];
    for (size_t e = 0; e < pc->n_reconcile; e++) {
        int li = (int)pc->reconcile[e].ledger_index;
        int64_t a1 = amount / 3, a2 = rnd_below(1000);
        switch (rnd_below(9)) {
        case 0: gen_add(id, pi, li, day, type, cur, amount); break;
        case 1: gen_add(id, pi, li, day + (rnd_below(2) ? 1 : -1), type, cur, amount); break;
        case 2: gen_add(id, pi, li, day + 3 + rnd_below(5), type, cur, amount); break;
        case 3: gen_add(id, pi, li, day, type, cur, amount + 1 + rnd_below(99)); break;
        case 4: gen_add(id, pi, li, day, (type + 1) % 3, cur, amount); break;
        case 5: gen_add(id, pi, li, day, type, other, amount); break;
        case 6: break;
        case 7: /* the round-mode case: the ledger's rows of one key are summed */
            gen_add(id, pi, li, day, type, cur, a1);
            gen_add(id, pi, li, day + rnd_below(2), type, cur, a2);
            gen_add(id, pi, li, day, type, cur, amount - a1 - a2);
            break;
        default: /* two ledger items in different currencies: the same currency pairs */
            gen_add(id, pi, li, day, type, other, a2);
            gen_add(id, pi, li, day, type, cur, amount);
        }
    }
}

/* The model's order within a key: side, currency, type, day, file, line. */
static int m_cmp(const void *a, const void *b)
{
    const m_item *x = a, *y = b;
    int c = x->side - y->side;
    if (!c)
        c = strcmp(x->cur, y->cur);
    if (!c)
        c = x->type - y->type;
    if (!c)
        c = (x->day > y->day) - (x->day < y->day);
    if (!c)
        c = (x->file > y->file) - (x->file < y->file);
    if (!c)
        c = (x->line > y->line) - (x->line < y->line);
    return c;
}

/* The model's matched sums: one row per (partner, ledger, day, currency). */
typedef struct m_sum {
    int pi, li;
    int32_t day;
    char cur[4];
    int64_t count, amount;
} m_sum;
static m_sum *m_matched;
static size_t n_matched;

static void model_matched(int pi, int li, const m_item *p)
{
    for (size_t i = 0; i < n_matched; i++)
        if (m_matched[i].pi == pi && m_matched[i].li == li && m_matched[i].day == p->day &&
            strcmp(m_matched[i].cur, p->cur) == 0) {
            m_matched[i].count++;
            m_matched[i].amount += p->amount;
            return;
        }
    m_matched = xrealloc(m_matched, (n_matched + 1) * sizeof *m_matched);
    m_matched[n_matched] = (m_sum){.pi = pi, .li = li, .day = p->day, .count = 1,
                                   .amount = p->amount};
    memcpy(m_matched[n_matched++].cur, p->cur, 4);
}

static void model_break(int pi, int li, const char *kind, const m_item *p, const m_item *l)
{
    const m_item *own = p ? p : l;
    char ps[96] = "-|-|-", ls[96] = "-|-|-|-";
    if (p)
        snprintf(ps, sizeof ps, "%lld|%lld|%llu", (long long)p->amount, (long long)p->file,
                 (unsigned long long)p->line);
    if (l)
        snprintf(ls, sizeof ls, "%lld|%lld|%llu|%d", (long long)l->amount, (long long)l->file,
                 (unsigned long long)l->line, (int)l->day);
    rows_add(&m_breaks, xasprintf("%s|%s|%s|%s|%d|%s|%s|%s|%s", cfg.partners[pi].id,
                                  cfg.ledgers[li].src.id, kind, own->id, (int)own->day,
                                  own->cur, l ? l->cur : own->cur, ps, ls));
}

/* The model's result of a pair, in the documented order. */
static void model_pair(int pi, int li, int window, const m_item *p, const m_item *l)
{
    int apart = p->day - l->day;
    if (strcmp(p->cur, l->cur) != 0)
        model_break(pi, li, "currency_mismatch", p, l);
    else if (p->type != l->type)
        model_break(pi, li, "type_mismatch", p, l);
    else if (p->amount != l->amount)
        model_break(pi, li, "amount_mismatch", p, l);
    else if (apart > window || -apart > window) {
        model_break(pi, li, "missing_in_ledger", p, NULL);
        model_break(pi, li, "missing_in_partner", NULL, l);
    } else if (apart)
        model_break(pi, li, "day_shift", p, l);
    else
        model_matched(pi, li, p);
}

/* One key of (pi, li) with something new: merge per side, currency and type, pair (same
 * currency and type first), keep the rest open. */
static void model_key(int pi, int li, int window, m_item *g, size_t n, rows *touched)
{
    xqsort(g, n, sizeof *g, m_cmp);
    bool *gone = xcalloc(n, sizeof *gone);
    for (size_t i = 0; i < n; i++) {
        rows_add(touched, xasprintf("%d:%d", pi, (int)g[i].day));
        for (size_t j = 0; j < i; j++)
            if (!gone[j] && g[j].side == g[i].side && g[j].type == g[i].type &&
                strcmp(g[j].cur, g[i].cur) == 0) {
                g[j].amount += g[i].amount;
                gone[i] = true;
                break;
            }
    }
    for (int loose = 0; loose < 2; loose++)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; g[i].side == 0 && !gone[i] && j < n; j++)
                if (g[j].side == 1 && !gone[j] &&
                    (loose || (g[i].type == g[j].type && strcmp(g[i].cur, g[j].cur) == 0))) {
                    model_pair(pi, li, window, &g[i], &g[j]);
                    gone[i] = gone[j] = true;
                }
    for (size_t i = 0; i < n; i++)
        if (!gone[i]) {
            g[i].li = li;
            list_push(&open_m, &g[i]);
        }
    free(g);
    free(gone);
}

/* The model's run: per (partner, ledger) matched by transaction, every key with new items. */
static void model_run(int run, rows *touched)
{
    for (int pi = 0; pi < N_PARTNERS; pi++)
        for (size_t e = 0; e < cfg.partners[pi].n_reconcile; e++) {
            const reconcile_config *rc = &cfg.partners[pi].reconcile[e];
            int li = (int)rc->ledger_index;
            if (rc->match != MATCH_TRANSACTION)
                continue;
            for (size_t i = 0; i < gen.n; i++) {
                const m_item *it = &gen.v[i];
                if (it->run != run || it->file >= 900 || it->pi != pi ||
                    (it->side && it->li != li))
                    continue;
                bool first = true; /* only the first new item of a key starts its group */
                for (size_t j = 0; first && j < i; j++)
                    first = !(gen.v[j].run == run && gen.v[j].file < 900 &&
                              gen.v[j].pi == pi && (!gen.v[j].side || gen.v[j].li == li) &&
                              strcmp(gen.v[j].id, it->id) == 0);
                if (!first)
                    continue;
                m_item *g = NULL;
                size_t n = 0;
                for (size_t j = i; j < gen.n; j++) {
                    const m_item *o = &gen.v[j];
                    if (o->run == run && o->file < 900 && o->pi == pi &&
                        (!o->side || o->li == li) && strcmp(o->id, it->id) == 0) {
                        g = xrealloc(g, (n + 1) * sizeof *g);
                        g[n++] = *o;
                    }
                }
                for (size_t j = 0; j < open_m.n;)
                    if (open_m.v[j].pi == pi && open_m.v[j].li == li &&
                        strcmp(open_m.v[j].id, it->id) == 0) {
                        g = xrealloc(g, (n + 1) * sizeof *g);
                        g[n++] = open_m.v[j];
                        open_m.v[j] = open_m.v[--open_m.n];
                    } else
                        j++;
                model_key(pi, li, rc->day_window, g, n, touched);
            }
        }
}

/* ---- the engine's side ---- */

static int on_touch(void *ctx, size_t partner, int32_t day)
{
    rows_add(ctx, xasprintf("%zu:%d", partner, (int)day));
    return 0;
}

/* Hands the run's items to a new collector in a shuffled order (voiding the run's void file
 * half way), and matches them in a transaction of the state in dir. */
static void engine_run(const char *dir, int run, rows *touched)
{
    char err[256];
    state *st = state_open(dir, err, sizeof err);
    CHECK(st != NULL);
    if (!st)
        return;
    CHECK_EQ_INT(state_begin(st), 0);
    recon_items *r = recon_items_open(&cfg, dir, err, sizeof err);
    size_t *order = xmalloc((gen.n + 1) * sizeof *order), n = 0;
    for (size_t i = 0; i < gen.n; i++)
        if (gen.v[i].run == run)
            order[n++] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rnd_below((int)i), t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    int fails = 0;
    for (size_t k = 0; k < n; k++) {
        const m_item *m = &gen.v[order[k]];
        recon_item it = {.key = dedup_siphash128(&tkey, m->id, strlen(m->id)),
                         .id = {m->id, strlen(m->id)}, .day = m->day, .type = (tx_type)m->type,
                         .amount = m->amount, .file_id = m->file, .line = m->line};
        memcpy(it.cur, m->cur, 4);
        fails += m->side ? recon_items_ledger(r, (size_t)m->li, (size_t)m->pi, &it)
                         : recon_items_partner(r, (size_t)m->pi, &it);
        if (k == n / 2)
            recon_items_void(r, 900 + run);
        if (m->side && k % 7 == 0) /* a row of a partner matched daily: not matched here */
            fails += recon_items_ledger(r, 0, 2, &it);
    }
    CHECK_EQ_INT(fails, 0);
    /* odd runs on worker threads, even ones on this thread: the model holds for both */
    int rc = recon_match_all(r, st, run + 1, run % 2 ? 3 : 1, on_touch, touched, err, sizeof err);
    CHECK_EQ_INT(rc, 0);
    if (rc)
        fprintf(stderr, "recon_match_all: %s\n", err);
    recon_items_close(r);
    CHECK_EQ_INT(state_commit(st), 0);
    state_close(st);
    free(order);
}

/* Every row of a query, columns joined by '|' (NULL as "-"), sorted. */
static void query_rows(const char *dir, const char *sql, rows *out)
{
    char *path = path_join(dir, "settle.db");
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK);
    while (q && sqlite3_step(q) == SQLITE_ROW) {
        sbuf b;
        sbuf_init(&b);
        for (int i = 0; i < sqlite3_column_count(q); i++) {
            const char *v = (const char *)sqlite3_column_text(q, i);
            sbuf_addf(&b, "%s%s", i ? "|" : "", v ? v : "-");
        }
        rows_add(out, sbuf_take(&b));
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    free(path);
    xqsort(out->v, out->n, sizeof *out->v, row_cmp);
}

/* Sorts both, drops repeats from the model's touched days, and compares; 0 when equal. */
static int rows_differ(rows *model, rows *got, bool unique, const char *what)
{
    xqsort(model->v, model->n, sizeof *model->v, row_cmp);
    xqsort(got->v, got->n, sizeof *got->v, row_cmp);
    if (unique && model->n) {
        size_t k = 1;
        for (size_t i = 1; i < model->n; i++)
            if (strcmp(model->v[i], model->v[k - 1]) != 0)
                model->v[k++] = model->v[i];
            else
                free(model->v[i]);
        model->n = k;
    }
    for (size_t i = 0; i < model->n && i < got->n; i++)
        if (strcmp(model->v[i], got->v[i]) != 0) {
            fprintf(stderr, "%s: model %s, state %s\n", what, model->v[i], got->v[i]);
            return 1;
        }
    if (model->n != got->n)
        fprintf(stderr, "%s: model %zu rows, state %zu\n", what, model->n, got->n);
    return model->n != got->n;
}

/* The model's matched sums and open items per day as rows of the state's tables. */
static void model_tables(rows *matched, rows *days)
{
    for (size_t i = 0; i < n_matched; i++)
        rows_add(matched, xasprintf("%s|%s|%d|%s|%lld|%lld", cfg.partners[m_matched[i].pi].id,
                                    cfg.ledgers[m_matched[i].li].src.id, (int)m_matched[i].day,
                                    m_matched[i].cur, (long long)m_matched[i].count,
                                    (long long)m_matched[i].amount));
    m_sum *d = NULL;
    size_t nd = 0;
    for (size_t i = 0; i < open_m.n; i++) {
        const m_item *o = &open_m.v[i];
        size_t j = 0;
        while (j < nd && !(d[j].pi == o->pi && d[j].li == o->li && d[j].day == o->day &&
                           d[j].count >> 32 == o->side && strcmp(d[j].cur, o->cur) == 0))
            j++;
        if (j == nd) {
            d = xrealloc(d, ++nd * sizeof *d);
            d[j] = (m_sum){.pi = o->pi, .li = o->li, .day = o->day,
                           .count = (int64_t)o->side << 32};
            memcpy(d[j].cur, o->cur, 4);
        }
        d[j].count++;
        d[j].amount += o->amount;
    }
    for (size_t j = 0; j < nd; j++)
        rows_add(days, xasprintf("%s|%s|%d|%d|%s|%lld|%lld", cfg.partners[d[j].pi].id,
                                 cfg.ledgers[d[j].li].src.id, (int)d[j].day,
                                 (int)(d[j].count >> 32), d[j].cur,
                                 (long long)(d[j].count & 0xffffffff), (long long)d[j].amount));
    free(d);
}

/* Compares the state's tables with the model after a run. */
static void compare_state(const char *dir)
{
    rows got = {0}, model = {0}, days = {0};
    for (size_t i = 0; i < m_breaks.n; i++)
        rows_add(&model, xstrdup(m_breaks.v[i]));
    query_rows(dir,
               "SELECT partner, ledger, kind, tx_id, day, currency, ledger_currency, "
               "partner_amount, partner_file, partner_line, ledger_amount, ledger_file, "
               "ledger_line, ledger_day FROM recon_breaks",
               &got);
    CHECK_EQ_INT(rows_differ(&model, &got, false, "breaks"), 0);
    rows_free(&got);
    rows_free(&model);
    model_tables(&model, &days);
    query_rows(dir, "SELECT partner, ledger, day, currency, count, amount FROM recon_matched",
               &got);
    CHECK_EQ_INT(rows_differ(&model, &got, false, "matched"), 0);
    rows_free(&got);
    query_rows(dir, "SELECT partner, ledger, day, side, currency, count, amount "
                    "FROM recon_open_days", &got);
    CHECK_EQ_INT(rows_differ(&days, &got, false, "open days"), 0);
    rows_free(&got);
    rows_free(&model);
    rows_free(&days);
}

/* How many breaks of a kind the model has. */
static size_t model_kind(const char *kind)
{
    size_t n = 0;
    for (size_t i = 0; i < m_breaks.n; i++)
        n += strstr(m_breaks.v[i], kind) != NULL;
    return n;
}

static void test_match(void)
{
    char dir[] = "/tmp/test_recon.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    for (int n = 0; n < N_KEYS; n++) {
        gen_key(0, n);
        gen_key(3, n);
    }
    for (int run = 0; run <= N_RUNS; run++) { /* the last run has no items */
        rows m_touched = {0}, touched = {0};
        model_run(run, &m_touched);
        engine_run(dir, run, &touched);
        CHECK_EQ_INT(rows_differ(&m_touched, &touched, true, "touched days"), 0);
        CHECK(run < N_RUNS || touched.n == 0);
        compare_state(dir);
        rows_free(&m_touched);
        rows_free(&touched);
    }
    static const char *const kinds[] = {"missing_in_ledger", "missing_in_partner",
                                        "amount_mismatch", "type_mismatch",
                                        "currency_mismatch", "day_shift"};
    for (size_t k = 0; k < 6; k++)
        CHECK(model_kind(kinds[k]) > 10);
    CHECK(n_matched > 50);
    CHECK(open_m.n > 50);
    rows_free(&m_breaks);
    free(m_matched);
    free(gen.v);
    free(open_m.v);
    char *cmd = xasprintf("rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
    free(cmd);
}

/* ---- scale: TEST_RECON_BIG=n matches n partner items with n ledger items (a few breaks)
 * over two runs and prints the time and peak memory; memory must stay bounded ---- */

#include <sys/resource.h>

static long peak_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Hands n items of one side to r: ids "big-<i>", every 1000th ledger amount off by one. */
static int big_side(recon_items *r, uint32_t n, int side)
{
    int fails = 0;
    for (uint32_t i = 0; i < n; i++) {
        char id[32];
        int len = snprintf(id, sizeof id, "big-%u", i);
        recon_item it = {.key = dedup_siphash128(&tkey, id, (size_t)len), .id = {id, (size_t)len},
                         .day = 20000 + (int32_t)(i % 30), .type = TX_BET,
                         .amount = 100 + i % 5000 + (side && i % 1000 == 0), .file_id = 1 + side,
                         .line = i + 2};
        memcpy(it.cur, "EUR", 4);
        fails += side ? recon_items_ledger(r, 0, 0, &it) : recon_items_partner(r, 0, &it);
    }
    return fails;
}

static int count_touch(void *ctx, size_t partner, int32_t day)
{
    (void)partner;
    (void)day;
    ++*(int *)ctx;
    return 0;
}

/* Run 1: the partner's items (all stay open); run 2: the wallet's (all close; p0's items
 * stay open for the bank). */
static void test_big(uint32_t n)
{
    char dir[] = "/tmp/test_recon_big.XXXXXX", err[256];
    CHECK(mkdtemp(dir) != NULL);
    for (int run = 0; run < 2; run++) {
        int64_t t0 = monotonic_ms();
        state *st = state_open(dir, err, sizeof err);
        CHECK(st && state_begin(st) == 0);
        recon_items *r = recon_items_open(&cfg, dir, err, sizeof err);
        CHECK_EQ_INT(big_side(r, n, run), 0);
        int64_t t1 = monotonic_ms();
        int touched = 0;
        CHECK_EQ_INT(recon_match_all(r, st, run + 1, 2, count_touch, &touched, err, sizeof err), 0);
        recon_items_close(r);
        CHECK_EQ_INT(state_commit(st), 0);
        state_close(st);
        if (getenv("TEST_RECON_BIG"))
            fprintf(stderr, "big run %d: %u items collected in %lld ms, matched in %lld ms, "
                "%d days touched, peak RSS %ld kB\n", run + 1, n, (long long)(t1 - t0),
                (long long)(monotonic_ms() - t1), touched, peak_kb());
    }
    static const char *const sql[3] = {"SELECT sum(count) FROM recon_matched",
                                       "SELECT count(*) FROM recon_breaks",
                                       "SELECT count(*) FROM recon_open_days WHERE ledger='wallet'"};
    long long want[3] = {n - (n + 999) / 1000, (n + 999) / 1000, 0};
    for (int i = 0; i < 3; i++) {
        rows got = {0};
        query_rows(dir, sql[i], &got);
        CHECK(got.n == 1 && strtoll(got.v[0], NULL, 10) == want[i]);
        rows_free(&got);
    }
    char *cmd = xasprintf("rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
    free(cmd);
}

/* ---- open items of one partition beyond one 4 MiB chunk ---- */

#define N_CHUNKED 100000u /* ~7 MiB of open items, all in partition 0x42 */

/* Item i of the crafted partition: partner side in run 1, ledger side (even i) in run 2. */
static recon_item chunk_item(uint32_t i, char *id, size_t cap)
{
    int len = snprintf(id, cap, "chunked-%u", i);
    recon_item it = {.key = {.lo = i, .hi = 0x42ull << 56 | i}, .id = {id, (size_t)len},
                     .day = 20100 + (int32_t)(i % 7), .type = TX_WIN, .amount = 1000 + i,
                     .file_id = 7, .line = i + 2};
    memcpy(it.cur, "EUR", 4);
    return it;
}

static void test_chunks(void)
{
    char dir[] = "/tmp/test_recon_chunks.XXXXXX", err[256];
    CHECK(mkdtemp(dir) != NULL);
    for (int run = 0; run < 2; run++) {
        state *st = state_open(dir, err, sizeof err);
        CHECK(st && state_begin(st) == 0);
        recon_items *r = recon_items_open(&cfg, dir, err, sizeof err);
        int fails = 0;
        for (uint32_t i = run; i < N_CHUNKED; i += 1 + run) {
            char id[32];
            recon_item it = chunk_item(i, id, sizeof id);
            fails += run ? recon_items_ledger(r, 0, 3, &it) : recon_items_partner(r, 3, &it);
        }
        CHECK_EQ_INT(fails, 0);
        CHECK_EQ_INT(recon_match_all(r, st, run + 1, run + 1, NULL, NULL, err, sizeof err), 0);
        recon_items_close(r);
        CHECK_EQ_INT(state_commit(st), 0);
        state_close(st);
        /* run 1 leaves every item open, in two chunks; run 2 matches the odd ones */
        static const char *const sql[4] = {
            "SELECT count(*) FROM recon_open WHERE part = 66",
            "SELECT coalesce(sum(count), 0) FROM recon_matched",
            "SELECT sum(count) FROM recon_open_days",
            "SELECT count(*) FROM recon_breaks"};
        long long want[2][4] = {{2, 0, N_CHUNKED, 0}, {1, N_CHUNKED / 2, N_CHUNKED / 2, 0}};
        for (int i = 0; i < 4; i++) {
            rows got = {0};
            query_rows(dir, sql[i], &got);
            CHECK(got.n == 1 && strtoll(got.v[0], NULL, 10) == want[run][i]);
            rows_free(&got);
        }
    }
    char *cmd = xasprintf("rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
    free(cmd);
}

int main(void)
{
    cfg_make();
    test_items();
    test_match();
    test_chunks();
    const char *big = getenv("TEST_RECON_BIG");
    test_big(big ? (uint32_t)strtoul(big, NULL, 10) : 20000);
    return check_done();
}
