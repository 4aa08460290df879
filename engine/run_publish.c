/*
 * run_publish.c - a run's reports become visible only with the state commit
 * that records them. Every report is staged (report.h); the list of staged
 * outputs goes into the run's transaction (state run_outputs); after COMMIT
 * they are renamed into place and the list is forgotten. A run that dies (or
 * cannot rename) after its commit leaves the list behind, and the next run
 * finishes those renames before it does anything else; a run that fails
 * before its commit removes its staged files (run.c, report_discard).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_int.h"

/* The part of path under the reports folder (path itself when it is not under it). */
static const char *reports_rel(const settle_config *cfg, const char *path)
{
    const char *dir = cfg->paths.reports;
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (strncmp(path, dir, n) == 0 && path[n] == '/')
        return path + n + 1;
    return path;
}

int run_outputs_journal(run_ctx *rc)
{
    for (size_t i = 0; i < rc->written.n; i++)
        if (state_output_add(rc->st, rc->run_id, reports_rel(rc->cfg, rc->written.items[i]),
                             rc->written.sha[i]) != 0)
            return -1;
    return 0;
}

int run_outputs_publish(run_ctx *rc)
{
    char err[512];
    if (rc->written.n == 0)
        return 0;
    if (report_publish(&rc->written, err, sizeof err) != 0) {
        fprintf(stderr, "settle: the run is recorded in the state but %s; the next run puts its "
                        "reports in place\n", err);
        return -1;
    }
    if (state_outputs_done(rc->st) != 0)
        fprintf(stderr, "settle: warning: cannot clear the list of staged reports: %s (the next "
                        "run checks them again)\n", state_error(rc->st));
    return 0;
}

/* True when the file at path exists and has the SHA-256 `sha`. */
static bool file_has_sha(const char *path, const char *sha)
{
    unsigned char d[32];
    char hex[65];
    if (sha256_file(path, d) != 0)
        return false;
    sha256_hex(d, hex);
    return strcmp(hex, sha) == 0;
}

/* Puts one pending output in place (ctx: the config). 0, or -1 when it cannot be renamed. */
static int publish_one(void *ctx, const char *file, const char *sha)
{
    const settle_config *cfg = ctx;
    char *path = path_join(cfg->paths.reports, file), *staged = staged_path(path);
    int rc = 0;
    if (file_has_sha(staged, sha)) {
        if (staged_publish(staged, path) != 0) {
            perror(path);
            rc = -1;
        }
    } else if (!file_has_sha(path, sha)) {
        fprintf(stderr, "settle: warning: %s, written by a run that stopped after its commit, "
                        "was lost before it was put in place; `settle audit verify` names it\n",
                path);
    }
    free(staged);
    free(path);
    return rc;
}

int run_publish_pending(const settle_config *cfg, state *st)
{
    int rc = state_outputs_each(st, publish_one, (void *)cfg);
    if (rc == 0 && state_outputs_done(st) == 0)
        return 0;
    fprintf(stderr, "settle: cannot put the reports of an earlier run in place%s%s; nothing "
                    "was done\n", rc < 0 ? ": " : "", rc < 0 ? state_error(st) : "");
    return -1;
}
