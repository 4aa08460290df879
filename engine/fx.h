/*
 * fx.h - the FX rates table (`fx.rates`: CSV "date,base,quote,rate") and
 * look-up of the latest rate on or before a day. Rates stay decimal text and
 * exact decimal_rate values; nothing here uses floating point.
 */
#ifndef SETTLE_FX_H
#define SETTLE_FX_H

#include <stdint.h>

#include "money.h"
#include "util.h"

typedef struct fx_table fx_table;

/*
 * Loads the rates file. A header line "date,base,quote,rate" is optional;
 * blank lines and lines starting with '#' are skipped. Any malformed line is
 * an error "path:line: reason" added to `d` and the load returns NULL.
 * A missing file is an error too. Caller frees with fx_free.
 */
fx_table *fx_load(const char *path, diag *d);
/* An empty table (no fx: section): every conversion between different currencies misses. */
fx_table *fx_empty(void);
void fx_free(fx_table *t);

typedef struct fx_rate {
    int32_t date;        /* day the rate is dated */
    decimal_rate rate;   /* units of quote per one unit of base */
    const char *text;    /* rate as written in the file (borrowed from the table) */
} fx_rate;

/*
 * Finds the latest rate base->quote dated on or before `day`. If only the
 * inverse quote->base exists, it is NOT inverted (that would need division
 * and rounding the partner never agreed to): the look-up misses.
 * Returns 0 and fills *r, or -1 when no rate applies.
 */
int fx_lookup(const fx_table *t, const char *base, const char *quote, int32_t day, fx_rate *r);

#endif
