/*
 * state_file.c - is the file at <state>/settle.db settle's state? Checked
 * before SQLite opens it (kind, size, SQLite header, cut short) and after
 * (application_id, or the schema of a state made before settle set one), so
 * an empty, truncated or foreign file is refused (exit 3) and never silently
 * replaced by a new state. Also keeps the file and SQLite's -wal and -shm
 * beside it at mode 0640, like every other output.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state_int.h"

/* What an operator can do about a refused state file; said after every refusal. */
#define STATE_REFUSED_HINT                                                                \
    "; only a missing file starts a new state, so settle will not replace it: restore " \
    "settle.db from the backup (runbook section 10), or move it away to start afresh"

/* Big-endian integer of `n` bytes at p. */
static uint32_t be(const unsigned char *p, int n)
{
    uint32_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* True when a non-empty <path>-wal is beside the file (its pages may be newer than the file). */
static bool has_wal(const char *path)
{
    char *wal = xasprintf("%s-wal", path);
    struct stat sb;
    bool yes = stat(wal, &sb) == 0 && sb.st_size > 0;
    free(wal);
    return yes;
}

/*
 * Checks the 100-byte SQLite header of an open file of `size` bytes: the
 * magic string, and (without a WAL beside it, when the header's page count is
 * valid) that the file holds every page the header counts. 0, or -1 with err.
 */
static int check_header(int fd, const char *path, off_t size, char *err, size_t errlen)
{
    unsigned char h[100];
    ssize_t got = size >= 100 ? pread(fd, h, sizeof h, 0) : 0;
    if (got != (ssize_t)sizeof h || memcmp(h, "SQLite format 3", 16) != 0) {
        snprintf(err, errlen, "%s is not a settle state (not an SQLite database)" STATE_REFUSED_HINT,
                 path);
        return -1;
    }
    uint32_t page = be(h + 16, 2), pages = be(h + 28, 4);
    if (page == 1)
        page = 65536;
    bool counted = pages > 0 && be(h + 24, 4) == be(h + 92, 4);
    if (counted && !has_wal(path) && (uint64_t)size < (uint64_t)pages * page) {
        snprintf(err, errlen, "%s is truncated: %lld bytes, its header counts %llu" STATE_REFUSED_HINT,
                 path, (long long)size, (unsigned long long)pages * page);
        return -1;
    }
    return 0;
}

int state_file_check(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat sb;
    int rc = -1;
    if (fd < 0 || fstat(fd, &sb) != 0)
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
    else if (!S_ISREG(sb.st_mode))
        snprintf(err, errlen, "%s is not a regular file, so not a settle state" STATE_REFUSED_HINT,
                 path);
    else if (sb.st_size == 0)
        snprintf(err, errlen, "%s is empty (0 bytes), not a settle state" STATE_REFUSED_HINT, path);
    else
        rc = check_header(fd, path, sb.st_size, err, errlen);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* One integer from a PRAGMA or query; -1 with the SQLite error in s->err. */
static int query_int(state *s, const char *sql, int64_t *out)
{
    sqlite3_stmt *st;
    *out = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return state_fail(s, "state");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : state_fail(s, "state");
}

int state_identity(state *s, const char *path, bool *stamped, int *schema)
{
    int64_t app, version, tables;
    *stamped = false;
    *schema = 0;
    if (query_int(s, "PRAGMA application_id", &app) != 0 ||
        query_int(s, "PRAGMA user_version", &version) != 0 ||
        query_int(s, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN "
                     "('meta','runs','files','cells','statements')", &tables) != 0) {
        char why[sizeof s->err];
        memcpy(why, s->err, sizeof why);
        snprintf(s->err, sizeof s->err, "%s cannot be read as a settle state (%.300s)"
                 STATE_REFUSED_HINT, path, why);
        return -1;
    }
    *schema = (int)version;
    if (app == STATE_APPLICATION_ID) {
        *stamped = true;
        return 0;
    }
    if (app == 0 && version >= 1 && tables == 5) /* made by a settle before application_id */
        return 0;
    snprintf(s->err, sizeof s->err, "%s is an SQLite database but not a settle state "
             "(application_id %lld, schema version %lld, %lld of settle's tables)"
             STATE_REFUSED_HINT, path, (long long)app, (long long)version, (long long)tables);
    return -1;
}

void state_file_private(const char *path)
{
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char *p = xasprintf("%s%s", path, suffix[i]);
        struct stat sb;
        if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 0777) != 0640)
            chmod(p, 0640);
        free(p);
    }
}
