/*
 * run_ingest_ledger.c - what differs when the ingest stage reads a ledger
 * (SPEC section 10, docs/reconciliation.md) instead of a partner: every row
 * belongs to a partner (its owner, from fields.partner), so its rejects are
 * filed under the owner, its sums go to ledger_cells per owner, and its
 * transactions are reconciliation items of the owner. Also the hand-over of
 * a partner's own transactions to the reconciliation collector (recon.h).
 *
 * Where a ledger's rejects are reported: a row whose owner is known in the
 * owner's exceptions.csv (the rejects table's partner is the owner's id, the
 * file column says "<ledger>/<file>"); a row whose owner is not known
 * (unknown_partner, or a missing partner value) under the ledger's own id,
 * in the exceptions.csv of every period label of its day (one per statement
 * kind the partners use), or of "unattributed" when its day is unknown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_ingest_int.h"

#define LEDGER_NO_OWNER SIZE_MAX /* file_day.partner of a reject that has no owner */

const char *ledger_reject_partner(file_ctx *f, int32_t owner, int32_t day)
{
    file_note_day(f, owner >= 0 ? (size_t)owner : LEDGER_NO_OWNER, day);
    return owner >= 0 ? f->rc->cfg->partners[owner].id : f->pc->id;
}

void ledger_touch(file_ctx *f, const file_day *d)
{
    int32_t day = d->day == INT32_MIN ? f->last_day : d->day; /* as the file's rejects */
    if (day == INT32_MIN)
        return;
    if (d->partner == LEDGER_NO_OWNER)
        run_touch_labels(f->rc, day);
    else
        run_touch(f->rc, d->partner, day, true);
}

/* The key of a ledger row of a partner that sends rounds: "<round>:<type>" and its digest. */
static void ledger_round_key(file_ctx *f, const txn *t, recon_item *it, char *buf, size_t len,
                             char **owned)
{
    const char *type = tx_type_name(t->type);
    int n = snprintf(buf, len, "%.*s:%s", (int)t->round.n, t->round.p, type);
    char *text = buf;
    if ((size_t)n >= len) /* a very long round: composed on the heap */
        text = *owned = xasprintf("%.*s:%s", (int)t->round.n, t->round.p, type);
    it->id = (slice){text, (size_t)n};
    it->key = dedup_siphash128(&f->rc->key, text, (size_t)n);
}

int file_recon_item(file_ctx *f, const txn *t, dedup_digest d, const char *cur)
{
    recon_items *r = f->rc->recon;
    bool wanted = f->ledger ? r && f->owner_recon[t->owner] : r && f->recon;
    if (!wanted)
        return 0;
    recon_item it = {.key = d, .id = t->id, .day = t->day, .type = t->type, .amount = t->amount,
                     .file_id = f->file_id, .line = t->line};
    memcpy(it.cur, cur, sizeof it.cur);
    int rc;
    if (!f->ledger) {
        rc = recon_items_partner(r, f->index, &it);
    } else {
        char buf[256], *owned = NULL;
        if (f->rc->cfg->partners[t->owner].has_amounts)
            ledger_round_key(f, t, &it, buf, sizeof buf, &owned);
        rc = recon_items_ledger(r, f->index, (size_t)t->owner, &it);
        free(owned);
    }
    if (rc != 0)
        fprintf(stderr, "settle: %s: reconciliation items: %s\n", f->relpath,
                recon_items_error(r));
    return rc != 0 ? -1 : 0;
}

int run_ingest_ledger(run_ctx *rc, size_t li)
{
    const ledger_config *lc = &rc->cfg->ledgers[li];
    file_ctx f = {.pc = &lc->src, .ledger = lc, .index = li, .slot = rc->cfg->n_partners + li,
                  .owner_recon = xcalloc(rc->cfg->n_partners, sizeof *f.owner_recon)};
    for (size_t p = 0; p < rc->cfg->n_partners; p++)
        f.owner_recon[p] = rc->recon && recon_ledger_wanted(rc->cfg, li, p);
    int r = state_ledger_mark(rc->st, lc->src.id);
    if (r != 0)
        fprintf(stderr, "settle: ledger %s: %s\n", lc->src.id, state_error(rc->st));
    else
        r = run_ingest_source(rc, &f);
    free(f.owner_recon);
    return r;
}
