/*
 * config.c - loads settle.yaml (SPEC section 3): reads the file, has
 * config_yaml.c turn it into a node tree, checks the top-level sections
 * (settle, fx, tax) and hands partners to config_partner.c, ledgers and
 * reconcile: to config_ledger.c.
 *
 * Every problem becomes one "file:line:col: message" in the diag list and the
 * walk goes on, so an operator sees them all at once. A load with any problem
 * frees what it built and leaves the config zeroed: never half-applied.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_yaml.h"

/* ---- top-level sections --------------------------------------------------- */

/* Seconds after midnight of "HH:MM" (00:00..23:59), or -1. */
int32_t cfg_hhmm(const char *t)
{
    if (strlen(t) != 5 || t[2] != ':' || strspn(t, "0123456789") != 2 ||
        strspn(t + 3, "0123456789") != 2)
        return -1;
    int h = atoi(t), m = atoi(t + 3);
    return h < 24 && m < 60 ? (int32_t)(h * 3600 + m * 60) : -1;
}

/* settle.day_starts_at into *out (left at 0 when absent). */
static void cfg_day_start(cfg_ctx *c, const cfg_node *s, int32_t *out)
{
    char *t = NULL;
    if (cfg_str(c, s, "settle", "day_starts_at", &t) == 1 && (*out = cfg_hhmm(t)) < 0)
        cfg_error(c, cfg_get(s, "day_starts_at"), "settle.day_starts_at must be a time of day "
                  "\"HH:MM\" from \"00:00\" to \"23:59\", got '%s'", t);
    free(t);
}

/* settle.paths: each folder resolved against the config's folder, or its default. */
static void cfg_paths(cfg_ctx *c, const cfg_node *v, settle_config *cfg)
{
    static const char *const names[] = {"inbox", "state", "reports", "audit",
                                        "quarantine", "metrics", NULL};
    static const char *const defaults[] = {"data/inbox", "var/state", "var/reports",
                                           "var/audit", "var/quarantine", "var/metrics"};
    char **slots[] = {&cfg->paths.inbox, &cfg->paths.state, &cfg->paths.reports,
                      &cfg->paths.audit, &cfg->paths.quarantine, &cfg->paths.metrics};
    if (v && !cfg_is_map(c, v, "settle", "paths"))
        v = NULL;
    if (v)
        cfg_keys(c, v, "settle.paths", names);
    for (size_t i = 0; names[i]; i++)
        if (cfg_path(c, v, "settle.paths", names[i], cfg->dir, slots[i]) == 0)
            *slots[i] = path_join(cfg->dir, defaults[i]);
}

/* The settle: section: zone, cut-off, reporting currency, folders. */
static void cfg_settle(cfg_ctx *c, const cfg_node *s, settle_config *cfg)
{
    static const char *const keys[] = {"timezone", "day_starts_at", "currency", "paths",
                                       "threads", NULL};
    if (!cfg_is_map(c, s, "", "settle"))
        return;
    cfg_keys(c, s, "settle", keys);
    if (cfg_need(c, s, "settle", "timezone"))
        cfg_zone(c, s, "settle", "timezone", &cfg->timezone);
    cfg_day_start(c, s, &cfg->day_starts_at);
    if (cfg_need(c, s, "settle", "currency"))
        cfg_currency(c, s, "settle", "currency", &cfg->currency);
    cfg_paths(c, cfg_get(s, "paths"), cfg);
    cfg_int(c, s, "settle", "threads", 1, 64, &cfg->threads);
}

/* An optional one-path section (fx: {rates}, tax: {tables}) into *out. */
static void cfg_resource(cfg_ctx *c, const cfg_node *root, const char *sect, const char *key,
                         settle_config *cfg, char **out)
{
    const char *const keys[] = {key, NULL};
    const cfg_node *v = cfg_get(root, sect);
    if (!v || !cfg_is_map(c, v, "", sect))
        return;
    cfg_keys(c, v, sect, keys);
    if (cfg_need(c, v, sect, key))
        cfg_path(c, v, sect, key, cfg->dir, out);
}

/* Walks the document: top-level keys, then each section in turn. */
static void cfg_walk(cfg_ctx *c, const cfg_node *root, settle_config *cfg)
{
    static const char *const keys[] = {"settle", "fx", "tax", "partners", "ledgers",
                                       "watch", "alerts", "approvals", NULL};
    if (root->kind != CFG_MAP) {
        cfg_error(c, root, "the config must be a mapping with settle: and partners: at the "
                  "top, got %s", cfg_kind_name(root));
        return;
    }
    cfg_keys(c, root, "", keys);
    const cfg_node *s = cfg_need(c, root, "", "settle");
    if (s)
        cfg_settle(c, s, cfg);
    cfg_resource(c, root, "fx", "rates", cfg, &cfg->fx_rates);
    cfg_resource(c, root, "tax", "tables", cfg, &cfg->tax_tables);
    const cfg_node *p = cfg_need(c, root, "", "partners");
    if (p)
        cfg_partners(c, p, cfg);
    cfg_ledgers(c, cfg_get(root, "ledgers"), cfg);
    cfg_ledgers_link(c, root, cfg);
    cfg_watch(c, cfg_get(root, "watch"), cfg);
    cfg_alerts(c, cfg_get(root, "alerts"), cfg);
    cfg_approvals(c, cfg_get(root, "approvals"), cfg);
}

#define CFG_FILE_MAX (16 * 1024 * 1024)

/* Reads the whole file into `out` (caller frees). -1 after reporting. */
static int cfg_read_file(cfg_ctx *c, const char *path, sbuf *out)
{
    size_t len;
    sbuf_init(out);
    if (read_file_capped(path, CFG_FILE_MAX, &out->buf, &len) == 0) {
        out->len = out->cap = len;
        return 0;
    }
    if (errno == ENOENT || errno == EACCES)
        cfg_error_at(c, 0, 0, "cannot open the config file: %s (give its path with -c FILE "
                     "or $SETTLE_CONFIG)", strerror(errno));
    else
        cfg_error_at(c, 0, 0, "cannot read the config file: %s", strerror(errno));
    return -1;
}

/* ---- public API ------------------------------------------------------------ */

/* Loads and validates `path` into *cfg (zeroed first). Returns 0 with cfg
 * owning every string, or -1 with messages in `d` and cfg zeroed. */
int config_load(const char *path, settle_config *cfg, diag *d)
{
    cfg_ctx c = {.file = path, .d = d};
    cfg_node root;
    sbuf text;
    memset(cfg, 0, sizeof *cfg);
    memset(&root, 0, sizeof root);
    cfg->path = xstrdup(path);
    cfg->dir = path_dir(path);
    if (cfg_read_file(&c, path, &text) == 0) {
        sha256_mem(text.buf, text.len, cfg->sha256);
        if (cfg_parse(&c, text.buf, text.len, &root) == 0)
            cfg_walk(&c, &root, cfg);
    }
    cfg_node_free(&root);
    sbuf_free(&text);
    cfg_flush(&c);
    if (c.errors)
        config_free(cfg);
    return c.errors ? -1 : 0;
}

/* Frees everything `cfg` owns and zeroes it; safe on a zeroed config. */
int config_load_printed(const char *path, settle_config *cfg)
{
    diag d;
    diag_init(&d);
    int rc = config_load(path, cfg, &d);
    diag_print(&d, stderr);
    diag_free(&d);
    return rc;
}

void config_free(settle_config *cfg)
{
    if (!cfg)
        return;
    char *owned[] = {cfg->path, cfg->dir, cfg->timezone, cfg->currency,
                     cfg->paths.inbox, cfg->paths.state, cfg->paths.reports,
                     cfg->paths.audit, cfg->paths.quarantine, cfg->paths.metrics,
                     cfg->fx_rates, cfg->tax_tables};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        free(owned[i]);
    for (size_t i = 0; i < cfg->n_partners; i++)
        cfg_partner_free(&cfg->partners[i]);
    free(cfg->partners);
    for (size_t i = 0; i < cfg->n_ledgers; i++)
        cfg_ledger_free(&cfg->ledgers[i]);
    free(cfg->ledgers);
    cfg_watch_free(cfg);
    memset(cfg, 0, sizeof *cfg);
}

/* The partner with this id (borrowed from cfg), or NULL. */
const partner_config *config_partner(const settle_config *cfg, const char *id)
{
    for (size_t i = 0; i < cfg->n_partners; i++)
        if (cfg->partners[i].id && !strcmp(cfg->partners[i].id, id))
            return &cfg->partners[i];
    return NULL;
}
