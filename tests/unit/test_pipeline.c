/*
 * test_pipeline.c - unit tests of the pipeline core: field mapping and
 * normalisation (one row per transaction and one row per round; a ledger's
 * rows and their owners), the dedup
 * set (repeats, conflicts, removal, growth), interning, and the period
 * builder (sums, GGR, per-day FX conversion with half-even rounding, holds).
 * Expected figures are worked out by hand in the comments.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aggregate.h"
#include "check.h"
#include "config.h"
#include "dedup.h"
#include "seen.h"
#include "fx.h"
#include "normalise.h"
#include "strmap.h"
#include "timefmt.h"

/* A partner mapped like a ';'-separated EU drop with a header. */
static void partner_eu(partner_config *pc)
{
    memset(pc, 0, sizeof *pc);
    pc->id = "acme";
    pc->currency = "EUR";
    pc->csv.decimal = ',';
    pc->csv.thousands = '.';
    pc->fields[SLOT_ID].name = "TxID";
    pc->fields[SLOT_TIME].name = "When";
    pc->fields[SLOT_TYPE].name = "Kind";
    pc->fields[SLOT_AMOUNT].name = "Amount";
    pc->fields[SLOT_CURRENCY].name = "Cur";
    pc->fields[SLOT_GAME].name = "Game";
    pc->time.kind = TIME_PATTERN;
    pc->time.pattern = "%d/%m/%Y %H:%M:%S";
    static type_value values[] = {{"BET", TX_BET}, {"WIN", TX_WIN}};
    pc->type_values = values;
    pc->n_type_values = 2;
}

/* Builds an ingest_row over an array of C strings. */
static ingest_row make_row(slice *fields, const char **cells, size_t n, uint64_t line)
{
    for (size_t i = 0; i < n; i++)
        fields[i] = (slice){cells[i], strlen(cells[i])};
    ingest_row r = {.fields = fields, .n_fields = n, .line = line, .raw = {"raw", 3}};
    return r;
}

/* Normalises one row of the EU partner; returns the normalise_row result. */
static int eu_row(normaliser *n, const char **cells, txn *out, size_t *n_out, norm_reject *rej)
{
    slice f[8];
    ingest_row row = make_row(f, cells, 6, 2);
    return normalise_row(n, &row, out, n_out, rej);
}

static void test_normalise_single(void)
{
    char err[128];
    partner_config pc;
    partner_eu(&pc);
    tz_zone *malta = tz_load("Europe/Malta", err, sizeof err);
    tz_zone *seoul = tz_load("Asia/Seoul", err, sizeof err);
    strmap *curs = strmap_new();
    normaliser *n = normaliser_new(&pc, malta, seoul, 6 * 3600, curs);
    slice hf[6];
    const char *hdr_cells[] = {"Game", " TxID ", "When", "Kind", "Amount", "Cur"};
    ingest_row hdr = make_row(hf, hdr_cells, 6, 1);
    CHECK_EQ_INT(normaliser_start_file(n, &hdr, err, sizeof err), 0);

    txn out[TX_TYPE_COUNT];
    size_t k;
    norm_reject rej;
    const char *ok[] = {"g1", "t1", "01/09/2025 10:00:00", "BET", "1.234,50", "EUR"};
    CHECK_EQ_INT(eu_row(n, ok, out, &k, &rej), 0);
    CHECK_EQ_INT(k, 1);
    CHECK_EQ_INT(out[0].amount, 123450);
    CHECK_EQ_INT(out[0].type, TX_BET);
    CHECK(slice_eq(out[0].id, "t1"));
    CHECK(slice_eq(out[0].category, "unknown")); /* unmapped category */
    /* 10:00 CEST = 08:00Z = 17:00 Seoul, after the 06:00 cut-off: 1 Sep */
    int32_t sep1;
    date_parse("2025-09-01", 10, &sep1);
    CHECK_EQ_INT(out[0].day, sep1);

    const char *early[] = {"g1", "t2", "31/08/2025 22:30:00", "WIN", "1,00", "EUR"};
    CHECK_EQ_INT(eu_row(n, early, out, &k, &rej), 0); /* 20:30Z = 05:30 Seoul -> 31 Aug */
    CHECK_EQ_INT(out[0].day, sep1 - 1);

    struct {
        const char *cells[6];
        reject_code code;
    } bad[] = {
        {{"g", "", "01/09/2025 10:00:00", "BET", "1,00", "EUR"}, REJ_MISSING_FIELD},
        {{"g", "t", "01/09/2025 10:00:00", "BET", "", "EUR"}, REJ_MISSING_FIELD},
        {{"g", "t", "31/09/2025 10:00:00", "BET", "1,00", "EUR"}, REJ_BAD_TIME},
        {{"g", "t", "30/03/2025 02:30:00", "BET", "1,00", "EUR"}, REJ_BAD_TIME}, /* DST gap */
        {{"g", "t", "01/09/2025 10:00:00", "SPIN", "1,00", "EUR"}, REJ_UNKNOWN_TYPE},
        {{"g", "t", "01/09/2025 10:00:00", "BET", "1,00", "XYZ"}, REJ_UNKNOWN_CURRENCY},
        {{"g", "t", "01/09/2025 10:00:00", "BET", "1,005", "EUR"}, REJ_PRECISION},
        {{"g", "t", "01/09/2025 10:00:00", "BET", "1.2.3", "EUR"}, REJ_BAD_AMOUNT},
        {{"g", "t", "01/09/2025 10:00:00", "BET", "99999999999999999999", "EUR"}, REJ_OVERFLOW},
        /* order: a bad time wins over a bad type and amount */
        {{"g", "t", "nope", "SPIN", "x", "EUR"}, REJ_BAD_TIME},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ_INT(eu_row(n, bad[i].cells, out, &k, &rej), -1);
        CHECK_EQ_INT(rej.code, bad[i].code);
        CHECK(rej.detail[0] != 0);
    }
    const char *short_row[] = {"g", "t9", "01/09/2025 10:00:00", "BET", "1,00"};
    slice sf[6];
    ingest_row sr = make_row(sf, short_row, 5, 3);
    CHECK_EQ_INT(normalise_row(n, &sr, out, &k, &rej), -1);
    CHECK_EQ_INT(rej.code, REJ_BAD_ROW);
    CHECK(strstr(rej.detail, "5 fields, expected 6") != NULL);
    const char *trailing[] = {"g1", "t1", "01/09/2025 10:00:00", "BET", "1,00", "EUR", " "};
    slice tf[7];
    ingest_row tr = make_row(tf, trailing, 7, 4);
    CHECK_EQ_INT(normalise_row(n, &tr, out, &k, &rej), 0); /* a blank trailing cell is fine */
    trailing[6] = "extra";
    tr = make_row(tf, trailing, 7, 5);
    CHECK_EQ_INT(normalise_row(n, &tr, out, &k, &rej), -1);
    CHECK_EQ_INT(rej.code, REJ_BAD_ROW);
    /* a reject with a readable time carries its business day */
    CHECK_EQ_INT(eu_row(n, bad[4].cells, out, &k, &rej), -1);
    CHECK_EQ_INT(rej.day, sep1);

    const char *missing_hdr[] = {"Game", "TxID", "When", "Kind", "Cur"};
    hdr = make_row(hf, missing_hdr, 5, 1);
    CHECK_EQ_INT(normaliser_start_file(n, &hdr, err, sizeof err), -1);
    CHECK(strstr(err, "'Amount'") != NULL);
    normaliser_free(n);
    strmap_free(curs);
    tz_free(malta);
    tz_free(seoul);
}

/* A ledger's rows: fields.partner mapped through owners, or taken as a partner id. */
static void test_normalise_owner(void)
{
    char err[128];
    partner_config partners[2] = {{.id = "rs"}, {.id = "rl"}}, src;
    partner_eu(&src);
    src.id = "wallet";
    src.fields[SLOT_PARTNER].name = "Prov";
    owner_value owners[] = {{"RS", 0}, {"RL", 1}};
    ledger_config lc = {.src = src, .owners = owners, .n_owners = 2};
    settle_config cfg = {.partners = partners, .n_partners = 2, .ledgers = &lc, .n_ledgers = 1};
    tz_zone *utc = tz_load("UTC", err, sizeof err);
    strmap *curs = strmap_new();
    normaliser *n = normaliser_new(&lc.src, utc, utc, 0, curs);
    normaliser_set_owners(n, &cfg, &lc);
    slice hf[7], f[7];
    const char *hdr_cells[] = {"Game", "TxID", "When", "Kind", "Amount", "Cur", "Prov"};
    ingest_row hdr = make_row(hf, hdr_cells, 7, 1);
    CHECK_EQ_INT(normaliser_start_file(n, &hdr, err, sizeof err), 0);
    txn out[TX_TYPE_COUNT];
    size_t k;
    norm_reject rej;
    struct {
        const char *prov, *amount;
        int rc;
        reject_code code;
        int32_t owner;
    } rows[] = {
        {"RL", "1,00", 0, 0, 1}, {"RL", "2,00", 0, 0, 1}, /* the second from the cache */
        {"RS", "1,00", 0, 0, 0}, {"rs", "1,00", -1, REJ_UNKNOWN_PARTNER, -1},
        {"", "1,00", -1, REJ_MISSING_FIELD, -1},
        {"RS", "1,0x", -1, REJ_BAD_AMOUNT, 0}, /* a reject still knows its owner */
        {"XX", "1,0x", -1, REJ_UNKNOWN_PARTNER, -1}, /* the owner is checked first */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *cells[] = {"g", "t", "01/09/2025 10:00:00", "BET", rows[i].amount, "EUR",
                               rows[i].prov};
        ingest_row r = make_row(f, cells, 7, 2);
        CHECK_EQ_INT(normalise_row(n, &r, out, &k, &rej), rows[i].rc);
        if (rows[i].rc == 0)
            CHECK_EQ_INT(out[0].owner, rows[i].owner);
        else {
            CHECK_EQ_INT(rej.code, rows[i].code);
            CHECK_EQ_INT(rej.owner, rows[i].owner);
        }
    }
    CHECK_EQ_STR(reject_code_name(REJ_UNKNOWN_PARTNER), "unknown_partner");
    lc.n_owners = 0; /* no values: the value is a partner id as written */
    normaliser_set_owners(n, &cfg, &lc);
    const char *cells[] = {"g", "t", "01/09/2025 10:00:00", "BET", "1,00", "EUR", "rl"};
    ingest_row r = make_row(f, cells, 7, 3);
    CHECK_EQ_INT(normalise_row(n, &r, out, &k, &rej), 0);
    CHECK_EQ_INT(out[0].owner, 1);
    normaliser_free(n);
    /* a partner's own drop: no owner */
    partner_eu(&partners[0]);
    n = normaliser_new(&partners[0], utc, utc, 0, curs);
    CHECK_EQ_INT(normaliser_start_file(n, &hdr, err, sizeof err), 0);
    CHECK_EQ_INT(normalise_row(n, &r, out, &k, &rej), 0);
    CHECK_EQ_INT(out[0].owner, -1);
    normaliser_free(n);
    strmap_free(curs);
    tz_free(utc);
}

static void test_normalise_rounds(void)
{
    char err[128];
    partner_config pc;
    memset(&pc, 0, sizeof pc);
    pc.id = "spin";
    pc.currency = "KRW";
    pc.csv.decimal = '.';
    pc.has_amounts = true;
    pc.fields[SLOT_ID].column = 1;
    pc.fields[SLOT_TIME].column = 2;
    pc.fields[SLOT_AMOUNTS_BASE + TX_BET].column = 3;
    pc.fields[SLOT_AMOUNTS_BASE + TX_WIN].column = 4;
    pc.fields[SLOT_AMOUNTS_BASE + TX_BONUS].column = 5;
    pc.time.kind = TIME_EPOCH_S;
    tz_zone *seoul = tz_load("Asia/Seoul", err, sizeof err);
    strmap *curs = strmap_new();
    normaliser *n = normaliser_new(&pc, seoul, seoul, 0, curs);
    CHECK_EQ_INT(normaliser_start_file(n, NULL, err, sizeof err), 0);
    slice f[5];
    const char *cells[] = {"R7", "1756684800", "1000", "0", ""};
    ingest_row row = make_row(f, cells, 5, 9);
    txn out[TX_TYPE_COUNT];
    size_t k;
    norm_reject rej;
    CHECK_EQ_INT(normalise_row(n, &row, out, &k, &rej), 0);
    CHECK_EQ_INT(k, 2); /* bet and a zero win; the empty bonus column is no transaction */
    CHECK(slice_eq(out[0].id, "R7:bet"));
    CHECK(slice_eq(out[1].id, "R7:win"));
    CHECK_EQ_INT(out[0].amount, 1000);
    CHECK_EQ_INT(out[1].amount, 0);
    CHECK_EQ_INT(out[0].line, 9);
    const char *none[] = {"R8", "1756684800", "", "", ""};
    row = make_row(f, none, 5, 10);
    CHECK_EQ_INT(normalise_row(n, &row, out, &k, &rej), -1);
    CHECK_EQ_INT(rej.code, REJ_MISSING_FIELD);
    const char *bad[] = {"R9", "1756684800", "10", "1.5", ""};
    row = make_row(f, bad, 5, 11);
    CHECK_EQ_INT(normalise_row(n, &row, out, &k, &rej), -1);
    CHECK_EQ_INT(rej.code, REJ_PRECISION); /* KRW has no minor unit */
    row.status = ROW_FIELD_TOO_LONG;
    CHECK_EQ_INT(normalise_row(n, &row, out, &k, &rej), -1);
    CHECK_EQ_INT(rej.code, REJ_FIELD_TOO_LONG);
    normaliser_free(n);
    strmap_free(curs);
    tz_free(seoul);
}

/* The seen id store's answers for one id sequence (its full check is test_seen.c). */
static dedup_result seen_ask(seen_store *s, const dedup_key *key, const char *id, uint32_t fp)
{
    dedup_result r = DEDUP_NEW;
    CHECK(seen_check(s, dedup_siphash128(key, id, strlen(id)), fp, &r) == 0);
    return r;
}

static void test_dedup(void)
{
    dedup_key key = {1, 2};
    char err[128];
    seen_store *s = seen_open(NULL, 0, err, sizeof err);
    dedup_digest a = dedup_siphash128(&key, "tx-1", 4);
    dedup_digest b = dedup_siphash128(&key, "tx-2", 4);
    CHECK(a.lo != b.lo || a.hi != b.hi);
    dedup_digest a2 = dedup_siphash128(&key, "tx-1", 4);
    CHECK(a.lo == a2.lo && a.hi == a2.hi);
    dedup_key other = {3, 4};
    dedup_digest a3 = dedup_siphash128(&other, "tx-1", 4);
    CHECK(a.lo != a3.lo || a.hi != a3.hi); /* keyed */
    seen_file_begin(s);
    CHECK_EQ_INT(seen_ask(s, &key, "tx-1", 7), DEDUP_NEW);
    CHECK_EQ_INT(seen_ask(s, &key, "tx-1", 7), DEDUP_REPEAT);
    CHECK_EQ_INT(seen_ask(s, &key, "tx-1", 8), DEDUP_CONFLICT);
    CHECK_EQ_INT(seen_ask(s, &key, "tx-2", 7), DEDUP_NEW);
    seen_unadd(s, b); /* the row was rejected after all */
    CHECK_EQ_INT(seen_ask(s, &key, "tx-1", 7), DEDUP_REPEAT); /* a still found */
    CHECK_EQ_INT(seen_ask(s, &key, "tx-2", 9), DEDUP_NEW);
    /* 200k distinct ids all new, then all repeats; a second file's ids undone */
    char id[32];
    int news = 0, repeats = 0, back = 0;
    for (int i = 0; i < 200000; i++) {
        snprintf(id, sizeof id, "id-%d", i);
        news += seen_ask(s, &key, id, 1) == DEDUP_NEW;
    }
    for (int i = 0; i < 200000; i++) {
        snprintf(id, sizeof id, "id-%d", i);
        repeats += seen_ask(s, &key, id, 1) == DEDUP_REPEAT;
    }
    CHECK_EQ_INT(news, 200000);
    CHECK_EQ_INT(repeats, 200000);
    seen_file_begin(s);
    for (int i = 200000; i < 300000; i++) {
        snprintf(id, sizeof id, "id-%d", i);
        news += seen_ask(s, &key, id, 1) == DEDUP_NEW;
    }
    CHECK_EQ_INT(seen_file_count(s), 100000);
    seen_file_undo(s);
    seen_file_begin(s);
    for (int i = 0; i < 300000; i++) {
        snprintf(id, sizeof id, "id-%d", i);
        dedup_result r = seen_ask(s, &key, id, 1);
        back += i >= 200000 ? r == DEDUP_NEW : r == DEDUP_REPEAT;
    }
    CHECK_EQ_INT(back, 300000);
    seen_close(s);
}

static void test_type_names(void)
{
    CHECK_EQ_INT(tx_type_from_name("win_reversal", 12), TX_WIN_REVERSAL);
    CHECK_EQ_INT(tx_type_from_name("rollback", 8), TX_REFUND); /* SPEC sample config alias */
    CHECK_EQ_INT(tx_type_from_name("chargeback", 10), -1);
    CHECK_EQ_STR(reject_code_name(REJ_BAD_ROW), "bad_row");
}

static void test_strmap(void)
{
    strmap *m = strmap_new();
    char key[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        CHECK_EQ_INT(strmap_intern(m, key, strlen(key)), i);
    }
    CHECK_EQ_INT(strmap_intern(m, "k500", 4), 500);
    CHECK_EQ_INT(strmap_find(m, "k999", 4), 999);
    CHECK_EQ_INT(strmap_find(m, "nope", 4), -1);
    CHECK_EQ_STR(strmap_str(m, 42), "k42");
    strmap_free(m);
}

/* Writes an FX file with EUR->KRW on 1 Sep only. */
static fx_table *fx_fixture(void)
{
    char path[] = "/tmp/settle-fx-XXXXXX";
    int fd = mkstemp(path);
    const char *text = "date,base,quote,rate\n2025-09-01,EUR,KRW,1450.5\n";
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    diag d;
    diag_init(&d);
    fx_table *t = fx_load(path, &d);
    CHECK(t != NULL);
    diag_free(&d);
    unlink(path);
    return t;
}

static void test_period_builder(void)
{
    fx_table *fx = fx_fixture();
    int32_t d1, d2, d0;
    date_parse("2025-09-01", 10, &d1);
    date_parse("2025-09-02", 10, &d2);
    date_parse("2025-08-31", 10, &d0);
    period_builder *b = period_builder_new("p", PERIOD_MONTHLY, d2, "KRW");
    /* KRW: bets 10000 on 1 Sep (slots), win 4000 on 2 Sep (table) */
    cell_row c1 = {d1, "KRW", "slots", "g1", TX_BET, 10000, 3};
    cell_row c2 = {d2, "KRW", "table", "g2", TX_WIN, 4000, 1};
    /* EUR on 1 Sep: cells of 0.03 and 0.01 EUR. The day sum is converted ONCE:
     * 0.04 * 1450.5 = 58.02 -> 58. Converting each cell would give 43.515 -> 44
     * plus 14.505 -> 15 = 59, so the total tells the two apart. */
    cell_row c3 = {d1, "EUR", "slots", "g1", TX_BET, 3, 1};
    cell_row c4 = {d1, "EUR", "slots", "g3", TX_BET, 1, 1};
    period_builder_add(b, &c1);
    period_builder_add(b, &c2);
    period_builder_add(b, &c3);
    period_builder_add(b, &c4);
    period_builder_counts(b, 2, 5);
    period_agg *p = period_builder_finish(b, fx);
    CHECK(p->hold_reason == NULL);
    CHECK_EQ_STR(p->label, "2025-09");
    CHECK_EQ_INT(p->total.total[TX_BET], 10058);
    CHECK_EQ_INT(p->total.count[TX_BET], 5);
    CHECK_EQ_INT(p->total.total[TX_WIN], 4000);
    int64_t ggr;
    CHECK(agg_ggr(&p->total, &ggr));
    CHECK_EQ_INT(ggr, 6058);
    CHECK_EQ_INT(p->duplicates, 2);
    CHECK_EQ_INT(p->rejected, 5);
    CHECK_EQ_INT(p->n_currency, 2);
    CHECK_EQ_STR(p->by_currency[0].key, "EUR"); /* sorted; exact native sums */
    CHECK_EQ_INT(p->by_currency[0].s.total[TX_BET], 4);
    CHECK_EQ_INT(p->by_currency[0].exponent, 2);
    CHECK_EQ_INT(p->n_day, 2);
    CHECK_EQ_STR(p->by_day[0].key, "2025-09-01");
    CHECK_EQ_INT(p->by_day[0].s.total[TX_BET], 10058);
    CHECK_EQ_INT(p->n_fx, 1);
    CHECK_EQ_STR(p->fx[0].rate, "1450.5");
    CHECK_EQ_INT(p->n_game, 3);
    CHECK_EQ_STR(p->by_game[2].key, "g3");
    CHECK_EQ_INT(p->by_game[2].s.total[TX_BET], 15); /* 0.01 EUR alone: 14.505 -> 15 */
    period_agg_free(p);

    /* a day before the first rate: held with the reason, never guessed */
    b = period_builder_new("p", PERIOD_MONTHLY, d0, "KRW");
    cell_row c5 = {d0, "EUR", "slots", "g1", TX_BET, 100, 1};
    period_builder_add(b, &c5);
    p = period_builder_finish(b, fx);
    CHECK(p->hold_reason && strstr(p->hold_reason, "EUR->KRW") &&
          strstr(p->hold_reason, "2025-08-31"));
    period_agg_free(p);

    /* overflow of a sum holds too */
    b = period_builder_new("p", PERIOD_DAILY, d1, "KRW");
    cell_row big = {d1, "KRW", "s", "g", TX_BET, INT64_MAX, 1};
    period_builder_add(b, &big);
    period_builder_add(b, &c1);
    p = period_builder_finish(b, fx);
    CHECK(p->hold_reason && strstr(p->hold_reason, "overflow"));
    period_agg_free(p);
    fx_free(fx);
}

int main(void)
{
    test_normalise_single();
    test_normalise_rounds();
    test_normalise_owner();
    test_dedup();
    test_strmap();
    test_type_names();
    test_period_builder();
    return check_done();
}
