/*
 * timefmt.c - calendar arithmetic (Howard Hinnant's days_from_civil and
 * civil_from_days, proleptic Gregorian, any int64 year), date and instant
 * text, business days and statement periods. Timestamp parsing is in
 * timeparse.c. Integers only; nothing here allocates.
 */
#include <stdio.h>
#include <string.h>

#include "timefmt.h"

/* Floor division for b > 0 (C division truncates toward zero). */
static int64_t tf_floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* True when y is a Gregorian leap year. */
static int tf_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Number of days in month m (1..12) of year y. */
static unsigned tf_mdays(int64_t y, unsigned m)
{
    static const unsigned char len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && tf_leap(y) ? 29 : len[m - 1];
}

/* Days since 1970-01-01 of y-m-d (m 1..12, d 1..31; not validated). */
int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);                      /* [0, 399] */
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          /* [0, 146096] */
    return era * 146097 + (int64_t)doe - 719468;
}

/* Inverse of days_from_civil: the civil date of day number `days`. */
void civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned)(days - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Writes v as exactly w decimal digits at p (no NUL). */
static void tf_put(char *p, unsigned v, int w)
{
    while (w-- > 0) {
        p[w] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* Writes the 10 bytes "YYYY-MM-DD" of day number `days` at p (no NUL).
 * Years outside 0..9999 (never produced by the parsers) come out as
 * "####-##-##" rather than overrunning. */
static void tf_put_date(char *p, int64_t days)
{
    int64_t y;
    unsigned m, d;
    memcpy(p, "####-##-##", 10);
    if (days < -719528 || days > 2932896) /* 0000-01-01 .. 9999-12-31 */
        return;
    civil_from_days(days, &y, &m, &d);
    tf_put(p, (unsigned)y, 4);
    tf_put(p + 5, m, 2);
    tf_put(p + 8, d, 2);
}

/* Writes "YYYY-MM-DD" and a NUL into buf (see tf_put_date for odd years). */
void date_format(int32_t day, char buf[11])
{
    tf_put_date(buf, day);
    buf[10] = 0;
}

/* Reads exactly `w` ASCII digits from s into *v. Returns 0 or -1. */
static int tf_digits(const char *s, int w, int *v)
{
    int x = 0;
    for (int i = 0; i < w; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 0;
}

/* Reads "YYYY-MM" at s (7 bytes available), month 1..12. Returns 0 or -1. */
static int tf_year_month(const char *s, int *y, int *m)
{
    if (tf_digits(s, 4, y) < 0 || s[4] != '-' || tf_digits(s + 5, 2, m) < 0)
        return -1;
    return *m >= 1 && *m <= 12 ? 0 : -1;
}

/* Parses exactly "YYYY-MM-DD", a real calendar date. Returns 0 or -1. */
int date_parse(const char *s, size_t n, int32_t *day)
{
    int y, m, d;
    if (n != 10 || tf_year_month(s, &y, &m) < 0 || s[7] != '-' || tf_digits(s + 8, 2, &d) < 0)
        return -1;
    if (d < 1 || (unsigned)d > tf_mdays(y, (unsigned)m))
        return -1;
    *day = (int32_t)days_from_civil(y, (unsigned)m, (unsigned)d);
    return 0;
}

/* Writes "YYYY-MM-DDTHH:MM:SSZ" and a NUL into buf (date as date_format). */
void instant_format(int64_t utc, char buf[21])
{
    int64_t days = tf_floordiv(utc, 86400);
    unsigned secs = (unsigned)(utc - days * 86400);
    tf_put_date(buf, days);
    memcpy(buf + 10, "T00:00:00Z", 11);
    tf_put(buf + 11, secs / 3600, 2);
    tf_put(buf + 14, secs / 60 % 60, 2);
    tf_put(buf + 17, secs % 60, 2);
}

/*
 * Business day of `utc`: the local wall-clock time in `zone` (UTC when NULL)
 * minus the cut-off day_start, as a date. Measured on the wall clock, so a
 * cut-off of 06:00 holds at 06:00 local even on a DST change day.
 */
int32_t business_day(int64_t utc, const tz_zone *zone, int32_t day_start)
{
    int64_t local = utc + (zone ? tz_offset_at(zone, utc) : 0);
    return (int32_t)tf_floordiv(local - day_start, 86400);
}

/* ISO weekday of a day number: 0 = Monday .. 6 = Sunday (day 0 was Thursday). */
static int32_t tf_weekday(int32_t day)
{
    return (int32_t)((day % 7 + 10) % 7);
}

/* First day of the month containing `day`. */
static int32_t tf_month_first(int32_t day)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(day, &y, &m, &d);
    return (int32_t)(day - (int32_t)d + 1);
}

/* First day (inclusive) of the period of kind k containing `day`. */
int32_t period_first_day(period_kind k, int32_t day)
{
    if (k == PERIOD_WEEKLY)
        return day - tf_weekday(day);
    if (k == PERIOD_MONTHLY)
        return tf_month_first(day);
    return day;
}

/* Last day (inclusive) of the period of kind k containing `day`. */
int32_t period_last_day(period_kind k, int32_t day)
{
    int64_t y;
    unsigned m, d;
    if (k == PERIOD_WEEKLY)
        return period_first_day(k, day) + 6;
    if (k != PERIOD_MONTHLY)
        return day;
    civil_from_days(day, &y, &m, &d);
    return (int32_t)(day - (int32_t)d + (int32_t)tf_mdays(y, m));
}

/* ISO week-year and week number (1..53) of `day`. */
static void tf_iso_week(int32_t day, int64_t *year, int *week)
{
    int32_t thu = day - tf_weekday(day) + 3; /* the week belongs to its Thursday's year */
    unsigned m, d;
    civil_from_days(thu, year, &m, &d);
    *week = (int)((thu - days_from_civil(*year, 1, 1)) / 7 + 1);
}

/* Writes the label of the period containing `day` ("2025-W39" etc.). */
void period_label(period_kind k, int32_t day, char buf[16])
{
    int64_t y;
    unsigned m, d;
    int w;
    if (k == PERIOD_WEEKLY) {
        tf_iso_week(day, &y, &w);
        snprintf(buf, 16, "%04lld-W%02d", (long long)y, w);
    } else if (k == PERIOD_MONTHLY) {
        civil_from_days(day, &y, &m, &d);
        snprintf(buf, 16, "%04lld-%02u", (long long)y, m);
    } else {
        date_format(day, buf);
    }
}

/* Monday of ISO week `w` of week-year y, or -1 when y has no such week. */
static int tf_week_start(int y, int w, int32_t *first)
{
    int32_t jan4 = (int32_t)days_from_civil(y, 1, 4); /* always in week 1 */
    int32_t mon = jan4 - tf_weekday(jan4) + (w - 1) * 7;
    int64_t wy;
    int ww;
    tf_iso_week(mon, &wy, &ww);
    if (w < 1 || wy != y)
        return -1;
    *first = mon;
    return 0;
}

/* Parses "YYYY-MM-DD", "YYYY-Www" or "YYYY-MM" to kind and first day. 0/-1. */
int period_parse(const char *s, size_t n, period_kind *k, int32_t *first_day)
{
    int y, m, w;
    if (n == 10 && date_parse(s, n, first_day) == 0) {
        *k = PERIOD_DAILY;
        return 0;
    }
    if (n == 8 && tf_digits(s, 4, &y) == 0 && s[4] == '-' && s[5] == 'W' &&
        tf_digits(s + 6, 2, &w) == 0 && tf_week_start(y, w, first_day) == 0) {
        *k = PERIOD_WEEKLY;
        return 0;
    }
    if (n == 7 && tf_year_month(s, &y, &m) == 0) {
        *first_day = (int32_t)days_from_civil(y, (unsigned)m, 1);
        *k = PERIOD_MONTHLY;
        return 0;
    }
    return -1;
}

/* "daily", "weekly" or "monthly"; NULL when k is out of range. */
const char *period_kind_name(period_kind k)
{
    static const char *const names[] = {"daily", "weekly", "monthly"};
    return (unsigned)k < 3 ? names[k] : NULL;
}
