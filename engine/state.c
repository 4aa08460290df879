/*
 * state.c - the SQLite state store: opening, schema migrations, the run
 * transaction, and the small tables (runs, files, dedup key). Cells, rejects
 * and statements live in state_data.c. Prepared statements are cached per
 * store and finalised by state_close.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state_int.h"

/* Schema, one migration per version; applied in order inside a transaction. */
static const char *const migrations[] = {
    /* 1 */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB);"
    "CREATE TABLE runs(id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT,"
    "  exit_code INTEGER, summary TEXT);"
    "CREATE TABLE files(id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, partner TEXT NOT NULL,"
    "  path TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, outcome TEXT,"
    "  rows INTEGER, transactions INTEGER, duplicates INTEGER, rejected INTEGER);"
    "CREATE UNIQUE INDEX files_sha ON files(partner, sha256) WHERE outcome = 'processed';"
    "CREATE TABLE cells(partner TEXT NOT NULL, day INTEGER NOT NULL, currency TEXT NOT NULL,"
    "  category TEXT NOT NULL, game TEXT NOT NULL, type INTEGER NOT NULL,"
    "  total INTEGER NOT NULL CHECK(typeof(total) = 'integer'),"
    "  count INTEGER NOT NULL,"
    "  PRIMARY KEY(partner, day, currency, category, game, type)) WITHOUT ROWID;"
    "CREATE TABLE cell_files(partner TEXT NOT NULL, day INTEGER NOT NULL,"
    "  file_id INTEGER NOT NULL, PRIMARY KEY(partner, day, file_id)) WITHOUT ROWID;"
    "CREATE TABLE day_counts(partner TEXT NOT NULL, day INTEGER NOT NULL,"
    "  duplicates INTEGER NOT NULL, PRIMARY KEY(partner, day)) WITHOUT ROWID;"
    "CREATE TABLE rejects(id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL,"
    "  partner TEXT NOT NULL, file TEXT NOT NULL, line INTEGER NOT NULL, tx_id TEXT,"
    "  reason TEXT NOT NULL, detail TEXT, raw TEXT, day INTEGER);"
    "CREATE INDEX rejects_day ON rejects(partner, day);"
    "CREATE TABLE statements(partner TEXT NOT NULL, period TEXT NOT NULL, kind TEXT,"
    "  first_day INTEGER NOT NULL, last_day INTEGER NOT NULL, status TEXT NOT NULL,"
    "  currency TEXT NOT NULL, exponent INTEGER NOT NULL, hold_reason TEXT,"
    "  ggr INTEGER, payable INTEGER, carry_in INTEGER, carry_out INTEGER,"
    "  transactions INTEGER, duplicates INTEGER, rejected INTEGER,"
    "  rules_sha256 TEXT, config_sha256 TEXT, json_sha256 TEXT,"
    "  PRIMARY KEY(partner, period));"
    "CREATE TABLE seen_ids(partner TEXT NOT NULL, file_id INTEGER NOT NULL,"
    "  last_day INTEGER NOT NULL, ids BLOB NOT NULL, PRIMARY KEY(partner, file_id)) WITHOUT ROWID;",
    /* 2: quarantine reasons, control-total mismatches, approvals */
    "ALTER TABLE files ADD COLUMN reason TEXT;"
    "ALTER TABLE files ADD COLUMN control TEXT;"
    "CREATE INDEX files_control ON files(partner) WHERE control IS NOT NULL;"
    "CREATE TABLE approvals(partner TEXT NOT NULL, period TEXT NOT NULL, approved TEXT NOT NULL,"
    "  user TEXT, hold_reason TEXT, PRIMARY KEY(partner, period));",
    /* 3: the run journal: a run's audit entry is stored with its commit and marked
     * audited once appended to audit.jsonl, so a crash in between is repaired */
    "ALTER TABLE runs ADD COLUMN audit TEXT;"
    "ALTER TABLE runs ADD COLUMN audited INTEGER NOT NULL DEFAULT 1;",
    /* 4: late data for final periods, settled in a later open period */
    "CREATE TABLE adjustments(id INTEGER PRIMARY KEY, partner TEXT NOT NULL,"
    "  origin TEXT NOT NULL, target TEXT NOT NULL, amount INTEGER NOT NULL"
    "  CHECK(typeof(amount) = 'integer'), detail TEXT, run_id INTEGER NOT NULL);"
    "CREATE INDEX adjustments_target ON adjustments(partner, target);",
    /* 5: restatements of final periods (late data, or a restated carry_in) */
    "CREATE TABLE restatements(id INTEGER PRIMARY KEY, partner TEXT NOT NULL,"
    "  period TEXT NOT NULL, first_day INTEGER NOT NULL, last_day INTEGER NOT NULL,"
    "  target TEXT NOT NULL, cause TEXT NOT NULL, files TEXT, lines TEXT NOT NULL,"
    "  carry_in INTEGER NOT NULL, payable INTEGER NOT NULL, carry_out INTEGER NOT NULL,"
    "  issued_payable INTEGER NOT NULL, issued_carry_out INTEGER NOT NULL,"
    "  previous_payable INTEGER NOT NULL, run_id INTEGER NOT NULL);"
    "CREATE INDEX restatements_period ON restatements(partner, period);"
    "CREATE INDEX restatements_target ON restatements(partner, target);"
    "CREATE TABLE restate_pending(partner TEXT NOT NULL, period TEXT NOT NULL,"
    "  first_day INTEGER NOT NULL, files TEXT, reason TEXT, PRIMARY KEY(partner, period));",
    /* 6: every row accounted for (per file and business day), and rejects of a period
     * already final reported in the exceptions of a later open period */
    "ALTER TABLE files ADD COLUMN rows_read INTEGER;"
    "ALTER TABLE files ADD COLUMN header_rows INTEGER;"
    "ALTER TABLE files ADD COLUMN control_rows INTEGER;"
    "ALTER TABLE files ADD COLUMN title_rows INTEGER;"
    "CREATE TABLE file_rows(file_id INTEGER NOT NULL, partner TEXT NOT NULL, day INTEGER,"
    "  settled INTEGER NOT NULL, duplicate INTEGER NOT NULL, rejected INTEGER NOT NULL,"
    "  skipped INTEGER NOT NULL);"
    "CREATE INDEX file_rows_day ON file_rows(partner, day);"
    "CREATE INDEX file_rows_file ON file_rows(file_id);"
    "ALTER TABLE rejects ADD COLUMN report TEXT;"
    "CREATE INDEX rejects_report ON rejects(partner, report) WHERE report IS NOT NULL;",
    /* 7: why an approval was given (settle approve --reason) */
    "ALTER TABLE approvals ADD COLUMN reason TEXT;",
    /* 8: the outputs a committed run has not yet renamed into place (state_outputs.c) */
    "CREATE TABLE run_outputs(run_id INTEGER NOT NULL, file TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL, PRIMARY KEY(run_id, file)) WITHOUT ROWID;",
    /* 9: seen ids stored in chunks of at most 65536 entries (1310720 bytes), several rows
     * per file, so neither writing nor loading them needs a file's whole set in memory;
     * the one-blob rows of versions 1-8 are split the same way */
    "CREATE TABLE seen_chunks(partner TEXT NOT NULL, file_id INTEGER NOT NULL,"
    "  chunk INTEGER NOT NULL, last_day INTEGER NOT NULL, ids BLOB NOT NULL,"
    "  PRIMARY KEY(partner, file_id, chunk));"
    "INSERT INTO seen_chunks(partner, file_id, chunk, last_day, ids)"
    "  WITH RECURSIVE c(partner, file_id, last_day, ids, k) AS ("
    "    SELECT partner, file_id, last_day, ids, 0 FROM seen_ids"
    "    UNION ALL SELECT partner, file_id, last_day, ids, k + 1 FROM c"
    "    WHERE (k + 1) * 1310720 < length(ids))"
    "  SELECT partner, file_id, k, last_day, substr(ids, k * 1310720 + 1, 1310720) FROM c;"
    "DROP TABLE seen_ids;"
    "ALTER TABLE seen_chunks RENAME TO seen_ids;",
    /* 10: the identity of each inbox file known to be processed (state_inbox.c) */
    "CREATE TABLE file_stats(partner TEXT NOT NULL, stat TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL, PRIMARY KEY(partner, stat)) WITHOUT ROWID;",
    /* 11: reconciliation (recon.h): ledger sums per partner and day; the open items of
     * each (partner, ledger, partition) as packed records in chunks; their counts and
     * amounts per day and side; matched sums per day; breaks with both sides known;
     * the reconciliation status a statement was settled with */
    "CREATE TABLE ledger_cells(partner TEXT NOT NULL, ledger TEXT NOT NULL,"
    "  day INTEGER NOT NULL, currency TEXT NOT NULL, game TEXT NOT NULL, type INTEGER NOT NULL,"
    "  total INTEGER NOT NULL CHECK(typeof(total) = 'integer'), count INTEGER NOT NULL,"
    "  PRIMARY KEY(partner, ledger, day, currency, game, type)) WITHOUT ROWID;"
    "CREATE TABLE recon_open(partner TEXT NOT NULL, ledger TEXT NOT NULL, part INTEGER NOT NULL,"
    "  chunk INTEGER NOT NULL, items BLOB NOT NULL, UNIQUE(partner, ledger, part, chunk));"
    "CREATE TABLE recon_open_days(partner TEXT NOT NULL, ledger TEXT NOT NULL,"
    "  day INTEGER NOT NULL, side INTEGER NOT NULL, currency TEXT NOT NULL,"
    "  count INTEGER NOT NULL, amount INTEGER NOT NULL CHECK(typeof(amount) = 'integer'),"
    "  PRIMARY KEY(partner, ledger, day, side, currency)) WITHOUT ROWID;"
    "CREATE TABLE recon_matched(partner TEXT NOT NULL, ledger TEXT NOT NULL,"
    "  day INTEGER NOT NULL, currency TEXT NOT NULL, count INTEGER NOT NULL,"
    "  amount INTEGER NOT NULL CHECK(typeof(amount) = 'integer'),"
    "  PRIMARY KEY(partner, ledger, day, currency)) WITHOUT ROWID;"
    "CREATE TABLE recon_breaks(id INTEGER PRIMARY KEY, partner TEXT NOT NULL,"
    "  ledger TEXT NOT NULL, day INTEGER NOT NULL, kind TEXT NOT NULL, tx_id TEXT NOT NULL,"
    "  currency TEXT NOT NULL, ledger_currency TEXT NOT NULL,"
    "  partner_amount INTEGER, ledger_amount INTEGER, ledger_day INTEGER,"
    "  partner_file INTEGER, partner_line INTEGER, ledger_file INTEGER, ledger_line INTEGER,"
    "  run_id INTEGER NOT NULL);"
    "CREATE INDEX recon_breaks_day ON recon_breaks(partner, ledger, day);"
    "ALTER TABLE statements ADD COLUMN recon_status TEXT;",
    /* 12: the number of reconciliation breaks a statement was settled with (summaries);
     * the ids that are ledgers, so `settle status` shows them as ledgers */
    "ALTER TABLE statements ADD COLUMN recon_breaks INTEGER;"
    "CREATE TABLE ledger_ids(id TEXT PRIMARY KEY) WITHOUT ROWID;",
};

#define STATE_SCHEMA_VERSION (int)(sizeof migrations / sizeof migrations[0])

/* Records the SQLite error message of the store's connection. */
int state_fail(state *s, const char *what)
{
    snprintf(s->err, sizeof s->err, "%s: %s", what, sqlite3_errmsg(s->db));
    return -1;
}

const char *state_error(const state *s)
{
    return s->err;
}

/* Runs SQL text without results. */
int state_exec(state *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    snprintf(s->err, sizeof s->err, "state: %s", msg ? msg : "error");
    sqlite3_free(msg);
    return -1;
}

/* The cached prepared statement for `sql` (keyed by its slot), reset and unbound. */
sqlite3_stmt *state_stmt(state *s, int slot, const char *sql)
{
    sqlite3_stmt *st = s->stmts[slot];
    if (!st && sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        state_fail(s, "state: prepare");
        return NULL;
    }
    s->stmts[slot] = st;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

/* Steps a statement expected to finish without rows. */
int state_done(state *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : state_fail(s, "state: write");
}

void state_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

int state_each_day(state *s, sqlite3_stmt *st, int (*fn)(void *ctx, int32_t day), void *ctx)
{
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
        stop = fn(ctx, sqlite3_column_int(st, 0));
    sqlite3_reset(st);
    return stop ? stop : (rc == SQLITE_DONE ? 0 : state_fail(s, "state: days"));
}

sqlite3_stmt *state_period_query(state *s, int slot, const char *sql, const char *partner,
                                 int32_t first, int32_t last)
{
    sqlite3_stmt *st = state_stmt(s, slot, sql);
    if (st) {
        state_bind_text(st, 1, partner);
        sqlite3_bind_int(st, 2, first);
        sqlite3_bind_int(st, 3, last);
    }
    return st;
}

int state_each_pair(state *s, sqlite3_stmt *st,
                    int (*fn)(void *ctx, const char *a, const char *b), void *ctx)
{
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
        stop = fn(ctx, (const char *)sqlite3_column_text(st, 0),
                  (const char *)sqlite3_column_text(st, 1));
    sqlite3_reset(st);
    return stop ? stop : (rc == SQLITE_DONE ? 0 : state_fail(s, "state: read"));
}

/* Reads the schema version stored in PRAGMA user_version. */
static int state_version(state *s, int *version)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return state_fail(s, "state: version");
    *version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return 0;
}

/* The message for a schema version this settle cannot use as it is (v != current). */
static void state_version_error(int v, char *err, size_t errlen)
{
    if (v < STATE_SCHEMA_VERSION)
        snprintf(err, errlen, "state schema version %d is older than this settle's (%d); "
                 "the next `settle run` upgrades it", v, STATE_SCHEMA_VERSION);
    else
        snprintf(err, errlen, "state schema version %d is newer than this settle (%d); "
                 "use a newer settle", v, STATE_SCHEMA_VERSION);
}

/* Applies every migration newer than the stored version and stamps settle's
 * application_id (a state made before it had none), atomically. */
static int state_migrate(state *s, bool stamped)
{
    int v = 0;
    if (state_version(s, &v) != 0)
        return -1;
    if (v > STATE_SCHEMA_VERSION) {
        state_version_error(v, s->err, sizeof s->err);
        return -1;
    }
    if (v == STATE_SCHEMA_VERSION && stamped)
        return 0;
    if (state_exec(s, "BEGIN IMMEDIATE") != 0)
        return -1;
    for (; v < STATE_SCHEMA_VERSION; v++)
        if (state_exec(s, migrations[v]) != 0) {
            state_exec(s, "ROLLBACK");
            return -1;
        }
    char sql[96];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d; PRAGMA application_id = %d; COMMIT",
             STATE_SCHEMA_VERSION, STATE_APPLICATION_ID);
    return state_exec(s, sql);
}

/*
 * The page size of a new state: 64 KiB, SQLite's largest. A run writes its
 * seen ids (about 20 bytes an id) in large chunks; with 4 KiB pages a 5M-row
 * drop took 50,000 page writes to the WAL and as many again to checkpoint
 * them. A state made before keeps its own page size.
 */
#define SETTLE_PAGE_SIZE "65536"

/*
 * Opens the database at `path` and brings its schema up to date. `fresh`: a new,
 * empty database (in memory, or the file state_create just made); otherwise the
 * file must already be settle's (state_identity) before anything is written.
 */
static state *state_open_path(const char *path, bool fresh, char *err, size_t errlen)
{
    state *s = xcalloc(1, sizeof *s);
    bool stamped = false;
    int schema;
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | (fresh ? SQLITE_OPEN_CREATE : 0),
                             NULL);
    if (rc != SQLITE_OK || state_exec(s, "PRAGMA busy_timeout=5000") != 0 ||
        (!fresh && state_identity(s, path, &stamped, &schema) != 0) ||
        (fresh && state_exec(s, "PRAGMA page_size=" SETTLE_PAGE_SIZE) != 0) ||
        state_exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                      "PRAGMA foreign_keys=ON") != 0 ||
        state_migrate(s, stamped) != 0) {
        snprintf(err, errlen, "%s", s->db ? (s->err[0] ? s->err : sqlite3_errmsg(s->db)) : "state: open");
        state_close(s);
        return NULL;
    }
    return s;
}

/* Removes what a killed state_create may have left of `tmp`. */
static void state_create_cleanup(const char *tmp)
{
    const char *suffix[] = {"", "-journal", "-wal", "-shm"};
    for (int i = 0; i < 4; i++) {
        char *p = xasprintf("%s%s", tmp, suffix[i]);
        unlink(p);
        free(p);
    }
}

/*
 * Makes a new state at `path`: built complete as <dir>/.settle.db.new (mode
 * 0640) and renamed into place, so settle.db is never empty or half made, even
 * after a crash. 0, or -1 with err.
 */
static int state_create(const char *dir, const char *path, char *err, size_t errlen)
{
    char *tmp = path_join(dir, ".settle.db.new");
    state_create_cleanup(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
    int rc = -1;
    if (fd < 0 || fchmod(fd, 0640) != 0 || close(fd) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
    } else {
        state *s = state_open_path(tmp, true, err, errlen);
        state_close(s); /* checkpoints and removes the WAL */
        if (s && (rename(tmp, path) != 0 || fsync_dir(dir) != 0))
            snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        else if (s)
            rc = 0;
    }
    if (rc != 0)
        state_create_cleanup(tmp);
    free(tmp);
    return rc;
}

/* True when nothing at all (not even a dangling link) is at path. */
static bool state_missing(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) != 0 && errno == ENOENT;
}

state *state_open(const char *dir, char *err, size_t errlen)
{
    if (mkdir_p(dir) != 0) {
        snprintf(err, errlen, "cannot create state folder %s: %s", dir, strerror(errno));
        return NULL;
    }
    char *path = path_join(dir, "settle.db");
    state *s = NULL;
    int rc = state_missing(path) ? state_create(dir, path, err, errlen)
                                 : state_file_check(path, err, errlen);
    if (rc == 0)
        s = state_open_path(path, false, err, errlen);
    if (s)
        state_file_private(path);
    free(path);
    return s;
}

state *state_open_memory(char *err, size_t errlen)
{
    return state_open_path(":memory:", true, err, errlen);
}

bool state_exists(const char *dir)
{
    char *path = path_join(dir, "settle.db");
    bool yes = !state_missing(path);
    free(path);
    return yes;
}

state *state_open_readonly(const char *dir, char *err, size_t errlen)
{
    char *path = path_join(dir, "settle.db");
    if (state_missing(path)) {
        snprintf(err, errlen, "no state yet: %s does not exist (no run has been recorded)", path);
        free(path);
        return NULL;
    }
    if (state_file_check(path, err, errlen) != 0) {
        free(path);
        return NULL;
    }
    state *s = xcalloc(1, sizeof *s);
    /* Read-write without CREATE, then query_only: a READONLY connection to a WAL
     * database leaves -wal/-shm files behind that it cannot remove on close. */
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE, NULL);
    bool stamped;
    int v = 0;
    if (rc != SQLITE_OK || state_exec(s, "PRAGMA busy_timeout=5000; PRAGMA query_only=ON") != 0 ||
        state_identity(s, path, &stamped, &v) != 0) {
        snprintf(err, errlen, "%s", s->db ? (s->err[0] ? s->err : sqlite3_errmsg(s->db)) : "state: open");
        state_close(s);
        s = NULL;
    } else if (v != STATE_SCHEMA_VERSION) {
        state_version_error(v, err, errlen);
        state_close(s);
        s = NULL;
    }
    free(path);
    return s;
}

void state_close(state *s)
{
    if (!s)
        return;
    for (int i = 0; i < STMT_COUNT; i++)
        sqlite3_finalize(s->stmts[i]);
    sqlite3_close(s->db);
    free(s);
}

int state_begin(state *s)
{
    return state_exec(s, "BEGIN IMMEDIATE");
}

int state_commit(state *s)
{
    return state_exec(s, "COMMIT");
}

void state_rollback(state *s)
{
    char keep[sizeof s->err];
    memcpy(keep, s->err, sizeof keep);
    state_exec(s, "ROLLBACK");
    memcpy(s->err, keep, sizeof keep);
}

/* Reads the stored dedup key; creates a random one on first use. */
int state_dedup_key(state *s, dedup_key *k)
{
    sqlite3_stmt *st = state_stmt(s, STMT_KEY_GET, "SELECT value FROM meta WHERE key='dedup_key'");
    if (!st)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == (int)sizeof *k) {
        memcpy(k, sqlite3_column_blob(st, 0), sizeof *k);
        sqlite3_reset(st);
        return 0;
    }
    sqlite3_reset(st);
    if (getrandom(k, sizeof *k, 0) != (ssize_t)sizeof *k) {
        snprintf(s->err, sizeof s->err, "state: no randomness for the dedup key");
        return -1;
    }
    st = state_stmt(s, STMT_KEY_PUT, "INSERT INTO meta(key, value) VALUES('dedup_key', ?)");
    if (!st)
        return -1;
    sqlite3_bind_blob(st, 1, k, sizeof *k, SQLITE_TRANSIENT);
    return state_done(s, st);
}

int state_run_begin(state *s, const char *started_utc, int64_t *run_id)
{
    sqlite3_stmt *st = state_stmt(s, STMT_RUN_BEGIN, "INSERT INTO runs(started) VALUES(?)");
    if (!st)
        return -1;
    state_bind_text(st, 1, started_utc);
    if (state_done(s, st) != 0)
        return -1;
    *run_id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

int state_run_end(state *s, int64_t run_id, const char *finished_utc, int exit_code,
                  const char *summary)
{
    sqlite3_stmt *st = state_stmt(s, STMT_RUN_END,
                                  "UPDATE runs SET finished=?, exit_code=?, summary=? WHERE id=?");
    if (!st)
        return -1;
    state_bind_text(st, 1, finished_utc);
    sqlite3_bind_int(st, 2, exit_code);
    state_bind_text(st, 3, summary);
    sqlite3_bind_int64(st, 4, run_id);
    return state_done(s, st);
}

int state_run_journal(state *s, int64_t run_id, const char *audit_fields)
{
    sqlite3_stmt *st = state_stmt(s, STMT_RUN_JOURNAL,
                                  "UPDATE runs SET audit=?, audited=0 WHERE id=?");
    if (!st)
        return -1;
    state_bind_text(st, 1, audit_fields);
    sqlite3_bind_int64(st, 2, run_id);
    return state_done(s, st);
}

int state_run_unaudited(state *s, int64_t *run_id, char **audit_fields)
{
    sqlite3_stmt *st = state_stmt(s, STMT_RUN_UNAUDITED,
                                  "SELECT id, audit FROM runs WHERE audited=0 AND audit IS NOT "
                                  "NULL ORDER BY id LIMIT 1");
    if (!st)
        return -1;
    *run_id = 0;
    *audit_fields = NULL;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *run_id = sqlite3_column_int64(st, 0);
        *audit_fields = xstrdup((const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : state_fail(s, "state: runs");
}

int state_run_audited(state *s, int64_t run_id)
{
    sqlite3_stmt *st = state_stmt(s, STMT_RUN_AUDITED,
                                  "UPDATE runs SET audited=1, audit=NULL WHERE id=?");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, run_id);
    return state_done(s, st);
}

/* Steps a bound files query: *seen when it has a row; resets st. -1 on failure. */
static int file_row_exists(state *s, sqlite3_stmt *st, bool *seen)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return state_fail(s, "state: files");
    *seen = rc == SQLITE_ROW;
    return 0;
}

int state_file_seen(state *s, const char *partner, const char *sha256, bool *seen)
{
    sqlite3_stmt *st = state_stmt(s, STMT_FILE_SEEN,
                                  "SELECT 1 FROM files WHERE partner=? AND sha256=? "
                                  "AND outcome='processed'");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    state_bind_text(st, 2, sha256);
    return file_row_exists(s, st, seen);
}

int state_file_size_seen(state *s, const char *partner, int64_t size, bool *seen)
{
    sqlite3_stmt *st = state_stmt(s, STMT_FILE_SIZE,
                                  "SELECT 1 FROM files WHERE partner=? AND size=? "
                                  "AND outcome='processed' LIMIT 1");
    if (!st)
        return -1;
    state_bind_text(st, 1, partner);
    sqlite3_bind_int64(st, 2, size);
    return file_row_exists(s, st, seen);
}

int state_file_add(state *s, int64_t run_id, const char *partner, const char *path,
                   const char *sha256, int64_t size, int64_t *file_id)
{
    sqlite3_stmt *st = state_stmt(s, STMT_FILE_ADD,
                                  "INSERT INTO files(run_id, partner, path, sha256, size) "
                                  "VALUES(?,?,?,?,?)");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, run_id);
    state_bind_text(st, 2, partner);
    state_bind_text(st, 3, path);
    state_bind_text(st, 4, sha256);
    sqlite3_bind_int64(st, 5, size);
    if (state_done(s, st) != 0)
        return -1;
    *file_id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

int state_file_finish(state *s, int64_t file_id, const file_counts *c, const char *outcome)
{
    sqlite3_stmt *st = state_stmt(s, STMT_FILE_FINISH,
                                  "UPDATE files SET outcome=?, rows=?, transactions=?, "
                                  "duplicates=?, rejected=? WHERE id=?");
    if (!st)
        return -1;
    state_bind_text(st, 1, outcome);
    sqlite3_bind_int64(st, 2, c->rows);
    sqlite3_bind_int64(st, 3, c->transactions);
    sqlite3_bind_int64(st, 4, c->duplicates);
    sqlite3_bind_int64(st, 5, c->rejected);
    sqlite3_bind_int64(st, 6, file_id);
    return state_done(s, st);
}
