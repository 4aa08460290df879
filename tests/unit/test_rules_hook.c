/*
 * test_rules_hook.c - the per-transaction hook of rules.h through the engine:
 * the lazy `tx` view (every field as handed in, read-only, pairs, what a kept
 * tx reads later), the answers a hook may give, and the sandbox limits per
 * call (hostile hooks fail their batch and the engine settles again).
 *
 * Usage: test_rules_hook [SOURCE_ROOT] (as test_rules). The hook is
 * tests/unit/fixtures/rules/hook.lua; tx.id picks what a call does.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "source_root.h"
#include "rules.h"
#include "test_rules_data.h"

static char *root;
static rules_engine *re;

/* Loads fixture `name` for `partner`; 0 or -1 (the message printed). */
static int load(const char *partner, const char *name)
{
    diag d;
    char hex[65];
    char *path = xasprintf("%s/tests/unit/fixtures/rules/%s", root, name);
    diag_init(&d);
    int rc = rules_load(re, partner, path, hex, &d);
    if (rc)
        fprintf(stderr, "  load %s: %s\n", name, d.n ? d.msgs[0] : "?");
    diag_free(&d);
    free(path);
    return rc;
}

/* A transaction whose id picks the case; the other fields are fixed. */
static rules_tx_in tx_of(const char *id)
{
    rules_tx_in in = {.id = {id, strlen(id)}, .game = {"freespin", 8}, .category = {"", 0},
                      .player = {"qa-1", 4}, .round = {NULL, 0}, .currency = "USD",
                      .type = TX_BET, .amount = -123456789012LL, .instant = 1756720800,
                      .day = day_of("2025-09-01")};
    return in;
}

/* Opens a batch of the "hook" partner; 0 on success. */
static int begin(void)
{
    char *err = NULL;
    int rc = rules_tx_begin(re, "hook", NULL, &err);
    if (rc)
        fprintf(stderr, "  begin: %s\n", err);
    free(err);
    return rc;
}

/* Calls the hook for case `id` in the open batch; returns rc, the error in *err (caller frees). */
static int call(const char *id, rules_tx_out *out, char **err)
{
    rules_tx_in in = tx_of(id);
    return rules_tx_call(re, &in, out, err);
}

/* Calls case `id`, which must succeed; returns its answer. */
static rules_tx_out call_ok(const char *id)
{
    rules_tx_out out;
    char *err = NULL;
    CHECK_EQ_INT(call(id, &out, &err), 0);
    if (err)
        fprintf(stderr, "  %s: %s\n", id, err);
    free(err);
    return out;
}

/* Settles the "hook" partner with params {case = name}; returns rc, the label or error in *text. */
static int settle(const char *name, char **text)
{
    statement st = st_new(NULL);
    param p = pcase(name);
    char *err = NULL;
    int rc = rules_settle(re, "hook", &p, &st, &err);
    *text = rc ? err : xstrdup(st.n_lines ? st.lines[0].label : "");
    if (!rc)
        free(err);
    param_clear(&p);
    st_clear(&st);
    return rc;
}

/* ---- tests -------------------------------------------------------------- */

/* Every field as handed in: integers stay integers, empty strings are nil. */
static void test_fields(void)
{
    CHECK_EQ_INT(begin(), 0);
    rules_tx_out out = call_ok("fields");
    CHECK(out.skip);
    CHECK_EQ_STR(out.reason, "fields|bet|-123456789012|integer|USD|freespin|nil|qa-1|nil|"
                             "1756720800|integer|2025-09-01|nil|nil");
    out = call_ok("pairs");
    CHECK_EQ_STR(out.reason, "amount=-123456789012 currency=USD day=2025-09-01 game=freespin "
                             "id=pairs instant=1756720800 player=qa-1 type=bet");
    out = call_ok("meta");
    CHECK_EQ_STR(out.reason, "userdata locked");
    rules_tx_end(re);
}

/* Type, currency and day as handed in, call after call (the view caches the last ones). */
static void test_fields_change(void)
{
    static const struct { const char *cur, *day; tx_type type; } rows[] = {
        {"USD", "2025-09-01", TX_BET}, {"USD", "2025-09-01", TX_WIN},
        {"EUR", "2025-09-02", TX_WIN}, {"USD", "2024-02-29", TX_REFUND},
        {"USD", "2024-02-29", TX_BONUS},
    };
    CHECK_EQ_INT(begin(), 0);
    rules_tx_in in = tx_of("fields");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        rules_tx_out out;
        char *err = NULL;
        in.currency = rows[i].cur;
        in.day = day_of(rows[i].day);
        in.type = rows[i].type;
        CHECK_EQ_INT(rules_tx_call(re, &in, &out, &err), 0);
        char *want = xasprintf("fields|%s|-123456789012|integer|%s|freespin|nil|qa-1|nil|"
                               "1756720800|integer|%s|nil|nil",
                               tx_type_name(rows[i].type), rows[i].cur, rows[i].day);
        CHECK_EQ_STR(out.reason, want);
        free(want);
        free(err);
    }
    rules_tx_end(re);
}

/* A kept tx shows the running call's transaction; after its batch reading it raises. */
static void test_kept(void)
{
    char *text = NULL;
    CHECK_EQ_INT(begin(), 0);
    CHECK(!call_ok("keep").skip);
    CHECK_EQ_STR(call_ok("kept").reason, "kept sees kept");
    rules_tx_end(re);
    CHECK_EQ_INT(settle("stale", &text), -1);
    CHECK(check_has(text, "hook.lua:56: tx was kept after its transaction() call: it can only be "
                    "read during the call that received it"));
    free(text);
    CHECK_EQ_INT(settle("none", &text), 0);
    CHECK_EQ_STR(text, "nothing kept");
    free(text);
    CHECK_EQ_INT(begin(), 0); /* a new batch: the tx kept from the last one is stale */
    rules_tx_out out;
    CHECK_EQ_INT(call("kept", &out, &text), -1);
    CHECK(check_has(text, "hook.lua:22: tx was kept after its transaction() call"));
    free(text);
}

/* What each answer of the hook does; nonsense fails the batch with file:line. */
static void test_answers(void)
{
    rules_tx_out out;
    char *err = NULL;
    CHECK_EQ_INT(begin(), 0);
    out = call_ok("skip");
    CHECK(out.skip);
    CHECK_EQ_STR(out.reason, "test account");
    out = call_ok("skip_plain");
    CHECK(out.skip);
    CHECK_EQ_STR(out.reason, "skipped by rule");
    out = call_ok("reclass");
    CHECK(!out.skip);
    CHECK_EQ_INT(out.type, TX_BONUS);
    CHECK_EQ_STR(out.bucket, "free spins");
    out = call_ok("bucket");
    CHECK(!out.skip);
    CHECK_EQ_INT(out.type, -1);
    CHECK_EQ_STR(out.bucket, "big wins");
    out = call_ok("table");
    CHECK_EQ_INT(out.type, TX_WIN);
    CHECK_EQ_STR(out.bucket, "b");
    out = call_ok("table_skip");
    CHECK(out.skip);
    CHECK_EQ_STR(out.reason, "by table");
    out = call_ok("keep");
    CHECK(!out.skip);
    CHECK_EQ_INT(out.type, -1);
    CHECK_EQ_STR(out.bucket, "");
    CHECK_EQ_INT(call("nonsense", &out, &err), -1);
    CHECK(check_has(err, "hook.lua:51: transaction must return nothing, true, false and a reason"));
    free(err);
    CHECK_EQ_INT(call("keep", &out, &err), -1); /* the batch is over */
    CHECK(check_has(err, "no transaction hook batch is open"));
    free(err);
    CHECK_EQ_INT(begin(), 0);
    CHECK_EQ_INT(call("freebie", &out, &err), -1);
    CHECK(check_has(err, "'freebie', which is not a canonical type"));
    free(err);
    CHECK_EQ_INT(begin(), 0);
    CHECK_EQ_INT(call("write", &out, &err), -1);
    CHECK(check_has(err, "hook.lua:23: tx is read-only"));
    free(err);
}

/* The limits hold per call: each hostile hook fails its batch; the next batch works. */
static void test_limits(void)
{
    static const struct { const char *name, *want; } cases[] = {
        {"infinite", "instruction limit exceeded"},
        {"pcall_loop", "instruction limit exceeded"},
        {"memory_string", "memory limit exceeded"},
        {"memory_table", "memory limit exceeded"},
        {"time", "time limit exceeded"},
        {"error", "hook.lua:48: boom: no such player\nstack traceback:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rules_tx_out out;
        char *err = NULL;
        CHECK_EQ_INT(begin(), 0);
        CHECK(!call_ok("keep").skip);
        CHECK_EQ_INT(call(cases[i].name, &out, &err), -1);
        CHECK(check_has(err, cases[i].want));
        CHECK(check_has(err, "hook.lua:"));
        free(err);
        CHECK_EQ_INT(begin(), 0);
        CHECK_EQ_STR(call_ok("skip").reason, "test account");
        rules_tx_end(re);
    }
    /* three calls of 40 % of the budget each: the budget is per call, not per batch */
    CHECK_EQ_INT(begin(), 0);
    for (int i = 0; i < 3; i++)
        CHECK(!call_ok("busy").skip);
    rules_tx_end(re);
    CHECK(access("/tmp/settle-pwned", F_OK) != 0);
}

int main(int argc, char **argv)
{
    (void)ptier; /* builders of test_rules_data.h this test does not need */
    (void)agg_add_breakdowns;
    root = source_root(argc, argv, "fixtures/rules/hook.lua");
    re = rules_open();
    CHECK_EQ_INT(load("hook", "hook.lua"), 0);
    test_fields();
    test_fields_change();
    test_kept();
    test_answers();
    test_limits();
    rules_close(re);
    free(root);
    return check_done();
}
