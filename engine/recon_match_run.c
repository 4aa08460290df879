/*
 * recon_match_run.c - recon_match_all (recon.h): every ledger's partitions
 * matched as units by recon_match.c, on worker threads when the run has
 * threads. Only the calling thread touches the state: it reads a unit's open
 * items before handing the unit over and writes the unit's results after, in
 * unit order, so the state ends the same whatever the threads. At most
 * RM_WINDOW units are in flight: memory is bounded by the window (each unit
 * one ledger partition), never by the number of items.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "recon_int.h"

#define RM_WINDOW 4
#define RM_WORKERS_MAX 8

enum { SLOT_FREE = 0, SLOT_READY, SLOT_DONE };

/* One unit in flight: its results per partner, and how its matching ended. */
typedef struct rm_slot {
    recon_unit_result *res;      /* n_partners, kept from one unit to the next */
    int state;
    int rc;
    char err[512];
} rm_slot;

/* A business day list per partner: appended as units are written, sorted at the end. */
typedef struct rm_dayv {
    int32_t *v;
    size_t n, cap;
} rm_dayv;

typedef struct rm_run {
    recon_items *r;
    state *st;
    const settle_config *cfg;
    int64_t run_id;
    size_t n_units, submitted, taken, written;
    rm_slot slots[RM_WINDOW];
    rm_dayv *days;          /* n_partners */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    char *err;
    size_t errlen;
} rm_run;

/* ---- the workers ---- */

/* Takes the next submitted unit, or returns false when there is none and will be none
 * (called and returns with the lock held; waits when `wait`). */
static bool take_unit(rm_run *m, bool wait, size_t *u)
{
    while (wait && !m->stop && m->taken == m->submitted && m->taken < m->n_units)
        pthread_cond_wait(&m->cv, &m->mu);
    if (m->stop || m->taken == m->submitted)
        return false;
    *u = m->taken++;
    return true;
}

/* Matches unit u into its slot and marks it done (called without the lock). */
static void run_unit(rm_run *m, recon_worker *w, size_t u)
{
    rm_slot *s = &m->slots[u % RM_WINDOW];
    s->rc = recon_worker_unit(w, u / RECON_PARTS, (unsigned)(u % RECON_PARTS), s->res, s->err,
                              sizeof s->err);
    pthread_mutex_lock(&m->mu);
    s->state = SLOT_DONE;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

static void *worker_main(void *arg)
{
    rm_run *m = arg;
    recon_worker *w = recon_worker_new(m->r);
    size_t u;
    pthread_mutex_lock(&m->mu);
    while (take_unit(m, true, &u)) {
        pthread_mutex_unlock(&m->mu);
        run_unit(m, w, u);
        pthread_mutex_lock(&m->mu);
    }
    pthread_mutex_unlock(&m->mu);
    recon_worker_free(w);
    return NULL;
}

/* ---- the calling thread: the state ---- */

static int fail_state(rm_run *m)
{
    snprintf(m->err, m->errlen, "%s", state_error(m->st));
    return -1;
}

static int copy_chunk(void *ctx, const unsigned char *p, size_t n)
{
    sbuf_add(ctx, p, n);
    return 0;
}

/* Says which partners unit u concerns and reads their open items into its slot. */
static int unit_prepare(rm_run *m, size_t u)
{
    size_t li = u / RECON_PARTS;
    unsigned k = (unsigned)(u % RECON_PARTS);
    rm_slot *s = &m->slots[u % RM_WINDOW];
    for (size_t pi = 0; pi < m->cfg->n_partners; pi++) {
        recon_unit_result *res = &s->res[pi];
        sbuf_reset(&res->open_in);
        res->wanted = recon_ledger_wanted(m->cfg, li, pi) &&
                      (recon_items_count(m->r, recon_src_partner(m->r, pi), k) > 0 ||
                       recon_items_owner_has(m->r, li, pi, k));
        if (res->wanted &&
            state_recon_open_each(m->st, m->cfg->partners[pi].id, m->cfg->ledgers[li].src.id,
                                  (int)k, copy_chunk, &res->open_in) != 0)
            return fail_state(m);
    }
    return 0;
}

/* Writes one partner's result of unit u to the state. */
static int result_write(rm_run *m, size_t u, size_t pi, recon_unit_result *res)
{
    const char *partner = m->cfg->partners[pi].id, *ledger = m->cfg->ledgers[u / RECON_PARTS].src.id;
    int k = (int)(u % RECON_PARTS);
    if (res->open_in.len && state_recon_open_drop(m->st, partner, ledger, k) != 0)
        return fail_state(m);
    for (size_t i = 0; i < res->n_brk; i++) {
        recon_unit_break *o = &res->brk[i];
        o->b.tx_id = res->ids.buf + o->id_off;
        o->b.currency = o->cur;
        o->b.ledger_currency = o->ledger_cur;
        o->b.run_id = m->run_id;
        if (state_recon_break_add(m->st, &o->b) != 0)
            return fail_state(m);
    }
    for (size_t c = 0, start = 0; c < res->n_chunk; start = res->chunk_end[c++])
        if (state_recon_open_put(m->st, partner, ledger, k, (int64_t)c, res->out.buf + start,
                                 res->chunk_end[c] - start) != 0)
            return fail_state(m);
    for (size_t i = 0; i < res->n_sums; i++) {
        const recon_unit_sum *t = &res->sums[i];
        int rc = i < res->n_matched
                     ? state_recon_matched_add(m->st, partner, ledger, t->day, t->cur, t->count,
                                               t->amount)
                     : state_recon_days_add(m->st, partner, ledger, t->day, t->side, t->cur,
                                            t->count, t->amount);
        if (rc != 0)
            return fail_state(m);
    }
    rm_dayv *d = &m->days[pi];
    for (size_t i = 0; i < res->n_days; i++) {
        if (d->n == d->cap) {
            d->cap = d->cap ? 2 * d->cap : 64;
            d->v = xrealloc(d->v, d->cap * sizeof *d->v);
        }
        d->v[d->n++] = res->days[i];
    }
    return 0;
}

/* Writes unit u's results (its slot is done), or passes its worker's failure on. */
static int unit_write(rm_run *m, size_t u)
{
    rm_slot *s = &m->slots[u % RM_WINDOW];
    if (s->rc != 0) {
        snprintf(m->err, m->errlen, "%s", s->err);
        return -1;
    }
    for (size_t pi = 0; pi < m->cfg->n_partners; pi++)
        if (s->res[pi].wanted && s->res[pi].touched && result_write(m, u, pi, &s->res[pi]) != 0)
            return -1;
    return 0;
}

static int day_cmp(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Calls touch for every day touched, per partner in order, each day once. */
static int touch_all(rm_run *m, recon_touch_fn touch, void *ctx)
{
    for (size_t pi = 0; pi < m->cfg->n_partners; pi++) {
        rm_dayv *d = &m->days[pi];
        xqsort(d->v, d->n, sizeof *d->v, day_cmp);
        for (size_t i = 0; i < d->n; i++)
            if ((i == 0 || d->v[i] != d->v[i - 1]) && touch && touch(ctx, pi, d->v[i]) != 0) {
                snprintf(m->err, m->errlen, "reconciliation: re-settling %s's day %d failed",
                         m->cfg->partners[pi].id, (int)d->v[i]);
                return -1;
            }
    }
    return 0;
}

/*
 * Submits units while the window has room, matches them here when there are no
 * workers, and writes each in order once it is done. 0, or -1 with m->err.
 */
static int drive(rm_run *m, recon_worker *self)
{
    while (m->written < m->n_units) {
        while (m->submitted < m->n_units && m->submitted - m->written < RM_WINDOW) {
            if (unit_prepare(m, m->submitted) != 0)
                return -1;
            pthread_mutex_lock(&m->mu);
            m->slots[m->submitted % RM_WINDOW].state = SLOT_READY;
            m->submitted++;
            pthread_cond_broadcast(&m->cv);
            pthread_mutex_unlock(&m->mu);
        }
        size_t u;
        pthread_mutex_lock(&m->mu);
        while (self && take_unit(m, false, &u)) {
            pthread_mutex_unlock(&m->mu);
            run_unit(m, self, u);
            pthread_mutex_lock(&m->mu);
        }
        rm_slot *s = &m->slots[m->written % RM_WINDOW];
        while (s->state != SLOT_DONE)
            pthread_cond_wait(&m->cv, &m->mu);
        pthread_mutex_unlock(&m->mu);
        if (unit_write(m, m->written) != 0)
            return -1;
        s->state = SLOT_FREE;
        m->written++;
    }
    return 0;
}

int recon_match_all(recon_items *r, state *st, int64_t run_id, int threads, recon_touch_fn touch,
                    void *ctx, char *err, size_t errlen)
{
    if (!r)
        return 0;
    err[0] = '\0';
    if (recon_items_seal(r) != 0) {
        snprintf(err, errlen, "%s", recon_items_error(r));
        return -1;
    }
    rm_run m = {.r = r, .st = st, .cfg = recon_items_config(r), .run_id = run_id, .err = err,
                .errlen = errlen};
    m.n_units = m.cfg->n_ledgers * RECON_PARTS;
    size_t np = m.cfg->n_partners ? m.cfg->n_partners : 1;
    for (int i = 0; i < RM_WINDOW; i++)
        m.slots[i].res = xcalloc(np, sizeof *m.slots[i].res);
    m.days = xcalloc(np, sizeof *m.days);
    pthread_mutex_init(&m.mu, NULL);
    pthread_cond_init(&m.cv, NULL);
    pthread_t tid[RM_WORKERS_MAX];
    int n_workers = 0;
    for (int i = 0; threads >= 2 && i < threads && i < RM_WORKERS_MAX; i++)
        if (pthread_create(&tid[n_workers], NULL, worker_main, &m) == 0)
            n_workers++;
    recon_worker *self = n_workers ? NULL : recon_worker_new(r);
    int rc = drive(&m, self);
    pthread_mutex_lock(&m.mu);
    m.stop = true;
    pthread_cond_broadcast(&m.cv);
    pthread_mutex_unlock(&m.mu);
    for (int i = 0; i < n_workers; i++)
        pthread_join(tid[i], NULL);
    if (rc == 0)
        rc = touch_all(&m, touch, ctx);
    recon_worker_free(self);
    for (int i = 0; i < RM_WINDOW; i++) {
        for (size_t pi = 0; pi < np; pi++)
            recon_unit_result_free(&m.slots[i].res[pi]);
        free(m.slots[i].res);
    }
    for (size_t pi = 0; pi < np; pi++)
        free(m.days[pi].v);
    free(m.days);
    pthread_mutex_destroy(&m.mu);
    pthread_cond_destroy(&m.cv);
    return rc;
}
