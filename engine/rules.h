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
#include "fx.h"
#include "statement.h"
#include "tax.h"
#include "txn.h"
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

/*
 * The per-transaction hook `transaction(tx, params)` of a rule file. It is
 * called once per canonical transaction while a file is read, before dedup
 * and summing. A batch (rules_tx_begin .. rules_tx_end) covers one file: the
 * hook, one read-only `tx` view (its fields are read from the running call's
 * rules_tx_in on demand; nothing is built per row) and params stay on the Lua
 * stack. Each call runs under the sandbox limits, each with a full budget.
 * Nothing else may use the engine inside a batch.
 *
 * The hook returns: nothing, nil or true to keep the transaction; false and
 * a reason to skip it (a skipped_by_rule reject); a canonical type name to
 * reclassify it; optionally followed by a bucket name, which replaces its
 * category (the settle function sees it in p.by_category[bucket]); or a
 * table { type = , bucket = , skip = "reason" } for the same.
 */
typedef struct rules_tx_in {
    slice id, game, category, player, round;
    const char *currency;
    tx_type type;
    int64_t amount;        /* minor units of currency */
    int64_t instant;       /* UTC seconds */
    int32_t day;           /* business day */
} rules_tx_in;

typedef struct rules_tx_out {
    bool skip;
    char reason[160];      /* skip: why ("skipped by rule" when none given) */
    int type;              /* new canonical type, or -1 */
    char bucket[65];       /* new category, or "" */
} rules_tx_out;

/* True when the partner's loaded rule defines a transaction hook. */
bool rules_has_tx_hook(rules_engine *re, const char *partner_id);
/* Starts a batch for the partner. 0, or -1 with the message in *errmsg (caller frees). */
int rules_tx_begin(rules_engine *re, const char *partner_id, const param *params, char **errmsg);
/*
 * Calls the hook for one transaction. `in` and its strings are borrowed for
 * the call only (tx reads them while the hook runs). 0 with *out filled, or
 * -1 with "file:line: message" in *errmsg (caller frees); after -1 the batch
 * is over.
 */
int rules_tx_call(rules_engine *re, const rules_tx_in *in, rules_tx_out *out, char **errmsg);
/* Ends the batch (safe after a failed call). */
void rules_tx_end(rules_engine *re);

/* Gives rules money.convert over this rates table (borrowed; NULL: none). */
void rules_set_fx(rules_engine *re, const fx_table *fx);

#endif
