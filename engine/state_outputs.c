/*
 * state_outputs.c - the run_outputs table: the reports a committed run has
 * staged but not yet renamed into place (see state.h).
 */
#include "state_int.h"

int state_output_add(state *s, int64_t run_id, const char *file, const char *sha256)
{
    sqlite3_stmt *st = state_stmt(s, STMT_OUTPUT_ADD,
                                  "INSERT OR REPLACE INTO run_outputs(run_id, file, sha256) "
                                  "VALUES(?,?,?)");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, run_id);
    state_bind_text(st, 2, file);
    state_bind_text(st, 3, sha256);
    return state_done(s, st);
}

int state_outputs_each(state *s, int (*fn)(void *ctx, const char *file, const char *sha256),
                       void *ctx)
{
    sqlite3_stmt *st = state_stmt(s, STMT_OUTPUTS_EACH,
                                  "SELECT file, sha256 FROM run_outputs ORDER BY run_id, file");
    return st ? state_each_pair(s, st, fn, ctx) : -1;
}

int state_outputs_done(state *s)
{
    sqlite3_stmt *st = state_stmt(s, STMT_OUTPUTS_DONE, "DELETE FROM run_outputs");
    return st ? state_done(s, st) : -1;
}
