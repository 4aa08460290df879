/*
 * rule_tests.c - data-driven rule tests run by `settle check`: every
 * rules/tests/NAME.yaml beside the configured rule files holds cases, each a
 * period's aggregates (`p` as the rule sees it, amounts as decimal text in
 * major units), params, and the statement the rule must return.
 *
 * A test file (format in docs/operators-guide.md):
 *
 *   defaults:                        # optional; fills what a case leaves out
 *     rule: game_provider.lua        # relative to the rules folder; default <file stem>.lua
 *     params: { min_fee: "500" }     # merged key by key under the case's params
 *     p: { period: 2025-09, currency: EUR }   # merged field by field under the case's p
 *   tax: { tables: ../../data/tax.yaml }      # optional; else the config's tax table
 *   cases:
 *     - name: minimum fee tops up
 *       p: { total: { bet: "10000.00", win: "7150.00" }, carry_in: "-15.00" }
 *       expect:
 *         lines: [ { label: "...", amount: "320.20" }, ... ]   # optional; exact, in order
 *         payable: "500.00"                                      # required unless error
 *         carry_out: "0.00"                                      # optional
 *     - name: missing param
 *       params: { min_fee: null }
 *       expect: { error: "params.min_fee is missing" }
 *
 * Problems in a file are reported like config errors (file:line:col) through
 * the node reader of config_yaml.c; a failing case as "file:line: case 'name':
 * payable 77.03 expected, rule gave 77.02" at the line of the case. Messages
 * are queued per file and added to the diag list in file order.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_yaml.h"
#include "money.h"
#include "rule_tests.h"
#include "rules.h"
#include "statement.h"
#include "timefmt.h"

#define RT_MAX_FILE ((size_t)4 << 20) /* bytes of one test file */
#define RT_PARTNER "rule-test"        /* engine id the cases' rule files load under */
#define RT_MAX_FOLDERS 256

static const char *const rt_root_keys[] = {"cases", "defaults", "tax", NULL};
static const char *const rt_default_keys[] = {"rule", "params", "p", NULL};
static const char *const rt_case_keys[] = {"name", "rule", "params", "p", "expect", NULL};
static const char *const rt_p_keys[] = {
    "partner", "kind", "period", "period_kind", "first_day", "last_day", "currency", "exponent",
    "total", "count", "carry_in", "duplicates", "rejected", "by_category", "by_game",
    "by_currency", "by_day", "fx", NULL};
static const char *const rt_computed[] = {"ggr", "transactions", "bets", "wins", NULL};
static const char *const rt_group_keys[] = {"total", "count", NULL};
static const char *const rt_expect_keys[] = {"lines", "payable", "carry_out", "error", NULL};
static const char *const rt_line_keys[] = {"label", "amount", NULL};
static const char *const rt_fx_keys[] = {"day", "rate_date", "base", "quote", "rate", NULL};
static const char *const rt_tax_keys[] = {"tables", NULL};
static const char *const rt_kinds[] = {"daily", "weekly", "monthly", NULL};

/* How the keys of a breakdown are checked. */
enum { RT_KEYS_ANY, RT_KEYS_CURRENCY, RT_KEYS_DAY };

/* One whole rule_tests_run. */
typedef struct rt_run {
    rules_engine *re;
    const tax_table *tax; /* the config's; borrowed, may be NULL */
    diag *d;
    int passed, failed;
} rt_run;

/* One test file being read and run. */
typedef struct rt_file {
    rt_run *run;
    cfg_ctx c;                /* queue of this file's messages */
    const char *path;         /* the test file */
    const char *rules_dir;    /* folder `rule:` names are relative to */
    char *default_rule;       /* owned; "<file stem>.lua" */
    const cfg_node *defaults; /* the defaults mapping, or NULL */
} rt_file;

/* One expected statement line. */
typedef struct rt_line {
    const char *label; /* borrowed from the node tree */
    int64_t amount;
} rt_line;

/* One case, as read from its node. */
typedef struct rt_case {
    const cfg_node *node;
    const char *name;    /* borrowed from the node tree */
    char *rule;          /* owned; resolved path of the rule file */
    param params;        /* owned PARAM_MAP */
    statement st;        /* owned; st.agg built from p */
    const char *error;   /* expected error fragment (borrowed), or NULL */
    rt_line *lines;      /* owned array of the expected lines */
    size_t n_lines;
    bool check_lines, check_payable, check_carry;
    int64_t payable, carry_out;
    bool failed;
} rt_case;

/* ---- small readers ------------------------------------------------------ */

/* True when `s` is in the NULL-terminated list `names`. */
static bool rt_in(const char *s, const char *const *names)
{
    for (; *names; names++)
        if (strcmp(s, *names) == 0)
            return true;
    return false;
}

/* Field `key` of p: from the case's p, else from defaults.p; NULL when neither. */
static const cfg_node *rt_p(const rt_file *f, const cfg_node *kase, const char *key)
{
    const cfg_node *v = cfg_get(cfg_get(kase, "p"), key);
    return v ? v : cfg_get(cfg_get(f->defaults, "p"), key);
}

/* The p mapping that holds `key` (the case's, else defaults.p), or NULL. */
static const cfg_node *rt_pmap(const rt_file *f, const cfg_node *kase, const char *key)
{
    const cfg_node *p = cfg_get(kase, "p");
    if (cfg_get(p, key))
        return p;
    p = cfg_get(f->defaults, "p");
    return cfg_get(p, key) ? p : NULL;
}

/*
 * Reads the amount text at `v` (major units, `e` decimals) into *out. Returns
 * false after reporting text that is not an amount, too precise or too large.
 */
static bool rt_amount(cfg_ctx *c, const cfg_node *v, const char *sect, const char *key, int e,
                      int64_t *out)
{
    static const money_dialect dot = {'.', 0, false};
    const char *s = cfg_scalar(c, v, sect, key, "an amount in major units such as \"1234.50\"");
    if (!s)
        return false;
    money_status ms = money_parse(s, strlen(s), &dot, e, out);
    if (ms == MONEY_PRECISION)
        cfg_error(c, v, "%s%s%s: '%s' has more than %d decimals for this currency",
                  CFG_NAME(sect, key), s, e);
    else if (ms == MONEY_OVERFLOW)
        cfg_error(c, v, "%s%s%s: '%s' is too large for 64-bit minor units", CFG_NAME(sect, key),
                  s);
    else if (ms != MONEY_OK)
        cfg_error(c, v, "%s%s%s: '%s' is not an amount; write major units like \"1234.50\"",
                  CFG_NAME(sect, key), s);
    return ms == MONEY_OK;
}

/* Reads a count (digits only) at `v` into *out; false after reporting. */
static bool rt_count(cfg_ctx *c, const cfg_node *v, const char *sect, const char *key,
                     int64_t *out)
{
    const char *s = cfg_scalar(c, v, sect, key, "a whole number");
    if (!s)
        return false;
    size_t n = strlen(s);
    if (n == 0 || n > 18 || strspn(s, "0123456789") != n) {
        cfg_error(c, v, "%s%s%s must be a whole number of at least 0, got '%s'",
                  CFG_NAME(sect, key), s);
        return false;
    }
    *out = strtoll(s, NULL, 10);
    return true;
}

/* Reads a "YYYY-MM-DD" date at `v` into *out; false after reporting. */
static bool rt_date(cfg_ctx *c, const cfg_node *v, const char *sect, const char *key,
                    int32_t *out)
{
    const char *s = cfg_scalar(c, v, sect, key, "a date YYYY-MM-DD");
    if (s && date_parse(s, strlen(s), out) == 0)
        return true;
    if (s)
        cfg_error(c, v, "%s%s%s must be a real date YYYY-MM-DD, got '%s'", CFG_NAME(sect, key),
                  s);
    return false;
}

/* Reads a currency code at `v` into code[4]; returns its exponent, or -1 after reporting. */
static int rt_code(cfg_ctx *c, const cfg_node *v, const char *sect, const char *key,
                   char code[4])
{
    const char *s = cfg_scalar(c, v, sect, key, "a currency code such as EUR");
    int e = s && strlen(s) == 3 ? currency_exponent(s, 3) : -1;
    if (s && e < 0)
        cfg_error(c, v, "unknown currency '%s' in %s%s%s (use an ISO 4217 code in capitals, "
                        "such as EUR, USD or KRW)", s, CFG_NAME(sect, key));
    if (e >= 0)
        memcpy(code, s, 4);
    return e;
}

/* Reports keys of p mapping `p` that p does not have; computed fields get their own hint. */
static void rt_check_p_keys(cfg_ctx *c, const cfg_node *p, const char *sect)
{
    char *list = NULL;
    for (size_t i = 0; i < p->n; i++) {
        const cfg_node *k = &p->keys[i];
        if (rt_in(k->text, rt_p_keys))
            continue;
        if (rt_in(k->text, rt_computed)) {
            cfg_error(c, k, "%s.%s is computed by settle from total and count; give those "
                            "instead", sect, k->text);
            continue;
        }
        if (!list)
            list = cfg_join_names(rt_p_keys, ", ");
        cfg_error(c, k, "unknown key '%s' in %s (expected one of: %s)", k->text, sect, list);
    }
    free(list);
}

/* ---- params --------------------------------------------------------------- */

/* Copies node `n` into param `out` (whose key the caller set), scalars exactly as written. */
static void rt_param_build(const cfg_node *n, param *out)
{
    out->kind = n->kind == CFG_MAP ? PARAM_MAP : n->kind == CFG_SEQ ? PARAM_LIST : PARAM_SCALAR;
    if (n->kind == CFG_SCALAR) {
        out->scalar = xstrdup(n->text);
        out->quoted = n->quoted;
        return;
    }
    out->n_items = n->n;
    out->items = n->n ? xcalloc(n->n, sizeof *out->items) : NULL;
    for (size_t i = 0; i < n->n; i++) {
        if (n->kind == CFG_MAP)
            out->items[i].key = xstrdup(n->keys[i].text);
        rt_param_build(&n->vals[i], &out->items[i]);
    }
}

/* Frees what param `p` owns (not `p` itself). */
static void rt_param_free(param *p)
{
    for (size_t i = 0; i < p->n_items; i++)
        rt_param_free(&p->items[i]);
    free(p->items);
    free(p->key);
    free(p->scalar);
}

/*
 * Builds the case's params: defaults.params, then the case's params on top,
 * key by key. A key set to null (`min_fee: null` or `min_fee: ~`) is left
 * out, so a case can test a missing parameter.
 */
static void rt_params(rt_file *f, const cfg_node *kase, rt_case *k)
{
    const cfg_node *src[2] = {cfg_get(f->defaults, "params"), cfg_get(kase, "params")};
    size_t cap = 0;
    for (int s = 0; s < 2; s++) {
        if (src[s] && !cfg_is_map(&f->c, src[s], s ? "" : "defaults", "params"))
            src[s] = NULL;
        cap += src[s] ? src[s]->n : 0;
    }
    k->params.kind = PARAM_MAP;
    k->params.items = cap ? xcalloc(cap, sizeof *k->params.items) : NULL;
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; src[s] && i < src[s]->n; i++) {
            const char *key = src[s]->keys[i].text;
            if ((s == 0 && cfg_get(src[1], key)) || cfg_is_null(&src[s]->vals[i]))
                continue;
            param *it = &k->params.items[k->params.n_items++];
            it->key = xstrdup(key);
            rt_param_build(&src[s]->vals[i], it);
        }
    }
}

/* ---- p -------------------------------------------------------------------- */

/*
 * Reads `total` (amounts with `e` decimals) and `count` mappings of
 * canonical types into s; `sect` names their parent in messages ("p").
 */
static void rt_sums(cfg_ctx *c, const cfg_node *total, const cfg_node *count, const char *sect,
                    int e, agg_sums *s)
{
    const cfg_node *m[2] = {total, count};
    for (int w = 0; w < 2; w++) {
        const char *what = w ? "count" : "total";
        if (!m[w] || !cfg_is_map(c, m[w], sect, what))
            continue;
        char *name = xasprintf("%s%s%s", CFG_NAME(sect, what));
        for (size_t i = 0; i < m[w]->n; i++) {
            const cfg_node *key = &m[w]->keys[i], *v = &m[w]->vals[i];
            int t = tx_type_from_name(key->text, key->len);
            if (t < 0 || strcmp(tx_type_name((tx_type)t), key->text) != 0) {
                cfg_error(c, key, "unknown transaction type '%s' in %s (canonical types: bet, "
                                  "win, refund, win_reversal, bonus, jackpot_contribution, "
                                  "jackpot_win, purchase, adjustment)", key->text, name);
                continue;
            }
            if (w)
                rt_count(c, v, name, key->text, &s->count[t]);
            else
                rt_amount(c, v, name, key->text, e, &s->total[t]);
        }
        free(name);
    }
}

/* qsort order of breakdown groups: by key. */
static int rt_group_cmp(const void *a, const void *b)
{
    return strcmp(((const agg_group *)a)->key, ((const agg_group *)b)->key);
}

/* Checks breakdown key `k` of kind `keys`; returns the group's exponent, or -1 after reporting. */
static int rt_group_key(cfg_ctx *c, const cfg_node *k, const char *name, int keys, int e)
{
    int32_t day;
    if (keys == RT_KEYS_CURRENCY) {
        e = k->len == 3 ? currency_exponent(k->text, 3) : -1;
        if (e < 0)
            cfg_error(c, k, "p.%s: '%s' is not an ISO 4217 currency code such as USD", name,
                      k->text);
    } else if (keys == RT_KEYS_DAY && date_parse(k->text, k->len, &day) != 0) {
        cfg_error(c, k, "p.%s: '%s' is not a date YYYY-MM-DD", name, k->text);
        e = -1;
    }
    return e;
}

/*
 * Reads breakdown p.<name> (key -> {total, count}) into a new array sorted
 * by key; `e` is the exponent of its amounts (by_currency: each currency's).
 */
static agg_group *rt_groups(cfg_ctx *c, const cfg_node *v, const char *name, int keys, int e,
                            size_t *n)
{
    *n = 0;
    if (!v || !cfg_is_map(c, v, "p", name))
        return NULL;
    agg_group *g = xcalloc(v->n ? v->n : 1, sizeof *g);
    char *sect = xasprintf("p.%s", name);
    for (size_t i = 0; i < v->n; i++) {
        const cfg_node *k = &v->keys[i], *item = &v->vals[i];
        int exp = rt_group_key(c, k, name, keys, e);
        if (exp < 0)
            continue;
        if (cfg_is_map(c, item, sect, k->text)) {
            char *isect = xasprintf("%s.%s", sect, k->text);
            cfg_keys(c, item, isect, rt_group_keys);
            rt_sums(c, cfg_get(item, "total"), cfg_get(item, "count"), isect, exp, &g[*n].s);
            free(isect);
        }
        g[*n].key = xstrdup(k->text);
        g[*n].exponent = exp;
        (*n)++;
    }
    free(sect);
    qsort(g, *n, sizeof *g, rt_group_cmp);
    return g;
}

/* Reads one p.fx entry (a mapping) into *out; false after reporting. */
static bool rt_fx_one(cfg_ctx *c, const cfg_node *v, fx_applied *out)
{
    decimal_rate r;
    if (!cfg_is_map(c, v, "p", "fx[]"))
        return false;
    cfg_keys(c, v, "p.fx[]", rt_fx_keys);
    const cfg_node *n[5];
    for (int i = 0; i < 5; i++)
        if (!(n[i] = cfg_need(c, v, "p.fx[]", rt_fx_keys[i])))
            return false;
    const char *rate = cfg_scalar(c, n[4], "p.fx[]", "rate", "a rate such as \"0.9091\"");
    bool ok = rt_date(c, n[0], "p.fx[]", "day", &out->day) &
              rt_date(c, n[1], "p.fx[]", "rate_date", &out->rate_date) &
              (rt_code(c, n[2], "p.fx[]", "base", out->base) >= 0) &
              (rt_code(c, n[3], "p.fx[]", "quote", out->quote) >= 0) && rate;
    if (ok && rate_parse(rate, strlen(rate), &r) != MONEY_OK) {
        cfg_error(c, n[4], "p.fx[].rate: '%s' is not a rate; write a decimal such as "
                           "\"0.9091\"", rate);
        ok = false;
    }
    if (ok)
        out->rate = xstrdup(rate);
    return ok;
}

/* Reads p.fx (a list of {day, rate_date, base, quote, rate}) into a->fx, in the order given. */
static void rt_fx(cfg_ctx *c, const cfg_node *v, period_agg *a)
{
    if (!v)
        return;
    if (v->kind != CFG_SEQ) {
        cfg_error(c, v, "expected a list for 'p.fx', got %s", cfg_kind_name(v));
        return;
    }
    a->fx = xcalloc(v->n ? v->n : 1, sizeof *a->fx);
    for (size_t i = 0; i < v->n; i++)
        if (rt_fx_one(c, &v->vals[i], &a->fx[a->n_fx]))
            a->n_fx++;
}

/* Reads p.currency (required) and p.exponent (default: the currency's) into a. */
static void rt_currency(rt_file *f, const cfg_node *kase, period_agg *a)
{
    const cfg_node *m = rt_pmap(f, kase, "currency");
    int e = -1;
    a->exponent = 2; /* keeps reading amounts after a bad currency */
    if (!m)
        cfg_error(&f->c, kase, "p.currency is required (the settlement currency, e.g. EUR); "
                               "give it in the case's p or in defaults.p");
    else if ((e = rt_code(&f->c, cfg_get(m, "currency"), "p", "currency", a->currency)) >= 0)
        a->exponent = e;
    cfg_int(&f->c, rt_pmap(f, kase, "exponent"), "p", "exponent", 0, 9, &a->exponent);
}

/*
 * Reads p.period (required): a label 2025-09-22, 2025-W39 or 2025-09 gives
 * the kind and days; p.period_kind, p.first_day and p.last_day override them
 * (and are required for any other label).
 */
static void rt_period(rt_file *f, const cfg_node *kase, period_agg *a)
{
    cfg_ctx *c = &f->c;
    const cfg_node *v = rt_p(f, kase, "period");
    if (!v) {
        cfg_error(c, kase, "p.period is required (a label such as 2025-09, 2025-W39 or "
                           "2025-09-22); give it in the case's p or in defaults.p");
        return;
    }
    const char *s = cfg_scalar(c, v, "p", "period", "a period label such as 2025-09");
    if (!s)
        return;
    size_t n = strlen(s);
    if (n >= sizeof a->label) {
        cfg_error(c, v, "p.period '%s' is longer than %zu characters", s, sizeof a->label - 1);
        return;
    }
    memcpy(a->label, s, n + 1);
    period_kind kind = PERIOD_MONTHLY;
    int32_t first = 0;
    bool parsed = period_parse(s, n, &kind, &first) == 0;
    int k = (int)kind;
    int has = cfg_choice(c, rt_pmap(f, kase, "period_kind"), "p", "period_kind", rt_kinds, &k);
    a->kind = (period_kind)k;
    a->first_day = first;
    a->last_day = parsed ? period_last_day(kind, first) : first;
    const cfg_node *fd = rt_p(f, kase, "first_day"), *ld = rt_p(f, kase, "last_day");
    if (fd)
        rt_date(c, fd, "p", "first_day", &a->first_day);
    if (ld)
        rt_date(c, ld, "p", "last_day", &a->last_day);
    if (!parsed && (!has || !fd || !ld))
        cfg_error(c, v, "p.period '%s' is not a period label (2025-09-22, 2025-W39 or 2025-09); "
                        "give p.period_kind, p.first_day and p.last_day too", s);
    else if (a->last_day < a->first_day)
        cfg_error(c, ld ? ld : v, "p.last_day is before p.first_day");
}

/* Builds the case's statement and period from p (the case's, over defaults.p). */
static void rt_agg(rt_file *f, const cfg_node *kase, rt_case *k)
{
    cfg_ctx *c = &f->c;
    period_agg *a = xcalloc(1, sizeof *a);
    k->st.agg = a;
    const cfg_node *p = cfg_get(kase, "p");
    if (p && cfg_is_map(c, p, "", "p"))
        rt_check_p_keys(c, p, "p");
    a->partner = xstrdup("test");
    cfg_str(c, rt_pmap(f, kase, "partner"), "p", "partner", &a->partner);
    cfg_str(c, rt_pmap(f, kase, "kind"), "p", "kind", &k->st.kind);
    rt_currency(f, kase, a);
    rt_period(f, kase, a);
    rt_sums(c, rt_p(f, kase, "total"), rt_p(f, kase, "count"), "p", a->exponent, &a->total);
    const cfg_node *v;
    if ((v = rt_p(f, kase, "carry_in")))
        rt_amount(c, v, "p", "carry_in", a->exponent, &a->carry_in);
    if ((v = rt_p(f, kase, "duplicates")))
        rt_count(c, v, "p", "duplicates", &a->duplicates);
    if ((v = rt_p(f, kase, "rejected")))
        rt_count(c, v, "p", "rejected", &a->rejected);
    a->by_category = rt_groups(c, rt_p(f, kase, "by_category"), "by_category", RT_KEYS_ANY,
                               a->exponent, &a->n_category);
    a->by_game = rt_groups(c, rt_p(f, kase, "by_game"), "by_game", RT_KEYS_ANY, a->exponent,
                           &a->n_game);
    a->by_currency = rt_groups(c, rt_p(f, kase, "by_currency"), "by_currency",
                               RT_KEYS_CURRENCY, a->exponent, &a->n_currency);
    a->by_day = rt_groups(c, rt_p(f, kase, "by_day"), "by_day", RT_KEYS_DAY, a->exponent,
                          &a->n_day);
    rt_fx(c, rt_p(f, kase, "fx"), a);
}

/* ---- expect --------------------------------------------------------------- */

/* Reads expect.lines (a list of {label, amount}) into k->lines. */
static void rt_expect_lines(cfg_ctx *c, const cfg_node *v, int e, rt_case *k)
{
    if (v->kind != CFG_SEQ) {
        cfg_error(c, v, "expected a list of { label: ..., amount: ... } for 'expect.lines', "
                        "got %s", cfg_kind_name(v));
        return;
    }
    k->check_lines = true;
    k->lines = xcalloc(v->n ? v->n : 1, sizeof *k->lines);
    for (size_t i = 0; i < v->n; i++) {
        const cfg_node *l = &v->vals[i], *label, *amount;
        if (!cfg_is_map(c, l, "expect", "lines[]"))
            continue;
        cfg_keys(c, l, "expect.lines[]", rt_line_keys);
        if ((label = cfg_need(c, l, "expect.lines[]", "label")))
            k->lines[i].label = cfg_scalar(c, label, "expect.lines[]", "label", "a string");
        if ((amount = cfg_need(c, l, "expect.lines[]", "amount")))
            rt_amount(c, amount, "expect.lines[]", "amount", e, &k->lines[i].amount);
    }
    k->n_lines = v->n;
}

/* Reads the case's expect: an error fragment, or payable (+ lines, carry_out). */
static void rt_expect(rt_file *f, const cfg_node *kase, rt_case *k)
{
    cfg_ctx *c = &f->c;
    int e = k->st.agg->exponent;
    const cfg_node *x = cfg_get(kase, "expect"), *v;
    if (!x) {
        cfg_error(c, kase, "this case has no expect: give expect: { payable: ... } or "
                           "expect: { error: ... }");
        return;
    }
    if (!cfg_is_map(c, x, "", "expect"))
        return;
    cfg_keys(c, x, "expect", rt_expect_keys);
    if ((v = cfg_get(x, "error"))) {
        k->error = cfg_scalar(c, v, "expect", "error", "a part of the error message");
        if (cfg_get(x, "lines") || cfg_get(x, "payable") || cfg_get(x, "carry_out"))
            cfg_error(c, v, "expect.error goes alone: a case expects an error or a statement "
                            "(lines, payable, carry_out), not both");
        return;
    }
    if ((v = cfg_need(c, x, "expect", "payable")))
        k->check_payable = rt_amount(c, v, "expect", "payable", e, &k->payable);
    if ((v = cfg_get(x, "carry_out")))
        k->check_carry = rt_amount(c, v, "expect", "carry_out", e, &k->carry_out);
    if ((v = cfg_get(x, "lines")))
        rt_expect_lines(c, v, e, k);
}

/* ---- running a case ------------------------------------------------------- */

/* Reports one mismatch of case k (takes `msg`) at the case's line. */
static void rt_fail(rt_file *f, rt_case *k, char *msg)
{
    cfg_error_at(&f->c, k->node->line, 0, "case '%s': %s", k->name, msg);
    free(msg);
    k->failed = true;
}

/* The statement lines the rule gave, as "\"label\" amount; ..." (caller frees). */
static char *rt_lines_text(const statement *st)
{
    char a[MONEY_FMT_MAX];
    sbuf b;
    sbuf_init(&b);
    for (size_t i = 0; i < st->n_lines; i++) {
        money_format(st->lines[i].amount, st->agg->exponent, a);
        sbuf_addf(&b, "%s\"%s\" %s", i ? "; " : "", st->lines[i].label, a);
    }
    if (!st->n_lines)
        sbuf_adds(&b, "none");
    return sbuf_take(&b);
}

/* Compares an amount; reports "<what> X expected, rule gave Y" when it differs. */
static void rt_same(rt_file *f, rt_case *k, const char *what, int64_t want, int64_t got)
{
    char a[MONEY_FMT_MAX], b[MONEY_FMT_MAX];
    if (want == got)
        return;
    money_format(want, k->st.agg->exponent, a);
    money_format(got, k->st.agg->exponent, b);
    rt_fail(f, k, xasprintf("%s %s expected, rule gave %s", what, a, b));
}

/* Compares the statement the rule returned with what the case expects. */
static void rt_compare(rt_file *f, rt_case *k)
{
    const statement *st = &k->st;
    int e = st->agg->exponent;
    char a[MONEY_FMT_MAX], b[MONEY_FMT_MAX];
    if (k->check_lines && st->n_lines != k->n_lines) {
        char *got = rt_lines_text(st);
        rt_fail(f, k, xasprintf("%zu lines expected, rule gave %zu: %s", k->n_lines,
                                st->n_lines, got));
        free(got);
    }
    for (size_t i = 0; k->check_lines && i < k->n_lines && i < st->n_lines; i++) {
        const rt_line *w = &k->lines[i];
        const statement_line *g = &st->lines[i];
        if (w->label && strcmp(w->label, g->label) == 0 && w->amount == g->amount)
            continue;
        money_format(w->amount, e, a);
        money_format(g->amount, e, b);
        rt_fail(f, k, xasprintf("lines[%zu] \"%s\" %s expected, rule gave \"%s\" %s", i + 1,
                                w->label ? w->label : "", a, g->label, b));
    }
    if (k->check_payable)
        rt_same(f, k, "payable", k->payable, st->payable);
    if (k->check_carry)
        rt_same(f, k, "carry_out", k->carry_out, st->carry_out);
}

/* Checks a rule error (load or settle) against the case; `err` is "file:line: ...". */
static void rt_rule_error(rt_file *f, rt_case *k, const char *what, const char *err)
{
    int n = (int)strcspn(err, "\n");
    if (!k->error)
        rt_fail(f, k, xasprintf("%s: %.*s", what, n, err));
    else if (!strstr(err, k->error))
        rt_fail(f, k, xasprintf("an error containing \"%s\" expected, %s: %.*s", k->error,
                                what, n, err));
}

/* Loads the case's rule file afresh, settles its period and compares. */
static void rt_case_exec(rt_file *f, rt_case *k)
{
    rules_engine *re = f->run->re;
    char sha[65], *err = NULL, money[MONEY_FMT_MAX];
    diag ld;
    diag_init(&ld);
    if (rules_load(re, RT_PARTNER, k->rule, sha, &ld) != 0) {
        rt_rule_error(f, k, "the rule file does not load", ld.n ? ld.msgs[0] : k->rule);
    } else if (rules_settle(re, RT_PARTNER, &k->params, &k->st, &err) != 0) {
        rt_rule_error(f, k, "the rule failed", err ? err : "");
    } else if (k->error) {
        money_format(k->st.payable, k->st.agg->exponent, money);
        rt_fail(f, k, xasprintf("an error containing \"%s\" expected, rule gave payable %s",
                                k->error, money));
    } else {
        rt_compare(f, k);
    }
    free(err);
    diag_free(&ld);
}

/* Reads the case's name and rule file (case, else defaults, else <file stem>.lua). */
static void rt_case_head(rt_file *f, const cfg_node *kase, rt_case *k)
{
    cfg_ctx *c = &f->c;
    const cfg_node *v = cfg_get(kase, "name");
    k->name = v ? cfg_scalar(c, v, "", "name", "a string") : NULL;
    if (!v)
        cfg_error(c, kase, "this case has no name; give each case a name: (failures show it)");
    if (!k->name)
        k->name = "?";
    const char *sect = "";
    if (!(v = cfg_get(kase, "rule")) && (v = cfg_get(f->defaults, "rule")))
        sect = "defaults";
    const char *rule = v ? cfg_scalar(c, v, sect, "rule", "a rule file name such as x.lua")
                         : f->default_rule;
    k->rule = path_join(f->rules_dir, rule ? rule : f->default_rule);
}

/* Frees what case k owns. */
static void rt_case_free(rt_case *k)
{
    free(k->rule);
    rt_param_free(&k->params);
    statement_free(&k->st);
    free(k->lines);
}

/* Reads case node `kase` and, when it is valid, runs it and counts the result. */
static void rt_case_do(rt_file *f, const cfg_node *kase)
{
    rt_case k;
    memset(&k, 0, sizeof k);
    k.node = kase;
    if (kase->kind != CFG_MAP) {
        cfg_error(&f->c, kase, "each case is a mapping with name:, p: and expect: (got %s)",
                  cfg_kind_name(kase));
        return;
    }
    int before = f->c.errors;
    cfg_keys(&f->c, kase, "case", rt_case_keys);
    rt_case_head(f, kase, &k);
    rt_params(f, kase, &k);
    rt_agg(f, kase, &k);
    rt_expect(f, kase, &k);
    if (f->c.errors == before) {
        rt_case_exec(f, &k);
        if (k.failed)
            f->run->failed++;
        else
            f->run->passed++;
    }
    rt_case_free(&k);
}

/* ---- files and folders ---------------------------------------------------- */

/* Reports a case name used twice in one file. */
static void rt_unique_names(rt_file *f, const cfg_node *cases)
{
    for (size_t i = 0; i < cases->n; i++) {
        const cfg_node *a = cfg_get(&cases->vals[i], "name");
        for (size_t j = 0; a && a->kind == CFG_SCALAR && j < i; j++) {
            const cfg_node *b = cfg_get(&cases->vals[j], "name");
            if (b && b->kind == CFG_SCALAR && strcmp(a->text, b->text) == 0) {
                cfg_error(&f->c, a, "case name '%s' is already used at line %d; give each "
                                    "case its own name", a->text, b->line);
                break;
            }
        }
    }
}

/* Loads the file's own tax table (tax: { tables: path }, relative to the file); -1 on error. */
static int rt_own_tax(rt_file *f, const cfg_node *root, tax_table **own)
{
    const cfg_node *t = cfg_get(root, "tax");
    char *dir = NULL, *path = NULL;
    *own = NULL;
    if (!t)
        return 0;
    if (!cfg_is_map(&f->c, t, "", "tax"))
        return -1;
    cfg_keys(&f->c, t, "tax", rt_tax_keys);
    dir = path_dir(f->path);
    if (cfg_need(&f->c, t, "tax", "tables") &&
        cfg_path(&f->c, t, "tax", "tables", dir, &path) == 1) {
        if (access(path, R_OK) == 0)
            *own = tax_load(path, f->run->d);
        else
            cfg_error(&f->c, cfg_get(t, "tables"), "tax.tables: cannot read %s: %s (the path "
                      "is relative to this test file)", path, strerror(errno));
    }
    free(dir);
    free(path);
    return *own ? 0 : -1;
}

/* Checks the file's top level and defaults, then runs every case. */
static void rt_root(rt_file *f, const cfg_node *root)
{
    cfg_ctx *c = &f->c;
    if (root->kind != CFG_MAP) {
        cfg_error(c, root, "a rule test file is a mapping with cases: (a list of cases)");
        return;
    }
    cfg_keys(c, root, "", rt_root_keys);
    f->defaults = cfg_get(root, "defaults");
    if (f->defaults && !cfg_is_map(c, f->defaults, "", "defaults"))
        return;
    if (f->defaults) {
        cfg_keys(c, f->defaults, "defaults", rt_default_keys);
        const cfg_node *p = cfg_get(f->defaults, "p");
        if (p && cfg_is_map(c, p, "defaults", "p"))
            rt_check_p_keys(c, p, "defaults.p");
    }
    const cfg_node *cases = cfg_need(c, root, "", "cases");
    tax_table *own = NULL;
    if (!cases || rt_own_tax(f, root, &own) != 0)
        return;
    if (cases->kind != CFG_SEQ || cases->n == 0)
        cfg_error(c, cases, "cases must be a list of cases, each with name:, p: and expect:");
    rules_set_tax(f->run->re, own ? own : f->run->tax);
    rt_unique_names(f, cases);
    for (size_t i = 0; cases->kind == CFG_SEQ && i < cases->n; i++)
        rt_case_do(f, &cases->vals[i]);
    rules_set_tax(f->run->re, f->run->tax);
    tax_free(own);
}

/* qsort order that puts equal messages (line, col, text) next to each other. */
static int rt_msg_cmp(const void *a, const void *b)
{
    const cfg_msg *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    int t = strcmp(x->text, y->text);
    return t ? t : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/*
 * Drops repeated messages (a problem in defaults shows once, not once per
 * case), then hands the queue to the diag list in file order.
 */
static void rt_flush(cfg_ctx *c)
{
    size_t w = 0;
    if (c->n_msgs)
        qsort(c->msgs, c->n_msgs, sizeof *c->msgs, rt_msg_cmp);
    for (size_t i = 0; i < c->n_msgs; i++) {
        const cfg_msg *prev = w ? &c->msgs[w - 1] : NULL;
        if (prev && prev->line == c->msgs[i].line && prev->col == c->msgs[i].col &&
            strcmp(prev->text, c->msgs[i].text) == 0) {
            free(c->msgs[i].text);
            continue;
        }
        c->msgs[w++] = c->msgs[i];
    }
    c->n_msgs = w;
    cfg_flush(c);
}

/* True when the YAML text holds nothing but blank lines and comments. */
static bool rt_blank(const char *s)
{
    while (*s) {
        s += strspn(s, " \t\r\n");
        if (*s == '#')
            s += strcspn(s, "\n");
        else if (*s)
            return false;
    }
    return true;
}

/* Reads test file `path` (file name `name`) and runs its cases. */
static void rt_file_run(rt_run *run, const char *rules_dir, const char *path, const char *name)
{
    char *text = NULL;
    size_t len = 0;
    if (read_file_capped(path, RT_MAX_FILE, &text, &len) != 0) {
        diag_add(run->d, path, 0, 0, "cannot read rule test file: %s",
                 errno == EFBIG ? "larger than 4 MiB" : strerror(errno));
        return;
    }
    rt_file f = {.run = run, .c = {.file = path, .d = run->d}, .path = path,
                 .rules_dir = rules_dir};
    size_t stem = strcspn(name, ".");
    f.default_rule = xasprintf("%.*s.lua", (int)stem, name);
    cfg_node root;
    memset(&root, 0, sizeof root);
    if (strlen(text) != len)
        cfg_error_at(&f.c, 0, 0, "the file contains NUL bytes; save it as UTF-8 text");
    else if (rt_blank(text))
        cfg_error_at(&f.c, 0, 0, "the rule test file is empty; it needs cases: (a list of cases)");
    else if (cfg_parse(&f.c, text, len, &root) == 0)
        rt_root(&f, &root);
    rt_flush(&f.c);
    cfg_node_free(&root);
    free(f.default_rule);
    free(text);
}

/* qsort order of file names. */
static int rt_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* True for a visible *.yaml / *.yml name. */
static bool rt_is_test_name(const char *n)
{
    size_t len = strlen(n);
    if (n[0] == '.')
        return false;
    return (len > 5 && strcmp(n + len - 5, ".yaml") == 0) ||
           (len > 4 && strcmp(n + len - 4, ".yml") == 0);
}

/* Runs every test file of folder `tests_dir`, in name order. */
static void rt_folder(rt_run *run, const char *rules_dir, const char *tests_dir)
{
    DIR *dp = opendir(tests_dir);
    if (!dp) {
        diag_add(run->d, tests_dir, 0, 0, "cannot read the rule tests folder: %s",
                 strerror(errno));
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(dp))) {
        if (!rt_is_test_name(de->d_name))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            names = xrealloc(names, cap * sizeof *names);
        }
        names[n++] = xstrdup(de->d_name);
    }
    closedir(dp);
    if (n)
        qsort(names, n, sizeof *names, rt_name_cmp);
    for (size_t i = 0; i < n; i++) {
        char *path = path_join(tests_dir, names[i]);
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
            rt_file_run(run, rules_dir, path, names[i]);
        free(path);
        free(names[i]);
    }
    free(names);
}

int rule_tests_run(const settle_config *cfg, const tax_table *tax, diag *d, int *passed,
                   int *failed)
{
    rt_run run = {rules_open(), tax, d, 0, 0};
    size_t before = d->n, n_seen = 0;
    struct stat seen[RT_MAX_FOLDERS];
    rules_set_tax(run.re, tax);
    for (size_t i = 0; i < cfg->n_partners; i++) {
        char *dir = path_dir(cfg->partners[i].rules), *tests = path_join(dir, "tests");
        struct stat sb;
        bool again = false;
        if (stat(tests, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            for (size_t j = 0; j < n_seen; j++)
                again |= seen[j].st_dev == sb.st_dev && seen[j].st_ino == sb.st_ino;
            if (!again && n_seen < RT_MAX_FOLDERS) {
                seen[n_seen++] = sb;
                rt_folder(&run, dir, tests);
            }
        }
        free(tests);
        free(dir);
    }
    rules_close(run.re);
    if (run.failed)
        diag_add(d, NULL, 0, 0, "rule tests: %d failed, %d passed", run.failed, run.passed);
    *passed = run.passed;
    *failed = run.failed;
    return d->n > before ? -1 : 0;
}
