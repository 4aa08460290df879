/*
 * tzrule.h - private to tz.c: the POSIX TZ rule string found in the footer of
 * a TZif v2+ file ("CET-1CEST,M3.5.0,M10.5.0/3", "<+09>-9"), parsed once
 * into a value and evaluated for any instant. RFC 8536 extensions are
 * accepted: rule times from -167h to +167h and all-year DST.
 */
#ifndef SETTLE_TZRULE_H
#define SETTLE_TZRULE_H

#include <stddef.h>
#include <stdint.h>

/* One transition date of a rule: Mm.w.d, Jn (1..365, no Feb 29) or n (0..365). */
typedef struct tzrule_date {
    char kind;    /* 'M', 'J' or 'N' */
    int16_t m, w; /* month 1..12 and week 1..5 (5 = last), for 'M' */
    int16_t d;    /* weekday 0..6 (Sunday = 0) for 'M'; the day number for 'J'/'N' */
    int32_t secs; /* local wall time of the change, -167h..+167h */
} tzrule_date;

typedef struct tzrule {
    int32_t std_off; /* standard offset from UTC, seconds east */
    int32_t dst_off; /* daylight offset, seconds east (== std_off without DST) */
    int has_dst;
    tzrule_date start; /* change to DST, in standard wall time */
    tzrule_date end;   /* change back, in daylight wall time */
} tzrule;

/*
 * Parses s[0..n) into *r. Returns 0, or -1 when the text is not a TZ rule
 * this engine understands (*r is then unspecified). Nothing is allocated.
 */
int tzrule_parse(const char *s, size_t n, tzrule *r);

/*
 * Offset in force at UTC instant `utc`. Also stores in *start and *end a half-open
 * interval [start, end) that holds `utc` and over which the offset is constant
 * (callers cache it). Never fails.
 */
int32_t tzrule_interval(const tzrule *r, int64_t utc, int64_t *start, int64_t *end);

#endif
