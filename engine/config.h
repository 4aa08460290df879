/*
 * config.h - settle.yaml loaded with libyaml into plain structs (SPEC section 3).
 *
 * config_load either returns a complete, validated config or nothing: every
 * problem found (unknown key, wrong type, missing required key, bad value) is
 * added to the diag list as "file:line:col: message" and the function returns
 * -1. All strings are owned by the config and released by config_free.
 * Relative paths are resolved against the config file's folder at load time.
 */
#ifndef SETTLE_CONFIG_H
#define SETTLE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "timefmt.h"
#include "txn.h"
#include "util.h"

/* A free-form parameter tree (partner `params:`), passed to rules as Lua values. */
typedef enum param_kind { PARAM_SCALAR, PARAM_MAP, PARAM_LIST } param_kind;

typedef struct param {
    param_kind kind;
    char *key;            /* owned; set when this node is a value inside a MAP, else NULL */
    char *scalar;         /* owned; PARAM_SCALAR text exactly as written */
    bool quoted;          /* scalar was quoted in YAML ("500000" vs 500000) */
    struct param *items;  /* owned array: MAP entries (with key) or LIST elements */
    size_t n_items;
} param;

/*
 * Where a mapped field comes from: a header name, a 1-based column number, or
 * a JSON path ("tx.id"). Unset when both name is NULL and column is 0.
 */
typedef struct field_ref {
    char *name;   /* owned; header name or JSON path */
    int column;   /* 1-based column number, 0 when by name */
} field_ref;

static inline bool field_ref_set(const field_ref *f) { return f->name || f->column > 0; }

/* One entry of fields.type.values: partner word -> canonical type. */
typedef struct type_value {
    char *word;   /* owned */
    tx_type type;
} type_value;

typedef enum drop_format { FORMAT_CSV = 0, FORMAT_JSON } drop_format;

typedef struct csv_options {
    char delimiter;   /* default ',' ; "\t" accepted as tab */
    char quote;       /* default '"' ; 0 when quote: "" (no quoting) */
    bool header;      /* default true */
    char decimal;     /* default '.' */
    char thousands;   /* default 0 (none) */
    char *encoding;   /* owned; default "utf-8"; any iconv name */
    int skip_lines;   /* default 0: physical lines skipped before header/data */
} csv_options;

/*
 * control: declared row count and amount sum per file (SPEC section 8).
 * The declared values come from the file's trailer or from a manifest file
 * beside it; a mismatch holds the statements the file feeds.
 */
typedef struct control_options {
    bool trailer;          /* control.trailer: the file carries its own totals */
    char *marker;          /* owned; CSV: first field that marks the trailer row, or NULL
                              (then the file's last row is the trailer) */
    char *manifest;        /* owned; manifest name, "{name}" / "{stem}" replaced, or NULL */
    field_ref count, sum;  /* where the count and the sum are: trailer column (CSV, default
                              2 and 3) or path (JSON trailer and manifests, default "count"
                              and "sum") */
} control_options;

/* Field slots: what a partner's `fields:` maps. */
typedef enum field_slot {
    SLOT_ID = 0,
    SLOT_ROUND,
    SLOT_TIME,
    SLOT_PLAYER,
    SLOT_GAME,
    SLOT_CATEGORY,
    SLOT_TYPE,
    SLOT_AMOUNT,
    SLOT_CURRENCY,
    SLOT_PARTNER,      /* ledgers only: whose transaction the row is (fields.partner) */
    SLOT_AMOUNTS_BASE, /* SLOT_AMOUNTS_BASE + tx_type: one column per type (amounts:) */
    SLOT_COUNT = SLOT_AMOUNTS_BASE + TX_TYPE_COUNT
} field_slot;

/* How a partner is matched against one ledger (partners.<id>.reconcile[], SPEC section 10,
 * docs/reconciliation.md). */
typedef enum recon_match { MATCH_TRANSACTION = 0, MATCH_DAILY } recon_match;

typedef struct reconcile_config {
    char *ledger;             /* owned; id of an entry under ledgers: */
    size_t ledger_index;      /* that entry's index in settle_config.ledgers */
    recon_match match;        /* default transaction */
    int day_window;           /* default 1 */
    int wait_days;            /* default 2 */
    int64_t tol_breaks;       /* tolerance.breaks, default 0 */
    int64_t tol_amount;       /* tolerance.amount in minor units of the settlement currency */
    int line;                 /* line of the entry, for messages */
} reconcile_config;

/* Anomaly severities (SPEC section 11), in increasing order; SEV_NEVER only as a hold_at. */
typedef enum severity { SEV_INFO = 0, SEV_WARNING, SEV_CRITICAL, SEV_NEVER } severity;
extern const char *const severity_names[];   /* "info" ... "never", NULL-terminated */

/* watch: anomaly scoring (docs/watching.md). Off unless the section is there. */
typedef struct watch_config {
    bool on;                  /* the config has a watch: section */
    int history_days;         /* default 56: baselines from this many business days */
    int min_history_days;     /* default 14: below it a check is "learning" */
    severity hold_at;         /* default SEV_CRITICAL; SEV_NEVER holds nothing */
} watch_config;

/* Alert kinds (alerts.on), in the order of alert_kind_names. */
typedef enum alert_kind {
    ALERT_ANOMALY = 0, ALERT_HELD, ALERT_QUARANTINE, ALERT_FAILURE, ALERT_MISSING_DROP,
    ALERT_RECON_BREAK, ALERT_KIND_COUNT
} alert_kind;
extern const char *const alert_kind_names[]; /* NULL-terminated */

/* alerts: the command run once per alert, the alert as JSON on stdin. */
typedef struct alerts_config {
    char **command;           /* owned, NULL-terminated argv; NULL without alerts: */
    size_t n_command;
    unsigned on;              /* bit (1 << alert_kind) per kind wanted; default all */
    int timeout_seconds;      /* default 10, per attempt */
    int retries;              /* default 3, after the first attempt */
} alerts_config;

typedef struct partner_config {
    char *id;                 /* owned; the key under partners: */
    char *kind;               /* owned; game_provider, credit_supplier, ... (free text) */
    drop_format format;
    char *files;              /* owned; glob for file names in <inbox>/<id>/, default "*" */
    csv_options csv;
    char *timezone;           /* owned; zone of local timestamps, default settle.timezone */
    period_kind statement;    /* daily | weekly | monthly, default monthly */
    char *currency;           /* owned; settlement currency, default settle.currency */
    char *default_currency;   /* owned; currency of rows when no currency field, default `currency` */
    field_ref fields[SLOT_COUNT];
    time_format time;         /* fields.time.format; default iso8601 */
    type_value *type_values;  /* owned array; empty = canonical names accepted as-is */
    size_t n_type_values;
    bool has_amounts;         /* fields.amounts: used (one row per round) */
    char *rules;              /* owned; resolved path of the rule file */
    param params;             /* PARAM_MAP, possibly empty */
    char *json_records;       /* owned; json.records: path of the records array, or NULL */
    control_options control;  /* control totals; off unless trailer or manifest is set */
    int grace_days;           /* default 2 */
    int lookback_days;        /* dedup look-back window, default 90 */
    reconcile_config *reconcile; /* owned array; empty when the partner is not reconciled */
    size_t n_reconcile;
    int32_t expect_by;        /* expect.by: seconds after local midnight of the next day by
                                 which a business day's drop is due; -1 when not set */
    int line;                 /* line of the partner key, for messages */
} partner_config;

/* One entry of a ledger's fields.partner.values: ledger word -> partner. */
typedef struct owner_value {
    char *word;               /* owned */
    size_t partner;           /* index into settle_config.partners */
} owner_value;

/*
 * The operator's own records (ledgers:, SPEC section 10). `src` is the
 * adapter, read with a partner's machinery: id, format, files, csv, json,
 * timezone, fields (fields[SLOT_PARTNER] says whose row it is), time,
 * type_values, control, lookback_days, default_currency; its statement,
 * rules, params and reconcile are unused (kind is "ledger").
 */
typedef struct ledger_config {
    partner_config src;
    owner_value *owners;      /* owned array; empty: the value is the partner id as written */
    size_t n_owners;
} ledger_config;

typedef struct settle_config {
    char *path;               /* owned; the config file as given */
    char *dir;                /* owned; its folder; base of relative paths */
    char *timezone;           /* owned; business-day zone, required */
    int32_t day_starts_at;    /* seconds after local midnight, default 0 */
    int threads;              /* settle.threads: ingest threads, 0 when not set (the cores) */
    char *currency;           /* owned; reporting currency, required */
    struct {
        char *inbox, *state, *reports, *audit, *quarantine, *metrics; /* owned, resolved */
    } paths;
    char *fx_rates;           /* owned, resolved; NULL when no fx: section */
    char *tax_tables;         /* owned, resolved; NULL when no tax: section */
    partner_config *partners; /* owned array, in file order */
    size_t n_partners;
    ledger_config *ledgers;   /* owned array, in file order; empty without ledgers: */
    size_t n_ledgers;
    watch_config watch;
    alerts_config alerts;
    char *two_person_over;    /* owned; approvals.two_person_over as written (a decimal in
                                 each partner's settlement currency), NULL when not set */
    unsigned char sha256[32]; /* of the config file's bytes */
} settle_config;

/* Loads and validates `path`. Returns 0, or -1 with messages in `d` (cfg zeroed). */
int config_load(const char *path, settle_config *cfg, diag *d);
/* config_load for a command: every problem is printed to stderr. 0 or -1. */
int config_load_printed(const char *path, settle_config *cfg);
void config_free(settle_config *cfg);
/* The partner with this id, or NULL. */
const partner_config *config_partner(const settle_config *cfg, const char *id);
/* Finds `key` in a PARAM_MAP; NULL if absent. */
const param *param_get(const param *map, const char *key);

#endif
