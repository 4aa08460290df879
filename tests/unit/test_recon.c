/*
 * test_recon.c - reconciliation's matching core: the item collector
 * (recon_items.c: partitioned scratch files read back exactly, void files
 * skipped) and, further down, recon_match_all against a simple model.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "recon_int.h"
#include "state.h"
#include "util.h"

static const dedup_key tkey = {0x1111222233334444ull, 0x5555666677778888ull};

/* ---- a config: partners p0 (reconciled with ledger L0), p1 (not), p2 (L0, daily) ---- */

static settle_config cfg;

static void cfg_make(void)
{
    static partner_config parts[3];
    static ledger_config ledgers[1];
    static reconcile_config rc0 = {.ledger = "wallet", .ledger_index = 0,
                                   .match = MATCH_TRANSACTION, .day_window = 1, .wait_days = 2};
    static reconcile_config rc2 = {.ledger = "wallet", .ledger_index = 0, .match = MATCH_DAILY,
                                   .day_window = 1, .wait_days = 2};
    parts[0].id = "p0";
    parts[0].reconcile = &rc0;
    parts[0].n_reconcile = 1;
    parts[1].id = "p1";
    parts[2].id = "p2";
    parts[2].reconcile = &rc2;
    parts[2].n_reconcile = 1;
    ledgers[0].src.id = "wallet";
    cfg.partners = parts;
    cfg.n_partners = 3;
    cfg.ledgers = ledgers;
    cfg.n_ledgers = 1;
}

/* ---- the collector ---- */

#define N_ITEMS 300000u

/* The id text of item n, and its item. */
static recon_item item_of(uint32_t n, char *buf, size_t cap)
{
    int len = snprintf(buf, cap, "tx-%u%s", n, n % 1000 == 7 ? "-a-much-longer-transaction-id" : "");
    recon_item it = {.key = dedup_siphash128(&tkey, buf, (size_t)len),
                     .id = {buf, (size_t)len},
                     .day = 20000 + (int32_t)(n % 40),
                     .type = (tx_type)(n % TX_TYPE_COUNT),
                     .amount = (int64_t)n * 7919 - 1000000000000ll,
                     .file_id = 1 + n % 50,
                     .line = n + 1};
    memcpy(it.cur, n % 3 ? "EUR" : "USD", 4);
    return it;
}

typedef struct seen_items {
    unsigned part;
    uint64_t n, lines, bad;
    char *hit;
} seen_items;

/* Checks one read-back record against item_of(line - 1). */
static int on_item(void *ctx, const recon_rec *rec)
{
    seen_items *s = ctx;
    uint32_t n = (uint32_t)(rec->line - 1);
    char buf[96];
    recon_item it = item_of(n, buf, sizeof buf);
    if (n >= N_ITEMS || s->hit[n] || recon_part_of(rec->key) != s->part ||
        rec->key.lo != it.key.lo || rec->key.hi != it.key.hi || rec->day != it.day ||
        rec->type != it.type || rec->amount != it.amount || rec->file_id != it.file_id ||
        strcmp(rec->cur, it.cur) != 0 || rec->id_len != it.id.n ||
        memcmp(rec->id, it.id.p, it.id.n) != 0 || rec->owner != (n % 2 ? 2u : 0u) ||
        rec->side != RECON_SIDE_LEDGER)
        s->bad++;
    else
        s->hit[n] = 1;
    s->n++;
    return 0;
}

static void test_items(void)
{
    char err[256];
    recon_items *r = recon_items_open(&cfg, NULL, err, sizeof err);
    CHECK(r != NULL);
    if (!r)
        return;
    uint64_t failed = 0;
    for (uint32_t n = 0; n < N_ITEMS; n++) {
        char buf[96];
        recon_item it = item_of(n, buf, sizeof buf);
        if (recon_items_ledger(r, 0, n % 2 ? 2 : 0, &it) != 0)
            failed++;
    }
    CHECK_EQ_INT(failed, 0);
    recon_items_void(r, 13);
    recon_items_void(r, 13);
    recon_items_void(r, 3);
    seen_items s = {.hit = xcalloc(N_ITEMS, 1)};
    uint64_t counted = 0;
    for (unsigned k = 0; k < RECON_PARTS; k++) {
        s.part = k;
        counted += recon_items_count(r, recon_src_ledger(r, 0), k);
        CHECK_EQ_INT(recon_items_each(r, recon_src_ledger(r, 0), k, on_item, &s), 0);
    }
    CHECK_EQ_INT(counted, N_ITEMS);
    CHECK_EQ_INT(s.bad, 0);
    uint64_t missing = 0;
    for (uint32_t n = 0; n < N_ITEMS; n++)
        missing += !s.hit[n] != (1 + n % 50 == 13 || 1 + n % 50 == 3);
    CHECK_EQ_INT(missing, 0);
    CHECK_EQ_INT(s.n, N_ITEMS - 2 * N_ITEMS / 50);
    /* the partner sources are empty */
    s.n = 0;
    CHECK_EQ_INT(recon_items_each(r, recon_src_partner(r, 0), 5, on_item, &s), 0);
    CHECK_EQ_INT(s.n, 0);
    free(s.hit);
    recon_items_close(r);
    recon_items_close(NULL);
    CHECK(recon_items_open(&cfg, "/nonexistent/dir", err, sizeof err) == NULL);
}

int main(void)
{
    cfg_make();
    test_items();
    return check_done();
}
