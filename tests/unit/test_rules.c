/*
 * test_rules.c - the Lua rule engine: sandbox against hostile scripts,
 * limits, the money library, the p view, result checking and the sample
 * rules in rules/ against hand-computed statements.
 *
 * Usage: test_rules [SOURCE_ROOT]. Fixtures are found under
 * SOURCE_ROOT/tests/unit/fixtures/rules and SOURCE_ROOT/rules; without the
 * argument the root is "../.." when run from tests/unit (meson's workdir),
 * else derived from this file's compile-time path.
 *
 * Periods and params are built and freed by hand (test_rules_data.h).
 */
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "source_root.h"
#include "rules.h"
#include "test_rules_data.h"

static char *root;
static rules_engine *re;

/* ---- helpers ------------------------------------------------------------ */

/* Path of a fixture (caller frees). */
static char *fixture(const char *name)
{
    return xasprintf("%s/tests/unit/fixtures/rules/%s", root, name);
}

/* Path of a sample rule file in rules/ (caller frees). */
static char *sample(const char *name)
{
    return xasprintf("%s/rules/%s", root, name);
}

/* Loads fixture `name` for `partner`; returns rc, first diag message in *msg (caller frees). */
static int load_path(const char *partner, const char *path, char **msg)
{
    diag d;
    char hex[65];
    diag_init(&d);
    int rc = rules_load(re, partner, path, hex, &d);
    *msg = d.n ? xstrdup(d.msgs[0]) : NULL;
    diag_free(&d);
    return rc;
}

/* Loads a fixture that must load; returns rc. */
static int load_ok(const char *partner, const char *name)
{
    char *path = fixture(name), *msg = NULL;
    int rc = load_path(partner, path, &msg);
    if (rc)
        fprintf(stderr, "  load %s: %s\n", name, msg);
    free(msg);
    free(path);
    return rc;
}

/* The statement line labelled `label`, or NULL. */
static const statement_line *line_of(const statement *st, const char *label)
{
    for (size_t i = 0; i < st->n_lines; i++)
        if (strcmp(st->lines[i].label, label) == 0)
            return &st->lines[i];
    fprintf(stderr, "  no line \"%s\"\n", label);
    return NULL;
}

/* Amount of the line labelled `label` (INT64_MIN when missing). */
static int64_t amount_of(const statement *st, const char *label)
{
    const statement_line *l = line_of(st, label);
    return l ? l->amount : INT64_MIN;
}

/* Settles `partner` with params {case = name}; returns rc and the error (caller frees). */
static int settle_case(const char *partner, const char *name, statement *st, char **err)
{
    param p = pcase(name);
    int rc = rules_settle(re, partner, &p, st, err);
    param_clear(&p);
    return rc;
}

/* The good partner still settles in the same state. */
static void check_good_still_settles(void)
{
    statement st = st_new(NULL);
    char *err = NULL;
    CHECK_EQ_INT(rules_settle(re, "good", NULL, &st, &err), 0);
    CHECK_EQ_INT(st.payable, 285000);
    CHECK_EQ_INT(st.n_lines, 1);
    if (err)
        fprintf(stderr, "  good failed: %s\n", err);
    free(err);
    st_clear(&st);
}

/* ---- tests -------------------------------------------------------------- */

/* Every field of p and params as view.lua reports them. */
static void test_view(void)
{
    statement st = st_new("game_provider");
    agg_add_breakdowns(st.agg);
    param tiers[3] = {ptier("1000", "10%"), ptier("5000", "12%"), ptier(NULL, "15%")};
    param top[2] = {pscalar("share", "12%"), pnode(PARAM_LIST, "tiers", 3, tiers)};
    param params = pnode(PARAM_MAP, NULL, 2, top);
    char *err = NULL;
    CHECK_EQ_INT(load_ok("view", "view.lua"), 0);
    CHECK_EQ_INT(rules_settle(re, "view", &params, &st, &err), 0);
    CHECK(err == NULL || check_has(err, "(no error expected)"));
    CHECK_EQ_INT(amount_of(&st, "acme|game_provider|2025-09|monthly|2025-09-01|2025-09-30|EUR"), 2);
    CHECK_EQ_INT(amount_of(&st, "ggr"), 285000);
    CHECK_EQ_INT(amount_of(&st, "transactions"), 266);
    CHECK_EQ_INT(amount_of(&st, "bets"), 1000000);
    CHECK_EQ_INT(amount_of(&st, "wins"), 700000);
    CHECK_EQ_INT(amount_of(&st, "total.refund"), 20000);
    CHECK_EQ_INT(amount_of(&st, "count.bet"), 100);
    CHECK_EQ_INT(amount_of(&st, "count.adjustment"), 0);
    CHECK_EQ_INT(amount_of(&st, "duplicates"), 3);
    CHECK_EQ_INT(amount_of(&st, "rejected"), 2);
    CHECK_EQ_INT(amount_of(&st, "carry_in"), -1500);
    CHECK_EQ_INT(amount_of(&st, "by_game.g1.ggr"), 200000);
    CHECK_EQ_INT(amount_of(&st, "by_game.g2.wins"), 300000);
    CHECK_EQ_INT(amount_of(&st, "by_category.slots.count.win"), 60);
    CHECK_EQ_INT(amount_of(&st, "by_currency.USD.bets"), 1100000);
    CHECK_EQ_INT(amount_of(&st, "by_currency.USD.exponent"), 2);
    CHECK_EQ_INT(amount_of(&st, "by_day.2025-09-02.transactions"), 10);
    CHECK_EQ_INT(amount_of(&st, "money.ggr(by_game.g2)"), 85000);
    CHECK_EQ_INT(amount_of(&st, "fx 2025-09-02 2025-09-01 USD EUR 0.9091"), 1);
    CHECK_EQ_INT(amount_of(&st, "params 12% 12% 5000 3"), 0);
    CHECK_EQ_INT(st.payable, 285000);
    CHECK_EQ_INT(st.carry_out, -5);
    free(err);
    param_clear(&params);
    st_clear(&st);
}

/* Every money function against hand-computed values (EUR, exponent 2). */
static void test_money_values(void)
{
    static const struct { const char *label; int64_t v; } want[] = {
        {"of 1234.50", 123450}, {"of 500000", 50000000}, {"of 12 KRW", 12},
        {"of 1.5 KWD", 1500}, {"mul 1000 12.5%", 125}, {"mul 100000 0.035", 3500},
        {"mul 25 10% half_even", 2}, {"mul -25 10% half_even", -2},
        {"mul 25 10% half_up", 3}, {"mul -25 10% half_up", -3},
        {"mul 25 10% down", 2}, {"mul -25 10% down", -2},
        {"mul 25 10% up", 3}, {"mul -25 10% up", -3},
        {"mul 25 10% floor", 2}, {"mul -25 10% floor", -3},
        {"mul 25 10% ceiling", 3}, {"mul -25 10% ceiling", -2},
        {"mul 35 10%", 4},
        /* 100000 * 10% + 400000 * 12% + 200000 * 15% */
        {"tiered 700000", 88000}, {"tiered 50000", 5000},
        /* 10000 + 0.12 -> 10000 half-even, 10001 rounding up */
        {"tiered 100001", 10000}, {"tiered 100001 up", 10001},
        {"tiered -1000", -100}, {"tiered 0", 0},
        /* 0.5 + 0.25 = 0.75 rounded once -> 1 (rounding each part would give 0) */
        {"tiered once", 1},
        /* beyond the last upto at the last rate: 10000 + 200000 * 20% */
        {"tiered closed", 50000},
        {"tier 100000=0%", 0}, {"tier 100001=2%", 0}, {"tier 1e9=3%", 0},
        {"tier count 1500=1", 0}, {"tier count 5000=1", 0},
        {"add 1 2 3", 6}, {"add none", 0}, {"sub 10 25", -15}, {"min", -1}, {"max", 3},
        {"split 100 1,1,1=34,33,33", 0}, {"split 100 1,2=33,67", 0},
        {"split -100 1,1,1=-34,-33,-33", 0}, {"split 5 0,1,1=0,3,2", 0},
        {"split 7 2,3,5=1,2,4", 0},
        {"format 123450=1234.50", 0}, {"format -5=-0.05", 0}, {"format 7 KRW=7", 0},
        {"ggr", 350},
    };
    statement st = st_new(NULL);
    char *err = NULL;
    CHECK_EQ_INT(load_ok("money", "money_cases.lua"), 0);
    CHECK_EQ_INT(rules_settle(re, "money", NULL, &st, &err), 0);
    CHECK(err == NULL || check_has(err, "(no error expected)"));
    CHECK_EQ_INT(st.n_lines, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        CHECK_EQ_INT(amount_of(&st, want[i].label), want[i].v);
    free(err);
    st_clear(&st);
}

/* Misuse of the money library: messages name file:line and the fix. */
static void test_money_errors(void)
{
    statement st = st_new(NULL);
    char *err = NULL;
    CHECK_EQ_INT(load_ok("money_errors", "money_errors.lua"), 0);
    CHECK_EQ_INT(rules_settle(re, "money_errors", NULL, &st, &err), 0);
    CHECK(st.n_lines >= 16);
    for (size_t i = 0; i < st.n_lines; i++) {
        if (st.lines[i].amount != 1)
            fprintf(stderr, "  money error case %s\n", st.lines[i].label);
        CHECK_EQ_INT(st.lines[i].amount, 1);
    }
    CHECK(check_has(st.n_lines ? st.lines[0].label : NULL,
              "money_errors.lua:5: money.mul: amount is a float (12.5); amounts are integers "
              "in minor units"));
    free(err);
    st_clear(&st);
}

/* Each attack fails only its own call; the next partner settles in the same state. */
static void test_hostile(void)
{
    static const struct { const char *name, *want; } cases[] = {
        {"os_execute", "os is not available to rules"},
        {"io_open", "io is not available to rules"},
        {"require", "require is not available to rules"},
        {"load", "load is not available to rules"},
        {"dofile", "dofile is not available to rules"},
        {"debug", "debug is not available to rules"},
        {"collectgarbage", "collectgarbage is not available to rules"},
        {"string_dump", "field 'dump'"},
        {"method_dump", "field 'dump'"},
        {"string_meta", "field '__index'"},
        {"random", "field 'random'"},
        {"gc", "__gc is not allowed"},
        {"infinite", "instruction limit exceeded"},
        {"pcall_loop", "instruction limit exceeded"},
        {"memory_string", "memory limit exceeded"},
        {"memory_table", "memory limit exceeded"},
        {"time", "time limit exceeded"},
        {"error", "hostile.lua:39: boom: fee table incomplete\nstack traceback:"},
    };
    CHECK_EQ_INT(load_ok("hostile", "hostile.lua"), 0);
    CHECK_EQ_INT(load_ok("good", "good.lua"), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        statement st = st_new(NULL);
        char *err = NULL;
        CHECK_EQ_INT(settle_case("hostile", cases[i].name, &st, &err), -1);
        CHECK(check_has(err, cases[i].want));
        CHECK(check_has(err, "hostile.lua:"));
        CHECK_EQ_INT(st.n_lines, 0);
        free(err);
        st_clear(&st);
        check_good_still_settles();
    }
    CHECK(access("/tmp/settle-pwned", F_OK) != 0);
}

/* Globals and library changes of one rule file do not reach another. */
static void test_isolation(void)
{
    statement st = st_new(NULL);
    char *err = NULL;
    CHECK_EQ_INT(load_ok("a", "globals_a.lua"), 0);
    CHECK_EQ_INT(load_ok("b", "globals_b.lua"), 0);
    CHECK_EQ_INT(rules_settle(re, "a", NULL, &st, &err), 0);
    free(err);
    st_clear(&st);
    st = st_new(NULL);
    CHECK_EQ_INT(rules_settle(re, "b", NULL, &st, &err), 0);
    CHECK_EQ_INT(st.payable, 1);
    free(err);
    st_clear(&st);
}

/* Writes a real Lua bytecode chunk to `path` (via a plain state). */
static int dump_writer(lua_State *L, const void *p, size_t n, void *ud)
{
    (void)L;
    return fwrite(p, 1, n, ud) == n ? 0 : 1;
}

/* Creates a binary chunk file and a file over the size cap in `dir`. */
static void make_bad_files(const char *dir)
{
    char *path = xasprintf("%s/compiled.lua", dir);
    FILE *f = fopen(path, "wb");
    lua_State *L = luaL_newstate();
    luaL_loadstring(L, "return { settle = function() return { lines = {}, payable = 0 } end }");
    lua_dump(L, dump_writer, f, 1);
    lua_close(L);
    fclose(f);
    free(path);
    path = xasprintf("%s/huge.lua", dir);
    f = fopen(path, "wb");
    for (int i = 0; i < (1 << 20) / 16 + 1; i++)
        fputs("-- padding ----\n", f);
    fclose(f);
    free(path);
}

/* Load-time failures: one message each, "path:line: message", never doubled. */
static void test_load_errors(void)
{
    static const struct { const char *name, *want; } cases[] = {
        {"syntax.lua", "syntax.lua:3: unexpected symbol near '}'"},
        {"no_table.lua", "must end with return { settle = function(p, params)"},
        {"no_settle.lua", "no settle function"},
        {"bad_transaction.lua", "`transaction` must be a function (it is a string)"},
        {"load_os.lua", "load_os.lua:2: os is not available to rules: the sandbox offers only"},
        {"load_money.lua", "load_money.lua:3: money.of: there is no settlement currency"},
        {"load_loop.lua", "load_loop.lua:2: instruction limit exceeded"},
        {"missing.lua", "cannot read rule file: No such file or directory"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = fixture(cases[i].name), *msg = NULL;
        CHECK_EQ_INT(load_path("broken", path, &msg), -1);
        CHECK(check_has(msg, cases[i].want));
        CHECK(msg && strncmp(msg, path, strlen(path)) == 0 &&
              !strstr(msg + strlen(path), cases[i].name));
        CHECK(msg && !strchr(msg, '\n'));
        free(msg);
        free(path);
    }
    char dir[] = "/tmp/test_rules.XXXXXX", *msg = NULL;
    CHECK(mkdtemp(dir) != NULL);
    make_bad_files(dir);
    char *path = xasprintf("%s/compiled.lua", dir);
    CHECK_EQ_INT(load_path("broken", path, &msg), -1);
    CHECK(check_has(msg, "compiled.lua: is a compiled (binary) Lua chunk; rule files are loaded as "
                   "source text only"));
    free(msg);
    unlink(path);
    free(path);
    path = xasprintf("%s/huge.lua", dir);
    CHECK_EQ_INT(load_path("broken", path, &msg), -1);
    CHECK(check_has(msg, "huge.lua: rule file is larger than 1 MiB"));
    free(msg);
    unlink(path);
    free(path);
    rmdir(dir);
    char *err = NULL;
    statement st = st_new(NULL);
    CHECK_EQ_INT(rules_settle(re, "broken", NULL, &st, &err), -1);
    CHECK(check_has(err, "partner broken: no rule file is loaded"));
    free(err);
    st_clear(&st);
    check_good_still_settles();
}

/* The file's SHA-256 is recorded; reloading a partner replaces its rules. */
static void test_hash_and_reload(void)
{
    char *path = fixture("good.lua"), hex[65], want[65];
    unsigned char digest[32];
    diag d;
    diag_init(&d);
    CHECK_EQ_INT(rules_load(re, "reload", path, hex, &d), 0);
    CHECK_EQ_INT(sha256_file(path, digest), 0);
    sha256_hex(digest, want);
    CHECK_EQ_STR(hex, want);
    free(path);
    path = fixture("globals_b.lua");
    CHECK_EQ_INT(rules_load(re, "reload", path, hex, &d), 0);
    statement st = st_new(NULL);
    char *err = NULL;
    CHECK_EQ_INT(rules_settle(re, "reload", NULL, &st, &err), 0);
    CHECK_EQ_INT(st.payable, 1);
    st_clear(&st);
    free(err);
    free(path);
    diag_free(&d);
}

/* Bad result shapes name the problem at settle's line; the good shape fills st. */
static void test_shapes(void)
{
    static const struct { const char *name, *want; } cases[] = {
        {"float_amount", "lines[2].amount is a float (2500.5); money must be an integer number "
                         "of minor units - use money.mul(...) with a rounding mode"},
        {"float_payable", "payable is a float (3.0)"},
        {"string_amount", "lines[1].amount is a string (\"2500\"); money must be an integer "
                          "number of minor units - use money.of(\"2500\")"},
        {"no_payable", "payable is missing"},
        {"no_lines", "lines is missing"},
        {"unknown_field", "the result has an unknown field \"total\" (allowed: lines, payable, "
                          "carry_out)"},
        {"line_extra", "lines[1] has an unknown field \"note\""},
        {"holes", "lines must be a list"},
        {"empty_label", "lines[1].label must be a non-empty string"},
        {"carry_float", "carry_out is a float (0.5)"},
        {"number", "number instead of a table"},
        {"missing", "nil instead of a table"},
    };
    char *path = fixture("shape.lua");
    char *prefix = xasprintf("%s:21: settle() returned a bad result: ", path);
    CHECK_EQ_INT(load_ok("shape", "shape.lua"), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        statement st = st_new(NULL);
        char *err = NULL;
        CHECK_EQ_INT(settle_case("shape", cases[i].name, &st, &err), -1);
        CHECK(check_has(err, prefix) && strncmp(err, prefix, strlen(prefix)) == 0);
        CHECK(check_has(err, cases[i].want));
        CHECK_EQ_INT(st.n_lines, 0);
        free(err);
        st_clear(&st);
    }
    statement st = st_new(NULL);
    char *err = NULL;
    CHECK_EQ_INT(settle_case("shape", "ok", &st, &err), 0);
    CHECK_EQ_INT(st.n_lines, 2);
    CHECK_EQ_INT(amount_of(&st, "Share"), 2500);
    CHECK_EQ_INT(st.payable, 2600);
    CHECK_EQ_INT(st.carry_out, -7);
    st_clear(&st);
    free(err);
    free(prefix);
    free(path);
}

/* Loads sample rule `file` for `partner`, settles st with params; returns rc. */
static int settle_sample(const char *file, const param *params, statement *st)
{
    char *path = sample(file), *msg = NULL, *err = NULL;
    int rc = load_path(file, path, &msg);
    if (rc == 0)
        rc = rules_settle(re, file, params, st, &err);
    if (rc)
        fprintf(stderr, "  sample %s: %s\n", file, msg ? msg : err);
    free(path);
    free(msg);
    free(err);
    return rc;
}

/* Sum of st's line amounts. */
static int64_t lines_sum(const statement *st)
{
    int64_t sum = 0;
    for (size_t i = 0; i < st->n_lines; i++)
        sum += st->lines[i].amount;
    return sum;
}

/* game_provider.lua with a given min_fee and carry_in; checks payable/carry_out. */
static void game_provider_case(const char *min_fee, int64_t carry_in, int64_t payable,
                               int64_t carry_out, size_t n_lines)
{
    param tiers[3] = {ptier("1000", "10%"), ptier("5000", "12%"), ptier(NULL, "15%")};
    param top[2] = {pnode(PARAM_LIST, "tiers", 3, tiers), pscalar("min_fee", min_fee)};
    param params = pnode(PARAM_MAP, NULL, 2, top);
    statement st = st_new("game_provider");
    st.agg->carry_in = carry_in;
    CHECK_EQ_INT(settle_sample("game_provider.lua", &params, &st), 0);
    CHECK_EQ_INT(st.payable, payable);
    CHECK_EQ_INT(st.carry_out, carry_out);
    CHECK_EQ_INT(st.n_lines, n_lines);
    CHECK_EQ_INT(lines_sum(&st), payable);
    param_clear(&params);
    st_clear(&st);
}

/*
 * GGR 285000 (2850.00 EUR). With carry_in -1500 the basis is 283500:
 * 100000 * 10% + 183500 * 12% = 10000 + 22020 = 32020.
 */
static void test_game_provider(void)
{
    game_provider_case("500", -1500, 50000, 0, 2); /* min fee 50000 > 32020: top-up 17980 */
    game_provider_case("100", -1500, 32020, 0, 1);
    game_provider_case("100", 0, 32200, 0, 1);     /* 10000 + 185000 * 12% */
    game_provider_case("500", -300000, 50000, -15000, 2); /* loss: nothing earned, carried */
}

/* live_casino.lua: NGR = 285000 - 30000 - 10000 = 245000. */
static void live_casino_case(const char *share, const char *minimum, int64_t payable)
{
    param top[2] = {pscalar("share", share), pscalar("minimum", minimum)};
    param params = pnode(PARAM_MAP, NULL, 2, top);
    statement st = st_new("live_casino");
    CHECK_EQ_INT(settle_sample("live_casino.lua", &params, &st), 0);
    CHECK_EQ_INT(st.payable, payable);
    CHECK_EQ_INT(lines_sum(&st), payable);
    param_clear(&params);
    st_clear(&st);
}

/* 15% -> 36750; 15.01% -> 36774.5 -> 36774 (half-even); a 500.00 minimum wins. */
static void test_live_casino(void)
{
    live_casino_case("15%", "100", 36750);
    live_casino_case("15.01%", "100", 36774);
    live_casino_case("15%", "500", 50000);
}

/* credit_supplier.lua with `purchase` face value and `refund`. */
static void credit_case(int64_t purchase, int64_t refund, int64_t payable, const char *label)
{
    param tiers[3] = {ptier("10000", "0%"), ptier("50000", "2%"), ptier(NULL, "3.5%")};
    param top[1] = {pnode(PARAM_LIST, "tiers", 3, tiers)};
    param params = pnode(PARAM_MAP, NULL, 1, top);
    statement st = st_new("credit_supplier");
    put(&st.agg->total, TX_PURCHASE, purchase, 12);
    put(&st.agg->total, TX_REFUND, refund, 2);
    CHECK_EQ_INT(settle_sample("credit_supplier.lua", &params, &st), 0);
    CHECK_EQ_INT(st.payable, payable);
    CHECK_EQ_INT(lines_sum(&st), payable);
    CHECK(line_of(&st, label) != NULL);
    param_clear(&params);
    st_clear(&st);
}

/*
 * 30000.00 face reaches the 2% tier: net 2980000, discount 59600.
 * 60000.00 reaches 3.5%: net 5979999, discount 209299.965 -> 209300.
 */
static void test_credit_supplier(void)
{
    credit_case(3000000, 20000, 2920400, "Volume discount 2% on 29800.00");
    credit_case(6000000, 20001, 5770699, "Volume discount 3.5% on 59799.99");
    credit_case(500000, 0, 500000, "Volume discount 0% on 5000.00");
}

/* slot_solution.lua: licence 2500.00 + 5% of GGR (never negative). */
static void test_slot_solution(void)
{
    param top[2] = {pscalar("licence_fee", "2500"), pscalar("share", "5%")};
    param params = pnode(PARAM_MAP, NULL, 2, top);
    statement st = st_new("slot_solution");
    CHECK_EQ_INT(settle_sample("slot_solution.lua", &params, &st), 0);
    CHECK_EQ_INT(st.payable, 264250);
    CHECK_EQ_INT(amount_of(&st, "Licence fee 2025-09"), 250000);
    st_clear(&st);
    st = st_new("slot_solution");
    st.agg->total.total[TX_WIN] = 2000000; /* GGR -1015000 */
    CHECK_EQ_INT(settle_sample("slot_solution.lua", &params, &st), 0);
    CHECK_EQ_INT(st.payable, 250000);
    CHECK_EQ_INT(lines_sum(&st), 250000);
    st_clear(&st);
    param_clear(&params);
}

/* A missing parameter names itself and the place to fix it. */
static void test_sample_missing_param(void)
{
    char *path = sample("slot_solution.lua"), *msg = NULL, *err = NULL;
    statement st = st_new(NULL);
    CHECK_EQ_INT(load_path("noparams", path, &msg), 0);
    CHECK_EQ_INT(rules_settle(re, "noparams", NULL, &st, &err), -1);
    CHECK(check_has(err, "slot_solution.lua:"));
    CHECK(check_has(err, "params.licence_fee is missing; add it to this partner in settle.yaml"));
    free(err);
    free(msg);
    free(path);
    st_clear(&st);
}

int main(int argc, char **argv)
{
    root = source_root(argc, argv, "fixtures/rules/good.lua");
    re = rules_open();
    test_view();
    test_money_values();
    test_money_errors();
    test_hostile();
    test_isolation();
    test_load_errors();
    test_hash_and_reload();
    test_shapes();
    test_game_provider();
    test_live_casino();
    test_credit_supplier();
    test_slot_solution();
    test_sample_missing_param();
    rules_close(re);
    free(root);
    return check_done();
}
