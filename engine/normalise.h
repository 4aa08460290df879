/*
 * normalise.h - turns a reader's row into canonical transactions using the
 * partner's `fields:` mapping (SPEC section 4), or says exactly why not.
 *
 * A normaliser is made once per partner and reused for every file; the
 * column positions are resolved from each file's header (or taken from the
 * column numbers when there is none).
 */
#ifndef SETTLE_NORMALISE_H
#define SETTLE_NORMALISE_H

#include <stddef.h>

#include "config.h"
#include "decsum.h"
#include "ingest.h"
#include "strmap.h"
#include "tz.h"
#include "txn.h"

typedef struct normaliser normaliser;

/*
 * `pc` and the zones are borrowed and must outlive the normaliser;
 * `currencies` (borrowed) interns currency codes into txn.currency ids.
 */
normaliser *normaliser_new(const partner_config *pc, const tz_zone *partner_zone,
                           const tz_zone *business_zone, int32_t day_start, strmap *currencies);
void normaliser_free(normaliser *n);

/*
 * Makes the normaliser read a ledger's rows: fields.partner (SLOT_PARTNER) is
 * mapped through the ledger's owners, or taken as a partner id when it has
 * none, into txn.owner and norm_reject.owner; a row whose value maps to no
 * partner is rejected as unknown_partner (before any check but the row's
 * shape). `cfg` and `lc` are borrowed. Without this call every owner is -1.
 */
void normaliser_set_owners(normaliser *n, const settle_config *cfg, const ledger_config *lc);

/*
 * Prepares for a new file. With a header row, maps every named field to its
 * column; a named field missing from the header makes the file unusable:
 * returns -1 with "column 'Amount' (fields.amount) not in header". Without a
 * header (hdr NULL) column numbers are used as configured.
 */
int normaliser_start_file(normaliser *n, const ingest_row *hdr, char *err, size_t errlen);

typedef struct norm_reject {
    reject_code code;
    char detail[200];   /* "Amount: '12,3x' is not a number" */
    int32_t day;        /* business day when the time was readable, else INT32_MIN */
    slice id;           /* the row's id text when present */
    int32_t owner;      /* a ledger row's partner when known, else -1 */
} norm_reject;

/*
 * Normalises one data row into out[0..*n_out) (at most TX_TYPE_COUNT; more
 * than one only with `amounts:`). Returns 0, or -1 with *rej filled when the
 * row is rejected as a whole. Slices in out borrow from the row and from the
 * normaliser (composed ids) until the next call.
 */
int normalise_row(normaliser *n, const ingest_row *row, txn *out, size_t *n_out, norm_reject *rej);

/*
 * Control totals of a file (control: in the partner config): rows seen and
 * the exact sum of the amount field(s) as written.
 */
typedef struct control_sum {
    int64_t rows;
    decsum total;          /* sum of the readable amounts */
    int64_t unreadable;    /* amount fields that do not read as a number */
} control_sum;

/*
 * Counts a data row into *sum and adds its amount field(s) (every amounts:
 * column) read in the partner's number format. Needs normaliser_start_file.
 */
void normaliser_control_add(const normaliser *n, const ingest_row *row, control_sum *sum);

/* Exponent of the currency interned as id `cur` (cached). */
int normaliser_exponent(const normaliser *n, int cur);

#endif
