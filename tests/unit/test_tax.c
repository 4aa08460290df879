/*
 * test_tax.c - tax tables: loading (tax.yaml-like fixtures and the sample
 * data/tax.yaml), every validation error with its line:col, look-ups before,
 * on and after the dates in a list, and the Lua `tax` library (tax.rate,
 * tax.apply, rounding, errors naming the rule line, no table configured).
 *
 * Usage: test_tax [SOURCE_ROOT]. Fixtures are under
 * SOURCE_ROOT/tests/unit/fixtures/tax; without the argument the root is
 * "../.." when run from tests/unit (meson's workdir), else derived from this
 * file's compile-time path.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "source_root.h"
#include "rules.h"
#include "tax.h"

/* The period builders of the rules tests; not all are used here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "test_rules_data.h"
#pragma GCC diagnostic pop

static char *root;

/* ---- helpers ------------------------------------------------------------ */

/* Path of a fixture in fixtures/tax (caller frees). */
static char *fixture(const char *name)
{
    return xasprintf("%s/tests/unit/fixtures/tax/%s", root, name);
}

/* Loads fixture `name`; the diag messages go to *d (caller frees with diag_free). */
static tax_table *load(const char *name, diag *d)
{
    char *path = fixture(name);
    diag_init(d);
    tax_table *t = tax_load(path, d);
    free(path);
    return t;
}

/* Loads a fixture that must fail with exactly one message `want` after "path:". */
static void load_fails(const char *name, const char *want)
{
    diag d;
    char *path = fixture(name), *full = xasprintf("%s:%s", path, want);
    CHECK(load(name, &d) == NULL);
    CHECK_EQ_INT(d.n, 1);
    CHECK_EQ_STR(d.n ? d.msgs[0] : NULL, full);
    diag_free(&d);
    free(full);
    free(path);
}

/* The rate text in force, or "(none)". */
static const char *rate_on(const tax_table *t, const char *j, const char *tax, const char *day)
{
    const tax_rate_entry *e = tax_lookup(t, j, tax, day_of(day));
    return e ? e->text : "(none)";
}

/* ---- loading ------------------------------------------------------------ */

/* good.yaml: series in file order, texts as written, exact rates, lines. */
static void test_load_good(void)
{
    diag d;
    tax_table *t = load("good.yaml", &d);
    CHECK(t != NULL);
    CHECK_EQ_INT(d.n, 0);
    diag_print(&d, stderr);
    diag_free(&d);
    if (!t)
        return;
    CHECK_EQ_INT(t->n, 5);
    CHECK(check_has(t->path, "fixtures/tax/good.yaml"));
    const tax_series *g = tax_find(t, "MT", "gaming_tax");
    CHECK(g == &t->s[0]);
    CHECK_EQ_INT(g ? g->n : 0, 2);
    if (g && g->n == 2) {
        CHECK_EQ_INT(g->v[0].from, day_of("2025-01-01"));
        CHECK_EQ_STR(g->v[1].text, "5.5%");
        CHECK_EQ_INT(g->v[1].rate.num, 55);
        CHECK_EQ_INT(g->v[1].rate.scale, 3);
        CHECK_EQ_INT(g->v[1].line, 6);
    }
    const tax_series *k = tax_find(t, "KR", "local_tax");
    CHECK(k != NULL);
    if (k) {
        CHECK_EQ_STR(k->v[0].text, "0.055"); /* percent and decimal give the same value */
        CHECK_EQ_INT(k->v[0].rate.num, 55);
        CHECK_EQ_INT(k->v[0].rate.scale, 3);
        CHECK_EQ_INT(k->v[0].line, 11);  /* block style: the line of the item */
        CHECK_EQ_INT(k->v[1].rate.num, 0);
    }
    CHECK(tax_find(t, "US-NV", NULL) == &t->s[4]);
    CHECK(tax_find(t, "KR", NULL) == &t->s[2]);
    CHECK(tax_find(t, "XX", NULL) == NULL);
    CHECK(tax_find(t, "MT", "vta") == NULL);
    tax_free(t);
}

/* The sample data/tax.yaml loads and has the rates docs/sample-partners.md lists. */
static void test_load_sample(void)
{
    diag d;
    char *path = xasprintf("%s/data/tax.yaml", root);
    diag_init(&d);
    tax_table *t = tax_load(path, &d);
    CHECK(t != NULL);
    diag_print(&d, stderr);
    CHECK_EQ_STR(rate_on(t, "KR", "withholding", "2025-06-30"), "22%");
    CHECK_EQ_STR(rate_on(t, "KR", "withholding", "2025-07-01"), "20%");
    CHECK_EQ_STR(rate_on(t, "PH", "franchise_tax", "2025-06-15"), "7%");
    CHECK_EQ_STR(rate_on(t, "MT", "vat", "2024-12-31"), "(none)");
    tax_free(t);
    diag_free(&d);
    free(path);
}

/* bad.yaml: every problem reported, in file order, each at its line:col. */
static void test_load_bad(void)
{
    static const char *const want[] = {
        "5:15: MT.vat[2].from must be a real date written YYYY-MM-DD, got '2025-02-30'",
        "6:15: MT.vat[3].from 2025-01-01 must be after 2025-07-01 (the entry on line 4); "
        "list the entries in date order, each date once",
        "7:42: unknown key 'note' in MT.vat[4] (expected one of: from, rate)",
        "8:7: MT.vat[5].from is required",
        "9:35: MT.vat[6].rate must not be negative, got '-1%'",
        "10:35: MT.vat[7].rate must be at most 100%, got '101%'",
        "11:35: MT.vat[8].rate must be at most 100%, got '10' (write a percentage with %, "
        "e.g. \"10%\")",
        "12:35: MT.vat[9].rate must be a percentage (\"5.5%\") or a decimal (\"0.055\"), "
        "got 'ten'",
        "13:35: MT.vat[10].rate '0.0000000000000000001' has more than 18 decimals",
        "14:29: expected a rate such as \"10%\" for 'MT.vat[11].rate', got a list",
        "15:7: expected a mapping {from: \"YYYY-MM-DD\", rate: \"10%\"} for 'MT.vat[12]', "
        "got a scalar",
        "16:3: expected a list of {from: \"YYYY-MM-DD\", rate: \"10%\"} in date order for "
        "'MT.gaming_tax', got an empty list",
        "17:3: tax name 'bad name' must be 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'",
        "19:5: expected a mapping of tax name -> list of {from: \"YYYY-MM-DD\", rate: "
        "\"10%\"} for 'PH', got a scalar",
        "21:3: expected a list of {from: \"YYYY-MM-DD\", rate: \"10%\"} in date order for "
        "'KR.vat', got an empty value",
        "24:15: KR.withholding[2].from 2025-01-01 must be after 2025-01-01 (the entry on "
        "line 23); list the entries in date order, each date once",
    };
    size_t n = sizeof want / sizeof want[0];
    diag d;
    char *path = fixture("bad.yaml");
    CHECK(load("bad.yaml", &d) == NULL);
    CHECK_EQ_INT(d.n, n);
    for (size_t i = 0; i < n && i < d.n; i++) {
        char *full = xasprintf("%s:%s", path, want[i]);
        CHECK_EQ_STR(d.msgs[i], full);
        free(full);
    }
    diag_free(&d);
    free(path);
}

/* Whole-file problems: missing, empty, wrong top level, YAML syntax. */
static void test_load_file_errors(void)
{
    diag d;
    CHECK(load("missing.yaml", &d) == NULL);
    CHECK_EQ_INT(d.n, 1);
    CHECK(check_has(d.n ? d.msgs[0] : NULL, "fixtures/tax/missing.yaml: cannot open the tax table: "
                                      "No such file or directory"));
    diag_free(&d);
    load_fails("empty.yaml", " the tax table is empty; list jurisdiction -> tax name -> list "
                             "of {from: \"YYYY-MM-DD\", rate: \"10%\"}");
    load_fails("list.yaml", "1:1: the tax table must be a mapping of jurisdiction -> tax name "
                            "-> list of {from: \"YYYY-MM-DD\", rate: \"10%\"}, got a list");
    CHECK(load("tab.yaml", &d) == NULL);
    CHECK_EQ_INT(d.n, 1);
    CHECK(check_has(d.n ? d.msgs[0] : NULL, "tab.yaml:2:1: YAML syntax error"));
    CHECK(check_has(d.n ? d.msgs[0] : NULL, "indent with spaces"));
    diag_free(&d);
}

/* ---- look-ups ----------------------------------------------------------- */

/* Before the first entry, on each boundary day, after the last; unknown names. */
static void test_lookup(void)
{
    diag d;
    tax_table *t = load("good.yaml", &d);
    diag_free(&d);
    CHECK_EQ_STR(rate_on(t, "MT", "gaming_tax", "2024-12-31"), "(none)");
    CHECK_EQ_STR(rate_on(t, "MT", "gaming_tax", "2025-01-01"), "5%");
    CHECK_EQ_STR(rate_on(t, "MT", "gaming_tax", "2025-06-30"), "5%");
    CHECK_EQ_STR(rate_on(t, "MT", "gaming_tax", "2025-07-01"), "5.5%");
    CHECK_EQ_STR(rate_on(t, "MT", "gaming_tax", "2999-12-31"), "5.5%");
    CHECK_EQ_STR(rate_on(t, "KR", "local_tax", "2025-12-31"), "0.055");
    CHECK_EQ_STR(rate_on(t, "KR", "local_tax", "2026-01-01"), "0%");
    CHECK_EQ_STR(rate_on(t, "XX", "vat", "2025-07-01"), "(none)");
    CHECK_EQ_STR(rate_on(t, "MT", "vta", "2025-07-01"), "(none)");
    CHECK_EQ_STR(rate_on(t, "KR", "gaming_tax", "2025-07-01"), "(none)"); /* MT's, not KR's */
    CHECK_EQ_STR(rate_on(NULL, "MT", "vat", "2025-07-01"), "(none)");
    const tax_rate_entry *e = tax_lookup(t, "MT", "gaming_tax", day_of("2025-09-30"));
    CHECK(e && e->rate.num == 55 && e->rate.scale == 3);
    tax_free(t);
}

/* ---- the Lua tax library ------------------------------------------------ */

/* Loads fixture `name` for `partner`; returns rc, first message in *msg (caller frees). */
static int load_rule(rules_engine *re, const char *partner, const char *name, char **msg)
{
    diag d;
    char hex[65], *path = fixture(name);
    diag_init(&d);
    int rc = rules_load(re, partner, path, hex, &d);
    *msg = d.n ? xstrdup(d.msgs[0]) : NULL;
    diag_free(&d);
    free(path);
    return rc;
}

/* Settles `partner` with params {case = name} (name NULL: no params). */
static int settle(rules_engine *re, const char *partner, const char *name, statement *st,
                  char **err)
{
    param p = pcase(name ? name : "");
    int rc = rules_settle(re, partner, name ? &p : NULL, st, err);
    param_clear(&p);
    return rc;
}

/* Amount of the line labelled `label` (INT64_MIN when missing). */
static int64_t amount_of(const statement *st, const char *label)
{
    for (size_t i = 0; i < st->n_lines; i++)
        if (strcmp(st->lines[i].label, label) == 0)
            return st->lines[i].amount;
    fprintf(stderr, "  no line \"%s\"\n", label);
    return INT64_MIN;
}

/* tax_cases.lua: rates on each boundary, apply with every rounding that matters. */
static void test_rules_values(rules_engine *re)
{
    static const struct { const char *label; int64_t v; } want[] = {
        {"at load=18%", 0}, {"first day=5%", 0}, {"day before change=5%", 0},
        {"change day=5.5%", 0}, {"last day=5.5%", 0}, {"far future=5.5%", 0},
        {"decimal=0.055", 0}, {"zero=0%", 0}, {"sub-national=1", 0}, {"type=table", 0},
        {"locked=locked", 0},
        {"mul with tax.rate", 550}, {"apply 10000 5.5%", 550}, {"apply 10000 0.055", 550},
        {"apply 10 5%", 0},             /* 0.5 -> 0 (half-even) */
        {"apply 10 5% half_up", 1},     /* 0.5 -> 1 */
        {"apply 30 5%", 2},             /* 1.5 -> 2 */
        {"apply 50 5%", 2},             /* 2.5 -> 2 */
        {"apply 50 5% half_up", 3},
        {"apply -50 5%", -2},
        {"apply -50 5% half_up", -3},
        {"apply 100 5.5%", 6},          /* 5.5 -> 6 */
        {"apply 300 5.5%", 16},         /* 16.5 -> 16 */
        {"apply 300 5.5% half_up", 17},
        {"apply 309 5.5% down", 16},    /* 16.995 */
        {"apply 301 5.5% ceiling", 17}, /* 16.555 */
        {"apply 0", 0}, {"apply max 100%", INT64_MAX}, {"apply zero rate", 0},
    };
    size_t n = sizeof want / sizeof want[0];
    statement st = st_new(NULL);
    char *msg = NULL, *err = NULL;
    CHECK_EQ_INT(load_rule(re, "cases", "tax_cases.lua", &msg), 0);
    CHECK(msg == NULL || check_has(msg, "(no load error expected)"));
    CHECK_EQ_INT(settle(re, "cases", NULL, &st, &err), 0);
    CHECK(err == NULL || check_has(err, "(no error expected)"));
    CHECK_EQ_INT(st.n_lines, n);
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_INT(amount_of(&st, want[i].label), want[i].v);
    free(msg);
    free(err);
    st_clear(&st);
}

/* tax_errors.lua: each bad call fails the partner with file:line and the fix. */
static void test_rules_errors(rules_engine *re)
{
    char *good = fixture("good.yaml");
    char *starts = xasprintf("tax_errors.lua:4: tax.rate: no MT vat rate in force on "
                             "2024-12-31 (%s starts it on 2025-01-01)", good);
    char *unknown_j = xasprintf("tax_errors.lua:5: tax.rate: unknown jurisdiction \"XX\" in "
                                "%s (it has MT, KR, US-NV)", good);
    char *unknown_t = xasprintf("tax_errors.lua:6: tax.rate: unknown tax \"vta\" for MT in %s "
                                "(it has gaming_tax, vat)", good);
    char *before = xasprintf("tax_errors.lua:11: tax.apply: no MT gaming_tax rate in force on "
                             "2024-06-30 (%s starts it on 2025-01-01)", good);
    const struct { const char *name, *want; } cases[] = {
        {"not_in_force", starts},
        {"unknown_jurisdiction", unknown_j},
        {"unknown_tax", unknown_t},
        {"bad_date", "tax_errors.lua:7: tax.rate: the date must be a real date \"YYYY-MM-DD\" "
                     "such as p.last_day, got \"2025-02-30\""},
        {"date_type", "tax_errors.lua:8: tax.rate: the date must be a string (got number)"},
        {"apply_float", "tax_errors.lua:9: tax.apply: amount is a float (10.5)"},
        {"apply_mode", "tax_errors.lua:10: tax.apply: unknown rounding mode \"nearest\""},
        {"apply_before", before},
        {"assign", "tax_errors.lua:12: tax is read-only"},
        {"no_args", "tax_errors.lua:13: tax.rate: the jurisdiction must be a string (got no "
                    "value)"},
    };
    char *msg = NULL;
    CHECK_EQ_INT(load_rule(re, "errors", "tax_errors.lua", &msg), 0);
    free(msg);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        statement st = st_new(NULL);
        char *err = NULL;
        CHECK_EQ_INT(settle(re, "errors", cases[i].name, &st, &err), -1);
        CHECK(check_has(err, cases[i].want));
        CHECK(check_has(err, "stack traceback:"));
        CHECK_EQ_INT(st.n_lines, 0);
        free(err);
        st_clear(&st);
    }
    free(starts);
    free(unknown_j);
    free(unknown_t);
    free(before);
    free(good);
}

/* Without rules_set_tax every call says no table is configured, at load and in settle(). */
static void test_rules_no_table(void)
{
    static const char none[] = "tax.rate: no tax table is configured; add tax: { tables: "
                               "data/tax.yaml } to settle.yaml";
    rules_engine *re = rules_open();
    statement st = st_new(NULL);
    char *msg = NULL, *err = NULL, *want = NULL;
    CHECK_EQ_INT(load_rule(re, "cases", "tax_cases.lua", &msg), -1);
    want = xasprintf("tax_cases.lua:4: %s", none);
    CHECK(check_has(msg, want));
    free(want);
    free(msg);
    CHECK_EQ_INT(load_rule(re, "errors", "tax_errors.lua", &msg), 0);
    CHECK_EQ_INT(settle(re, "errors", "unknown_jurisdiction", &st, &err), -1);
    want = xasprintf("tax_errors.lua:5: %s", none);
    CHECK(check_has(err, want));
    free(want);
    free(err);
    free(msg);
    st_clear(&st);
    rules_close(re);
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
    root = source_root(argc, argv, "fixtures/tax/good.yaml");
    test_load_good();
    test_load_sample();
    test_load_bad();
    test_load_file_errors();
    test_lookup();
    diag d;
    tax_table *t = load("good.yaml", &d);
    diag_free(&d);
    rules_engine *re = rules_open();
    rules_set_tax(re, t);
    test_rules_values(re);
    test_rules_errors(re);
    rules_close(re);
    tax_free(t);
    test_rules_no_table();
    free(root);
    return check_done();
}
