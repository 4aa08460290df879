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

#include "money.h"
#include "rule_tests.h"
#include "rule_tests_int.h"
#include "timefmt.h"

static const char *const rt_root_keys[] = {"cases", "defaults", "tax", NULL};
static const char *const rt_default_keys[] = {"rule", "params", "p", NULL};
static const char *const rt_case_keys[] = {"name", "rule", "params", "p", "expect", NULL};
static const char *const rt_tax_keys[] = {"tables", NULL};

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
    cfg_param_free(&k->params);
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
