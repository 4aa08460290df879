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

/* Appends {"file":..,"sha256":..} for every output written this run. */
static void audit_outputs(sbuf *b, const path_list *written)
{
    sbuf_adds(b, ",\"outputs\":[");
    for (size_t i = 0; i < written->n; i++) {
        unsigned char d[32];
        char hex[65] = "unreadable";
        if (sha256_file(written->items[i], d) == 0)
            sha256_hex(d, hex);
        sbuf_adds(b, i ? ",{\"file\":" : "{\"file\":");
        sbuf_add_json_str(b, written->items[i], strlen(written->items[i]));
        sbuf_addf(b, ",\"sha256\":\"%s\"}", hex);
    }
    sbuf_addc(b, ']');
}

/* Appends the rule file hash of every partner in the run. */
static void audit_rules(sbuf *b, const run_ctx *rc)
{
    sbuf_adds(b, ",\"rules\":[");
    bool first = true;
    for (size_t i = 0; i < rc->cfg->n_partners; i++) {
        if (!rc->selected[i])
            continue;
        const partner_config *pc = &rc->cfg->partners[i];
        sbuf_adds(b, first ? "{\"partner\":" : ",{\"partner\":");
        sbuf_add_json_str(b, pc->id, strlen(pc->id));
        sbuf_adds(b, ",\"file\":");
        sbuf_add_json_str(b, pc->rules, strlen(pc->rules));
        sbuf_addf(b, ",\"sha256\":\"%s\"}", rc->rules_sha[i]);
        first = false;
    }
    sbuf_addc(b, ']');
}

/* Adds one change (what, partner or NULL, old and new hash) to the list. */
static void change_add(sbuf *b, const char *what, const char *partner, const char *from,
                       const char *to)
{
    sbuf_adds(b, b->len ? ",{\"what\":\"" : "{\"what\":\"");
    sbuf_adds(b, what);
    sbuf_addc(b, '"');
    if (partner) {
        sbuf_adds(b, ",\"partner\":");
        sbuf_add_json_str(b, partner, strlen(partner));
    }
    if (*from)
        sbuf_addf(b, ",\"from\":\"%s\"", from);
    else
        sbuf_adds(b, ",\"from\":null");
    sbuf_addf(b, ",\"to\":\"%s\"}", to);
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
    sbuf b;
    sbuf_init(&b);
    sbuf_addf(&b, "\"run_id\":%lld,\"exit_code\":%d,\"config\":", (long long)rc->run_id,
              exit_code);
    sbuf_add_json_str(&b, rc->cfg->path, strlen(rc->cfg->path));
    sbuf_addf(&b, ",\"config_sha256\":\"%s\"", cfg_sha);
    audit_rules(&b, rc);
    sbuf_addf(&b, ",\"changes\":[%s]", rc->audit_changes.buf ? rc->audit_changes.buf : "");
    sbuf_addf(&b, ",\"files\":[%s],\"statements\":[%s]",
              rc->audit_files.buf ? rc->audit_files.buf : "",
              rc->audit_statements.buf ? rc->audit_statements.buf : "");
    const run_totals *t = &rc->totals;
    sbuf_addf(&b, ",\"counts\":{\"rows\":%lld,\"transactions\":%lld,\"duplicates\":%lld,"
                  "\"rejected\":%lld,\"statements\":%lld,\"held\":%lld}",
              (long long)t->rows, (long long)t->transactions, (long long)t->duplicates,
              (long long)t->rejected, (long long)t->statements, (long long)t->held);
    audit_outputs(&b, &rc->written);
    return sbuf_take(&b);
}

/* Appends one journalled run entry unless the log's last entry is it already. */
static int audit_flush_one(const settle_config *cfg, int64_t run_id, const char *fields)
{
    char needle[48], err[256];
    bool present;
    snprintf(needle, sizeof needle, ",\"run_id\":%lld,", (long long)run_id);
    if (audit_last_contains(cfg->paths.audit, needle, &present) != 0) {
        fprintf(stderr, "settle: cannot read the audit log in %s\n", cfg->paths.audit);
        return -1;
    }
    if (present)
        return 0;
    if (audit_append(cfg->paths.audit, "run", fields, err, sizeof err) == 0)
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
        int rc = audit_flush_one(cfg, id, fields);
        free(fields);
        if (rc != 0 || state_run_audited(st, id) != 0 ||
            state_run_unaudited(st, &id, &fields) != 0)
            return -1;
    }
    return 0;
}
