/*
 * state_status_partner.c - the per-partner sections of `settle status`: files
 * processed, quarantined and with control-total mismatches, the open
 * reconciliation items per ledger, the statements by status (held ones with
 * their reason), the periods and the approvals; then the ledgers (their files). Read
 * only, inside state_status.c's read transaction; queries record failures in
 * the status_ctx (state_status_int.h).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "state_status_int.h"
#include "timefmt.h"
#include "util.h"

/* ----------------------------------------------------------------- files */

/* Per partner: file counts, the latest file taken, rejected rows. */
static void partner_files(status_ctx *c, const char *partner)
{
    sqlite3_stmt *st = status_prep_partner(
        c, "SELECT coalesce(sum(outcome='processed'),0), coalesce(sum(outcome='quarantined'),0), "
           "coalesce(sum(control IS NOT NULL),0), coalesce(sum(rows),0), "
           "coalesce(sum(transactions),0), coalesce(sum(duplicates),0), "
           "(SELECT count(*) FROM rejects WHERE partner=?1) FROM files WHERE partner=?1",
        partner);
    int64_t n[7] = {0};
    if (status_next_row(c, st))
        for (int i = 0; i < 7; i++)
            n[i] = sqlite3_column_int64(st, i);
    sqlite3_finalize(st);
    st = status_prep_partner(c, "SELECT f.path, coalesce(r.finished, r.started), f.run_id FROM files f "
                         "LEFT JOIN runs r ON r.id=f.run_id WHERE f.partner=?1 AND "
                         "f.outcome='processed' ORDER BY f.id DESC LIMIT 1", partner);
    bool last = status_next_row(c, st);
    if (c->json) {
        jw_open_line(&c->w, "files", '{');
        const char *keys[] = {"processed", "quarantined", "control_mismatches", "rows",
                              "transactions", "duplicates"};
        for (int i = 0; i < 6; i++)
            jw_int(&c->w, keys[i], n[i]);
        jw_close(&c->w, '}');
        if (last) {
            jw_open_line(&c->w, "last_file", '{');
            jw_str(&c->w, "path", status_col(st, 0));
            jw_str(&c->w, "time", status_col(st, 1));
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
            sbuf_addf(&c->b, "  last file taken: %s (run %lld, %s)\n", status_col(st, 0),
                      (long long)sqlite3_column_int64(st, 2), status_col(st, 1) ? status_col(st, 1) : "?");
    }
    sqlite3_finalize(st);
}

/* Per partner: the latest quarantined files with their reasons. */
static void partner_quarantined(status_ctx *c, const char *partner)
{
    int64_t total = status_count_of(c, "SELECT count(*) FROM files WHERE partner=?1 AND "
                                "outcome='quarantined'", partner);
    sqlite3_stmt *st = status_prep_partner(
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
        status_cut_note(note, sizeof note, total < LIMIT_FILES ? total : LIMIT_FILES, total);
        sbuf_addf(&c->b, "  quarantined files%s:\n", note);
    }
    while (status_next_row(c, st)) {
        if (c->json) {
            jw_open_line(&c->w, NULL, '{');
            jw_str(&c->w, "path", status_col(st, 0));
            jw_str(&c->w, "reason", status_col(st, 1));
            jw_str(&c->w, "sha256", status_col(st, 2));
            jw_str(&c->w, "time", status_col(st, 3));
            jw_int(&c->w, "run", sqlite3_column_int64(st, 4));
            status_jw_col_int(&c->w, "processed_later_by_run", st, 5);
            jw_close(&c->w, '}');
            continue;
        }
        sbuf_addf(&c->b, "    %s  run %lld  %s: %s", status_col(st, 3) ? status_col(st, 3) : "?",
                  (long long)sqlite3_column_int64(st, 4), status_col(st, 0),
                  status_col(st, 1) ? status_col(st, 1) : "(no reason recorded)");
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
    int64_t total = status_count_of(c, "SELECT count(*) FROM files WHERE partner=?1 AND "
                                "control IS NOT NULL", partner);
    sqlite3_stmt *st = status_prep_partner(
        c, "SELECT f.path, f.control, coalesce(r.finished, r.started), f.run_id FROM files f "
           "LEFT JOIN runs r ON r.id=f.run_id WHERE f.partner=?1 AND f.control IS NOT NULL "
           "ORDER BY f.id DESC LIMIT ?2", partner);
    if (st)
        sqlite3_bind_int(st, 2, LIMIT_FILES);
    if (c->json) {
        jw_open(&c->w, "control_mismatches", '[');
    } else if (total) {
        char note[64];
        status_cut_note(note, sizeof note, total < LIMIT_FILES ? total : LIMIT_FILES, total);
        sbuf_addf(&c->b, "  control-total mismatches%s:\n", note);
    }
    while (status_next_row(c, st)) {
        if (c->json) {
            jw_open_line(&c->w, NULL, '{');
            jw_str(&c->w, "path", status_col(st, 0));
            jw_str(&c->w, "mismatch", status_col(st, 1));
            jw_str(&c->w, "time", status_col(st, 2));
            jw_int(&c->w, "run", sqlite3_column_int64(st, 3));
            jw_close(&c->w, '}');
        } else {
            sbuf_addf(&c->b, "    %s  run %lld  %s: %s\n", status_col(st, 2) ? status_col(st, 2) : "?",
                      (long long)sqlite3_column_int64(st, 3), status_col(st, 0), status_col(st, 1));
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
    const char *status = status_col(st, 3), *reason = status_col(st, 10);
    if (c->json) {
        jw_open_line(&c->w, NULL, '{');
        jw_str(&c->w, "period", status_col(st, 0));
        jw_str(&c->w, "first_day", first);
        jw_str(&c->w, "last_day", last);
        jw_str(&c->w, "status", status);
        jw_str(&c->w, "currency", status_col(st, 4));
        jw_str(&c->w, "payable", pay);
        jw_str(&c->w, "ggr", ggr);
        jw_int(&c->w, "transactions", sqlite3_column_int64(st, 8));
        jw_int(&c->w, "rejected", sqlite3_column_int64(st, 9));
        jw_str(&c->w, "hold_reason", reason);
        jw_close(&c->w, '}');
    } else if (!strcmp(status, "held")) {
        sbuf_addf(&c->b, "      %-11s %s..%s  %s\n", status_col(st, 0), first, last,
                  reason ? reason : "(no reason recorded)");
    } else {
        sbuf_addf(&c->b, "      %-11s payable %s %s  (GGR %s; transactions %lld, rejected %lld)\n",
                  status_col(st, 0), pay, status_col(st, 4), ggr, (long long)sqlite3_column_int64(st, 8),
                  (long long)sqlite3_column_int64(st, 9));
    }
}

/* The newest `limit` statements of a partner with one status. */
static void statement_list(status_ctx *c, const char *partner, const char *status, int64_t total,
                           int limit)
{
    sqlite3_stmt *st = status_prep_partner(c, "SELECT " STATUS_ST_COLS " FROM statements WHERE "
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
        status_cut_note(note, sizeof note, total < limit ? total : limit, total);
        sbuf_addf(&c->b, "    %s%s:\n", status, note);
    }
    while (status_next_row(c, st))
        statement_item(c, st);
    sqlite3_finalize(st);
    if (c->json)
        jw_close(&c->w, ']');
}

/* Per partner: periods by status, then the held, provisional and latest final ones. */
static void partner_periods(status_ctx *c, const char *partner)
{
    int64_t held = status_count_of(c, "SELECT count(*) FROM statements WHERE partner=?1 AND "
                               "status='held'", partner);
    int64_t prov = status_count_of(c, "SELECT count(*) FROM statements WHERE partner=?1 AND "
                               "status='provisional'", partner);
    int64_t fin = status_count_of(c, "SELECT count(*) FROM statements WHERE partner=?1 AND "
                              "status='final'", partner);
    int64_t all = status_count_of(c, "SELECT count(*) FROM statements WHERE partner=?1", partner);
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
    int64_t total = status_count_of(c, "SELECT count(*) FROM approvals WHERE partner=?1", partner);
    sqlite3_stmt *st = status_prep_partner(
        c, "SELECT a.period, a.approved, a.user, a.hold_reason, s.status, a.reason FROM approvals a "
           "LEFT JOIN statements s ON s.partner=a.partner AND s.period=a.period "
           "WHERE a.partner=?1 ORDER BY a.approved DESC, a.period DESC LIMIT ?2", partner);
    if (st)
        sqlite3_bind_int(st, 2, LIMIT_APPROVALS);
    if (c->json) {
        jw_open(&c->w, "approvals", '[');
    } else if (total) {
        char note[64];
        status_cut_note(note, sizeof note, total < LIMIT_APPROVALS ? total : LIMIT_APPROVALS, total);
        sbuf_addf(&c->b, "  approvals%s:\n", note);
    }
    while (status_next_row(c, st)) {
        if (c->json) {
            jw_open_line(&c->w, NULL, '{');
            jw_str(&c->w, "period", status_col(st, 0));
            jw_str(&c->w, "approved", status_col(st, 1));
            jw_str(&c->w, "user", status_col(st, 2));
            jw_str(&c->w, "hold_reason", status_col(st, 3));
            jw_str(&c->w, "statement_status", status_col(st, 4));
            jw_str(&c->w, "reason", status_col(st, 5));
            jw_close(&c->w, '}');
            continue;
        }
        const char *now = status_col(st, 4);
        sbuf_addf(&c->b, "    %-11s approved %s by %s; statement now %s%s\n      was held: %s\n"
                         "      reason: %s\n",
                  status_col(st, 0), status_col(st, 1), status_col(st, 2) ? status_col(st, 2) : "unknown",
                  now ? now : "missing", now && !strcmp(now, "held") ? " (the next run issues it)" : "",
                  status_col(st, 3) ? status_col(st, 3) : "(no reason recorded)",
                  status_col(st, 5) ? status_col(st, 5) : "(none recorded)");
    }
    sqlite3_finalize(st);
    if (c->json)
        jw_close(&c->w, ']');
}

/* Per partner: the open reconciliation items per ledger and side, with the oldest day. */
static void partner_recon(status_ctx *c, const char *partner)
{
    sqlite3_stmt *st = status_prep_partner(
        c, "SELECT ledger, coalesce(sum(CASE side WHEN 0 THEN count END),0), "
           "coalesce(sum(CASE side WHEN 1 THEN count END),0), min(day) FROM recon_open_days "
           "WHERE partner=?1 GROUP BY ledger ORDER BY ledger", partner);
    if (c->json)
        jw_open(&c->w, "reconciliation", '[');
    while (status_next_row(c, st)) {
        char oldest[11];
        date_format(sqlite3_column_int(st, 3), oldest);
        int64_t p = sqlite3_column_int64(st, 1), l = sqlite3_column_int64(st, 2);
        if (c->json) {
            jw_open_line(&c->w, NULL, '{');
            jw_str(&c->w, "ledger", status_col(st, 0));
            jw_int(&c->w, "open_partner_items", p);
            jw_int(&c->w, "open_ledger_items", l);
            jw_str(&c->w, "oldest_day", oldest);
            jw_close(&c->w, '}');
        } else {
            sbuf_addf(&c->b, "  open items with %s: %lld of the partner, %lld of the ledger "
                             "(oldest %s)\n", status_col(st, 0), (long long)p, (long long)l,
                      oldest);
        }
    }
    sqlite3_finalize(st);
    if (c->json)
        jw_close(&c->w, ']');
}

/* Every id of a list in id order: its files, then for a partner its reconciliation,
 * periods and approvals. */
static void section_ids(status_ctx *c, const char *sql, bool ledgers)
{
    sqlite3_stmt *st = status_prep(c, sql);
    if (c->json)
        jw_open(&c->w, ledgers ? "ledgers" : "partners", '[');
    while (status_next_row(c, st)) {
        char *id = xstrdup(status_col(st, 0));
        if (c->json) {
            jw_open(&c->w, NULL, '{');
            jw_str(&c->w, ledgers ? "ledger" : "partner", id);
        } else {
            sbuf_addf(&c->b, "\n%s %s\n", ledgers ? "Ledger" : "Partner", id);
        }
        partner_files(c, id);
        partner_quarantined(c, id);
        partner_control(c, id);
        if (!ledgers) {
            partner_recon(c, id);
            partner_periods(c, id);
            partner_approvals(c, id);
        }
        if (c->json)
            jw_close(&c->w, '}');
        free(id);
    }
    sqlite3_finalize(st);
    if (c->json)
        jw_close(&c->w, ']');
}

/* (b) and (c): every partner the state knows, in id order, then every ledger. */
void status_section_partners(status_ctx *c)
{
    section_ids(c, "SELECT partner FROM files UNION SELECT partner FROM statements "
                   "UNION SELECT partner FROM rejects UNION SELECT partner FROM approvals "
                   "EXCEPT SELECT id FROM ledger_ids ORDER BY 1", false);
    section_ids(c, "SELECT id FROM ledger_ids ORDER BY 1", true);
}
