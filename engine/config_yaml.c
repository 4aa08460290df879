/*
 * config_yaml.c - the YAML side of config loading: libyaml events turned into
 * a node tree that keeps line:column for every node, error reporting as
 * "file:line:col: message", and the typed getters (string, bool, int,
 * choice, zone, currency, path) shared by config.c and config_partner.c.
 *
 * Anchors, aliases and a second document are rejected: a settlement config
 * spells every value out, once. Nothing here knows the schema.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "config_yaml.h"
#include "money.h"
#include "tz.h"

#define CFG_MAX_DEPTH 64

/* ---- reporting ---------------------------------------------------------- */

/* Formats fmt/ap into a new string (caller owns it). */
__attribute__((format(printf, 1, 0)))
static char *cfg_vformat(const char *fmt, va_list ap)
{
    char small[512];
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(small, sizeof small, fmt, cp);
    va_end(cp);
    if (n < 0 || n < (int)sizeof small)
        return xstrdup(n < 0 ? fmt : small);
    char *msg = xmalloc((size_t)n + 1);
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    return msg;
}

/* Queues one message at line:col (0 = none) and counts it; cfg_flush hands
 * the queue to the diag list. Cannot fail (out of memory exits). */
__attribute__((format(printf, 4, 0)))
static void cfg_verr(cfg_ctx *c, int line, int col, const char *fmt, va_list ap)
{
    if (c->n_msgs == c->cap_msgs) {
        c->cap_msgs = c->cap_msgs ? c->cap_msgs * 2 : 16;
        c->msgs = xrealloc(c->msgs, c->cap_msgs * sizeof *c->msgs);
    }
    c->msgs[c->n_msgs] = (cfg_msg){line, col, c->n_msgs, cfg_vformat(fmt, ap)};
    c->n_msgs++;
    c->errors++;
}

/* qsort order of queued messages: line, column, then order of discovery. */
static int cfg_msg_cmp(const void *a, const void *b)
{
    const cfg_msg *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Adds the queued messages to c->d in file order, as "file:line:col: text",
 * and frees the queue. */
void cfg_flush(cfg_ctx *c)
{
    if (c->n_msgs)
        qsort(c->msgs, c->n_msgs, sizeof *c->msgs, cfg_msg_cmp);
    for (size_t i = 0; i < c->n_msgs; i++) {
        diag_add(c->d, c->file, c->msgs[i].line, c->msgs[i].col, "%s", c->msgs[i].text);
        free(c->msgs[i].text);
    }
    free(c->msgs);
    c->msgs = NULL;
    c->n_msgs = c->cap_msgs = 0;
}

/* Reports a problem at an explicit position (0 = none). Cannot fail. */
void cfg_error_at(cfg_ctx *c, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cfg_verr(c, line, col, fmt, ap);
    va_end(ap);
}

/* Reports a problem about node `at` (NULL: no position). Mappings, lists and
 * empty values are located at their key ("csv:"), scalars at their text. */
void cfg_error(cfg_ctx *c, const cfg_node *at, const char *fmt, ...)
{
    int line = 0, col = 0;
    if (at) {
        bool by_key = at->key_line > 0 && (at->kind != CFG_SCALAR || cfg_is_null(at));
        line = by_key ? at->key_line : at->line;
        col = by_key ? at->key_col : at->col;
    }
    va_list ap;
    va_start(ap, fmt);
    cfg_verr(c, line, col, fmt, ap);
    va_end(ap);
}

/* True for a plain scalar YAML reads as null ("", "~", "null"). */
bool cfg_is_null(const cfg_node *n)
{
    if (n->kind != CFG_SCALAR || n->quoted)
        return false;
    return !n->text[0] || !strcmp(n->text, "~") || !strcasecmp(n->text, "null");
}

/* Describes a node's type for "got ..." messages (static string). */
const char *cfg_kind_name(const cfg_node *n)
{
    if (n->kind == CFG_MAP)
        return "a mapping";
    if (n->kind == CFG_SEQ)
        return "a list";
    return cfg_is_null(n) ? "an empty value" : "a scalar";
}

/* Joins a NULL-terminated name list as "a, b<last_sep>c". Caller owns the
 * result. */
char *cfg_join_names(const char *const *names, const char *last_sep)
{
    sbuf b;
    sbuf_init(&b);
    for (size_t i = 0; names[i]; i++) {
        if (i)
            sbuf_adds(&b, names[i + 1] ? ", " : last_sep);
        sbuf_adds(&b, names[i]);
    }
    return sbuf_take(&b);
}

/* ---- lookup and shape checks ------------------------------------------- */

/* The value under `key` in mapping `map`, or NULL (absent, or not a map). */
const cfg_node *cfg_get(const cfg_node *map, const char *key)
{
    if (!map || map->kind != CFG_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (!strcmp(map->keys[i].text, key))
            return &map->vals[i];
    return NULL;
}

/* The value under `key`, or NULL after reporting "sect.key is required". */
const cfg_node *cfg_need(cfg_ctx *c, const cfg_node *map, const char *sect, const char *key)
{
    const cfg_node *v = cfg_get(map, key);
    if (!v)
        cfg_error(c, map, "%s%s%s is required", CFG_NAME(sect, key));
    return v;
}

/* Reports every key of `map` not in the NULL-terminated `allowed` list. */
/* True when `key` is one of the NULL-terminated `names` (NULL: none). */
static bool cfg_listed(const char *const *names, const char *key)
{
    for (size_t j = 0; names && names[j]; j++)
        if (!strcmp(names[j], key))
            return true;
    return false;
}

void cfg_keys_except(cfg_ctx *c, const cfg_node *map, const char *sect,
                     const char *const *allowed, const char *const *ignored)
{
    char *list = NULL;
    for (size_t i = 0; i < map->n; i++) {
        if (cfg_listed(allowed, map->keys[i].text) || cfg_listed(ignored, map->keys[i].text))
            continue;
        if (!list)
            list = cfg_join_names(allowed, ", ");
        cfg_error(c, &map->keys[i], "unknown key '%s' %s%s (expected one of: %s)",
                  map->keys[i].text, *sect ? "in " : "at the top level", sect, list);
    }
    free(list);
}

void cfg_keys(cfg_ctx *c, const cfg_node *map, const char *sect, const char *const *allowed)
{
    cfg_keys_except(c, map, sect, allowed, NULL);
}

/* True when `v` is a mapping; otherwise reports what it is instead. */
bool cfg_is_map(cfg_ctx *c, const cfg_node *v, const char *sect, const char *key)
{
    if (v->kind == CFG_MAP)
        return true;
    cfg_error(c, v, "expected a mapping for '%s%s%s', got %s", CFG_NAME(sect, key),
              cfg_kind_name(v));
    return false;
}

/* The text of scalar `v` (borrowed from the tree), or NULL after reporting
 * that sect.key wanted `want` (a list, mapping, empty value or NUL byte). */
const char *cfg_scalar(cfg_ctx *c, const cfg_node *v, const char *sect, const char *key,
                       const char *want)
{
    if (v->kind != CFG_SCALAR || cfg_is_null(v)) {
        cfg_error(c, v, "expected %s for '%s%s%s', got %s", want, CFG_NAME(sect, key),
                  cfg_kind_name(v));
        return NULL;
    }
    if (strlen(v->text) != v->len) {
        cfg_error(c, v, "%s%s%s must not contain NUL characters", CFG_NAME(sect, key));
        return NULL;
    }
    return v->text;
}

/* ---- typed getters: 1 set, 0 absent (out untouched), -1 reported -------- */

/* A string: replaces *out (freeing the old value) with an owned copy. */
int cfg_str(cfg_ctx *c, const cfg_node *map, const char *sect, const char *key, char **out)
{
    const cfg_node *v = cfg_get(map, key);
    if (!v)
        return 0;
    const char *s = cfg_scalar(c, v, sect, key, "a string");
    if (!s)
        return -1;
    free(*out);
    *out = xstrdup(s);
    return 1;
}

/* A boolean written true/false/yes/no (any case). */
int cfg_bool(cfg_ctx *c, const cfg_node *map, const char *sect, const char *key, bool *out)
{
    const cfg_node *v = cfg_get(map, key);
    if (!v)
        return 0;
    const char *s = cfg_scalar(c, v, sect, key, "true or false");
    if (!s)
        return -1;
    bool yes = !strcasecmp(s, "true") || !strcasecmp(s, "yes");
    if (!yes && strcasecmp(s, "false") && strcasecmp(s, "no")) {
        cfg_error(c, v, "expected true or false for '%s%s%s', got '%s'", CFG_NAME(sect, key), s);
        return -1;
    }
    *out = yes;
    return 1;
}

/* Parses optional '-' and digits into *n (values past 9 digits saturate, so
 * range checks reject them); -1 for anything else. */
static int cfg_parse_int(const char *s, long *n)
{
    bool neg = *s == '-';
    size_t len = strlen(s + neg);
    if (len == 0 || strspn(s + neg, "0123456789") != len)
        return -1;
    *n = len > 9 ? (neg ? -999999999L : 999999999L) : strtol(s, NULL, 10);
    return 0;
}

/* A whole number in lo..hi. */
int cfg_int(cfg_ctx *c, const cfg_node *map, const char *sect, const char *key, int lo, int hi,
            int *out)
{
    const cfg_node *v = cfg_get(map, key);
    if (!v)
        return 0;
    const char *s = cfg_scalar(c, v, sect, key, "a whole number");
    long n;
    if (!s)
        return -1;
    if (cfg_parse_int(s, &n) != 0) {
        cfg_error(c, v, "expected a whole number for '%s%s%s', got '%s'", CFG_NAME(sect, key), s);
        return -1;
    }
    if (n < lo || n > hi) {
        cfg_error(c, v, "%s%s%s must be between %d and %d, got %s", CFG_NAME(sect, key), lo, hi, s);
        return -1;
    }
    *out = (int)n;
    return 1;
}

/* One of the NULL-terminated `names`; *out gets its index. */
int cfg_choice(cfg_ctx *c, const cfg_node *map, const char *sect, const char *key,
               const char *const *names, int *out)
{
    const cfg_node *v = cfg_get(map, key);
    if (!v)
        return 0;
    const char *s = cfg_scalar(c, v, sect, key, "a string");
    if (!s)
        return -1;
    for (int i = 0; names[i]; i++) {
        if (!strcmp(names[i], s)) {
            *out = i;
            return 1;
        }
    }
    char *list = cfg_join_names(names, " or ");
    cfg_error(c, v, "%s%s%s must be %s, got '%s'", CFG_NAME(sect, key), list, s);
    free(list);
    return -1;
}

/* A time zone name that tz_load accepts; on failure *out is freed and NULL. */
int cfg_zone(cfg_ctx *c, const cfg_node *map, const char *sect, const char *key, char **out)
{
    int rc = cfg_str(c, map, sect, key, out);
    char err[200];
    if (rc <= 0)
        return rc;
    tz_zone *z = tz_load(*out, err, sizeof err);
    if (z) {
        tz_free(z);
        return 1;
    }
    cfg_error(c, cfg_get(map, key), "%s in %s%s%s (use an IANA zone name such as Asia/Seoul, "
              "Europe/Malta or UTC)", err, CFG_NAME(sect, key));
    free(*out);
    *out = NULL;
    return -1;
}

/* An ISO 4217 code known to money.c; on failure *out is freed and NULL. */
int cfg_currency(cfg_ctx *c, const cfg_node *map, const char *sect, const char *key,
                 char **out)
{
    int rc = cfg_str(c, map, sect, key, out);
    if (rc <= 0 || currency_exponent(*out, strlen(*out)) >= 0)
        return rc;
    cfg_error(c, cfg_get(map, key), "unknown currency '%s' in %s%s%s (use an ISO 4217 code "
              "in capitals, such as EUR, USD or KRW)", *out, CFG_NAME(sect, key));
    free(*out);
    *out = NULL;
    return -1;
}

/* A non-empty path, resolved against `dir` into *out (owned). */
int cfg_path(cfg_ctx *c, const cfg_node *map, const char *sect, const char *key,
             const char *dir, char **out)
{
    char *s = NULL;
    int rc = cfg_str(c, map, sect, key, &s);
    if (rc == 1 && !*s) {
        cfg_error(c, cfg_get(map, key), "%s%s%s must not be empty", CFG_NAME(sect, key));
        rc = -1;
    }
    if (rc == 1) {
        free(*out);
        *out = path_join(dir, s);
    }
    free(s);
    return rc;
}

/* ---- YAML text -> node tree ---------------------------------------------- */

typedef struct cfg_reader {
    yaml_parser_t yp;
    cfg_ctx *c;
    const char *text; /* the YAML being parsed, for hints in syntax errors */
    size_t len;
} cfg_reader;

/* Frees everything a node owns (not the node itself) and zeroes it. */
void cfg_node_free(cfg_node *n)
{
    for (size_t i = 0; i < n->n; i++) {
        if (n->keys)
            cfg_node_free(&n->keys[i]);
        cfg_node_free(&n->vals[i]);
    }
    free(n->keys);
    free(n->vals);
    free(n->text);
    memset(n, 0, sizeof *n);
}

/* A hint for a syntax error at character `index`: tabs are the usual cause. */
static const char *cfg_syntax_hint(const cfg_reader *r, size_t index)
{
    bool tab = index < r->len && r->text[index] == '\t';
    return tab ? "; indent with spaces, YAML does not allow tabs" : "";
}

/* Reports libyaml's parse failure with its problem mark. Out of memory exits 3. */
static void cfg_syntax_error(cfg_reader *r)
{
    yaml_parser_t *p = &r->yp;
    const char *what = p->problem ? p->problem : "unknown problem";
    int line = (int)p->problem_mark.line + 1, col = (int)p->problem_mark.column + 1;
    if (p->error == YAML_MEMORY_ERROR) {
        fputs("settle: out of memory\n", stderr);
        exit(EXIT_FAILED);
    }
    if (p->error == YAML_READER_ERROR)
        cfg_error_at(r->c, 0, 0, "cannot read YAML at byte %zu: %s (save the file as UTF-8)",
                     p->problem_offset, what);
    else if (p->context)
        cfg_error_at(r->c, line, col, "YAML syntax error: %s (%s at line %d, column %d)%s",
                     what, p->context, (int)p->context_mark.line + 1,
                     (int)p->context_mark.column + 1, cfg_syntax_hint(r, p->problem_mark.index));
    else
        cfg_error_at(r->c, line, col, "YAML syntax error: %s%s", what,
                     cfg_syntax_hint(r, p->problem_mark.index));
}

/* Pulls the next event into *ev (caller deletes it); -1 after reporting. */
static int cfg_next(cfg_reader *r, yaml_event_t *ev)
{
    if (yaml_parser_parse(&r->yp, ev))
        return 0;
    cfg_syntax_error(r);
    return -1;
}

/* Makes room for one more child of `n` (new slots are not initialised). */
static void cfg_grow(cfg_node *n)
{
    if (n->n < n->cap)
        return;
    n->cap = n->cap ? n->cap * 2 : 4;
    if (n->kind == CFG_MAP)
        n->keys = xrealloc(n->keys, n->cap * sizeof *n->keys);
    n->vals = xrealloc(n->vals, n->cap * sizeof *n->vals);
}

/* Reports anchors (&name): the config must spell every value out. */
static void cfg_no_anchor(cfg_reader *r, const cfg_node *at, const yaml_char_t *anchor)
{
    if (anchor)
        cfg_error(r->c, at, "YAML anchors (&%s) are not supported; write the value out",
                  (const char *)anchor);
}

static int cfg_build(cfg_reader *r, yaml_event_t *ev, cfg_node *out, int depth);

/* Checks the key just added to map `m`: plain text, not given before. */
static void cfg_check_key(cfg_reader *r, const cfg_node *m)
{
    const cfg_node *k = &m->keys[m->n - 1];
    if (k->kind != CFG_SCALAR) {
        cfg_error(r->c, k, "mapping keys must be plain text, got %s", cfg_kind_name(k));
        return;
    }
    for (size_t i = 0; i + 1 < m->n; i++)
        if (m->keys[i].kind == CFG_SCALAR && !strcmp(m->keys[i].text, k->text))
            cfg_error(r->c, k, "duplicate key '%s' (first given at line %d); keep one",
                      k->text, m->keys[i].line);
}

/* Reads key/value events into mapping `m` up to MAPPING-END. -1 on a syntax error. */
static int cfg_build_map(cfg_reader *r, cfg_node *m, int depth)
{
    yaml_event_t ev;
    for (;;) {
        if (cfg_next(r, &ev))
            return -1;
        if (ev.type == YAML_MAPPING_END_EVENT)
            return yaml_event_delete(&ev), 0;
        cfg_grow(m);
        cfg_node *k = &m->keys[m->n], *v = &m->vals[m->n];
        memset(v, 0, sizeof *v);
        m->n++;
        if (cfg_build(r, &ev, k, depth) || cfg_next(r, &ev) || cfg_build(r, &ev, v, depth))
            return -1;
        v->key_line = k->line;
        v->key_col = k->col;
        cfg_check_key(r, m);
    }
}

/* Reads item events into list `s` up to SEQUENCE-END. -1 on a syntax error. */
static int cfg_build_seq(cfg_reader *r, cfg_node *s, int depth)
{
    yaml_event_t ev;
    for (;;) {
        if (cfg_next(r, &ev))
            return -1;
        if (ev.type == YAML_SEQUENCE_END_EVENT)
            return yaml_event_delete(&ev), 0;
        cfg_grow(s);
        if (cfg_build(r, &ev, &s->vals[s->n++], depth))
            return -1;
    }
}

/* Fills scalar node `out` from a SCALAR event (copies the text). */
static void cfg_build_scalar(cfg_reader *r, const yaml_event_t *ev, cfg_node *out)
{
    const char *tag = (const char *)ev->data.scalar.tag;
    out->kind = CFG_SCALAR;
    out->len = ev->data.scalar.length;
    out->text = xmalloc(out->len + 1);
    memcpy(out->text, ev->data.scalar.value, out->len);
    out->text[out->len] = '\0';
    out->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
                  (tag && !strcmp(tag, YAML_STR_TAG));
    cfg_no_anchor(r, out, ev->data.scalar.anchor);
}

/* Fills the head of `out` from event `ev`: position, kind, scalar text.
 * Reports anchors and aliases (an alias becomes an empty scalar). */
static void cfg_build_head(cfg_reader *r, const yaml_event_t *ev, cfg_node *out)
{
    out->line = (int)ev->start_mark.line + 1;
    out->col = (int)ev->start_mark.column + 1;
    if (ev->type == YAML_SCALAR_EVENT) {
        cfg_build_scalar(r, ev, out);
    } else if (ev->type == YAML_MAPPING_START_EVENT) {
        out->kind = CFG_MAP;
        cfg_no_anchor(r, out, ev->data.mapping_start.anchor);
    } else if (ev->type == YAML_SEQUENCE_START_EVENT) {
        out->kind = CFG_SEQ;
        cfg_no_anchor(r, out, ev->data.sequence_start.anchor);
    } else {
        out->text = xstrdup("");
        cfg_error(r->c, out, "YAML aliases (*%s) are not supported; write the value out",
                  ev->type == YAML_ALIAS_EVENT ? (const char *)ev->data.alias.anchor : "?");
    }
}

/* Builds `out` from event `ev` (taken and deleted here), reading the children
 * of collections. Returns 0, or -1 on a syntax error; `out` stays freeable. */
static int cfg_build(cfg_reader *r, yaml_event_t *ev, cfg_node *out, int depth)
{
    memset(out, 0, sizeof *out);
    cfg_build_head(r, ev, out);
    yaml_event_delete(ev);
    if (out->kind == CFG_SCALAR)
        return 0;
    if (depth >= CFG_MAX_DEPTH) {
        cfg_error(r->c, out, "nested deeper than %d levels", CFG_MAX_DEPTH);
        return -1;
    }
    return out->kind == CFG_MAP ? cfg_build_map(r, out, depth + 1)
                                : cfg_build_seq(r, out, depth + 1);
}

/* Reads what follows the document: STREAM-END, or the start of a second
 * document, which is reported. Returns 0 or -1. */
static int cfg_build_end(cfg_reader *r)
{
    yaml_event_t ev;
    if (cfg_next(r, &ev))
        return -1;
    bool more = ev.type != YAML_STREAM_END_EVENT;
    if (more)
        cfg_error_at(r->c, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
                     "only one YAML document is allowed; remove this second document");
    yaml_event_delete(&ev);
    return more ? -1 : 0;
}

/* Reads STREAM-START, the one document into `root`, STREAM-END. Returns 0,
 * or -1 after reporting a syntax error, an empty file or a second document. */
static int cfg_build_stream(cfg_reader *r, cfg_node *root)
{
    yaml_event_t ev;
    if (cfg_next(r, &ev))
        return -1;
    yaml_event_delete(&ev); /* STREAM-START */
    if (cfg_next(r, &ev))
        return -1;
    bool empty = ev.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&ev); /* DOCUMENT-START */
    if (empty) {
        cfg_error_at(r->c, 0, 0, "the config file is empty; it needs settle: and partners:");
        return -1;
    }
    if (cfg_next(r, &ev) || cfg_build(r, &ev, root, 0) || cfg_next(r, &ev))
        return -1;
    yaml_event_delete(&ev); /* DOCUMENT-END */
    return cfg_build_end(r);
}

/* Parses YAML text into `root` (always freeable afterwards). Returns 0, or
 * -1 when anything was reported. */
int cfg_parse(cfg_ctx *c, const char *text, size_t len, cfg_node *root)
{
    cfg_reader r = {.c = c, .text = text, .len = len};
    int before = c->errors;
    memset(root, 0, sizeof *root);
    if (!yaml_parser_initialize(&r.yp)) {
        fputs("settle: out of memory\n", stderr);
        exit(EXIT_FAILED);
    }
    yaml_parser_set_input_string(&r.yp, (const unsigned char *)text, len);
    int rc = cfg_build_stream(&r, root);
    yaml_parser_delete(&r.yp);
    return rc || c->errors > before ? -1 : 0;
}
