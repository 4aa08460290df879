/*
 * run_ingest.c - the ingest stage of a run: for each partner, every new file
 * in <inbox>/<partner>/ is read, normalised, deduplicated and summed into
 * cells, with rejected rows kept in the state. A file counts all or nothing:
 * its state changes sit in a savepoint and its new ids in the seen id store
 * carry its file number, both undone if the file turns out unreadable (it is
 * then queued for quarantine, run_drops.c). Control totals, when the partner
 * declares them, are checked here; a mismatch is stored and holds the file's
 * periods.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cells.h"
#include "run_ingest_int.h"
#include "seen.h"
#include "timefmt.h"

/* The fewest bytes a drop's row takes, to size the seen id table from the file's size:
 * an estimate on the high side of the ids (a gzip file gives too few: the table grows). */
#define SEEN_ROW_BYTES_MIN 40

/* Everything the row callback needs while one file is read. */
typedef struct file_ctx {
    run_ctx *rc;
    const partner_config *pc;
    file_prod prod;             /* reads and normalises (run_ingest_batch.c) */
    seen_store *seen;           /* the partner's seen ids; journals this file's new ones */
    bool seen_loaded;           /* the look-back window's stored ids are in `seen` */
    cell_map cells;
    int32_t *days;              /* business days this file touched */
    size_t n_days, cap_days;
    const char *relpath;        /* "<partner>/<name>" */
    char stat_key[STATE_STAT_KEY]; /* its identity (state_inbox.c) */
    bool by_identity;           /* skipped as known by its identity, not read */
    int64_t file_id;
    int64_t id_chunks;          /* seen_ids rows stored for this file so far */
    file_counts counts;
    bool failed;                /* the file is unusable (reason in err) */
    bool state_failed;          /* the state store failed: the run must stop */
    int32_t last_day;           /* latest day of a counted transaction, INT32_MIN when none */
    char err[256];
    /* the rule's transaction hook */
    bool hook;                  /* the partner's rule has one: a batch is open per file */
    bool hook_failed;           /* it raised: the file is not counted and stays in the inbox */
    int64_t skipped_by_rule;    /* rejects the hook asked for (counted in counts.rejected) */
    /* row accounting (run_rows.c) and the rejects by reason (dry run) */
    rows_acc rows;
    int64_t by_reason[REJ_CODE_COUNT];
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

/* Remembers one id stored by an earlier run (callback of state_seen_load). */
static int seen_remember(void *ctx, const unsigned char *record)
{
    file_ctx *f = ctx;
    if (seen_load(f->seen, record) == 0)
        return 0;
    fprintf(stderr, "settle: %s: %s\n", f->pc->id, seen_error(f->seen));
    return -1;
}

/* Stores one rejected row in the state. */
static int file_reject(file_ctx *f, const bx_row *row, slice id, reject_code code,
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
    f->by_reason[code]++;
    return rc;
}

/*
 * Dedups and sums one transaction (d: its id's digest, fp: its fingerprint,
 * both computed by the producer); rejects a conflicting repeat.
 */
static int file_take_txn(file_ctx *f, const bx_row *row, const txn *t, dedup_digest d,
                         uint32_t fp)
{
    dedup_result r;
    if (seen_check(f->seen, d, fp, &r) != 0) {
        fprintf(stderr, "settle: %s: %s\n", f->relpath, seen_error(f->seen));
        return -1;
    }
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
        seen_unadd(f->seen, d);
        return file_reject(f, row, t->id, REJ_OVERFLOW, "sum of the day overflows", t->day);
    }
    f->counts.transactions++;
    file_note_day(f, t->day);
    if (t->day > f->last_day || f->last_day == INT32_MIN)
        f->last_day = t->day;
    return 0;
}

/*
 * Hands one transaction to the rule's transaction hook, then skips, changes
 * or takes it. Returns file_take_txn's result, or 1 when the hook failed
 * (message in f->err).
 */
static int file_hooked_txn(file_ctx *f, const bx_row *row, const bx_txn *x)
{
    txn tx = x->t, *t = &tx;
    uint32_t fp = x->fp;
    rules_tx_in in = {t->id, t->game, t->category, t->player, t->round, x->cur, t->type,
                      t->amount, t->instant, t->day};
    rules_tx_out out;
    char *msg = NULL;
    if (rules_tx_call(f->rc->re, &in, &out, &msg) != 0) {
        snprintf(f->err, sizeof f->err, "rule error in transaction(): %s", msg);
        free(msg);
        f->hook_failed = f->failed = true;
        return 1;
    }
    if (out.skip) {
        f->skipped_by_rule++;
        return file_reject(f, row, t->id, REJ_SKIPPED_BY_RULE, out.reason, t->day);
    }
    if (out.type >= 0 && (tx_type)out.type != t->type) {
        t->type = (tx_type)out.type;
        fp = txn_fingerprint(t->type, t->amount, x->cur);
    }
    if (out.bucket[0])
        t->category = (slice){out.bucket, strlen(out.bucket)};
    return file_take_txn(f, row, t, x->digest, fp);
}

/*
 * The one outcome of a data row normalised into transactions, from what its
 * transactions did to the counts (before: the counts before the row): settled
 * when any was counted, else rejected when any was rejected for a reason
 * other than the rule, else skipped when the rule skipped any, else duplicate.
 */
static row_outcome row_outcome_of(const file_ctx *f, const file_counts *before,
                                  int64_t skipped_before)
{
    int64_t skipped = f->skipped_by_rule - skipped_before;
    if (f->counts.transactions > before->transactions)
        return ROW_SETTLED;
    if (f->counts.rejected - before->rejected > skipped)
        return ROW_REJECTED;
    return skipped ? ROW_SKIPPED : ROW_DUPLICATE;
}

/* One data row as the producer made it: dedup, sum or reject (consumer of prod_read). */
static int file_data_row(void *ctx, const bx_row *row)
{
    file_ctx *f = ctx;
    f->counts.rows++;
    progress_row(&f->rc->progress);
    int rc = 0;
    file_counts before = f->counts;
    int64_t skipped_before = f->skipped_by_rule;
    if (row->rejected) {
        rc = file_reject(f, row, row->id, row->code, row->detail, row->day);
        rows_note(&f->rows, row->day, ROW_REJECTED);
    }
    for (size_t i = 0; rc == 0 && i < row->n_txn; i++) {
        const bx_txn *x = &row->tx[i];
        rc = f->hook ? file_hooked_txn(f, row, x) : file_take_txn(f, row, &x->t, x->digest, x->fp);
    }
    if (row->n_txn > 0)
        rows_note(&f->rows, row->tx[0].t.day, row_outcome_of(f, &before, skipped_before));
    if (rc == 1)
        return 1; /* the hook failed: stop reading, the file is undone */
    f->state_failed = rc != 0;
    return rc != 0 ? 2 : 0;
}

/* A row the consumer will take soon: its ids' table slots are fetched meanwhile. */
static void file_row_ahead(void *ctx, const bx_row *row)
{
    file_ctx *f = ctx;
    for (size_t i = 0; i < row->n_txn; i++)
        seen_prefetch(f->seen, row->tx[i].digest);
}

/* Undoes a failed file: its ids are forgotten, its state rolled back. */
static void file_undo(file_ctx *f)
{
    seen_file_undo(f->seen);
    state_savepoint_rollback(f->rc->st);
}

/* A chunk of this file's new ids, stored as the next seen_ids row (seen_file_chunks). */
static int file_store_ids(void *ctx, const void *records, size_t n_bytes)
{
    file_ctx *f = ctx;
    return state_seen_add(f->rc->st, f->pc->id, f->file_id, f->id_chunks++, f->last_day, records,
                          n_bytes) != 0; /* 1: a state failure, told apart from the store's -1 */
}

/* Commits a read file's cells, days and counts into the state. */
static int file_commit(file_ctx *f, size_t pi)
{
    state *st = f->rc->st;
    f->rows.lines = f->prod.lines;
    if (f->last_day != INT32_MIN && state_rejects_fill_day(st, f->file_id, f->last_day) != 0)
        return -1;
    f->rc->unattributed |= f->last_day == INT32_MIN && f->counts.rejected > 0;
    if (rows_commit(&f->rows, st, f->file_id, f->pc->id, f->last_day) != 0)
        return -1;
    if (f->last_day != INT32_MIN && f->counts.rejected > 0)
        run_touch(f->rc, pi, f->last_day, true);
    if (state_cells_add(st, f->pc->id, &f->cells) != 0)
        return -1;
    f->id_chunks = 0;
    int ids = seen_file_chunks(f->seen, file_store_ids, f);
    if (ids < 0)
        fprintf(stderr, "settle: %s: %s\n", f->relpath, seen_error(f->seen));
    if (ids != 0)
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
    jw *w = &f->rc->audit_files.w;
    jw_open(w, NULL, '{');
    jw_str(w, "file", f->relpath);
    jw_str(w, "sha256", sha);
    jw_str(w, "outcome", outcome);
    if (strcmp(outcome, "processed") == 0) { /* a quarantined file counted nothing */
        jw_int(w, "rows", f->counts.rows);
        jw_int(w, "transactions", f->counts.transactions);
        jw_int(w, "duplicates", f->counts.duplicates);
        jw_int(w, "rejected", f->counts.rejected);
    }
    if (f->by_identity)
        jw_str(w, "recognised_by", "identity");
    if (f->err[0])
        jw_str(w, f->failed ? "reason" : "control", f->err);
    jw_close(w, '}');
}

/* Adds the file's counts to the run's totals. */
static void file_totals(run_ctx *rc, const file_ctx *f)
{
    rc->totals.files++;
    rc->totals.rows += f->counts.rows;
    rc->totals.transactions += f->counts.transactions;
    rc->totals.duplicates += f->counts.duplicates;
    rc->totals.rejected += f->counts.rejected;
    rc->totals.skipped_by_rule += f->skipped_by_rule;
    rows_totals(&f->rows, &rc->totals);
    if (!rc->rejects_by_reason)
        rc->rejects_by_reason = xcalloc(rc->cfg->n_partners, sizeof *rc->rejects_by_reason);
    for (int c = 0; c < REJ_CODE_COUNT; c++)
        rc->rejects_by_reason[f->pc - rc->cfg->partners][c] += f->by_reason[c];
}

/* Reads the file through the producer; its result (prod_read). A reason the
 * producer found (unreadable file, unusable header) becomes the file's, unless
 * the hook failed first. */
static int file_read(file_ctx *f, const char *path)
{
    int r = prod_read(&f->prod, path, file_data_row, f);
    if (!f->hook_failed && f->prod.err[0]) {
        snprintf(f->err, sizeof f->err, "%s", f->prod.err);
        f->failed |= f->prod.failed;
    }
    return r;
}

/* Reads the file inside a transaction-hook batch when the rule has a hook. */
static int file_read_hooked(file_ctx *f, const char *path)
{
    char *msg = NULL;
    if (f->hook && rules_tx_begin(f->rc->re, f->pc->id, &f->pc->params, &msg) != 0) {
        snprintf(f->err, sizeof f->err, "rule error in transaction(): %s", msg);
        free(msg);
        f->hook_failed = f->failed = true;
        return 0;
    }
    int r = file_read(f, path);
    if (f->hook)
        rules_tx_end(f->rc->re);
    return r;
}

/* The rule's hook failed on this file: undone, left in the inbox for a fixed rule. */
static int file_rule_failed(file_ctx *f, const char *sha)
{
    fprintf(stderr, "settle: %s: not counted, left in the inbox: %s\n", f->relpath, f->err);
    file_undo(f);
    f->rc->totals.rule_failures++;
    file_audit(f, sha, "rule_failed");
    return 0;
}

/* An unreadable file: undone, recorded as quarantined, queued to be moved. */
static int file_unreadable(file_ctx *f, const char *path, const char *name, const char *sha,
                           int64_t size)
{
    run_ctx *rc = f->rc;
    f->failed = true;
    fprintf(stderr, "settle: %s: unreadable, moved to quarantine: %s\n", f->relpath, f->err);
    file_undo(f);
    if (state_file_quarantined(rc->st, rc->run_id, f->pc->id, f->relpath, sha, size, f->err) != 0)
        return -1;
    run_quarantine_add(rc, f->pc->id, path, name, sha, f->err);
    rc->totals.files_failed++;
    file_audit(f, sha, "quarantined");
    return 0;
}

/* Compares declared and read control totals; stores a mismatch. -1 on state failure. */
static int file_control(file_ctx *f, const char *sha)
{
    file_prod *p = &f->prod;
    if (!p->control)
        return 0;
    if (p->lookahead && p->held.has) {
        control_from_csv_row(&f->pc->control, &p->held.row, &p->decl);
        p->lines.control++; /* the held last row is the trailer */
    }
    char *m = p->after_trailer ? xasprintf("%s is not the last row", p->decl.where)
                               : control_check(&p->decl, &p->read, &f->pc->csv, sha);
    if (!m)
        return 0;
    fprintf(stderr, "settle: %s: control totals do not match, its statements are held: %s\n",
            f->relpath, m);
    f->rc->totals.control_mismatches++;
    int rc = state_file_control(f->rc->st, f->file_id, m);
    snprintf(f->err, sizeof f->err, "%s", m);
    free(m);
    return rc;
}

/* A file that cannot be read (open, stat or hash): said, counted, not recorded. */
static void file_cannot_read(file_ctx *f, int e)
{
    fprintf(stderr, "settle: %s: cannot read: %s\n", f->relpath,
            e == ELOOP ? "it is a symbolic link (refused, not followed)" : strerror(e));
    f->rc->totals.files_failed++;
}

/* A file processed before (same SHA-256): skipped and audited. */
static void file_skipped(file_ctx *f, const char *sha)
{
    f->rc->totals.files_skipped++;
    file_audit(f, sha, "skipped");
}

/* A file found processed by its SHA-256: its identity is remembered, then it is skipped.
 * -1 on state failure. */
static int file_known(file_ctx *f, const char *sha)
{
    if (state_stat_put(f->rc->st, f->pc->id, f->stat_key, sha) != 0)
        return -1;
    file_skipped(f, sha);
    return 0;
}

/*
 * Finishes the hash of a file read meanwhile: 0 with sha set (in the state
 * too); 1 when the file was undone because it could not be hashed or was
 * processed before after all (changed since it was listed); -1 on state failure.
 */
static int file_hashed(file_ctx *f, file_hash *h, char sha[65])
{
    if (file_hash_finish(h) != 0) {
        int e = errno;
        file_undo(f);
        file_cannot_read(f, e);
        return 1;
    }
    sha256_hex(h->digest, sha);
    bool seen;
    if (state_file_seen(f->rc->st, f->pc->id, sha, &seen) != 0)
        return -1;
    if (seen) {
        file_undo(f);
        return file_known(f, sha) != 0 ? -1 : 1;
    }
    return state_file_set_sha(f->rc->st, f->file_id, sha) != 0 ? -1 : 0;
}

/*
 * Reads one file (not processed before) into the state. sha is its SHA-256,
 * or "" while h hashes it beside the reading (h is finished here whatever
 * happens). -1 on state failure.
 */
static int file_process(file_ctx *f, size_t pi, const char *path, const char *name,
                        char sha[65], file_hash *h, int64_t size)
{
    run_ctx *rc = f->rc;
    if (!f->seen_loaded) { /* the window's ids, once per partner, only when a file is new */
        f->seen_loaded = true;
        if (state_seen_load(rc->st, f->pc->id, rc->today - f->pc->lookback_days, seen_remember,
                            f) != 0) {
            if (h)
                file_hash_finish(h);
            return -1;
        }
    }
    seen_reserve(f->seen, (uint64_t)size / SEEN_ROW_BYTES_MIN);
    bool ok = state_savepoint(rc->st) == 0 &&
              state_file_add(rc->st, rc->run_id, f->pc->id, f->relpath, sha, size,
                             &f->file_id) == 0;
    int r = ok ? file_read_hooked(f, path) : 0;
    if (!ok || f->state_failed) {
        if (h)
            file_hash_finish(h);
        return -1;
    }
    int hashed = h ? file_hashed(f, h, sha) : 0;
    if (hashed != 0)
        return hashed < 0 ? -1 : 0;
    if (f->hook_failed)
        return file_rule_failed(f, sha);
    if (r < 0 || f->failed)
        return file_unreadable(f, path, name, sha, size);
    if (file_control(f, sha) != 0 || file_commit(f, pi) != 0 ||
        state_stat_put(rc->st, f->pc->id, f->stat_key, sha) != 0)
        return -1;
    file_totals(rc, f);
    file_audit(f, sha, "processed");
    return 0;
}

/* Frees the per-file parts of the context and readies it for the next file. */
static void file_reset(file_ctx *f)
{
    cell_map_free(&f->cells);
    if (f->seen)
        seen_file_begin(f->seen);
    free(f->days);
    f->days = NULL;
    f->n_days = f->cap_days = 0;
    memset(&f->counts, 0, sizeof f->counts);
    f->failed = f->state_failed = f->hook_failed = f->by_identity = false;
    f->skipped_by_rule = 0;
    rows_reset(&f->rows);
    memset(f->by_reason, 0, sizeof f->by_reason);
    f->last_day = INT32_MIN;
    f->err[0] = 0;
}

/*
 * With control.manifest: reads the drop's manifest into f->prod.decl. Returns 1
 * when it has not arrived (the drop waits in the inbox), else 0; a manifest
 * that cannot be read leaves decl not present, with the reason in `where`.
 */
static int file_manifest(file_ctx *f, const char *dir, const char *name)
{
    const control_options *o = &f->pc->control;
    if (!o->manifest)
        return 0;
    char *mname = control_manifest_name(o->manifest, name), *mpath = path_join(dir, mname);
    char err[160];
    int waiting = access(mpath, F_OK) != 0;
    if (waiting) {
        fprintf(stderr, "settle: %s: waiting for its manifest %s; not read yet\n", f->relpath,
                mname);
        f->rc->totals.files_waiting++;
    } else if (control_read_manifest(mpath, mname, o, &f->prod.decl, err, sizeof err) != 0) {
        snprintf(f->prod.decl.where, sizeof f->prod.decl.where, "manifest %.40s: %.100s", mname,
                 err);
    }
    free(mname);
    free(mpath);
    return waiting;
}

/*
 * Whether to hash the file before reading it (into sha): always with one
 * thread, else when a processed file has its size (it may be a known one, so
 * a rerun skips it without reading it). Otherwise it cannot be known and is
 * hashed beside the reading (file_hash). 0, or -1 on state failure.
 */
static int file_hash_first(file_ctx *f, int64_t size, bool *first)
{
    *first = true;
    if (f->prod.threads > 1 && state_file_size_seen(f->rc->st, f->pc->id, size, first) != 0)
        return -1;
    return 0;
}

/* Hashes the file and decides: skip (processed before), wait (no manifest) or process. */
static int file_take(file_ctx *f, size_t pi, const char *dir, const char *path, const char *name)
{
    unsigned char digest[32];
    char sha[65] = "";
    struct stat sb;
    bool seen, first = true;
    int fd = open_regular(path); /* listed as a regular file; refuse one swapped since */
    int ok = fd >= 0 && fstat(fd, &sb) == 0, e = errno;
    if (ok) { /* a file known by its identity is not read again */
        state_stat_key(&sb, f->stat_key);
        if (state_stat_known(f->rc->st, f->pc->id, f->stat_key, sha, &f->by_identity) != 0)
            return close(fd), -1;
        if (f->by_identity)
            return close(fd), file_skipped(f, sha), 0;
    }
    if (ok && file_hash_first(f, (int64_t)sb.st_size, &first) != 0) {
        close(fd);
        return -1;
    }
    if (ok && first)
        ok = sha256_fd(fd, digest) == 0, e = errno;
    if (fd >= 0 && (!ok || first))
        close(fd);
    if (!ok) {
        file_cannot_read(f, e);
        return 0;
    }
    if (first) {
        sha256_hex(digest, sha);
        if (state_file_seen(f->rc->st, f->pc->id, sha, &seen) != 0)
            return -1;
        if (seen)
            return file_known(f, sha);
    }
    if (file_manifest(f, dir, name) != 0) {
        if (!first)
            close(fd);
        return 0;
    }
    file_hash h;
    if (!first)
        file_hash_start(&h, fd);
    return file_process(f, pi, path, name, sha, first ? NULL : &h, (int64_t)sb.st_size);
}

/* Prepares the context for one file, then takes it. */
static int partner_file(file_ctx *f, size_t pi, const char *dir, const char *name)
{
    char *path = path_join(dir, name);
    char *rel = xasprintf("%s/%s", f->pc->id, name);
    file_reset(f);
    cell_map_init(&f->cells);
    prod_start(&f->prod, f->cells.currencies);
    f->relpath = rel;
    progress_file(&f->rc->progress, rel);
    int rc = file_take(f, pi, dir, path, name);
    free(path);
    free(rel);
    return rc;
}

/* With $SETTLE_SEEN_BUDGET set (a diagnostic), says how often the seen ids spilled. */
static void seen_diagnose(const file_ctx *f)
{
    if (!f->seen || !getenv("SETTLE_SEEN_BUDGET"))
        return;
    seen_stats st;
    seen_get_stats(f->seen, &st);
    fprintf(stderr, "settle: %s: seen ids: %llu spilled in %llu spills, %llu merges, %zu runs\n",
            f->pc->id, (unsigned long long)st.spilled, (unsigned long long)st.spills,
            (unsigned long long)st.merges, st.runs);
}

int run_ingest_partner(run_ctx *rc, size_t pi)
{
    const partner_config *pc = &rc->cfg->partners[pi];
    char *dir = path_join(rc->cfg->paths.inbox, pc->id);
    size_t n;
    char **names = run_list_drops(rc, pc, dir, &n);
    /* spills go to <state>/seen.tmp; a dry run on a scratch store (no state folder) uses $TMPDIR */
    const char *spill_dir = access(rc->cfg->paths.state, W_OK) == 0 ? rc->cfg->paths.state : NULL;
    char serr[256];
    file_ctx f = {.rc = rc, .pc = pc, .seen = seen_open(spill_dir, 0, serr, sizeof serr),
                  .last_day = INT32_MIN, .hook = rules_has_tx_hook(rc->re, pc->id)};
    int result = prod_init(&f.prod, rc, pc, rc->threads); /* zones validated by config_load */
    f.prod.ahead = file_row_ahead;
    if (!f.seen) {
        fprintf(stderr, "settle: %s\n", serr);
        result = -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (result == 0)
            result = partner_file(&f, pi, dir, names[i]);
        free(names[i]);
    }
    seen_diagnose(&f);
    file_reset(&f);
    prod_free(&f.prod);
    seen_close(f.seen);
    free(names);
    free(dir);
    return result;
}
