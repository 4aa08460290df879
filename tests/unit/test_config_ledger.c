/*
 * test_config_ledger.c - config_load of reconciliation (SPEC section 10): a
 * ledger read with a partner's keys, fields.partner both ways, reconcile
 * entries with their defaults and exact tolerance amounts; then each error,
 * with its exact file:line:col.
 */
#include "check.h"
#include "config_check.h"

/* Lines 1-14: settle, a partner in EUR reconciled by a ledger (lines 10-11). */
#define HEAD                                                                             \
    "settle:\n"                                                                          \
    "  timezone: UTC\n"                                                                  \
    "  currency: EUR\n"                                                                  \
    "partners:\n"                                                                        \
    "  rs:\n"                                                                            \
    "    rules: r.lua\n"                                                                 \
    "    currency: KWD\n"                                                                \
    "    fields: { id: id, time: ts, type: kind, amount: amt }\n"                        \
    "    reconcile:\n"                                                                   \
    "      - ledger: wallet\n"                                                           \
    "        tolerance: { breaks: 3, amount: \"12.345\" }\n"                             \
    "  rl:\n"                                                                            \
    "    rules: r.lua\n"                                                                 \
    "    fields: { id: 1, time: 2, amounts: { bet: 3, win: 4 } }\n"

/* Lines 15-20: the ledger, owners mapped by word. */
#define LEDGER                                                                           \
    "ledgers:\n"                                                                         \
    "  wallet:\n"                                                                        \
    "    files: \"*.csv\"\n"                                                             \
    "    lookback_days: 30\n"                                                            \
    "    fields: { partner: { from: prov, values: { RS: rs, RL: rl } }, id: tx,\n"       \
    "              round: rnd, time: ts, type: kind, amount: amt, currency: cur }\n"

/* Loads `yaml`, which must be valid, into *cfg (config_free it); messages printed. */
static void load_ok(int srcline, const char *yaml, settle_config *cfg)
{
    diag d;
    diag_init(&d);
    write_fixture(yaml);
    int rc = config_load(cfgpath, cfg, &d);
    if (rc != 0)
        fprintf(stderr, "test line %d: the config should load:\n", srcline);
    diag_print(&d, stderr);
    CHECK_EQ_INT(rc, 0);
    diag_free(&d);
}

/* A valid config: every key of a reconcile entry, defaults, owners resolved. */
static void test_valid(void)
{
    settle_config cfg;
    load_ok(__LINE__, HEAD "    reconcile:\n"
                       "      - { ledger: wallet, match: daily, day_window: 0, wait_days: 366 }\n"
                       "      - { ledger: bank }\n" LEDGER
                  "  bank:\n"
                  "    format: json\n"
                  "    default_currency: USD\n"
                  "    fields: { partner: who, id: x.id, round: x.r, time: x.t, type: x.k, amount: x.a }\n",
            &cfg);
    CHECK_EQ_INT(cfg.n_ledgers, 2);
    if (cfg.n_ledgers != 2)
        return;
    const ledger_config *w = &cfg.ledgers[0], *b = &cfg.ledgers[1];
    CHECK_EQ_STR(w->src.id, "wallet");
    CHECK_EQ_STR(w->src.kind, "ledger");
    CHECK_EQ_STR(w->src.files, "*.csv");
    CHECK_EQ_INT(w->src.lookback_days, 30);
    CHECK_EQ_STR(w->src.fields[SLOT_PARTNER].name, "prov");
    CHECK_EQ_STR(w->src.default_currency, "EUR");
    CHECK_EQ_INT(w->n_owners, 2);
    CHECK_EQ_STR(w->owners[0].word, "RS");
    CHECK_EQ_INT(w->owners[0].partner, 0);
    CHECK_EQ_STR(w->owners[1].word, "RL");
    CHECK_EQ_INT(w->owners[1].partner, 1);
    CHECK_EQ_STR(b->src.fields[SLOT_PARTNER].name, "who");
    CHECK_EQ_INT(b->n_owners, 0);
    CHECK_EQ_INT(b->src.format, FORMAT_JSON);
    CHECK_EQ_STR(b->src.default_currency, "USD");
    const partner_config *rs = &cfg.partners[0], *rl = &cfg.partners[1];
    CHECK_EQ_INT(rs->n_reconcile, 1);
    CHECK_EQ_STR(rs->reconcile[0].ledger, "wallet");
    CHECK_EQ_INT(rs->reconcile[0].ledger_index, 0);
    CHECK_EQ_INT(rs->reconcile[0].match, MATCH_TRANSACTION);
    CHECK_EQ_INT(rs->reconcile[0].day_window, 1);
    CHECK_EQ_INT(rs->reconcile[0].wait_days, 2);
    CHECK_EQ_INT(rs->reconcile[0].tol_breaks, 3);
    CHECK_EQ_INT(rs->reconcile[0].tol_amount, 12345); /* KWD: 3 decimals, exact */
    CHECK_EQ_INT(rs->reconcile[0].line, 10);
    CHECK_EQ_INT(rl->n_reconcile, 2);
    CHECK_EQ_INT(rl->reconcile[0].match, MATCH_DAILY);
    CHECK_EQ_INT(rl->reconcile[0].day_window, 0);
    CHECK_EQ_INT(rl->reconcile[0].wait_days, 366);
    CHECK_EQ_INT(rl->reconcile[0].tol_amount, 0);
    CHECK_EQ_INT(rl->reconcile[1].ledger_index, 1);
    config_free(&cfg);
}

/* No ledgers: nothing reconciled, nothing allocated. */
static void test_none(void)
{
    settle_config cfg;
    load_ok(__LINE__, "settle: { timezone: UTC, currency: EUR }\npartners:\n  a:\n    rules: r.lua\n"
            "    fields: { id: id, time: ts, type: kind, amount: amt }\n", &cfg);
    CHECK_EQ_INT(cfg.n_ledgers, 0);
    CHECK(cfg.ledgers == NULL);
    CHECK_EQ_INT(cfg.n_partners, 1);
    if (cfg.n_partners)
        CHECK_EQ_INT(cfg.partners[0].n_reconcile, 0);
    config_free(&cfg);
}

/* Keys of a ledger entry that belong to partners, and fields.partner itself. */
static void test_ledger_keys(void)
{
    EXPECT_ERROR(HEAD LEDGER "    rules: x.lua\n", 21, 5,
                 "ledgers.wallet.rules: a ledger is read and matched, never settled");
    EXPECT_ERROR(HEAD LEDGER "    statement: daily\n", 21, 5, "so it has no statement");
    EXPECT_ERROR(HEAD LEDGER "    params: {}\n", 21, 5, "ledgers.wallet.params:");
    EXPECT_ERROR(HEAD LEDGER "    reconcile: []\n", 21, 5, "ledgers.wallet.reconcile:");
    EXPECT_ERROR(HEAD LEDGER "    grace: 2\n", 21, 5, "ledgers.wallet.grace:");
    EXPECT_ERROR(HEAD LEDGER "    grace_days: 2\n", 21, 5,
                 "unknown key 'grace_days' in ledgers.wallet (expected one of: format, files,");
    EXPECT_ERROR(HEAD "ledgers:\n  wallet:\n    fields: { id: tx, time: ts, type: k, amount: a }\n",
                 17, 5, "ledgers.wallet.fields.partner is required");
    EXPECT_ERROR(HEAD "ledgers:\n  Wallet:\n    fields: { partner: p, id: tx, time: ts, type: k, "
                 "amount: a }\n", 16, 3, "ledger id 'Wallet' must be 1 to 64 characters");
    EXPECT_ERROR(HEAD "ledgers: [wallet]\n", 15, 1, "expected a mapping for 'ledgers'");
    EXPECT_ERROR("settle: { timezone: UTC, currency: EUR }\npartners:\n  a:\n    rules: r.lua\n"
                 "    fields: { partner: p, id: id, time: ts, type: kind, amount: amt }\n",
                 5, 15, "unknown key 'partner' in partners.a.fields");
}

/* fields.partner.values and id clashes. */
static void test_owners(void)
{
    EXPECT_ERROR(HEAD "ledgers:\n  wallet:\n    fields: { partner: { from: p, values: { X: zz } },"
                 " id: tx, round: r, time: ts, type: k, amount: a }\n",
                 17, 48, "ledgers.wallet.fields.partner.values.X: 'zz' is not a partner "
                 "(partners: rs, rl)");
    EXPECT_ERROR(HEAD "ledgers:\n  wallet:\n    fields: { partner: { from: p, values: {} },"
                 " id: tx, round: r, time: ts, type: k, amount: a }\n",
                 17, 35, "values must map at least one word to a partner id");
    EXPECT_ERROR(HEAD "ledgers:\n  wallet:\n    fields: { partner: { from: p, value: {} },"
                 " id: tx, round: r, time: ts, type: k, amount: a }\n",
                 17, 35, "unknown key 'value' in ledgers.wallet.fields.partner");
    EXPECT_ERROR(HEAD LEDGER "  rs:\n    fields: { partner: p, id: tx, time: ts, type: k, "
                 "amount: a }\n", 21, 3, "ledger id 'rs' is also a partner id");
}

/* reconcile entries: shape, ranges, tolerance, links to ledgers. */
static void test_reconcile(void)
{
    static const char *tail = LEDGER;
    char buf[2048];
#define WITH(entry) (snprintf(buf, sizeof buf, "%s    reconcile:\n      - %s\n%s", HEAD, entry, tail), buf)
    EXPECT_ERROR(HEAD "    reconcile: { ledger: wallet }\n" LEDGER, 15, 5,
                 "partners.rl.reconcile must be a list");
    EXPECT_ERROR(WITH("{ match: daily }"), 16, 9, "partners.rl.reconcile[0].ledger is required");
    EXPECT_ERROR(WITH("{ ledger: bank }"), 16, 19,
                 "partners.rl.reconcile[0].ledger: 'bank' is not under ledgers:");
    EXPECT_ERROR(WITH("{ ledger: wallet, match: weekly }"), 16, 34, "match");
    EXPECT_ERROR(WITH("{ ledger: wallet, day_window: 32 }"), 16, 39,
                 "partners.rl.reconcile[0].day_window must be between 0 and 31");
    EXPECT_ERROR(WITH("{ ledger: wallet, wait_days: -1 }"), 16, 38,
                 "wait_days must be between 0 and 366");
    EXPECT_ERROR(WITH("{ ledger: wallet, tolerance: { amount: \"1.005\" } }"), 16, 48,
                 "partners.rl.reconcile[0].tolerance.amount: '1.005' has more decimals than "
                 "EUR allows (2)");
    EXPECT_ERROR(WITH("{ ledger: wallet, tolerance: { amount: \"-1\" } }"), 16, 48,
                 "must be a decimal amount of EUR of 0 or more");
    EXPECT_ERROR(WITH("{ ledger: wallet, tolerance: { amount: \"1e3\" } }"), 16, 48,
                 "must be a decimal amount of EUR");
    EXPECT_ERROR(WITH("{ ledger: wallet, tolerance: { breaks: -2 } }"), 16, 48,
                 "tolerance.breaks must be between 0 and");
    EXPECT_ERROR(WITH("{ ledger: wallet, tolerance: { count: 1 } }"), 16, 40,
                 "unknown key 'count' in partners.rl.reconcile[0].tolerance");
    EXPECT_ERROR(WITH("{ ledger: wallet, grace: 1 }"), 16, 27,
                 "unknown key 'grace' in partners.rl.reconcile[0]");
    EXPECT_ERROR(HEAD "    reconcile:\n      - ledger: wallet\n      - { ledger: wallet, match: "
                 "daily }\n" LEDGER, 17, 19,
                 "partners.rl.reconcile[1]: ledger 'wallet' is already listed in reconcile[0]");
    EXPECT_ERROR("settle: { timezone: UTC, currency: EUR }\n"
                 "partners:\n  a:\n    rules: r.lua\n    reconcile: [{ ledger: w }]\n"
                 "    fields: { id: 1, time: 2, amounts: { bet: 3 } }\n"
                 "ledgers:\n  w:\n    fields: { partner: p, id: tx, time: ts, type: k, "
                 "amount: a }\n", 5, 27, "a sends one row per round (fields.amounts), so it "
                 "is matched by <round>:<type>; ledger 'w' must map fields.round");
#undef WITH
}

/* A daily-matched amounts: partner needs no ledger round. */
static void test_daily_amounts(void)
{
    settle_config cfg;
    load_ok(__LINE__, "settle: { timezone: UTC, currency: EUR }\n"
            "partners:\n  a:\n    rules: r.lua\n    reconcile: [{ ledger: w, match: daily }]\n"
            "    fields: { id: 1, time: 2, amounts: { bet: 3 } }\n"
            "ledgers:\n  w:\n    fields: { partner: p, id: tx, time: ts, type: k, amount: a }\n",
            &cfg);
    CHECK_EQ_INT(cfg.n_ledgers, 1);
    config_free(&cfg);
}

int main(void)
{
    config_check_begin();
    test_valid();
    test_none();
    test_ledger_keys();
    test_owners();
    test_reconcile();
    test_daily_amounts();
    config_check_end();
    return check_done();
}
