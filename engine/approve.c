/*
 * approve.c - `settle approve --partner ID --period P --reason TEXT`: an
 * operator has reviewed a statement held because a file's control totals did
 * not match, or because its reconciliation with a ledger has more breaks than
 * tolerated (docs/reconciliation.md section 3), and releases it. Who (the operating-system account, never an
 * environment variable), when and why are stored and audited; the next
 * `settle run` issues the statement (held statements are settled again on
 * every run) and shows the approval in it (SPEC section 11).
 *
 * Only control-total and reconciliation holds can be approved: a missing FX
 * rate or a failing rule has no figures to approve; its cause must be fixed
 * instead. A reconciliation approval releases exactly the hold it names: a
 * later run with other breaks holds the statement again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "config.h"
#include "run.h"
#include "state.h"
#include "timefmt.h"

#define APPROVE_CONTROL_PREFIX "control totals do not match"
#define APPROVE_RECON_PREFIX "reconciliation with "

/* True when a hold with this reason may be approved. */
static bool approvable(const char *hold)
{
    return hold && (strncmp(hold, APPROVE_CONTROL_PREFIX, strlen(APPROVE_CONTROL_PREFIX)) == 0 ||
                    strncmp(hold, APPROVE_RECON_PREFIX, strlen(APPROVE_RECON_PREFIX)) == 0);
}

/* Loads the config and checks the partner exists; prints why not. 0 or -1. */
static int approve_config(const char *path, const char *partner, settle_config *cfg)
{
    int rc = config_load_printed(path, cfg);
    if (rc == 0 && !config_partner(cfg, partner)) {
        fprintf(stderr, "settle: unknown partner '%s' (not in %s)\n", partner, path);
        config_free(cfg);
        rc = -1;
    }
    return rc;
}

/* Checks the statement is held by control totals or reconciliation; prints why not. 0, or an
 * exit code. */
static int approve_check(state *s, const char *partner, const char *period, char **reason)
{
    statement_row row;
    bool found;
    if (state_statement_get(s, partner, period, &row, &found) != 0)
        return fprintf(stderr, "settle: %s\n", state_error(s)), EXIT_FAILED;
    if (!found)
        return fprintf(stderr, "settle: no statement for %s %s\n", partner, period), EXIT_USAGE;
    if (strcmp(row.status, "held") != 0)
        return fprintf(stderr, "settle: %s %s is %s, not held; nothing to approve\n", partner,
                       period, row.status), EXIT_USAGE;
    if (!approvable(row.hold_reason))
        return fprintf(stderr, "settle: %s %s is held because: %s\nOnly control-total and "
                       "reconciliation holds can be approved; fix the cause and run again\n",
                       partner, period,
                       row.hold_reason ? row.hold_reason : "(no reason)"), EXIT_USAGE;
    *reason = xstrdup(row.hold_reason);
    return 0;
}

/* Stores the approval in its own transaction. 0 or EXIT_FAILED. */
static int approve_store(state *s, const char *partner, const char *period,
                         const statement_approval *a)
{
    if (state_begin(s) == 0 && state_approval_add(s, partner, period, a) == 0 &&
        state_commit(s) == 0)
        return 0;
    fprintf(stderr, "settle: cannot store the approval: %s\n", state_error(s));
    state_rollback(s);
    return EXIT_FAILED;
}

/* Appends the "approve" audit entry (its "user" is the approver, a->by). */
static int approve_audit(const settle_config *cfg, state *s, const char *partner,
                         const char *period, const statement_approval *a)
{
    audit_entry e;
    char err[256];
    audit_entry_begin(&e);
    jw_str(&e.w, "partner", partner);
    jw_str(&e.w, "period", period);
    jw_str(&e.w, "approved_by", a->by);
    jw_str(&e.w, "reason", a->reason);
    jw_str(&e.w, "hold_reason", a->hold_reason);
    int rc = audit_append_anchored(s, cfg->paths.audit, "approve", audit_entry_text(&e), err,
                                   sizeof err);
    if (rc != 0)
        fprintf(stderr, "settle: approval stored but not audited: %s\n", err);
    audit_entry_free(&e);
    return rc;
}

/* The approval to record: this OS account, now, the reason given, the hold released. */
static void approve_fill(statement_approval *a, const char *reason, char *hold_reason)
{
    char now[21], user[64];
    instant_format((int64_t)time(NULL), now);
    audit_os_user(user, sizeof user);
    a->by = xstrdup(user);
    a->at = xstrdup(now);
    a->reason = xstrdup(reason);
    a->hold_reason = hold_reason;
}

int settle_approve(const char *config, const char *partner, const char *period,
                   const char *reason)
{
    settle_config cfg;
    if (approve_config(config, partner, &cfg) != 0)
        return EXIT_USAGE;
    int fd = -1, lk = run_lock(cfg.paths.state, &fd);
    int code = lk == -1 ? EXIT_LOCKED : lk < -1 ? EXIT_FAILED : 0;
    char err[256], *hold = NULL;
    statement_approval a = {0};
    state *s = code ? NULL : state_open(cfg.paths.state, err, sizeof err);
    if (!code && !s)
        code = (fprintf(stderr, "settle: cannot open state: %s\n", err), EXIT_FAILED);
    if (!code && run_publish_pending(&cfg, s) != 0) /* an earlier run cut off: finish it */
        fprintf(stderr, "settle: warning: an earlier run's reports are still staged\n");
    if (!code && run_audit_flush(&cfg, s) != 0)
        fprintf(stderr, "settle: warning: an earlier run's audit entry is still missing\n");
    if (!code)
        code = approve_check(s, partner, period, &hold);
    if (!code) {
        approve_fill(&a, reason, hold);
        code = approve_store(s, partner, period, &a);
    }
    if (!code && approve_audit(&cfg, s, partner, period, &a) != 0)
        code = EXIT_ATTENTION;
    if (a.by && code != EXIT_FAILED && code != EXIT_USAGE)
        printf("settle: approved %s %s as %s (held: %s); the next `settle run` issues it\n",
               partner, period, a.by, a.hold_reason);
    if (a.by)
        statement_approval_free(&a);
    else
        free(hold);
    state_close(s);
    run_unlock(fd);
    config_free(&cfg);
    return code;
}
