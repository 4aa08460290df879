/*
 * state_int.h - private to state*.c: the store struct, the prepared
 * statement cache and shared helpers.
 */
#ifndef SETTLE_STATE_INT_H
#define SETTLE_STATE_INT_H

#include <sqlite3.h>

#include "state.h"

enum state_stmt_slot {
    STMT_KEY_GET, STMT_KEY_PUT, STMT_RUN_BEGIN, STMT_RUN_END, STMT_FILE_SEEN, STMT_FILE_ADD,
    STMT_FILE_FINISH, STMT_FILE_DAY, STMT_REJECT_ADD, STMT_REJECT_FILL, STMT_REJECTS_DAYS,
    STMT_REJECTS_NODAY, STMT_CELL_ADD, STMT_DUP_ADD, STMT_PERIOD_CELLS, STMT_PERIOD_DUPS,
    STMT_PERIOD_REJECTS, STMT_PERIOD_INPUTS, STMT_ST_PUT, STMT_ST_GET, STMT_CARRY,
    STMT_ST_LABEL, STMT_ST_DAYS, STMT_DAYS_DATA, STMT_ST_STALE, STMT_SEEN_ADD, STMT_SEEN_LOAD, STMT_ST_DUE,
    STMT_FILE_QUAR, STMT_FILE_CONTROL, STMT_CONTROL_HOLDS, STMT_APPROVAL_GET, STMT_APPROVAL_ADD,
    STMT_RUN_JOURNAL, STMT_RUN_UNAUDITED, STMT_RUN_AUDITED,
    STMT_ADJ_ADD, STMT_ADJ_SUM, STMT_ADJ_EACH, STMT_RUN_INPUTS, STMT_META_GET, STMT_META_PUT,
    STMT_RST_ADD, STMT_RST_LAST, STMT_RST_UP, STMT_RST_EACH, STMT_RSP_PUT, STMT_RSP_GET,
    STMT_RSP_DROP, STMT_RSP_DAYS,
    STMT_ROWS_ADD, STMT_ROWS_LINES, STMT_ROWS_PERIOD, STMT_ROWS_FILE, STMT_ROWS_FILE_PERIOD,
    STMT_REJECTS_LATE,
    STMT_OUTPUT_ADD, STMT_OUTPUTS_EACH, STMT_OUTPUTS_DONE,
    STMT_FILE_SIZE, STMT_FILE_SHA, STMT_STAT_GET, STMT_STAT_PUT,
    STMT_ROPEN_EACH, STMT_ROPEN_DROP, STMT_ROPEN_PUT, STMT_RDAYS_ADD, STMT_RDAYS_GC,
    STMT_RMATCHED_ADD, STMT_RBREAK_ADD,
    STMT_RSUM_MATCHED, STMT_RSUM_BREAKS, STMT_RSUM_OPEN, STMT_RSUM_LEDGER, STMT_RDAILY,
    STMT_ROPEN_ALL, STMT_RTMP_ADD, STMT_RTMP_BREAKS, STMT_RTMP_EACH,
    STMT_LEDGER_CELL_ADD, STMT_LEDGER_MARK,
    STMT_COUNT
};

struct state {
    sqlite3 *db;
    sqlite3_stmt *stmts[STMT_COUNT];
    char err[512];
};

/* PRAGMA application_id of every state settle makes ("STLE"); see state_file.c. */
#define STATE_APPLICATION_ID 0x53544c45

/* state_file.c: checks an existing file before SQLite opens it: a regular, non-empty
 * SQLite database file that is not cut short. 0, or -1 with the reason in err. */
int state_file_check(const char *path, char *err, size_t errlen);
/* After opening: is the database settle's (its application_id, or settle's tables and a
 * schema version from before settle set one)? *stamped is set when the application_id is
 * there, *schema to PRAGMA user_version. 0, or -1 with the reason in state_error(s). */
int state_identity(state *s, const char *path, bool *stamped, int *schema);
/* Sets the file and its -wal and -shm (those present) to mode 0640. */
void state_file_private(const char *path);

int state_fail(state *s, const char *what);
int state_exec(state *s, const char *sql);
sqlite3_stmt *state_stmt(state *s, int slot, const char *sql);
int state_done(state *s, sqlite3_stmt *st);
void state_bind_text(sqlite3_stmt *st, int i, const char *v);
/* Steps a bound query whose column 0 is a day, calling fn per row until it returns
 * non-zero (that value is returned); resets st; -1 with the error on failure. */
int state_each_day(state *s, sqlite3_stmt *st, int (*fn)(void *ctx, int32_t day), void *ctx);
/* The same for queries whose columns 0 and 1 are text (e.g. path and sha256). */
int state_each_pair(state *s, sqlite3_stmt *st,
                    int (*fn)(void *ctx, const char *a, const char *b), void *ctx);
/* The cached statement `slot` with (partner, first, last) bound to ?1, ?2, ?3. */
sqlite3_stmt *state_period_query(state *s, int slot, const char *sql, const char *partner,
                                 int32_t first, int32_t last);

#endif
