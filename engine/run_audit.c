/*
 * run_audit.c - the audit entry of a run: the config and rule hashes, every
 * file taken, skipped or found unreadable, every statement issued, and every
 * output written with its SHA-256, so the run can be re-proved later.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "run_int.h"

/* Adds "outputs":[{"file":..,"sha256":..}] for every output staged this run. */
static void audit_outputs(audit_entry *e, const path_list *written)
{
    jw_open(&e->w, "outputs", '[');
    for (size_t i = 0; i < written->n; i++) {
        jw_open(&e->w, NULL, '{');
        jw_str(&e->w, "file", written->items[i]);
        jw_str(&e->w, "sha256", written->sha[i]);
        jw_close(&e->w, '}');
    }
    jw_close(&e->w, ']');
}

/* Adds "rules":[..], the rule file hash of every partner in the run. */
static void audit_rules(audit_entry *e, const run_ctx *rc)
{
    jw_open(&e->w, "rules", '[');
    for (size_t i = 0; i < rc->cfg->n_partners; i++) {
        if (!rc->selected[i])
            continue;
        const partner_config *pc = &rc->cfg->partners[i];
        jw_open(&e->w, NULL, '{');
        jw_str(&e->w, "partner", pc->id);
        jw_str(&e->w, "file", pc->rules);
        jw_str(&e->w, "sha256", rc->rules_sha[i]);
        jw_close(&e->w, '}');
    }
    jw_close(&e->w, ']');
}

/* Adds one change (what, partner or NULL, old hash or "" for none, new hash) to the list. */
static void change_add(audit_entry *list, const char *what, const char *partner, const char *from,
                       const char *to)
{
    jw *w = &list->w;
    jw_open(w, NULL, '{');
    jw_str(w, "what", what);
    if (partner)
        jw_str(w, "partner", partner);
    jw_str(w, "from", *from ? from : NULL);
    jw_str(w, "to", to);
    jw_close(w, '}');
}

/* Compares a hash with the one stored under `key`, records a change, stores the new one. */
static int change_check(run_ctx *rc, const char *key, const char *what, const char *partner,
                        const char *now)
{
    char before[65];
    if (state_meta_get(rc->st, key, before, sizeof before) != 0)
        return -1;
    if (strcmp(before, now) == 0)
        return 0;
    change_add(&rc->audit_changes, what, partner, before, now);
    return state_meta_put(rc->st, key, now);
}

int run_audit_changes(run_ctx *rc)
{
    char cfg_sha[65];
    sha256_hex(rc->cfg->sha256, cfg_sha);
    if (change_check(rc, "config_sha256", "config", NULL, cfg_sha) != 0)
        return -1;
    for (size_t i = 0; i < rc->cfg->n_partners; i++) {
        if (!rc->selected[i])
            continue;
        char *key = xasprintf("rules_sha256:%s", rc->cfg->partners[i].id);
        int r = change_check(rc, key, "rules", rc->cfg->partners[i].id, rc->rules_sha[i]);
        free(key);
        if (r != 0)
            return -1;
    }
    return 0;
}

char *run_audit_fields(const run_ctx *rc, int exit_code)
{
    char cfg_sha[65];
    sha256_hex(rc->cfg->sha256, cfg_sha);
    audit_entry e;
    audit_entry_begin(&e);
    jw_int(&e.w, "run_id", rc->run_id);
    jw_int(&e.w, "exit_code", exit_code);
    jw_str(&e.w, "config", rc->cfg->path);
    jw_str(&e.w, "config_sha256", cfg_sha);
    audit_rules(&e, rc);
    audit_entry_list(&e, "changes", &rc->audit_changes);
    audit_entry_list(&e, "files", &rc->audit_files);
    audit_entry_list(&e, "statements", &rc->audit_statements);
    const run_totals *t = &rc->totals;
    jw_open(&e.w, "counts", '{');
    jw_int(&e.w, "rows", t->rows);
    jw_int(&e.w, "transactions", t->transactions);
    jw_int(&e.w, "duplicates", t->duplicates);
    jw_int(&e.w, "rejected", t->rejected);
    jw_int(&e.w, "statements", t->statements);
    jw_int(&e.w, "held", t->held);
    jw_close(&e.w, '}');
    audit_outputs(&e, &rc->written);
    return audit_entry_take(&e);
}

/*
 * Appends one journalled run entry unless the log's last entry is it already
 * (appended, then cut off before it was marked: the anchor is brought up to
 * it instead).
 */
static int audit_flush_one(const settle_config *cfg, state *st, int64_t run_id,
                           const char *fields)
{
    char needle[48], err[256];
    bool present;
    audit_head head;
    snprintf(needle, sizeof needle, ",\"run_id\":%lld,", (long long)run_id);
    if (audit_last_contains(cfg->paths.audit, needle, &present) != 0) {
        fprintf(stderr, "settle: cannot read the audit log in %s\n", cfg->paths.audit);
        return -1;
    }
    if (present && audit_head_read(cfg->paths.audit, &head) == 0)
        audit_anchor_put(st, &head); /* a failure leaves the anchor lagging: harmless */
    if (present)
        return 0;
    if (audit_append_anchored(st, cfg->paths.audit, "run", fields, err, sizeof err) == 0)
        return 0;
    fprintf(stderr, "settle: %s\n", err);
    return -1;
}

int run_audit_flush(const settle_config *cfg, state *st)
{
    int64_t id;
    char *fields;
    if (state_run_unaudited(st, &id, &fields) != 0)
        return -1;
    while (id) {
        int rc = audit_flush_one(cfg, st, id, fields);
        free(fields);
        if (rc != 0 || state_run_audited(st, id) != 0 ||
            state_run_unaudited(st, &id, &fields) != 0)
            return -1;
    }
    return 0;
}
