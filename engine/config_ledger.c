/*
 * config_ledger.c - reconciliation in settle.yaml (SPEC section 10,
 * docs/reconciliation.md): the `ledgers:` section (each entry an adapter read
 * with a partner's key parsing, config_partner.c, plus fields.partner) and
 * every partner's `reconcile:` list; then, once both are read, the links
 * between them (ledger ids, fields.partner.values, id clashes).
 *
 * Same contract as config.c: every problem is reported with its line:column
 * and the walk goes on; the caller discards the whole config on any error.
 * Everything stored is owned by the config (cfg_ledger_free, cfg_reconcile_free).
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_yaml.h"
#include "money.h"

#define CFG_TOL_BREAKS_MAX 1000000000

/* ---- partners.<id>.reconcile -------------------------------------------------- */

/* tolerance.amount: a non-negative decimal in the settlement currency, exact. */
static void cfg_tol_amount(cfg_ctx *c, const cfg_node *tol, const char *s,
                           const partner_config *p, reconcile_config *r)
{
    const cfg_node *v = cfg_get(tol, "amount");
    const char *t = v ? cfg_scalar(c, v, s, "amount", "a decimal amount such as \"10.00\"") : NULL;
    int exponent = p->currency ? currency_exponent(p->currency, strlen(p->currency)) : -1;
    if (!t || exponent < 0)
        return;
    static const money_dialect plain = {'.', 0, false};
    money_status st = money_parse(t, strlen(t), &plain, exponent, &r->tol_amount);
    if (st == MONEY_OK && r->tol_amount >= 0)
        return;
    r->tol_amount = 0;
    if (st == MONEY_PRECISION)
        cfg_error(c, v, "%s.amount: '%s' has more decimals than %s allows (%d)", s, t,
                  p->currency, exponent);
    else
        cfg_error(c, v, "%s.amount must be a decimal amount of %s of 0 or more, written "
                  "like \"10.00\", got '%s'", s, p->currency, t);
}

/* tolerance: { breaks, amount }. */
static void cfg_tolerance(cfg_ctx *c, const cfg_node *v, const char *s, const partner_config *p,
                          reconcile_config *r)
{
    static const char *const keys[] = {"breaks", "amount", NULL};
    const cfg_node *tol = cfg_get(v, "tolerance");
    if (!tol || !cfg_is_map(c, tol, s, "tolerance"))
        return;
    char *ts = xasprintf("%s.tolerance", s);
    cfg_keys(c, tol, ts, keys);
    int breaks = 0;
    if (cfg_int(c, tol, ts, "breaks", 0, CFG_TOL_BREAKS_MAX, &breaks) == 1)
        r->tol_breaks = breaks;
    cfg_tol_amount(c, tol, ts, p, r);
    free(ts);
}

/* One reconcile entry `v` (section name s) into r, over the defaults. */
static void cfg_reconcile_entry(cfg_ctx *c, const cfg_node *v, const char *s,
                                const partner_config *p, reconcile_config *r)
{
    static const char *const keys[] = {"ledger", "match", "day_window", "wait_days",
                                       "tolerance", NULL};
    static const char *const matches[] = {"transaction", "daily", NULL};
    *r = (reconcile_config){.match = MATCH_TRANSACTION, .day_window = 1, .wait_days = 2,
                            .line = v->line};
    if (!cfg_is_map(c, v, s, ""))
        return;
    cfg_keys(c, v, s, keys);
    if (cfg_need(c, v, s, "ledger"))
        cfg_str(c, v, s, "ledger", &r->ledger);
    int match = r->match;
    cfg_choice(c, v, s, "match", matches, &match);
    r->match = (recon_match)match;
    cfg_int(c, v, s, "day_window", 0, 31, &r->day_window);
    cfg_int(c, v, s, "wait_days", 0, 366, &r->wait_days);
    cfg_tolerance(c, v, s, p, r);
}

void cfg_reconcile(cfg_ctx *c, const cfg_node *v, const char *sect, partner_config *p)
{
    if (!v)
        return;
    if (v->kind != CFG_SEQ) {
        cfg_error(c, v, "%s.reconcile must be a list of entries such as "
                  "- { ledger: wallet, match: transaction }, got %s", sect, cfg_kind_name(v));
        return;
    }
    p->reconcile = v->n ? xcalloc(v->n, sizeof *p->reconcile) : NULL;
    p->n_reconcile = v->n;
    for (size_t i = 0; i < v->n; i++) {
        char *s = xasprintf("%s.reconcile[%zu]", sect, i);
        cfg_reconcile_entry(c, &v->vals[i], s, p, &p->reconcile[i]);
        free(s);
    }
}

void cfg_reconcile_free(partner_config *p)
{
    for (size_t i = 0; i < p->n_reconcile; i++)
        free(p->reconcile[i].ledger);
    free(p->reconcile);
    p->reconcile = NULL;
    p->n_reconcile = 0;
}

/* ---- ledgers: ------------------------------------------------------------------ */

void cfg_ledgers(cfg_ctx *c, const cfg_node *v, settle_config *cfg)
{
    if (!v || !cfg_is_map(c, v, "", "ledgers") || v->n == 0)
        return;
    cfg->ledgers = xcalloc(v->n, sizeof *cfg->ledgers);
    cfg->n_ledgers = v->n;
    for (size_t i = 0; i < v->n; i++)
        cfg_adapter(c, &v->keys[i], &v->vals[i], true, cfg, &cfg->ledgers[i].src);
}

void cfg_ledger_free(ledger_config *l)
{
    for (size_t i = 0; i < l->n_owners; i++)
        free(l->owners[i].word);
    free(l->owners);
    cfg_partner_free(&l->src);
    memset(l, 0, sizeof *l);
}

/* ---- links between ledgers and partners ------------------------------------------ */

/* Index of the partner with id `id`, or -1. */
static long cfg_partner_index(const settle_config *cfg, const char *id)
{
    const partner_config *pc = config_partner(cfg, id);
    return pc ? (long)(pc - cfg->partners) : -1;
}

/* The partner ids as "a, b, c" (caller frees). */
static char *cfg_partner_list(const settle_config *cfg)
{
    sbuf b;
    sbuf_init(&b);
    for (size_t i = 0; i < cfg->n_partners; i++)
        sbuf_addf(&b, "%s%s", i ? ", " : "", cfg->partners[i].id);
    return b.buf ? b.buf : xstrdup("");
}

/* fields.partner.values of ledger l (entry node v): word -> partner id, each a partner. */
static void cfg_owners(cfg_ctx *c, const cfg_node *v, const settle_config *cfg, ledger_config *l)
{
    const cfg_node *f = cfg_get(cfg_get(v, "fields"), "partner");
    const cfg_node *vals = f && f->kind == CFG_MAP ? cfg_get(f, "values") : NULL;
    char *s = xasprintf("ledgers.%s.fields.partner", l->src.id);
    if (!vals || !cfg_is_map(c, vals, s, "values") || vals->n == 0) {
        if (vals && vals->kind == CFG_MAP)
            cfg_error(c, vals, "%s.values must map at least one word to a partner id", s);
        free(s);
        return;
    }
    l->owners = xcalloc(vals->n, sizeof *l->owners);
    for (size_t i = 0; i < vals->n; i++) {
        const char *id = cfg_scalar(c, &vals->vals[i], s, vals->keys[i].text, "a partner id");
        long pi = id ? cfg_partner_index(cfg, id) : -1;
        if (id && pi < 0) {
            char *list = cfg_partner_list(cfg);
            cfg_error(c, &vals->vals[i], "%s.values.%s: '%s' is not a partner (partners: %s)", s,
                      vals->keys[i].text, id, list);
            free(list);
        }
        if (pi < 0)
            continue;
        l->owners[l->n_owners].word = xstrdup(vals->keys[i].text);
        l->owners[l->n_owners++].partner = (size_t)pi;
    }
    free(s);
}

/* Index of the ledger with id `id`, or -1. */
static long cfg_ledger_index(const settle_config *cfg, const char *id)
{
    for (size_t i = 0; i < cfg->n_ledgers; i++)
        if (cfg->ledgers[i].src.id && !strcmp(cfg->ledgers[i].src.id, id))
            return (long)i;
    return -1;
}

/* One reconcile entry's ledger (node e, entry j of partner p): known, listed once,
 * mapping `round` when the partner's ids are <round>:<type>. */
static void cfg_link_entry(cfg_ctx *c, const cfg_node *e, const settle_config *cfg,
                           partner_config *p, size_t j)
{
    reconcile_config *r = &p->reconcile[j];
    const cfg_node *at = cfg_get(e, "ledger");
    long li = r->ledger ? cfg_ledger_index(cfg, r->ledger) : -1;
    if (!r->ledger)
        return;
    if (li < 0) {
        cfg_error(c, at, "partners.%s.reconcile[%zu].ledger: '%s' is not under ledgers:%s", p->id,
                  j, r->ledger, cfg->n_ledgers ? "" : " (there is no ledgers: section)");
        return;
    }
    r->ledger_index = (size_t)li;
    for (size_t k = 0; k < j; k++)
        if (p->reconcile[k].ledger && !strcmp(p->reconcile[k].ledger, r->ledger))
            cfg_error(c, at, "partners.%s.reconcile[%zu]: ledger '%s' is already listed in "
                      "reconcile[%zu]; list each ledger once per partner", p->id, j, r->ledger, k);
    const partner_config *lsrc = &cfg->ledgers[li].src;
    if (p->has_amounts && r->match == MATCH_TRANSACTION && !field_ref_set(&lsrc->fields[SLOT_ROUND]))
        cfg_error(c, at, "partners.%s.reconcile[%zu]: %s sends one row per round "
                  "(fields.amounts), so it is matched by <round>:<type>; ledger '%s' must map "
                  "fields.round", p->id, j, p->id, r->ledger);
}

void cfg_ledgers_link(cfg_ctx *c, const cfg_node *root, settle_config *cfg)
{
    const cfg_node *lv = cfg_get(root, "ledgers"), *pv = cfg_get(root, "partners");
    for (size_t i = 0; lv && lv->kind == CFG_MAP && i < cfg->n_ledgers; i++) {
        if (cfg_partner_index(cfg, cfg->ledgers[i].src.id) >= 0)
            cfg_error(c, &lv->keys[i], "ledger id '%s' is also a partner id; ledgers and "
                      "partners share the inbox, so give the ledger another id",
                      cfg->ledgers[i].src.id);
        if (lv->vals[i].kind == CFG_MAP)
            cfg_owners(c, &lv->vals[i], cfg, &cfg->ledgers[i]);
    }
    for (size_t i = 0; pv && pv->kind == CFG_MAP && i < cfg->n_partners; i++) {
        const cfg_node *rv = cfg_get(&pv->vals[i], "reconcile");
        partner_config *p = &cfg->partners[i];
        for (size_t j = 0; rv && j < p->n_reconcile; j++)
            if (rv->vals[j].kind == CFG_MAP)
                cfg_link_entry(c, &rv->vals[j], cfg, p, j);
    }
}
