/*
 * decsum.h - exact sums of decimal numbers written as text, of any size a
 * partner may declare: control totals compare the sum of an amount column
 * with a figure from a trailer or manifest, and neither may be cut to int64.
 *
 * A decsum holds magnitudes up to 10^81 with 27 decimal places, as separate
 * positive and negative parts (additions only; compared at the end). Plain
 * value type: no allocation, copy freely.
 */
#ifndef SETTLE_DECSUM_H
#define SETTLE_DECSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DECSUM_LIMBS 12   /* base 10^9 */
#define DECSUM_FRAC 3     /* limbs below the decimal point: 27 places */

typedef struct decsum {
    uint32_t pos[DECSUM_LIMBS], neg[DECSUM_LIMBS];
} decsum;

/* How a number is written: decimal separator, thousands separator (0 none), exponent allowed. */
typedef struct decsum_format {
    char decimal, thousands;
    bool allow_exp;
} decsum_format;

/*
 * Adds the number written in s[0..n) (sign or parentheses, digits, optional
 * grouping, decimal part, exponent when allowed) to *d. Returns 0, or -1
 * when the text is not a number or is out of range (*d unchanged).
 */
int decsum_add_text(decsum *d, const char *s, size_t n, const decsum_format *f);

/* True when both sums have the same value. */
bool decsum_equal(const decsum *a, const decsum *b);

/* The value as plain decimal text ("-1234.50": trailing zeros cut, at least 2 places). */
void decsum_text(const decsum *d, char *out, size_t cap);

#endif
