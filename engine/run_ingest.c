/*
 * run_ingest.c - the ingest stage of a run: for each partner, every new file
 * in <inbox>/<partner>/ is read, normalised, deduplicated and summed into
 * cells, with rejected rows kept in the state. A file counts all or nothing:
 * its state changes sit in a savepoint and its new ids are remembered in a
 * journal, both undone if the file turns out unreadable.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cells.h"
#include "ingest.h"
#include "normalise.h"
#include "run_int.h"
#include "timefmt.h"

/* Everything the row callback needs while one file is read. */
typedef struct file_ctx {
    run_ctx *rc;
    const partner_config *pc;
    normaliser *norm;
    dedup_set *seen;
    cell_map cells;
    sbuf journal;               /* ids first seen in this file: packed 20-byte entries */
    int32_t *days;              /* business days this file touched */
    size_t n_days, cap_days;
    const char *relpath;        /* "<partner>/<name>" */
    int64_t file_id;
    file_counts counts;
    const tz_zone *zone;        /* the partner's zone, for local timestamps */
    bool header_done, failed;   /* failed: the file is unusable (reason in err) */
    bool state_failed;          /* the state store failed: the run must stop */
    int32_t last_day;           /* latest day of a counted transaction, INT32_MIN when none */
    char err[256];
} file_ctx;

/* Remembers a business day of this file (a handful per file). */
static void file_note_day(file_ctx *f, int32_t day)
{
    for (size_t i = f->n_days; i-- > 0;)
        if (f->days[i] == day)
            return;
    if (f->n_days == f->cap_days) {
        f->cap_days = f->cap_days ? f->cap_days * 2 : 8;
        f->days = xrealloc(f->days, f->cap_days * sizeof *f->days);
    }
    f->days[f->n_days++] = day;
}

#define SEEN_ENTRY 20 /* packed journal entry: digest lo, hi (8+8 bytes), fingerprint (4) */

/* Records an id first seen in this file: to undo a failed file, and for later runs. */
static void file_journal(file_ctx *f, dedup_digest d, uint32_t fp)
{
    unsigned char e[SEEN_ENTRY];
    memcpy(e, &d.lo, 8);
    memcpy(e + 8, &d.hi, 8);
    memcpy(e + 16, &fp, 4);
    sbuf_add(&f->journal, e, sizeof e);
}

/* Unpacks a journal entry. */
static void seen_unpack(const unsigned char *e, dedup_digest *d, uint32_t *fp)
{
    memcpy(&d->lo, e, 8);
    memcpy(&d->hi, e + 8, 8);
    memcpy(fp, e + 16, 4);
}

/* Remembers one id stored by an earlier run (callback of state_seen_load). */
static void seen_remember(void *ctx, const unsigned char *e)
{
    dedup_digest d;
    uint32_t fp;
    seen_unpack(e, &d, &fp);
    dedup_check(ctx, d, fp);
}

/* Stores one rejected row in the state. */
static int file_reject(file_ctx *f, const ingest_row *row, slice id, reject_code code,
                       const char *detail, int32_t day)
{
    char *id_s = xstrndup(id.p, id.n), *raw = xstrndup(row->raw.p, row->raw.n);
    reject_row r = {f->pc->id, f->relpath, id_s, reject_code_name(code), detail, raw,
                    row->line, day};
    int rc = state_reject_add(f->rc->st, f->file_id, &r);
    if (day != INT32_MIN) /* its period reports the reject even with no good row */
        run_touch(f->rc, (size_t)(f->pc - f->rc->cfg->partners), day, true);
    free(id_s);
    free(raw);
    f->counts.rejected++;
    return rc;
}

/* What a transaction was, folded to 32 bits, to tell re-sends from conflicts. */
static uint32_t txn_fingerprint(const txn *t, const strmap *currencies)
{
    const char *cur = strmap_str(currencies, (uint32_t)t->currency);
    uint64_t h = hash_bytes(&t->amount, sizeof t->amount, (uint64_t)t->type * 0x9e37u + 1);
    return (uint32_t)(h ^ hash_bytes(cur, 3, h));
}

/* Dedups and sums one transaction; rejects a conflicting repeat. */
static int file_take_txn(file_ctx *f, const ingest_row *row, const txn *t)
{
    dedup_digest d = dedup_siphash128(&f->rc->key, t->id.p, t->id.n);
    uint32_t fp = txn_fingerprint(t, f->cells.currencies);
    dedup_result r = dedup_check(f->seen, d, fp);
    if (r == DEDUP_REPEAT) {
        f->counts.duplicates++;
        cell_map_add_duplicate(&f->cells, t->day);
        file_note_day(f, t->day);
        return 0;
    }
    if (r == DEDUP_CONFLICT)
        return file_reject(f, row, t->id, REJ_DUPLICATE_CONFLICT,
                           "id was seen before with a different type, amount or currency", t->day);
    cell_key k = {t->day, strmap_intern(f->cells.categories, t->category.p, t->category.n),
                  strmap_intern(f->cells.games, t->game.p, t->game.n), (uint16_t)t->currency,
                  (uint8_t)t->type, 0};
    if (!cell_map_add(&f->cells, &k, t->amount)) {
        dedup_remove(f->seen, d);
        return file_reject(f, row, t->id, REJ_OVERFLOW, "sum of the day overflows", t->day);
    }
    file_journal(f, d, fp);
    f->counts.transactions++;
    file_note_day(f, t->day);
    if (t->day > f->last_day || f->last_day == INT32_MIN)
        f->last_day = t->day;
    return 0;
}

/* The header row: resolve columns, or mark the file unusable. */
static int file_header(file_ctx *f, const ingest_row *row)
{
    f->header_done = true;
    if (normaliser_start_file(f->norm, row, f->err, sizeof f->err) == 0)
        return 0;
    f->failed = true;
    return 1;
}

/* Row callback of the reader: normalise, dedup, sum or reject. */
static int file_row(void *ctx, const ingest_row *row)
{
    file_ctx *f = ctx;
    if (row->is_header)
        return file_header(f, row);
    if (!f->header_done && file_header(f, NULL) != 0)
        return 1;
    f->counts.rows++;
    txn out[TX_TYPE_COUNT];
    size_t n;
    norm_reject rej;
    int rc = 0;
    if (normalise_row(f->norm, row, out, &n, &rej) != 0)
        rc = file_reject(f, row, rej.id, rej.code, rej.detail, rej.day);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = file_take_txn(f, row, &out[i]);
    f->state_failed = rc != 0;
    return rc != 0 ? 2 : 0;
}

/* Undoes a failed file: its ids are forgotten, its state rolled back. */
static void file_undo(file_ctx *f)
{
    for (size_t off = 0; off + SEEN_ENTRY <= f->journal.len; off += SEEN_ENTRY) {
        dedup_digest d;
        uint32_t fp;
        seen_unpack((const unsigned char *)f->journal.buf + off, &d, &fp);
        dedup_remove(f->seen, d);
    }
    state_savepoint_rollback(f->rc->st);
}

/* Commits a read file's cells, days and counts into the state. */
static int file_commit(file_ctx *f, size_t pi)
{
    state *st = f->rc->st;
    if (f->last_day != INT32_MIN && state_rejects_fill_day(st, f->file_id, f->last_day) != 0)
        return -1;
    f->rc->unattributed |= f->last_day == INT32_MIN && f->counts.rejected > 0;
    if (f->last_day != INT32_MIN && f->counts.rejected > 0)
        run_touch(f->rc, pi, f->last_day, true);
    if (state_cells_add(st, f->pc->id, &f->cells) != 0)
        return -1;
    if (f->journal.len && state_seen_add(st, f->pc->id, f->file_id, f->last_day,
                                         f->journal.buf, f->journal.len) != 0)
        return -1;
    for (size_t i = 0; i < f->n_days; i++) {
        if (state_file_day(st, f->pc->id, f->days[i], f->file_id) != 0)
            return -1;
        run_touch(f->rc, pi, f->days[i], true);
    }
    if (state_file_finish(st, f->file_id, &f->counts, "processed") != 0)
        return -1;
    return state_savepoint_release(st);
}

/* Adds the file's audit record to the run's list. */
static void file_audit(file_ctx *f, const char *sha, const char *outcome)
{
    sbuf *b = &f->rc->audit_files;
    sbuf_adds(b, b->len ? ",{\"file\":" : "{\"file\":");
    sbuf_add_json_str(b, f->relpath, strlen(f->relpath));
    sbuf_addf(b, ",\"sha256\":\"%s\",\"outcome\":\"%s\"", sha, outcome);
    if (strcmp(outcome, "skipped") != 0)
        sbuf_addf(b, ",\"rows\":%lld,\"transactions\":%lld,\"duplicates\":%lld,\"rejected\":%lld",
                  (long long)f->counts.rows, (long long)f->counts.transactions,
                  (long long)f->counts.duplicates, (long long)f->counts.rejected);
    if (f->failed) {
        sbuf_adds(b, ",\"reason\":");
        sbuf_add_json_str(b, f->err, strlen(f->err));
    }
    sbuf_addc(b, '}');
}

/* Adds the file's counts to the run's totals. */
static void file_totals(run_ctx *rc, const file_ctx *f)
{
    rc->totals.files++;
    rc->totals.rows += f->counts.rows;
    rc->totals.transactions += f->counts.transactions;
    rc->totals.duplicates += f->counts.duplicates;
    rc->totals.rejected += f->counts.rejected;
}

/* Reads one file (already known to be new) into the state. -1 on state failure. */
static int file_process(file_ctx *f, size_t pi, const char *path, const char *sha, int64_t size)
{
    run_ctx *rc = f->rc;
    if (state_savepoint(rc->st) != 0 ||
        state_file_add(rc->st, rc->run_id, f->pc->id, f->relpath, sha, size, &f->file_id) != 0)
        return -1;
    ingest_stats stats;
    int r = ingest_csv_file(path, &f->pc->csv, file_row, f, &stats, f->err, sizeof f->err);
    if (f->state_failed)
        return -1;
    if (r < 0 || f->failed) {
        f->failed = true;
        fprintf(stderr, "settle: %s: unreadable, not counted: %s\n", f->relpath, f->err);
        file_undo(f);
        rc->totals.files_failed++;
        file_audit(f, sha, "unreadable");
        return 0;
    }
    if (file_commit(f, pi) != 0)
        return -1;
    file_totals(rc, f);
    file_audit(f, sha, "processed");
    return 0;
}

/* Frees the per-file parts of the context and readies it for the next file. */
static void file_reset(file_ctx *f)
{
    cell_map_free(&f->cells);
    sbuf_free(&f->journal);
    free(f->days);
    f->days = NULL;
    f->n_days = f->cap_days = 0;
    memset(&f->counts, 0, sizeof f->counts);
    f->header_done = f->failed = f->state_failed = false;
    f->last_day = INT32_MIN;
    f->err[0] = 0;
}

/* Hashes, skips when already processed, else processes one file. */
static int partner_file(file_ctx *f, size_t pi, const char *dir, const char *name)
{
    char *path = path_join(dir, name);
    char *rel = xasprintf("%s/%s", f->pc->id, name);
    unsigned char digest[32];
    char sha[65];
    struct stat sb;
    int rc = 0;
    file_reset(f);
    cell_map_init(&f->cells);
    normaliser_free(f->norm);
    f->norm = normaliser_new(f->pc, f->zone, f->rc->business_zone,
                             f->rc->cfg->day_starts_at, f->cells.currencies);
    f->relpath = rel;
    if (stat(path, &sb) != 0 || sha256_file(path, digest) != 0) {
        fprintf(stderr, "settle: %s: cannot read: %s\n", rel, strerror(errno));
        f->rc->totals.files_failed++;
    } else {
        bool seen;
        sha256_hex(digest, sha);
        rc = state_file_seen(f->rc->st, f->pc->id, sha, &seen);
        if (rc == 0 && seen) {
            f->rc->totals.files_skipped++;
            file_audit(f, sha, "skipped");
        } else if (rc == 0) {
            rc = file_process(f, pi, path, sha, (int64_t)sb.st_size);
        }
    }
    free(path);
    free(rel);
    return rc;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the regular, non-hidden files of `dir` matching `glob`, sorted bytewise. */
static char **list_drops(const char *dir, const char *glob, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **names = NULL;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || fnmatch(glob, e->d_name, 0) != 0)
            continue;
        char *p = path_join(dir, e->d_name);
        struct stat sb;
        bool regular = stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
        free(p);
        if (!regular)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            names = xrealloc(names, cap * sizeof *names);
        }
        names[(*n)++] = xstrdup(e->d_name);
    }
    closedir(d);
    qsort(names, *n, sizeof *names, name_cmp);
    return names;
}

int run_ingest_partner(run_ctx *rc, size_t pi)
{
    const partner_config *pc = &rc->cfg->partners[pi];
    char *dir = path_join(rc->cfg->paths.inbox, pc->id);
    size_t n;
    char **names = list_drops(dir, pc->files ? pc->files : "*", &n);
    char zerr[128];
    tz_zone *zone = tz_load(pc->timezone, zerr, sizeof zerr); /* validated by config_load */
    file_ctx f = {.rc = rc, .pc = pc, .seen = dedup_new(0), .last_day = INT32_MIN, .zone = zone};
    int result = zone ? 0 : -1;
    if (result == 0)
        result = state_seen_load(rc->st, pc->id, rc->today - pc->lookback_days, seen_remember,
                                 f.seen);
    for (size_t i = 0; i < n; i++) {
        if (result == 0)
            result = partner_file(&f, pi, dir, names[i]);
        free(names[i]);
    }
    file_reset(&f);
    normaliser_free(f.norm);
    dedup_free(f.seen);
    tz_free(zone);
    free(names);
    free(dir);
    return result;
}
