/*
 * state_control.c - the state of files that did not simply go through:
 * quarantined files with their reasons, control-total mismatches that hold
 * statements, and the approvals that release them (settle approve).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "state_int.h"

int state_file_quarantined(state *s, int64_t run_id, const char *partner, const char *path,
                           const char *sha256, int64_t size, const char *reason)
{
    sqlite3_stmt *st = state_stmt(s, STMT_FILE_QUAR,
                                  "INSERT INTO files(run_id, partner, path, sha256, size, "
                                  "outcome, reason) VALUES(?,?,?,?,?,'quarantined',?)");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, run_id);
    state_bind_text(st, 2, partner);
    state_bind_text(st, 3, path);
    state_bind_text(st, 4, sha256);
    sqlite3_bind_int64(st, 5, size);
    state_bind_text(st, 6, reason);
    return state_done(s, st);
}

/* Runs `sql` (cached in `slot`): "UPDATE files SET <column>=? WHERE id=?" with text, file_id. */
static int file_set_text(state *s, int slot, const char *sql, int64_t file_id, const char *text)
{
    sqlite3_stmt *st = state_stmt(s, slot, sql);
    if (!st)
        return -1;
    state_bind_text(st, 1, text);
    sqlite3_bind_int64(st, 2, file_id);
    return state_done(s, st);
}

int state_file_control(state *s, int64_t file_id, const char *mismatch)
{
    return file_set_text(s, STMT_FILE_CONTROL, "UPDATE files SET control=? WHERE id=?", file_id,
                         mismatch);
}

int state_file_set_sha(state *s, int64_t file_id, const char *sha256)
{
    return file_set_text(s, STMT_FILE_SHA, "UPDATE files SET sha256=? WHERE id=?", file_id,
                         sha256);
}

int state_control_holds(state *s, const char *partner, int32_t first, int32_t last,
                        int (*fn)(void *ctx, const char *path, const char *mismatch), void *ctx)
{
    sqlite3_stmt *st = state_period_query(
        s, STMT_CONTROL_HOLDS,
        "SELECT f.path, f.control FROM files f WHERE f.partner=?1 AND f.control IS NOT NULL "
        "AND (EXISTS(SELECT 1 FROM cell_files c WHERE c.partner=?1 AND c.file_id=f.id "
        "AND c.day BETWEEN ?2 AND ?3) OR EXISTS(SELECT 1 FROM rejects r WHERE r.file_id=f.id "
        "AND r.day BETWEEN ?2 AND ?3)) ORDER BY f.path, f.id",
        partner, first, last);
    return st ? state_each_pair(s, st, fn, ctx) : -1;
}

/* A text column copied, or NULL. */
static char *col_dup(sqlite3_stmt *st, int i)
{
    const char *v = (const char *)sqlite3_column_text(st, i);
    return v ? xstrdup(v) : NULL;
}

int state_approval_get(state *s, const char *partner, const char *period, statement_approval *a,
                       bool *found)
{
    sqlite3_stmt *st = state_stmt(s, STMT_APPROVAL_GET,
                                  "SELECT user, approved, reason, hold_reason FROM approvals "
                                  "WHERE partner=? AND period=?");
    memset(a, 0, sizeof *a);
    *found = false;
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    state_bind_text(st, 2, period);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *found = true;
        a->by = col_dup(st, 0);
        a->at = col_dup(st, 1);
        a->reason = col_dup(st, 2);
        a->hold_reason = col_dup(st, 3);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return state_fail(s, "state: approvals");
    return 0;
}

int state_approval_add(state *s, const char *partner, const char *period,
                       const statement_approval *a)
{
    sqlite3_stmt *st = state_stmt(s, STMT_APPROVAL_ADD,
                                  "INSERT OR REPLACE INTO approvals(partner, period, approved, "
                                  "user, hold_reason, reason) VALUES(?,?,?,?,?,?)");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    state_bind_text(st, 2, period);
    state_bind_text(st, 3, a->at);
    state_bind_text(st, 4, a->by);
    state_bind_text(st, 5, a->hold_reason);
    state_bind_text(st, 6, a->reason);
    return state_done(s, st);
}

int state_adjustment_add(state *s, const char *partner, const char *origin, const char *target,
                         int64_t amount, const char *detail, int64_t run_id)
{
    sqlite3_stmt *st = state_stmt(s, STMT_ADJ_ADD,
                                  "INSERT INTO adjustments(partner, origin, target, amount, "
                                  "detail, run_id) VALUES(?,?,?,?,?,?)");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    state_bind_text(st, 2, origin);
    state_bind_text(st, 3, target);
    sqlite3_bind_int64(st, 4, amount);
    state_bind_text(st, 5, detail);
    sqlite3_bind_int64(st, 6, run_id);
    return state_done(s, st);
}

int state_adjustments_from(state *s, const char *partner, const char *origin, int64_t *sum)
{
    sqlite3_stmt *st = state_stmt(s, STMT_ADJ_SUM,
                                  "SELECT amount FROM adjustments WHERE partner=? AND origin=?");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    state_bind_text(st, 2, origin);
    int rc, overflow = 0;
    *sum = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        overflow |= __builtin_add_overflow(*sum, sqlite3_column_int64(st, 0), sum);
    sqlite3_reset(st);
    if (overflow) {
        snprintf(s->err, sizeof s->err, "state: adjustments of %s %s overflow", partner, origin);
        return -1;
    }
    return rc == SQLITE_DONE ? 0 : state_fail(s, "state: adjustments");
}

int state_adjustments_each(state *s, const char *partner, const char *target,
                           int (*fn)(void *ctx, const char *origin, int64_t amount,
                                     const char *detail),
                           void *ctx)
{
    sqlite3_stmt *st = state_stmt(s, STMT_ADJ_EACH,
                                  "SELECT origin, amount, detail FROM adjustments WHERE "
                                  "partner=? AND target=? ORDER BY id");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    state_bind_text(st, 2, target);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
        stop = fn(ctx, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
                  (const char *)sqlite3_column_text(st, 2));
    sqlite3_reset(st);
    return stop ? stop : (rc == SQLITE_DONE ? 0 : state_fail(s, "state: adjustments"));
}

int state_run_inputs(state *s, const char *partner, int32_t first, int32_t last, int64_t run_id,
                     int (*fn)(void *ctx, const char *path, const char *sha256), void *ctx)
{
    sqlite3_stmt *st = state_period_query(
        s, STMT_RUN_INPUTS,
        "SELECT f.path, f.sha256 FROM files f WHERE f.partner=?1 AND f.run_id=?4 AND "
        "f.outcome='processed' AND EXISTS(SELECT 1 FROM cell_files c WHERE c.partner=?1 AND "
        "c.file_id=f.id AND c.day BETWEEN ?2 AND ?3) ORDER BY f.path",
        partner, first, last);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 4, run_id);
    return state_each_pair(s, st, fn, ctx);
}

int state_meta_get(state *s, const char *key, char *out, size_t cap)
{
    sqlite3_stmt *st = state_stmt(s, STMT_META_GET, "SELECT value FROM meta WHERE key=?");
    if (!st)
        return -1;
    state_bind_text(st, 1, key);
    int rc = sqlite3_step(st);
    const char *v = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    snprintf(out, cap, "%s", v ? v : "");
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : state_fail(s, "state: meta");
}

int state_meta_put(state *s, const char *key, const char *value)
{
    sqlite3_stmt *st = state_stmt(s, STMT_META_PUT,
                                  "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)");
    if (!st)
        return -1;
    state_bind_text(st, 1, key);
    state_bind_text(st, 2, value);
    return state_done(s, st);
}
