/*
 * run.h - the verbs of settle as functions returning an exit code
 * (SPEC section 2). main.c only parses the command line and calls these.
 */
#ifndef SETTLE_RUN_H
#define SETTLE_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "fx.h"
#include "state.h"
#include "tax.h"

typedef struct run_options {
    const char *config;      /* resolved config path */
    bool dry_run;
    bool has_range;
    int32_t from_day, to_day;
    const char **partners;   /* --partner filters (borrowed), n_partners of them */
    size_t n_partners;
    bool progress;           /* --progress: the progress line even without a terminal */
    int threads;             /* --threads; 0 when not given (settle.threads, else the cores) */
} run_options;

int settle_run(const run_options *o);
/*
 * Takes <state_dir>/settle.lock (flock; the kernel drops it when the holder
 * dies). Returns 0 with the descriptor (close it to release), -1 when another
 * run holds it (holder printed: the settle run named in the file only when
 * the kernel's lock table shows it holding the lock, else the program that
 * does), -2 on an I/O error (printed). run_lock.c.
 */
int run_lock(const char *state_dir, int *fd_out);
/* Clears the holder line and releases the lock taken by run_lock; fd < 0: nothing. */
void run_unlock(int fd);
/*
 * Loads the config's FX table (an empty one when there is no fx: section) and
 * tax table (NULL when none) into *fx and *tax, owned by the caller (fx_free,
 * tax_free), adding every problem to d. 0, or -1 when either had a problem.
 */
int run_load_tables(const settle_config *cfg, fx_table **fx, tax_table **tax, diag *d);
/*
 * Appends every committed run entry still unaudited in the state's journal
 * (this run's, or one a crash cut off) to the audit log, and marks it. An
 * entry already last in the log is only marked. -1 with a message printed.
 * Call with the run lock held.
 */
int run_audit_flush(const settle_config *cfg, state *st);
/*
 * Puts in place the reports of an earlier run that was committed but stopped
 * before renaming them (run_publish.c): each staged file whose SHA-256 is the
 * one recorded is renamed; one already in place is left; one lost is named in
 * a warning. 0, or -1 (printed) when a rename or the state fails.
 */
int run_publish_pending(const settle_config *cfg, state *st);
int settle_check(const char *config);
/* `settle approve`: releases a statement held by control totals (see approve.c). */
int settle_approve(const char *config, const char *partner, const char *period,
                   const char *reason);
/*
 * `settle preview`: settles one period with a candidate rule file and prints the
 * difference from the issued statement (see preview.c). Writes nothing. Exit 0 no
 * difference, 1 differences or nothing issued, 2 usage/config/rule error, 3 state failure.
 */
int settle_preview(const char *config, const char *partner, const char *period,
                   const char *rules_path);
int settle_status(const char *config, bool json);
/*
 * What is wrong with a partner's inbox folder `dir` (looked at with lstat):
 * NULL when it is a real folder, else a static phrase ("does not exist",
 * "is a symbolic link (refused, not followed)", "is not a folder", ...).
 */
const char *run_inbox_problem(const char *dir);

#endif
