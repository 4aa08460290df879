/*
 * state_rows.c - row accounting in the state store (every row of a file is
 * accounted for: per file the lines that are not data, per file and business
 * day the outcome of every data row), and rejects of a period already final,
 * which are reported in the exceptions of a later open period.
 */
#include <stdio.h>
#include <string.h>

#include "state_int.h"

int state_file_rows_add(state *s, int64_t file_id, const char *partner, int32_t day,
                        const row_counts *c)
{
    sqlite3_stmt *st = state_stmt(s, STMT_ROWS_ADD,
                                  "INSERT INTO file_rows(file_id, partner, day, settled, "
                                  "duplicate, rejected, skipped) VALUES(?,?,?,?,?,?,?)");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, file_id);
    state_bind_text(st, 2, partner);
    if (day == INT32_MIN)
        sqlite3_bind_null(st, 3);
    else
        sqlite3_bind_int(st, 3, day);
    sqlite3_bind_int64(st, 4, c->settled);
    sqlite3_bind_int64(st, 5, c->duplicate);
    sqlite3_bind_int64(st, 6, c->rejected);
    sqlite3_bind_int64(st, 7, c->skipped);
    return state_done(s, st);
}

int state_file_lines(state *s, int64_t file_id, const file_lines *l)
{
    sqlite3_stmt *st = state_stmt(s, STMT_ROWS_LINES,
                                  "UPDATE files SET rows_read=?, header_rows=?, control_rows=?, "
                                  "title_rows=? WHERE id=?");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, l->read);
    sqlite3_bind_int64(st, 2, l->header);
    sqlite3_bind_int64(st, 3, l->control);
    sqlite3_bind_int64(st, 4, l->title);
    sqlite3_bind_int64(st, 5, file_id);
    return state_done(s, st);
}

/* Reads row_counts from columns first..first+3 of the current result row. */
static void counts_from(sqlite3_stmt *st, int first, row_counts *c)
{
    c->settled = sqlite3_column_int64(st, first);
    c->duplicate = sqlite3_column_int64(st, first + 1);
    c->rejected = sqlite3_column_int64(st, first + 2);
    c->skipped = sqlite3_column_int64(st, first + 3);
}

/* Steps a bound one-row query, hands its row to `take`, resets it. */
static int one_row(state *s, sqlite3_stmt *st, void (*take)(sqlite3_stmt *st, void *out),
                   void *out)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        take(st, out);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : state_fail(s, "state: row counts");
}

/* one_row taker: row_counts from column 0 on. */
static void take_counts(sqlite3_stmt *st, void *out)
{
    counts_from(st, 0, out);
}

#define SUM_COUNTS                                                                           \
    "coalesce(sum(r.settled),0), coalesce(sum(r.duplicate),0), coalesce(sum(r.rejected),0), " \
    "coalesce(sum(r.skipped),0)"

int state_period_rows(state *s, const char *partner, int32_t first, int32_t last, row_counts *c)
{
    sqlite3_stmt *st = state_period_query(s, STMT_ROWS_PERIOD,
                                          "SELECT " SUM_COUNTS " FROM file_rows r "
                                          "WHERE partner=?1 AND day BETWEEN ?2 AND ?3",
                                          partner, first, last);
    return st ? one_row(s, st, take_counts, c) : -1;
}

/* one_row taker for a file: its lines, then its whole row counts. */
static void take_file(sqlite3_stmt *st, void *out)
{
    input_rows *r = out;
    r->lines.read = sqlite3_column_int64(st, 0);
    r->lines.header = sqlite3_column_int64(st, 1);
    r->lines.control = sqlite3_column_int64(st, 2);
    r->lines.title = sqlite3_column_int64(st, 3);
    counts_from(st, 4, &r->file);
}

int state_input_rows(state *s, const char *partner, const char *sha256, int32_t first,
                     int32_t last, input_rows *r)
{
    memset(r, 0, sizeof *r);
    sqlite3_stmt *st = state_stmt(
        s, STMT_ROWS_FILE,
        "SELECT coalesce(f.rows_read,0), coalesce(f.header_rows,0), coalesce(f.control_rows,0), "
        "coalesce(f.title_rows,0), " SUM_COUNTS " FROM files f LEFT JOIN file_rows r "
        "ON r.file_id=f.id WHERE f.partner=? AND f.sha256=? AND f.outcome='processed'");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    state_bind_text(st, 2, sha256);
    if (one_row(s, st, take_file, r) != 0)
        return -1;
    st = state_stmt(s, STMT_ROWS_FILE_PERIOD,
                    "SELECT " SUM_COUNTS " FROM file_rows r JOIN files f ON f.id=r.file_id "
                    "WHERE f.partner=?1 AND f.sha256=?4 AND f.outcome='processed' "
                    "AND r.day BETWEEN ?2 AND ?3");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    sqlite3_bind_int(st, 2, first);
    sqlite3_bind_int(st, 3, last);
    state_bind_text(st, 4, sha256);
    return one_row(s, st, take_counts, &r->period);
}

int state_rejects_report(state *s, const char *partner, int32_t first, int32_t last,
                         int64_t run_id, const char *label, int64_t *n)
{
    sqlite3_stmt *st = state_period_query(
        s, STMT_REJECTS_LATE,
        "UPDATE rejects SET report=?4 WHERE partner=?1 AND day BETWEEN ?2 AND ?3 "
        "AND report IS NULL AND file_id IN (SELECT id FROM files WHERE run_id=?5)",
        partner, first, last);
    if (!st)
        return -1;
    state_bind_text(st, 4, label);
    sqlite3_bind_int64(st, 5, run_id);
    if (state_done(s, st) != 0)
        return -1;
    *n = sqlite3_changes(s->db);
    return 0;
}
