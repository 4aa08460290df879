/*
 * config_yaml.h - private to config.c, config_yaml.c and config_partner.c:
 * the YAML node tree (every node keeps its line:column) and the typed getters
 * that check a value and report "file:line:col: message" on the way.
 *
 * Naming in messages: a value is named by its section ("partners.acme.csv",
 * "" for the top level) and its key; CFG_NAME() joins the two.
 */
#ifndef SETTLE_CONFIG_YAML_H
#define SETTLE_CONFIG_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "util.h"

typedef enum cfg_kind { CFG_SCALAR, CFG_MAP, CFG_SEQ } cfg_kind;

typedef struct cfg_node {
    cfg_kind kind;
    int line, col;          /* 1-based start of the node */
    int key_line, key_col;  /* start of the key this node is the value of; 0 at the root */
    char *text;             /* owned; scalar text, NUL-terminated; NULL for MAP/SEQ */
    size_t len;
    bool quoted;            /* scalar was written quoted (or as a block scalar) */
    struct cfg_node *keys;  /* owned; MAP: n key scalars */
    struct cfg_node *vals;  /* owned; MAP: n values; SEQ: n items */
    size_t n, cap;
} cfg_node;

/* A message waiting to be added to the diag list in file order. */
typedef struct cfg_msg {
    int line, col;          /* 0 when the message is about the whole file */
    size_t seq;             /* order of discovery, to keep the sort stable */
    char *text;             /* owned */
} cfg_msg;

typedef struct cfg_ctx {
    const char *file;       /* the config path, for messages */
    diag *d;
    int errors;             /* messages reported by this load */
    cfg_msg *msgs;          /* owned queue until cfg_flush */
    size_t n_msgs, cap_msgs;
} cfg_ctx;

/* Expands to the three printf arguments of "%s%s%s" naming sect.key. */
#define CFG_NAME(sect, key) (sect), (*(sect) ? "." : ""), (key)

/* config_yaml.c: the tree */
int cfg_parse(cfg_ctx *c, const char *text, size_t len, cfg_node *root);
void cfg_node_free(cfg_node *n);

/* config_yaml.c: reporting and lookup */
void cfg_flush(cfg_ctx *c);
void cfg_error_at(cfg_ctx *c, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void cfg_error(cfg_ctx *c, const cfg_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *cfg_kind_name(const cfg_node *n);
bool cfg_is_null(const cfg_node *n);
const cfg_node *cfg_get(const cfg_node *map, const char *key);
const cfg_node *cfg_need(cfg_ctx *c, const cfg_node *map, const char *sect, const char *key);
void cfg_keys(cfg_ctx *c, const cfg_node *map, const char *sect, const char *const *allowed);
/* cfg_keys, leaving the keys listed in `ignored` for the caller to report. */
void cfg_keys_except(cfg_ctx *c, const cfg_node *map, const char *sect,
                     const char *const *allowed, const char *const *ignored);
bool cfg_is_map(cfg_ctx *c, const cfg_node *v, const char *sect, const char *key);
const char *cfg_scalar(cfg_ctx *c, const cfg_node *v, const char *sect, const char *key,
                       const char *want);
char *cfg_join_names(const char *const *names, const char *last_sep);

/* config_yaml.c: typed getters; each returns 1 set, 0 absent (out untouched), -1 reported */
int cfg_str(cfg_ctx *c, const cfg_node *map, const char *sect, const char *key, char **out);
int cfg_bool(cfg_ctx *c, const cfg_node *map, const char *sect, const char *key, bool *out);
int cfg_int(cfg_ctx *c, const cfg_node *map, const char *sect, const char *key, int lo, int hi,
            int *out);
int cfg_choice(cfg_ctx *c, const cfg_node *map, const char *sect, const char *key,
               const char *const *names, int *out);
int cfg_zone(cfg_ctx *c, const cfg_node *map, const char *sect, const char *key, char **out);
int cfg_currency(cfg_ctx *c, const cfg_node *map, const char *sect, const char *key,
                 char **out);
int cfg_path(cfg_ctx *c, const cfg_node *map, const char *sect, const char *key,
             const char *dir, char **out);

/* Seconds after midnight of "HH:MM" (00:00..23:59), or -1 (config.c). */
int32_t cfg_hhmm(const char *t);

/* config_watch.c */
void cfg_watch(cfg_ctx *c, const cfg_node *v, settle_config *cfg);
void cfg_alerts(cfg_ctx *c, const cfg_node *v, settle_config *cfg);
void cfg_approvals(cfg_ctx *c, const cfg_node *v, settle_config *cfg);
void cfg_expect(cfg_ctx *c, const cfg_node *v, const char *s, partner_config *p);
void cfg_watch_free(settle_config *cfg);

/* config_partner.c */
void cfg_partners(cfg_ctx *c, const cfg_node *v, settle_config *cfg);
void cfg_partner_free(partner_config *p);
/* Reports an id (what: "partner", "ledger") that cannot name an inbox folder. */
void cfg_check_id(cfg_ctx *c, const cfg_node *k, const char *what);
/* One adapter entry, key k (its id) and value v, into the zeroed p: a partner, or with
 * `ledger` a ledger (fields.partner required, partner-only keys reported). */
void cfg_adapter(cfg_ctx *c, const cfg_node *k, const cfg_node *v, bool ledger,
                 const settle_config *cfg, partner_config *p);
/* config_partner.c: copies node n into param out (key set by the caller; scalars exact);
 * cfg_param_free frees what a param owns (not the param itself). */
void cfg_param_build(const cfg_node *n, param *out);
void cfg_param_free(param *p);
/* config_drop.c: partners.<id>.json and .control (format must be read first). */
void cfg_json(cfg_ctx *c, const cfg_node *v, const char *sect, partner_config *p);
void cfg_control(cfg_ctx *c, const cfg_node *v, const char *sect, partner_config *p);
void cfg_drop_free(partner_config *p);
/* config_ledger.c: partners.<id>.reconcile (NULL: absent; the settlement currency must be
 * read first) and what it owns; the ledgers: section (NULL: absent) and what a ledger owns;
 * the links checked once both sections are read (ledger ids, fields.partner.values). */
void cfg_reconcile(cfg_ctx *c, const cfg_node *v, const char *sect, partner_config *p);
void cfg_reconcile_free(partner_config *p);
void cfg_ledgers(cfg_ctx *c, const cfg_node *v, settle_config *cfg);
void cfg_ledger_free(ledger_config *l);
void cfg_ledgers_link(cfg_ctx *c, const cfg_node *root, settle_config *cfg);

#endif
