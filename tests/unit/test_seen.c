/*
 * test_seen.c - the seen id store against a plain reference (one slot per id
 * number) on ~2 million ids with a 64 KB budget, so the table spills about
 * a thousand times and the runs merge over several levels: NEW, REPEAT and
 * CONFLICT answers, seen_unadd, undone files, journals longer than one chunk,
 * and the ids of committed files stored in a real state and loaded back with a
 * look-back window. Ids are SipHash digests of ordinary, long and binary ids,
 * and crafted digests: all zero, hundreds sharing one hi word (ties across a
 * run's blocks), hi words at the very top and bottom (table wrap-around).
 */
#include <dirent.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "dedup.h"
#include "seen.h"
#include "state.h"
#include "util.h"

#define N_IDS 2400000u
#define N_FILES 240u

static const dedup_key key = {0x0123456789abcdefull, 0xfedcba9876543210ull};

/* The digest of id number n (distinct for distinct n). */
static dedup_digest digest_of(uint32_t n)
{
    if (n == 0)
        return (dedup_digest){0, 0};
    if (n % 16 == 15 && n < 16 * 700)
        return (dedup_digest){n, 0x5555555555555555ull}; /* 700 share one hi */
    if (n % 16 == 14)
        return (dedup_digest){n, UINT64_MAX - (n >> 6)};
    if (n % 16 == 13)
        return (dedup_digest){~(uint64_t)n, n >> 4};
    char id[256];
    size_t len;
    if (n % 4 == 0) {
        len = (size_t)snprintf(id, sizeof id, "tx-%u", n);
    } else if (n % 4 == 1) {
        memset(id, 'A', 200);
        len = 200 + (size_t)snprintf(id + 200, sizeof id - 200, "%u", n);
    } else {
        id[0] = 0;
        memcpy(id + 1, &n, 4);
        id[5] = 0;
        len = n % 4 == 2 ? 6 : 8; /* embedded and trailing NULs */
        id[6] = id[7] = 0;
    }
    return dedup_siphash128(&key, id, len);
}

static uint32_t fp_of(uint32_t n)
{
    return (uint32_t)(n * 2654435761u) & 0xfffffff0u; /* fingerprint 0 included (n = 0) */
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* The reference: per id number, the file that added it (0: absent) and its fingerprint. */
static uint32_t *ref_file, *ref_fp;
static uint8_t ref_void[N_FILES + 1];
static uint32_t *file_ids[N_FILES + 1]; /* ids each file added, in order */
static size_t file_n[N_FILES + 1];

static bool ref_live(uint32_t n)
{
    return ref_file[n] && !ref_void[ref_file[n]];
}

/* Collects a file's chunks and checks them against the ids it added. */
typedef struct chunk_check {
    uint32_t f;
    size_t at, chunks;
    bool ok;
    state *st;
} chunk_check;

static int on_chunk(void *ctx, const void *records, size_t n_bytes)
{
    chunk_check *c = ctx;
    const unsigned char *p = records;
    c->ok &= n_bytes % SEEN_RECORD == 0 && n_bytes <= (size_t)SEEN_CHUNK_IDS * SEEN_RECORD;
    for (size_t off = 0; off + SEEN_RECORD <= n_bytes; off += SEEN_RECORD, c->at++) {
        dedup_digest want = digest_of(file_ids[c->f][c->at]);
        uint32_t fp = fp_of(file_ids[c->f][c->at]);
        c->ok &= c->at < file_n[c->f] && memcmp(p + off, &want.lo, 8) == 0 &&
                 memcmp(p + off + 8, &want.hi, 8) == 0 && memcmp(p + off + 16, &fp, 4) == 0;
    }
    int rc = state_seen_add(c->st, "p", c->f, (int64_t)c->chunks++, (int32_t)(c->f / 10),
                            records, n_bytes);
    return rc;
}

/* One file's worth of checks; returns the number of mismatches. */
static size_t run_file(seen_store *s, uint32_t f, size_t ops, uint32_t *next_new)
{
    size_t bad = 0;
    seen_file_begin(s);
    file_ids[f] = malloc(ops * sizeof **file_ids);
    for (size_t i = 0; i < ops; i++) {
        uint64_t r = rng();
        bool fresh = *next_new < 64 || r % 20 < 17 || *next_new >= N_IDS;
        uint32_t n = fresh && *next_new < N_IDS ? (*next_new)++ : (uint32_t)((r >> 8) % *next_new);
        uint32_t fp = fp_of(n) ^ (r % 23 == 0); /* now and then a conflicting repeat */
        dedup_result want = !ref_live(n) ? DEDUP_NEW
                            : ref_fp[n] == fp ? DEDUP_REPEAT : DEDUP_CONFLICT;
        dedup_result got;
        if (seen_check(s, digest_of(n), fp, &got) != 0 || got != want) {
            bad++;
            continue;
        }
        if (got != DEDUP_NEW)
            continue;
        if (r % 97 == 0) { /* rejected after all: forgotten */
            seen_unadd(s, digest_of(n));
            continue;
        }
        if (fp != fp_of(n)) { /* keep the reference fingerprint rule simple */
            seen_unadd(s, digest_of(n));
            continue;
        }
        ref_file[n] = f;
        ref_fp[n] = fp;
        file_ids[f][file_n[f]++] = n;
    }
    return bad;
}

/* Runs every file, undoing some and storing the others' ids in the state. */
static void test_files(seen_store *s, state *st)
{
    size_t bad = 0, bad_chunks = 0, big_chunks = 0;
    uint32_t next_new = 0;
    CHECK(state_begin(st) == 0);
    for (uint32_t f = 1; f <= N_FILES; f++) {
        size_t ops = f % 50 == 7 ? 150000 : 4000 + rng() % 6000;
        bad += run_file(s, f, ops, &next_new);
        CHECK_EQ_INT(seen_file_count(s), file_n[f]);
        if (f % 9 == 4) {
            seen_file_undo(s);
            ref_void[f] = 1;
            continue;
        }
        chunk_check c = {f, 0, 0, true, st};
        CHECK_EQ_INT(seen_file_chunks(s, on_chunk, &c), 0);
        bad_chunks += !c.ok || c.at != file_n[f];
        big_chunks += c.chunks > 1;
    }
    CHECK(state_commit(st) == 0);
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(bad_chunks, 0);
    CHECK(big_chunks >= 3); /* journals past one chunk went through the journal file */
    seen_stats stats;
    seen_get_stats(s, &stats);
    CHECK(stats.spills > 500);
    CHECK(stats.merges > 100);
    CHECK(stats.runs < 40);
    CHECK(stats.table_bytes <= 64 << 10);
    /* every id once more: the live ones repeat, the undone and unadded ones are new now */
    size_t again = 0;
    for (uint32_t n = 0; n < next_new; n += 13) {
        dedup_result got, want = ref_live(n) ? DEDUP_REPEAT : DEDUP_NEW;
        again += seen_check(s, digest_of(n), fp_of(n), &got) != 0 || got != want;
    }
    CHECK_EQ_INT(again, 0);
}

/* state_seen_load's callback: one stored id into the store. */
static int load_one(void *ctx, const unsigned char *record)
{
    return seen_load(ctx, record);
}

/* Loads the window [since, ...] from the state into a fresh store and checks every id. */
static void test_load(const char *dir, state *st, int32_t since)
{
    char err[256];
    seen_store *s = seen_open(dir, 64 << 10, err, sizeof err);
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK_EQ_INT(state_seen_load(st, "p", since, load_one, s), 0);
    size_t bad = 0, repeats = 0;
    seen_file_begin(s);
    for (uint32_t n = 0; n < N_IDS; n += 11) {
        bool in = ref_live(n) && (int32_t)(ref_file[n] / 10) >= since;
        dedup_result got;
        bad += seen_check(s, digest_of(n), fp_of(n), &got) != 0 ||
               got != (in ? DEDUP_REPEAT : DEDUP_NEW);
        repeats += got == DEDUP_REPEAT;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(repeats > 1000);
    seen_close(s);
}

/* Counts loaded records and checks they come back in stored order. */
typedef struct load_check {
    size_t n;
    bool ok;
} load_check;

static int load_count(void *ctx, const unsigned char *record)
{
    load_check *c = ctx;
    dedup_digest want = digest_of((uint32_t)c->n);
    c->ok &= memcmp(record, &want.lo, 8) == 0 && memcmp(record + 8, &want.hi, 8) == 0;
    c->n++;
    return 0;
}

/* A version 8 state (one blob per file) is split into chunks by migration 9, in order. */
static void test_migration(void)
{
    char tmpl[] = "/tmp/test_seen_v4.XXXXXX", err[256];
    char *dir = mkdtemp(tmpl), *db = path_join(dir, "settle.db");
    state *st = state_open(dir, err, sizeof err);
    CHECK(st != NULL);
    state_close(st);
    const size_t n = 3 * SEEN_CHUNK_IDS + 17;
    unsigned char *blob = malloc(n * SEEN_RECORD);
    for (size_t i = 0; i < n; i++) {
        dedup_digest d = digest_of((uint32_t)i);
        memcpy(blob + i * SEEN_RECORD, &d.lo, 8);
        memcpy(blob + i * SEEN_RECORD + 8, &d.hi, 8);
        memset(blob + i * SEEN_RECORD + 16, 0, 4);
    }
    sqlite3 *h;
    sqlite3_stmt *ins = NULL;
    CHECK(sqlite3_open(db, &h) == SQLITE_OK);
    /* back to version 8: seen_ids as it was, and nothing of a later migration (10-12) */
    CHECK(sqlite3_exec(h, "DROP TABLE file_stats; DROP TABLE seen_ids;"
                          " DROP TABLE ledger_cells; DROP TABLE recon_open;"
                          " DROP TABLE recon_open_days; DROP TABLE recon_matched;"
                          " DROP TABLE recon_breaks; ALTER TABLE statements DROP COLUMN recon_status;"
                          " ALTER TABLE statements DROP COLUMN recon_breaks; DROP TABLE ledger_ids;"
                          " CREATE TABLE seen_ids(partner TEXT NOT NULL,"
                          " file_id INTEGER NOT NULL, last_day INTEGER NOT NULL, ids BLOB NOT NULL,"
                          " PRIMARY KEY(partner, file_id)) WITHOUT ROWID; PRAGMA user_version=8",
                       NULL, NULL, NULL) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(h, "INSERT INTO seen_ids VALUES('p', 1, 5, ?)", -1, &ins, NULL) ==
          SQLITE_OK);
    sqlite3_bind_blob(ins, 1, blob, (int)(n * SEEN_RECORD), SQLITE_STATIC);
    CHECK(sqlite3_step(ins) == SQLITE_DONE);
    sqlite3_finalize(ins);
    sqlite3_close(h);
    st = state_open(dir, err, sizeof err);
    CHECK(st != NULL);
    load_check c = {0, true};
    CHECK(st && state_seen_load(st, "p", 5, load_count, &c) == 0);
    CHECK_EQ_INT(c.n, n);
    CHECK(c.ok);
    CHECK(sqlite3_open(db, &h) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(h, "SELECT count(*), max(length(ids)) FROM seen_ids", -1, &ins,
                             NULL) == SQLITE_OK);
    CHECK(sqlite3_step(ins) == SQLITE_ROW);
    CHECK_EQ_INT(sqlite3_column_int(ins, 0), 4);
    CHECK_EQ_INT(sqlite3_column_int(ins, 1), SEEN_CHUNK_IDS * SEEN_RECORD);
    sqlite3_finalize(ins);
    sqlite3_close(h);
    state_close(st);
    free(blob);
    char *cmd = xasprintf("rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    free(cmd);
    free(db);
}

/* The temp folder: a killed run's is removed on open, the store's own on close. */
static void test_folder(const char *dir)
{
    char *tmp = path_join(dir, "seen.tmp"), *junk = path_join(tmp, "run-stale");
    CHECK(mkdir_p(tmp) == 0);
    CHECK(atomic_write(junk, "x", 1) == 0);
    char err[256];
    seen_store *s = seen_open(dir, 0, err, sizeof err);
    CHECK(s != NULL && access(tmp, F_OK) != 0);
    CHECK(s != NULL);
    if (s)
        seen_close(s);
    CHECK(access(tmp, F_OK) != 0);
    free(junk);
    free(tmp);
}

int main(void)
{
    char tmpl[] = "/tmp/test_seen.XXXXXX";
    char *dir = mkdtemp(tmpl), err[256];
    ref_file = calloc(N_IDS, sizeof *ref_file);
    ref_fp = calloc(N_IDS, sizeof *ref_fp);
    state *st = state_open(dir, err, sizeof err);
    seen_store *s = seen_open(dir, 64 << 10, err, sizeof err);
    CHECK(st != NULL && s != NULL);
    if (st && s) {
        test_files(s, st);
        seen_close(s);
        char *tmp = path_join(dir, "seen.tmp");
        CHECK(access(tmp, F_OK) != 0); /* removed with the store */
        free(tmp);
        test_load(dir, st, 0);
        test_load(dir, st, 12); /* files 1..119 are out of the window */
        test_folder(dir);
    }
    test_migration();
    state_close(st);
    for (uint32_t f = 0; f <= N_FILES; f++)
        free(file_ids[f]);
    free(ref_file);
    free(ref_fp);
    char *cmd = xasprintf("rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    free(cmd);
    return check_done();
}
