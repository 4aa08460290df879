/*
 * run_restate.c - late data for final periods (SPEC §7). A final statement is
 * never rewritten. When late data for it arrives, or the carry_in it was issued
 * with is no longer its predecessor's (restated) carry_out, the period is
 * re-derived completely from all stored cells - aggregates, the rule run on
 * them (so tiers see the restated totals), lines, payable, carry_out - and
 * recorded as a restatement. Its carry_out is the next period's carry_in from
 * then on (state_carry_before), so a provisional next period is re-settled with
 * it and a final one is restated in turn; the payable difference from what was
 * issued and adjusted before lands as an adjustment line in the first open
 * period, whose statement also lists the restatement. A restatement that
 * would be held waits in the state with its late files and is retried every run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "run_int.h"
#include "timefmt.h"

/* Adds one adjustment landing in the statement as a line (state_adjustments_each callback). */
static int add_adjustment_line(void *ctx, const char *origin, int64_t amount, const char *detail)
{
    statement *st = ctx;
    char *label = xasprintf("Late data adjustment for %s%s%s%s", origin, detail ? " (" : "",
                            detail ? detail : "", detail ? ")" : "");
    statement_add_line(st, label, amount);
    free(label);
    return __builtin_add_overflow(st->payable, amount, &st->payable) ? 1 : 0;
}

/* Adds one restatement landing in the statement to its list (state_restatements_each callback). */
static int add_restatement(void *ctx, const restatement_row *r)
{
    statement_restatement e = {.files = (char *)r->files,
                               .issued_payable = r->issued_payable,
                               .previous_payable = r->previous_payable,
                               .restated_payable = r->payable,
                               .issued_carry_out = r->issued_carry_out,
                               .restated_carry_out = r->carry_out};
    snprintf(e.period, sizeof e.period, "%s", r->period);
    snprintf(e.cause, sizeof e.cause, "%s", r->cause);
    statement_add_restatement(ctx, &e);
    return 0;
}

/*
 * Adds the late-data adjustments that land in this period to its lines and
 * payable, and the restatements they come from to its list. A statement held
 * before its rule ran gets neither (the next settle adds them); an overflow
 * holds it. -1 on state failure.
 */
int run_apply_adjustments(run_ctx *rc, const partner_config *pc, statement *st)
{
    if (st->status == ST_HELD)
        return 0;
    int r = state_adjustments_each(rc->st, pc->id, st->agg->label, add_adjustment_line, st);
    if (r == 1) {
        st->status = ST_HELD;
        st->hold_reason = xstrdup("overflow adding late data adjustments");
        r = 0;
    }
    return r == 0 ? state_restatements_each(rc->st, pc->id, st->agg->label, add_restatement, st)
                  : r;
}

/* What a final period stands at now: as issued, then restated and adjusted since. */
typedef struct rst_now {
    int64_t issued_payable, issued_carry_out;
    int64_t payable;            /* issued plus every adjustment made for it */
    int64_t carry_in, carry_out; /* of its latest restatement, else as issued */
} rst_now;

/*
 * Reads where final period `label` stands; *final false when it is not final.
 * 1 (said on stderr) when its payable and adjustments overflow; -1 on failure.
 */
static int rst_now_of(run_ctx *rc, const char *partner, const char *label, bool *final,
                      rst_now *n)
{
    statement_row row;
    restatement_row last;
    bool found, restated;
    int64_t adjusted;
    if (state_statement_get(rc->st, partner, label, &row, &found) != 0)
        return -1;
    *final = found && strcmp(row.status, "final") == 0;
    if (!*final)
        return 0;
    *n = (rst_now){row.payable, row.carry_out, row.payable, row.carry_in, row.carry_out};
    if (state_adjustments_from(rc->st, partner, label, &adjusted) != 0 ||
        state_restatement_last(rc->st, partner, label, &last, &restated) != 0)
        return -1;
    if (__builtin_add_overflow(n->payable, adjusted, &n->payable))
        return fprintf(stderr, "settle: %s %s: late data adjustment overflows; not settled\n",
                       partner, label), 1;
    if (restated) {
        n->carry_in = last.carry_in;
        n->carry_out = last.carry_out;
    }
    return 0;
}

int run_next_open_period(run_ctx *rc, const partner_config *pc, int32_t first_day,
                         int32_t *out)
{
    int32_t day = period_last_day(pc->statement, first_day) + 1;
    for (;;) {
        char label[16];
        statement_row row;
        bool found;
        period_label(pc->statement, day, label);
        if (state_statement_get(rc->st, pc->id, label, &row, &found) != 0)
            return -1;
        if (!found || strcmp(row.status, "final") != 0)
            return *out = day, 0;
        day = period_last_day(pc->statement, day) + 1;
    }
}

/* Adds `name` to a list of one name a line unless it is in it already. */
static void list_add(sbuf *b, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = b->buf; p && *p;) {
        size_t len = strcspn(p, "\n");
        if (len == n && memcmp(p, name, n) == 0)
            return;
        p += len + (p[len] == '\n');
    }
    sbuf_adds(b, b->len ? "\n" : "");
    sbuf_adds(b, name);
}

/* Lists input files, one a line (state_run_inputs callback). */
static int add_input_name(void *ctx, const char *path, const char *sha)
{
    (void)sha;
    list_add(ctx, path);
    return 0;
}

/* Adds every name of a list of one name a line (NULL: none) to another. */
static void list_merge(sbuf *b, const char *list)
{
    while (list && *list) {
        size_t len = strcspn(list, "\n");
        char *one = xstrndup(list, len);
        list_add(b, one);
        free(one);
        list += len + (list[len] == '\n');
    }
}

/* The restated rule lines as a compact JSON array of {label, amount}; caller frees. */
static char *lines_json(const statement *st)
{
    sbuf b;
    jw w;
    sbuf_init(&b);
    sbuf_addc(&b, '[');
    jw_init_members(&w, &b, JW_COMPACT);
    for (size_t i = 0; i < st->n_lines; i++) {
        jw_open(&w, NULL, '{');
        jw_str(&w, "label", st->lines[i].label);
        jw_money(&w, "amount", st->lines[i].amount, st->agg->exponent);
        jw_close(&w, '}');
    }
    jw_close(&w, ']');
    return sbuf_take(&b);
}

/* Why a period is restated: its own late files, and the carry_in an earlier restatement moved. */
typedef struct rst_cause {
    char cause[16]; /* the period whose late data started it */
    sbuf files;     /* the late files, one a line */
    sbuf detail;    /* the adjustment line's text in parentheses */
} rst_cause;

/*
 * Fills c for the restatement of `st`: the late files of an earlier attempt
 * that was held, files of this run that fed the period (when `late`) and,
 * when its carry_in moved from `was`, the restatement of an earlier period made
 * by this run that moved it. -1 on state failure.
 */
static int rst_cause_of(run_ctx *rc, const partner_config *pc, const statement *st, bool late,
                        int64_t was, rst_cause *c)
{
    const period_agg *a = st->agg;
    char *pending = NULL;
    snprintf(c->cause, sizeof c->cause, "%s", a->label);
    if (state_restate_pending_get(rc->st, pc->id, a->label, &pending) != 0)
        return -1;
    sbuf_adds(&c->files, pending ? pending : "");
    free(pending);
    if (late && state_run_inputs(rc->st, pc->id, a->first_day, a->last_day, rc->run_id,
                                 add_input_name, &c->files) != 0)
        return -1;
    statement_files_join(&c->detail, c->files.buf);
    if (a->carry_in == was)
        return 0;
    restatement_row up;
    bool found;
    if (state_restatement_upstream(rc->st, pc->id, rc->run_id, a->first_day, &up, &found) != 0)
        return -1;
    sbuf_adds(&c->detail, c->detail.len ? "; " : "");
    if (!found) {
        char from[MONEY_FMT_MAX], to[MONEY_FMT_MAX];
        money_format(was, a->exponent, from);
        money_format(a->carry_in, a->exponent, to);
        sbuf_addf(&c->detail, "carry_in changed from %s to %s", from, to);
        return 0;
    }
    if (!late)
        snprintf(c->cause, sizeof c->cause, "%s", up.cause);
    sbuf_addf(&c->detail, "carry_in restated after late data for %s", up.cause);
    if (up.files && *up.files) {
        sbuf_adds(&c->detail, ": ");
        statement_files_join(&c->detail, up.files);
        list_merge(&c->files, up.files);
    }
    return 0;
}

/* Prints what a restatement did (stderr). */
static void rst_say(const partner_config *pc, const statement *st, const rst_now *was,
                    bool late, const char *to)
{
    int e = st->agg->exponent;
    char p0[MONEY_FMT_MAX], p1[MONEY_FMT_MAX], c0[MONEY_FMT_MAX], c1[MONEY_FMT_MAX];
    money_format(was->payable, e, p0);
    money_format(st->payable, e, p1);
    money_format(was->carry_out, e, c0);
    money_format(st->carry_out, e, c1);
    fprintf(stderr, "settle: %s %s: %s; restated: payable %s (was %s), carry_out %s (was %s); "
                    "the difference is settled as an adjustment in %s\n",
            pc->id, st->agg->label,
            late ? "late data for a final statement" : "carry_in of a final statement restated",
            p1, p0, c1, c0, to);
}

/*
 * Records the restatement `st` of a final period (which stood at `was`) with
 * its cause `c`: the restatement row, the payable difference as an adjustment
 * in the first open period (none when zero), and that period added to the
 * settle set. -1 on state failure.
 */
static int rst_add(run_ctx *rc, const run_period *rp, const statement *st, const rst_now *was,
                   const rst_cause *c, int64_t diff)
{
    const partner_config *pc = &rc->cfg->partners[rp->partner];
    const char *label = st->agg->label;
    int32_t target;
    char to[16];
    char *lines = lines_json(st);
    int r = run_next_open_period(rc, pc, rp->first_day, &target);
    if (r == 0) {
        period_label(pc->statement, target, to);
        restatement_row row = {pc->id, label, to, c->cause, c->files.buf, lines,
                               st->agg->first_day, st->agg->last_day, st->agg->carry_in,
                               st->payable, st->carry_out, was->issued_payable,
                               was->issued_carry_out, was->payable, rc->run_id};
        r = state_restatement_add(rc->st, &row);
    }
    if (r == 0 && diff != 0)
        r = state_adjustment_add(rc->st, pc->id, label, to, diff,
                                 c->detail.len ? c->detail.buf : NULL, rc->run_id);
    if (r == 0) {
        run_touch(rc, rp->partner, target, false);
        rst_say(pc, st, was, rp->late, to);
    }
    free(lines);
    return r;
}

/*
 * Settles the restatement `st` of a final period (which stood at `was`):
 * recorded (rst_add) when payable or carry moved; kept pending with its late
 * files when held (retried every run); nothing when nothing moved or on an
 * overflow (said on stderr). -1 on state failure.
 */
static int rst_record(run_ctx *rc, const run_period *rp, const statement *st,
                      const rst_now *was)
{
    const partner_config *pc = &rc->cfg->partners[rp->partner];
    const char *label = st->agg->label;
    int64_t diff = 0;
    rst_cause c;
    sbuf_init(&c.files);
    sbuf_init(&c.detail);
    int r = rst_cause_of(rc, pc, st, rp->late, was->carry_in, &c);
    if (r == 0 && st->status == ST_HELD) {
        fprintf(stderr, "settle: %s %s: late data for a final statement cannot be restated yet "
                        "(%s); it is kept and retried on every run\n",
                pc->id, label, st->hold_reason ? st->hold_reason : "held");
        r = state_restate_pending_put(rc->st, pc->id, label, rp->first_day, c.files.buf,
                                      st->hold_reason);
    } else if (r == 0) {
        r = state_restate_pending_drop(rc->st, pc->id, label);
        if (r == 0 && __builtin_sub_overflow(st->payable, was->payable, &diff))
            fprintf(stderr, "settle: %s %s: late data adjustment overflows; not settled\n",
                    pc->id, label);
        else if (r == 0 && diff == 0 && st->carry_out == was->carry_out &&
                 st->agg->carry_in == was->carry_in)
            fprintf(stderr, "settle: %s %s: late data for a final statement changes neither "
                            "its payable nor its carry_out; nothing to adjust\n", pc->id, label);
        else if (r == 0)
            r = rst_add(rc, rp, st, was, &c, diff);
    }
    sbuf_free(&c.files);
    sbuf_free(&c.detail);
    return r;
}

int run_restate(run_ctx *rc, const run_period *rp, const char *label, bool *final, char *err,
                size_t errlen)
{
    const partner_config *pc = &rc->cfg->partners[rp->partner];
    rst_now was;
    int64_t carry_now;
    int r = rst_now_of(rc, pc->id, label, final, &was);
    if (r == 0 && *final)
        r = state_carry_before(rc->st, pc->id, rp->first_day, &carry_now);
    if (r == 0 && *final && (rp->late || carry_now != was.carry_in)) {
        statement st = {0};
        r = run_build_statement(rc, rp, &st);
        if (r == 0 && st.status != ST_HELD)
            r = run_control_hold(rc, pc, &st);
        if (r == 0)
            r = rst_record(rc, rp, &st, &was);
        statement_free(&st);
    }
    if (r < 0)
        snprintf(err, errlen, "%s", state_error(rc->st));
    return r < 0 ? -1 : 0;
}

/* Adds a period with late data still to restate to the settle set (run_touch_ctx). */
static int touch_late(void *ctx, int32_t first_day)
{
    run_touch_ctx *t = ctx;
    run_touch(t->rc, t->partner, first_day, true);
    return 0;
}

int run_restate_plan(run_ctx *rc)
{
    for (size_t i = 0; i < rc->cfg->n_partners; i++) {
        run_touch_ctx t = {rc, i};
        if (rc->selected[i] &&
            state_restate_pending_days(rc->st, rc->cfg->partners[i].id, touch_late, &t) != 0)
            return -1;
    }
    return 0;
}
