/*
 * run_settle.c - the settle stage of a run: every period in the settle set
 * is rebuilt from the stored cells, handed to the partner's rule, written
 * as a statement and recorded in the state; then the summary and
 * exceptions report of every touched period label are rewritten from the
 * state, so they always cover all runs, not just this one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "recon.h"
#include "run_int.h"
#include "timefmt.h"

void run_touch(run_ctx *rc, size_t pi, int32_t day, bool late)
{
    int32_t first = period_first_day(rc->cfg->partners[pi].statement, day);
    for (size_t i = 0; i < rc->n_periods; i++)
        if (rc->periods[i].partner == pi && rc->periods[i].first_day == first) {
            rc->periods[i].late |= late;
            return;
        }
    if (rc->n_periods == rc->cap_periods) {
        rc->cap_periods = rc->cap_periods ? rc->cap_periods * 2 : 32;
        rc->periods = xrealloc(rc->periods, rc->cap_periods * sizeof *rc->periods);
    }
    rc->periods[rc->n_periods++] = (run_period){pi, first, late};
}

int run_touch_day(void *ctx, int32_t day)
{
    run_touch_ctx *t = ctx;
    run_touch(t->rc, t->partner, day, false);
    return 0;
}

/* Remembers a label whose summary and exceptions must be rewritten. */
static void touch_label(run_ctx *rc, const char *label)
{
    for (size_t i = 0; i < rc->n_labels; i++)
        if (strcmp(rc->labels[i], label) == 0)
            return;
    if (rc->n_labels == rc->cap_labels) {
        rc->cap_labels = rc->cap_labels ? rc->cap_labels * 2 : 16;
        rc->labels = xrealloc(rc->labels, rc->cap_labels * sizeof *rc->labels);
    }
    rc->labels[rc->n_labels++] = xstrdup(label);
}

void run_touch_labels(run_ctx *rc, int32_t day)
{
    bool done[3] = {false, false, false}; /* per period_kind */
    for (size_t i = 0; i < rc->cfg->n_partners; i++) {
        period_kind k = rc->cfg->partners[i].statement;
        if ((unsigned)k < 3 && !done[k]) {
            char label[16];
            period_label(k, day, label);
            touch_label(rc, label);
            done[k] = true;
        }
    }
}

/* Orders the settle set by partner, then period: carry-over flows forward. */
static int period_cmp(const void *a, const void *b)
{
    const run_period *x = a, *y = b;
    if (x->partner != y->partner)
        return x->partner < y->partner ? -1 : 1;
    return (x->first_day > y->first_day) - (x->first_day < y->first_day);
}

/* `path` relative to the config folder when inside it: the same on every machine. */
static const char *config_relative(const settle_config *cfg, const char *path)
{
    size_t n = strlen(cfg->dir);
    if (strncmp(path, cfg->dir, n) == 0 && path[n] == '/')
        return path + n + 1;
    return path;
}

/* Adds a statement input (path and hash) to the statement. */
static int add_input(void *ctx, const char *path, const char *sha)
{
    statement *st = ctx;
    st->inputs = xrealloc(st->inputs, (st->n_inputs + 1) * sizeof *st->inputs);
    statement_input *in = &st->inputs[st->n_inputs++];
    in->file = xstrdup(path);
    snprintf(in->sha256, sizeof in->sha256, "%s", sha);
    return 0;
}

/* The scope of st's reconciliation with the partner's i-th ledger. */
static recon_scope recon_scope_of(const run_ctx *rc, const partner_config *pc, size_t i,
                                  const statement *st)
{
    return (recon_scope){rc->cfg, pc, &pc->reconcile[i], st->agg->first_day, st->agg->last_day,
                         rc->today, rc->fx, pc->currency};
}

/* The statement's reconciliation with each ledger the partner lists (recon_period). -1 on
 * state failure. */
static int build_recon(run_ctx *rc, const partner_config *pc, statement *st)
{
    char err[256];
    if (pc->n_reconcile == 0)
        return 0;
    st->recon = xcalloc(pc->n_reconcile, sizeof *st->recon);
    for (size_t i = 0; i < pc->n_reconcile; i++) {
        recon_scope sc = recon_scope_of(rc, pc, i, st);
        if (recon_period(rc->st, &sc, &st->recon[i], err, sizeof err) != 0)
            return -1;
        st->n_recon++;
    }
    return 0;
}

/* Builds the period's aggregates, reconciliation and inputs from the state. */
static int build_statement(run_ctx *rc, const run_period *rp, statement *st)
{
    const partner_config *pc = &rc->cfg->partners[rp->partner];
    period_builder *b = period_builder_new(pc->id, pc->statement, rp->first_day, pc->currency);
    if (state_period_load(rc->st, pc->id, rp->first_day,
                          period_last_day(pc->statement, rp->first_day), b) != 0) {
        period_agg_free(period_builder_finish(b, rc->fx));
        return -1;
    }
    st->agg = period_builder_finish(b, rc->fx);
    st->kind = xstrdup(pc->kind);
    snprintf(st->rules_file, sizeof st->rules_file, "%s", config_relative(rc->cfg, pc->rules));
    snprintf(st->rules_sha256, sizeof st->rules_sha256, "%s", rc->rules_sha[rp->partner]);
    sha256_hex(rc->cfg->sha256, st->config_sha256);
    if (state_carry_before(rc->st, pc->id, rp->first_day, &st->agg->carry_in) != 0 ||
        build_recon(rc, pc, st) != 0 ||
        state_period_inputs(rc->st, pc->id, st->agg->first_day, st->agg->last_day, add_input,
                            st) != 0)
        return -1;
    return run_statement_rows(rc, pc, st);
}

/* Adds one control mismatch to the hold reason being built (state_control_holds callback). */
static int add_control_hold(void *ctx, const char *path, const char *mismatch)
{
    sbuf *b = ctx;
    sbuf_adds(b, b->len ? "; " : "control totals do not match: ");
    sbuf_addf(b, "%s: %s", path, mismatch);
    return 0;
}

/* Holds st (status held) when a file feeding it has control totals that do not match and
 * `settle approve` has not released its period. -1 on state failure. */
int run_control_hold(run_ctx *rc, const partner_config *pc, statement *st)
{
    sbuf b;
    sbuf_init(&b);
    bool approved = false;
    statement_approval a;
    int r = state_control_holds(rc->st, pc->id, st->agg->first_day, st->agg->last_day,
                                add_control_hold, &b);
    if (r == 0 && b.len)
        r = state_approval_get(rc->st, pc->id, st->agg->label, &a, &approved);
    if (r == 0 && b.len && !approved) {
        st->status = ST_HELD;
        st->hold_reason = sbuf_take(&b);
    } else if (r == 0 && approved) { /* the statement says who released it and why */
        st->approval = xmalloc(sizeof *st->approval);
        *st->approval = a;
    }
    sbuf_free(&b);
    return r;
}

/*
 * Holds st when a reconciliation is held (its reasons joined by "; "), unless
 * `settle approve` released exactly that hold for the period (more breaks since
 * then hold it again). -1 on state failure.
 */
int run_recon_hold(run_ctx *rc, const partner_config *pc, statement *st)
{
    sbuf b;
    sbuf_init(&b);
    for (size_t i = 0; i < st->n_recon; i++)
        if (st->recon[i].status == RS_HELD && st->recon[i].reason)
            sbuf_addf(&b, "%s%s", b.len ? "; " : "", st->recon[i].reason);
    if (b.len == 0)
        return sbuf_free(&b), 0;
    statement_approval a;
    bool approved = false;
    int r = state_approval_get(rc->st, pc->id, st->agg->label, &a, &approved);
    if (r == 0 && approved && a.hold_reason && strcmp(a.hold_reason, b.buf) == 0) {
        if (!st->approval) { /* the statement says who released it and why */
            st->approval = xmalloc(sizeof *st->approval);
            *st->approval = a;
        } else
            statement_approval_free(&a);
        sbuf_free(&b);
        return 0;
    }
    if (r == 0 && approved)
        statement_approval_free(&a);
    if (r == 0) {
        st->status = ST_HELD;
        st->hold_reason = sbuf_take(&b);
    }
    sbuf_free(&b);
    return r;
}

/* The worst reconciliation status of st (NULL when it is not reconciled) and its breaks. */
static const char *recon_status_of(const statement *st, int64_t *breaks)
{
    recon_status worst = RS_CLEAN;
    *breaks = 0;
    for (size_t i = 0; i < st->n_recon; i++) {
        if (st->recon[i].status > worst)
            worst = st->recon[i].status;
        for (int k = 0; k < RK_COUNT; k++)
            *breaks += st->recon[i].breaks[k].count;
    }
    return st->n_recon ? recon_status_name(worst) : NULL;
}

/* Runs the rule, or holds the statement when the data cannot be trusted. */
static void apply_rule(run_ctx *rc, const run_period *rp, statement *st)
{
    const partner_config *pc = &rc->cfg->partners[rp->partner];
    int32_t final_after = st->agg->last_day + pc->grace_days;
    st->status = rc->today > final_after ? ST_FINAL : ST_PROVISIONAL;
    if (st->agg->hold_reason) {
        st->status = ST_HELD;
        st->hold_reason = xstrdup(st->agg->hold_reason);
        return;
    }
    char *msg = NULL;
    if (rules_settle(rc->re, pc->id, &pc->params, st, &msg) == 0)
        return;
    fprintf(stderr, "settle: %s %s: rule failed: %s\n", pc->id, st->agg->label, msg);
    st->status = ST_HELD;
    st->hold_reason = xstrdup("rule error; see error");
    st->error = msg;
    rc->totals.rule_failures++;
}

/* The statement's row for the state store (strings borrowed from st). */
static statement_row statement_row_of(const statement *st, const char *json_sha)
{
    const period_agg *a = st->agg;
    int64_t ggr = 0, breaks;
    agg_ggr(&a->total, &ggr);
    const char *recon = recon_status_of(st, &breaks);
    return (statement_row){a->partner,       a->label,        st->kind,
                           statement_status_name(st->status), a->currency,
                           st->hold_reason,  a->first_day,    a->last_day,
                           ggr,              st->payable,     a->carry_in,
                           st->carry_out,    agg_transactions(&a->total),
                           a->duplicates,    a->rejected,     a->exponent,
                           st->rules_sha256, st->config_sha256, json_sha,
                           recon,            breaks};
}

/* Records the statement in the audit list. */
static void audit_statement(run_ctx *rc, const statement *st, const char *json_sha)
{
    jw *w = &rc->audit_statements.w;
    jw_open(w, NULL, '{');
    jw_str(w, "partner", st->agg->partner);
    jw_str(w, "period", st->agg->label);
    jw_str(w, "status", statement_status_name(st->status));
    jw_money(w, "payable", st->payable, st->agg->exponent);
    jw_str(w, "sha256", json_sha);
    jw_close(w, '}');
}

/* Prints a dry-run statement line to stdout. */
static void print_statement(const statement *st)
{
    char pay[MONEY_FMT_MAX];
    money_format(st->payable, st->agg->exponent, pay);
    printf("%-16s %-11s %-11s payable %s %s%s%s\n", st->agg->partner, st->agg->label,
           statement_status_name(st->status), pay, st->agg->currency,
           st->hold_reason ? "  held: " : "", st->hold_reason ? st->hold_reason : "");
}

/* Streams one break into reconciliation.csv (recon_break_fn). */
static int write_break(void *ctx, const recon_break *b)
{
    return recon_csv_row(ctx, b) != 0;
}

/* Stages <reports>/<period>/<partner>/reconciliation.csv: every break of every ledger the
 * partner is reconciled with, per ledger in config order. 0, or -1 with err. */
static int write_recon_csv(run_ctx *rc, const partner_config *pc, const statement *st,
                           char *err, size_t errlen)
{
    csv_stream *w = recon_csv_begin(rc->cfg->paths.reports, st->agg->label, pc->id, err, errlen);
    if (!w)
        return -1;
    int r = 0;
    for (size_t i = 0; r == 0 && i < pc->n_reconcile; i++) {
        recon_scope sc = recon_scope_of(rc, pc, i, st);
        r = recon_period_breaks(rc->st, &sc, write_break, w, err, errlen);
        if (r > 0)
            snprintf(err, errlen, "cannot write the reconciliation of %s %s", pc->id,
                     st->agg->label);
    }
    if (r != 0) {
        csv_stream_abort(w);
        return -1;
    }
    return csv_stream_end(w, &rc->written, err, errlen);
}

/* Writes and records one settled statement. */
static int issue_statement(run_ctx *rc, const partner_config *pc, statement *st, char *err,
                           size_t errlen)
{
    char *json = statement_to_json(st);
    unsigned char d[32];
    char sha[65];
    sha256_mem(json, strlen(json), d);
    sha256_hex(d, sha);
    free(json);
    if (rc->dry_run)
        print_statement(st);
    else if (report_statement(rc->cfg->paths.reports, st, &rc->written, err, errlen) != 0 ||
             (pc->n_reconcile && write_recon_csv(rc, pc, st, err, errlen) != 0))
        return -1;
    statement_row row = statement_row_of(st, sha);
    if (state_statement_put(rc->st, &row) != 0) {
        snprintf(err, errlen, "%s", state_error(rc->st));
        return -1;
    }
    rc->totals.statements++;
    rc->totals.held += st->status == ST_HELD;
    audit_statement(rc, st, sha);
    touch_label(rc, st->agg->label);
    return 0;
}

/*
 * For `settle preview`: the period's statement as a run computes it (aggregates,
 * FX, carry_in, rule, late-data adjustments), before control holds; writes nothing.
 */
int run_build_statement(run_ctx *rc, const run_period *rp, statement *st)
{
    int r = build_statement(rc, rp, st);
    if (r == 0) {
        apply_rule(rc, rp, st);
        r = run_apply_adjustments(rc, &rc->cfg->partners[rp->partner], st);
    }
    return r;
}

/*
 * Rejects this run filed under a final period (never rewritten) are reported
 * in the exceptions.csv of the next open period, which is settled and
 * rewritten this run; their day column names their own day. -1 on state failure.
 */
static int late_rejects(run_ctx *rc, const run_period *rp)
{
    const partner_config *pc = &rc->cfg->partners[rp->partner];
    int32_t target;
    int64_t n = 0;
    char to[16];
    if (run_next_open_period(rc, pc, rp->first_day, &target) != 0)
        return -1;
    period_label(pc->statement, target, to);
    if (state_rejects_report(rc->st, pc->id, rp->first_day,
                             period_last_day(pc->statement, rp->first_day), rc->run_id, to,
                             &n) != 0)
        return -1;
    if (n > 0) {
        run_touch(rc, rp->partner, target, false);
        touch_label(rc, to);
        fprintf(stderr, "settle: %s: %lld rejected rows of a final period are reported in the "
                        "exceptions of %s\n", pc->id, (long long)n, to);
    }
    return 0;
}

/* Settles one period: build, rule, write, record. */
static int settle_period(run_ctx *rc, const run_period *rp, char *err, size_t errlen)
{
    const partner_config *pc = &rc->cfg->partners[rp->partner];
    char label[16];
    bool final;
    period_label(pc->statement, rp->first_day, label);
    if (run_restate(rc, rp, label, &final, err, errlen) != 0)
        return -1;
    if (final) { /* never rewritten; restated when late data changed it */
        if (rp->late && late_rejects(rc, rp) != 0)
            return snprintf(err, errlen, "%s", state_error(rc->st)), -1;
        return 0;
    }
    statement st = {0};
    int result = build_statement(rc, rp, &st);
    if (result == 0) {
        apply_rule(rc, rp, &st);
        result = run_apply_adjustments(rc, pc, &st);
    }
    if (result == 0 && st.status != ST_HELD)
        result = run_control_hold(rc, pc, &st);
    if (result == 0 && st.status != ST_HELD)
        result = run_recon_hold(rc, pc, &st);
    if (result == 0)
        result = issue_statement(rc, pc, &st, err, errlen);
    else
        snprintf(err, errlen, "%s", state_error(rc->st));
    statement_free(&st);
    return result;
}

/* Extends the settle set with every later period of each touched partner. */
static int extend_carry_chain(run_ctx *rc)
{
    size_t n = rc->n_periods;
    for (size_t i = 0; i < n; i++) {
        run_touch_ctx t = {rc, rc->periods[i].partner};
        if (state_statement_days(rc->st, rc->cfg->partners[t.partner].id,
                                 rc->periods[i].first_day + 1, run_touch_day, &t) != 0)
            return -1;
    }
    return 0;
}

/* summary_row from a stored statement row (strings borrowed). */
static int add_summary_row(void *ctx, const statement_row *r)
{
    void **c = ctx;
    summary_row **rows = c[0];
    size_t *n = c[1];
    *rows = xrealloc(*rows, (*n + 1) * sizeof **rows);
    (*rows)[(*n)++] = (summary_row){xstrdup(r->partner), xstrdup(r->kind), xstrdup(r->currency),
                                    xstrdup(r->status), xstrdup(r->hold_reason), r->exponent,
                                    r->ggr, r->payable, r->carry_out, r->transactions,
                                    r->duplicates, r->rejected, xstrdup(r->recon_status),
                                    r->recon_breaks};
    return 0;
}

/* Frees summary rows built by add_summary_row. */
static void free_summary_rows(summary_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((char *)rows[i].partner);
        free((char *)rows[i].kind);
        free((char *)rows[i].currency);
        free((char *)rows[i].status);
        free((char *)rows[i].hold_reason);
        free((char *)rows[i].recon_status);
    }
    free(rows);
}

/* Rewrites summary.{txt,json,html} of one label from the state. */
static int write_summary(run_ctx *rc, const char *label, char *err, size_t errlen)
{
    summary_row *rows = NULL;
    size_t n = 0;
    void *ctx[2] = {&rows, &n};
    int result = state_statements_of_label(rc->st, label, add_summary_row, ctx);
    if (result != 0)
        snprintf(err, errlen, "%s", state_error(rc->st));
    else
        result = report_summary(rc->cfg->paths.reports, label, rows, n, &rc->written, err, errlen);
    free_summary_rows(rows, n);
    return result;
}

/* Streams one reject into the exceptions writer. */
static int write_reject(void *ctx, const reject_row *r)
{
    return exceptions_row(ctx, r->partner, r->file, r->line, r->day, r->id ? r->id : "", r->reason,
                          r->detail ? r->detail : "", r->raw ? r->raw : "") != 0;
}

/* Rewrites exceptions.csv of a label: rejects of every partner whose period it is. */
static int write_exceptions(run_ctx *rc, const char *label, char *err, size_t errlen)
{
    period_kind kind;
    int32_t first = 1, last = 0; /* first > last selects "day unknown" */
    bool unattributed = strcmp(label, "unattributed") == 0;
    if (!unattributed && period_parse(label, strlen(label), &kind, &first) != 0)
        return 0;
    exceptions_writer *w = exceptions_begin(rc->cfg->paths.reports, label, err, errlen);
    if (!w)
        return -1;
    int rc_ = 0;
    bool kind_used = unattributed;
    for (size_t i = 0; rc_ == 0 && i < rc->cfg->n_partners; i++) {
        const partner_config *pc = &rc->cfg->partners[i];
        if (!unattributed && pc->statement != kind)
            continue;
        if (!unattributed)
            last = period_last_day(kind, first);
        kind_used = true;
        rc_ = state_rejects_each(rc->st, pc->id, first, last, label, write_reject, w);
    }
    /* a ledger's rows of no known partner: in every label of their day (run_ingest_ledger.c) */
    for (size_t i = 0; rc_ == 0 && kind_used && i < rc->cfg->n_ledgers; i++)
        rc_ = state_rejects_each(rc->st, rc->cfg->ledgers[i].src.id, first, last, label,
                                 write_reject, w);
    if (rc_ != 0) {
        exceptions_abort(w);
        return snprintf(err, errlen, "cannot write exceptions for %s", label), -1;
    }
    return exceptions_end(w, &rc->written, err, errlen);
}

int run_settle_all(run_ctx *rc, char *err, size_t errlen)
{
    if (run_restate_plan(rc) != 0 || extend_carry_chain(rc) != 0)
        return snprintf(err, errlen, "%s", state_error(rc->st)), -1;
    xqsort(rc->periods, rc->n_periods, sizeof *rc->periods, period_cmp);
    for (size_t i = 0; i < rc->n_periods; i++) { /* late data may append periods: copy */
        run_period p = rc->periods[i];
        size_t before = rc->n_periods;
        if (rc->selected[p.partner] && settle_period(rc, &p, err, errlen) != 0)
            return -1;
        if (rc->n_periods != before) /* an adjustment's target: keep the rest in order */
            qsort(rc->periods + i + 1, rc->n_periods - i - 1, sizeof *rc->periods, period_cmp);
    }
    if (rc->unattributed)
        touch_label(rc, "unattributed");
    for (size_t i = 0; i < rc->n_labels && !rc->dry_run; i++) {
        bool summary = strcmp(rc->labels[i], "unattributed") != 0;
        if ((summary && write_summary(rc, rc->labels[i], err, errlen) != 0) ||
            write_exceptions(rc, rc->labels[i], err, errlen) != 0)
            return -1;
    }
    return 0;
}
