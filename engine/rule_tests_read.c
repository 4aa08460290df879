/*
 * rule_tests_read.c - reading one rule-test case (rule_tests.c): its params,
 * the period aggregates `p` (amounts as decimal text in major units) and the
 * expected statement, each problem reported as file:line:col.
 */
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "rule_tests_int.h"
#include "timefmt.h"

static const char *const rt_p_keys[] = {
    "partner", "kind", "period", "period_kind", "first_day", "last_day", "currency", "exponent",
    "total", "count", "carry_in", "duplicates", "rejected", "by_category", "by_game",
    "by_currency", "by_day", "fx", NULL};
static const char *const rt_computed[] = {"ggr", "transactions", "bets", "wins", NULL};
static const char *const rt_group_keys[] = {"total", "count", NULL};
static const char *const rt_expect_keys[] = {"lines", "payable", "carry_out", "error", NULL};
static const char *const rt_line_keys[] = {"label", "amount", NULL};
static const char *const rt_fx_keys[] = {"day", "rate_date", "base", "quote", "rate", NULL};
static const char *const rt_kinds[] = {"daily", "weekly", "monthly", NULL};

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
void rt_check_p_keys(cfg_ctx *c, const cfg_node *p, const char *sect)
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

/*
 * Builds the case's params: defaults.params, then the case's params on top,
 * key by key. A key set to null (`min_fee: null` or `min_fee: ~`) is left
 * out, so a case can test a missing parameter.
 */
void rt_params(rt_file *f, const cfg_node *kase, rt_case *k)
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
            cfg_param_build(&src[s]->vals[i], it);
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
    /* every field is read (and reported) before deciding */
    bool ok = rt_date(c, n[0], "p.fx[]", "day", &out->day);
    ok = rt_date(c, n[1], "p.fx[]", "rate_date", &out->rate_date) && ok;
    ok = rt_code(c, n[2], "p.fx[]", "base", out->base) >= 0 && ok;
    ok = rt_code(c, n[3], "p.fx[]", "quote", out->quote) >= 0 && ok && rate;
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
void rt_agg(rt_file *f, const cfg_node *kase, rt_case *k)
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
void rt_expect(rt_file *f, const cfg_node *kase, rt_case *k)
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

