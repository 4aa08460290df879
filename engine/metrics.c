/*
 * metrics.c - <metrics>/settle.prom (metrics.h, SPEC section 11, docs/watching.md):
 * the Prometheus text exposition format, as node_exporter's textfile
 * collector reads it. The run's own figures (when it ended, its exit code,
 * how long it took) come from the caller; everything else is read from the
 * state, so counters only grow and the file says what `settle status` says.
 * The text is built in memory (a few lines per partner) and written at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "metrics.h"
#include "recon.h"

/* The file's text being built, and the first failure. */
typedef struct mw {
    sbuf b;
    const settle_config *cfg;
    const metrics_run *run;
    int failed;
} mw;

/* "# HELP" and "# TYPE" of one family. */
static void family(mw *w, const char *name, const char *type, const char *help)
{
    sbuf_addf(&w->b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value, escaped as the format asks: backslash, double quote and newline. */
static void label_value(sbuf *b, const char *v)
{
    for (const char *p = v ? v : ""; *p; p++) {
        if (*p == '\\' || *p == '"')
            sbuf_addc(b, '\\');
        if (*p == '\n') {
            sbuf_adds(b, "\\n");
            continue;
        }
        sbuf_addc(b, *p);
    }
}

/* One sample: name{k1="v1",...} value; names[i] NULL ends the labels. */
static void sample(mw *w, const char *name, const char *const *names, const char *const *values,
                   int64_t value)
{
    sbuf_adds(&w->b, name);
    for (int i = 0; names && names[i]; i++) {
        sbuf_addc(&w->b, i ? ',' : '{');
        sbuf_addf(&w->b, "%s=\"", names[i]);
        label_value(&w->b, values[i]);
        sbuf_addc(&w->b, '"');
    }
    if (names && names[0])
        sbuf_addc(&w->b, '}');
    sbuf_addf(&w->b, " %lld\n", (long long)value);
}

/* ---- the state's figures ---- */

/* One family read from the state: the query's labels named `names`. */
typedef struct fam_ctx {
    mw *w;
    const char *name;
    const char *const *names;
} fam_ctx;

static int on_row(void *ctx, const state_metric_row *row)
{
    fam_ctx *f = ctx;
    sample(f->w, f->name, f->names, row->label, row->value);
    return 0;
}

static void state_family(mw *w, state *st, state_metric m, const char *name, const char *type,
                         const char *help, const char *const *names)
{
    fam_ctx f = {w, name, names};
    family(w, name, type, help);
    if (state_metrics_each(st, m, on_row, &f) != 0)
        w->failed = 1;
}

/* A (partner, ledger, kind) count of breaks, gathered before it is written sorted. */
typedef struct brk {
    char *partner, *ledger;
    const char *kind;
    int64_t count;
} brk;

typedef struct brk_list {
    brk *v;
    size_t n, cap;
    const settle_config *cfg;
    int32_t today;
} brk_list;

static void brk_add(brk_list *l, const char *partner, const char *ledger, const char *kind,
                    int64_t count)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].partner, partner) == 0 && strcmp(l->v[i].ledger, ledger) == 0 &&
            strcmp(l->v[i].kind, kind) == 0) {
            l->v[i].count += count;
            return;
        }
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = (brk){xstrdup(partner), xstrdup(ledger), kind, count};
}

static int on_break(void *ctx, const state_metric_row *row)
{
    brk_list *l = ctx;
    for (int k = 0; k < RK_COUNT; k++)
        if (row->label[2] && strcmp(row->label[2], recon_kind_name((recon_kind)k)) == 0)
            brk_add(l, row->label[0], row->label[1], recon_kind_name((recon_kind)k), row->value);
    return 0;
}

/* The wait of (partner, ledger) by transaction, or -1 (not reconciled so: not counted). */
static int wait_of(const settle_config *cfg, const char *partner, const char *ledger)
{
    for (size_t i = 0; i < cfg->n_partners; i++) {
        const partner_config *pc = &cfg->partners[i];
        for (size_t j = 0; strcmp(pc->id, partner) == 0 && j < pc->n_reconcile; j++)
            if (strcmp(pc->reconcile[j].ledger, ledger) == 0 &&
                pc->reconcile[j].match == MATCH_TRANSACTION)
                return pc->reconcile[j].wait_days;
    }
    return -1;
}

/* An open item whose wait is over is missing on the other side (docs/reconciliation.md). */
static int on_open(void *ctx, const state_metric_row *row)
{
    brk_list *l = ctx;
    int wait = wait_of(l->cfg, row->label[0], row->label[1]);
    if (wait < 0 || (int64_t)row->day + wait >= l->today)
        return 0;
    bool partner_side = row->label[2] && strcmp(row->label[2], "0") == 0;
    brk_add(l, row->label[0], row->label[1],
            recon_kind_name(partner_side ? RK_MISSING_IN_LEDGER : RK_MISSING_IN_PARTNER),
            row->value);
    return 0;
}

static int brk_cmp(const void *a, const void *b)
{
    const brk *x = a, *y = b;
    int c = strcmp(x->partner, y->partner);
    if (!c)
        c = strcmp(x->ledger, y->ledger);
    return c ? c : strcmp(x->kind, y->kind);
}

static void breaks_family(mw *w, state *st)
{
    static const char *const names[] = {"partner", "ledger", "kind", NULL};
    brk_list l = {.cfg = w->cfg, .today = w->run->today};
    if (state_metrics_each(st, SMET_BREAKS, on_break, &l) != 0 ||
        (w->run->today != INT32_MIN && state_metrics_each(st, SMET_OPEN, on_open, &l) != 0))
        w->failed = 1;
    xqsort(l.v, l.n, sizeof *l.v, brk_cmp);
    family(w, "settle_reconciliation_breaks", "gauge",
           "Reconciliation breaks on record by transaction matching: both-sided breaks, and "
           "open items past their wait (missing on the other side).");
    for (size_t i = 0; i < l.n; i++) {
        const char *values[] = {l.v[i].partner, l.v[i].ledger, l.v[i].kind};
        sample(w, "settle_reconciliation_breaks", names, values, l.v[i].count);
        free(l.v[i].partner);
        free(l.v[i].ledger);
    }
    free(l.v);
}

static int on_last_success(void *ctx, const state_metric_row *row)
{
    mw *w = ctx;
    family(w, "settle_last_success_timestamp_seconds", "gauge",
           "Unix time the last run recorded in the state (exit 0 or 1) finished.");
    sample(w, "settle_last_success_timestamp_seconds", NULL, NULL, row->value);
    return 0;
}

static void state_figures(mw *w, state *st)
{
    static const char *const partner[] = {"partner", NULL};
    static const char *const outcome[] = {"partner", "outcome", NULL};
    static const char *const reason[] = {"partner", "reason", NULL};
    static const char *const status[] = {"partner", "status", NULL};
    if (state_metrics_each(st, SMET_LAST_SUCCESS, on_last_success, w) != 0)
        w->failed = 1;
    state_family(w, st, SMET_FILES, "settle_files_total", "counter",
                 "Drop files taken in, by source (partner or ledger) and outcome.", outcome);
    state_family(w, st, SMET_ROWS, "settle_rows_read_total", "counter",
                 "Rows read from processed files.", partner);
    state_family(w, st, SMET_TRANSACTIONS, "settle_transactions_total", "counter",
                 "Transactions counted (new, not duplicates).", partner);
    state_family(w, st, SMET_DUPLICATES, "settle_duplicates_total", "counter",
                 "Rows that repeated a transaction already counted.", partner);
    state_family(w, st, SMET_REJECTS, "settle_rejects_total", "counter",
                 "Rejected rows by reason code (skipped_by_rule included).", reason);
    state_family(w, st, SMET_STATEMENTS, "settle_statements", "gauge",
                 "Statements by status (provisional, held, final).", status);
    breaks_family(w, st);
}

/* ---- the run's own figures ---- */

static void run_figures(mw *w)
{
    const metrics_run *r = w->run;
    family(w, "settle_last_run_timestamp_seconds", "gauge", "Unix time the last run ended.");
    sample(w, "settle_last_run_timestamp_seconds", NULL, NULL, r->ended);
    family(w, "settle_last_run_exit_code", "gauge",
           "Exit code of the last run: 0 clean, 1 needs attention, 2 usage or config, "
           "3 failed, 75 locked.");
    sample(w, "settle_last_run_exit_code", NULL, NULL, r->exit_code);
    family(w, "settle_last_run_duration_seconds", "gauge", "Wall time of the last run.");
    sbuf_addf(&w->b, "settle_last_run_duration_seconds %lld.%03lld\n",
              (long long)(r->duration_ms / 1000), (long long)(r->duration_ms % 1000));
}

static void audit_figure(mw *w)
{
    audit_head h;
    if (audit_head_read(w->cfg->paths.audit, &h) != 0)
        return;
    static const char *const names[] = {"seq", "hash", NULL};
    char seq[24];
    snprintf(seq, sizeof seq, "%lld", h.seq);
    const char *values[] = {seq, h.hash};
    family(w, "settle_audit_head_info", "gauge",
           "The audit log's last entry: its sequence number and hash (value always 1).");
    sample(w, "settle_audit_head_info", names, values, 1);
}

int metrics_write(const settle_config *cfg, state *st, const metrics_run *run, char *err,
                  size_t errlen)
{
    mw w = {.cfg = cfg, .run = run};
    sbuf_init(&w.b);
    run_figures(&w);
    if (st)
        state_figures(&w, st);
    char *path = path_join(cfg->paths.metrics, "settle.prom");
    int rc = 0;
    if (w.failed) { /* the run's own figures still go out */
        snprintf(err, errlen, "%s: the state's figures left out: %s", path, state_error(st));
        rc = -1;
        sbuf_reset(&w.b);
        run_figures(&w);
    }
    audit_figure(&w);
    if (atomic_write(path, w.b.buf, w.b.len) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    free(path);
    sbuf_free(&w.b);
    return rc;
}
