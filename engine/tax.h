/*
 * tax.h - dated tax rates per jurisdiction (`tax.tables`, data/tax.yaml):
 * jurisdiction -> tax name -> list of {from: "YYYY-MM-DD", rate: "10%"}.
 * The rate in force on a day is the last entry whose `from` is on or before
 * it; before the first entry there is none. Rates stay exact: the text as
 * written plus a decimal_rate, never a double.
 *
 * A loaded table is read-only; everything in it is owned by the table and
 * released by tax_free. Pointers it hands out live as long as the table.
 */
#ifndef SETTLE_TAX_H
#define SETTLE_TAX_H

#include <stddef.h>
#include <stdint.h>

#include "money.h"
#include "util.h"

typedef struct tax_rate_entry {
    int32_t from;       /* first day in force, days since 1970-01-01 */
    decimal_rate rate;  /* exact value: "5.5%" -> {55, 3}; 0 <= rate <= 1 */
    char *text;         /* owned by the table; the rate as written ("5.5%", "0.055") */
    int line;           /* line of the entry in the file */
} tax_rate_entry;

/* The dated rates of one tax of one jurisdiction. */
typedef struct tax_series {
    char *jurisdiction; /* owned; e.g. "MT" */
    char *tax;          /* owned; e.g. "gaming_tax" */
    tax_rate_entry *v;  /* owned; n >= 1 entries, `from` strictly increasing */
    size_t n;
} tax_series;

typedef struct tax_table {
    char *path;         /* owned; the file as given to tax_load, for messages */
    tax_series *s;      /* owned; in file order, grouped by jurisdiction */
    size_t n;
} tax_table;

/*
 * Reads and checks the tax table at `path`. Every problem (unreadable or
 * empty file, YAML syntax, wrong shape, unknown key, bad name, bad date,
 * dates not strictly increasing, malformed, negative or above-100% rate) is
 * added to `d` as "path:line:col: message", all of them, in file order.
 * Returns the table (caller frees with tax_free), or NULL when anything was
 * reported. Out of memory exits (util.h).
 */
tax_table *tax_load(const char *path, diag *d);

/* Frees the table and everything it owns; NULL is a no-op. */
void tax_free(tax_table *t);

/*
 * The series of `tax` in `jurisdiction` (borrowed from t), or NULL when
 * there is none. With tax == NULL: the first series of the jurisdiction,
 * i.e. non-NULL exactly when the jurisdiction is in the table. t may be NULL.
 */
const tax_series *tax_find(const tax_table *t, const char *jurisdiction, const char *tax);

/*
 * The entry in force on `day` (borrowed from t): the last one whose `from`
 * is on or before `day`. NULL when the jurisdiction or tax is unknown, when
 * `day` is before the first entry, or when t is NULL.
 */
const tax_rate_entry *tax_lookup(const tax_table *t, const char *jurisdiction, const char *tax,
                                 int32_t day);

#endif
