/*
 * fuzz_money.c - the money parsers: money_parse (every dialect and
 * exponent), rate_parse and the control-sum parser decsum_add_text, and the
 * arithmetic on what they return. The first input byte picks the dialect:
 * bit 0 decimal ',' (else '.'), bits 1-2 thousands none , . ' ' (a thousands
 * equal to the decimal becomes none), bit 3 exponents allowed, bits 4-6 the
 * exponent 0-4 (5-7 wrap), bit 7 unused. Invariants: a parsed amount
 * formats to text that parses back to the same amount, and when the
 * control-sum parser reads the same text its value is the same.
 */
#include "decsum.h"
#include "fuzz.h"
#include "money.h"

/* format(v) parsed back with the plain dialect gives v again. */
static void fuzz_money_round_trip(int64_t v, int exp)
{
    static const money_dialect plain = {'.', 0, false};
    char buf[MONEY_FMT_MAX];
    size_t n = money_format(v, exp, buf);
    FUZZ_ASSERT(n < MONEY_FMT_MAX && strlen(buf) == n);
    int64_t back = 0;
    FUZZ_ASSERT(money_parse(buf, n, &plain, exp, &back) == MONEY_OK);
    FUZZ_ASSERT(back == v);
}

/* When decsum reads the text too, its value (as text) is the same amount. */
static void fuzz_money_vs_decsum(const char *s, size_t n, const money_dialect *d, int exp,
                                 int64_t v)
{
    static const money_dialect plain = {'.', 0, false};
    decsum_format f = {d->decimal, d->thousands, d->allow_exp};
    decsum sum = {0};
    if (decsum_add_text(&sum, s, n, &f) != 0)
        return;
    char text[160];
    decsum_text(&sum, text, sizeof text);
    int64_t w = 0;
    FUZZ_ASSERT(money_parse(text, strlen(text), &plain, exp, &w) == MONEY_OK);
    FUZZ_ASSERT(w == v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char thousands[] = {0, ',', '.', ' '};
    uint8_t opt = fuzz_take_byte(&data, &size);
    money_dialect d = {(opt & 1) ? ',' : '.', thousands[(opt >> 1) & 3], (opt & 8) != 0};
    if (d.thousands == d.decimal)
        d.thousands = 0;
    int exp = ((opt >> 4) & 7) % 5;
    const char *s = (const char *)data;
    int64_t v = 0;
    if (money_parse(s, size, &d, exp, &v) == MONEY_OK) {
        fuzz_money_round_trip(v, exp);
        fuzz_money_vs_decsum(s, size, &d, exp, v);
    }
    decimal_rate r;
    if (rate_parse(s, size, &r) == MONEY_OK) {
        FUZZ_ASSERT(r.scale >= 0 && r.scale <= 18);
        int64_t out;
        for (int mode = ROUND_HALF_EVEN; mode <= ROUND_CEILING; mode++) {
            money_mul_rate(v, r, (round_mode)mode, &out);
            money_convert(v, exp, r, 4 - exp, (round_mode)mode, &out);
        }
    }
    return 0;
}
