/*
 * audit_head.c - the head of the audit log and its anchor in the state.
 *
 * The hash chain proves that no entry inside the log was changed, removed or
 * reordered, but not that entries were not cut off its end: a shortened log
 * is still a valid chain. So every append under the state also records the
 * new head (seq and hash) in the state (meta "audit_head" = "<seq> <hash>"),
 * `settle audit verify` checks the log against it, and `settle audit head`
 * prints it for operators to keep somewhere else as well. A log renamed away
 * on purpose (a new key, an archive) is not a loss: the new log's first
 * entry names where the old one ended ("previous_log").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "config.h"
#include "util.h"

#define AUDIT_ANCHOR_KEY "audit_head"

int audit_anchor_get(state *st, audit_head *h, bool *found)
{
    char text[96];
    *found = false;
    if (state_meta_get(st, AUDIT_ANCHOR_KEY, text, sizeof text) != 0)
        return -1;
    char hash[65];
    long long seq;
    if (sscanf(text, "%lld %64s", &seq, hash) == 2 && seq > 0 && strlen(hash) == 64) {
        h->seq = seq;
        memcpy(h->hash, hash, sizeof h->hash);
        *found = true;
    }
    return 0;
}

int audit_anchor_put(state *st, const audit_head *h)
{
    char text[96];
    snprintf(text, sizeof text, "%lld %s", h->seq, h->hash);
    return state_meta_put(st, AUDIT_ANCHOR_KEY, text);
}

int audit_anchor_read(const char *state_dir, audit_head *h, bool *found, int64_t *run_id,
                      char **pending, char *err, size_t errlen)
{
    *found = false;
    *run_id = 0;
    *pending = NULL;
    state *s = state_open_readonly(state_dir, err, errlen);
    if (!s)
        return strncmp(err, "no state yet", 12) == 0 ? 0 : -1;
    char *fields = NULL;
    int rc = 0;
    if (audit_anchor_get(s, h, found) != 0 || state_run_unaudited(s, run_id, &fields) != 0) {
        snprintf(err, errlen, "%s", state_error(s));
        rc = -1;
    } else if (*run_id) {
        *pending = xasprintf("{%s}", fields);
    }
    free(fields);
    state_close(s);
    return rc;
}

/* True when the log's head is behind the anchor: entries the state saw appended are gone. */
static bool audit_behind(const audit_head *log, const audit_head *anchor)
{
    return log->seq < anchor->seq ||
           (log->seq == anchor->seq && strcmp(log->hash, anchor->hash) != 0);
}

/* True when <dir>/audit.jsonl exists (a log renamed away starts a new one). */
static bool audit_log_exists(const char *dir)
{
    char *path = path_join(dir, AUDIT_LOG_NAME);
    bool exists = access(path, F_OK) == 0 || errno != ENOENT;
    free(path);
    return exists;
}

/*
 * The entry's fields, plus, when the log is behind the anchor, either
 * "previous_log":{"seq","hash"} (no log file at all: an operator started a
 * new one, and its first entry names where the old one ended) or
 * "gap":{"anchored_seq","anchored_hash","log_seq"} (entries are gone from the
 * log; printed as a warning too). Caller frees.
 */
static char *audit_fields_checked(state *st, const char *dir, const char *fields)
{
    audit_head anchor, log;
    bool anchored = false;
    audit_entry e;
    audit_entry_begin(&e);
    jw_raw_members(&e.w, fields);
    if (audit_anchor_get(st, &anchor, &anchored) != 0 || !anchored ||
        audit_head_read(dir, &log) != 0 || !audit_behind(&log, &anchor))
        return audit_entry_take(&e);
    if (log.seq == 0 && !audit_log_exists(dir)) {
        jw_open(&e.w, "previous_log", '{');
        jw_int(&e.w, "seq", anchor.seq);
        jw_str(&e.w, "hash", anchor.hash);
        jw_close(&e.w, '}');
        return audit_entry_take(&e);
    }
    fprintf(stderr, "settle: warning: the audit log lost entries: the state recorded entry %lld "
                    "(hash %s) as its last, but the log now ends at entry %lld; this entry "
                    "records the gap and `settle audit verify` reports it\n",
            anchor.seq, anchor.hash, log.seq);
    jw_open(&e.w, "gap", '{');
    jw_int(&e.w, "anchored_seq", anchor.seq);
    jw_str(&e.w, "anchored_hash", anchor.hash);
    jw_int(&e.w, "log_seq", log.seq);
    jw_close(&e.w, '}');
    return audit_entry_take(&e);
}

int audit_append_anchored(state *st, const char *dir, const char *event, const char *fields,
                          char *err, size_t errlen)
{
    char *checked = audit_fields_checked(st, dir, fields);
    audit_head head;
    int rc = audit_append(dir, event, checked, &head, err, errlen);
    free(checked);
    if (rc == 0 && audit_anchor_put(st, &head) != 0)
        fprintf(stderr, "settle: warning: the audit entry is written but the state could not "
                        "record the log's new head: %s\n", state_error(st));
    return rc;
}

int settle_audit_head(const char *config)
{
    settle_config cfg;
    if (config_load_printed(config, &cfg) != 0)
        return EXIT_USAGE;
    audit_head h;
    int code = EXIT_CLEAN;
    if (audit_head_read(cfg.paths.audit, &h) != 0) {
        perror(cfg.paths.audit);
        code = EXIT_FAILED;
    } else if (h.seq == 0) {
        fprintf(stderr, "settle: no audit entry in %s yet; the head is the genesis value\n",
                cfg.paths.audit);
    }
    if (code == EXIT_CLEAN)
        printf("%s\n", h.hash);
    config_free(&cfg);
    return code;
}
