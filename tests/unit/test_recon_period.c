/*
 * test_recon_period.c - a statement's reconciliation with one ledger
 * (recon_period.c): by transaction from stored sums, breaks and open items
 * (waiting vs missing around wait_days, the period's bounds), FX conversion
 * once per (day, currency) half-even, a missing rate, the four statuses and
 * the hold reasons; daily matching from cells (matched, amount_mismatch,
 * day_shift to the nearest day and the earlier on a tie, outside the window
 * missing on both sides); the break listing sorted by day, kind and id.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "recon_int.h"
#include "state.h"
#include "timefmt.h"
#include "util.h"

#define D0 20332   /* 2025-09-01 */

static partner_config p0 = {.id = "p0"};
static reconcile_config rc_tx = {.ledger = "wallet", .match = MATCH_TRANSACTION,
                                 .day_window = 1, .wait_days = 2};
static reconcile_config rc_daily = {.ledger = "wallet", .match = MATCH_DAILY, .day_window = 2,
                                    .wait_days = 2, .tol_breaks = 100, .tol_amount = 1000000};

/* The scope of p0's September with `rc` on `today`. */
static recon_scope scope(reconcile_config *rc, int32_t today, const fx_table *fx)
{
    return (recon_scope){.pc = &p0, .rcfg = rc, .first_day = D0, .last_day = D0 + 29,
                         .today = today, .fx = fx, .currency = "EUR"};
}

/* A break of p0 with wallet; a side is absent when its file is 0. */
static void put_break(state *st, const char *kind, const char *id, int32_t day, const char *cur,
                      const char *lcur, int64_t pa, int64_t pf, int64_t la, int64_t lf)
{
    state_recon_break b = {.partner = "p0", .ledger = "wallet", .kind = kind, .tx_id = id,
                           .tx_id_len = strlen(id), .day = day, .ledger_day = day,
                           .currency = cur, .ledger_currency = lcur, .partner_amount = pa,
                           .partner_file = pf, .partner_line = 7, .ledger_amount = la,
                           .ledger_file = lf, .ledger_line = 9, .run_id = 1};
    CHECK(state_recon_break_add(st, &b) == 0);
}

/* An open item: its record in a chunk of partition 0 and its per-day sum. */
static void put_open(state *st, unsigned char *buf, size_t *n, const char *id, int32_t day,
                     int side, const char *cur, int64_t amount)
{
    recon_rec r = {.day = day, .side = (uint8_t)side, .amount = amount, .file_id = 1 + side,
                   .line = 3, .id_len = (uint16_t)strlen(id), .id = id};
    memcpy(r.cur, cur, 4);
    recon_rec_put(buf + *n, &r);
    *n += recon_rec_size(&r);
    CHECK(state_recon_days_add(st, "p0", "wallet", day, side, cur, 1, amount) == 0);
}

/* One listed break as text "day kind id pa/la files", collected in order. */
static int on_break(void *ctx, const recon_break *b)
{
    sbuf *out = ctx;
    char day[11];
    date_format(b->day, day);
    sbuf_addf(out, "%s %s %s %s%s %s %s %s|", day, recon_kind_name(b->kind), b->id, b->currency,
              strcmp(b->currency, b->ledger_currency) ? b->ledger_currency : "",
              b->has_partner ? "P" : "-", b->has_ledger ? "L" : "-",
              b->partner_file ? b->partner_file : (b->ledger_file ? b->ledger_file : "."));
    return 0;
}

static fx_table *rates(void)
{
    char path[] = "/tmp/test_recon_period_XXXXXX";
    int fd = mkstemp(path);
    const char *text = "date,base,quote,rate\n2025-08-31,USD,EUR,0.9\n";
    CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    diag d = {0};
    fx_table *t = fx_load(path, &d);
    unlink(path);
    CHECK(t != NULL);
    return t;
}

static void test_transaction(void)
{
    char err[256];
    state *st = state_open_memory(err, sizeof err);
    fx_table *fx = rates();
    CHECK(st && state_begin(st) == 0);
    int64_t f1, f2;
    CHECK(state_file_add(st, 1, "p0", "p0/d.csv", "a", 1, &f1) == 0);
    CHECK(state_file_add(st, 1, "wallet", "wallet/w.csv", "b", 1, &f2) == 0);
    CHECK(f1 == 1 && f2 == 2);
    /* matched: 15.00 EUR and 3.05 USD (2.745 -> 2.74 half-even) on day 0; one before the period */
    CHECK(state_recon_matched_add(st, "p0", "wallet", D0, "EUR", 2, 1500) == 0);
    CHECK(state_recon_matched_add(st, "p0", "wallet", D0, "USD", 1, 305) == 0);
    CHECK(state_recon_matched_add(st, "p0", "wallet", D0 - 1, "EUR", 5, 99999) == 0);
    put_break(st, "amount_mismatch", "b1", D0, "EUR", "EUR", 500, f1, 550, f2);
    put_break(st, "amount_mismatch", "a1", D0, "EUR", "EUR", 300, f1, 200, f2);
    put_break(st, "day_shift", "c1", D0 + 1, "EUR", "EUR", 300, f1, 300, f2);
    put_break(st, "currency_mismatch", "d1", D0, "EUR", "USD", 600, f1, 600, f2);
    put_break(st, "missing_in_partner", "e1", D0 + 2, "USD", "USD", 0, 0, 105, f2);
    put_break(st, "missing_in_ledger", "x", D0 + 30, "EUR", "EUR", 1, f1, 0, 0); /* October */
    unsigned char chunk[4096];
    size_t n = 0;
    put_open(st, chunk, &n, "o1", D0, 0, "EUR", 205);        /* missing on D0 + 5 */
    put_open(st, chunk, &n, "o2", D0 + 3, 1, "EUR", 40);     /* waits until D0 + 5 */
    put_open(st, chunk, &n, "o3", D0 + 4, 0, "USD", 10);     /* waits */
    CHECK(state_recon_open_put(st, "p0", "wallet", 0, 0, chunk, n) == 0);

    recon_scope sc = scope(&rc_tx, D0 + 5, fx);
    recon_result r;
    CHECK(recon_period(st, &sc, &r, err, sizeof err) == 0);
    CHECK_EQ_INT(r.matched.count, 3);
    CHECK_EQ_INT(r.matched.amount, 1500 + 274);
    CHECK_EQ_INT(r.breaks[RK_AMOUNT_MISMATCH].count, 2);
    CHECK_EQ_INT(r.breaks[RK_AMOUNT_MISMATCH].amount, 150); /* |5.00-5.50| + |3.00-2.00| */
    CHECK_EQ_INT(r.breaks[RK_DAY_SHIFT].amount, 0);
    CHECK_EQ_INT(r.breaks[RK_CURRENCY_MISMATCH].amount, 600);
    CHECK_EQ_INT(r.breaks[RK_MISSING_IN_PARTNER].amount, 94); /* 1.05 USD = 0.945 -> 0.94 */
    CHECK_EQ_INT(r.breaks[RK_MISSING_IN_LEDGER].count, 1);
    CHECK_EQ_INT(r.breaks[RK_MISSING_IN_LEDGER].amount, 205);
    CHECK_EQ_INT(r.waiting, 2);
    CHECK(r.status == RS_HELD && r.hold_reason == NULL);
    CHECK_EQ_STR(r.reason, "reconciliation with wallet: 6 breaks (tolerance 0)");
    recon_result_free(&r);

    /* within tolerance, but o2 and o3 wait */
    reconcile_config loose = rc_tx;
    loose.tol_breaks = 6;
    loose.tol_amount = 2000;
    sc.rcfg = &loose;
    CHECK(recon_period(st, &sc, &r, err, sizeof err) == 0 && r.status == RS_WAITING);
    recon_result_free(&r);
    /* a day later o2 is missing (its day + 2 < today), o3 still waits */
    sc.today = D0 + 6;
    CHECK(recon_period(st, &sc, &r, err, sizeof err) == 0);
    CHECK_EQ_INT(r.waiting, 1);
    CHECK_EQ_INT(r.breaks[RK_MISSING_IN_PARTNER].count, 2);
    CHECK(r.status == RS_HELD); /* 7 breaks > 6 */
    recon_result_free(&r);
    sc.today = D0 + 7;
    loose.tol_breaks = 8;
    CHECK(recon_period(st, &sc, &r, err, sizeof err) == 0);
    CHECK(r.waiting == 0 && r.status == RS_WITHIN_TOLERANCE);
    CHECK_EQ_INT(r.breaks[RK_MISSING_IN_LEDGER].amount, 205 + 9);
    recon_result_free(&r);
    /* the summed break amount over tolerance.amount */
    loose.tol_amount = 1000;
    CHECK(recon_period(st, &sc, &r, err, sizeof err) == 0 && r.status == RS_HELD);
    CHECK_EQ_STR(r.reason, "reconciliation with wallet: breaks of 10.98 EUR (tolerance 10.00)");
    recon_result_free(&r);

    /* the listing: by day, kind (alphabetical), id; October's break left out */
    sbuf out;
    sbuf_init(&out);
    CHECK(recon_period_breaks(st, &sc, on_break, &out, err, sizeof err) == 0);
    CHECK_EQ_STR(out.buf,
                 "2025-09-01 amount_mismatch a1 EUR P L p0/d.csv|"
                 "2025-09-01 amount_mismatch b1 EUR P L p0/d.csv|"
                 "2025-09-01 currency_mismatch d1 EURUSD P L p0/d.csv|"
                 "2025-09-01 missing_in_ledger o1 EUR P - p0/d.csv|"
                 "2025-09-02 day_shift c1 EUR P L p0/d.csv|"
                 "2025-09-03 missing_in_partner e1 USD - L wallet/w.csv|"
                 "2025-09-04 missing_in_partner o2 EUR - L wallet/w.csv|"
                 "2025-09-05 missing_in_ledger o3 USD P - p0/d.csv|");
    sbuf_free(&out);

    /* a currency without a rate holds, with the reason */
    CHECK(state_recon_matched_add(st, "p0", "wallet", D0 + 9, "GBP", 1, 100) == 0);
    CHECK(recon_period(st, &sc, &r, err, sizeof err) == 0 && r.status == RS_HELD);
    CHECK_EQ_STR(r.hold_reason, "no FX rate GBP->EUR on or before 2025-09-10");
    CHECK_EQ_STR(r.reason, r.hold_reason);
    recon_result_free(&r);
    state_rollback(st);
    state_close(st);
    fx_free(fx);
}

/* Adds one cell of (day, currency, game, type) with `count` transactions of `each`. */
static void add_cell(cell_map *m, const char *category, int32_t day, const char *cur,
                 const char *game, tx_type t, int count, int64_t each)
{
    cell_key k = {.day = day, .type = (uint8_t)t,
                  .category = strmap_intern(m->categories, category, strlen(category)),
                  .game = strmap_intern(m->games, game, strlen(game)),
                  .currency = (uint16_t)strmap_intern(m->currencies, cur, strlen(cur))};
    for (int i = 0; i < count; i++)
        CHECK(cell_map_add(m, &k, each));
}

static void test_daily(void)
{
    char err[256];
    state *st = state_open_memory(err, sizeof err);
    fx_table *fx = rates();
    CHECK(st && state_begin(st) == 0);
    cell_map p, l;
    cell_map_init(&p);
    cell_map_init(&l);
    add_cell(&p, "slots", D0, "EUR", "g1", TX_BET, 2, 500);     /* matched: two categories */
    add_cell(&p, "live", D0, "EUR", "g1", TX_BET, 1, 500);
    add_cell(&l, "p0", D0, "EUR", "g1", TX_BET, 3, 500);
    add_cell(&p, "slots", D0, "USD", "g1", TX_WIN, 1, 305);     /* amount_mismatch 3.05 - 1.00 */
    add_cell(&l, "p0", D0, "USD", "g1", TX_WIN, 1, 100);
    add_cell(&p, "slots", D0 + 10, "EUR", "g2", TX_BET, 1, 700);  /* shift: D0+8 and D0+12 tie */
    add_cell(&l, "p0", D0 + 8, "EUR", "g2", TX_BET, 1, 700);
    add_cell(&l, "p0", D0 + 12, "EUR", "g2", TX_BET, 1, 700);
    add_cell(&p, "slots", D0 + 15, "EUR", "g3", TX_BET, 1, 50);   /* nearest wins: D0+16 */
    add_cell(&l, "p0", D0 + 13, "EUR", "g3", TX_BET, 1, 50);
    add_cell(&l, "p0", D0 + 16, "EUR", "g3", TX_BET, 1, 50);
    add_cell(&p, "slots", D0 + 20, "EUR", "g4", TX_BET, 1, 60);   /* 3 days apart: missing both */
    add_cell(&l, "p0", D0 + 23, "EUR", "g4", TX_BET, 1, 60);
    add_cell(&p, "slots", D0 + 21, "EUR", "g5", TX_BET, 1, 80);   /* same day, other count */
    add_cell(&l, "p0", D0 + 22, "EUR", "g5", TX_BET, 2, 40);
    add_cell(&p, "slots", D0 + 29, "EUR", "g6", TX_BET, 1, 90);   /* waits */
    CHECK(state_cells_add(st, "p0", &p) == 0);
    CHECK(state_ledger_cells_add(st, "wallet", &l) == 0);
    recon_scope sc = scope(&rc_daily, D0 + 30, fx);
    recon_result r;
    CHECK(recon_period(st, &sc, &r, err, sizeof err) == 0);
    CHECK_EQ_INT(r.matched.count, 3);
    CHECK_EQ_INT(r.matched.amount, 1500);
    CHECK_EQ_INT(r.breaks[RK_AMOUNT_MISMATCH].count, 1);
    CHECK_EQ_INT(r.breaks[RK_AMOUNT_MISMATCH].amount, 184); /* 2.05 USD = 1.845 -> 1.84 */
    CHECK_EQ_INT(r.breaks[RK_DAY_SHIFT].count, 2);
    CHECK_EQ_INT(r.breaks[RK_MISSING_IN_LEDGER].count, 2);   /* g4 and g5's partner days */
    CHECK_EQ_INT(r.breaks[RK_MISSING_IN_PARTNER].count, 4);  /* g2 D0+12, g3 D0+13, g4, g5 */
    CHECK_EQ_INT(r.breaks[RK_MISSING_IN_PARTNER].amount, 700 + 50 + 60 + 80);
    CHECK_EQ_INT(r.waiting, 1);
    CHECK(r.status == RS_WAITING);
    CHECK_EQ_INT(r.ledger_totals.total[TX_BET], 1500 + 1400 + 100 + 60 + 80);
    CHECK_EQ_INT(r.ledger_totals.total[TX_WIN], 90);
    recon_result_free(&r);
    sbuf out;
    sbuf_init(&out);
    CHECK(recon_period_breaks(st, &sc, on_break, &out, err, sizeof err) == 0);
    CHECK_EQ_STR(out.buf,
                 "2025-09-01 amount_mismatch g1/win USD P L .|"
                 "2025-09-11 day_shift g2/bet EUR P L .|"
                 "2025-09-13 missing_in_partner g2/bet EUR - L .|"
                 "2025-09-14 missing_in_partner g3/bet EUR - L .|"
                 "2025-09-16 day_shift g3/bet EUR P L .|"
                 "2025-09-21 missing_in_ledger g4/bet EUR P - .|"
                 "2025-09-22 missing_in_ledger g5/bet EUR P - .|"
                 "2025-09-23 missing_in_partner g5/bet EUR - L .|"
                 "2025-09-24 missing_in_partner g4/bet EUR - L .|");
    sbuf_free(&out);
    cell_map_free(&p);
    cell_map_free(&l);
    state_rollback(st);
    state_close(st);
    fx_free(fx);
}

int main(void)
{
    test_transaction();
    test_daily();
    return check_done();
}
