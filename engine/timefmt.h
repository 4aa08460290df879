/*
 * timefmt.h - calendar arithmetic, timestamp parsing, business days and
 * statement periods. All instants are int64 seconds since the Unix epoch
 * (UTC); all dates are int32 days since 1970-01-01 (proleptic Gregorian).
 */
#ifndef SETTLE_TIMEFMT_H
#define SETTLE_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#include "tz.h"

int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
void civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* Writes "YYYY-MM-DD" (11 bytes incl. NUL). */
void date_format(int32_t day, char buf[11]);
/* Parses "YYYY-MM-DD" strictly (valid calendar date); returns 0 or -1. */
int date_parse(const char *s, size_t n, int32_t *day);
/* Writes "YYYY-MM-DDTHH:MM:SSZ" (21 bytes incl. NUL). */
void instant_format(int64_t utc, char buf[21]);

/*
 * The time window: instants from 1900-01-01T00:00:00Z to 2199-12-31T23:59:59Z
 * and business days 1900-01-01 .. 2199-12-31. time_parse refuses instants
 * outside it (TIME_BAD); a business day outside it (a zone or day_starts_at
 * shift past an edge) is refused by the normaliser as a bad time, so every
 * day settle stores prints as a four-digit year and its period label parses back.
 */
#define TIME_FIRST_DAY (-25567) /* 1900-01-01 */
#define TIME_LAST_DAY 84005     /* 2199-12-31 */
/* True when `day` is inside the window. */
static inline int time_day_in_window(int32_t day)
{
    return day >= TIME_FIRST_DAY && day <= TIME_LAST_DAY;
}

typedef enum time_kind {
    TIME_ISO8601 = 0, /* 2025-09-22T13:45:00Z, ...+09:00, fractions; no zone = partner zone */
    TIME_EPOCH_S,     /* integer seconds, optional fraction ignored ("1695390000.123") */
    TIME_EPOCH_MS,    /* integer milliseconds, truncated toward -inf to seconds */
    TIME_PATTERN      /* strftime-style pattern, read in the partner's zone */
} time_kind;

typedef struct time_format {
    time_kind kind;
    char *pattern; /* owned; only for TIME_PATTERN */
} time_format;

typedef enum time_status {
    TIME_OK = 0,
    TIME_BAD,         /* does not match the format, or not a real date/time */
    TIME_NONEXISTENT, /* local time inside a DST gap of the partner's zone */
    TIME_OUT_OF_WINDOW /* a real time, but outside the time window (TIME_FIRST_DAY..) */
} time_status;

/*
 * Checks a strftime-style pattern once, at config load. Supported directives:
 * %Y %m %d %H %M %S %y %b (English month abbreviation, any case) %j %f
 * (fraction digits, ignored) %z (+hh:mm, +hhmm, Z) %p with %I, %T (= %H:%M:%S),
 * %F (= %Y-%m-%d), %% and literal characters; a space matches one or more blanks.
 * Returns 0, or -1 with a reason in err.
 */
int time_pattern_check(const char *pattern, char *err, size_t errlen);

/*
 * Parses a timestamp of format `f` from s[0..n) into a UTC instant. Local
 * times (no offset in the text) are read in `zone` with DST applied.
 */
time_status time_parse(const time_format *f, const char *s, size_t n, const tz_zone *zone,
                       int64_t *utc);

/*
 * Business day of an instant: the local date in `zone` of (utc - day_start),
 * where day_start is the cut-off in seconds after local midnight
 * (day_starts_at "06:00" -> 21600: 05:59 local belongs to the previous day).
 */
int32_t business_day(int64_t utc, const tz_zone *zone, int32_t day_start);

typedef enum period_kind { PERIOD_DAILY = 0, PERIOD_WEEKLY, PERIOD_MONTHLY } period_kind;

/* First and last day (inclusive) of the period containing `day`. ISO weeks start Monday. */
int32_t period_first_day(period_kind k, int32_t day);
int32_t period_last_day(period_kind k, int32_t day);
/* "2025-09-22", "2025-W39" (ISO week-year), "2025-09". `buf` holds 16 bytes. */
void period_label(period_kind k, int32_t day, char buf[16]);
/* Parses a label of any kind back to its first day and kind; 0 or -1. */
int period_parse(const char *s, size_t n, period_kind *k, int32_t *first_day);
const char *period_kind_name(period_kind k); /* "daily" "weekly" "monthly" */

#endif
