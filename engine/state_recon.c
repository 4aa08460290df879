/*
 * state_recon.c - reconciliation by transaction in the state store (tables
 * of migration 11): the open items of each (partner, ledger, partition) as
 * packed chunks, their counts and amounts per day, side and currency, the
 * matched sums per day and currency, and the breaks whose sides are known.
 * Written by recon_match.c inside the run's transaction.
 */
#include <sqlite3.h>

#include "state_int.h"

/* The cached statement `slot` with (partner, ledger, n) bound to ?1, ?2, ?3; NULL on failure. */
static sqlite3_stmt *recon_stmt(state *s, int slot, const char *sql, const char *partner,
                                const char *ledger, int32_t n)
{
    sqlite3_stmt *st = state_stmt(s, slot, sql);
    if (st) {
        state_bind_text(st, 1, partner);
        state_bind_text(st, 2, ledger);
        sqlite3_bind_int(st, 3, n);
    }
    return st;
}

int state_recon_open_each(state *s, const char *partner, const char *ledger, int part,
                          int (*fn)(void *ctx, const unsigned char *p, size_t n), void *ctx)
{
    sqlite3_stmt *st = recon_stmt(s, STMT_ROPEN_EACH,
                                  "SELECT items FROM recon_open WHERE partner=? AND ledger=? "
                                  "AND part=? ORDER BY chunk",
                                  partner, ledger, part);
    if (!st)
        return -1;
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
        stop = fn(ctx, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
    sqlite3_reset(st);
    return stop ? stop : (rc == SQLITE_DONE ? 0 : state_fail(s, "state: recon_open"));
}

int state_recon_open_drop(state *s, const char *partner, const char *ledger, int part)
{
    sqlite3_stmt *st = recon_stmt(s, STMT_ROPEN_DROP,
                                  "DELETE FROM recon_open WHERE partner=? AND ledger=? AND part=?",
                                  partner, ledger, part);
    return st ? state_done(s, st) : -1;
}

int state_recon_open_put(state *s, const char *partner, const char *ledger, int part,
                         int64_t chunk, const void *items, size_t n)
{
    sqlite3_stmt *st = recon_stmt(s, STMT_ROPEN_PUT,
                                  "INSERT INTO recon_open(partner, ledger, part, chunk, items) "
                                  "VALUES(?,?,?,?,?)",
                                  partner, ledger, part);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 4, chunk);
    sqlite3_bind_blob64(st, 5, items, n, SQLITE_STATIC);
    return state_done(s, st);
}

int state_recon_days_add(state *s, const char *partner, const char *ledger, int32_t day,
                         int side, const char *currency, int64_t count, int64_t amount)
{
    sqlite3_stmt *st = recon_stmt(s, STMT_RDAYS_ADD,
                                  "INSERT INTO recon_open_days(partner, ledger, day, side, "
                                  "currency, count, amount) VALUES(?1,?2,?3,?4,?5,?6,?7) "
                                  "ON CONFLICT DO UPDATE SET count = count + excluded.count, "
                                  "amount = amount + excluded.amount",
                                  partner, ledger, day);
    if (!st)
        return -1;
    sqlite3_bind_int(st, 4, side);
    state_bind_text(st, 5, currency);
    sqlite3_bind_int64(st, 6, count);
    sqlite3_bind_int64(st, 7, amount);
    if (state_done(s, st) != 0)
        return -1;
    if (count >= 0)
        return 0;
    st = recon_stmt(s, STMT_RDAYS_GC,
                    "DELETE FROM recon_open_days WHERE partner=? AND ledger=? AND day=? "
                    "AND side=? AND currency=? AND count=0",
                    partner, ledger, day);
    if (!st)
        return -1;
    sqlite3_bind_int(st, 4, side);
    state_bind_text(st, 5, currency);
    return state_done(s, st);
}

int state_recon_matched_add(state *s, const char *partner, const char *ledger, int32_t day,
                            const char *currency, int64_t count, int64_t amount)
{
    sqlite3_stmt *st = recon_stmt(s, STMT_RMATCHED_ADD,
                                  "INSERT INTO recon_matched(partner, ledger, day, currency, "
                                  "count, amount) VALUES(?,?,?,?,?,?) ON CONFLICT DO UPDATE SET "
                                  "count = count + excluded.count, "
                                  "amount = amount + excluded.amount",
                                  partner, ledger, day);
    if (!st)
        return -1;
    state_bind_text(st, 4, currency);
    sqlite3_bind_int64(st, 5, count);
    sqlite3_bind_int64(st, 6, amount);
    return state_done(s, st);
}

/* Binds one side of a break (amount, file, line at columns i..i+2), NULLs when absent. */
static void bind_side(sqlite3_stmt *st, int i, int64_t file, int64_t amount, uint64_t line)
{
    if (!file) {
        for (int k = 0; k < 3; k++)
            sqlite3_bind_null(st, i + k);
        return;
    }
    sqlite3_bind_int64(st, i, amount);
    sqlite3_bind_int64(st, i + 1, file);
    sqlite3_bind_int64(st, i + 2, (int64_t)line);
}

int state_recon_break_add(state *s, const state_recon_break *b)
{
    sqlite3_stmt *st = recon_stmt(s, STMT_RBREAK_ADD,
                                  "INSERT INTO recon_breaks(partner, ledger, day, kind, tx_id, "
                                  "currency, ledger_currency, partner_amount, partner_file, "
                                  "partner_line, ledger_amount, ledger_file, ledger_line, "
                                  "ledger_day, run_id) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                  b->partner, b->ledger, b->day);
    if (!st)
        return -1;
    state_bind_text(st, 4, b->kind);
    sqlite3_bind_text(st, 5, b->tx_id, (int)b->tx_id_len, SQLITE_TRANSIENT);
    state_bind_text(st, 6, b->currency);
    state_bind_text(st, 7, b->ledger_currency);
    bind_side(st, 8, b->partner_file, b->partner_amount, b->partner_line);
    bind_side(st, 11, b->ledger_file, b->ledger_amount, b->ledger_line);
    if (b->ledger_file)
        sqlite3_bind_int(st, 14, b->ledger_day);
    else
        sqlite3_bind_null(st, 14);
    sqlite3_bind_int64(st, 15, b->run_id);
    return state_done(s, st);
}
