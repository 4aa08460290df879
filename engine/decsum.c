/*
 * decsum.c - the exact decimal sums of decsum.h: a number is read into
 * (digits, power of ten) and each digit added at its place.
 */
#include <string.h>

#include "decsum.h"

#define DS_BASE 1000000000u
#define DS_MAX_POW (9 * (DECSUM_LIMBS - DECSUM_FRAC)) /* first place too big */
#define DS_MIN_POW (-9 * DECSUM_FRAC)                 /* smallest place kept */
#define DS_MAX_DIGITS 200

/* A number taken apart: its digits (most significant first) times 10^exp. */
typedef struct ds_num {
    char digits[DS_MAX_DIGITS];
    int n, exp;
    bool neg;
} ds_num;

/* Adds digit `v` at decimal place `pow` to magnitude m (carry propagated). */
static void ds_add_digit(uint32_t *m, int pow, uint32_t v)
{
    int place = pow - DS_MIN_POW, limb = place / 9;
    static const uint32_t p10[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                    100000000};
    uint64_t carry = (uint64_t)v * p10[place % 9];
    for (; carry && limb < DECSUM_LIMBS; limb++) {
        carry += m[limb];
        m[limb] = (uint32_t)(carry % DS_BASE);
        carry /= DS_BASE;
    }
}

/* Reads an optional sign: "-", "+" or an opening parenthesis. */
static const char *ds_sign(const char *p, const char *e, ds_num *x, bool *paren)
{
    *paren = p < e && *p == '(';
    x->neg = *paren || (p < e && *p == '-');
    return p + (p < e && (*p == '(' || *p == '-' || *p == '+'));
}

/* True when a digit group of `len` is valid before a separator or the point:
 * the first group 1-3 digits, each later one exactly 3 (as money.c reads them). */
static bool ds_group_ok(int len, int seps)
{
    return seps == 0 ? len >= 1 && len <= 3 : len == 3;
}

/*
 * Reads digits, thousands separators (in groups of three, integer part only)
 * and one decimal point into x. Returns where it stopped; *ok false when
 * there were no digits or the grouping is wrong.
 */
static const char *ds_digits(const char *p, const char *e, ds_num *x, const decsum_format *f,
                             bool *ok)
{
    bool dot = false, any = false;
    int group = 0, seps = 0;
    *ok = false;
    for (; p < e; p++) {
        if (*p >= '0' && *p <= '9') {
            if (x->n == DS_MAX_DIGITS)
                return p;
            x->digits[x->n++] = *p;
            x->exp -= dot;
            any = true;
            group += !dot;
        } else if (*p == f->decimal && !dot) {
            if (seps && !ds_group_ok(group, seps))
                return p;
            dot = true;
        } else if (f->thousands && *p == f->thousands && !dot) {
            if (!ds_group_ok(group, seps++))
                return p;
            group = 0;
        } else {
            break;
        }
    }
    *ok = any && (dot || !seps || ds_group_ok(group, seps));
    return p;
}

/* Reads an exponent "e-3" into x->exp. The end reached, or NULL when malformed. */
static const char *ds_exponent(const char *p, const char *e, ds_num *x)
{
    p++;
    bool neg = p < e && *p == '-';
    p += p < e && (*p == '-' || *p == '+');
    int v = 0, nd = 0;
    for (; p < e && *p >= '0' && *p <= '9'; p++, nd++)
        v = v < 1000 ? v * 10 + (*p - '0') : v;
    if (!nd)
        return NULL;
    x->exp += neg ? -v : v;
    return p;
}

/* Parses s[0..n) into x. 0, or -1 when it is not a number. */
static int ds_parse(const char *s, size_t n, const decsum_format *f, ds_num *x)
{
    const char *p = s, *e = s + n;
    bool paren, ok;
    memset(x, 0, sizeof *x);
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    p = ds_sign(p, e, x, &paren);
    p = ds_digits(p, e, x, f, &ok);
    if (ok && p < e && f->allow_exp && (*p == 'e' || *p == 'E'))
        p = ds_exponent(p, e, x);
    if (ok && p && paren && p < e && *p == ')')
        p++;
    return ok && p == e ? 0 : -1;
}

int decsum_add_text(decsum *d, const char *s, size_t n, const decsum_format *f)
{
    ds_num x;
    if (ds_parse(s, n, f, &x) != 0)
        return -1;
    for (int i = 0; i < x.n; i++) { /* range check first: *d stays unchanged on error */
        int pow = x.exp + (x.n - 1 - i);
        if (x.digits[i] != '0' && (pow < DS_MIN_POW || pow >= DS_MAX_POW - 1))
            return -1;
    }
    uint32_t *m = x.neg ? d->neg : d->pos;
    for (int i = 0; i < x.n; i++)
        if (x.digits[i] != '0')
            ds_add_digit(m, x.exp + (x.n - 1 - i), (uint32_t)(x.digits[i] - '0'));
    return 0;
}

/* Compares magnitudes: <0, 0, >0. */
static int ds_cmp(const uint32_t *a, const uint32_t *b)
{
    for (int i = DECSUM_LIMBS; i-- > 0;)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

/* r = a + b (magnitudes; no overflow within the range check). */
static void ds_sum(const uint32_t *a, const uint32_t *b, uint32_t *r)
{
    uint64_t carry = 0;
    for (int i = 0; i < DECSUM_LIMBS; i++) {
        carry += (uint64_t)a[i] + b[i];
        r[i] = (uint32_t)(carry % DS_BASE);
        carry /= DS_BASE;
    }
}

bool decsum_equal(const decsum *a, const decsum *b)
{
    uint32_t l[DECSUM_LIMBS], r[DECSUM_LIMBS]; /* a.pos - a.neg == b.pos - b.neg */
    ds_sum(a->pos, b->neg, l);
    ds_sum(b->pos, a->neg, r);
    return ds_cmp(l, r) == 0;
}

/* r = a - b for a >= b (magnitudes). */
static void ds_sub(const uint32_t *a, const uint32_t *b, uint32_t *r)
{
    int64_t borrow = 0;
    for (int i = 0; i < DECSUM_LIMBS; i++) {
        int64_t v = (int64_t)a[i] - b[i] - borrow;
        borrow = v < 0;
        r[i] = (uint32_t)(v < 0 ? v + DS_BASE : v);
    }
}

void decsum_text(const decsum *d, char *out, size_t cap)
{
    uint32_t m[DECSUM_LIMBS];
    bool neg = ds_cmp(d->pos, d->neg) < 0;
    ds_sub(neg ? d->neg : d->pos, neg ? d->pos : d->neg, m);
    char digits[9 * DECSUM_LIMBS + 1];
    for (int i = 0; i < DECSUM_LIMBS; i++) /* most significant limb first */
        for (int k = 0, v = (int)m[DECSUM_LIMBS - 1 - i]; k < 9; k++, v /= 10)
            digits[i * 9 + 8 - k] = (char)('0' + v % 10);
    int point = 9 * (DECSUM_LIMBS - DECSUM_FRAC), first = 0, last = 9 * DECSUM_LIMBS;
    while (first < point - 1 && digits[first] == '0')
        first++;
    while (last > point + 2 && digits[last - 1] == '0')
        last--;
    size_t o = 0;
    if (neg && o + 1 < cap)
        out[o++] = '-';
    for (int i = first; i < last && o + 2 < cap; i++) {
        if (i == point)
            out[o++] = '.';
        out[o++] = digits[i];
    }
    out[o] = 0;
}
