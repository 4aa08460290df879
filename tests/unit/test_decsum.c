/*
 * test_decsum.c - exact decimal sums for control totals: what counts as a
 * number in each format (grouping in threes, comma decimals, exponents,
 * signs and parentheses), sums far beyond int64, and the text of a sum.
 * Expected values are worked out by hand.
 */
#include "check.h"
#include "decsum.h"

static const decsum_format dot = {'.', 0, true};
static const decsum_format euro = {',', '.', false};

/* The sum of the given texts as text; "ERR" when one does not read. */
static const char *sum_text(const decsum_format *f, const char *const *texts, size_t n)
{
    static char out[160];
    decsum d = {0};
    for (size_t i = 0; i < n; i++)
        if (decsum_add_text(&d, texts[i], strlen(texts[i]), f) != 0)
            return "ERR";
    decsum_text(&d, out, sizeof out);
    return out;
}

#define SUM(f, ...)                                                                  \
    sum_text(f, (const char *const[]){__VA_ARGS__},                                  \
             sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static void test_formats(void)
{
    CHECK_EQ_STR(SUM(&dot, "12.34"), "12.34");
    CHECK_EQ_STR(SUM(&dot, "1.5e3", "-0.10"), "1499.90");
    CHECK_EQ_STR(SUM(&dot, "1E-2", "+2"), "2.01");
    CHECK_EQ_STR(SUM(&dot, " 7 "), "7.00");
    CHECK_EQ_STR(SUM(&euro, "1.234,50", "(0,50)"), "1234.00");
    CHECK_EQ_STR(SUM(&euro, "1.234.567,891"), "1234567.891");
    CHECK_EQ_STR(SUM(&euro, "1.2345,00"), "ERR");  /* groups of three only */
    CHECK_EQ_STR(SUM(&euro, "12.34"), "ERR");      /* a separator then two digits */
    CHECK_EQ_STR(SUM(&euro, "1.5e3"), "ERR");      /* no exponent in CSV */
    CHECK_EQ_STR(SUM(&dot, "1,234.50"), "ERR");    /* no grouping configured */
    CHECK_EQ_STR(SUM(&dot, "abc"), "ERR");
    CHECK_EQ_STR(SUM(&dot, ""), "ERR");
    CHECK_EQ_STR(SUM(&dot, "1e"), "ERR");
    CHECK_EQ_STR(SUM(&dot, "12.50 USD"), "ERR");
}

static void test_range(void)
{
    CHECK_EQ_STR(SUM(&dot, "1e30", "0.01"), "1000000000000000000000000000000.01");
    CHECK_EQ_STR(SUM(&dot, "99999999999999999999999", "-99999999999999999999999"), "0.00");
    CHECK_EQ_STR(SUM(&dot, "0.000000000000000000000000001"), "0.000000000000000000000000001");
    CHECK_EQ_STR(SUM(&dot, "1e-28"), "ERR");      /* below the smallest place kept */
    CHECK_EQ_STR(SUM(&dot, "1e90"), "ERR");       /* above the largest */
    CHECK_EQ_STR(SUM(&dot, "-5", "2"), "-3.00");
}

static void test_equal(void)
{
    decsum a = {0}, b = {0};
    CHECK_EQ_INT(decsum_add_text(&a, "10", 2, &dot), 0);
    CHECK_EQ_INT(decsum_add_text(&a, "-2.5", 4, &dot), 0);
    CHECK_EQ_INT(decsum_add_text(&b, "7.50", 4, &dot), 0);
    CHECK(decsum_equal(&a, &b));
    CHECK_EQ_INT(decsum_add_text(&b, "0.001", 5, &dot), 0);
    CHECK(!decsum_equal(&a, &b));
    CHECK_EQ_INT(decsum_add_text(&b, "x", 1, &dot), -1);
    CHECK(!decsum_equal(&a, &b)); /* a failed add leaves the sum as it was */
}

int main(void)
{
    test_formats();
    test_range();
    test_equal();
    return check_done();
}
