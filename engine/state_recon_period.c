/*
 * state_recon_period.c - what a statement's reconciliation reads from the
 * state (recon_period.c): sums of matched items, breaks, open items and the
 * ledger's cells over a period; the partner's and the ledger's daily sums for
 * daily matching; and a temporary table (temp.recon_tmp, private to this
 * connection) that orders a period's breaks by day, kind and id on disk, so
 * reconciliation.csv is streamed whatever the number of breaks.
 */
#include <sqlite3.h>
#include <string.h>

#include "state_int.h"

/* The query of each state_rsum: (day, tag, currency, count, amount) rows. */
static const char *const rsum_sql[] = {
    [RSUM_MATCHED] = "SELECT day, '', currency, count, amount FROM recon_matched "
                     "WHERE partner=?1 AND ledger=?2 AND day BETWEEN ?3 AND ?4",
    [RSUM_BREAKS] = "SELECT day, kind, currency, count(*), sum(CASE WHEN kind IN "
                    "('amount_mismatch','day_shift') THEN abs(partner_amount - ledger_amount) "
                    "WHEN kind='missing_in_partner' THEN ledger_amount ELSE partner_amount END) "
                    "FROM recon_breaks WHERE partner=?1 AND ledger=?2 AND day BETWEEN ?3 AND ?4 "
                    "GROUP BY day, kind, currency",
    [RSUM_OPEN] = "SELECT day, CAST(side AS TEXT), currency, count, amount FROM recon_open_days "
                  "WHERE partner=?1 AND ledger=?2 AND day BETWEEN ?3 AND ?4",
    [RSUM_LEDGER] = "SELECT day, CAST(type AS TEXT), currency, sum(count), sum(total) "
                    "FROM ledger_cells WHERE partner=?1 AND ledger=?2 AND day BETWEEN ?3 AND ?4 "
                    "GROUP BY day, currency, type",
};

/* Binds (partner, ledger, first, last) to ?1..?4 of the cached statement `slot`. */
static sqlite3_stmt *period_stmt(state *s, int slot, const char *sql, const char *partner,
                                 const char *ledger, int32_t first, int32_t last)
{
    sqlite3_stmt *st = state_stmt(s, slot, sql);
    if (st) {
        state_bind_text(st, 1, partner);
        state_bind_text(st, 2, ledger);
        sqlite3_bind_int(st, 3, first);
        sqlite3_bind_int(st, 4, last);
    }
    return st;
}

int state_recon_sums(state *s, state_rsum which, const char *partner, const char *ledger,
                     int32_t first, int32_t last, int (*fn)(void *ctx, const state_rsum_row *r),
                     void *ctx)
{
    sqlite3_stmt *st = period_stmt(s, STMT_RSUM_MATCHED + (int)which, rsum_sql[which], partner,
                                   ledger, first, last);
    if (!st)
        return -1;
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        state_rsum_row r = {.day = sqlite3_column_int(st, 0),
                            .tag = (const char *)sqlite3_column_text(st, 1),
                            .currency = (const char *)sqlite3_column_text(st, 2),
                            .count = sqlite3_column_int64(st, 3),
                            .amount = sqlite3_column_int64(st, 4),
                            .exact = sqlite3_column_type(st, 4) == SQLITE_INTEGER};
        stop = fn(ctx, &r);
    }
    sqlite3_reset(st);
    return stop ? stop : (rc == SQLITE_DONE ? 0 : state_fail(s, "state: reconciliation sums"));
}

int state_recon_daily(state *s, const char *partner, const char *ledger, int32_t first,
                      int32_t last, int (*fn)(void *ctx, const state_daily_row *r), void *ctx)
{
    sqlite3_stmt *st = period_stmt(
        s, STMT_RDAILY,
        "WITH p AS (SELECT day, currency, game, type, sum(total) t, sum(count) c FROM cells "
        "  WHERE partner=?1 AND day BETWEEN ?3 AND ?4 GROUP BY day, currency, game, type),"
        " l AS (SELECT day, currency, game, type, total t, count c FROM ledger_cells "
        "  WHERE partner=?1 AND ledger=?2 AND day BETWEEN ?3 AND ?4),"
        " k AS (SELECT day, currency, game, type FROM p UNION SELECT day, currency, game, type "
        "  FROM l) "
        "SELECT k.game, k.currency, k.type, k.day, p.t, p.c, l.t, l.c FROM k "
        "LEFT JOIN p USING(day, currency, game, type) LEFT JOIN l USING(day, currency, game, type) "
        "ORDER BY k.game, k.currency, k.type, k.day",
        partner, ledger, first, last);
    if (!st)
        return -1;
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        state_daily_row r = {.game = (const char *)sqlite3_column_text(st, 0),
                             .currency = (const char *)sqlite3_column_text(st, 1),
                             .type = sqlite3_column_int(st, 2),
                             .day = sqlite3_column_int(st, 3),
                             .has_partner = sqlite3_column_type(st, 4) != SQLITE_NULL,
                             .partner_total = sqlite3_column_int64(st, 4),
                             .partner_count = sqlite3_column_int64(st, 5),
                             .has_ledger = sqlite3_column_type(st, 6) != SQLITE_NULL,
                             .ledger_total = sqlite3_column_int64(st, 6),
                             .ledger_count = sqlite3_column_int64(st, 7)};
        r.exact = (!r.has_partner || sqlite3_column_type(st, 4) == SQLITE_INTEGER);
        stop = fn(ctx, &r);
    }
    sqlite3_reset(st);
    return stop ? stop : (rc == SQLITE_DONE ? 0 : state_fail(s, "state: reconciliation daily"));
}

int state_recon_open_all(state *s, const char *partner, const char *ledger,
                         int (*fn)(void *ctx, const unsigned char *p, size_t n), void *ctx)
{
    sqlite3_stmt *st = state_stmt(s, STMT_ROPEN_ALL,
                                  "SELECT items FROM recon_open WHERE partner=? AND ledger=? "
                                  "ORDER BY part, chunk");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    state_bind_text(st, 2, ledger);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
        stop = fn(ctx, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
    sqlite3_reset(st);
    return stop ? stop : (rc == SQLITE_DONE ? 0 : state_fail(s, "state: recon_open"));
}

int state_recon_tmp_reset(state *s)
{
    return state_exec(s, "CREATE TEMP TABLE IF NOT EXISTS recon_tmp(day INTEGER NOT NULL,"
                         " kind TEXT NOT NULL, id TEXT NOT NULL, currency TEXT NOT NULL,"
                         " ledger_currency TEXT NOT NULL, partner_amount INTEGER,"
                         " ledger_amount INTEGER, partner_file INTEGER, partner_line INTEGER,"
                         " ledger_file INTEGER, ledger_line INTEGER);"
                         "DELETE FROM temp.recon_tmp;");
}

/* Binds one side (amount, file, line at i..i+2): the amount NULL when absent, the file and
 * line NULL when unknown. */
static void bind_side(sqlite3_stmt *st, int i, bool has, int64_t amount, int64_t file,
                      uint64_t line)
{
    if (has)
        sqlite3_bind_int64(st, i, amount);
    else
        sqlite3_bind_null(st, i);
    if (has && file) {
        sqlite3_bind_int64(st, i + 1, file);
        sqlite3_bind_int64(st, i + 2, (int64_t)line);
    } else {
        sqlite3_bind_null(st, i + 1);
        sqlite3_bind_null(st, i + 2);
    }
}

int state_recon_tmp_add(state *s, const state_recon_row *r)
{
    sqlite3_stmt *st = state_stmt(s, STMT_RTMP_ADD,
                                  "INSERT INTO temp.recon_tmp(day, kind, id, currency, "
                                  "ledger_currency, partner_amount, partner_file, partner_line, "
                                  "ledger_amount, ledger_file, ledger_line) "
                                  "VALUES(?,?,?,?,?,?,?,?,?,?,?)");
    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, r->day);
    state_bind_text(st, 2, r->kind);
    sqlite3_bind_text(st, 3, r->id, (int)r->id_len, SQLITE_TRANSIENT);
    state_bind_text(st, 4, r->currency);
    state_bind_text(st, 5, r->ledger_currency);
    bind_side(st, 6, r->has_partner, r->partner_amount, r->partner_file, r->partner_line);
    bind_side(st, 9, r->has_ledger, r->ledger_amount, r->ledger_file, r->ledger_line);
    return state_done(s, st);
}

int state_recon_tmp_breaks(state *s, const char *partner, const char *ledger, int32_t first,
                           int32_t last)
{
    sqlite3_stmt *st = period_stmt(
        s, STMT_RTMP_BREAKS,
        "INSERT INTO temp.recon_tmp(day, kind, id, currency, ledger_currency, partner_amount, "
        "partner_file, partner_line, ledger_amount, ledger_file, ledger_line) "
        "SELECT day, kind, tx_id, currency, ledger_currency, partner_amount, partner_file, "
        "partner_line, ledger_amount, ledger_file, ledger_line FROM recon_breaks "
        "WHERE partner=?1 AND ledger=?2 AND day BETWEEN ?3 AND ?4",
        partner, ledger, first, last);
    return st ? state_done(s, st) : -1;
}

int state_recon_tmp_each(state *s, int (*fn)(void *ctx, const state_recon_row *r), void *ctx)
{
    sqlite3_stmt *st = state_stmt(
        s, STMT_RTMP_EACH,
        "SELECT t.day, t.kind, t.id, t.currency, t.ledger_currency, t.partner_amount, "
        "pf.path, t.partner_line, t.ledger_amount, lf.path, t.ledger_line "
        "FROM temp.recon_tmp t LEFT JOIN files pf ON pf.id = t.partner_file "
        "LEFT JOIN files lf ON lf.id = t.ledger_file ORDER BY t.day, t.kind, t.id");
    if (!st)
        return -1;
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        state_recon_row r = {.day = sqlite3_column_int(st, 0),
                             .kind = (const char *)sqlite3_column_text(st, 1),
                             .id = (const char *)sqlite3_column_text(st, 2),
                             .id_len = (size_t)sqlite3_column_bytes(st, 2),
                             .currency = (const char *)sqlite3_column_text(st, 3),
                             .ledger_currency = (const char *)sqlite3_column_text(st, 4),
                             .has_partner = sqlite3_column_type(st, 5) != SQLITE_NULL,
                             .partner_amount = sqlite3_column_int64(st, 5),
                             .partner_path = (const char *)sqlite3_column_text(st, 6),
                             .partner_line = (uint64_t)sqlite3_column_int64(st, 7),
                             .has_ledger = sqlite3_column_type(st, 8) != SQLITE_NULL,
                             .ledger_amount = sqlite3_column_int64(st, 8),
                             .ledger_path = (const char *)sqlite3_column_text(st, 9),
                             .ledger_line = (uint64_t)sqlite3_column_int64(st, 10)};
        stop = fn(ctx, &r);
    }
    sqlite3_reset(st);
    return stop ? stop : (rc == SQLITE_DONE ? 0 : state_fail(s, "state: reconciliation breaks"));
}
