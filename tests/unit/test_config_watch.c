/*
 * test_config_watch.c - config_load of watching (SPEC section 11): watch:,
 * alerts:, approvals: and partners.*.expect with their defaults and every
 * value kept; then each error, with its exact file:line:col.
 */
#include "check.h"
#include "config_check.h"

/* Lines 1-7: settle and one partner. */
#define HEAD                                                                             \
    "settle:\n"                                                                          \
    "  timezone: UTC\n"                                                                  \
    "  currency: EUR\n"                                                                  \
    "partners:\n"                                                                        \
    "  rs:\n"                                                                            \
    "    rules: r.lua\n"                                                                 \
    "    fields: { id: id, time: ts, type: kind, amount: amt }\n"

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

/* Without the sections: scoring off, defaults ready, no command, no two-person limit. */
static void test_defaults(void)
{
    settle_config cfg;
    load_ok(__LINE__, HEAD, &cfg);
    CHECK(!cfg.watch.on);
    CHECK_EQ_INT(cfg.watch.history_days, 56);
    CHECK_EQ_INT(cfg.watch.min_history_days, 14);
    CHECK_EQ_INT(cfg.watch.hold_at, SEV_CRITICAL);
    CHECK(cfg.alerts.command == NULL);
    CHECK(cfg.two_person_over == NULL);
    CHECK_EQ_INT(cfg.partners[0].expect_by, -1);
    config_free(&cfg);
    load_ok(__LINE__, HEAD "watch:\n", &cfg);
    CHECK(cfg.watch.on);
    CHECK_EQ_INT(cfg.watch.hold_at, SEV_CRITICAL);
    config_free(&cfg);
}

/* Every key given. */
static void test_valid(void)
{
    settle_config cfg;
    load_ok(__LINE__, HEAD "    expect: { by: \"06:30\" }\n"
            "watch: { history_days: 28, min_history_days: 7, hold_at: warning }\n"
            "alerts:\n"
            "  command: [scripts/notify, --channel, ops]\n"
            "  on: [held, missing_drop]\n"
            "  timeout_seconds: 5\n"
            "  retries: 0\n"
            "approvals: { two_person_over: \"2500.50\" }\n", &cfg);
    CHECK_EQ_INT(cfg.partners[0].expect_by, 6 * 3600 + 30 * 60);
    CHECK(cfg.watch.on);
    CHECK_EQ_INT(cfg.watch.history_days, 28);
    CHECK_EQ_INT(cfg.watch.min_history_days, 7);
    CHECK_EQ_INT(cfg.watch.hold_at, SEV_WARNING);
    CHECK_EQ_INT(cfg.alerts.n_command, 3);
    char want[256];
    snprintf(want, sizeof want, "%s/scripts/notify", tmpdir);
    CHECK_EQ_STR(cfg.alerts.command[0], want);
    CHECK_EQ_STR(cfg.alerts.command[2], "ops");
    CHECK(cfg.alerts.command[3] == NULL);
    CHECK_EQ_INT(cfg.alerts.on, (1u << ALERT_HELD) | (1u << ALERT_MISSING_DROP));
    CHECK_EQ_INT(cfg.alerts.timeout_seconds, 5);
    CHECK_EQ_INT(cfg.alerts.retries, 0);
    CHECK_EQ_STR(cfg.two_person_over, "2500.50");
    config_free(&cfg);
    load_ok(__LINE__, HEAD "watch: { hold_at: never }\nalerts: { command: [notify] }\n", &cfg);
    CHECK_EQ_INT(cfg.watch.hold_at, SEV_NEVER);
    CHECK_EQ_STR(cfg.alerts.command[0], "notify");
    CHECK_EQ_INT(cfg.alerts.on, (1u << ALERT_KIND_COUNT) - 1);
    config_free(&cfg);
}

static void test_errors(void)
{
    EXPECT_ERROR(HEAD "watch: { hold_at: info }\n", 8, 19, "hold_at");
    EXPECT_ERROR(HEAD "watch: { history_days: 3 }\n", 8, 24,
                 "watch.history_days must be between 7 and 3660");
    EXPECT_ERROR(HEAD "watch: { history_days: 10, min_history_days: 11 }\n", 8, 46,
                 "watch.min_history_days (11) must not be more than watch.history_days (10)");
    EXPECT_ERROR(HEAD "watch: { baseline: 3 }\n", 8, 10, "unknown key 'baseline' in watch");
    EXPECT_ERROR(HEAD "watch: [1]\n", 8, 1, "watch");
    EXPECT_ERROR(HEAD "alerts: { on: [held] }\n", 8, 1, "alerts.command is required");
    EXPECT_ERROR(HEAD "alerts: { command: notify }\n", 8, 20,
                 "alerts.command must be a non-empty list of words");
    EXPECT_ERROR(HEAD "alerts: { command: [] }\n", 8, 11, "alerts.command must be a non-empty");
    EXPECT_ERROR(HEAD "alerts: { command: [n], on: [held, paged] }\n", 8, 36,
                 "alerts.on: unknown alert kind 'paged' (expected anomaly, held, quarantine, "
                 "failure, missing_drop or recon_break)");
    EXPECT_ERROR(HEAD "alerts: { command: [n], retries: 21 }\n", 8, 34,
                 "alerts.retries must be between 0 and 20");
    EXPECT_ERROR(HEAD "approvals: { two_person_over: \"-1\" }\n", 8, 31,
                 "approvals.two_person_over must be an amount of 0 or more");
    EXPECT_ERROR(HEAD "approvals: { two_person_over: lots }\n", 8, 31,
                 "approvals.two_person_over must be an amount");
    EXPECT_ERROR(HEAD "    expect: { by: \"6am\" }\n", 8, 19,
                 "partners.rs.expect.by must be a time of day \"HH:MM\"");
    EXPECT_ERROR(HEAD "    expect: { at: \"06:00\" }\n", 8, 15,
                 "unknown key 'at' in partners.rs.expect");
    EXPECT_ERROR(HEAD "    expect: {}\n", 8, 5, "partners.rs.expect.by is required");
}

int main(void)
{
    config_check_begin();
    test_defaults();
    test_valid();
    test_errors();
    config_check_end();
    return check_done();
}
