/*
 * test_money.c - unit tests for money.c and currency.c: ISO exponents, every
 * parsing dialect, signs, exponent notation, precision and overflow at both
 * ends, formatting, checked arithmetic, each rounding mode at ties, rates,
 * percentage fees and currency conversion. Expected values are worked out
 * by hand in the comments.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "money.h"

static const money_dialect DOT = {'.', 0, false};
static const money_dialect DOT_COMMA = {'.', ',', false};
static const money_dialect COMMA = {',', 0, false};
static const money_dialect COMMA_DOT = {',', '.', false};
static const money_dialect COMMA_SPACE = {',', ' ', false};
static const money_dialect DOT_APOS = {'.', '\'', false};
static const money_dialect JSON = {'.', 0, true};

#define UNTOUCHED 777

/* Parses NUL-terminated `z`; *v starts at UNTOUCHED so failures can be seen. */
static money_status parse(const char *z, const money_dialect *d, int e, int64_t *v)
{
    *v = UNTOUCHED;
    return money_parse(z, strlen(z), d, e, v);
}

/* Asserts `z` parses to `want` minor units. */
#define PARSES(z, d, e, want)                                                        \
    do {                                                                             \
        int64_t v_;                                                                  \
        CHECK_EQ_INT(parse(z, d, e, &v_), MONEY_OK);                                 \
        CHECK_EQ_INT(v_, want);                                                      \
    } while (0)

/* Asserts `z` fails with status `st` and leaves the output untouched. */
#define FAILS(z, d, e, st)                                                           \
    do {                                                                             \
        int64_t v_;                                                                  \
        CHECK_EQ_INT(parse(z, d, e, &v_), st);                                       \
        CHECK_EQ_INT(v_, UNTOUCHED);                                                 \
    } while (0)

/* Every code of the table as CODE + exponent digit ('-' = no minor unit). */
static const char all_codes[] =
    "AED2 AFN2 ALL2 AMD2 ANG2 AOA2 ARS2 AUD2 AWG2 AZN2 BAM2 BBD2 BDT2 BGN2 BHD3 BIF0 BMD2 "
    "BND2 BOB2 BOV2 BRL2 BSD2 BTN2 BWP2 BYN2 BZD2 CAD2 CDF2 CHE2 CHF2 CHW2 CLF4 CLP0 CNY2 "
    "COP2 COU2 CRC2 CUC2 CUP2 CVE2 CZK2 DJF0 DKK2 DOP2 DZD2 EGP2 ERN2 ETB2 EUR2 FJD2 FKP2 "
    "GBP2 GEL2 GHS2 GIP2 GMD2 GNF0 GTQ2 GYD2 HKD2 HNL2 HRK2 HTG2 HUF2 IDR2 ILS2 INR2 IQD3 "
    "IRR2 ISK0 JMD2 JOD3 JPY0 KES2 KGS2 KHR2 KMF0 KPW2 KRW0 KWD3 KYD2 KZT2 LAK2 LBP2 LKR2 "
    "LRD2 LSL2 LYD3 MAD2 MDL2 MGA2 MKD2 MMK2 MNT2 MOP2 MRU2 MUR2 MVR2 MWK2 MXN2 MXV2 MYR2 "
    "MZN2 NAD2 NGN2 NIO2 NOK2 NPR2 NZD2 OMR3 PAB2 PEN2 PGK2 PHP2 PKR2 PLN2 PYG0 QAR2 RON2 "
    "RSD2 RUB2 RWF0 SAR2 SBD2 SCR2 SDG2 SEK2 SGD2 SHP2 SLE2 SLL2 SOS2 SRD2 SSP2 STN2 SVC2 "
    "SYP2 SZL2 THB2 TJS2 TMT2 TND3 TOP2 TRY2 TTD2 TWD2 TZS2 UAH2 UGX0 USD2 USN2 UYI0 UYU2 "
    "UYW4 UZS2 VED2 VES2 VND0 VUV0 WST2 XAF0 XAG- XAU- XBA- XBB- XBC- XBD- XCD2 XCG2 XDR- "
    "XOF0 XPD- XPF0 XPT- XSU- XTS- XUA- XXX- YER2 ZAR2 ZMW2 ZWG2 ZWL2 ";

/* Named exponents from the brief, odd inputs, and the whole table. */
static void test_currency(void)
{
    CHECK_EQ_INT(currency_exponent("KRW", 3), 0);
    CHECK_EQ_INT(currency_exponent("JPY", 3), 0);
    CHECK_EQ_INT(currency_exponent("EUR", 3), 2);
    CHECK_EQ_INT(currency_exponent("USD", 3), 2);
    CHECK_EQ_INT(currency_exponent("BHD", 3), 3);
    CHECK_EQ_INT(currency_exponent("KWD", 3), 3);
    CHECK_EQ_INT(currency_exponent("TND", 3), 3);
    CHECK_EQ_INT(currency_exponent("CLF", 3), 4);
    CHECK_EQ_INT(currency_exponent("UYW", 3), 4);
    CHECK_EQ_INT(currency_exponent("ISK", 3), 0);
    CHECK_EQ_INT(currency_exponent("VND", 3), 0);
    CHECK_EQ_INT(currency_exponent("XOF", 3), 0);
    CHECK_EQ_INT(currency_exponent("XAU", 3), -1);
    CHECK_EQ_INT(currency_exponent("XDR", 3), -1);
    CHECK_EQ_INT(currency_exponent("XXX", 3), -1);
    CHECK_EQ_INT(currency_exponent(" EUR\t", 5), 2);
    CHECK_EQ_INT(currency_exponent("EURO", 3), 2); /* only n bytes are read */
    CHECK_EQ_INT(currency_exponent("EURO", 4), -1);
    CHECK_EQ_INT(currency_exponent("eur", 3), -1);
    CHECK_EQ_INT(currency_exponent("EU", 2), -1);
    CHECK_EQ_INT(currency_exponent("", 0), -1);
    CHECK_EQ_INT(currency_exponent(NULL, 3), -1);
    CHECK_EQ_INT(currency_exponent("E\0R", 3), -1);
    CHECK_EQ_INT(currency_exponent("AAA", 3), -1);
    CHECK_EQ_INT(currency_exponent("ZZZ", 3), -1);
    CHECK_EQ_INT(currency_exponent("E UR", 4), -1);
}

/* Every listed code is found (so the table is sorted); no others exist. */
static void test_currency_table(void)
{
    int listed = 0, found = 0, mismatched = 0;
    for (const char *p = all_codes; *p; p += 5, listed++) {
        int want = p[3] == '-' ? -1 : p[3] - '0';
        if (currency_exponent(p, 3) != want)
            mismatched++;
    }
    char c[3];
    for (c[0] = 'A'; c[0] <= 'Z'; c[0]++)
        for (c[1] = 'A'; c[1] <= 'Z'; c[1]++)
            for (c[2] = 'A'; c[2] <= 'Z'; c[2]++)
                found += currency_exponent(c, 3) >= 0;
    CHECK_EQ_INT(mismatched, 0);
    CHECK_EQ_INT(listed, 183);
    CHECK_EQ_INT(found, 170); /* 183 rows minus 13 without a minor unit */
}

/* Plain '.' dialect: signs, blanks, parentheses, short forms, zeros. */
static void test_parse_plain(void)
{
    PARSES("12.34", &DOT, 2, 1234);
    PARSES("  12.34\t", &DOT, 2, 1234);
    PARSES("+12.34", &DOT, 2, 1234);
    PARSES("-12.34", &DOT, 2, -1234);
    PARSES("(12.34)", &DOT, 2, -1234);
    PARSES(" ( 12.34 ) ", &DOT, 2, -1234);
    PARSES("12", &DOT, 2, 1200);
    PARSES("12.3", &DOT, 2, 1230);
    PARSES("1.", &DOT, 2, 100);
    PARSES(".5", &DOT, 2, 50);
    PARSES("-.5", &DOT, 2, -50);
    PARSES("0", &DOT, 2, 0);
    PARSES("-0", &DOT, 2, 0);
    PARSES("-0.00", &DOT, 2, 0);
    PARSES("(0)", &DOT, 2, 0);
    PARSES("007.10", &DOT, 2, 710);
    PARSES("100", &DOT, 0, 100);
    PARSES("100.05", &DOT, 2, 10005);
    PARSES("1.234", &DOT, 3, 1234);   /* KWD */
    PARSES("1.2345", &DOT, 4, 12345); /* CLF */
    PARSES("1.5", NULL, 2, 150);      /* NULL dialect = plain '.' */
    CHECK_EQ_INT(money_parse("12.345", 5, &DOT, 2, &(int64_t){0}), MONEY_OK); /* stops at n */
}

/* Malformed text in the plain dialect is MONEY_BAD. */
static void test_parse_bad(void)
{
    static const char *bad[] = {
        "", "   ", "-", "+", ".", "-.", "()", "( )", "(12.34", "12.34)", "(-12.34)",
        "-(12.34)", "--1", "+-1", "- 12", "1.2.3", "1,5", "1,234.5", "12a", "a12",
        "1 2", "1e3", "0x10", "12-", "$12", "1..2", "(+1)",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        FAILS(bad[i], &DOT, 2, MONEY_BAD);
    int64_t v = UNTOUCHED;
    CHECK_EQ_INT(money_parse("12\0" "3", 4, &DOT, 2, &v), MONEY_BAD); /* embedded NUL */
    CHECK_EQ_INT(money_parse("1", 1, &DOT, -1, &v), MONEY_BAD);       /* unknown currency */
    CHECK_EQ_INT(money_parse("1", 1, &DOT, 19, &v), MONEY_BAD);
    CHECK_EQ_INT(money_parse(NULL, 0, &DOT, 2, &v), MONEY_BAD);
    CHECK_EQ_INT(v, UNTOUCHED);
}

/* Thousands ',' with decimal '.': only proper 3-digit groups. */
static void test_parse_dot_comma(void)
{
    PARSES("1,234.5", &DOT_COMMA, 2, 123450);
    PARSES("1,234,567.89", &DOT_COMMA, 2, 123456789);
    PARSES("1234567.89", &DOT_COMMA, 2, 123456789);
    PARSES("-1,000", &DOT_COMMA, 2, -100000);
    PARSES("(1,000.00)", &DOT_COMMA, 2, -100000);
    PARSES("1,000.", &DOT_COMMA, 2, 100000);
    PARSES("999", &DOT_COMMA, 0, 999);
    static const char *bad[] = {
        "12,34,567", "1,2345", ",123", "1,234,", "1,,234", "1234,567", "1,23",
        "1,23.4", "0.123,4", "1,234.5,6", ",", "1,2,3",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        FAILS(bad[i], &DOT_COMMA, 2, MONEY_BAD);
}

/* Decimal ',' with thousands '.', ' ', none; and the Swiss apostrophe. */
static void test_parse_other_dialects(void)
{
    PARSES("1.234.567,89", &COMMA_DOT, 2, 123456789);
    PARSES("1.234,5", &COMMA_DOT, 2, 123450);
    PARSES("1.234", &COMMA_DOT, 2, 123400);
    PARSES("12,5", &COMMA_DOT, 2, 1250);
    PARSES("-0,05", &COMMA_DOT, 2, -5);
    FAILS("12.34", &COMMA_DOT, 2, MONEY_BAD);
    FAILS("1.23,4", &COMMA_DOT, 2, MONEY_BAD);
    FAILS("1,234,567", &COMMA_DOT, 2, MONEY_BAD);
    PARSES("12,34", &COMMA, 2, 1234);
    FAILS("1.234,5", &COMMA, 2, MONEY_BAD);
    PARSES("1 234 567,89", &COMMA_SPACE, 2, 123456789);
    PARSES(" 1 234,5 ", &COMMA_SPACE, 2, 123450);
    FAILS("1 234  567", &COMMA_SPACE, 2, MONEY_BAD);
    FAILS("12 34", &COMMA_SPACE, 2, MONEY_BAD);
    PARSES("1'234'567.89", &DOT_APOS, 2, 123456789);
    FAILS("1'23.00", &DOT_APOS, 2, MONEY_BAD);
}

/* Fractional digits beyond the exponent: zeros are fine, others not. */
static void test_parse_precision(void)
{
    PARSES("12.3400", &DOT, 2, 1234);
    PARSES("12.340000000000000000000000000000", &DOT, 2, 1234);
    PARSES("1.0", &DOT, 0, 1);
    FAILS("0.001", &DOT, 2, MONEY_PRECISION);
    FAILS("12.345", &DOT, 2, MONEY_PRECISION);
    FAILS("12.3450", &DOT, 2, MONEY_PRECISION);
    FAILS("0.5", &DOT, 0, MONEY_PRECISION);
    FAILS("1.23456", &DOT, 4, MONEY_PRECISION);
    FAILS("1234567890123456789.0000000000000000000001", &DOT, 0, MONEY_PRECISION);
    FAILS("12,345", &COMMA_DOT, 2, MONEY_PRECISION);
}

/* The int64 limits in both directions, for exponent 0 and 2. */
static void test_parse_overflow(void)
{
    PARSES("9223372036854775807", &DOT, 0, INT64_MAX);
    FAILS("9223372036854775808", &DOT, 0, MONEY_OVERFLOW);
    PARSES("-9223372036854775808", &DOT, 0, INT64_MIN);
    PARSES("(9223372036854775808)", &DOT, 0, INT64_MIN);
    FAILS("-9223372036854775809", &DOT, 0, MONEY_OVERFLOW);
    FAILS("10000000000000000000", &DOT, 0, MONEY_OVERFLOW);
    FAILS("18446744073709551616", &DOT, 0, MONEY_OVERFLOW); /* 2^64: no wrap */
    FAILS("99999999999999999999999999999999", &DOT, 0, MONEY_OVERFLOW);
    PARSES("92233720368547758.07", &DOT, 2, INT64_MAX);
    FAILS("92233720368547758.08", &DOT, 2, MONEY_OVERFLOW);
    PARSES("-92233720368547758.08", &DOT, 2, INT64_MIN);
    FAILS("-92233720368547758.09", &DOT, 2, MONEY_OVERFLOW);
    PARSES("9,223,372,036,854,775,807", &DOT_COMMA, 0, INT64_MAX);
    FAILS("12345678901234567890123.5", &DOT, 0, MONEY_OVERFLOW); /* overflow wins */
    PARSES("0000000000000000000000000000001", &DOT, 0, 1);
    /* too precise and near the edge: overflow only when the whole part is out */
    FAILS("9223372036854775807.5", &DOT, 0, MONEY_PRECISION);
    FAILS("9223372036854775808.5", &DOT, 0, MONEY_OVERFLOW);
    FAILS("-9223372036854775808.5", &DOT, 0, MONEY_PRECISION);
    FAILS("-9223372036854775809.5", &DOT, 0, MONEY_OVERFLOW);
    FAILS("922337203685477580000001e-5", &JSON, 0, MONEY_PRECISION);
    FAILS("922337203685477590000001e-5", &JSON, 0, MONEY_OVERFLOW);
}

/* Exponent notation (JSON numbers): applied exactly, absurd ones are cheap. */
static void test_parse_exponent(void)
{
    PARSES("1.5e3", &JSON, 2, 150000);
    PARSES("-0.10", &JSON, 2, -10);
    PARSES("1E-2", &JSON, 2, 1);
    PARSES("12.34e1", &JSON, 2, 12340);
    PARSES("1e+2", &JSON, 2, 10000);
    PARSES("12300e-4", &JSON, 2, 123);
    PARSES("123000e-5", &JSON, 2, 123);
    PARSES("9223372036854775807e-2", &JSON, 2, INT64_MAX);
    PARSES("-9.223372036854775808e18", &JSON, 0, INT64_MIN);
    PARSES("1e16", &JSON, 2, 1000000000000000000);
    PARSES("0e999999", &JSON, 2, 0);
    PARSES("0.0e-99999999999999999999999", &JSON, 2, 0);
    PARSES("1.e1", &JSON, 0, 10);
    FAILS("1e17", &JSON, 2, MONEY_OVERFLOW);
    FAILS("1e999999", &JSON, 2, MONEY_OVERFLOW);
    FAILS("1e99999999999999999999999999", &JSON, 2, MONEY_OVERFLOW);
    FAILS("1e-3", &JSON, 2, MONEY_PRECISION);
    FAILS("12345e-5", &JSON, 2, MONEY_PRECISION);
    FAILS("1e-999999", &JSON, 2, MONEY_PRECISION);
    static const char *bad[] = {"1e", "1e+", "e5", ".e5", "1e5.0", "1e1e1", "1e 2", "1 e2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        FAILS(bad[i], &JSON, 2, MONEY_BAD);
}

/* Builds prefix + `count` copies of `fill` + suffix; caller frees. */
static char *long_text(const char *prefix, char fill, size_t count, const char *suffix)
{
    size_t a = strlen(prefix), b = strlen(suffix);
    char *s = malloc(a + count + b + 1);
    memcpy(s, prefix, a);
    memset(s + a, fill, count);
    memcpy(s + a + count, suffix, b + 1);
    return s;
}

/* Very long digit runs neither overflow the accumulator nor lose digits. */
static void test_parse_long(void)
{
    char *s = long_text("", '0', 100000, "1");
    PARSES(s, &DOT, 0, 1);
    free(s);
    s = long_text("1", '0', 100000, "");
    FAILS(s, &DOT, 0, MONEY_OVERFLOW);
    free(s);
    s = long_text("0.", '0', 100000, "1");
    FAILS(s, &DOT, 2, MONEY_PRECISION);
    free(s);
    s = long_text("1.", '0', 100000, "");
    PARSES(s, &DOT, 2, 100);
    free(s);
    s = long_text("1", '0', 100000, "e-100000");
    PARSES(s, &JSON, 2, 100);
    free(s);
}

/* Formats `v` and checks text and returned length. */
static void check_format(int64_t v, int e, const char *want)
{
    char buf[MONEY_FMT_MAX];
    size_t n = money_format(v, e, buf);
    CHECK_EQ_STR(buf, want);
    CHECK_EQ_INT(n, strlen(want));
}

/* money_format, including INT64_MIN, and parse(format(v)) == v. */
static void test_format(void)
{
    check_format(123450, 2, "1234.50");
    check_format(-5, 2, "-0.05");
    check_format(7, 0, "7");
    check_format(0, 2, "0.00");
    check_format(0, 0, "0");
    check_format(100, 2, "1.00");
    check_format(1, 3, "0.001");
    check_format(INT64_MIN, 0, "-9223372036854775808");
    check_format(INT64_MIN, 2, "-92233720368547758.08");
    check_format(INT64_MAX, 18, "9.223372036854775807");
    check_format(-1, 18, "-0.000000000000000001");
    static const int64_t vals[] = {0, 1, -1, 99, -100, 123456789, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        char buf[MONEY_FMT_MAX];
        int64_t back = 0;
        money_format(vals[i], 2, buf);
        CHECK_EQ_INT(parse(buf, &DOT, 2, &back), MONEY_OK);
        CHECK(back == vals[i]);
    }
}

/* Status codes and checked add/sub/mul, which leave *out alone on overflow. */
static void test_status_and_arith(void)
{
    CHECK_EQ_STR(money_status_code(MONEY_OK), "ok");
    CHECK_EQ_STR(money_status_code(MONEY_BAD), "bad_amount");
    CHECK_EQ_STR(money_status_code(MONEY_PRECISION), "precision");
    CHECK_EQ_STR(money_status_code(MONEY_OVERFLOW), "overflow");
    int64_t r = 5;
    CHECK(money_add(1, 2, &r) && r == 3);
    CHECK(!money_add(INT64_MAX, 1, &r) && r == 3);
    CHECK(money_add(INT64_MIN, INT64_MAX, &r) && r == -1);
    CHECK(!money_sub(INT64_MIN, 1, &r) && r == -1);
    CHECK(money_sub(-1, INT64_MAX, &r) && r == INT64_MIN);
    CHECK(!money_mul_int(INT64_MIN, -1, &r) && r == INT64_MIN);
    CHECK(money_mul_int(3037000499, 3037000499, &r) && r == 9223372030926249001);
    CHECK(!money_mul_int(3037000500, 3037000500, &r));
    CHECK(money_mul_int(-7, 6, &r) && r == -42);
}

/* money_round_div_pow10(num, p, mode) or a sentinel when it fails. */
static int64_t rdiv(__int128 num, int p, round_mode mode)
{
    int64_t v = UNTOUCHED;
    return money_round_div_pow10(num, p, mode, &v) == MONEY_OK ? v : -777777;
}

/* Each mode on x.5 ties, both signs, and exact values (tenths: p = 1). */
static void test_round_ties(void)
{
    CHECK_EQ_INT(rdiv(25, 1, ROUND_HALF_EVEN), 2);
    CHECK_EQ_INT(rdiv(35, 1, ROUND_HALF_EVEN), 4);
    CHECK_EQ_INT(rdiv(-25, 1, ROUND_HALF_EVEN), -2);
    CHECK_EQ_INT(rdiv(-35, 1, ROUND_HALF_EVEN), -4);
    CHECK_EQ_INT(rdiv(26, 1, ROUND_HALF_EVEN), 3);
    CHECK_EQ_INT(rdiv(-24, 1, ROUND_HALF_EVEN), -2);
    CHECK_EQ_INT(rdiv(5, 1, ROUND_HALF_EVEN), 0);
    CHECK_EQ_INT(rdiv(-5, 1, ROUND_HALF_EVEN), 0);
    CHECK_EQ_INT(rdiv(25, 1, ROUND_HALF_UP), 3);
    CHECK_EQ_INT(rdiv(-25, 1, ROUND_HALF_UP), -3);
    CHECK_EQ_INT(rdiv(24, 1, ROUND_HALF_UP), 2);
    CHECK_EQ_INT(rdiv(-24, 1, ROUND_HALF_UP), -2);
    CHECK_EQ_INT(rdiv(29, 1, ROUND_DOWN), 2);
    CHECK_EQ_INT(rdiv(-29, 1, ROUND_DOWN), -2);
    CHECK_EQ_INT(rdiv(21, 1, ROUND_UP), 3);
    CHECK_EQ_INT(rdiv(-21, 1, ROUND_UP), -3);
    CHECK_EQ_INT(rdiv(29, 1, ROUND_FLOOR), 2);
    CHECK_EQ_INT(rdiv(-21, 1, ROUND_FLOOR), -3);
    CHECK_EQ_INT(rdiv(21, 1, ROUND_CEILING), 3);
    CHECK_EQ_INT(rdiv(-29, 1, ROUND_CEILING), -2);
    for (int m = ROUND_HALF_EVEN; m <= ROUND_CEILING; m++) {
        CHECK_EQ_INT(rdiv(20, 1, (round_mode)m), 2);   /* exact: no mode moves it */
        CHECK_EQ_INT(rdiv(-20, 1, (round_mode)m), -2);
        CHECK_EQ_INT(rdiv(0, 1, (round_mode)m), 0);
    }
    CHECK_EQ_INT(rdiv(1250, 2, ROUND_HALF_EVEN), 12);
    CHECK_EQ_INT(rdiv(1350, 2, ROUND_HALF_EVEN), 14);
    CHECK_EQ_INT(rdiv(1251, 2, ROUND_HALF_EVEN), 13);
}

/* Scaling up, huge divisors and the int64 edges. */
static void test_round_edges(void)
{
    __int128 e37 = (__int128)10000000000000000000ULL * 1000000000000000000ULL;
    CHECK_EQ_INT(rdiv(123, 0, ROUND_UP), 123);
    CHECK_EQ_INT(rdiv(5, -3, ROUND_HALF_EVEN), 5000);
    CHECK_EQ_INT(rdiv(0, -1000, ROUND_HALF_EVEN), 0);
    CHECK_EQ_INT(rdiv(1, -39, ROUND_HALF_EVEN), -777777);
    CHECK_EQ_INT(rdiv((__int128)1 << 100, -20, ROUND_HALF_EVEN), -777777);
    CHECK_EQ_INT(rdiv(INT64_MAX, -1, ROUND_HALF_EVEN), -777777);
    CHECK_EQ_INT(rdiv(5 * e37, 38, ROUND_HALF_EVEN), 0);  /* 0.5 */
    CHECK_EQ_INT(rdiv(5 * e37, 38, ROUND_HALF_UP), 1);
    CHECK_EQ_INT(rdiv(15 * e37, 38, ROUND_HALF_EVEN), 2); /* 1.5 */
    __int128 big = (((__int128)1 << 126) - 1) * 2 + 1;   /* 2^127 - 1 = 1.70...e38 */
    CHECK_EQ_INT(rdiv(-big, 38, ROUND_HALF_EVEN), -2);
    CHECK_EQ_INT(rdiv(-big, 38, ROUND_DOWN), -1);
    CHECK_EQ_INT(rdiv(1, 40, ROUND_UP), 1);
    CHECK_EQ_INT(rdiv(-1, 40, ROUND_UP), -1);
    CHECK_EQ_INT(rdiv(1, 40, ROUND_FLOOR), 0);
    CHECK_EQ_INT(rdiv(-1, 40, ROUND_FLOOR), -1);
    CHECK_EQ_INT(rdiv(1, 40, ROUND_CEILING), 1);
    CHECK_EQ_INT(rdiv(big, 1000, ROUND_HALF_EVEN), 0);
    __int128 over = (__int128)INT64_MAX * 10 + 5; /* INT64_MAX + 0.5, odd */
    CHECK_EQ_INT(rdiv(over, 1, ROUND_DOWN), INT64_MAX);
    CHECK_EQ_INT(rdiv(over, 1, ROUND_HALF_EVEN), -777777);
    CHECK_EQ_INT(rdiv(over, 1, ROUND_HALF_UP), -777777);
    CHECK_EQ_INT(rdiv((__int128)INT64_MIN * 10 - 4, 1, ROUND_HALF_EVEN), INT64_MIN);
}

/* Mode names both ways. */
static void test_round_names(void)
{
    static const char *names[] = {"half_even", "half_up", "down", "up", "floor", "ceiling"};
    for (int i = 0; i < 6; i++) {
        CHECK_EQ_INT(round_mode_from_name(names[i]), i);
        CHECK_EQ_STR(round_mode_name((round_mode)i), names[i]);
    }
    CHECK_EQ_INT(round_mode_from_name("HALF_EVEN"), -1);
    CHECK_EQ_INT(round_mode_from_name("bankers"), -1);
    CHECK_EQ_INT(round_mode_from_name(NULL), -1);
}

/* Parses a rate and checks num and scale. */
static void check_rate(const char *z, int64_t num, int scale)
{
    decimal_rate r = {UNTOUCHED, UNTOUCHED};
    CHECK_EQ_INT(rate_parse(z, strlen(z), &r), MONEY_OK);
    CHECK_EQ_INT(r.num, num);
    CHECK_EQ_INT(r.scale, scale);
}

/* Parses a rate expecting failure `st` with *out untouched. */
static void check_rate_fails(const char *z, money_status st)
{
    decimal_rate r = {UNTOUCHED, UNTOUCHED};
    CHECK_EQ_INT(rate_parse(z, strlen(z), &r), st);
    CHECK_EQ_INT(r.num, UNTOUCHED);
}

/* rate_parse: plain, percent, signs, trailing zeros, limits. */
static void test_rate_parse(void)
{
    check_rate("12%", 12, 2);
    check_rate("12.5%", 125, 3);
    check_rate("12.5 %", 125, 3);
    check_rate("0.035", 35, 3);
    check_rate(" 0.035 ", 35, 3);
    check_rate("1350.25", 135025, 2);
    check_rate("-0.5", -5, 1);
    check_rate("+1", 1, 0);
    check_rate("-0", 0, 0);
    check_rate("0.10", 10, 2);
    check_rate("100", 100, 0);
    check_rate("1.50%", 150, 4);
    check_rate("0.000000000000000001", 1, 18);
    check_rate("0.100000000000000000000", 100000000000000000, 18); /* zeros dropped */
    check_rate("9223372036854775807", INT64_MAX, 0);
    check_rate("922337203685477580.70", 9223372036854775807, 1); /* one zero dropped */
    static const char *bad[] = {"%", "", " ", "1.2.3", "abc", "1,5", "1e3", "(5)", "5%%",
                                "% 5", "-", ".", "- 5", "5-"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        check_rate_fails(bad[i], MONEY_BAD);
    check_rate_fails("0.0000000000000000001", MONEY_PRECISION);
    check_rate_fails("1.0000000000000000001", MONEY_PRECISION);
    check_rate_fails("0.00000000000000001%", MONEY_PRECISION);
    check_rate_fails("9223372036854775808", MONEY_OVERFLOW);
    check_rate_fails("12345678901234567890", MONEY_OVERFLOW);
    check_rate_fails("92233720368547758080.0", MONEY_OVERFLOW);
}

/* money_mul_rate(amount, text rate, mode) or a sentinel on failure. */
static int64_t mulr(int64_t amount, const char *rate, round_mode mode)
{
    decimal_rate r;
    int64_t v = UNTOUCHED;
    if (rate_parse(rate, strlen(rate), &r) != MONEY_OK)
        return -888888;
    return money_mul_rate(amount, r, mode, &v) == MONEY_OK ? v : -777777;
}

/* Percentage fees at ties and off ties, both signs, and the limits. */
static void test_mul_rate(void)
{
    CHECK_EQ_INT(mulr(1001, "12%", ROUND_HALF_EVEN), 120);  /* 120.12 */
    CHECK_EQ_INT(mulr(1001, "12%", ROUND_UP), 121);
    CHECK_EQ_INT(mulr(1004, "12%", ROUND_HALF_UP), 120);    /* 120.48 */
    CHECK_EQ_INT(mulr(1004, "12.5%", ROUND_HALF_EVEN), 126); /* 125.5 */
    CHECK_EQ_INT(mulr(1004, "12.5%", ROUND_DOWN), 125);
    CHECK_EQ_INT(mulr(1012, "12.5%", ROUND_HALF_EVEN), 126); /* 126.5 */
    CHECK_EQ_INT(mulr(1012, "12.5%", ROUND_HALF_UP), 127);
    CHECK_EQ_INT(mulr(-1012, "12.5%", ROUND_HALF_EVEN), -126);
    CHECK_EQ_INT(mulr(-1012, "12.5%", ROUND_HALF_UP), -127);
    CHECK_EQ_INT(mulr(-1012, "12.5%", ROUND_FLOOR), -127);
    CHECK_EQ_INT(mulr(-1012, "12.5%", ROUND_CEILING), -126);
    CHECK_EQ_INT(mulr(200000, "0.035", ROUND_HALF_EVEN), 7000);
    CHECK_EQ_INT(mulr(1000, "-0.5", ROUND_HALF_EVEN), -500);
    CHECK_EQ_INT(mulr(INT64_MAX, "2", ROUND_HALF_EVEN), -777777);
    CHECK_EQ_INT(mulr(INT64_MIN, "1", ROUND_HALF_EVEN), INT64_MIN);
    CHECK_EQ_INT(mulr(INT64_MIN, "-1", ROUND_HALF_EVEN), -777777);
    CHECK_EQ_INT(mulr(INT64_MAX, "0.000000000000000001", ROUND_HALF_EVEN), 9); /* 9.22 */
    int64_t v = UNTOUCHED;
    CHECK_EQ_INT(money_mul_rate(1, (decimal_rate){1, 19}, ROUND_UP, &v), MONEY_BAD);
    CHECK_EQ_INT(money_mul_rate(1, (decimal_rate){1, -1}, ROUND_UP, &v), MONEY_BAD);
    CHECK_EQ_INT(v, UNTOUCHED);
}

/* money_convert with a text rate, or a sentinel on failure. */
static int64_t conv(int64_t amount, int from, const char *rate, int to, round_mode mode)
{
    decimal_rate r;
    int64_t v = UNTOUCHED;
    if (rate_parse(rate, strlen(rate), &r) != MONEY_OK)
        return -888888;
    return money_convert(amount, from, r, to, mode, &v) == MONEY_OK ? v : -777777;
}

/* Conversion across exponents, one rounding, and overflow of 10^k. */
static void test_convert(void)
{
    CHECK_EQ_INT(conv(1000, 2, "1450.5", 0, ROUND_HALF_EVEN), 14505);    /* EUR->KRW */
    CHECK_EQ_INT(conv(1001, 2, "1450.55", 0, ROUND_HALF_EVEN), 14520);   /* 14520.0055 */
    CHECK_EQ_INT(conv(1001, 2, "1450.55", 0, ROUND_UP), 14521);
    CHECK_EQ_INT(conv(1, 2, "1450", 0, ROUND_HALF_EVEN), 14);            /* 14.5 */
    CHECK_EQ_INT(conv(1, 2, "1450", 0, ROUND_HALF_UP), 15);
    CHECK_EQ_INT(conv(3, 2, "1450", 0, ROUND_HALF_EVEN), 44);            /* 43.5 */
    CHECK_EQ_INT(conv(-3, 2, "1450", 0, ROUND_HALF_EVEN), -44);
    CHECK_EQ_INT(conv(1000000, 0, "0.00072", 2, ROUND_HALF_EVEN), 72000); /* KRW->USD */
    CHECK_EQ_INT(conv(12345, 0, "0.00072", 2, ROUND_HALF_EVEN), 889);    /* 888.84 */
    CHECK_EQ_INT(conv(12345, 0, "0.00072", 2, ROUND_DOWN), 888);
    CHECK_EQ_INT(conv(10000, 2, "0.3075", 3, ROUND_HALF_EVEN), 30750);   /* USD->KWD */
    CHECK_EQ_INT(conv(101, 2, "0.30745", 3, ROUND_HALF_EVEN), 311);      /* 310.5245 */
    CHECK_EQ_INT(conv(1000, 0, "0.0061", 2, ROUND_HALF_EVEN), 610);      /* JPY->EUR */
    CHECK_EQ_INT(conv(5, 0, "3", 4, ROUND_HALF_EVEN), 150000);           /* scale up */
    CHECK_EQ_INT(conv(INT64_MAX, 0, "1", 18, ROUND_HALF_EVEN), -777777);
    CHECK_EQ_INT(conv(INT64_MAX, 0, "9223372036854775807", 18, ROUND_DOWN), -777777);
    CHECK_EQ_INT(conv(INT64_MAX, 18, "0.000000000000000001", 0, ROUND_UP), 1);
    int64_t v = UNTOUCHED;
    decimal_rate one = {1, 0};
    CHECK_EQ_INT(money_convert(1, -1, one, 2, ROUND_UP, &v), MONEY_BAD);
    CHECK_EQ_INT(money_convert(1, 2, one, 19, ROUND_UP, &v), MONEY_BAD);
    CHECK_EQ_INT(v, UNTOUCHED);
}

/* Runs every group; exit status 1 if any check failed. */
int main(void)
{
    test_currency();
    test_currency_table();
    test_parse_plain();
    test_parse_bad();
    test_parse_dot_comma();
    test_parse_other_dialects();
    test_parse_precision();
    test_parse_overflow();
    test_parse_exponent();
    test_parse_long();
    test_format();
    test_status_and_arith();
    test_round_ties();
    test_round_edges();
    test_round_names();
    test_rate_parse();
    test_mul_rate();
    test_convert();
    return check_done();
}
