/*
 * money.h - exact money: ISO 4217 exponents, parsing decimal text into int64
 * minor units, formatting, checked arithmetic, decimal rates and rounding.
 *
 * No floating point anywhere in this module. Every amount is a signed 64-bit
 * count of the currency's minor unit; every result that would not fit is
 * MONEY_OVERFLOW, never a wrapped value. Intermediate products use 128-bit
 * integers.
 */
#ifndef SETTLE_MONEY_H
#define SETTLE_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum money_status {
    MONEY_OK = 0,
    MONEY_BAD,       /* not a number in this dialect ("bad_amount") */
    MONEY_PRECISION, /* more fractional digits than the exponent allows, non-zero */
    MONEY_OVERFLOW   /* does not fit in int64 minor units */
} money_status;

/* Reason code used in exceptions.csv for a status ("bad_amount", ...). */
const char *money_status_code(money_status s);

/*
 * Exponent (number of minor-unit digits) of an ISO 4217 alphabetic code, e.g.
 * KRW 0, EUR 2, KWD 3, CLF 4. Codes are matched case-sensitively upper case
 * after trimming. Returns -1 for an unknown code. The table is the full ISO
 * 4217 list of active codes plus funds/precious-metal codes (XAU etc. -> -1
 * since they have no minor unit: treated as unknown for money).
 */
int currency_exponent(const char *code, size_t n);

/* How a partner writes numbers. */
typedef struct money_dialect {
    char decimal;     /* '.' or ',' */
    char thousands;   /* 0 for none, or ',', '.', ' ', '\'' */
    bool allow_exp;   /* accept e/E exponent notation (JSON numbers) */
} money_dialect;

/*
 * Parses decimal text into minor units with `exponent` fractional digits.
 * Accepts: surrounding blanks, one leading '+' or '-', accounting negatives
 * "(12.34)", thousands separators only between digit groups of three, at most
 * one decimal separator, optional exponent when allowed ("1.5e3", "-1E-2").
 * Excess fractional digits are accepted only when they are all zero
 * ("12.3400" for EUR); otherwise MONEY_PRECISION. Empty text is MONEY_BAD.
 * Never reads past s[n-1]; `s` need not be NUL-terminated.
 */
money_status money_parse(const char *s, size_t n, const money_dialect *d, int exponent,
                         int64_t *out);

/*
 * Writes `v` minor units as a decimal string in major units with exactly
 * `exponent` fractional digits and '.' as separator: 123450,2 -> "1234.50",
 * -5,2 -> "-0.05", 7,0 -> "7". `buf` must hold at least MONEY_FMT_MAX bytes.
 * Returns the length written (excluding NUL).
 */
#define MONEY_FMT_MAX 32
size_t money_format(int64_t v, int exponent, char *buf);

/* Checked arithmetic: return false (and leave *out untouched) on overflow. */
bool money_add(int64_t a, int64_t b, int64_t *out);
bool money_sub(int64_t a, int64_t b, int64_t *out);
bool money_mul_int(int64_t a, int64_t b, int64_t *out);

typedef enum round_mode {
    ROUND_HALF_EVEN = 0, /* banker's rounding; the default */
    ROUND_HALF_UP,       /* ties away from zero */
    ROUND_DOWN,          /* toward zero (truncate) */
    ROUND_UP,            /* away from zero */
    ROUND_FLOOR,         /* toward negative infinity */
    ROUND_CEILING        /* toward positive infinity */
} round_mode;

/* "half_even", "half_up", "down", "up", "floor", "ceiling" -> mode; -1 if unknown. */
int round_mode_from_name(const char *name);
const char *round_mode_name(round_mode m);

/*
 * An exact decimal rate: value = num / 10^scale, 0 <= scale <= 18.
 * "12%" -> {12, 2}; "12.5%" -> {125, 3}; "0.035" -> {35, 3}; "1350.25" -> {135025, 2}.
 */
typedef struct decimal_rate {
    int64_t num;
    int scale;
} decimal_rate;

/*
 * Parses a rate from text: plain decimal ("0.035", "1350.25", "-0.5") or a
 * percentage ("12%", "12.5 %"). '.' is the decimal separator. Returns
 * MONEY_BAD for malformed text, MONEY_PRECISION when it needs a scale above 18,
 * MONEY_OVERFLOW when num does not fit.
 */
money_status rate_parse(const char *s, size_t n, decimal_rate *out);

/*
 * Divides the 128-bit value `num` by 10^`div_pow10` and rounds with `mode`.
 * The building block for every rounding in settle. Returns MONEY_OVERFLOW if the
 * result does not fit in int64, else MONEY_OK.
 */
money_status money_round_div_pow10(__int128 num, int div_pow10, round_mode mode, int64_t *out);

/* amount * rate, rounded to the amount's minor unit with `mode`. */
money_status money_mul_rate(int64_t amount, decimal_rate rate, round_mode mode, int64_t *out);

/*
 * Converts `amount` in a currency of exponent `from_exp` to a currency of
 * exponent `to_exp` at `rate` (units of target per one unit of source, in
 * major units), rounding once with `mode`.
 * Example: 1000 (=10.00 EUR, exp 2) at 1450.5 KRW/EUR (exp 0) -> 14505.
 */
money_status money_convert(int64_t amount, int from_exp, decimal_rate rate, int to_exp,
                           round_mode mode, int64_t *out);

#endif
