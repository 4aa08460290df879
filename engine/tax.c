/*
 * tax.c - loads the tax table (tax.h) with the config's YAML node reader
 * (config_yaml.c), so every problem is reported as "file:line:col: message",
 * all at once, and looks up the rate in force on a day.
 *
 * Shape: a mapping of jurisdiction -> mapping of tax name -> non-empty list
 * of {from, rate}. Names are 1 to 64 characters of A-Z a-z 0-9 _ -. `from`
 * is a real date YYYY-MM-DD, strictly increasing down a list; `rate` is a
 * decimal or a percentage (rate_parse) from 0 to 100% inclusive. No other
 * keys. A table is kept only when the whole file is valid.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config_yaml.h"
#include "tax.h"
#include "timefmt.h"

#define TAX_NAME_MAX 64
#define TAX_ENTRY_FORM "{from: \"YYYY-MM-DD\", rate: \"10%%\"}" /* in a format */

/* ---- reading ------------------------------------------------------------ */

/* Reads the whole file into `out` (NUL-terminated; caller frees). -1 after reporting. */
static int tax_read(cfg_ctx *c, const char *path, sbuf *out)
{
    char buf[8192];
    size_t n;
    sbuf_init(out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        cfg_error_at(c, 0, 0, "cannot open the tax table: %s (check tax.tables in settle.yaml)",
                     strerror(errno));
        return -1;
    }
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sbuf_add(out, buf, n);
    int err = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (err)
        cfg_error_at(c, 0, 0, "cannot read the tax table: %s", strerror(err));
    sbuf_addc(out, '\0');
    out->len--;
    return err ? -1 : 0;
}

/* True when the text holds no YAML document: only a BOM, blanks and comments. */
static bool tax_blank(const char *s, size_t n)
{
    bool comment = false;
    if (n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
        s += 3, n -= 3;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n' || s[i] == '\r')
            comment = false;
        else if (!comment && s[i] == '#')
            comment = true;
        else if (!comment && s[i] != ' ' && s[i] != '\t')
            return false;
    }
    return true;
}

/* ---- checking ----------------------------------------------------------- */

/* Like cfg_kind_name, but says when a mapping or list is empty (static string). */
static const char *tax_kind(const cfg_node *n)
{
    if (n->kind == CFG_MAP && n->n == 0)
        return "an empty mapping";
    if (n->kind == CFG_SEQ && n->n == 0)
        return "an empty list";
    return cfg_kind_name(n);
}

/* Reports key `k` unless it is a usable jurisdiction or tax name (`what`). */
static void tax_name_check(cfg_ctx *c, const cfg_node *k, const char *what)
{
    static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    size_t n = strlen(k->text);
    if (n < 1 || n > TAX_NAME_MAX || n != k->len || strspn(k->text, ok) != n)
        cfg_error(c, k, "%s '%s' must be 1 to %d characters of A-Z, a-z, 0-9, '_' and '-'",
                  what, k->text, TAX_NAME_MAX);
}

/* Parses and range-checks rate text `s` of node `v` into *r; reports at `v`. */
static void tax_rate_check(cfg_ctx *c, const cfg_node *v, const char *sect, const char *s,
                           decimal_rate *r)
{
    money_status ms = rate_parse(s, strlen(s), r);
    int64_t one = 1;
    for (int i = 0; ms == MONEY_OK && i < r->scale; i++)
        one *= 10;
    if (ms == MONEY_BAD)
        cfg_error(c, v, "%s.rate must be a percentage (\"5.5%%\") or a decimal (\"0.055\"), "
                  "got '%s'", sect, s);
    else if (ms == MONEY_PRECISION)
        cfg_error(c, v, "%s.rate '%s' has more than 18 decimals", sect, s);
    else if (ms == MONEY_OK && r->num < 0)
        cfg_error(c, v, "%s.rate must not be negative, got '%s'", sect, s);
    else if (ms != MONEY_OK || r->num > one)
        cfg_error(c, v, "%s.rate must be at most 100%%, got '%s'%s", sect, s,
                  strchr(s, '%') ? "" : " (write a percentage with %, e.g. \"10%\")");
}

/* True when every key of mapping `m` is a scalar (the reader reported the others). */
static bool tax_plain_keys(const cfg_node *m)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->keys[i].kind != CFG_SCALAR)
            return false;
    return true;
}

/*
 * Checks one list item `item` (named `sect`, e.g. "MT.vat[2]") and fills *e
 * (e->text owned by the caller afterwards). Returns false after reporting.
 */
static bool tax_entry(cfg_ctx *c, const cfg_node *item, const char *sect, tax_rate_entry *e)
{
    static const char *const keys[] = {"from", "rate", NULL};
    if (item->kind != CFG_MAP) {
        cfg_error(c, item, "expected a mapping " TAX_ENTRY_FORM " for '%s', got %s", sect,
                  tax_kind(item));
        return false;
    }
    if (!tax_plain_keys(item))
        return false;
    int before = c->errors;
    cfg_keys(c, item, sect, keys);
    const cfg_node *fv = cfg_need(c, item, sect, "from"), *rv = cfg_need(c, item, sect, "rate");
    const char *from = fv ? cfg_scalar(c, fv, sect, "from", "a date \"YYYY-MM-DD\"") : NULL;
    const char *rate = rv ? cfg_scalar(c, rv, sect, "rate", "a rate such as \"10%\"") : NULL;
    if (from && date_parse(from, strlen(from), &e->from) != 0)
        cfg_error(c, fv, "%s.from must be a real date written YYYY-MM-DD, got '%s'", sect, from);
    if (rate)
        tax_rate_check(c, rv, sect, rate, &e->rate);
    if (c->errors > before)
        return false;
    e->text = xstrdup(rate);
    e->line = item->line;
    return true;
}

/*
 * Checks the list of tax `name` in jurisdiction `j` and appends it to t as a
 * series (even when parts were bad: the load fails then anyway).
 */
static void tax_series_read(cfg_ctx *c, const cfg_node *list, const char *j, const char *name,
                            tax_table *t)
{
    char *sect = xasprintf("%s.%s", j, name);
    if (list->kind != CFG_SEQ || list->n == 0) {
        cfg_error(c, list, "expected a list of " TAX_ENTRY_FORM " in date order for '%s', "
                  "got %s", sect, tax_kind(list));
        free(sect);
        return;
    }
    tax_series s = {xstrdup(j), xstrdup(name), xcalloc(list->n, sizeof *s.v), 0};
    for (size_t i = 0; i < list->n; i++) {
        char *item = xasprintf("%s[%zu]", sect, i + 1);
        tax_rate_entry e = {0};
        const tax_rate_entry *prev = s.n ? &s.v[s.n - 1] : NULL;
        if (tax_entry(c, &list->vals[i], item, &e) && prev && e.from <= prev->from) {
            char a[11], b[11];
            date_format(e.from, a);
            date_format(prev->from, b);
            cfg_error(c, cfg_get(&list->vals[i], "from"), "%s.from %s must be after %s (the "
                      "entry on line %d); list the entries in date order, each date once",
                      item, a, b, prev->line);
            free(e.text);
        } else if (e.text) {
            s.v[s.n++] = e;
        }
        free(item);
    }
    free(sect);
    t->s = xrealloc(t->s, (t->n + 1) * sizeof *t->s);
    t->s[t->n++] = s;
}

/* Checks one jurisdiction (key `k`, value `taxes`) and appends its series to t. */
static void tax_jurisdiction(cfg_ctx *c, const cfg_node *k, const cfg_node *taxes, tax_table *t)
{
    tax_name_check(c, k, "jurisdiction");
    if (taxes->kind != CFG_MAP || taxes->n == 0) {
        cfg_error(c, taxes, "expected a mapping of tax name -> list of " TAX_ENTRY_FORM
                  " for '%s', got %s", k->text, tax_kind(taxes));
        return;
    }
    for (size_t i = 0; i < taxes->n; i++) {
        if (taxes->keys[i].kind != CFG_SCALAR)
            continue; /* reported by the reader */
        tax_name_check(c, &taxes->keys[i], "tax name");
        tax_series_read(c, &taxes->vals[i], k->text, taxes->keys[i].text, t);
    }
}

/* Checks the whole tree and fills t; every problem goes to c. */
static void tax_walk(cfg_ctx *c, const cfg_node *root, tax_table *t)
{
    if (root->kind != CFG_MAP || root->n == 0) {
        cfg_error(c, root, "the tax table must be a mapping of jurisdiction -> tax name -> "
                  "list of " TAX_ENTRY_FORM ", got %s", tax_kind(root));
        return;
    }
    for (size_t i = 0; i < root->n; i++)
        if (root->keys[i].kind == CFG_SCALAR)
            tax_jurisdiction(c, &root->keys[i], &root->vals[i], t);
}

/* ---- public API --------------------------------------------------------- */

/* Loads and checks `path` (see tax.h). The table, or NULL with messages in d. */
tax_table *tax_load(const char *path, diag *d)
{
    cfg_ctx c = {.file = path, .d = d};
    cfg_node root;
    sbuf text;
    tax_table *t = xcalloc(1, sizeof *t);
    memset(&root, 0, sizeof root);
    t->path = xstrdup(path);
    if (tax_read(&c, path, &text) == 0) {
        if (tax_blank(text.buf, text.len))
            cfg_error_at(&c, 0, 0, "the tax table is empty; list jurisdiction -> tax name -> "
                         "list of " TAX_ENTRY_FORM);
        else if (cfg_parse(&c, text.buf, text.len, &root) == 0)
            tax_walk(&c, &root, t);
    }
    cfg_node_free(&root);
    sbuf_free(&text);
    cfg_flush(&c);
    if (!c.errors)
        return t;
    tax_free(t);
    return NULL;
}

/* Frees t and everything it owns; NULL is a no-op. */
void tax_free(tax_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        for (size_t k = 0; k < t->s[i].n; k++)
            free(t->s[i].v[k].text);
        free(t->s[i].v);
        free(t->s[i].jurisdiction);
        free(t->s[i].tax);
    }
    free(t->s);
    free(t->path);
    free(t);
}

/* The series of jurisdiction/tax (tax NULL: any of the jurisdiction), or NULL. */
const tax_series *tax_find(const tax_table *t, const char *jurisdiction, const char *tax)
{
    for (size_t i = 0; t && i < t->n; i++)
        if (!strcmp(t->s[i].jurisdiction, jurisdiction) && (!tax || !strcmp(t->s[i].tax, tax)))
            return &t->s[i];
    return NULL;
}

/* The entry in force on `day` (last with from <= day), or NULL. */
const tax_rate_entry *tax_lookup(const tax_table *t, const char *jurisdiction, const char *tax,
                                 int32_t day)
{
    const tax_series *s = tax ? tax_find(t, jurisdiction, tax) : NULL;
    for (size_t k = s ? s->n : 0; k > 0; k--)
        if (s->v[k - 1].from <= day)
            return &s->v[k - 1];
    return NULL;
}
