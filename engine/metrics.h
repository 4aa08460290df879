/*
 * metrics.h - <metrics>/settle.prom, the Prometheus textfile written at the
 * end of every `settle run`, failed ones included (SPEC section 11;
 * docs/watching.md lists every metric).
 */
#ifndef SETTLE_METRICS_H
#define SETTLE_METRICS_H

#include <stdint.h>

#include "config.h"
#include "state.h"

/* What the run itself says; the rest is read from the state. */
typedef struct metrics_run {
    int exit_code;
    int64_t ended;          /* Unix time the run ended */
    int64_t duration_ms;
    int32_t today;          /* the business day now, for open reconciliation items past
                               their wait; INT32_MIN: not known (none counted) */
} metrics_run;

/*
 * Writes <cfg->paths.metrics>/settle.prom atomically (mode 0640): the run's
 * figures, the state's when st is not NULL (its committed data: a failed
 * run's changes were rolled back), and the audit log's head. 0, or -1 with
 * err: the file could not be written, or the state could not be read (the
 * file is then written without the state's figures).
 */
int metrics_write(const settle_config *cfg, state *st, const metrics_run *run, char *err,
                  size_t errlen);

#endif
