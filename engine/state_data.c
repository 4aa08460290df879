/*
 * state_data.c - the data tables of the state store: cells (and a ledger's
 * ledger_cells), per-day duplicate counts, rejected rows, file-to-day links
 * and statements.
 */
#include <stdio.h>
#include <string.h>

#include "state_int.h"

int state_file_day(state *s, const char *partner, int32_t day, int64_t file_id)
{
    sqlite3_stmt *st = state_stmt(s, STMT_FILE_DAY,
                                  "INSERT OR IGNORE INTO cell_files(partner, day, file_id) "
                                  "VALUES(?,?,?)");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    sqlite3_bind_int(st, 2, day);
    sqlite3_bind_int64(st, 3, file_id);
    return state_done(s, st);
}

int state_reject_add(state *s, int64_t file_id, const reject_row *r)
{
    sqlite3_stmt *st = state_stmt(s, STMT_REJECT_ADD,
                                  "INSERT INTO rejects(file_id, partner, file, line, tx_id, "
                                  "reason, detail, raw, day) VALUES(?,?,?,?,?,?,?,?,?)");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, file_id);
    state_bind_text(st, 2, r->partner);
    state_bind_text(st, 3, r->file);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)r->line);
    state_bind_text(st, 5, r->id);
    state_bind_text(st, 6, r->reason);
    state_bind_text(st, 7, r->detail);
    state_bind_text(st, 8, r->raw);
    if (r->day == INT32_MIN)
        sqlite3_bind_null(st, 9);
    else
        sqlite3_bind_int(st, 9, r->day);
    return state_done(s, st);
}

int state_rejects_fill_day(state *s, int64_t file_id, int32_t day)
{
    sqlite3_stmt *st = state_stmt(s, STMT_REJECT_FILL,
                                  "UPDATE rejects SET day=? WHERE file_id=? AND day IS NULL");
    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, day);
    sqlite3_bind_int64(st, 2, file_id);
    return state_done(s, st);
}

/* Turns the current result row of a rejects query into a reject_row. */
static void reject_from_row(sqlite3_stmt *st, reject_row *r)
{
    r->partner = (const char *)sqlite3_column_text(st, 0);
    r->file = (const char *)sqlite3_column_text(st, 1);
    r->line = (uint64_t)sqlite3_column_int64(st, 2);
    r->id = (const char *)sqlite3_column_text(st, 3);
    r->reason = (const char *)sqlite3_column_text(st, 4);
    r->detail = (const char *)sqlite3_column_text(st, 5);
    r->raw = (const char *)sqlite3_column_text(st, 6);
    r->day = sqlite3_column_type(st, 7) == SQLITE_NULL ? INT32_MIN : sqlite3_column_int(st, 7);
}

#define REJECT_COLS "SELECT partner, file, line, tx_id, reason, detail, raw, day FROM rejects "

int state_rejects_each(state *s, const char *partner, int32_t first, int32_t last,
                       const char *label, int (*fn)(void *ctx, const reject_row *r), void *ctx)
{
    bool no_day = first > last;
    sqlite3_stmt *st =
        no_day ? state_stmt(s, STMT_REJECTS_NODAY,
                            REJECT_COLS "WHERE partner=? AND day IS NULL ORDER BY file, line, id")
               : state_period_query(s, STMT_REJECTS_DAYS,
                                    REJECT_COLS "WHERE partner=?1 AND ((day BETWEEN ?2 AND ?3 "
                                                "AND report IS NULL) OR report=?4) "
                                                "ORDER BY file, line, id",
                                    partner, first, last);
    if (!st)
        return -1;
    if (no_day)
        state_bind_text(st, 1, partner);
    else
        state_bind_text(st, 4, label);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        reject_row r;
        reject_from_row(st, &r);
        stop = fn(ctx, &r);
    }
    sqlite3_reset(st);
    return stop ? stop : (rc == SQLITE_DONE ? 0 : state_fail(s, "state: rejects"));
}

/* The INSERT of one cell into `cells`, or with the same columns in the same places into
 * `ledger_cells` (?1 the ledger, ?4 the owner partner: the map's category string). */
#define CELL_UPSERT " ON CONFLICT DO UPDATE SET total = total + excluded.total, " \
                    "count = count + excluded.count"
static const char *const cell_sql[2] = {
    "INSERT INTO cells(partner, day, currency, category, game, type, total, count) "
    "VALUES(?,?,?,?,?,?,?,?)" CELL_UPSERT,
    "INSERT INTO ledger_cells(ledger, day, currency, partner, game, type, total, count) "
    "VALUES(?,?,?,?,?,?,?,?)" CELL_UPSERT,
};

/* Adds one in-memory cell to the stored one (upsert with checked sum in SQL), under
 * `source`: a partner, or with `ledger` a ledger. */
static int cell_put(state *s, bool ledger, const char *source, const cell_map *m, const cell *c)
{
    sqlite3_stmt *st = state_stmt(s, ledger ? STMT_LEDGER_CELL_ADD : STMT_CELL_ADD,
                                  cell_sql[ledger]);
    if (!st)
        return -1;
    state_bind_text(st, 1, source);
    sqlite3_bind_int(st, 2, c->key.day);
    state_bind_text(st, 3, strmap_str(m->currencies, c->key.currency));
    state_bind_text(st, 4, strmap_str(m->categories, c->key.category));
    state_bind_text(st, 5, strmap_str(m->games, c->key.game));
    sqlite3_bind_int(st, 6, c->key.type);
    sqlite3_bind_int64(st, 7, c->total);
    sqlite3_bind_int64(st, 8, c->count);
    /* SQLite turns an overflowing sum into a REAL; the CHECK on total refuses it, so
     * overflow is an error here, never a rounded value. */
    return state_done(s, st);
}

/* Adds one day's duplicate count. */
static int dup_put(state *s, const char *partner, int32_t day, int64_t n)
{
    sqlite3_stmt *st = state_stmt(s, STMT_DUP_ADD,
                                  "INSERT INTO day_counts(partner, day, duplicates) VALUES(?,?,?) "
                                  "ON CONFLICT DO UPDATE SET duplicates = duplicates + "
                                  "excluded.duplicates");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    sqlite3_bind_int(st, 2, day);
    sqlite3_bind_int64(st, 3, n);
    return state_done(s, st);
}

int state_cells_add(state *s, const char *partner, const cell_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key.used && cell_put(s, false, partner, m, &m->slots[i]) != 0)
            return -1;
    for (size_t i = 0; i < m->n_dup; i++)
        if (dup_put(s, partner, m->dup_days[i], m->dup_counts[i]) != 0)
            return -1;
    return 0;
}

int state_ledger_mark(state *s, const char *ledger)
{
    sqlite3_stmt *st = state_stmt(s, STMT_LEDGER_MARK,
                                  "INSERT OR IGNORE INTO ledger_ids(id) VALUES(?)");
    if (!st)
        return -1;
    state_bind_text(st, 1, ledger);
    return state_done(s, st);
}

int state_ledger_cells_add(state *s, const char *ledger, const cell_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key.used && cell_put(s, true, ledger, m, &m->slots[i]) != 0)
            return -1;
    return 0;
}

/* Reads one integer aggregate of a period (duplicates or rejects). */
static int period_count(state *s, int slot, const char *sql, const char *partner, int32_t first,
                        int32_t last, int64_t *n)
{
    sqlite3_stmt *st = state_period_query(s, slot, sql, partner, first, last);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : state_fail(s, "state: counts");
}

int state_period_load(state *s, const char *partner, int32_t first, int32_t last,
                      period_builder *b)
{
    sqlite3_stmt *st = state_period_query(s, STMT_PERIOD_CELLS,
                                    "SELECT day, currency, category, game, type, total, count "
                                    "FROM cells WHERE partner=? AND day BETWEEN ? AND ?",
                                    partner, first, last);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cell_row c = {sqlite3_column_int(st, 0), (const char *)sqlite3_column_text(st, 1),
                      (const char *)sqlite3_column_text(st, 2),
                      (const char *)sqlite3_column_text(st, 3), (tx_type)sqlite3_column_int(st, 4),
                      sqlite3_column_int64(st, 5), sqlite3_column_int64(st, 6)};
        period_builder_add(b, &c);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return state_fail(s, "state: cells");
    int64_t dups, rejected;
    if (period_count(s, STMT_PERIOD_DUPS,
                     "SELECT coalesce(sum(duplicates),0) FROM day_counts "
                     "WHERE partner=? AND day BETWEEN ? AND ?",
                     partner, first, last, &dups) != 0 ||
        period_count(s, STMT_PERIOD_REJECTS,
                     /* the partner's own: not its rows rejected from a ledger's file */
                     "SELECT count(*) FROM rejects r WHERE partner=? AND day BETWEEN ? AND ? "
                     "AND EXISTS(SELECT 1 FROM files f WHERE f.id=r.file_id AND "
                     "f.partner=r.partner)",
                     partner, first, last, &rejected) != 0)
        return -1;
    period_builder_counts(b, dups, rejected);
    return 0;
}

int state_period_inputs(state *s, const char *partner, int32_t first, int32_t last,
                        int (*fn)(void *ctx, const char *path, const char *sha256), void *ctx)
{
    sqlite3_stmt *st = state_period_query(
        s, STMT_PERIOD_INPUTS,
        "SELECT DISTINCT f.path, f.sha256 FROM files f WHERE f.partner=?1 AND f.outcome='processed' "
        "AND (f.id IN (SELECT file_id FROM cell_files WHERE partner=?1 AND day BETWEEN ?2 AND ?3) "
        "OR f.id IN (SELECT file_id FROM rejects WHERE partner=?1 AND day BETWEEN ?2 AND ?3)) "
        "ORDER BY f.path, f.sha256",
        partner, first, last);
    return st ? state_each_pair(s, st, fn, ctx) : -1;
}

int state_days_with_data(state *s, const char *partner, int32_t from, int32_t to,
                         int (*fn)(void *ctx, int32_t day), void *ctx)
{
    sqlite3_stmt *st = state_period_query(s, STMT_DAYS_DATA,
                                    "SELECT day FROM cells WHERE partner=?1 AND day BETWEEN ?2 AND ?3 "
                                    "UNION SELECT day FROM rejects WHERE partner=?1 AND day "
                                    "BETWEEN ?2 AND ?3 ORDER BY 1",
                                    partner, from, to);
    if (!st)
        return -1;
    return state_each_day(s, st, fn, ctx);
}

int state_savepoint(state *s)
{
    return state_exec(s, "SAVEPOINT file");
}

int state_savepoint_release(state *s)
{
    return state_exec(s, "RELEASE file");
}

int state_savepoint_rollback(state *s)
{
    return state_exec(s, "ROLLBACK TO file; RELEASE file");
}

int state_seen_add(state *s, const char *partner, int64_t file_id, int64_t chunk,
                   int32_t last_day, const void *ids, size_t n_bytes)
{
    sqlite3_stmt *st = state_stmt(s, STMT_SEEN_ADD,
                                  "INSERT INTO seen_ids(partner, file_id, chunk, last_day, ids) "
                                  "VALUES(?,?,?,?,?)");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    sqlite3_bind_int64(st, 2, file_id);
    sqlite3_bind_int64(st, 3, chunk);
    sqlite3_bind_int(st, 4, last_day);
    /* STATIC: SQLite reads the caller's buffer while stepping, no copy of it */
    sqlite3_bind_blob64(st, 5, n_bytes ? ids : "", n_bytes, SQLITE_STATIC);
    int rc = state_done(s, st);
    sqlite3_clear_bindings(st); /* the buffer is the caller's: drop the pointer now */
    return rc;
}

int state_seen_load(state *s, const char *partner, int32_t since_day,
                    int (*fn)(void *ctx, const unsigned char *entry), void *ctx)
{
    sqlite3_stmt *st = state_stmt(s, STMT_SEEN_LOAD,
                                  "SELECT ids FROM seen_ids WHERE partner=? AND last_day >= ? "
                                  "ORDER BY file_id, chunk");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    sqlite3_bind_int(st, 2, since_day);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *p = sqlite3_column_blob(st, 0);
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        for (size_t off = 0; !stop && off + 20 <= n; off += 20)
            stop = fn(ctx, p + off);
    }
    sqlite3_reset(st);
    return stop ? stop : (rc == SQLITE_DONE ? 0 : state_fail(s, "state: seen ids"));
}
