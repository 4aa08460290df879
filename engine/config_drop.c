/*
 * config_drop.c - the parts of a partner entry about the drop as a whole
 * rather than its fields: `json:` (where the records are) and `control:`
 * (declared totals in a trailer row or a manifest file).
 *
 * Same contract as config.c: every problem is reported with its line:column
 * and nothing is applied from an invalid file.
 */
#include <stdlib.h>
#include <string.h>

#include "config_yaml.h"

/* json: { records: "data.transactions" } (format json only). */
void cfg_json(cfg_ctx *c, const cfg_node *v, const char *sect, partner_config *p)
{
    static const char *const keys[] = {"records", NULL};
    if (!v || !cfg_is_map(c, v, sect, "json"))
        return;
    char *s = xasprintf("%s.json", sect);
    cfg_keys(c, v, s, keys);
    if (p->format != FORMAT_JSON)
        cfg_error(c, v, "%s only applies to format: json", s);
    if (cfg_str(c, v, s, "records", &p->json_records) == 1 && !*p->json_records)
        cfg_error(c, cfg_get(v, "records"), "%s.records must be a path such as "
                  "\"data.transactions\"", s);
    free(s);
}

/* True when the control totals are read from CSV trailer columns. */
static bool cfg_control_by_column(const partner_config *p)
{
    return p->control.trailer && p->format == FORMAT_CSV;
}

/* control.count / control.sum: a column number (CSV trailer) or a path. */
static void cfg_control_ref(cfg_ctx *c, const cfg_node *v, const char *s, const char *key,
                            const partner_config *p, field_ref *out)
{
    const cfg_node *n = cfg_get(v, key);
    const char *t = n ? cfg_scalar(c, n, s, key, "a column number or path") : NULL;
    if (!t)
        return;
    free(out->name);
    out->name = NULL;
    out->column = 0;
    bool digits = *t && strspn(t, "0123456789") == strlen(t);
    if (!cfg_control_by_column(p))
        out->name = *t ? xstrdup(t) : NULL;
    else if (digits && strlen(t) <= 4 && atoi(t) >= 1)
        out->column = atoi(t);
    if (!field_ref_set(out))
        cfg_error(c, n, cfg_control_by_column(p)
                  ? "%s.%s: the trailer's column number (1 = first), got '%s'"
                  : "%s.%s: a path such as \"totals.count\", got '%s'", s, key, t);
}

/* control.manifest: a file name with {name} or {stem}, no '/'. */
static void cfg_control_manifest(cfg_ctx *c, const cfg_node *v, const char *s,
                                 partner_config *p)
{
    char *m = p->control.manifest;
    if (!m)
        return;
    if (strchr(m, '/') || (!strstr(m, "{name}") && !strstr(m, "{stem}")))
        cfg_error(c, cfg_get(v, "manifest"), "%s.manifest must name the file beside each drop "
                  "using {name} or {stem}, e.g. \"{name}.ctl\", got '%s'", s, m);
}

/* The rules between control keys: exactly one source; marker for CSV trailers. */
static void cfg_control_rules(cfg_ctx *c, const cfg_node *v, const char *s,
                              const partner_config *p)
{
    if (p->control.trailer && p->control.manifest)
        cfg_error(c, v, "%s: give either trailer: true or manifest, not both", s);
    else if (!p->control.trailer && !p->control.manifest)
        cfg_error(c, v, "%s needs trailer: true or manifest: \"{name}.ctl\"", s);
    if (p->control.marker && !cfg_control_by_column(p))
        cfg_error(c, cfg_get(v, "marker"), "%s.marker only applies to a CSV trailer", s);
}

/* Defaults once trailer/manifest are known: columns 2 and 3, or paths count and sum. */
static void cfg_control_defaults(partner_config *p)
{
    if (cfg_control_by_column(p)) {
        p->control.count.column = 2;
        p->control.sum.column = 3;
    } else {
        p->control.count.name = xstrdup("count");
        p->control.sum.name = xstrdup("sum");
    }
}

/* control: { trailer | manifest, marker, count, sum }. Needs format set. */
void cfg_control(cfg_ctx *c, const cfg_node *v, const char *sect, partner_config *p)
{
    static const char *const keys[] = {"trailer", "marker", "manifest", "count", "sum", NULL};
    if (!v || !cfg_is_map(c, v, sect, "control"))
        return;
    char *s = xasprintf("%s.control", sect);
    cfg_keys(c, v, s, keys);
    cfg_bool(c, v, s, "trailer", &p->control.trailer);
    cfg_str(c, v, s, "marker", &p->control.marker);
    cfg_str(c, v, s, "manifest", &p->control.manifest);
    cfg_control_manifest(c, v, s, p);
    cfg_control_rules(c, v, s, p);
    cfg_control_defaults(p);
    cfg_control_ref(c, v, s, "count", p, &p->control.count);
    cfg_control_ref(c, v, s, "sum", p, &p->control.sum);
    free(s);
}

/* Frees what the drop options own. */
void cfg_drop_free(partner_config *p)
{
    free(p->json_records);
    free(p->control.marker);
    free(p->control.manifest);
    free(p->control.count.name);
    free(p->control.sum.name);
}
