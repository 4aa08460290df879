/*
 * state_status.c - the `settle status` overview, for a person or (--json)
 * for a script: the last runs, then per partner the files processed,
 * quarantined and with control-total mismatches, the rejected rows, the
 * statements by status (held ones with their reason) and the approvals.
 *
 * Read only: everything is read inside one read transaction, so the picture
 * is one consistent snapshot even while a run is committing. The JSON keys
 * are documented in docs/runbook.md and are kept stable.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"
#include "money.h"
#include "state_int.h"
#include "timefmt.h"
#include "util.h"

/* How many entries each list shows (newest first); counts always cover everything. */
enum {
    LIMIT_RUNS = 10,
    LIMIT_FILES = 10, /* quarantined files, and files with control mismatches, per partner */
    LIMIT_HELD = 100,
    LIMIT_PROVISIONAL = 12,
    LIMIT_FINAL = 12,
    LIMIT_APPROVALS = 12,
};

/* ------------------------------------------------------------ JSON (json_writer.h) */

/* An integer column, or null when the column is NULL. */
static void jw_col_int(jw *w, const char *key, sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        jw_str(w, key, NULL);
    else
        jw_int(w, key, sqlite3_column_int64(st, i));
}

/* --------------------------------------------------------------- queries */

typedef struct status_ctx {
    state *s;
    sbuf b;
    jw w;
    bool json;
    int rc; /* -1 once a query failed */
} status_ctx;

static const char *col(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* Prepares a one-off query; NULL (error recorded) on failure. */
static sqlite3_stmt *prep(status_ctx *c, const char *sql)
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
static sqlite3_stmt *prep_partner(status_ctx *c, const char *sql, const char *partner)
{
    sqlite3_stmt *st = prep(c, sql);
    if (st)
        state_bind_text(st, 1, partner);
    return st;
}

/* Steps to the next row: true on a row; false at the end or on an error (recorded). */
static bool next_row(status_ctx *c, sqlite3_stmt *st)
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
static int64_t count_of(status_ctx *c, const char *sql, const char *partner)
{
    sqlite3_stmt *st = partner ? prep_partner(c, sql, partner) : prep(c, sql);
    int64_t n = next_row(c, st) ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return n;
}

/* "(newest 12 of 40)" when a list is cut, else "". */
static void cut_note(char *buf, size_t len, int64_t shown, int64_t total)
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
        jw_str(&c->w, "started", col(st, 1));
        jw_str(&c->w, "finished", col(st, 2));
        jw_col_int(&c->w, "exit_code", st, 3);
        jw_str(&c->w, "outcome", outcome);
        jw_str(&c->w, "summary", col(st, 4));
        jw_bool(&c->w, "audited", audited);
        jw_close(&c->w, '}');
        return;
    }
    sbuf_addf(&c->b, "  run %-5lld started %s", (long long)sqlite3_column_int64(st, 0), col(st, 1));
    if (strcmp(outcome, "interrupted") != 0)
        sbuf_addf(&c->b, "  finished %s  exit %d, %s", col(st, 2), sqlite3_column_int(st, 3),
                  outcome_words(outcome));
    else
        sbuf_addf(&c->b, "  %s", outcome_words(outcome));
    if (!audited)
        sbuf_adds(&c->b, "; its audit entry is not written yet (the next run writes it)");
    sbuf_addc(&c->b, '\n');
    if (col(st, 4))
        sbuf_addf(&c->b, "            %s\n", col(st, 4));
}

/* (a) the last runs, newest first. */
static void section_runs(status_ctx *c, int64_t total)
{
    sqlite3_stmt *st = prep(c, "SELECT id, started, finished, exit_code, summary, audited "
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
        cut_note(note, sizeof note, total < LIMIT_RUNS ? total : LIMIT_RUNS, total);
        sbuf_addf(&c->b, "Last runs, newest first%s:\n", note);
    }
    while (next_row(c, st))
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
    sqlite3_stmt *st = prep(
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
    if (next_row(c, st))
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

/* ----------------------------------------------------------------- files */

/* Per partner: file counts, the latest file taken, rejected rows. */
static void partner_files(status_ctx *c, const char *partner)
{
    sqlite3_stmt *st = prep_partner(
        c, "SELECT coalesce(sum(outcome='processed'),0), coalesce(sum(outcome='quarantined'),0), "
           "coalesce(sum(control IS NOT NULL),0), coalesce(sum(rows),0), "
           "coalesce(sum(transactions),0), coalesce(sum(duplicates),0), "
           "(SELECT count(*) FROM rejects WHERE partner=?1) FROM files WHERE partner=?1",
        partner);
    int64_t n[7] = {0};
    if (next_row(c, st))
        for (int i = 0; i < 7; i++)
            n[i] = sqlite3_column_int64(st, i);
    sqlite3_finalize(st);
    st = prep_partner(c, "SELECT f.path, coalesce(r.finished, r.started), f.run_id FROM files f "
                         "LEFT JOIN runs r ON r.id=f.run_id WHERE f.partner=?1 AND "
                         "f.outcome='processed' ORDER BY f.id DESC LIMIT 1", partner);
    bool last = next_row(c, st);
    if (c->json) {
        jw_open_line(&c->w, "files", '{');
        const char *keys[] = {"processed", "quarantined", "control_mismatches", "rows",
                              "transactions", "duplicates"};
        for (int i = 0; i < 6; i++)
            jw_int(&c->w, keys[i], n[i]);
        jw_close(&c->w, '}');
        if (last) {
            jw_open_line(&c->w, "last_file", '{');
            jw_str(&c->w, "path", col(st, 0));
            jw_str(&c->w, "time", col(st, 1));
            jw_int(&c->w, "run", sqlite3_column_int64(st, 2));
            jw_close(&c->w, '}');
        } else {
            jw_str(&c->w, "last_file", NULL);
        }
        jw_int(&c->w, "rejected_rows", n[6]);
    } else {
        sbuf_addf(&c->b, "  files: processed %lld (rows %lld, transactions %lld, duplicates "
                         "%lld), quarantined %lld, with a control-total mismatch %lld; "
                         "rejected rows %lld\n",
                  (long long)n[0], (long long)n[3], (long long)n[4], (long long)n[5],
                  (long long)n[1], (long long)n[2], (long long)n[6]);
        if (last)
            sbuf_addf(&c->b, "  last file taken: %s (run %lld, %s)\n", col(st, 0),
                      (long long)sqlite3_column_int64(st, 2), col(st, 1) ? col(st, 1) : "?");
    }
    sqlite3_finalize(st);
}

/* Per partner: the latest quarantined files with their reasons. */
static void partner_quarantined(status_ctx *c, const char *partner)
{
    int64_t total = count_of(c, "SELECT count(*) FROM files WHERE partner=?1 AND "
                                "outcome='quarantined'", partner);
    sqlite3_stmt *st = prep_partner(
        c, "SELECT f.path, f.reason, f.sha256, coalesce(r.finished, r.started), f.run_id, "
           "(SELECT min(p.run_id) FROM files p WHERE p.partner=f.partner AND "
           "p.sha256=f.sha256 AND p.outcome='processed' AND p.id > f.id) "
           "FROM files f LEFT JOIN runs r ON r.id=f.run_id WHERE f.partner=?1 AND "
           "f.outcome='quarantined' ORDER BY f.id DESC LIMIT ?2", partner);
    if (st)
        sqlite3_bind_int(st, 2, LIMIT_FILES);
    if (c->json) {
        jw_open(&c->w, "quarantined", '[');
    } else if (total) {
        char note[64];
        cut_note(note, sizeof note, total < LIMIT_FILES ? total : LIMIT_FILES, total);
        sbuf_addf(&c->b, "  quarantined files%s:\n", note);
    }
    while (next_row(c, st)) {
        if (c->json) {
            jw_open_line(&c->w, NULL, '{');
            jw_str(&c->w, "path", col(st, 0));
            jw_str(&c->w, "reason", col(st, 1));
            jw_str(&c->w, "sha256", col(st, 2));
            jw_str(&c->w, "time", col(st, 3));
            jw_int(&c->w, "run", sqlite3_column_int64(st, 4));
            jw_col_int(&c->w, "processed_later_by_run", st, 5);
            jw_close(&c->w, '}');
            continue;
        }
        sbuf_addf(&c->b, "    %s  run %lld  %s: %s", col(st, 3) ? col(st, 3) : "?",
                  (long long)sqlite3_column_int64(st, 4), col(st, 0),
                  col(st, 1) ? col(st, 1) : "(no reason recorded)");
        if (sqlite3_column_type(st, 5) != SQLITE_NULL)
            sbuf_addf(&c->b, " [sent again and processed by run %lld]",
                      (long long)sqlite3_column_int64(st, 5));
        sbuf_addc(&c->b, '\n');
    }
    sqlite3_finalize(st);
    if (c->json)
        jw_close(&c->w, ']');
}

/* Per partner: the latest files whose control totals did not match. */
static void partner_control(status_ctx *c, const char *partner)
{
    int64_t total = count_of(c, "SELECT count(*) FROM files WHERE partner=?1 AND "
                                "control IS NOT NULL", partner);
    sqlite3_stmt *st = prep_partner(
        c, "SELECT f.path, f.control, coalesce(r.finished, r.started), f.run_id FROM files f "
           "LEFT JOIN runs r ON r.id=f.run_id WHERE f.partner=?1 AND f.control IS NOT NULL "
           "ORDER BY f.id DESC LIMIT ?2", partner);
    if (st)
        sqlite3_bind_int(st, 2, LIMIT_FILES);
    if (c->json) {
        jw_open(&c->w, "control_mismatches", '[');
    } else if (total) {
        char note[64];
        cut_note(note, sizeof note, total < LIMIT_FILES ? total : LIMIT_FILES, total);
        sbuf_addf(&c->b, "  control-total mismatches%s:\n", note);
    }
    while (next_row(c, st)) {
        if (c->json) {
            jw_open_line(&c->w, NULL, '{');
            jw_str(&c->w, "path", col(st, 0));
            jw_str(&c->w, "mismatch", col(st, 1));
            jw_str(&c->w, "time", col(st, 2));
            jw_int(&c->w, "run", sqlite3_column_int64(st, 3));
            jw_close(&c->w, '}');
        } else {
            sbuf_addf(&c->b, "    %s  run %lld  %s: %s\n", col(st, 2) ? col(st, 2) : "?",
                      (long long)sqlite3_column_int64(st, 3), col(st, 0), col(st, 1));
        }
    }
    sqlite3_finalize(st);
    if (c->json)
        jw_close(&c->w, ']');
}

/* ------------------------------------------------------------ statements */

/* Columns of a statement list query. */
#define STATUS_ST_COLS                                                                    \
    "period, first_day, last_day, status, currency, exponent, payable, ggr, transactions, " \
    "rejected, hold_reason"

/* One statement of a list. */
static void statement_item(status_ctx *c, sqlite3_stmt *st)
{
    char first[11], last[11], pay[MONEY_FMT_MAX], ggr[MONEY_FMT_MAX];
    date_format(sqlite3_column_int(st, 1), first);
    date_format(sqlite3_column_int(st, 2), last);
    int exponent = sqlite3_column_int(st, 5);
    money_format(sqlite3_column_int64(st, 6), exponent, pay);
    money_format(sqlite3_column_int64(st, 7), exponent, ggr);
    const char *status = col(st, 3), *reason = col(st, 10);
    if (c->json) {
        jw_open_line(&c->w, NULL, '{');
        jw_str(&c->w, "period", col(st, 0));
        jw_str(&c->w, "first_day", first);
        jw_str(&c->w, "last_day", last);
        jw_str(&c->w, "status", status);
        jw_str(&c->w, "currency", col(st, 4));
        jw_str(&c->w, "payable", pay);
        jw_str(&c->w, "ggr", ggr);
        jw_int(&c->w, "transactions", sqlite3_column_int64(st, 8));
        jw_int(&c->w, "rejected", sqlite3_column_int64(st, 9));
        jw_str(&c->w, "hold_reason", reason);
        jw_close(&c->w, '}');
    } else if (!strcmp(status, "held")) {
        sbuf_addf(&c->b, "      %-11s %s..%s  %s\n", col(st, 0), first, last,
                  reason ? reason : "(no reason recorded)");
    } else {
        sbuf_addf(&c->b, "      %-11s payable %s %s  (GGR %s; transactions %lld, rejected %lld)\n",
                  col(st, 0), pay, col(st, 4), ggr, (long long)sqlite3_column_int64(st, 8),
                  (long long)sqlite3_column_int64(st, 9));
    }
}

/* The newest `limit` statements of a partner with one status. */
static void statement_list(status_ctx *c, const char *partner, const char *status, int64_t total,
                           int limit)
{
    sqlite3_stmt *st = prep_partner(c, "SELECT " STATUS_ST_COLS " FROM statements WHERE "
                                       "partner=?1 AND status=?2 ORDER BY first_day DESC "
                                       "LIMIT ?3", partner);
    if (st) {
        state_bind_text(st, 2, status);
        sqlite3_bind_int(st, 3, limit);
    }
    if (c->json) {
        jw_open(&c->w, status, '[');
    } else if (total) {
        char note[64];
        cut_note(note, sizeof note, total < limit ? total : limit, total);
        sbuf_addf(&c->b, "    %s%s:\n", status, note);
    }
    while (next_row(c, st))
        statement_item(c, st);
    sqlite3_finalize(st);
    if (c->json)
        jw_close(&c->w, ']');
}

/* Per partner: periods by status, then the held, provisional and latest final ones. */
static void partner_periods(status_ctx *c, const char *partner)
{
    int64_t held = count_of(c, "SELECT count(*) FROM statements WHERE partner=?1 AND "
                               "status='held'", partner);
    int64_t prov = count_of(c, "SELECT count(*) FROM statements WHERE partner=?1 AND "
                               "status='provisional'", partner);
    int64_t fin = count_of(c, "SELECT count(*) FROM statements WHERE partner=?1 AND "
                              "status='final'", partner);
    int64_t all = count_of(c, "SELECT count(*) FROM statements WHERE partner=?1", partner);
    if (c->json) {
        jw_open_line(&c->w, "periods", '{');
        jw_int(&c->w, "total", all);
        jw_int(&c->w, "held", held);
        jw_int(&c->w, "provisional", prov);
        jw_int(&c->w, "final", fin);
        jw_close(&c->w, '}');
    } else {
        sbuf_addf(&c->b, "  periods: %lld (held %lld, provisional %lld, final %lld)\n",
                  (long long)all, (long long)held, (long long)prov, (long long)fin);
    }
    statement_list(c, partner, "held", held, LIMIT_HELD);
    statement_list(c, partner, "provisional", prov, LIMIT_PROVISIONAL);
    statement_list(c, partner, "final", fin, LIMIT_FINAL);
}

/* Per partner: the approvals recorded by `settle approve`, newest first. */
static void partner_approvals(status_ctx *c, const char *partner)
{
    int64_t total = count_of(c, "SELECT count(*) FROM approvals WHERE partner=?1", partner);
    sqlite3_stmt *st = prep_partner(
        c, "SELECT a.period, a.approved, a.user, a.hold_reason, s.status, a.reason FROM approvals a "
           "LEFT JOIN statements s ON s.partner=a.partner AND s.period=a.period "
           "WHERE a.partner=?1 ORDER BY a.approved DESC, a.period DESC LIMIT ?2", partner);
    if (st)
        sqlite3_bind_int(st, 2, LIMIT_APPROVALS);
    if (c->json) {
        jw_open(&c->w, "approvals", '[');
    } else if (total) {
        char note[64];
        cut_note(note, sizeof note, total < LIMIT_APPROVALS ? total : LIMIT_APPROVALS, total);
        sbuf_addf(&c->b, "  approvals%s:\n", note);
    }
    while (next_row(c, st)) {
        if (c->json) {
            jw_open_line(&c->w, NULL, '{');
            jw_str(&c->w, "period", col(st, 0));
            jw_str(&c->w, "approved", col(st, 1));
            jw_str(&c->w, "user", col(st, 2));
            jw_str(&c->w, "hold_reason", col(st, 3));
            jw_str(&c->w, "statement_status", col(st, 4));
            jw_str(&c->w, "reason", col(st, 5));
            jw_close(&c->w, '}');
            continue;
        }
        const char *now = col(st, 4);
        sbuf_addf(&c->b, "    %-11s approved %s by %s; statement now %s%s\n      was held: %s\n"
                         "      reason: %s\n",
                  col(st, 0), col(st, 1), col(st, 2) ? col(st, 2) : "unknown",
                  now ? now : "missing", now && !strcmp(now, "held") ? " (the next run issues it)" : "",
                  col(st, 3) ? col(st, 3) : "(no reason recorded)",
                  col(st, 5) ? col(st, 5) : "(none recorded)");
    }
    sqlite3_finalize(st);
    if (c->json)
        jw_close(&c->w, ']');
}

/* (b) and (c): every partner the state knows, in id order. */
static void section_partners(status_ctx *c)
{
    sqlite3_stmt *st = prep(c, "SELECT partner FROM files UNION SELECT partner FROM statements "
                               "UNION SELECT partner FROM rejects UNION SELECT partner FROM "
                               "approvals ORDER BY 1");
    if (c->json)
        jw_open(&c->w, "partners", '[');
    while (next_row(c, st)) {
        char *partner = xstrdup(col(st, 0));
        if (c->json) {
            jw_open(&c->w, NULL, '{');
            jw_str(&c->w, "partner", partner);
        } else {
            sbuf_addf(&c->b, "\nPartner %s\n", partner);
        }
        partner_files(c, partner);
        partner_quarantined(c, partner);
        partner_control(c, partner);
        partner_periods(c, partner);
        partner_approvals(c, partner);
        if (c->json)
            jw_close(&c->w, '}');
        free(partner);
    }
    sqlite3_finalize(st);
    if (c->json)
        jw_close(&c->w, ']');
}

/* The schema version of the store (PRAGMA user_version). */
static int64_t schema_version(status_ctx *c)
{
    return count_of(c, "PRAGMA user_version", NULL);
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
        section_partners(c);
    } else {
        jw_open(&c->w, "partners", '[');
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
