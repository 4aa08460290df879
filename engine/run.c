/*
 * run.c - `settle run`: load and check everything that can be wrong before
 * touching anything (config, FX table, rule files), take the lock, then
 * ingest, settle and report inside one state transaction, and finally append
 * the audit entry. Exit codes follow SPEC section 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "metrics.h"
#include "run.h"
#include "run_int.h"
#include "timefmt.h"

/* Marks the partners this run covers; -1 when a --partner is unknown. */
static int select_partners(const settle_config *cfg, const run_options *o, bool *selected)
{
    for (size_t i = 0; i < cfg->n_partners; i++)
        selected[i] = o->n_partners == 0;
    for (size_t j = 0; j < o->n_partners; j++) {
        const partner_config *pc = config_partner(cfg, o->partners[j]);
        if (!pc) {
            fprintf(stderr, "settle: unknown partner '%s' (not in %s)\n", o->partners[j],
                    cfg->path);
            return -1;
        }
        selected[pc - cfg->partners] = true;
    }
    return 0;
}

int run_load_tables(const settle_config *cfg, fx_table **fx, tax_table **tax, diag *d)
{
    size_t before = d->n;
    *fx = cfg->fx_rates ? fx_load(cfg->fx_rates, d) : fx_empty();
    *tax = cfg->tax_tables ? tax_load(cfg->tax_tables, d) : NULL;
    return d->n == before ? 0 : -1;
}

/* The run's FX and tax tables, every problem printed; -1 when either is unusable. */
static int load_tables(run_ctx *rc)
{
    diag d;
    diag_init(&d);
    int r = run_load_tables(rc->cfg, &rc->fx, &rc->tax, &d);
    diag_print(&d, stderr);
    diag_free(&d);
    return r;
}

/* Compiles the rule file of every selected partner; -1 on any error. */
static int load_rules(run_ctx *rc)
{
    diag d;
    diag_init(&d);
    for (size_t i = 0; i < rc->cfg->n_partners; i++)
        if (rc->selected[i])
            rules_load(rc->re, rc->cfg->partners[i].id, rc->cfg->partners[i].rules,
                       rc->rules_sha[i], &d);
    diag_print(&d, stderr);
    int rc_ = d.n ? -1 : 0;
    diag_free(&d);
    return rc_;
}

/* Today's business day, or $SETTLE_TODAY (YYYY-MM-DD) for tests and replays. */
static int32_t business_today(const run_ctx *rc)
{
    const char *env = getenv("SETTLE_TODAY");
    int32_t day;
    if (env && date_parse(env, strlen(env), &day) == 0)
        return day;
    return business_day((int64_t)time(NULL), rc->business_zone, rc->cfg->day_starts_at);
}

/*
 * Adds to the settle set: backfill (--date/--from/--to), provisional periods
 * whose rules or config changed, provisional periods whose grace time has
 * passed (they are issued final now), and held ones (their cause may be fixed).
 */
static int plan_resettle(run_ctx *rc)
{
    char cfg_sha[65];
    sha256_hex(rc->cfg->sha256, cfg_sha);
    for (size_t i = 0; i < rc->cfg->n_partners; i++) {
        if (!rc->selected[i])
            continue;
        const char *id = rc->cfg->partners[i].id;
        run_touch_ctx t = {rc, i};
        if (rc->has_range &&
            state_days_with_data(rc->st, id, rc->from_day, rc->to_day, run_touch_day, &t) != 0)
            return -1;
        if (state_statements_stale(rc->st, id, rc->rules_sha[i], cfg_sha, run_touch_day, &t) != 0)
            return -1;
        int32_t due = rc->today - rc->cfg->partners[i].grace_days; /* grace has passed */
        if (state_statements_due(rc->st, id, due, run_touch_day, &t) != 0)
            return -1;
    }
    return 0;
}

/* Drops periods outside --date/--from/--to when a range is given. */
static void apply_range(run_ctx *rc)
{
    size_t k = 0;
    for (size_t i = 0; i < rc->n_periods; i++) {
        const run_period *p = &rc->periods[i];
        int32_t last = period_last_day(rc->cfg->partners[p->partner].statement, p->first_day);
        if (!rc->has_range || (last >= rc->from_day && p->first_day <= rc->to_day))
            rc->periods[k++] = *p;
    }
    rc->n_periods = k;
}

/*
 * True when ledger li is read this run: every partner reconciled with it is
 * selected. A ledger file is taken all or nothing and its rows change the
 * statements of the partners matched with it, so with `--partner` leaving one
 * of them out it waits in the inbox for a run that settles them all.
 */
static bool ledger_selected(const run_ctx *rc, size_t li)
{
    for (size_t i = 0; i < rc->cfg->n_partners; i++) {
        const partner_config *pc = &rc->cfg->partners[i];
        for (size_t j = 0; j < pc->n_reconcile; j++)
            if (pc->reconcile[j].ledger_index == li && !rc->selected[i]) {
                fprintf(stderr, "settle: ledger %s not read: %s, reconciled with it, is not "
                        "selected; its files wait for a run that selects it\n",
                        rc->cfg->ledgers[li].src.id, pc->id);
                return false;
            }
    }
    return true;
}

/* recon_match_all's touch: the partner's period of the day is settled again. */
static int recon_touch(void *ctx, size_t partner, int32_t day)
{
    run_touch(ctx, partner, day, true);
    return 0;
}

/* Opens the run's reconciliation items when there are ledgers; scratch files beside the
 * seen ids (the state folder, $TMPDIR in a dry run without one). -1 with err. */
static int recon_begin(run_ctx *rc, char *err, size_t errlen)
{
    if (rc->cfg->n_ledgers == 0)
        return 0;
    const char *state_dir = rc->cfg->paths.state;
    rc->recon = recon_items_open(rc->cfg, access(state_dir, W_OK) == 0 ? state_dir : NULL, err,
                                 errlen);
    return rc->recon ? 0 : -1;
}

/* Ingests every selected partner, then every ledger whose partners are all selected,
 * then matches the reconciliation items read. -1 with err (empty: the state's error). */
static int ingest_all(run_ctx *rc, char *err, size_t errlen)
{
    if (recon_begin(rc, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < rc->cfg->n_partners; i++)
        if (rc->selected[i] && run_ingest_partner(rc, i) != 0)
            return -1;
    for (size_t i = 0; i < rc->cfg->n_ledgers; i++)
        if (ledger_selected(rc, i) && run_ingest_ledger(rc, i) != 0)
            return -1;
    int r = recon_match_all(rc->recon, rc->st, rc->run_id, rc->threads, recon_touch, rc, err,
                            errlen);
    recon_items_close(rc->recon);
    rc->recon = NULL;
    return r;
}

/* The exit code the run's outcome calls for. */
static int run_exit_code(const run_ctx *rc)
{
    const run_totals *t = &rc->totals;
    bool attention = t->rejected > t->skipped_by_rule || t->files_failed || t->files_waiting ||
                     t->control_mismatches || t->held || t->rule_failures || t->files_refused;
    return attention ? EXIT_ATTENTION : EXIT_CLEAN;
}

/* The one-line summary printed at the end (also stored with the run). */
static char *run_summary(const run_ctx *rc, int64_t ms)
{
    const run_totals *t = &rc->totals;
    const row_counts *r = &t->row_outcomes;
    char inbox[96] = ""; /* said only when there is something to say */
    if (t->files_refused || t->files_not_regular || t->inbox_missing)
        snprintf(inbox, sizeof inbox, ", %lld refused links, %lld not files, %lld inboxes missing",
                 (long long)t->files_refused, (long long)t->files_not_regular,
                 (long long)t->inbox_missing);
    return xasprintf("%lld files (%lld skipped, %lld quarantined, %lld waiting%s), %lld rows read "
                     "(%lld settled, %lld duplicate, %lld rejected, %lld skipped by rule, "
                     "%lld header/control/title), "
                     "%lld transactions, %lld duplicates, %lld rejected; %lld statements "
                     "(%lld held) in %lld.%03llds",
                     (long long)t->files, (long long)t->files_skipped, (long long)t->files_failed,
                     (long long)t->files_waiting, inbox, (long long)t->rows_read,
                     (long long)r->settled, (long long)r->duplicate, (long long)r->rejected,
                     (long long)r->skipped, (long long)t->rows_other, (long long)t->transactions,
                     (long long)t->duplicates,
                     (long long)t->rejected, (long long)t->statements, (long long)t->held,
                     (long long)(ms / 1000), (long long)(ms % 1000));
}

/* Rolls the run's transaction back after printing why; returns EXIT_FAILED. */
static int run_fail(run_ctx *rc, const char *err)
{
    fprintf(stderr, "settle: run failed, nothing recorded: %s\n",
            err && err[0] ? err : state_error(rc->st));
    state_rollback(rc->st);
    report_discard(&rc->written);
    return EXIT_FAILED;
}

/* Journals the audit entry and commits. 0, or -1 (not committed, the state says why). */
static int run_commit(run_ctx *rc, int code, const char *summary)
{
    char now[21];
    instant_format((int64_t)time(NULL), now);
    if (run_audit_changes(rc) != 0)
        return -1;
    char *fields = run_audit_fields(rc, code);
    int journal = state_run_journal(rc->st, rc->run_id, fields);
    free(fields);
    if (journal != 0 || run_outputs_journal(rc) != 0 ||
        state_run_end(rc->st, rc->run_id, now, code, summary) != 0)
        return -1;
    return state_commit(rc->st);
}

/* Ingest, settle, report and commit: the transactional heart of a run. */
static int run_transaction(run_ctx *rc, int64_t t0, char **summary)
{
    char err[512] = "";
    char now[21];
    instant_format((int64_t)time(NULL), now);
    if (state_begin(rc->st) != 0 || state_dedup_key(rc->st, &rc->key) != 0 ||
        state_run_begin(rc->st, now, &rc->run_id) != 0 || ingest_all(rc, err, sizeof err) != 0 ||
        plan_resettle(rc) != 0)
        return run_fail(rc, err);
    apply_range(rc);
    if (run_settle_all(rc, err, sizeof err) != 0)
        return run_fail(rc, err);
    int code = run_exit_code(rc);
    *summary = run_summary(rc, monotonic_ms() - t0);
    if (rc->dry_run) {
        run_print_rejects(rc);
        state_rollback(rc->st);
        return code;
    }
    if (run_commit(rc, code, *summary) != 0)
        return run_fail(rc, NULL);
    if (run_outputs_publish(rc) != 0)
        code = EXIT_ATTENTION; /* recorded; the next run puts the staged reports in place */
    if (run_quarantine_flush(rc) != 0)
        code = EXIT_ATTENTION; /* recorded; the files stay in the inbox for the next run */
    if (run_audit_flush(rc->cfg, rc->st) != 0) { /* committed: do not claim exit 3 */
        fprintf(stderr, "settle: the run is recorded in the state but its audit entry could "
                        "not be written; the next run writes it once the audit folder works\n");
        return EXIT_ATTENTION;
    }
    return code;
}

/* Sets up everything that needs no lock; returns an exit code on failure, else -1. */
/* Ingest threads: --threads, else settle.threads, else the cores online (at least 1). */
static int run_threads(const run_options *o, const settle_config *cfg)
{
    if (o->threads > 0)
        return o->threads;
    if (cfg->threads > 0)
        return cfg->threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

static int run_prepare(run_ctx *rc, settle_config *cfg, const run_options *o, bool **selected)
{
    if (config_load_printed(o->config, cfg) != 0)
        return EXIT_USAGE;
    rc->cfg = cfg;
    rc->selected = *selected = xcalloc(cfg->n_partners, sizeof **selected);
    if (select_partners(cfg, o, *selected) != 0 || load_tables(rc) != 0)
        return EXIT_USAGE;
    char zerr[128];
    rc->business_zone = tz_load(cfg->timezone, zerr, sizeof zerr);
    rc->rules_sha = xcalloc(cfg->n_partners, sizeof *rc->rules_sha);
    rc->re = rules_open();
    rules_set_tax(rc->re, rc->tax);
    rules_set_fx(rc->re, rc->fx);
    if (!rc->business_zone || load_rules(rc) != 0)
        return EXIT_USAGE;
    rc->today = business_today(rc);
    rc->threads = run_threads(o, cfg);
    return -1;
}

/* Writes settle.prom for the run that ends with `code` (not for a dry run, nor without a
 * config to say where); a failure to write it is said, and changes no exit code. */
static void run_metrics(const run_ctx *rc, int code, int64_t t0)
{
    if (!rc->cfg || rc->dry_run)
        return;
    metrics_run m = {.exit_code = code, .ended = (int64_t)time(NULL),
                     .duration_ms = monotonic_ms() - t0,
                     .today = rc->st ? rc->today : INT32_MIN};
    char err[512];
    if (metrics_write(rc->cfg, rc->st, &m, err, sizeof err) != 0)
        fprintf(stderr, "settle: warning: metrics: %s\n", err);
}

/* Frees everything a run holds. */
static void run_free(run_ctx *rc)
{
    for (size_t i = 0; i < rc->n_labels; i++)
        free(rc->labels[i]);
    free(rc->labels);
    free(rc->periods);
    free(rc->rules_sha);
    path_list_free(&rc->written);
    audit_entry_free(&rc->audit_files);
    audit_entry_free(&rc->audit_statements);
    audit_entry_free(&rc->audit_changes);
    run_quarantine_free(rc);
    recon_items_close(rc->recon);
    free(rc->rejects_by_reason);
    if (rc->re)
        rules_close(rc->re);
    fx_free(rc->fx);
    tax_free(rc->tax);
    tz_free(rc->business_zone);
    state_close(rc->st);
}

int settle_run(const run_options *o)
{
    int64_t t0 = monotonic_ms();
    settle_config cfg = {0};
    run_ctx rc = {.dry_run = o->dry_run, .has_range = o->has_range, .from_day = o->from_day,
                  .to_day = o->to_day, };
    progress_init(&rc.progress, o->progress || isatty(STDERR_FILENO));
    bool *selected = NULL;
    int code = -1, lock_fd = -1;
    audit_entry_begin(&rc.audit_files);
    audit_entry_begin(&rc.audit_statements);
    audit_entry_begin(&rc.audit_changes);
    code = run_prepare(&rc, &cfg, o, &selected);
    /* A dry run before any real run works on an empty store in memory: no files. */
    bool scratch = code < 0 && rc.dry_run && !state_exists(cfg.paths.state);
    if (code < 0 && !scratch) {
        int lk = run_lock(cfg.paths.state, &lock_fd);
        code = lk == -1 ? EXIT_LOCKED : lk < -1 ? EXIT_FAILED : -1;
    }
    char err[256];
    if (code < 0 && scratch)
        rc.st = state_open_memory(err, sizeof err);
    else if (code < 0)
        rc.st = state_open(cfg.paths.state, err, sizeof err);
    if (code < 0 && !rc.st) {
        fprintf(stderr, "settle: cannot open state: %s\n", err);
        code = EXIT_FAILED;
    }
    if (code < 0 && !rc.dry_run && run_publish_pending(&cfg, rc.st) != 0)
        code = EXIT_FAILED; /* an earlier run's reports cannot be put in place: stop */
    if (code < 0 && !rc.dry_run && run_audit_flush(&cfg, rc.st) != 0) /* an earlier run cut off: repair */
        fprintf(stderr, "settle: warning: an earlier run's audit entry is still missing\n");
    char *summary = NULL;
    if (code < 0)
        code = run_transaction(&rc, t0, &summary);
    progress_done(&rc.progress);
    run_metrics(&rc, code, t0);
    if (summary)
        printf("settle: %s%s; exit %d\n", rc.dry_run ? "dry run, nothing written: " : "", summary,
               code);
    free(summary);
    run_free(&rc);
    run_unlock(lock_fd);
    config_free(&cfg);
    free(selected);
    return code;
}
