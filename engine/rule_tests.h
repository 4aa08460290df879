/*
 * rule_tests.h - data-driven rule tests run by `settle check` (SPEC section 5).
 *
 * A test file is YAML in the `tests/` folder beside the rule files
 * (rules/tests/NAME.yaml). Each case names a rule file, its params, the period's
 * aggregates as the rule sees them in `p`, and the statement it must return
 * (lines, payable, carry_out) or a fragment of the error it must raise. The
 * format is described in docs/operators-guide.md ("Testing a rule").
 */
#ifndef SETTLE_RULE_TESTS_H
#define SETTLE_RULE_TESTS_H

#include "config.h"
#include "tax.h"
#include "util.h"

/*
 * Runs every case of every .yaml / .yml file in the `tests/` folder beside
 * each partner's rule file (each folder once, files in name order), each
 * case in a fresh rule environment of its own engine. Rules see `tax` (the
 * config's table, borrowed, may be NULL) unless a test file names its own
 * with `tax: { tables: ... }`. Writes nothing.
 *
 * Adds to `d` one "file:line: case 'name': ..." message per mismatch (line
 * of the case), "file:line:col: message" per problem in a test file, and a
 * closing "rule tests: N failed, N passed" when a case failed. Sets *passed
 * and *failed to the number of cases run. Returns 0 when every case passed
 * and every test file was valid, -1 otherwise.
 */
int rule_tests_run(const settle_config *cfg, const tax_table *tax, diag *d, int *passed,
                   int *failed);

#endif
