/*
 * run_ingest_file.c - a file's way from <inbox>/<source>/ into the state, for
 * a partner's drops and a ledger's files alike: recognised by its identity
 * or SHA-256 (skipped), waiting for its manifest, read (run_ingest.c), its
 * control totals checked (a mismatch is stored and holds the partner's
 * periods it feeds), committed, or undone: quarantined when unreadable, left
 * in the inbox when the partner's rule failed on it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run_ingest_int.h"
#include "seen.h"

/* The fewest bytes a drop's row takes, to size the seen id table from the file's size:
 * an estimate on the high side of the ids (a gzip file gives too few: the table grows). */
#define SEEN_ROW_BYTES_MIN 40

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
static int file_process(file_ctx *f, const char *path, const char *name, char sha[65],
                        file_hash *h, int64_t size)
{
    run_ctx *rc = f->rc;
    if (!f->seen_loaded) { /* the window's ids, once per partner, only when a file is new */
        f->seen_loaded = true;
        if (state_seen_load(rc->st, f->pc->id, rc->today - f->pc->lookback_days,
                            file_seen_remember, f) != 0) {
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
    if (file_control(f, sha) != 0 || file_commit(f) != 0 ||
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
static int file_take(file_ctx *f, const char *dir, const char *path, const char *name)
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
    return file_process(f, path, name, sha, first ? NULL : &h, (int64_t)sb.st_size);
}

/* Prepares the context for one file, then takes it. */
static int source_file(file_ctx *f, const char *dir, const char *name)
{
    char *path = path_join(dir, name);
    char *rel = xasprintf("%s/%s", f->pc->id, name);
    file_reset(f);
    cell_map_init(&f->cells);
    prod_start(&f->prod, f->cells.currencies);
    f->relpath = rel;
    progress_file(&f->rc->progress, rel);
    int rc = file_take(f, dir, path, name);
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

int run_ingest_source(run_ctx *rc, file_ctx *f)
{
    const partner_config *pc = f->pc;
    char *dir = path_join(rc->cfg->paths.inbox, pc->id);
    size_t n;
    char **names = run_list_drops(rc, pc, dir, &n);
    /* spills go to <state>/seen.tmp; a dry run on a scratch store (no state folder) uses $TMPDIR */
    const char *spill_dir = access(rc->cfg->paths.state, W_OK) == 0 ? rc->cfg->paths.state : NULL;
    char serr[256];
    f->rc = rc;
    f->last_day = INT32_MIN;
    f->seen = seen_open(spill_dir, 0, serr, sizeof serr);
    int result = prod_init(&f->prod, rc, pc, f->ledger, rc->threads); /* zones validated */
    f->prod.ahead = file_row_ahead;
    if (!f->seen) {
        fprintf(stderr, "settle: %s\n", serr);
        result = -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (result == 0)
            result = source_file(f, dir, names[i]);
        free(names[i]);
    }
    seen_diagnose(f);
    file_reset(f);
    prod_free(&f->prod);
    seen_close(f->seen);
    free(names);
    free(dir);
    return result;
}

int run_ingest_partner(run_ctx *rc, size_t pi)
{
    file_ctx f = {.pc = &rc->cfg->partners[pi], .index = pi, .slot = pi,
                  .recon = rc->recon && recon_partner_wanted(rc->cfg, pi),
                  .hook = rules_has_tx_hook(rc->re, rc->cfg->partners[pi].id)};
    return run_ingest_source(rc, &f);
}
