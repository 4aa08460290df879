/*
 * txn.h - the canonical transaction every partner drop is normalised into
 * (SPEC section 4), and the reason codes of rejected rows.
 */
#ifndef SETTLE_TXN_H
#define SETTLE_TXN_H

#include <stdint.h>

#include "util.h"

typedef enum tx_type {
    TX_BET = 0,
    TX_WIN,
    TX_REFUND,
    TX_WIN_REVERSAL,
    TX_BONUS,
    TX_JACKPOT_CONTRIBUTION,
    TX_JACKPOT_WIN,
    TX_PURCHASE,
    TX_ADJUSTMENT,
    TX_TYPE_COUNT
} tx_type;

/* "bet", "win", ... ; NULL for out-of-range. */
const char *tx_type_name(tx_type t);
/* Canonical name -> type, or -1. */
int tx_type_from_name(const char *s, size_t n);

/* Reason codes for rejected rows; text in reject_code_name(). */
typedef enum reject_code {
    REJ_MISSING_FIELD = 0,
    REJ_BAD_AMOUNT,
    REJ_PRECISION,
    REJ_OVERFLOW,
    REJ_BAD_TIME,
    REJ_UNKNOWN_TYPE,
    REJ_UNKNOWN_CURRENCY,
    REJ_DUPLICATE_CONFLICT,
    REJ_FIELD_TOO_LONG,
    REJ_BAD_ROW,       /* wrong number of columns, unterminated quote, ... */
    REJ_BAD_ENCODING,  /* reserved: a file not in its encoding is quarantined whole */
    REJ_CURRENCY_MISMATCH, /* reserved */
    REJ_SKIPPED_BY_RULE,
    REJ_UNKNOWN_PARTNER,   /* a ledger row whose fields.partner maps to no partner */
    REJ_CODE_COUNT
} reject_code;

const char *reject_code_name(reject_code c);

/*
 * A transaction after normalisation. Slices borrow from the reader's row
 * buffer and are valid only during the row callback.
 */
typedef struct txn {
    slice id, round, player, game, category;
    int64_t instant;   /* UTC seconds */
    int32_t day;       /* business day (days since epoch) */
    tx_type type;
    int64_t amount;    /* minor units of `currency` */
    int currency;      /* index into the currency intern table of the run */
    uint64_t line;     /* 1-based line in the source file where the row starts */
    int32_t owner;     /* a ledger row's partner (index into settle_config.partners); -1 in
                          a partner's drop */
} txn;

#endif
