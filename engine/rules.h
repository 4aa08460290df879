/*
 * rules.h - settlement rules in Lua 5.4, run in a sandbox (SPEC section 5).
 *
 * One Lua state per run; each rule file is compiled from text (never
 * bytecode) into its own environment that holds only base (safe subset),
 * string, table, math, utf8, the `money` library and the read-only `tax`
 * library (rates from the tax table). Money crosses into Lua as integers in
 * minor units; any float returned where money is expected is a
 * rule error naming the file and line.
 */
#ifndef SETTLE_RULES_H
#define SETTLE_RULES_H

#include <stddef.h>

#include "config.h"
#include "statement.h"
#include "tax.h"
#include "util.h"

typedef struct rules_engine rules_engine;

/* Opens the Lua state. Never NULL (out of memory exits, see util.h). */
rules_engine *rules_open(void);
void rules_close(rules_engine *re);

/*
 * Gives rules the tax table behind tax.rate / tax.apply. `t` is borrowed: it
 * must outlive the engine (or be replaced first). NULL (the default) means no
 * tax table is configured: those calls raise a rule error saying so. Call it
 * before rules_load, as top-level rule code may already look up rates.
 */
void rules_set_tax(rules_engine *re, const tax_table *t);

/*
 * Compiles rule file `path` for partner `partner_id` (text only) and runs its
 * chunk, which must return a table with a `settle` function (and optionally
 * `transaction`). On failure adds "path:line: message" to `d` and returns -1.
 * Loading the same path for several partners compiles it once per partner.
 * Records the file's SHA-256 (hex) in sha256_hex.
 */
int rules_load(rules_engine *re, const char *partner_id, const char *path, char sha256_hex[65],
               diag *d);

/*
 * Calls settle(p, params) for the loaded partner with p built from st->agg
 * and params from the partner config. On success fills st->lines, payable and
 * carry_out and returns 0. On a rule error (runtime error, limit exceeded,
 * bad return shape, float money) returns -1 with "file:line: message" and a
 * traceback in *errmsg (caller frees); st is left without lines.
 */
int rules_settle(rules_engine *re, const char *partner_id, const param *params, statement *st,
                 char **errmsg);

#endif
