/*
 * config_watch.c - watching in settle.yaml (SPEC section 11, docs/watching.md):
 * `watch:` (anomaly baselines and holds), `alerts:` (the alert command),
 * `approvals:` (two-person approval) and each partner's `expect:` (when its
 * drop for a business day is due).
 *
 * Same contract as config.c: every problem is reported with its line:column
 * and the walk goes on; the caller discards the whole config on any error.
 * Everything stored is owned by the config (cfg_watch_free).
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_yaml.h"
#include "money.h"

const char *const severity_names[] = {"info", "warning", "critical", "never", NULL};
const char *const alert_kind_names[] = {"anomaly", "held", "quarantine", "failure",
                                        "missing_drop", "recon_break", NULL};

/* ---- watch: ------------------------------------------------------------------- */

void cfg_watch(cfg_ctx *c, const cfg_node *v, settle_config *cfg)
{
    static const char *const keys[] = {"history_days", "min_history_days", "hold_at", NULL};
    static const char *const hold[] = {"warning", "critical", "never", NULL};
    watch_config *w = &cfg->watch;
    *w = (watch_config){.history_days = 56, .min_history_days = 14, .hold_at = SEV_CRITICAL};
    if (!v)
        return;
    w->on = true;
    if (cfg_is_null(v))
        return;
    if (!cfg_is_map(c, v, "", "watch"))
        return;
    cfg_keys(c, v, "watch", keys);
    cfg_int(c, v, "watch", "history_days", 7, 3660, &w->history_days);
    cfg_int(c, v, "watch", "min_history_days", 1, 3660, &w->min_history_days);
    int h = 1;
    if (cfg_choice(c, v, "watch", "hold_at", hold, &h) == 1)
        w->hold_at = (severity)(h + SEV_WARNING);
    if (w->min_history_days > w->history_days)
        cfg_error(c, cfg_get(v, "min_history_days"), "watch.min_history_days (%d) must not be "
                  "more than watch.history_days (%d)", w->min_history_days, w->history_days);
}

/* ---- alerts: ------------------------------------------------------------------- */

/* alerts.command: a non-empty list of words; the first resolved against the config's
 * folder when it names a path (has a '/'), else looked up in $PATH when run. */
static void cfg_alert_command(cfg_ctx *c, const cfg_node *v, const settle_config *cfg,
                              alerts_config *a)
{
    if (v->kind != CFG_SEQ || v->n == 0) {
        cfg_error(c, v, "alerts.command must be a non-empty list of words such as "
                  "[scripts/notify-webhook, --channel, ops], got %s", cfg_kind_name(v));
        return;
    }
    a->command = xcalloc(v->n + 1, sizeof *a->command);
    for (size_t i = 0; i < v->n; i++) {
        const char *t = cfg_scalar(c, &v->vals[i], "alerts", "command", "a word");
        if (!t)
            t = "";
        if (i == 0 && strchr(t, '/') && t[0] != '/')
            a->command[i] = path_join(cfg->dir, t);
        else
            a->command[i] = xstrdup(t);
        a->n_command++;
    }
}

/* alerts.on: a list of alert kinds into a bit mask. */
static void cfg_alert_kinds(cfg_ctx *c, const cfg_node *v, alerts_config *a)
{
    if (v->kind != CFG_SEQ) {
        cfg_error(c, v, "alerts.on must be a list of alert kinds, got %s", cfg_kind_name(v));
        return;
    }
    a->on = 0;
    for (size_t i = 0; i < v->n; i++) {
        const char *t = cfg_scalar(c, &v->vals[i], "alerts", "on", "an alert kind");
        int k = 0;
        while (t && alert_kind_names[k] && strcmp(alert_kind_names[k], t))
            k++;
        if (t && alert_kind_names[k]) {
            a->on |= 1u << k;
            continue;
        }
        if (t) {
            char *names = cfg_join_names(alert_kind_names, " or ");
            cfg_error(c, &v->vals[i], "alerts.on: unknown alert kind '%s' (expected %s)", t,
                      names);
            free(names);
        }
    }
}

void cfg_alerts(cfg_ctx *c, const cfg_node *v, settle_config *cfg)
{
    static const char *const keys[] = {"command", "on", "timeout_seconds", "retries", NULL};
    alerts_config *a = &cfg->alerts;
    *a = (alerts_config){.on = (1u << ALERT_KIND_COUNT) - 1, .timeout_seconds = 10,
                         .retries = 3};
    if (!v || !cfg_is_map(c, v, "", "alerts"))
        return;
    cfg_keys(c, v, "alerts", keys);
    const cfg_node *cmd = cfg_need(c, v, "alerts", "command");
    if (cmd)
        cfg_alert_command(c, cmd, cfg, a);
    const cfg_node *on = cfg_get(v, "on");
    if (on)
        cfg_alert_kinds(c, on, a);
    cfg_int(c, v, "alerts", "timeout_seconds", 1, 3600, &a->timeout_seconds);
    cfg_int(c, v, "alerts", "retries", 0, 20, &a->retries);
}

/* ---- approvals: ------------------------------------------------------------------ */

void cfg_approvals(cfg_ctx *c, const cfg_node *v, settle_config *cfg)
{
    static const char *const keys[] = {"two_person_over", NULL};
    if (!v || !cfg_is_map(c, v, "", "approvals"))
        return;
    cfg_keys(c, v, "approvals", keys);
    char *t = NULL;
    if (cfg_str(c, v, "approvals", "two_person_over", &t) != 1)
        return;
    static const money_dialect plain = {'.', 0, false};
    int64_t probe;
    money_status st = money_parse(t, strlen(t), &plain, 8, &probe);
    if ((st != MONEY_OK && st != MONEY_PRECISION) || t[0] == '-' || t[0] == '+') {
        cfg_error(c, cfg_get(v, "two_person_over"), "approvals.two_person_over must be an "
                  "amount of 0 or more in each partner's settlement currency, written like "
                  "\"10000000\" or \"2500.00\", got '%s'", t);
        free(t);
        return;
    }
    cfg->two_person_over = t;
}

/* ---- partners.<id>.expect -------------------------------------------------------- */

void cfg_expect(cfg_ctx *c, const cfg_node *v, const char *s, partner_config *p)
{
    static const char *const keys[] = {"by", NULL};
    p->expect_by = -1;
    if (!v || !cfg_is_map(c, v, s, "expect"))
        return;
    char *es = xasprintf("%s.expect", s);
    cfg_keys(c, v, es, keys);
    char *t = NULL;
    if (cfg_need(c, v, es, "by") && cfg_str(c, v, es, "by", &t) == 1 &&
        (p->expect_by = cfg_hhmm(t)) < 0)
        cfg_error(c, cfg_get(v, "by"), "%s.by must be a time of day \"HH:MM\" from \"00:00\" "
                  "to \"23:59\" (the partner's drop for a business day is due by then, local "
                  "time of the next day), got '%s'", es, t);
    free(t);
    free(es);
}

void cfg_watch_free(settle_config *cfg)
{
    for (size_t i = 0; i < cfg->alerts.n_command; i++)
        free(cfg->alerts.command[i]);
    free(cfg->alerts.command);
    free(cfg->two_person_over);
}
