/*
 * config_partner.c - one entry under partners: in settle.yaml (SPEC section
 * 3): id, drop format and CSV dialect, zones and currencies, the field
 * mapping, control totals, rule file and free-form params. A ledger's entry
 * (ledgers:, SPEC section 10) is read by the same code: the adapter keys
 * alike, fields.partner added, the keys of something settled refused.
 *
 * Same contract as config.c: every problem is reported with its line:column
 * and the walk goes on; the caller discards the whole config on any error.
 * Everything stored in a partner_config is owned by it (cfg_partner_free).
 */
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_yaml.h"

#define CFG_ID_MAX 64
#define CFG_COLUMN_MAX 100000

/* ---- params: free-form tree handed to the rules ------------------------ */

/* Copies node `n` into param `out` (whose key the caller set): scalars keep
 * their exact text and quoting. `out` owns the copy. */
void cfg_param_build(const cfg_node *n, param *out)
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
        cfg_param_build(&n->vals[i], &out->items[i]);
    }
}

/* Frees what param `p` owns (not `p` itself). */
void cfg_param_free(param *p)
{
    for (size_t i = 0; i < p->n_items; i++)
        cfg_param_free(&p->items[i]);
    free(p->items);
    free(p->key);
    free(p->scalar);
}

/* Finds `key` in a PARAM_MAP; the result is borrowed from `map`. NULL if absent. */
const param *param_get(const param *map, const char *key)
{
    if (!map || map->kind != PARAM_MAP)
        return NULL;
    for (size_t i = 0; i < map->n_items; i++)
        if (map->items[i].key && !strcmp(map->items[i].key, key))
            return &map->items[i];
    return NULL;
}

/* Frees everything a partner owns and zeroes it; safe on a zeroed partner. */
void cfg_partner_free(partner_config *p)
{
    char *owned[] = {p->id, p->kind, p->files, p->csv.encoding, p->timezone, p->currency,
                     p->default_currency, p->time.pattern, p->rules};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        free(owned[i]);
    for (size_t i = 0; i < SLOT_COUNT; i++)
        free(p->fields[i].name);
    for (size_t i = 0; i < p->n_type_values; i++)
        free(p->type_values[i].word);
    free(p->type_values);
    cfg_param_free(&p->params);
    cfg_drop_free(p);
    cfg_reconcile_free(p);
    memset(p, 0, sizeof *p);
}

/* ---- small value checks ------------------------------------------------ */

/* True when `s` is one or more ASCII digits. */
static bool cfg_digits(const char *s)
{
    return *s && strspn(s, "0123456789") == strlen(s);
}

/* Reports `at` unless `name` is a canonical type; returns the type or -1.
 * `where` completes the message ("in partners.x.fields.amounts"). */
static int cfg_canonical(cfg_ctx *c, const cfg_node *at, const char *name, const char *where)
{
    int t = tx_type_from_name(name, strlen(name));
    if (t >= 0)
        return t;
    sbuf b;
    sbuf_init(&b);
    for (int i = 0; i < TX_TYPE_COUNT; i++)
        sbuf_addf(&b, "%s%s", i ? ", " : "", tx_type_name((tx_type)i));
    cfg_error(c, at, "unknown canonical type '%s' %s (expected one of: %s)", name, where, b.buf);
    sbuf_free(&b);
    return -1;
}

/* Reports an id (`what`: "partner", "ledger") that cannot be a folder name
 * ([a-z0-9][a-z0-9_-]*). */
void cfg_check_id(cfg_ctx *c, const cfg_node *k, const char *what)
{
    const char *s = k->text;
    size_t n = strlen(s);
    bool ok = n >= 1 && n <= CFG_ID_MAX && n == k->len && strchr("_-", s[0]) == NULL &&
              strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
    if (!ok)
        cfg_error(c, k, "%s id '%s' must be 1 to %d characters of a-z, 0-9, '_' and '-', "
                  "starting with a letter or digit (it names the folder <inbox>/<id>/)",
                  what, s, CFG_ID_MAX);
}

/* ---- fields ------------------------------------------------------------ */

/* Column number `v` (all digits) into *out; CSV only, 1..CFG_COLUMN_MAX.
 * Returns 1, or -1 after reporting. */
static int cfg_ref_column(cfg_ctx *c, const cfg_node *v, const char *s, const char *key,
                          const partner_config *p, field_ref *out)
{
    long n = strlen(v->text) > 6 ? CFG_COLUMN_MAX + 1 : atol(v->text);
    if (p->format != FORMAT_CSV)
        cfg_error(c, v, "%s.%s: column number %s only works with format csv; give a JSON "
                  "path such as \"tx.id\"", s, key, v->text);
    else if (n < 1 || n > CFG_COLUMN_MAX)
        cfg_error(c, v, "%s.%s: column numbers run from 1 (the first column) to %d, got %s",
                  s, key, CFG_COLUMN_MAX, v->text);
    else
        out->column = (int)n;
    return out->column ? 1 : -1;
}

/* Header name or JSON path `t` into out->name (owned). Returns 1, or -1
 * after reporting an empty name or a name where only columns exist. */
static int cfg_ref_name(cfg_ctx *c, const cfg_node *v, const char *s, const char *key,
                        const partner_config *p, field_ref *out)
{
    if (!*v->text)
        cfg_error(c, v, "%s.%s must not be empty", s, key);
    else if (p->format == FORMAT_CSV && !p->csv.header)
        cfg_error(c, v, "%s.%s: '%s' is a header name, but csv.header is false; give a column "
                  "number instead (1 = first column)", s, key, v->text);
    else
        out->name = xstrdup(v->text);
    return out->name ? 1 : -1;
}

/* A field reference at `v`: all digits -> column, else header name / JSON
 * path. Returns 1, or -1 after reporting. */
static int cfg_ref(cfg_ctx *c, const cfg_node *v, const char *s, const char *key,
                   const partner_config *p, field_ref *out)
{
    const char *t = cfg_scalar(c, v, s, key, "a column name or number");
    if (!t)
        return -1;
    return cfg_digits(t) ? cfg_ref_column(c, v, s, key, p, out)
                         : cfg_ref_name(c, v, s, key, p, out);
}

/* fields.<key> written as a reference, or as a mapping with `from` and the
 * other `keys`. Reads the reference into *out; for a mapping returns its
 * section name (caller frees) so the caller reads the rest, else NULL. */
static char *cfg_from(cfg_ctx *c, const cfg_node *v, const char *s, const char *key,
                      const char *const *keys, const partner_config *p, field_ref *out)
{
    if (!v || v->kind != CFG_MAP) {
        if (v)
            cfg_ref(c, v, s, key, p, out);
        return NULL;
    }
    char *sub = xasprintf("%s.%s", s, key);
    cfg_keys(c, v, sub, keys);
    if (cfg_need(c, v, sub, "from"))
        cfg_ref(c, cfg_get(v, "from"), sub, "from", p, out);
    return sub;
}

/* Index of a named time format (iso8601, epoch_s, epoch_ms), or -1. */
static int cfg_time_kind(const char *t)
{
    static const char *const kinds[] = {"iso8601", "epoch_s", "epoch_ms", NULL};
    for (int i = 0; kinds[i]; i++)
        if (!strcmp(t, kinds[i]))
            return i;
    return -1;
}

/* True when `t` is a usable strftime pattern; otherwise reports why. */
static bool cfg_time_pattern(cfg_ctx *c, const cfg_node *v, const char *ts, const char *t)
{
    char err[160];
    if (!strchr(t, '%'))
        cfg_error(c, v, "%s.format must be iso8601, epoch_s, epoch_ms or a strftime pattern "
                  "such as \"%%d/%%m/%%Y %%H:%%M:%%S\", got '%s'", ts, t);
    else if (time_pattern_check(t, err, sizeof err) != 0)
        cfg_error(c, v, "%s.format: bad time pattern '%s': %s", ts, t, err);
    else
        return true;
    return false;
}

/* fields.time.format into *tf (pattern owned by tf); absent keeps iso8601. */
static void cfg_time_format(cfg_ctx *c, const cfg_node *tm, const char *ts, time_format *tf)
{
    const cfg_node *v = cfg_get(tm, "format");
    const char *t = v ? cfg_scalar(c, v, ts, "format", "a time format") : NULL;
    int kind = t ? cfg_time_kind(t) : -1;
    if (kind >= 0)
        tf->kind = (time_kind)kind;
    else if (t && cfg_time_pattern(c, v, ts, t)) {
        tf->kind = TIME_PATTERN;
        tf->pattern = xstrdup(t);
    }
}

/* fields.time: a reference, or { from, format }. */
static void cfg_time(cfg_ctx *c, const cfg_node *fields, const char *s, partner_config *p)
{
    static const char *const keys[] = {"from", "format", NULL};
    const cfg_node *v = cfg_get(fields, "time");
    char *ts = cfg_from(c, v, s, "time", keys, p, &p->fields[SLOT_TIME]);
    if (ts)
        cfg_time_format(c, v, ts, &p->time);
    free(ts);
}

/* One fields.type.values entry (word -> canonical) appended to p->type_values. */
static void cfg_type_value(cfg_ctx *c, const cfg_node *k, const cfg_node *v, const char *ts,
                           partner_config *p)
{
    const char *name = cfg_scalar(c, v, ts, "values", "a canonical type");
    char *where = xasprintf("for %s.values.%s", ts, k->text);
    int t = name ? cfg_canonical(c, v, name, where) : -1;
    free(where);
    if (t < 0)
        return;
    p->type_values[p->n_type_values].word = xstrdup(k->text);
    p->type_values[p->n_type_values++].type = (tx_type)t;
}

/* fields.type: a reference, or { from, values: { WORD: canonical } }. */
static void cfg_type(cfg_ctx *c, const cfg_node *fields, const char *s, partner_config *p)
{
    static const char *const keys[] = {"from", "values", NULL};
    char *ts = cfg_from(c, cfg_get(fields, "type"), s, "type", keys, p, &p->fields[SLOT_TYPE]);
    const cfg_node *v = ts ? cfg_get(cfg_get(fields, "type"), "values") : NULL;
    if (v && cfg_is_map(c, v, ts, "values") && v->n) {
        p->type_values = xcalloc(v->n, sizeof *p->type_values);
        for (size_t i = 0; i < v->n; i++)
            cfg_type_value(c, &v->keys[i], &v->vals[i], ts, p);
    }
    free(ts);
}

/* fields.amounts: canonical type -> reference, one transaction per column. */
static void cfg_amounts(cfg_ctx *c, const cfg_node *fields, const char *s, partner_config *p)
{
    const cfg_node *v = cfg_get(fields, "amounts");
    if (!v || !cfg_is_map(c, v, s, "amounts"))
        return;
    p->has_amounts = true;
    if (v->n == 0)
        cfg_error(c, v, "%s.amounts needs at least one column, e.g. { bet: BetAmt, win: WinAmt }",
                  s);
    char *as = xasprintf("%s.amounts", s), *where = xasprintf("in %s", as);
    for (size_t i = 0; i < v->n; i++) {
        int t = cfg_canonical(c, &v->keys[i], v->keys[i].text, where);
        if (t >= 0)
            cfg_ref(c, &v->vals[i], as, v->keys[i].text, p, &p->fields[SLOT_AMOUNTS_BASE + t]);
    }
    free(as);
    free(where);
}

/* The plain references: id, round, player, game, category, amount, currency. */
static void cfg_simple_refs(cfg_ctx *c, const cfg_node *v, const char *s, partner_config *p)
{
    static const char *const keys[] = {"id", "round", "player", "game", "category",
                                       "amount", "currency"};
    static const field_slot slots[] = {SLOT_ID, SLOT_ROUND, SLOT_PLAYER, SLOT_GAME,
                                       SLOT_CATEGORY, SLOT_AMOUNT, SLOT_CURRENCY};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (cfg_get(v, keys[i]))
            cfg_ref(c, cfg_get(v, keys[i]), s, keys[i], p, &p->fields[slots[i]]);
}

/* The rules across fields: id and time required; amount (with type) xor amounts. */
static void cfg_fields_rules(cfg_ctx *c, const cfg_node *v, const char *s)
{
    const cfg_node *amount = cfg_get(v, "amount"), *amounts = cfg_get(v, "amounts");
    const cfg_node *type = cfg_get(v, "type");
    cfg_need(c, v, s, "id");
    cfg_need(c, v, s, "time");
    if (amount && amounts)
        cfg_error(c, v, "%s: give either amount (with type) or amounts, not both", s);
    else if (!amount && !amounts)
        cfg_error(c, v, "%s needs amount (with type) or amounts: { bet: ..., win: ... }", s);
    else if (amount && !type)
        cfg_error(c, v, "%s.type is required with amount", s);
    else if (amounts && type)
        cfg_error(c, type, "%s.type is not used with amounts (each amounts key names its "
                  "type); remove it", s);
}

/* A ledger's fields.partner: a reference, or { from, values } (values are read by
 * config_ledger.c once the partners are known). Required. */
static void cfg_owner_field(cfg_ctx *c, const cfg_node *v, const char *s, partner_config *p)
{
    static const char *const keys[] = {"from", "values", NULL};
    if (cfg_need(c, v, s, "partner"))
        free(cfg_from(c, cfg_get(v, "partner"), s, "partner", keys, p, &p->fields[SLOT_PARTNER]));
}

/* <section>.fields: every slot (a ledger's also `partner`), then the rules between them. */
static void cfg_fields(cfg_ctx *c, const cfg_node *v, const char *sect, bool ledger,
                       partner_config *p)
{
    static const char *const keys[] = {"id", "round", "time", "player", "game", "category",
                                       "type", "amount", "amounts", "currency", NULL};
    static const char *const ledger_keys[] = {"id", "round", "time", "player", "game",
                                              "category", "type", "amount", "amounts",
                                              "currency", "partner", NULL};
    if (!cfg_is_map(c, v, sect, "fields"))
        return;
    char *s = xasprintf("%s.fields", sect);
    cfg_keys(c, v, s, ledger ? ledger_keys : keys);
    if (ledger)
        cfg_owner_field(c, v, s, p);
    cfg_simple_refs(c, v, s, p);
    cfg_time(c, v, s, p);
    cfg_type(c, v, s, p);
    cfg_amounts(c, v, s, p);
    cfg_fields_rules(c, v, s);
    free(s);
}

/* ---- csv: dialect ------------------------------------------------------- */

typedef struct cfg_charspec {
    const char *key;
    const char *allowed; /* NULL: any printable ASCII or tab ("tab", "\t") */
    bool empty_ok;       /* "" means none (stored as 0) */
    const char *hint;
} cfg_charspec;

static const cfg_charspec cfg_chars[] = {
    {"delimiter", NULL, false, "one character such as ',' or ';', or \"tab\""},
    {"quote", NULL, true, "one character such as '\"', or \"\" for no quoting"},
    {"decimal", ".,", false, "\".\" or \",\""},
    {"thousands", ",. '", true, "\"\" (none), \",\", \".\", \" \" or \"'\""},
};

/* Decodes a one-character option: the char, 0 for "", '\t' for tab aliases,
 * or -1 when it is none of these. */
static int cfg_char_value(const char *t, bool any)
{
    if (!*t)
        return 0;
    if (any && (!strcmp(t, "tab") || !strcmp(t, "\\t") || !strcmp(t, "\t")))
        return '\t';
    if (t[1] || (unsigned char)t[0] < 0x20 || (unsigned char)t[0] > 0x7e)
        return -1;
    return t[0];
}

/* One csv character option (spec `cs`) into *out; reports bad values. */
static void cfg_char(cfg_ctx *c, const cfg_node *map, const char *s, const cfg_charspec *cs,
                     char *out)
{
    const cfg_node *v = cfg_get(map, cs->key);
    const char *t = v ? cfg_scalar(c, v, s, cs->key, "a single character") : NULL;
    if (!t)
        return;
    int ch = cfg_char_value(t, cs->allowed == NULL);
    bool ok = ch == 0 ? cs->empty_ok : ch > 0 && (!cs->allowed || strchr(cs->allowed, ch));
    if (ok)
        *out = (char)ch;
    else
        cfg_error(c, v, "%s.%s must be %s, got '%s'", s, cs->key, cs->hint, t);
}

/* csv.encoding: any name iconv can convert to UTF-8 from. */
static void cfg_encoding(cfg_ctx *c, const cfg_node *v, const char *s, char **out)
{
    if (cfg_str(c, v, s, "encoding", out) != 1)
        return;
    iconv_t cd = **out ? iconv_open("UTF-8", *out) : (iconv_t)-1;
    if (cd != (iconv_t)-1) {
        iconv_close(cd);
        return;
    }
    cfg_error(c, cfg_get(v, "encoding"), "unknown encoding '%s' in %s.encoding (use a name "
              "from `iconv -l`, such as utf-8, cp949 or latin1)", *out, s);
}

/* Reports separators that would make rows ambiguous. */
static void cfg_csv_clash(cfg_ctx *c, const cfg_node *v, const char *s, const csv_options *o)
{
    if (o->delimiter == o->quote)
        cfg_error(c, v, "%s: delimiter and quote must differ (both '%c')", s, o->delimiter);
    if (o->decimal == o->thousands)
        cfg_error(c, v, "%s: decimal and thousands must differ (both '%c'); e.g. decimal: "
                  "\",\" with thousands: \".\"", s, o->decimal);
}

/* partners.<id>.csv: the dialect over the defaults already in *o. */
static void cfg_csv(cfg_ctx *c, const cfg_node *v, const char *sect, csv_options *o)
{
    static const char *const keys[] = {"delimiter", "quote", "header", "decimal",
                                       "thousands", "encoding", "skip_lines", NULL};
    char *slots[] = {&o->delimiter, &o->quote, &o->decimal, &o->thousands};
    if (!v || !cfg_is_map(c, v, sect, "csv"))
        return;
    char *s = xasprintf("%s.csv", sect);
    cfg_keys(c, v, s, keys);
    for (size_t i = 0; i < sizeof cfg_chars / sizeof cfg_chars[0]; i++)
        cfg_char(c, v, s, &cfg_chars[i], slots[i]);
    cfg_bool(c, v, s, "header", &o->header);
    cfg_encoding(c, v, s, &o->encoding);
    cfg_int(c, v, s, "skip_lines", 0, 1000000, &o->skip_lines);
    cfg_csv_clash(c, v, s, o);
    free(s);
}

/* ---- the partner entry --------------------------------------------------- */

/* Sets every default before the entry is read; strings are owned copies. */
static void cfg_partner_defaults(partner_config *p, const settle_config *cfg)
{
    p->kind = xstrdup("partner");
    p->format = FORMAT_CSV;
    p->files = xstrdup("*");
    p->csv = (csv_options){.delimiter = ',', .quote = '"', .header = true, .decimal = '.',
                           .encoding = xstrdup("utf-8")};
    p->timezone = cfg->timezone ? xstrdup(cfg->timezone) : NULL;
    p->statement = PERIOD_MONTHLY;
    p->currency = cfg->currency ? xstrdup(cfg->currency) : NULL;
    p->time.kind = TIME_ISO8601;
    p->params.kind = PARAM_MAP;
    p->grace_days = 2;
    p->expect_by = -1;
    p->lookback_days = 90;
}

/* files: a name pattern inside <inbox>/<id>/ (no '/'). */
static void cfg_files(cfg_ctx *c, const cfg_node *v, const char *s, partner_config *p)
{
    if (cfg_str(c, v, s, "files", &p->files) == 1 && (!*p->files || strchr(p->files, '/')))
        cfg_error(c, cfg_get(v, "files"), "%s.files must be a file-name pattern such as "
                  "\"*.csv\" (no '/'), got '%s'", s, p->files);
}

/* format, files: what partners and ledgers share. */
static void cfg_adapter_kind(cfg_ctx *c, const cfg_node *v, const char *s, partner_config *p)
{
    static const char *const formats[] = {"csv", "json", NULL};
    int format = p->format;
    cfg_choice(c, v, s, "format", formats, &format);
    p->format = (drop_format)format;
    cfg_files(c, v, s, p);
}

/* kind, format, files, statement. */
static void cfg_partner_kind(cfg_ctx *c, const cfg_node *v, const char *s, partner_config *p)
{
    static const char *const periods[] = {"daily", "weekly", "monthly", NULL};
    int statement = p->statement;
    cfg_str(c, v, s, "kind", &p->kind);
    cfg_adapter_kind(c, v, s, p);
    cfg_choice(c, v, s, "statement", periods, &statement);
    p->statement = (period_kind)statement;
}

/* timezone, default_currency (which defaults to currency): what partners and ledgers share. */
static void cfg_adapter_zone(cfg_ctx *c, const cfg_node *v, const char *s, partner_config *p)
{
    cfg_zone(c, v, s, "timezone", &p->timezone);
    cfg_currency(c, v, s, "default_currency", &p->default_currency);
    if (!p->default_currency && p->currency)
        p->default_currency = xstrdup(p->currency);
}

/* timezone, currency, default_currency. */
static void cfg_partner_zone(cfg_ctx *c, const cfg_node *v, const char *s, partner_config *p)
{
    cfg_currency(c, v, s, "currency", &p->currency);
    cfg_adapter_zone(c, v, s, p);
}

/* rules (required, resolved), params, grace, reconcile. */
static void cfg_partner_rules(cfg_ctx *c, const cfg_node *v, const char *s,
                              const settle_config *cfg, partner_config *p)
{
    const cfg_node *params = cfg_get(v, "params");
    if (cfg_need(c, v, s, "rules"))
        cfg_path(c, v, s, "rules", cfg->dir, &p->rules);
    if (params && cfg_is_map(c, params, s, "params"))
        cfg_param_build(params, &p->params);
    cfg_int(c, v, s, "grace", 0, 365, &p->grace_days);
    cfg_reconcile(c, cfg_get(v, "reconcile"), s, p);
}

/* The keys only a partner has: a ledger is read, never settled. NULL-terminated. */
static const char *const cfg_partner_only[] = {"kind", "statement", "currency", "rules",
                                               "params", "grace", "reconcile", NULL};

/* Reports every partner-only key of a ledger entry. */
static void cfg_ledger_extra(cfg_ctx *c, const cfg_node *v, const char *s)
{
    for (size_t j = 0; j < v->n; j++)
        for (size_t i = 0; cfg_partner_only[i]; i++)
            if (!strcmp(v->keys[j].text, cfg_partner_only[i]))
                cfg_error(c, &v->keys[j], "%s.%s: a ledger is read and matched, never settled, "
                          "so it has no %s; remove it (it belongs under partners:)", s,
                          v->keys[j].text, v->keys[j].text);
}

/* The keys of the entry: a partner's, or a ledger's (its partner-only keys reported). */
static void cfg_entry_keys(cfg_ctx *c, const cfg_node *v, const char *s, bool ledger)
{
    static const char *const keys[] = {"kind", "format", "files", "csv", "timezone",
                                       "statement", "currency", "default_currency", "fields",
                                       "control", "rules", "params", "grace", "lookback_days",
                                       "json", "reconcile", "expect", NULL};
    static const char *const ledger_keys[] = {"format", "files", "csv", "json", "timezone",
                                              "default_currency", "fields", "control",
                                              "lookback_days", NULL};
    if (!ledger) {
        cfg_keys(c, v, s, keys);
        return;
    }
    cfg_keys_except(c, v, s, ledger_keys, cfg_partner_only);
    cfg_ledger_extra(c, v, s);
}

/* The entry's mapping: every key, csv before fields (fields depend on it). */
static void cfg_adapter_body(cfg_ctx *c, const cfg_node *v, const char *s, bool ledger,
                             const settle_config *cfg, partner_config *p)
{
    cfg_entry_keys(c, v, s, ledger);
    if (!ledger) {
        cfg_partner_kind(c, v, s, p);
        cfg_partner_zone(c, v, s, p);
    } else {
        cfg_adapter_kind(c, v, s, p);
        cfg_adapter_zone(c, v, s, p);
    }
    cfg_csv(c, cfg_get(v, "csv"), s, &p->csv);
    cfg_json(c, cfg_get(v, "json"), s, p);
    cfg_control(c, cfg_get(v, "control"), s, p);
    cfg_int(c, v, s, "lookback_days", 1, 3650, &p->lookback_days);
    if (!ledger) {
        cfg_partner_rules(c, v, s, cfg, p);
        cfg_expect(c, cfg_get(v, "expect"), s, p);
    }
    if (cfg_need(c, v, s, "fields"))
        cfg_fields(c, cfg_get(v, "fields"), s, ledger, p);
}

void cfg_adapter(cfg_ctx *c, const cfg_node *k, const cfg_node *v, bool ledger,
                 const settle_config *cfg, partner_config *p)
{
    const char *section = ledger ? "ledgers" : "partners";
    p->id = xstrdup(k->text);
    p->line = k->line;
    cfg_partner_defaults(p, cfg);
    if (ledger) {
        free(p->kind);
        p->kind = xstrdup("ledger");
    }
    cfg_check_id(c, k, ledger ? "ledger" : "partner");
    char *s = xasprintf("%s.%s", section, p->id);
    if (cfg_is_map(c, v, section, p->id))
        cfg_adapter_body(c, v, s, ledger, cfg, p);
    free(s);
}

/* partners: a non-empty mapping of id -> entry, kept in file order. */
void cfg_partners(cfg_ctx *c, const cfg_node *v, settle_config *cfg)
{
    if (!cfg_is_map(c, v, "", "partners"))
        return;
    if (v->n == 0) {
        cfg_error(c, v, "partners must list at least one partner");
        return;
    }
    cfg->partners = xcalloc(v->n, sizeof *cfg->partners);
    cfg->n_partners = v->n;
    for (size_t i = 0; i < v->n; i++)
        cfg_adapter(c, &v->keys[i], &v->vals[i], false, cfg, &cfg->partners[i]);
}
