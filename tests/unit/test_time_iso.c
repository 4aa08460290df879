/*
 * test_time_iso.c - the fixed-layout ISO 8601 fast path of time_parse
 * ("YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM]") against the general reader, and
 * against libc's timegm. The general reader is reached through the same
 * text spelled the other ways ISO 8601 allows ('t' for 'T', 'z' for 'Z',
 * ',' for '.'), which the fast path leaves to it: both must give the same
 * status and instant for every generated text, good or bad.
 */
#define _DEFAULT_SOURCE /* timegm */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "timefmt.h"
#include "tz.h"

static uint64_t rng = 0x2545F4914F6CDD1Du;

/* A pseudo-random number below n (xorshift64; fixed seed). */
static unsigned pick(unsigned n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* A number for a field: mostly in range, sometimes just outside it. */
static int field(int lo, int hi)
{
    return pick(12) == 0 ? (int)pick((unsigned)hi + 3) : lo + (int)pick((unsigned)(hi - lo + 1));
}

/* Writes one text in (or near) the fixed layout into s; returns its length. */
static size_t gen(char *s, size_t cap)
{
    int y = pick(20) == 0 ? (int)pick(10000) : 1890 + (int)pick(320);
    int n = snprintf(s, cap, "%04d-%02d-%02dT%02d:%02d:%02d", y, field(1, 12), field(1, 31),
                     field(0, 23), field(0, 59), field(0, 59));
    static const char *const frac[] = {"", "", ".5", ".123", ".123456789", "."};
    n += snprintf(s + n, cap - (size_t)n, "%s", frac[pick(6)]);
    unsigned k = pick(4);
    if (k == 1)
        n += snprintf(s + n, cap - (size_t)n, "Z");
    else if (k >= 2)
        n += snprintf(s + n, cap - (size_t)n, "%c%02d:%02d", pick(2) ? '-' : '+', field(0, 23),
                      field(0, 59));
    if (pick(30) == 0) /* a character broken anywhere */
        s[pick((unsigned)n)] = "x9 :-+TZ."[pick(9)];
    return (size_t)n;
}

/* The same text spelled the ways the fast path leaves to the general reader. */
static void respell(char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s[i] = s[i] == 'T' ? 't' : s[i] == 'Z' ? 'z' : s[i] == '.' ? ',' : s[i];
}

/*
 * The instant libc's timegm gives a text "YYYY-MM-DD?HH:MM:SS[.fff](Z|+HH:MM)"
 * read here on its own, or INT64_MIN for any other text or a field out of
 * range (timegm would normalise it).
 */
static int64_t by_libc(const char *s)
{
    int y, mo, d, h, mi, sec, oh = 0, om = 0, k = 0;
    char sign = 'Z';
    if (sscanf(s, "%4d-%2d-%2d%*c%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &k) != 6 || k != 19)
        return INT64_MIN;
    s += 19;
    if (*s == '.')
        s += 1 + strspn(s + 1, "0123456789");
    if (*s == 'Z')
        s++;
    else if ((*s == '+' || *s == '-') && sscanf(s + 1, "%2d:%2d%n", &oh, &om, &k) == 2 && k == 5)
        sign = *s, s += 6;
    else
        return INT64_MIN; /* no offset: the zone's rules decide, not timegm */
    if (*s || oh > 23 || om > 59)
        return INT64_MIN;
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > len[mo - 1] + (mo == 2 && leap) || h > 23 || mi > 59 ||
        sec > 59)
        return INT64_MIN;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                    .tm_min = mi, .tm_sec = sec};
    return (int64_t)timegm(&tm) - (oh * 3600 + om * 60) * (sign == '-' ? -1 : 1);
}

/* Generated texts: fast path and general reader agree; good texts with an offset agree with libc. */
static void test_differential(void)
{
    char err[256];
    tz_zone *zones[3] = {NULL, tz_load("Asia/Seoul", err, sizeof err),
                         tz_load("Europe/Malta", err, sizeof err)};
    CHECK(zones[1] && zones[2]);
    time_format f = {TIME_ISO8601, NULL};
    int differ = 0, wrong = 0, good = 0, checked = 0;
    for (int i = 0; i < 200000; i++) {
        char s[64], t[64];
        size_t n = gen(s, sizeof s);
        memcpy(t, s, n + 1);
        respell(t, n);
        const tz_zone *z = zones[i % 3];
        int64_t a = -1, b = -1;
        time_status sa = time_parse(&f, s, n, z, &a), sb = time_parse(&f, t, n, z, &b);
        if ((sa != sb || (sa == TIME_OK && a != b)) && !differ++)
            fprintf(stderr, "  '%s': %d %lld, '%s': %d %lld\n", s, sa, (long long)a, t, sb,
                    (long long)b);
        good += sa == TIME_OK;
        int64_t c = by_libc(s);
        if (sa == TIME_OK && c != INT64_MIN) {
            checked++;
            if (c != a && !wrong++)
                fprintf(stderr, "  '%s': %lld, libc %lld\n", s, (long long)a, (long long)c);
        }
    }
    CHECK_EQ_INT(differ, 0);
    CHECK_EQ_INT(wrong, 0);
    CHECK(good > 100000 && checked > 50000); /* the fast path's texts were many */
    tz_free(zones[1]);
    tz_free(zones[2]);
}

int main(void)
{
    test_differential();
    return check_done();
}
