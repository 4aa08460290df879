/*
 * run_ingest.c - the consumer of the ingest stage: every data row of a file,
 * as the producer (run_ingest_batch.c) normalised it, deduplicated against
 * the source's seen ids and summed into cells, or kept as a reject in the
 * state; its new transactions handed to reconciliation (run_ingest_ledger.c);
 * then the file's commit, audit record and totals. A source is a partner or
 * a ledger (the same code: a ledger's rows carry their owner, txn.owner).
 * A file counts all or nothing: its state changes sit in a savepoint and its
 * new ids in the seen id store carry its file number, both undone if the
 * file turns out unreadable (run_ingest_file.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_ingest_int.h"
#include "seen.h"

/* A handful per file: a linear look is cheaper than a set. */
void file_note_day(file_ctx *f, size_t partner, int32_t day)
{
    for (size_t i = f->n_days; i-- > 0;)
        if (f->days[i].day == day && f->days[i].partner == partner)
            return;
    if (f->n_days == f->cap_days) {
        f->cap_days = f->cap_days ? f->cap_days * 2 : 8;
        f->days = xrealloc(f->days, f->cap_days * sizeof *f->days);
    }
    f->days[f->n_days++] = (file_day){day, partner};
}

int file_seen_remember(void *ctx, const unsigned char *record)
{
    file_ctx *f = ctx;
    if (seen_load(f->seen, record) == 0)
        return 0;
    fprintf(stderr, "settle: %s: %s\n", f->pc->id, seen_error(f->seen));
    return -1;
}

/*
 * Stores one rejected row in the state: a partner's under its id, a ledger's
 * under its owner's (ledger_reject_partner). owner: the ledger row's partner
 * or -1. Its period reports the reject even with no good row.
 */
static int file_reject(file_ctx *f, const bx_row *row, slice id, reject_code code,
                       const char *detail, int32_t day, int32_t owner)
{
    char *id_s = xstrndup(id.p, id.n), *raw = xstrndup(row->raw.p, row->raw.n);
    const char *partner = f->ledger ? ledger_reject_partner(f, owner, day) : f->pc->id;
    reject_row r = {partner, f->relpath, id_s, reject_code_name(code), detail, raw,
                    row->line, day};
    int rc = state_reject_add(f->rc->st, f->file_id, &r);
    if (day != INT32_MIN && !f->ledger)
        run_touch(f->rc, f->index, day, true);
    free(id_s);
    free(raw);
    f->counts.rejected++;
    f->by_reason[code]++;
    return rc;
}

/* The cell of a transaction: a partner's category, or for a ledger its owner's id. */
static cell_key file_cell_key(file_ctx *f, const txn *t)
{
    slice cat = t->category;
    if (f->ledger) {
        const char *owner = f->rc->cfg->partners[t->owner].id;
        cat = (slice){owner, strlen(owner)};
    }
    return (cell_key){t->day, strmap_intern(f->cells.categories, cat.p, cat.n),
                      strmap_intern(f->cells.games, t->game.p, t->game.n),
                      (uint16_t)t->currency, (uint8_t)t->type, 0};
}

/*
 * Dedups and sums one transaction (d: its id's digest, fp: its fingerprint,
 * both computed by the producer, cur: its currency code); rejects a
 * conflicting repeat; hands a counted one to reconciliation.
 */
static int file_take_txn(file_ctx *f, const bx_row *row, const txn *t, dedup_digest d,
                         uint32_t fp, const char *cur)
{
    size_t partner = f->ledger ? (size_t)t->owner : f->index;
    dedup_result r;
    if (seen_check(f->seen, d, fp, &r) != 0) {
        fprintf(stderr, "settle: %s: %s\n", f->relpath, seen_error(f->seen));
        return -1;
    }
    if (r == DEDUP_REPEAT) {
        f->counts.duplicates++;
        cell_map_add_duplicate(&f->cells, t->day);
        file_note_day(f, partner, t->day);
        return 0;
    }
    if (r == DEDUP_CONFLICT)
        return file_reject(f, row, t->id, REJ_DUPLICATE_CONFLICT,
                           "id was seen before with a different type, amount or currency", t->day,
                           t->owner);
    cell_key k = file_cell_key(f, t);
    if (!cell_map_add(&f->cells, &k, t->amount)) {
        seen_unadd(f->seen, d);
        return file_reject(f, row, t->id, REJ_OVERFLOW, "sum of the day overflows", t->day,
                           t->owner);
    }
    f->counts.transactions++;
    file_note_day(f, partner, t->day);
    if (t->day > f->last_day || f->last_day == INT32_MIN)
        f->last_day = t->day;
    return file_recon_item(f, t, d, cur);
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
        return file_reject(f, row, t->id, REJ_SKIPPED_BY_RULE, out.reason, t->day, -1);
    }
    if (out.type >= 0 && (tx_type)out.type != t->type) {
        t->type = (tx_type)out.type;
        fp = txn_fingerprint(t->type, t->amount, x->cur);
    }
    if (out.bucket[0])
        t->category = (slice){out.bucket, strlen(out.bucket)};
    return file_take_txn(f, row, t, x->digest, fp, x->cur);
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
        rc = file_reject(f, row, row->id, row->code, row->detail, row->day, row->owner);
        rows_note(&f->rows, row->day, ROW_REJECTED);
    }
    for (size_t i = 0; rc == 0 && i < row->n_txn; i++) {
        const bx_txn *x = &row->tx[i];
        rc = f->hook ? file_hooked_txn(f, row, x)
                     : file_take_txn(f, row, &x->t, x->digest, x->fp, x->cur);
    }
    if (row->n_txn > 0)
        rows_note(&f->rows, row->tx[0].t.day, row_outcome_of(f, &before, skipped_before));
    if (rc == 1)
        return 1; /* the hook failed: stop reading, the file is undone */
    f->state_failed = rc != 0;
    return rc != 0 ? 2 : 0;
}

void file_row_ahead(void *ctx, const bx_row *row)
{
    file_ctx *f = ctx;
    for (size_t i = 0; i < row->n_txn; i++)
        seen_prefetch(f->seen, row->tx[i].digest);
}

void file_undo(file_ctx *f)
{
    seen_file_undo(f->seen);
    if (f->rc->recon)
        recon_items_void(f->rc->recon, f->file_id);
    state_savepoint_rollback(f->rc->st);
}

/* A chunk of this file's new ids, stored as the next seen_ids row (seen_file_chunks). */
static int file_store_ids(void *ctx, const void *records, size_t n_bytes)
{
    file_ctx *f = ctx;
    return state_seen_add(f->rc->st, f->pc->id, f->file_id, f->id_chunks++, f->last_day, records,
                          n_bytes) != 0; /* 1: a state failure, told apart from the store's -1 */
}

int file_commit(file_ctx *f)
{
    state *st = f->rc->st;
    f->rows.lines = f->prod.lines;
    if (f->last_day != INT32_MIN && state_rejects_fill_day(st, f->file_id, f->last_day) != 0)
        return -1;
    f->rc->unattributed |= f->last_day == INT32_MIN && f->counts.rejected > 0;
    if (rows_commit(&f->rows, st, f->file_id, f->pc->id, f->last_day) != 0)
        return -1;
    if (f->last_day != INT32_MIN && f->counts.rejected > 0 && !f->ledger)
        run_touch(f->rc, f->index, f->last_day, true); /* a ledger's: ledger_reject_partner */
    if ((f->ledger ? state_ledger_cells_add(st, f->pc->id, &f->cells)
                   : state_cells_add(st, f->pc->id, &f->cells)) != 0)
        return -1;
    f->id_chunks = 0;
    int ids = seen_file_chunks(f->seen, file_store_ids, f);
    if (ids < 0)
        fprintf(stderr, "settle: %s: %s\n", f->relpath, seen_error(f->seen));
    if (ids != 0)
        return -1;
    for (size_t i = 0; i < f->n_days; i++) {
        if (f->days[i].day != INT32_MIN &&
            state_file_day(st, f->pc->id, f->days[i].day, f->file_id) != 0)
            return -1;
        if (f->ledger)
            ledger_touch(f, &f->days[i]);
        else
            run_touch(f->rc, f->days[i].partner, f->days[i].day, true);
    }
    if (state_file_finish(st, f->file_id, &f->counts, "processed") != 0)
        return -1;
    return state_savepoint_release(st);
}

void file_audit(file_ctx *f, const char *sha, const char *outcome)
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

void file_totals(run_ctx *rc, const file_ctx *f)
{
    rc->totals.files++;
    rc->totals.rows += f->counts.rows;
    rc->totals.transactions += f->counts.transactions;
    rc->totals.duplicates += f->counts.duplicates;
    rc->totals.rejected += f->counts.rejected;
    rc->totals.skipped_by_rule += f->skipped_by_rule;
    rows_totals(&f->rows, &rc->totals);
    if (!rc->rejects_by_reason)
        rc->rejects_by_reason = xcalloc(rc->cfg->n_partners + rc->cfg->n_ledgers,
                                        sizeof *rc->rejects_by_reason);
    for (int c = 0; c < REJ_CODE_COUNT; c++)
        rc->rejects_by_reason[f->slot][c] += f->by_reason[c];
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

int file_read_hooked(file_ctx *f, const char *path)
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

