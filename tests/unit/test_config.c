/*
 * test_config.c - config_load: a full valid config (every field, defaults,
 * resolved paths), then one fixture per error class, each asserting the exact
 * file:line:col prefix and a fragment of the message, and that a failed load
 * leaves the config zeroed. Fixtures are written into a mkdtemp folder.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config_check.h"


/* The settle: section and partner head used by most fixtures: HEAD0 is
 * lines 1-8, HEAD adds fields.time on line 9. */
#define HEAD0 "settle:\n" HEAD0_BODY
#define HEAD0_BODY                                                                       \
    "  timezone: Asia/Seoul\n"                                                           \
    "  currency: KRW\n"                                                                  \
    "partners:\n"                                                                        \
    "  acme:\n"                                                                          \
    "    rules: rules/a.lua\n"                                                           \
    "    fields:\n"                                                                      \
    "      id: TxID\n"
#define HEAD HEAD0 "      time: Date\n"

static const char *full_yaml =
    "settle:\n"
    "  timezone: Asia/Seoul\n"
    "  day_starts_at: \"06:30\"\n"
    "  currency: KRW\n"
    "  paths: { inbox: in, state: /abs/state, reports: out/reports }\n"
    "fx:  { rates: data/fx/rates.csv }\n"
    "tax: { tables: data/tax.yaml }\n"
    "partners:\n"
    "  acme-games:\n"
    "    kind: game_provider\n"
    "    format: csv\n"
    "    files: \"*.csv\"\n"
    "    csv: { delimiter: \";\", quote: \"'\", header: yes, decimal: \",\", thousands: \".\",\n"
    "           encoding: cp949, skip_lines: 2 }\n"
    "    timezone: Europe/Malta\n"
    "    statement: weekly\n"
    "    currency: EUR\n"
    "    default_currency: USD\n"
    "    fields:\n"
    "      id: TransactionID\n"
    "      round: RoundID\n"
    "      time: { from: Date, format: \"%d/%m/%Y %H:%M:%S\" }\n"
    "      player: PlayerID\n"
    "      game: GameID\n"
    "      category: GameType\n"
    "      type: { from: Type, values: { BET: bet, WIN: win, ROLLBACK: win_reversal } }\n"
    "      amount: Amount\n"
    "      currency: Currency\n"
    "    control: { trailer: true, marker: TRL, count: 4, sum: 5 }\n"
    "    rules: rules/game_provider.lua\n"
    "    params: { share: \"12%\", min_fee: \"500000\", cap: 10, tiers: [1, \"2\", {a: b}],\n"
    "              nested: { deep: x } }\n"
    "    grace: 5\n"
    "    lookback_days: 30\n"
    "  chips_2:\n"
    "    csv: { header: false, delimiter: tab, quote: \"\" }\n"
    "    rules: /etc/settle/chips.lua\n"
    "    fields:\n"
    "      id: 1\n"
    "      time: { from: 2, format: epoch_ms }\n"
    "      amounts: { bet: 3, win: 4, jackpot_win: 7 }\n"
    "  feed:\n"
    "    format: json\n"
    "    fields: { id: tx.id, time: tx.at, type: tx.kind, amount: tx.amount }\n"
    "    rules: r.lua\n";

/* Checks the first partner of the full fixture: every key given explicitly. */
static void check_acme(const settle_config *cfg, const char *dir)
{
    const partner_config *p = config_partner(cfg, "acme-games");
    char buf[256];
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK_EQ_STR(p->id, "acme-games");
    CHECK_EQ_INT(p->line, 9);
    CHECK_EQ_STR(p->kind, "game_provider");
    CHECK_EQ_INT(p->format, FORMAT_CSV);
    CHECK_EQ_STR(p->files, "*.csv");
    CHECK_EQ_INT(p->csv.delimiter, ';');
    CHECK_EQ_INT(p->csv.quote, '\'');
    CHECK(p->csv.header);
    CHECK_EQ_INT(p->csv.decimal, ',');
    CHECK_EQ_INT(p->csv.thousands, '.');
    CHECK_EQ_STR(p->csv.encoding, "cp949");
    CHECK_EQ_INT(p->csv.skip_lines, 2);
    CHECK_EQ_STR(p->timezone, "Europe/Malta");
    CHECK_EQ_INT(p->statement, PERIOD_WEEKLY);
    CHECK_EQ_STR(p->currency, "EUR");
    CHECK_EQ_STR(p->default_currency, "USD");
    snprintf(buf, sizeof buf, "%s/rules/game_provider.lua", dir);
    CHECK_EQ_STR(p->rules, buf);
    CHECK(p->control.trailer);
    CHECK_EQ_STR(p->control.marker, "TRL");
    CHECK(!p->control.manifest);
    CHECK_EQ_INT(p->control.count.column, 4);
    CHECK_EQ_INT(p->control.sum.column, 5);
    CHECK_EQ_INT(p->grace_days, 5);
    CHECK_EQ_INT(p->lookback_days, 30);
    CHECK(!p->has_amounts);
}

/* Checks acme's fields: names, time pattern, type words. */
static void check_acme_fields(const settle_config *cfg)
{
    const partner_config *p = config_partner(cfg, "acme-games");
    if (!p)
        return;
    CHECK_EQ_STR(p->fields[SLOT_ID].name, "TransactionID");
    CHECK_EQ_INT(p->fields[SLOT_ID].column, 0);
    CHECK_EQ_STR(p->fields[SLOT_ROUND].name, "RoundID");
    CHECK_EQ_STR(p->fields[SLOT_TIME].name, "Date");
    CHECK_EQ_STR(p->fields[SLOT_PLAYER].name, "PlayerID");
    CHECK_EQ_STR(p->fields[SLOT_GAME].name, "GameID");
    CHECK_EQ_STR(p->fields[SLOT_CATEGORY].name, "GameType");
    CHECK_EQ_STR(p->fields[SLOT_TYPE].name, "Type");
    CHECK_EQ_STR(p->fields[SLOT_AMOUNT].name, "Amount");
    CHECK_EQ_STR(p->fields[SLOT_CURRENCY].name, "Currency");
    for (int t = 0; t < TX_TYPE_COUNT; t++)
        CHECK(!field_ref_set(&p->fields[SLOT_AMOUNTS_BASE + t]));
    CHECK_EQ_INT(p->time.kind, TIME_PATTERN);
    CHECK_EQ_STR(p->time.pattern, "%d/%m/%Y %H:%M:%S");
    CHECK_EQ_INT(p->n_type_values, 3);
    if (p->n_type_values == 3) {
        CHECK_EQ_STR(p->type_values[0].word, "BET");
        CHECK_EQ_INT(p->type_values[0].type, TX_BET);
        CHECK_EQ_STR(p->type_values[2].word, "ROLLBACK");
        CHECK_EQ_INT(p->type_values[2].type, TX_WIN_REVERSAL);
    }
}

/* Checks acme's params tree: exact text, quoting, nesting, lists. */
static void check_acme_params(const settle_config *cfg)
{
    const partner_config *p = config_partner(cfg, "acme-games");
    if (!p)
        return;
    const param *share = param_get(&p->params, "share");
    const param *cap = param_get(&p->params, "cap");
    const param *tiers = param_get(&p->params, "tiers");
    const param *nested = param_get(&p->params, "nested");
    CHECK_EQ_INT(p->params.kind, PARAM_MAP);
    CHECK_EQ_INT(p->params.n_items, 5);
    CHECK(share && share->kind == PARAM_SCALAR && share->quoted);
    CHECK_EQ_STR(share ? share->scalar : NULL, "12%");
    CHECK_EQ_STR(param_get(&p->params, "min_fee")->scalar, "500000");
    CHECK(cap && !cap->quoted);
    CHECK_EQ_STR(cap ? cap->scalar : NULL, "10");
    CHECK(tiers && tiers->kind == PARAM_LIST && tiers->n_items == 3);
    if (tiers && tiers->n_items == 3) {
        CHECK(!tiers->items[0].quoted && tiers->items[1].quoted && !tiers->items[0].key);
        CHECK_EQ_STR(tiers->items[1].scalar, "2");
        CHECK_EQ_STR(param_get(&tiers->items[2], "a")->scalar, "b");
    }
    CHECK(nested && nested->kind == PARAM_MAP);
    CHECK_EQ_STR(param_get(nested, "deep")->scalar, "x");
    CHECK(param_get(&p->params, "absent") == NULL);
    CHECK(param_get(share, "x") == NULL);
}

/* Checks the second and third partners: defaults, columns, amounts, json. */
static void check_defaults(const settle_config *cfg, const char *dir)
{
    const partner_config *p = config_partner(cfg, "chips_2");
    char buf[256];
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK_EQ_STR(p->kind, "partner");
    CHECK_EQ_STR(p->files, "*");
    CHECK_EQ_INT(p->csv.delimiter, '\t');
    CHECK_EQ_INT(p->csv.quote, 0);
    CHECK(!p->csv.header);
    CHECK_EQ_INT(p->csv.decimal, '.');
    CHECK_EQ_INT(p->csv.thousands, 0);
    CHECK_EQ_STR(p->csv.encoding, "utf-8");
    CHECK_EQ_INT(p->csv.skip_lines, 0);
    CHECK_EQ_STR(p->timezone, "Asia/Seoul");
    CHECK_EQ_INT(p->statement, PERIOD_MONTHLY);
    CHECK_EQ_STR(p->currency, "KRW");
    CHECK_EQ_STR(p->default_currency, "KRW");
    CHECK_EQ_STR(p->rules, "/etc/settle/chips.lua");
    CHECK_EQ_INT(p->grace_days, 2);
    CHECK_EQ_INT(p->lookback_days, 90);
    CHECK(!p->control.trailer && !p->control.manifest);
    CHECK_EQ_INT(p->params.kind, PARAM_MAP);
    CHECK_EQ_INT(p->params.n_items, 0);
    CHECK(p->has_amounts);
    CHECK_EQ_INT(p->fields[SLOT_ID].column, 1);
    CHECK(p->fields[SLOT_ID].name == NULL);
    CHECK_EQ_INT(p->fields[SLOT_TIME].column, 2);
    CHECK_EQ_INT(p->time.kind, TIME_EPOCH_MS);
    CHECK_EQ_INT(p->fields[SLOT_AMOUNTS_BASE + TX_BET].column, 3);
    CHECK_EQ_INT(p->fields[SLOT_AMOUNTS_BASE + TX_WIN].column, 4);
    CHECK_EQ_INT(p->fields[SLOT_AMOUNTS_BASE + TX_JACKPOT_WIN].column, 7);
    CHECK(!field_ref_set(&p->fields[SLOT_AMOUNTS_BASE + TX_REFUND]));
    CHECK(!field_ref_set(&p->fields[SLOT_AMOUNT]) && !field_ref_set(&p->fields[SLOT_TYPE]));
    p = config_partner(cfg, "feed");
    CHECK(p && p->format == FORMAT_JSON && p->time.kind == TIME_ISO8601);
    CHECK_EQ_STR(p ? p->fields[SLOT_ID].name : NULL, "tx.id");
    snprintf(buf, sizeof buf, "%s/r.lua", dir);
    CHECK_EQ_STR(p ? p->rules : NULL, buf);
    CHECK(p && p->n_type_values == 0 && p->type_values == NULL);
}

/* The full valid config: settle section, resolved paths, hash, all partners. */
static void test_full(void)
{
    settle_config cfg;
    diag d;
    char buf[256];
    unsigned char digest[32];
    diag_init(&d);
    write_fixture(full_yaml);
    CHECK_EQ_INT(config_load(cfgpath, &cfg, &d), 0);
    diag_print(&d, stderr);
    CHECK_EQ_INT(d.n, 0);
    CHECK_EQ_STR(cfg.path, cfgpath);
    CHECK_EQ_STR(cfg.dir, tmpdir);
    CHECK_EQ_STR(cfg.timezone, "Asia/Seoul");
    CHECK_EQ_INT(cfg.day_starts_at, 6 * 3600 + 30 * 60);
    CHECK_EQ_STR(cfg.currency, "KRW");
    snprintf(buf, sizeof buf, "%s/in", tmpdir);
    CHECK_EQ_STR(cfg.paths.inbox, buf);
    CHECK_EQ_STR(cfg.paths.state, "/abs/state");
    snprintf(buf, sizeof buf, "%s/out/reports", tmpdir);
    CHECK_EQ_STR(cfg.paths.reports, buf);
    snprintf(buf, sizeof buf, "%s/var/audit", tmpdir);
    CHECK_EQ_STR(cfg.paths.audit, buf);
    snprintf(buf, sizeof buf, "%s/var/quarantine", tmpdir);
    CHECK_EQ_STR(cfg.paths.quarantine, buf);
    snprintf(buf, sizeof buf, "%s/var/metrics", tmpdir);
    CHECK_EQ_STR(cfg.paths.metrics, buf);
    snprintf(buf, sizeof buf, "%s/data/fx/rates.csv", tmpdir);
    CHECK_EQ_STR(cfg.fx_rates, buf);
    snprintf(buf, sizeof buf, "%s/data/tax.yaml", tmpdir);
    CHECK_EQ_STR(cfg.tax_tables, buf);
    sha256_mem(full_yaml, strlen(full_yaml), digest);
    CHECK(!memcmp(cfg.sha256, digest, 32));
    CHECK_EQ_INT(cfg.n_partners, 3);
    CHECK_EQ_STR(cfg.partners[0].id, "acme-games");
    CHECK_EQ_STR(cfg.partners[2].id, "feed");
    CHECK(config_partner(&cfg, "nobody") == NULL);
    check_acme(&cfg, tmpdir);
    check_acme_fields(&cfg);
    check_acme_params(&cfg);
    check_defaults(&cfg, tmpdir);
    config_free(&cfg);
    CHECK(is_zeroed(&cfg));
    diag_free(&d);
}

/* A minimal config: defaults of settle, no fx/tax. */
static void test_minimal(void)
{
    settle_config cfg;
    diag d;
    char buf[256];
    diag_init(&d);
    write_fixture(HEAD "      type: Kind\n      amount: Amt\n");
    CHECK_EQ_INT(config_load(cfgpath, &cfg, &d), 0);
    diag_print(&d, stderr);
    CHECK_EQ_INT(cfg.day_starts_at, 0);
    CHECK_EQ_INT(cfg.threads, 0); /* not set: settle run uses the cores */
    snprintf(buf, sizeof buf, "%s/data/inbox", tmpdir);
    CHECK_EQ_STR(cfg.paths.inbox, buf);
    snprintf(buf, sizeof buf, "%s/var/state", tmpdir);
    CHECK_EQ_STR(cfg.paths.state, buf);
    CHECK(cfg.fx_rates == NULL && cfg.tax_tables == NULL);
    CHECK_EQ_INT(cfg.n_partners, 1);
    config_free(&cfg);
    diag_free(&d);
    diag_init(&d);
    write_fixture("settle:\n  threads: 3\n" HEAD0_BODY "      time: Date\n      type: K\n"
                  "      amount: A\n");
    CHECK_EQ_INT(config_load(cfgpath, &cfg, &d), 0);
    diag_print(&d, stderr);
    CHECK_EQ_INT(cfg.threads, 3);
    config_free(&cfg);
    diag_free(&d);
}

/* Several errors in one file are all reported, sorted into file order. */
static void test_collects_all(void)
{
    static const char *const want[] = {":2:13: unknown time zone 'Mars/Base'",
                                       ":3:13: unknown currency 'XXQ'",
                                       ":4:3: unknown key 'colour' in settle",
                                       ":6:3: partners.a.rules is required",
                                       ":6:3: partners.a.fields is required",
                                       ":7:16: partners.a.statement must be daily",
                                       ":8:12: partners.a.grace must be between 0 and 365"};
    settle_config cfg;
    diag d;
    diag_init(&d);
    write_fixture("settle:\n  timezone: Mars/Base\n  currency: XXQ\n  colour: red\n"
                  "partners:\n  a:\n    statement: yearly\n    grace: -1\n");
    CHECK_EQ_INT(config_load(cfgpath, &cfg, &d), -1);
    CHECK_EQ_INT(d.n, 7);
    for (size_t i = 0; i < d.n && i < 7; i++)
        CHECK(!strncmp(d.msgs[i], cfgpath, strlen(cfgpath)) &&
              !strncmp(d.msgs[i] + strlen(cfgpath), want[i], strlen(want[i])));
    CHECK(is_zeroed(&cfg));
    diag_free(&d);
}

/* Unknown keys at each level: top, settle, partner, csv, fields. */
static void test_unknown_keys(void)
{
    EXPECT_ERROR("settel:\n  timezone: UTC\n" HEAD, 1, 1,
                 "unknown key 'settel' at the top level (expected one of: settle, fx, tax, "
                 "partners, ledgers, watch, alerts, approvals)");
    EXPECT_ERROR("settle:\n  timezone: UTC\n  currency: EUR\n  curency: EUR\npartners: {}\n", 4,
                 3, "unknown key 'curency' in settle (expected one of: timezone, day_starts_at,"
                 " currency, paths, threads)");
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n    statment: daily\n", 12, 5,
                 "unknown key 'statment' in partners.acme (expected one of: kind, format");
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n    csv: { delimeter: \";\" }\n", 12, 12,
                 "unknown key 'delimeter' in partners.acme.csv (expected one of: delimiter, "
                 "quote, header, decimal, thousands, encoding, skip_lines)");
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n      ammount: B\n", 12, 7,
                 "unknown key 'ammount' in partners.acme.fields (expected one of: id, round,");
    EXPECT_ERROR(HEAD "      amount: A\n      type: { from: T, value: {} }\n", 11, 24,
                 "unknown key 'value' in partners.acme.fields.type");
    EXPECT_ERROR("settle: { timezone: UTC, currency: EUR, paths: { inbx: x } }\n"
                 "partners: {}\n", 1, 50, "unknown key 'inbx' in settle.paths");
}

/* Wrong types name what was expected and what was found. */
static void test_wrong_types(void)
{
    EXPECT_ERROR("settle:\n  timezone: UTC\n  currency: EUR\n  paths: data\npartners: {}\n", 4,
                 10, "expected a mapping for 'settle.paths', got a scalar");
    EXPECT_ERROR("settle: [1, 2]\npartners: {}\n", 1, 1,
                 "expected a mapping for 'settle', got a list");
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n    grace: soon\n", 12, 12,
                 "expected a whole number for 'partners.acme.grace', got 'soon'");
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n    lookback_days: 0\n", 12, 20,
                 "partners.acme.lookback_days must be between 1 and 3650, got 0");
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n    csv: { header: maybe }\n", 12, 20,
                 "expected true or false for 'partners.acme.csv.header', got 'maybe'");
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n    kind: [a]\n", 12, 5,
                 "expected a string for 'partners.acme.kind', got a list");
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n    params: 5\n", 12, 13,
                 "expected a mapping for 'partners.acme.params', got a scalar");
    EXPECT_ERROR(HEAD "      amount:\n      type: T\n", 10, 7,
                 "expected a column name or number for 'partners.acme.fields.amount', got an "
                 "empty value");
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n    csv: { delimiter: \";;\" }\n", 12, 23,
                 "partners.acme.csv.delimiter must be one character");
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n    csv: { decimal: \"'\" }\n", 12, 21,
                 "partners.acme.csv.decimal must be \".\" or \",\"");
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n    csv: { thousands: \".\" }\n", 12, 5,
                 "decimal and thousands must differ");
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n    format: xml\n", 12, 13,
                 "partners.acme.format must be csv or json, got 'xml'");
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n    files: a/*.csv\n", 12, 12,
                 "partners.acme.files must be a file-name pattern");
}

/* Missing required keys point at the section that lacks them. */
static void test_required(void)
{
    EXPECT_ERROR("settle:\n  currency: EUR\npartners: {}\n", 1, 1, "settle.timezone is required");
    EXPECT_ERROR("settle:\n  timezone: UTC\npartners: {}\n", 1, 1, "settle.currency is required");
    EXPECT_ERROR("settle: { timezone: UTC, currency: EUR }\n", 1, 1, "partners is required");
    EXPECT_ERROR("partners: {}\n", 1, 1, "settle is required");
    EXPECT_ERROR("settle: { timezone: UTC, currency: EUR }\npartners: {}\n", 2, 1,
                 "partners must list at least one partner");
    EXPECT_ERROR("settle: { timezone: UTC, currency: EUR }\npartners:\n  a:\n    rules:\n",
                 4, 5, "expected a string for 'partners.a.rules', got an empty value");
    EXPECT_ERROR("settle: { timezone: UTC, currency: EUR }\npartners:\n  acme:\n    kind: x\n",
                 3, 3, "partners.acme.rules is required");
    EXPECT_ERROR("settle: { timezone: UTC, currency: EUR }\npartners:\n  acme:\n    kind: x\n",
                 3, 3, "partners.acme.fields is required");
    EXPECT_ERROR(HEAD "      type: T\n", 7, 5, "partners.acme.fields needs amount (with type) or "
                 "amounts");
    EXPECT_ERROR(HEAD "      amount: A\n", 7, 5, "partners.acme.fields.type is required with amount");
    EXPECT_ERROR("settle: { timezone: UTC, currency: EUR }\npartners:\n  a:\n    rules: r\n"
                 "    fields: { time: T, type: K, amount: A }\n", 5, 5,
                 "partners.a.fields.id is required");
    EXPECT_ERROR(HEAD "      amount: A\n      type: { values: { B: bet } }\n", 11, 7,
                 "partners.acme.fields.type.from is required");
    EXPECT_ERROR("settle: { timezone: UTC, currency: EUR }\nfx: {}\npartners: {}\n", 2, 1,
                 "fx.rates is required");
}

/* Bad values: zone, currency, day start, statement, encoding, time pattern, type. */
static void test_bad_values(void)
{
    EXPECT_ERROR("settle:\n  timezone: Asia/Seul\n  currency: KRW\npartners: {}\n", 2, 13,
                 "unknown time zone 'Asia/Seul'");
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n    timezone: Europe/Atlantis\n", 12, 15,
                 "unknown time zone 'Europe/Atlantis'");
    EXPECT_ERROR("settle:\n  timezone: UTC\n  currency: KRWW\npartners: {}\n", 3, 13,
                 "unknown currency 'KRWW' in settle.currency");
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n    default_currency: eur\n", 12, 23,
                 "unknown currency 'eur' in partners.acme.default_currency");
    EXPECT_ERROR("settle:\n  timezone: UTC\n  day_starts_at: \"24:00\"\n  currency: EUR\n"
                 "partners: {}\n", 3, 18, "settle.day_starts_at must be a time of day \"HH:MM\"");
    EXPECT_ERROR("settle:\n  timezone: UTC\n  day_starts_at: 6am\n  currency: EUR\n"
                 "partners: {}\n", 3, 18, "got '6am'");
    EXPECT_ERROR("settle:\n  timezone: UTC\n  currency: EUR\n  threads: 0\npartners: {}\n", 4, 12,
                 "settle.threads must be between 1 and 64, got 0");
    EXPECT_ERROR("settle:\n  timezone: UTC\n  currency: EUR\n  threads: many\npartners: {}\n", 4,
                 12, "expected a whole number for 'settle.threads', got 'many'");
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n    statement: yearly\n", 12, 16,
                 "partners.acme.statement must be daily, weekly or monthly, got 'yearly'");
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n    csv: { encoding: utf-9 }\n", 12, 22,
                 "unknown encoding 'utf-9' in partners.acme.csv.encoding");
    EXPECT_ERROR(HEAD0 "      amount: A\n      type: T\n      time: { from: D, format: \"%Q\" }\n",
                 11, 32, "partners.acme.fields.time.format: bad time pattern '%Q'");
    EXPECT_ERROR(HEAD0 "      amount: A\n      type: T\n      time: { from: D, format: unix }\n",
                 11, 32, "format must be iso8601, epoch_s, epoch_ms or a strftime pattern");
    EXPECT_ERROR(HEAD "      amount: A\n      type: { from: T, values: { RB: chargeback } }\n", 11,
                 38, "unknown canonical type 'chargeback' for partners.acme.fields.type.values.RB"
                 " (expected one of: bet, win, refund, win_reversal");
    EXPECT_ERROR(HEAD "      amounts: { bet: B, wins: W }\n", 10, 26,
                 "unknown canonical type 'wins' in partners.acme.fields.amounts");
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n      round: 0\n", 12, 14,
                 "column numbers run from 1");
}

/* Field mapping rules: amount vs amounts, named refs without header, JSON columns. */
static void test_field_rules(void)
{
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n      amounts: { bet: B }\n", 7, 5,
                 "partners.acme.fields: give either amount (with type) or amounts, not both");
    EXPECT_ERROR(HEAD "      type: T\n      amounts: { bet: B }\n", 10, 13,
                 "partners.acme.fields.type is not used with amounts");
    EXPECT_ERROR(HEAD "      amounts: {}\n", 10, 7, "amounts needs at least one column");
    EXPECT_ERROR(HEAD "      amount: 3\n      type: 4\n    csv: { header: false }\n", 8, 11,
                 "partners.acme.fields.id: 'TxID' is a header name, but csv.header is false");
    EXPECT_ERROR(HEAD "      amount: 3\n      type: { from: 2 }\n    csv: { header: no }\n", 9,
                 13, "partners.acme.fields.time: 'Date' is a header name");
    EXPECT_ERROR(HEAD "      amount: 3\n      type: T\n    format: json\n", 10, 15,
                 "column number 3 only works with format csv");
}

/* json: and control: sections, and their defaults. */
static void test_drop_options(void)
{
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n    json: { records: data }\n", 12, 5,
                 "partners.acme.json only applies to format: json");
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n    control: { marker: T }\n", 12, 5,
                 "partners.acme.control needs trailer: true or manifest");
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n    control: { trailer: true, manifest: "
                 "\"{name}.ok\" }\n", 12, 5, "give either trailer: true or manifest, not both");
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n    control: { manifest: totals.ok }\n",
                 12, 26, "partners.acme.control.manifest must name the file beside each drop");
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n    control: { trailer: true, count: x }"
                 "\n", 12, 38, "partners.acme.control.count: the trailer's column number");
    EXPECT_ERROR(HEAD "      amount: A\n      type: T\n    format: json\n    control: { manifest:"
                 " \"{stem}.ok\", marker: M }\n", 13, 47, "marker only applies to a CSV trailer");
    settle_config cfg;
    diag d;
    diag_init(&d);
    write_fixture(HEAD "      amount: a.v\n      type: t\n    format: json\n"
                  "    json: { records: data.tx }\n    control: { trailer: true }\n");
    CHECK_EQ_INT(config_load(cfgpath, &cfg, &d), 0);
    diag_print(&d, stderr);
    CHECK_EQ_STR(cfg.partners[0].json_records, "data.tx");
    CHECK_EQ_STR(cfg.partners[0].control.count.name, "count");
    CHECK_EQ_STR(cfg.partners[0].control.sum.name, "sum");
    config_free(&cfg);
    diag_free(&d);
}

/* Partner ids become folder names. */
static void test_partner_ids(void)
{
    static const char *bad[] = {"Acme", "acme games", "_acme", "ac/me", "acme.x", "-x", "\"\""};
    char yaml[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(yaml, sizeof yaml, "settle: { timezone: UTC, currency: EUR }\npartners:\n"
                 "  %s:\n    rules: r\n    fields: { id: 1, time: 2, type: 3, amount: 4 }\n",
                 bad[i]);
        EXPECT_ERROR(yaml, 3, 3, "must be 1 to 64 characters of a-z, 0-9, '_' and '-'");
    }
}

/* YAML itself: syntax errors, anchors/aliases, several documents, empty file,
 * duplicate keys, a file that is not a mapping, a missing file. */
static void test_yaml(void)
{
    settle_config cfg;
    diag d;
    EXPECT_ERROR("settle:\n  timezone: UTC\n currency: EUR\n", 3, 2,
                 "YAML syntax error: did not find expected key");
    EXPECT_ERROR("settle: { timezone: UTC\npartners: {}\n", 2, 9, "YAML syntax error:");
    EXPECT_ERROR("settle: &s { timezone: UTC, currency: EUR }\nother: *s\npartners: {}\n", 1, 9,
                 "YAML anchors (&s) are not supported");
    EXPECT_ERROR("settle: &s { timezone: UTC, currency: EUR }\nx: *s\npartners: {}\n", 2, 4,
                 "YAML aliases (*s) are not supported");
    EXPECT_ERROR("settle: { timezone: UTC, currency: EUR }\n---\npartners: {}\n", 2, 1,
                 "only one YAML document is allowed");
    EXPECT_ERROR("settle: { timezone: UTC, currency: EUR }\nsettle: {}\npartners: {}\n", 2, 1,
                 "duplicate key 'settle' (first given at line 1)");
    EXPECT_ERROR("- a\n- b\n", 1, 1, "the config must be a mapping");
    EXPECT_ERROR("settle: { timezone: UTC, currency: EUR }\n{a: b}: c\npartners: {}\n", 2, 1,
                 "mapping keys must be plain text");
    diag_init(&d);
    write_fixture("");
    CHECK_EQ_INT(config_load(cfgpath, &cfg, &d), -1);
    CHECK(d.n == 1 && strstr(d.msgs[0], "the config file is empty"));
    CHECK(is_zeroed(&cfg));
    diag_free(&d);
    CHECK_EQ_INT(config_load("/nonexistent/settle.yaml", &cfg, &d), -1);
    CHECK(d.n == 1 && !strcmp(d.msgs[0], "/nonexistent/settle.yaml: cannot open the config "
                                         "file: No such file or directory (give its path with "
                                         "-c FILE or $SETTLE_CONFIG)"));
    diag_free(&d);
    CHECK_EQ_INT(config_load(tmpdir, &cfg, &d), -1);
    CHECK(d.n == 1 && strstr(d.msgs[0], "cannot read the config file: Is a directory"));
    CHECK(is_zeroed(&cfg));
    CHECK(is_zeroed(&cfg));
    diag_free(&d);
}

int main(void)
{
    config_check_begin();
    test_full();
    test_minimal();
    test_collects_all();
    test_unknown_keys();
    test_wrong_types();
    test_required();
    test_bad_values();
    test_field_rules();
    test_drop_options();
    test_partner_ids();
    test_yaml();
    config_check_end();
    return check_done();
}
