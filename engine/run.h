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

typedef struct run_options {
    const char *config;      /* resolved config path */
    bool dry_run;
    bool has_range;
    int32_t from_day, to_day;
    const char **partners;   /* --partner filters (borrowed), n_partners of them */
    size_t n_partners;
} run_options;

int settle_run(const run_options *o);
/*
 * Adds an error for every partner this version cannot read (format: json),
 * so `check` and `run` refuse it instead of misreading it. Returns the count.
 */
int run_check_supported(const settle_config *cfg, diag *d);
int settle_check(const char *config);
int settle_status(const char *config, bool json);

#endif
