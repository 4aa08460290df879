/*
 * txn.c - names of canonical transaction types and reject reason codes.
 */
#include <string.h>

#include "txn.h"

static const char *const tx_type_names[TX_TYPE_COUNT] = {
    "bet", "win", "refund", "win_reversal", "bonus",
    "jackpot_contribution", "jackpot_win", "purchase", "adjustment",
};

static const char *const reject_names[REJ_CODE_COUNT] = {
    "missing_field", "bad_amount", "precision", "overflow", "bad_time",
    "unknown_type", "unknown_currency", "duplicate_conflict", "field_too_long",
    "bad_row", "bad_encoding", "currency_mismatch", "skipped_by_rule", "unknown_partner",
};

/* Returns the canonical name of `t`, or NULL when out of range. */
const char *tx_type_name(tx_type t)
{
    return (unsigned)t < TX_TYPE_COUNT ? tx_type_names[t] : NULL;
}

/*
 * Looks a canonical type name up; returns its tx_type or -1. "rollback" is
 * accepted as an alias of "refund" (a rolled-back bet returns the stake), as
 * the SPEC's sample config uses it.
 */
int tx_type_from_name(const char *s, size_t n)
{
    for (int i = 0; i < TX_TYPE_COUNT; i++)
        if (strlen(tx_type_names[i]) == n && memcmp(tx_type_names[i], s, n) == 0)
            return i;
    if (n == 8 && memcmp(s, "rollback", 8) == 0)
        return TX_REFUND;
    return -1;
}

/* Returns the reason code text written to exceptions.csv. */
const char *reject_code_name(reject_code c)
{
    return (unsigned)c < REJ_CODE_COUNT ? reject_names[c] : "unknown";
}
