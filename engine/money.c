/*
 * money.c - exact money: decimal text -> int64 minor units, formatting,
 * checked arithmetic, decimal rates and the single rounding routine.
 *
 * No floating point. Parsing is one pass over the bytes with no allocation
 * and no locale: digits are folded into a uint64 as they come, trailing zeros
 * are only counted (so "1000000...000" or "0.5000...000" of any length never
 * overflows the accumulator), and the decimal point and the e/E exponent only
 * move a power-of-ten counter. The counter is applied once at the end, so an
 * absurd exponent ("1e999999") costs nothing and is just MONEY_OVERFLOW.
 *
 * Parsing decisions not spelled out in money.h:
 *   "1." is 1 and ".5" is 0.5; ".", "-", "()" and "" are MONEY_BAD;
 *   "-0" is 0; a sign inside accounting parentheses ("(-1)") is MONEY_BAD;
 *   blanks are ' ', '\t', '\r', '\n' (also allowed just inside parentheses);
 *   a dialect whose thousands char equals its decimal char has no thousands;
 *   a NULL dialect means '.' decimal, no thousands, no exponent;
 *   an exponent outside 0..18 is MONEY_BAD.
 * When the whole part does not fit, MONEY_OVERFLOW wins over MONEY_PRECISION
 * ("-9223372036854775808.5" with exponent 0 is MONEY_PRECISION; ".. 809.5" is
 * MONEY_OVERFLOW).
 */
#include <string.h>

#include "money.h"

#define MONEY_MAX_EXP 18   /* largest exponent / rate scale handled */
#define MP_MAX_SIG 19      /* significant digits that always fit a uint64 */
#define MP_EXP_CLAMP 1000000000 /* |e| beyond this changes nothing */

/* 10^0 .. 10^19, all exact in uint64. */
static const uint64_t pow10_u64[20] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
    100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
    10000000000000ULL, 100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
    100000000000000000ULL, 1000000000000000000ULL, 10000000000000000000ULL,
};

/* Reason code for exceptions.csv; static strings, never NULL. */
const char *money_status_code(money_status s)
{
    switch (s) {
    case MONEY_OK: return "ok";
    case MONEY_PRECISION: return "precision";
    case MONEY_OVERFLOW: return "overflow";
    case MONEY_BAD: break;
    }
    return "bad_amount";
}

/* ---------------------------------------------------------------- parsing */

/* Parser state for one call; lives on the caller's stack, owns nothing. */
typedef struct mp_parser {
    const char *p, *end;   /* unread bytes */
    char dec, sep;         /* decimal and thousands chars (sep 0 = none) */
    bool allow_exp;
    bool any;              /* a mantissa digit was seen */
    bool in_frac;          /* past the decimal separator */
    bool grouped;          /* a thousands separator was seen */
    int grp;               /* digits in the current group, saturating at 4 */
    uint64_t digits;       /* first MP_MAX_SIG significant digits */
    int64_t sig;           /* significant digits folded (may exceed MP_MAX_SIG) */
    int64_t zeros;         /* trailing zeros counted but not folded yet */
    int64_t frac;          /* digits after the decimal separator */
    int64_t exp10;         /* e/E exponent, clamped to +-MP_EXP_CLAMP*10 */
} mp_parser;

/* True for the blanks allowed around a number. */
static inline bool mp_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Narrows (s, n) to drop blanks at both ends; reads only inside the range. */
static inline void mp_trim(const char **s, size_t *n)
{
    while (*n && mp_blank(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && mp_blank((*s)[*n - 1]))
        (*n)--;
}

/*
 * Consumes a leading '+'/'-' or accounting parentheses around the whole text.
 * Sets *neg; returns false for "(", "(-1)" and other malformed wrappers.
 */
static bool mp_sign(const char **s, size_t *n, bool *neg)
{
    *neg = false;
    if (*n && **s == '(') {
        if (*n < 2 || (*s)[*n - 1] != ')')
            return false;
        (*s)++;
        *n -= 2;
        mp_trim(s, n);
        *neg = true;
        return !(*n && (**s == '+' || **s == '-'));
    }
    if (*n && (**s == '+' || **s == '-')) {
        *neg = **s == '-';
        (*s)++;
        (*n)--;
    }
    return true;
}

/* Sets up `m` to read s[0..n) in dialect `d` (NULL = plain '.'). */
static inline void mp_init(mp_parser *m, const char *s, size_t n, const money_dialect *d)
{
    memset(m, 0, sizeof *m);
    m->p = s;
    m->end = s + n;
    m->dec = d && d->decimal ? d->decimal : '.';
    m->sep = d && d->thousands != m->dec ? d->thousands : 0;
    m->allow_exp = d && d->allow_exp;
}

/*
 * Folds a non-zero digit, and the zeros counted before it, into the
 * accumulator. Past MP_MAX_SIG digits only the count grows (such a number is
 * too large or too precise); `digits` then keeps exactly the leading 19.
 */
static inline void mp_fold(mp_parser *m, unsigned dgt)
{
    int64_t sig = m->sig + m->zeros + 1;
    if (sig <= MP_MAX_SIG)
        m->digits = m->digits * pow10_u64[m->zeros + 1] + dgt;
    else if (m->sig < MP_MAX_SIG) /* crossing: the counted zeros fill the 19 */
        m->digits *= pow10_u64[MP_MAX_SIG - m->sig];
    m->sig = sig;
    m->zeros = 0;
}

/* Takes one mantissa digit; leading zeros are dropped, trailing ones counted. */
static inline void mp_digit(mp_parser *m, unsigned dgt)
{
    m->any = true;
    m->frac += m->in_frac;
    if (m->grp < 4)
        m->grp++;
    if (dgt)
        mp_fold(m, dgt);
    else if (m->sig)
        m->zeros++;
}

/* True when the integer part ends on a proper group (or used no grouping). */
static inline bool mp_group_closed(const mp_parser *m)
{
    return !m->grouped || m->in_frac || m->grp == 3;
}

/* Takes the decimal separator; false for a second one or a bad last group. */
static inline bool mp_point(mp_parser *m)
{
    if (m->in_frac || !mp_group_closed(m))
        return false;
    m->in_frac = true;
    return true;
}

/* Takes a thousands separator: the first group has 1-3 digits, later ones 3. */
static inline bool mp_separator(mp_parser *m)
{
    if (m->in_frac || m->grp == 0 || m->grp > 3 || (m->grouped && m->grp != 3))
        return false;
    m->grouped = true;
    m->grp = 0;
    return true;
}

/*
 * Reads the exponent after 'e'/'E' at m->p up to the end of the text: an
 * optional sign and at least one digit. The magnitude saturates, so any
 * number of digits is read in linear time without overflow.
 */
static money_status mp_exponent(mp_parser *m)
{
    const char *p = m->p + 1;
    bool neg = false;
    if (p < m->end && (*p == '+' || *p == '-'))
        neg = *p++ == '-';
    if (p == m->end)
        return MONEY_BAD;
    int64_t e = 0;
    for (; p < m->end; p++) {
        if (*p < '0' || *p > '9')
            return MONEY_BAD;
        if (e < MP_EXP_CLAMP)
            e = e * 10 + (*p - '0');
    }
    m->exp10 = neg ? -e : e;
    return MONEY_OK;
}

/* Takes a separator byte; false when `c` is not one or is misplaced. */
static inline bool mp_punct(mp_parser *m, char c)
{
    if (c == m->dec)
        return mp_point(m);
    return m->sep && c == m->sep && mp_separator(m);
}

/* Reads the mantissa and optional exponent; MONEY_BAD on any stray byte. */
static money_status mp_scan(mp_parser *m)
{
    for (; m->p < m->end; m->p++) {
        char c = *m->p;
        if (c >= '0' && c <= '9')
            mp_digit(m, (unsigned)(c - '0'));
        else if (!mp_punct(m, c))
            break;
    }
    if (!m->any || !mp_group_closed(m))
        return MONEY_BAD;
    if (m->p == m->end)
        return MONEY_OK;
    if (m->allow_exp && (*m->p == 'e' || *m->p == 'E'))
        return mp_exponent(m);
    return MONEY_BAD;
}

/*
 * Turns the scanned number into a magnitude in units of 10^-exponent.
 * The value is digits * 10^k; its leading digit sits at 10^(sig-1+k).
 * A too-precise value whose whole part has 19 digits may still overflow:
 * then `digits` is exactly that whole part (sig > 19); compare it with the
 * limit for the sign.
 */
static money_status mp_value(const mp_parser *m, int exponent, bool neg, uint64_t *mag)
{
    if (m->sig == 0) {
        *mag = 0;
        return MONEY_OK;
    }
    int64_t k = m->zeros - m->frac + exponent + m->exp10;
    int64_t lead = m->sig - 1 + k;
    if (lead >= MP_MAX_SIG)
        return MONEY_OVERFLOW;
    if (k < 0) /* the last significant digit is non-zero and below the unit */
        return lead == MP_MAX_SIG - 1 && m->digits > (uint64_t)INT64_MAX + neg
                   ? MONEY_OVERFLOW
                   : MONEY_PRECISION;
    *mag = m->digits * pow10_u64[k]; /* sig + k <= 19 digits: exact */
    return MONEY_OK;
}

/* Applies the sign; the negative side reaches exactly INT64_MIN. */
static money_status mp_store(uint64_t mag, bool neg, int64_t *out)
{
    if (mag > (uint64_t)INT64_MAX + neg)
        return MONEY_OVERFLOW;
    if (neg)
        *out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    else
        *out = (int64_t)mag;
    return MONEY_OK;
}

/*
 * Parses s[0..n) as described in money.h. Allocates nothing; leaves *out
 * untouched unless the result is MONEY_OK.
 */
money_status money_parse(const char *s, size_t n, const money_dialect *d, int exponent,
                         int64_t *out)
{
    bool neg;
    mp_parser m;
    uint64_t mag;
    if (!s || exponent < 0 || exponent > MONEY_MAX_EXP)
        return MONEY_BAD;
    mp_trim(&s, &n);
    if (!mp_sign(&s, &n, &neg))
        return MONEY_BAD;
    mp_init(&m, s, n, d);
    money_status st = mp_scan(&m);
    if (st == MONEY_OK)
        st = mp_value(&m, exponent, neg, &mag);
    return st == MONEY_OK ? mp_store(mag, neg, out) : st;
}

/* ------------------------------------------------------------- formatting */

/*
 * Writes `v` in major units (see money.h). An exponent outside 0..18 is
 * clamped into that range. Writes at most 22 bytes including the NUL.
 */
size_t money_format(int64_t v, int exponent, char *buf)
{
    char rev[MONEY_FMT_MAX];
    size_t i = 0, n = 0;
    int e = exponent < 0 ? 0 : exponent > MONEY_MAX_EXP ? MONEY_MAX_EXP : exponent;
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        rev[i++] = (char)('0' + mag % 10);
        mag /= 10;
    } while (mag || i <= (size_t)e);
    if (v < 0)
        buf[n++] = '-';
    while (i > 0) {
        buf[n++] = rev[--i];
        if (i == (size_t)e && e)
            buf[n++] = '.';
    }
    buf[n] = 0;
    return n;
}

/* ------------------------------------------------------------- arithmetic */

/* a + b into *out; false (out untouched) on overflow. */
bool money_add(int64_t a, int64_t b, int64_t *out)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return false;
    *out = r;
    return true;
}

/* a - b into *out; false (out untouched) on overflow. */
bool money_sub(int64_t a, int64_t b, int64_t *out)
{
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r))
        return false;
    *out = r;
    return true;
}

/* a * b into *out; false (out untouched) on overflow. */
bool money_mul_int(int64_t a, int64_t b, int64_t *out)
{
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r))
        return false;
    *out = r;
    return true;
}

/* --------------------------------------------------------------- rounding */

static const char *const round_names[] = {
    "half_even", "half_up", "down", "up", "floor", "ceiling",
};

#define ROUND_COUNT (int)(sizeof round_names / sizeof round_names[0])

/* Mode for a config/rule name; -1 when unknown or NULL. */
int round_mode_from_name(const char *name)
{
    for (int i = 0; name && i < ROUND_COUNT; i++)
        if (strcmp(name, round_names[i]) == 0)
            return i;
    return -1;
}

/* Name of a mode (static string); out-of-range modes read as "half_even". */
const char *round_mode_name(round_mode m)
{
    return (int)m >= 0 && (int)m < ROUND_COUNT ? round_names[m] : round_names[0];
}

/* 10^k as a 128-bit integer for 0 <= k <= 38 (10^38 < 2^127). */
static __int128 rd_pow10(int k)
{
    if (k <= 19)
        return (__int128)pow10_u64[k];
    return (__int128)pow10_u64[19] * (__int128)pow10_u64[k - 19];
}

/*
 * The step (-1, 0 or +1) that rounds the truncated quotient `q` given the
 * remainder `r` (same sign as the dividend) and `half`, the sign of
 * |r| - divisor/2. Unknown modes behave as ROUND_HALF_EVEN.
 */
static int rd_step(__int128 q, __int128 r, int half, round_mode mode)
{
    int away = r < 0 ? -1 : 1;
    if (r == 0)
        return 0;
    switch (mode) {
    case ROUND_DOWN: return 0;
    case ROUND_UP: return away;
    case ROUND_FLOOR: return r < 0 ? -1 : 0;
    case ROUND_CEILING: return r > 0 ? 1 : 0;
    case ROUND_HALF_UP: return half >= 0 ? away : 0;
    case ROUND_HALF_EVEN: break;
    }
    return half > 0 || (half == 0 && q % 2 != 0) ? away : 0;
}

/*
 * num / 10^p rounded with `mode`, for p >= 1. With p > 38 the divisor exceeds
 * every int128, so the quotient is 0 and the remainder is below one half.
 */
static __int128 rd_divide(__int128 num, int p, round_mode mode)
{
    if (p > 38)
        return rd_step(0, num, -1, mode);
    __int128 div = rd_pow10(p);
    __int128 q = num / div, r = num % div;
    __int128 ar = r < 0 ? -r : r;
    int half = ar > div - ar ? 1 : ar == div - ar ? 0 : -1;
    return q + rd_step(q, r, half, mode);
}

/* num * 10^k into *q for k >= 0; false when it does not fit in int128. */
static bool rd_scale_up(__int128 num, int k, __int128 *q)
{
    if (num == 0) {
        *q = 0;
        return true;
    }
    if (k > 38)
        return false;
    return !__builtin_mul_overflow(num, rd_pow10(k), q);
}

/*
 * num / 10^div_pow10 rounded with `mode`; a negative div_pow10 multiplies
 * instead (exactly, no rounding). MONEY_OVERFLOW (out untouched) when the
 * result does not fit int64.
 */
money_status money_round_div_pow10(__int128 num, int div_pow10, round_mode mode, int64_t *out)
{
    __int128 q;
    if (div_pow10 > 0)
        q = rd_divide(num, div_pow10, mode);
    else if (!rd_scale_up(num, -div_pow10, &q))
        return MONEY_OVERFLOW;
    if (q < INT64_MIN || q > INT64_MAX)
        return MONEY_OVERFLOW;
    *out = (int64_t)q;
    return MONEY_OK;
}

/* True when 0 <= e <= 18 (a usable exponent or scale). */
static inline bool rd_exp_ok(int e)
{
    return e >= 0 && e <= MONEY_MAX_EXP;
}

/*
 * amount * rate rounded to the amount's minor unit. MONEY_BAD for a scale
 * outside 0..18, MONEY_OVERFLOW when the result does not fit.
 */
money_status money_mul_rate(int64_t amount, decimal_rate rate, round_mode mode, int64_t *out)
{
    if (!rd_exp_ok(rate.scale))
        return MONEY_BAD;
    return money_round_div_pow10((__int128)amount * rate.num, rate.scale, mode, out);
}

/*
 * amount (10^-from_exp units) * rate -> 10^-to_exp units, one rounding:
 * amount * num * 10^to_exp / 10^(scale + from_exp). |amount * num| < 2^126,
 * so only the power of ten can overflow, and that is checked. MONEY_BAD for
 * an exponent or scale outside 0..18.
 */
money_status money_convert(int64_t amount, int from_exp, decimal_rate rate, int to_exp,
                           round_mode mode, int64_t *out)
{
    if (!rd_exp_ok(from_exp) || !rd_exp_ok(to_exp) || !rd_exp_ok(rate.scale))
        return MONEY_BAD;
    int p = rate.scale + from_exp - to_exp;
    return money_round_div_pow10((__int128)amount * rate.num, p, mode, out);
}

/* ------------------------------------------------------------------ rates */

/*
 * Splits a trailing '%' (blanks allowed before it) off s[0..*n).
 * Returns true when there was one.
 */
static bool rt_percent(const char *s, size_t *n)
{
    if (!*n || s[*n - 1] != '%')
        return false;
    (*n)--;
    mp_trim(&s, n); /* s has no leading blanks here, so only the end moves */
    return true;
}

/* True when digits * 10^z fits int64 (digits has `sig` <= 19 digits). */
static bool rt_fits(uint64_t digits, int64_t sig, int64_t z)
{
    return sig + z <= MP_MAX_SIG && digits <= (uint64_t)INT64_MAX / pow10_u64[z];
}

/*
 * Builds num/scale from a scanned number. Trailing zeros are kept as written
 * unless dropping some is needed to bring the scale to 18 or num into int64.
 */
static money_status rt_build(const mp_parser *m, int64_t scale, decimal_rate *r)
{
    if (m->sig == 0) {
        *r = (decimal_rate){0, 0};
        return MONEY_OK;
    }
    int64_t tmax = m->zeros < scale ? m->zeros : scale;
    int64_t t = scale > MONEY_MAX_EXP ? scale - MONEY_MAX_EXP : 0;
    if (t > tmax)
        return MONEY_PRECISION;
    if (m->sig > MP_MAX_SIG)
        return MONEY_OVERFLOW;
    if (t < m->sig + m->zeros - MP_MAX_SIG)
        t = m->sig + m->zeros - MP_MAX_SIG;
    for (; t <= tmax; t++) {
        if (rt_fits(m->digits, m->sig, m->zeros - t)) {
            *r = (decimal_rate){(int64_t)(m->digits * pow10_u64[m->zeros - t]), (int)(scale - t)};
            return MONEY_OK;
        }
    }
    return MONEY_OVERFLOW;
}

/*
 * Parses a rate (see money.h): optional sign, digits with at most one '.',
 * optional '%' (scale + 2). No thousands separators, no exponent. Leaves
 * *out untouched unless MONEY_OK.
 */
money_status rate_parse(const char *s, size_t n, decimal_rate *out)
{
    bool neg;
    mp_parser m;
    decimal_rate r;
    if (!s)
        return MONEY_BAD;
    mp_trim(&s, &n);
    bool pct = rt_percent(s, &n);
    if (n && *s == '(')
        return MONEY_BAD;
    if (!mp_sign(&s, &n, &neg))
        return MONEY_BAD;
    mp_init(&m, s, n, NULL);
    money_status st = mp_scan(&m);
    if (st == MONEY_OK)
        st = rt_build(&m, m.frac + (pct ? 2 : 0), &r);
    if (st != MONEY_OK)
        return st;
    out->num = neg ? -r.num : r.num;
    out->scale = r.scale;
    return MONEY_OK;
}
