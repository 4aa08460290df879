/*
 * state_inbox.c - what the state remembers about the files in the inbox
 * beyond their SHA-256: the identity of each file it knows to be processed
 * (device, inode, size, modification and change time to the nanosecond),
 * so a rerun recognises a drop left in the inbox without reading it again.
 *
 * The identity is only trusted as a whole: any write to a file, a rename
 * over it or a change of its metadata moves its change time (set by the
 * kernel, not by the writer), so a file whose bytes changed never matches
 * and is hashed again. Table file_stats (migration 10).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "state_int.h"

void state_stat_key(const struct stat *sb, char key[STATE_STAT_KEY])
{
    snprintf(key, STATE_STAT_KEY, "%llx:%llx:%lld:%lld.%09ld:%lld.%09ld",
             (unsigned long long)sb->st_dev, (unsigned long long)sb->st_ino,
             (long long)sb->st_size, (long long)sb->st_mtim.tv_sec, sb->st_mtim.tv_nsec,
             (long long)sb->st_ctim.tv_sec, sb->st_ctim.tv_nsec);
}

int state_stat_known(state *s, const char *partner, const char *key, char sha256[65],
                     bool *known)
{
    sqlite3_stmt *st = state_stmt(s, STMT_STAT_GET,
                                  "SELECT sha256 FROM file_stats WHERE partner=? AND stat=?");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    state_bind_text(st, 2, key);
    int rc = sqlite3_step(st);
    *known = rc == SQLITE_ROW;
    if (*known)
        snprintf(sha256, 65, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : state_fail(s, "state: file_stats");
}

int state_stat_put(state *s, const char *partner, const char *key, const char *sha256)
{
    sqlite3_stmt *st = state_stmt(s, STMT_STAT_PUT,
                                  "INSERT OR REPLACE INTO file_stats(partner, stat, sha256) "
                                  "VALUES(?,?,?)");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    state_bind_text(st, 2, key);
    state_bind_text(st, 3, sha256);
    return state_done(s, st);
}
