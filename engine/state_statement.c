/*
 * state_statement.c - issued statements in the state store: put, get, the
 * carry-over chain and listings by label. (`settle status`: state_status.c.)
 */
#include <stdio.h>
#include <string.h>

#include "state_int.h"
#include "timefmt.h"

#define ST_COLS                                                                          \
    "partner, period, kind, status, currency, hold_reason, first_day, last_day, ggr, payable, " \
    "carry_in, carry_out, transactions, duplicates, rejected, exponent, rules_sha256, "  \
    "config_sha256, json_sha256, recon_status, recon_breaks"

int state_statement_put(state *s, const statement_row *r)
{
    sqlite3_stmt *st = state_stmt(s, STMT_ST_PUT,
                                  "INSERT OR REPLACE INTO statements(" ST_COLS ") VALUES("
                                  "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!st)
        return -1;
    const char *texts[] = {r->partner, r->period, r->kind, r->status, r->currency, r->hold_reason};
    for (int i = 0; i < 6; i++)
        state_bind_text(st, i + 1, texts[i]);
    sqlite3_bind_int(st, 7, r->first_day);
    sqlite3_bind_int(st, 8, r->last_day);
    const int64_t nums[] = {r->ggr,          r->payable,    r->carry_in, r->carry_out,
                            r->transactions, r->duplicates, r->rejected, r->exponent};
    for (int i = 0; i < 8; i++)
        sqlite3_bind_int64(st, i + 9, nums[i]);
    state_bind_text(st, 17, r->rules_sha256);
    state_bind_text(st, 18, r->config_sha256);
    state_bind_text(st, 19, r->json_sha256);
    state_bind_text(st, 20, r->recon_status);
    if (r->recon_status)
        sqlite3_bind_int64(st, 21, r->recon_breaks);
    else
        sqlite3_bind_null(st, 21);
    return state_done(s, st);
}

/* Fills r from the current row of an ST_COLS query (strings borrowed). */
static void statement_from_row(sqlite3_stmt *st, statement_row *r)
{
    const char **texts[] = {&r->partner,  &r->period,   &r->kind,
                            &r->status,   &r->currency, &r->hold_reason};
    for (int i = 0; i < 6; i++)
        *texts[i] = (const char *)sqlite3_column_text(st, i);
    r->first_day = sqlite3_column_int(st, 6);
    r->last_day = sqlite3_column_int(st, 7);
    int64_t *nums[] = {&r->ggr,          &r->payable,    &r->carry_in, &r->carry_out,
                       &r->transactions, &r->duplicates, &r->rejected};
    for (int i = 0; i < 7; i++)
        *nums[i] = sqlite3_column_int64(st, i + 8);
    r->exponent = sqlite3_column_int(st, 15);
    r->rules_sha256 = (const char *)sqlite3_column_text(st, 16);
    r->config_sha256 = (const char *)sqlite3_column_text(st, 17);
    r->json_sha256 = (const char *)sqlite3_column_text(st, 18);
    r->recon_status = (const char *)sqlite3_column_text(st, 19);
    r->recon_breaks = sqlite3_column_int64(st, 20);
}

int state_statement_get(state *s, const char *partner, const char *period, statement_row *r,
                        bool *found)
{
    sqlite3_stmt *st = state_stmt(s, STMT_ST_GET,
                                  "SELECT " ST_COLS " FROM statements WHERE partner=? AND period=?");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    state_bind_text(st, 2, period);
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    if (*found)
        statement_from_row(st, r); /* valid until the statement is reset by the next call */
    else
        sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : state_fail(s, "state: statements");
}

int state_carry_before(state *s, const char *partner, int32_t first_day, int64_t *carry)
{
    sqlite3_stmt *st = state_stmt(s, STMT_CARRY,
                                  "SELECT COALESCE((SELECT r.carry_out FROM restatements r "
                                  "WHERE r.partner=s.partner AND r.period=s.period ORDER BY "
                                  "r.id DESC LIMIT 1), s.carry_out) FROM statements s WHERE "
                                  "s.partner=? AND s.last_day < ? ORDER BY s.last_day DESC "
                                  "LIMIT 1");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    sqlite3_bind_int(st, 2, first_day);
    int rc = sqlite3_step(st);
    *carry = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : state_fail(s, "state: carry");
}

int state_statements_of_label(state *s, const char *period,
                              int (*fn)(void *ctx, const statement_row *r), void *ctx)
{
    sqlite3_stmt *st = state_stmt(s, STMT_ST_LABEL,
                                  "SELECT " ST_COLS " FROM statements WHERE period=? "
                                  "ORDER BY partner");
    if (!st)
        return -1;
    state_bind_text(st, 1, period);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        statement_row r;
        statement_from_row(st, &r);
        stop = fn(ctx, &r);
    }
    sqlite3_reset(st);
    return stop ? stop : (rc == SQLITE_DONE ? 0 : state_fail(s, "state: statements"));
}

int state_statement_days(state *s, const char *partner, int32_t from_day,
                         int (*fn)(void *ctx, int32_t first_day), void *ctx)
{
    sqlite3_stmt *st = state_stmt(s, STMT_ST_DAYS,
                                  "SELECT first_day FROM statements WHERE partner=? AND "
                                  "first_day >= ? ORDER BY first_day");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    sqlite3_bind_int(st, 2, from_day);
    return state_each_day(s, st, fn, ctx);
}

int state_statements_stale(state *s, const char *partner, const char *rules_sha256,
                           const char *config_sha256, int (*fn)(void *ctx, int32_t first_day),
                           void *ctx)
{
    sqlite3_stmt *st = state_stmt(s, STMT_ST_STALE,
                                  "SELECT first_day FROM statements WHERE partner=? AND "
                                  "status<>'final' AND (rules_sha256 IS NOT ? OR "
                                  "config_sha256 IS NOT ?) ORDER BY first_day");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    state_bind_text(st, 2, rules_sha256);
    state_bind_text(st, 3, config_sha256);
    return state_each_day(s, st, fn, ctx);
}

int state_statements_due(state *s, const char *partner, int32_t before_day,
                         int (*fn)(void *ctx, int32_t first_day), void *ctx)
{
    sqlite3_stmt *st = state_stmt(s, STMT_ST_DUE,
                                  "SELECT first_day FROM statements WHERE partner=? AND "
                                  "(status='held' OR (status='provisional' AND last_day < ?) OR "
                                  "(status='provisional' AND recon_status IN ('held','waiting'))) "
                                  "ORDER BY first_day");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    sqlite3_bind_int(st, 2, before_day);
    return state_each_day(s, st, fn, ctx);
}
