/*
 * test_fx.c - unit tests for fx.c: loading rates files (header, comments,
 * CRLF, BOM, quotes, harmless duplicates), every kind of load error with its
 * "path:line: message", and look-ups (before the first rate, exact date,
 * between dates, inverse pairs, leap days, the identity rate).
 *
 * Day numbers are days since 1970-01-01, worked out by hand:
 * 2024-01-01 = 54 years * 365 + 13 leap days = 19723.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fx.h"

#define D2024_01_01 19723
#define D2024_01_02 19724
#define D2024_01_05 19727
#define D2024_02_29 19782 /* 19723 + 31 (Jan) + 28 */

static char tmpdir[] = "/tmp/test_fx_XXXXXX";

/* Writes `text` to a fresh file in tmpdir; returns its path (caller frees). */
static char *write_file(const char *name, const char *text)
{
    char *path = path_join(tmpdir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return path;
}

/* Loads `text` as a rates file, expecting success; caller frees the table. */
static fx_table *load_ok(const char *text)
{
    diag d;
    diag_init(&d);
    char *path = write_file("ok.csv", text);
    fx_table *t = fx_load(path, &d);
    CHECK(t != NULL);
    CHECK_EQ_INT(d.n, 0);
    diag_print(&d, stderr);
    diag_free(&d);
    free(path);
    return t;
}

/* Looks up base->quote on `day`; returns the rate text or NULL on a miss. */
static const char *look(const fx_table *t, const char *b, const char *q, int32_t day,
                        int32_t *date)
{
    fx_rate r = {0, {0, 0}, NULL};
    if (fx_lookup(t, b, q, day, &r) != 0)
        return NULL;
    if (date)
        *date = r.date;
    return r.text;
}

/* The basic file: header, comments, CRLF, and look-ups around two dates. */
static void test_lookup(void)
{
    fx_table *t = load_ok("\xEF\xBB\xBF" "date,base,quote,rate\r\n"
                          "# EUR rates from the bank\r\n"
                          "\r\n"
                          "2024-01-05,EUR,KRW,1460.25\r\n"
                          "2024-01-02, EUR , KRW , 1450.5\r\n"
                          "   \n"
                          "2024-01-02,EUR,USD,\"1.0950\"\n"
                          "2024-01-02,USD,KRW,1320\n"
                          "2024-01-02,EUR,KRW,1450.50\n" /* same value: harmless */
                          "2024-02-29,GBP,EUR,115%");
    int32_t date = 0;
    fx_rate r;
    CHECK(look(t, "EUR", "KRW", D2024_01_01, NULL) == NULL); /* before the first */
    CHECK_EQ_STR(look(t, "EUR", "KRW", D2024_01_02, &date), "1450.5");
    CHECK_EQ_INT(date, D2024_01_02);
    CHECK_EQ_STR(look(t, "EUR", "KRW", D2024_01_02 + 2, &date), "1450.5"); /* between */
    CHECK_EQ_INT(date, D2024_01_02);
    CHECK_EQ_STR(look(t, "EUR", "KRW", D2024_01_05, &date), "1460.25");
    CHECK_EQ_STR(look(t, "EUR", "KRW", D2024_01_05 + 3650, &date), "1460.25");
    CHECK_EQ_INT(date, D2024_01_05);
    CHECK_EQ_INT(fx_lookup(t, "EUR", "KRW", D2024_01_05, &r), 0);
    CHECK(r.rate.num == 146025 && r.rate.scale == 2);
    CHECK_EQ_STR(look(t, "EUR", "USD", D2024_01_05, NULL), "1.0950"); /* quotes removed */
    CHECK_EQ_INT(fx_lookup(t, "EUR", "USD", D2024_01_05, &r), 0);
    CHECK(r.rate.num == 10950 && r.rate.scale == 4);
    CHECK_EQ_STR(look(t, "USD", "KRW", D2024_01_02, NULL), "1320");
    CHECK(look(t, "KRW", "EUR", D2024_01_05, NULL) == NULL); /* inverse never used */
    CHECK(look(t, "EUR", "JPY", D2024_01_05, NULL) == NULL); /* no such pair */
    CHECK(look(t, "EUR", "GBP", D2024_01_05, NULL) == NULL);
    CHECK(look(t, "GBP", "EUR", D2024_02_29 - 1, NULL) == NULL);
    CHECK_EQ_STR(look(t, "GBP", "EUR", D2024_02_29, &date), "115%");
    CHECK_EQ_INT(fx_lookup(t, "GBP", "EUR", D2024_02_29, &r), 0);
    CHECK(r.rate.num == 115 && r.rate.scale == 2);
    CHECK(look(t, "eur", "KRW", D2024_01_05, NULL) == NULL);
    CHECK(look(t, "EURO", "KRW", D2024_01_05, NULL) == NULL);
    CHECK(look(t, NULL, "KRW", D2024_01_05, NULL) == NULL);
    CHECK_EQ_INT(fx_lookup(t, "KRW", "KRW", 5, &r), 0); /* identity */
    CHECK(r.rate.num == 1 && r.rate.scale == 0 && r.date == 5);
    CHECK_EQ_STR(r.text, "1");
    fx_free(t);
}

/* Dates around the epoch and far out, and a file with no header. */
static void test_dates(void)
{
    fx_table *t = load_ok("1970-01-01,EUR,KRW,1\n"
                          "1969-12-31,EUR,USD,2\n"
                          "2000-03-01,EUR,JPY,3\n"
                          "9999-12-31,EUR,CHF,4\n");
    int32_t date = 99;
    CHECK_EQ_STR(look(t, "EUR", "KRW", 0, &date), "1");
    CHECK_EQ_INT(date, 0);
    CHECK(look(t, "EUR", "KRW", -1, NULL) == NULL);
    CHECK_EQ_STR(look(t, "EUR", "USD", -1, &date), "2");
    CHECK_EQ_INT(date, -1);
    CHECK_EQ_STR(look(t, "EUR", "JPY", 11017, &date), "3"); /* 30 y * 365 + 7 + 31 + 29 */
    CHECK(look(t, "EUR", "JPY", 11016, NULL) == NULL);
    CHECK_EQ_STR(look(t, "EUR", "CHF", 2932896, &date), "4");
    CHECK(look(t, "EUR", "CHF", 2932895, NULL) == NULL);
    fx_free(t);
}

/* fx_empty misses every real conversion; fx_free(NULL) is a no-op. */
static void test_empty(void)
{
    fx_table *t = fx_empty();
    fx_rate r;
    CHECK_EQ_INT(fx_lookup(t, "EUR", "KRW", 0, &r), -1);
    CHECK_EQ_INT(fx_lookup(t, "EUR", "EUR", 0, &r), 0);
    CHECK_EQ_INT(fx_lookup(NULL, "EUR", "KRW", 0, &r), -1);
    fx_free(t);
    fx_free(NULL);
    fx_free(load_ok("date,base,quote,rate\n# nothing yet\n"));
}

/* Loads `text` expecting failure; returns the diag (caller frees) and its path. */
static fx_table *load_bad(const char *text, diag *d, char **path)
{
    diag_init(d);
    *path = write_file("bad.csv", text);
    return fx_load(*path, d);
}

/* Asserts message i of `d` is exactly "<path>:<line>: <msg>". */
static void check_msg(const diag *d, size_t i, const char *path, int line, const char *msg)
{
    char *want = xasprintf("%s:%d: %s", path, line, msg);
    CHECK(i < d->n);
    CHECK_EQ_STR(i < d->n ? d->msgs[i] : NULL, want);
    free(want);
}

/* Every field error, each reported with its line; the load fails. */
static void test_field_errors(void)
{
    diag d;
    char *p;
    fx_table *t = load_bad("date,base,quote,rate\n"
                           "2024-02-30,EUR,KRW,1\n"
                           "2023-02-29,EUR,KRW,1\n"
                           "24-01-01,EUR,KRW,1\n"
                           "2024/01/01,EUR,KRW,1\n"
                           "2024-01-01,EUX,KRW,1\n"
                           "2024-01-01,EUR,XAU,1\n"
                           "2024-01-01,EUR,KRW,0\n"
                           "2024-01-01,EUR,KRW,-1.5\n"
                           "2024-01-01,EUR,KRW,abc\n"
                           "2024-01-01,EUR,KRW\n"
                           "2024-01-01,EUR,KRW,1,2\n"
                           "2024-01-01,EUR,EUR,1\n"
                           "2024-13-01,eur,KRW,0.0000000000000000001\n"
                           "date,base,quote,rate\n",
                           &d, &p);
    CHECK(t == NULL);
    check_msg(&d, 0, p, 2, "bad date '2024-02-30' (want YYYY-MM-DD)");
    check_msg(&d, 1, p, 3, "bad date '2023-02-29' (want YYYY-MM-DD)");
    check_msg(&d, 2, p, 4, "bad date '24-01-01' (want YYYY-MM-DD)");
    check_msg(&d, 3, p, 5, "bad date '2024/01/01' (want YYYY-MM-DD)");
    check_msg(&d, 4, p, 6, "unknown base currency 'EUX' (want an ISO 4217 code such as EUR)");
    check_msg(&d, 5, p, 7, "unknown quote currency 'XAU' (want an ISO 4217 code such as EUR)");
    check_msg(&d, 6, p, 8, "rate '0' must be greater than zero");
    check_msg(&d, 7, p, 9, "rate '-1.5' must be greater than zero");
    check_msg(&d, 8, p, 10, "bad rate 'abc' (not a number; want a decimal such as 1350.25)");
    check_msg(&d, 9, p, 11, "expected 4 fields date,base,quote,rate, found fewer");
    check_msg(&d, 10, p, 12, "expected 4 fields date,base,quote,rate, found more");
    check_msg(&d, 11, p, 13, "base and quote are the same currency 'EUR'");
    check_msg(&d, 12, p, 14, "bad date '2024-13-01' (want YYYY-MM-DD)");
    check_msg(&d, 13, p, 14, "unknown base currency 'eur' (want an ISO 4217 code such as EUR)");
    check_msg(&d, 14, p, 14, "bad rate '0.0000000000000000001' "
                             "(precision; want a decimal such as 1350.25)");
    check_msg(&d, 15, p, 15, "bad date 'date' (want YYYY-MM-DD)"); /* header only first */
    CHECK_EQ_INT(d.n, 19);
    diag_free(&d);
    free(p);
}

/* A conflicting duplicate names both lines; an equal one is not an error. */
static void test_duplicates(void)
{
    diag d;
    char *p;
    fx_table *t = load_bad("2024-01-02,EUR,KRW,1450.5\n"
                           "2024-01-02,EUR,USD,1.09\n"
                           "2024-01-02,EUR,KRW,1450.50\n"
                           "2024-01-02,EUR,KRW,1451\n",
                           &d, &p);
    CHECK(t == NULL);
    CHECK_EQ_INT(d.n, 1);
    check_msg(&d, 0, p, 4, "conflicting rate 1451 for EUR/KRW on 2024-01-02: line 1 says 1450.5");
    diag_free(&d);
    free(p);
}

/* A missing file, and a file so broken that reading stops early. */
static void test_file_errors(void)
{
    diag d;
    diag_init(&d);
    char *missing = path_join(tmpdir, "nope.csv");
    CHECK(fx_load(missing, &d) == NULL);
    CHECK_EQ_INT(d.n, 1);
    char *want = xasprintf("%s: cannot open FX rates file: No such file or directory", missing);
    CHECK_EQ_STR(d.n ? d.msgs[0] : NULL, want);
    free(want);
    free(missing);
    diag_free(&d);
    sbuf b;
    sbuf_init(&b);
    for (int i = 0; i < 50; i++)
        sbuf_adds(&b, "garbage\n");
    char *p;
    CHECK(load_bad(b.buf, &d, &p) == NULL);
    CHECK_EQ_INT(d.n, 21); /* 20 errors and "too many errors" */
    want = xasprintf("%s: too many errors; stopped reading at line 20", p);
    CHECK_EQ_STR(d.n == 21 ? d.msgs[20] : NULL, want);
    free(want);
    free(p);
    sbuf_free(&b);
    diag_free(&d);
}

/* Removes the files the tests wrote and the directory. */
static void cleanup(void)
{
    static const char *names[] = {"ok.csv", "bad.csv"};
    for (size_t i = 0; i < 2; i++) {
        char *p = path_join(tmpdir, names[i]);
        unlink(p);
        free(p);
    }
    rmdir(tmpdir);
}

/* Runs every group in a private temp dir; exit status 1 if any check failed. */
int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_lookup();
    test_dates();
    test_empty();
    test_field_errors();
    test_duplicates();
    test_file_errors();
    cleanup();
    return check_done();
}
