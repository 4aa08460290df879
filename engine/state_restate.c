/*
 * state_restate.c - restatements of final periods in the state store: a
 * final statement is never rewritten; when late data (or a restated carry_in)
 * changes it, its re-derived result is recorded here, and the latest one is
 * the period's effective result (state_carry_before reads its carry_out).
 */
#include <stdio.h>
#include <stdlib.h>

#include "state_int.h"

#define RST_COLS                                                                          \
    "partner, period, target, cause, files, lines, first_day, last_day, carry_in, payable, " \
    "carry_out, issued_payable, issued_carry_out, previous_payable, run_id"

int state_restatement_add(state *s, const restatement_row *r)
{
    sqlite3_stmt *st = state_stmt(s, STMT_RST_ADD,
                                  "INSERT INTO restatements(" RST_COLS ") VALUES("
                                  "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!st)
        return -1;
    const char *texts[] = {r->partner, r->period, r->target, r->cause, r->files, r->lines};
    for (int i = 0; i < 6; i++)
        state_bind_text(st, i + 1, texts[i]);
    sqlite3_bind_int(st, 7, r->first_day);
    sqlite3_bind_int(st, 8, r->last_day);
    const int64_t nums[] = {r->carry_in,         r->payable,          r->carry_out,
                            r->issued_payable,   r->issued_carry_out, r->previous_payable,
                            r->run_id};
    for (int i = 0; i < 7; i++)
        sqlite3_bind_int64(st, i + 9, nums[i]);
    return state_done(s, st);
}

/* Fills r from the current row of an RST_COLS query (strings borrowed). */
static void restatement_from_row(sqlite3_stmt *st, restatement_row *r)
{
    const char **texts[] = {&r->partner, &r->period, &r->target, &r->cause, &r->files, &r->lines};
    for (int i = 0; i < 6; i++)
        *texts[i] = (const char *)sqlite3_column_text(st, i);
    r->first_day = sqlite3_column_int(st, 6);
    r->last_day = sqlite3_column_int(st, 7);
    int64_t *nums[] = {&r->carry_in,       &r->payable,          &r->carry_out,
                       &r->issued_payable, &r->issued_carry_out, &r->previous_payable,
                       &r->run_id};
    for (int i = 0; i < 7; i++)
        *nums[i] = sqlite3_column_int64(st, i + 8);
}

/* Steps a bound single-row query into r; row strings stay valid until the slot's next use. */
static int restatement_one(state *s, sqlite3_stmt *st, restatement_row *r, bool *found)
{
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    if (*found)
        restatement_from_row(st, r);
    else
        sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : state_fail(s, "state: restatements");
}

int state_restatement_last(state *s, const char *partner, const char *period,
                           restatement_row *r, bool *found)
{
    sqlite3_stmt *st = state_stmt(s, STMT_RST_LAST,
                                  "SELECT " RST_COLS " FROM restatements WHERE partner=? AND "
                                  "period=? ORDER BY id DESC LIMIT 1");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    state_bind_text(st, 2, period);
    return restatement_one(s, st, r, found);
}

int state_restatement_upstream(state *s, const char *partner, int64_t run_id,
                               int32_t before_day, restatement_row *r, bool *found)
{
    sqlite3_stmt *st = state_stmt(s, STMT_RST_UP,
                                  "SELECT " RST_COLS " FROM restatements WHERE partner=? AND "
                                  "run_id=? AND last_day < ? ORDER BY last_day DESC, id DESC "
                                  "LIMIT 1");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    sqlite3_bind_int64(st, 2, run_id);
    sqlite3_bind_int(st, 3, before_day);
    return restatement_one(s, st, r, found);
}

int state_restatements_each(state *s, const char *partner, const char *target,
                            int (*fn)(void *ctx, const restatement_row *r), void *ctx)
{
    sqlite3_stmt *st = state_stmt(s, STMT_RST_EACH,
                                  "SELECT " RST_COLS " FROM restatements WHERE partner=? AND "
                                  "target=? ORDER BY id");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    state_bind_text(st, 2, target);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        restatement_row r;
        restatement_from_row(st, &r);
        stop = fn(ctx, &r);
    }
    sqlite3_reset(st);
    return stop ? stop : (rc == SQLITE_DONE ? 0 : state_fail(s, "state: restatements"));
}

int state_restate_pending_put(state *s, const char *partner, const char *period,
                              int32_t first_day, const char *files, const char *reason)
{
    sqlite3_stmt *st = state_stmt(s, STMT_RSP_PUT,
                                  "INSERT OR REPLACE INTO restate_pending(partner, period, "
                                  "first_day, files, reason) VALUES(?,?,?,?,?)");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    state_bind_text(st, 2, period);
    sqlite3_bind_int(st, 3, first_day);
    state_bind_text(st, 4, files);
    state_bind_text(st, 5, reason);
    return state_done(s, st);
}

int state_restate_pending_get(state *s, const char *partner, const char *period, char **files)
{
    sqlite3_stmt *st = state_stmt(s, STMT_RSP_GET,
                                  "SELECT files FROM restate_pending WHERE partner=? AND "
                                  "period=?");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    state_bind_text(st, 2, period);
    int rc = sqlite3_step(st);
    const char *f = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    *files = f ? xstrdup(f) : NULL;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : state_fail(s, "state: restate_pending");
}

int state_restate_pending_drop(state *s, const char *partner, const char *period)
{
    sqlite3_stmt *st = state_stmt(s, STMT_RSP_DROP,
                                  "DELETE FROM restate_pending WHERE partner=? AND period=?");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    state_bind_text(st, 2, period);
    return state_done(s, st);
}

int state_restate_pending_days(state *s, const char *partner,
                               int (*fn)(void *ctx, int32_t first_day), void *ctx)
{
    sqlite3_stmt *st = state_stmt(s, STMT_RSP_DAYS,
                                  "SELECT first_day FROM restate_pending WHERE partner=? "
                                  "ORDER BY first_day");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    return state_each_day(s, st, fn, ctx);
}
