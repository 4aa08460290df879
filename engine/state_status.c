/*
 * state_status.c - the `settle status` overview, for a person or (--json)
 * for a script: the last runs, the totals, warnings, then per partner the
 * files processed, quarantined and with control-total mismatches, the
 * rejected rows, the statements by status (held ones with their reason) and
 * the approvals (those sections in state_status_partner.c).
 *
 * Read only: everything is read inside one read transaction, so the picture
 * is one consistent snapshot even while a run is committing. The JSON keys
 * are documented in docs/runbook.md and are kept stable.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "state_status_int.h"
#include "timefmt.h"
#include "util.h"

/* ------------------------------------------------------------ JSON (json_writer.h) */

/* An integer column, or null when the column is NULL. */
void status_jw_col_int(jw *w, const char *key, sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        jw_str(w, key, NULL);
    else
        jw_int(w, key, sqlite3_column_int64(st, i));
}

/* --------------------------------------------------------------- queries */

const char *status_col(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* Prepares a one-off query; NULL (error recorded) on failure. */
sqlite3_stmt *status_prep(status_ctx *c, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (c->rc == 0 && sqlite3_prepare_v2(c->s->db, sql, -1, &st, NULL) == SQLITE_OK)
        return st;
    if (c->rc == 0)
        state_fail(c->s, "state: status");
    c->rc = -1;
    sqlite3_finalize(st);
    return NULL;
}

/* Prepares a query whose ?1 is a partner id. */
sqlite3_stmt *status_prep_partner(status_ctx *c, const char *sql, const char *partner)
{
    sqlite3_stmt *st = status_prep(c, sql);
    if (st)
        state_bind_text(st, 1, partner);
    return st;
}

/* Steps to the next row: true on a row; false at the end or on an error (recorded). */
bool status_next_row(status_ctx *c, sqlite3_stmt *st)
{
    if (!st)
        return false;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return true;
    if (rc != SQLITE_DONE && c->rc == 0) {
        state_fail(c->s, "state: status");
        c->rc = -1;
    }
    return false;
}

/* The first column of a one-row count query with ?1 = partner (NULL: none bound). */
int64_t status_count_of(status_ctx *c, const char *sql, const char *partner)
{
    sqlite3_stmt *st = partner ? status_prep_partner(c, sql, partner) : status_prep(c, sql);
    int64_t n = status_next_row(c, st) ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return n;
}

/* "(newest 12 of 40)" when a list is cut, else "". */
void status_cut_note(char *buf, size_t len, int64_t shown, int64_t total)
{
    if (total > shown)
        snprintf(buf, len, " (newest %lld of %lld)", (long long)shown, (long long)total);
    else
        buf[0] = 0;
}

/* ------------------------------------------------------------------ runs */

/* What a run's row says happened: clean, attention, failed or interrupted. */
static const char *run_outcome(sqlite3_stmt *st)
{
    if (sqlite3_column_type(st, 2) == SQLITE_NULL || sqlite3_column_type(st, 3) == SQLITE_NULL)
        return "interrupted";
    switch (sqlite3_column_int(st, 3)) {
    case 0: return "clean";
    case 1: return "attention";
    default: return "failed";
    }
}

static const char *outcome_words(const char *outcome)
{
    if (!strcmp(outcome, "clean"))
        return "clean";
    if (!strcmp(outcome, "attention"))
        return "needs a look";
    if (!strcmp(outcome, "interrupted"))
        return "interrupted: started but never finished";
    return "failed";
}

/* One row of: id, started, finished, exit_code, summary, audited. */
static void run_row(status_ctx *c, sqlite3_stmt *st)
{
    const char *outcome = run_outcome(st);
    bool audited = sqlite3_column_int(st, 5) != 0;
    if (c->json) {
        jw_open_line(&c->w, NULL, '{');
        jw_int(&c->w, "id", sqlite3_column_int64(st, 0));
        jw_str(&c->w, "started", status_col(st, 1));
        jw_str(&c->w, "finished", status_col(st, 2));
        status_jw_col_int(&c->w, "exit_code", st, 3);
        jw_str(&c->w, "outcome", outcome);
        jw_str(&c->w, "summary", status_col(st, 4));
        jw_bool(&c->w, "audited", audited);
        jw_close(&c->w, '}');
        return;
    }
    sbuf_addf(&c->b, "  run %-5lld started %s", (long long)sqlite3_column_int64(st, 0), status_col(st, 1));
    if (strcmp(outcome, "interrupted") != 0)
        sbuf_addf(&c->b, "  finished %s  exit %d, %s", status_col(st, 2), sqlite3_column_int(st, 3),
                  outcome_words(outcome));
    else
        sbuf_addf(&c->b, "  %s", outcome_words(outcome));
    if (!audited)
        sbuf_adds(&c->b, "; its audit entry is not written yet (the next run writes it)");
    sbuf_addc(&c->b, '\n');
    if (status_col(st, 4))
        sbuf_addf(&c->b, "            %s\n", status_col(st, 4));
}

/* (a) the last runs, newest first. */
static void section_runs(status_ctx *c, int64_t total)
{
    sqlite3_stmt *st = status_prep(c, "SELECT id, started, finished, exit_code, summary, audited "
                               "FROM runs ORDER BY id DESC LIMIT ?1");
    if (st)
        sqlite3_bind_int(st, 1, LIMIT_RUNS);
    if (c->json) {
        jw_int(&c->w, "runs_total", total);
        jw_open(&c->w, "runs", '[');
    } else if (total == 0) {
        sbuf_adds(&c->b, "Last runs: none recorded yet\n");
    } else {
        char note[64];
        status_cut_note(note, sizeof note, total < LIMIT_RUNS ? total : LIMIT_RUNS, total);
        sbuf_addf(&c->b, "Last runs, newest first%s:\n", note);
    }
    while (status_next_row(c, st))
        run_row(c, st);
    sqlite3_finalize(st);
    if (c->json)
        jw_close(&c->w, ']');
}

/* ---------------------------------------------------------------- totals */

typedef struct status_totals {
    int64_t runs, processed, quarantined, control, rejected, held, provisional, final,
        approvals, unaudited, interrupted;
} status_totals;

static void load_totals(status_ctx *c, status_totals *t)
{
    sqlite3_stmt *st = status_prep(
        c, "SELECT (SELECT count(*) FROM runs), "
           "(SELECT count(*) FROM files WHERE outcome='processed'), "
           "(SELECT count(*) FROM files WHERE outcome='quarantined'), "
           "(SELECT count(*) FROM files WHERE control IS NOT NULL), "
           "(SELECT count(*) FROM rejects), "
           "(SELECT count(*) FROM statements WHERE status='held'), "
           "(SELECT count(*) FROM statements WHERE status='provisional'), "
           "(SELECT count(*) FROM statements WHERE status='final'), "
           "(SELECT count(*) FROM approvals), "
           "(SELECT count(*) FROM runs WHERE audited=0), "
           "(SELECT count(*) FROM runs WHERE finished IS NULL)");
    int64_t *f[] = {&t->runs,        &t->processed, &t->quarantined, &t->control,
                    &t->rejected,    &t->held,      &t->provisional, &t->final,
                    &t->approvals,   &t->unaudited, &t->interrupted};
    memset(t, 0, sizeof *t);
    if (status_next_row(c, st))
        for (int i = 0; i < (int)(sizeof f / sizeof f[0]); i++)
            *f[i] = sqlite3_column_int64(st, i);
    sqlite3_finalize(st);
}

static void section_totals(status_ctx *c, const status_totals *t)
{
    if (c->json) {
        jw_int(&c->w, "files_processed", t->processed);
        jw_int(&c->w, "files_quarantined", t->quarantined);
        jw_int(&c->w, "control_mismatches", t->control);
        jw_int(&c->w, "rejected_rows", t->rejected);
        jw_open_line(&c->w, "statement_counts", '{');
        jw_int(&c->w, "held", t->held);
        jw_int(&c->w, "provisional", t->provisional);
        jw_int(&c->w, "final", t->final);
        jw_close(&c->w, '}');
        jw_int(&c->w, "approvals_total", t->approvals);
        return;
    }
    sbuf_addf(&c->b, "\nFiles: processed %lld, quarantined %lld, with a control-total "
                     "mismatch %lld; rejected rows %lld\n",
              (long long)t->processed, (long long)t->quarantined, (long long)t->control,
              (long long)t->rejected);
    sbuf_addf(&c->b, "Statements: held %lld, provisional %lld, final %lld; approvals %lld\n",
              (long long)t->held, (long long)t->provisional, (long long)t->final,
              (long long)t->approvals);
    if (t->held || t->unaudited || t->interrupted) {
        sbuf_adds(&c->b, "Needs attention:");
        const char *sep = " ";
        if (t->held) {
            sbuf_addf(&c->b, "%sheld statements %lld (listed below)", sep, (long long)t->held);
            sep = "; ";
        }
        if (t->unaudited) {
            sbuf_addf(&c->b, "%sruns without their audit entry %lld (the next run writes it)",
                      sep, (long long)t->unaudited);
            sep = "; ";
        }
        if (t->interrupted)
            sbuf_addf(&c->b, "%sinterrupted runs %lld", sep, (long long)t->interrupted);
        sbuf_addc(&c->b, '\n');
    }
}

/* The schema version of the store (PRAGMA user_version). */
static int64_t schema_version(status_ctx *c)
{
    return status_count_of(c, "PRAGMA user_version", NULL);
}

/* The warnings the caller found outside the state (e.g. a partner's missing inbox folder). */
static void section_warnings(status_ctx *c, const char *const *warnings, size_t n)
{
    if (c->json) {
        jw_open(&c->w, "warnings", '[');
        for (size_t i = 0; i < n; i++)
            jw_str(&c->w, NULL, warnings[i]);
        jw_close(&c->w, ']');
        return;
    }
    for (size_t i = 0; i < n; i++)
        sbuf_addf(&c->b, "%s%s\n", i ? "  " : "Warnings:\n  ", warnings[i]);
    if (n)
        sbuf_addc(&c->b, '\n');
}

/* Writes the overview in c->b from the state (s), or the empty one when s is NULL. */
static void status_build(status_ctx *c, const char *const *warnings, size_t n_warnings)
{
    status_totals t = {0};
    int64_t version = c->s ? schema_version(c) : 0;
    if (c->s)
        load_totals(c, &t);
    if (c->json) {
        jw_open(&c->w, NULL, '{');
        jw_bool(&c->w, "state_exists", c->s != NULL);
        if (c->s)
            jw_int(&c->w, "schema_version", version);
        else
            jw_str(&c->w, "schema_version", NULL);
    } else if (c->s) {
        sbuf_adds(&c->b, "settle status\n\n");
    }
    if (!c->json)
        section_warnings(c, warnings, n_warnings);
    if (!c->s && !c->json)
        return;
    if (c->s) {
        section_runs(c, t.runs);
    } else {
        jw_int(&c->w, "runs_total", 0);
        jw_open(&c->w, "runs", '[');
        jw_close(&c->w, ']');
    }
    section_totals(c, &t);
    if (c->s) {
        status_section_partners(c);
    } else {
        jw_open(&c->w, "partners", '[');
        jw_close(&c->w, ']');
        jw_open(&c->w, "ledgers", '[');
        jw_close(&c->w, ']');
    }
    if (c->json) {
        section_warnings(c, warnings, n_warnings);
        jw_close(&c->w, '}');
        sbuf_addc(&c->b, '\n');
    } else if (c->rc == 0 && t.runs == 0 && t.processed == 0 && t.quarantined == 0) {
        sbuf_adds(&c->b, "\nNothing recorded yet: no run has finished with this state.\n");
    }
}

int state_status_print(state *s, FILE *out, bool json, const char *const *warnings,
                       size_t n_warnings)
{
    status_ctx c = {.s = s, .json = json};
    sbuf_init(&c.b);
    jw_init(&c.w, &c.b);
    if (s && state_exec(s, "BEGIN") != 0) /* one snapshot; a deferred read never writes */
        return sbuf_free(&c.b), -1;
    status_build(&c, warnings, n_warnings);
    if (s)
        state_exec(s, "COMMIT");
    sbuf text; /* the text too is valid UTF-8: a name that is not shows \xNN */
    sbuf_init(&text);
    sbuf_add_utf8(&text, c.b.buf ? c.b.buf : "", c.b.len);
    if (c.rc == 0 && (fputs(text.buf ? text.buf : "", out) < 0 || fflush(out) != 0)) {
        if (s)
            snprintf(s->err, sizeof s->err, "status: cannot write the output");
        c.rc = -1;
    }
    sbuf_free(&text);
    sbuf_free(&c.b);
    return c.rc;
}
