/*
 * timeparse.c - timestamp text to UTC instants: ISO 8601, epoch seconds,
 * epoch milliseconds and strftime-style patterns. A hand-written reader, not
 * strptime: no locale, no allocation, strict ranges, and it never reads past
 * s[n-1] (cells are not NUL-terminated). Instants are limited to the
 * window of timefmt.h (1900-01-01T00:00:00Z .. 2199-12-31T23:59:59Z) so every
 * result prints with instant_format and lands in a period label that
 * round-trips; anything outside is TIME_BAD.
 *
 * Deliberate limits: seconds are 0..59 (a leap second "60" is TIME_BAD);
 * hours are 0..23 ("24:00" is TIME_BAD); fractions are read and dropped.
 */
#include <stdio.h>

#include "timefmt.h"

#define TP_MIN ((int64_t)TIME_FIRST_DAY * 86400)        /* 1900-01-01T00:00:00Z */
#define TP_MAX ((int64_t)TIME_LAST_DAY * 86400 + 86399) /* 2199-12-31T23:59:59Z */

/* Pattern fields, as bits, for time_pattern_check. */
enum {
    TPF_YEAR = 1 << 0, TPF_MON = 1 << 1, TPF_MDAY = 1 << 2, TPF_YDAY = 1 << 3,
    TPF_HOUR = 1 << 4, TPF_HOUR12 = 1 << 5, TPF_AMPM = 1 << 6, TPF_MIN = 1 << 7,
    TPF_SEC = 1 << 8, TPF_FRAC = 1 << 9, TPF_OFF = 1 << 10
};

/* A read position in s[0..n); no read ever happens at or past `e`. */
typedef struct tp_cur {
    const char *p, *e;
} tp_cur;

/* Fields read from the text, before they become an instant. */
typedef struct tp_fields {
    int year, mon, mday, yday; /* yday (1..366) is used when non-zero */
    int hour, min, sec;
    int hour12, pm;  /* %I (1..12) and %p (1 = PM), used when hour12 != 0 */
    int has_off;     /* an offset was in the text ... */
    int32_t off;     /* ... of this many seconds east */
} tp_fields;

static int tp_walk(tp_cur *c, const char *pat, tp_fields *f);

/* True when the next character is `ch`; never reads past the end. */
static int tp_at(const tp_cur *c, char ch)
{
    return c->p < c->e && *c->p == ch;
}

/* Consumes `ch` when it is next. Returns 1 if consumed, else 0. */
static int tp_eat(tp_cur *c, char ch)
{
    if (!tp_at(c, ch))
        return 0;
    c->p++;
    return 1;
}

/* True when the next character is an ASCII digit. */
static int tp_at_digit(const tp_cur *c)
{
    return c->p < c->e && *c->p >= '0' && *c->p <= '9';
}

/* True for the blanks trimmed around a value and matched by a pattern space. */
static int tp_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Narrows the cursor past leading and trailing blanks. */
static void tp_trim(tp_cur *c)
{
    while (c->p < c->e && tp_blank(*c->p))
        c->p++;
    while (c->e > c->p && tp_blank(c->e[-1]))
        c->e--;
}

/* Reads mind..maxd digits into *v; -1 when fewer than mind or *v > hi. */
static int tp_num(tp_cur *c, int mind, int maxd, int hi, int *v)
{
    int k = 0, x = 0;
    for (; k < maxd && tp_at_digit(c); k++)
        x = x * 10 + (*c->p++ - '0');
    *v = x;
    return k >= mind && x <= hi ? 0 : -1;
}

/* Skips one or more digits (a fraction). Returns 0, or -1 when none. */
static int tp_frac(tp_cur *c)
{
    const char *s = c->p;
    while (tp_at_digit(c))
        c->p++;
    return c->p > s ? 0 : -1;
}

/* Reads Z, +hh, +hh:mm or +hhmm (also '-') into f. Returns 0 or -1. */
static int tp_offset(tp_cur *c, tp_fields *f)
{
    int neg, h, m = 0;
    f->has_off = 1;
    f->off = 0;
    if (tp_eat(c, 'Z') || tp_eat(c, 'z'))
        return 0;
    if (!(neg = tp_eat(c, '-')) && !tp_eat(c, '+'))
        return -1;
    if (tp_num(c, 2, 2, 23, &h) < 0)
        return -1;
    if ((tp_eat(c, ':') || tp_at_digit(c)) && tp_num(c, 2, 2, 59, &m) < 0)
        return -1;
    f->off = (int32_t)((h * 3600 + m * 60) * (neg ? -1 : 1));
    return 0;
}

/* Lower-cases an ASCII letter (no locale). */
static char tp_lower(char ch)
{
    return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

/* True when the next len bytes equal lower-case `word`, any case. */
static int tp_word(const tp_cur *c, const char *word, int len)
{
    if (c->e - c->p < len)
        return 0;
    for (int i = 0; i < len; i++)
        if (tp_lower(c->p[i]) != word[i])
            return 0;
    return 1;
}

/* Reads an English month abbreviation ("Sep", any case) into *mon. 0/-1. */
static int tp_month_name(tp_cur *c, int *mon)
{
    static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    for (int i = 0; i < 12; i++)
        if (tp_word(c, names + 3 * i, 3)) {
            c->p += 3;
            *mon = i + 1;
            return 0;
        }
    return -1;
}

/* Reads AM or PM (any case) into *pm. Returns 0 or -1. */
static int tp_ampm(tp_cur *c, int *pm)
{
    *pm = tp_word(c, "pm", 2);
    if (!*pm && !tp_word(c, "am", 2))
        return -1;
    c->p += 2;
    return 0;
}

/* Reads a two-digit %y year: 69..99 -> 19xx, 00..68 -> 20xx (POSIX). */
static int tp_short_year(tp_cur *c, int *year)
{
    if (tp_num(c, 2, 2, 99, year) < 0)
        return -1;
    *year += *year < 69 ? 2000 : 1900;
    return 0;
}

/* Reads the text for directive %d (the letter) into f. Returns 0 or -1. */
static int tp_directive(tp_cur *c, char d, tp_fields *f)
{
    switch (d) {
    case 'Y': return tp_num(c, 4, 4, 9999, &f->year);
    case 'y': return tp_short_year(c, &f->year);
    case 'm': return tp_num(c, 1, 2, 12, &f->mon);
    case 'b': return tp_month_name(c, &f->mon);
    case 'd': return tp_num(c, 1, 2, 31, &f->mday);
    case 'j': return tp_num(c, 1, 3, 366, &f->yday) < 0 || !f->yday ? -1 : 0;
    case 'H': return tp_num(c, 1, 2, 23, &f->hour);
    case 'I': return tp_num(c, 1, 2, 12, &f->hour12) < 0 || !f->hour12 ? -1 : 0;
    case 'p': return tp_ampm(c, &f->pm);
    case 'M': return tp_num(c, 1, 2, 59, &f->min);
    case 'S': return tp_num(c, 1, 2, 59, &f->sec);
    case 'f': return tp_frac(c);
    case 'z': return tp_offset(c, f);
    case 'T': return tp_walk(c, "%H:%M:%S", f);
    case 'F': return tp_walk(c, "%Y-%m-%d", f);
    case '%': return tp_eat(c, '%') ? 0 : -1;
    }
    return -1;
}

/* Matches the text against pattern `pat`, filling f. Returns 0 or -1. */
static int tp_walk(tp_cur *c, const char *pat, tp_fields *f)
{
    for (const char *q = pat; *q; q++) {
        if (*q == '%') {
            if (!*++q || tp_directive(c, *q, f) < 0)
                return -1;
        } else if (*q == ' ') {
            if (c->p == c->e || !tp_blank(*c->p))
                return -1;
            while (c->p < c->e && tp_blank(*c->p))
                c->p++;
        } else if (!tp_eat(c, *q)) {
            return -1;
        }
    }
    return 0;
}

/* True when y is a Gregorian leap year. */
static int tp_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Day number of the fields' date, or -1 when it is not a real date. */
static int tp_day(const tp_fields *f, int64_t *day)
{
    static const unsigned char len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (f->yday) {
        if (f->yday > 365 + tp_leap(f->year))
            return -1;
        *day = days_from_civil(f->year, 1, 1) + f->yday - 1;
        return 0;
    }
    if (f->mon < 1 || f->mon > 12 || f->mday < 1)
        return -1;
    if (f->mday > len[f->mon - 1] + (f->mon == 2 && tp_leap(f->year)))
        return -1;
    *day = days_from_civil(f->year, (unsigned)f->mon, (unsigned)f->mday);
    return 0;
}

/* Turns fields into a UTC instant: the text's offset, else `zone` (UTC if NULL). */
static time_status tp_finish(const tp_fields *f, const tz_zone *zone, int64_t *utc)
{
    int64_t day, local, u;
    if (tp_day(f, &day) < 0)
        return TIME_BAD;
    local = day * 86400 + f->hour * 3600 + f->min * 60 + f->sec;
    if (f->has_off)
        u = local - f->off;
    else if (!zone)
        u = local;
    else if (tz_local_to_utc(zone, local, &u) != TZ_OK)
        return TIME_NONEXISTENT;
    if (u < TP_MIN || u > TP_MAX)
        return TIME_OUT_OF_WINDOW;
    *utc = u;
    return TIME_OK;
}

/* Reads "HH:MM[:SS[.fff]]" into f. Returns 0 or -1. */
static int tp_clock(tp_cur *c, tp_fields *f)
{
    if (tp_num(c, 2, 2, 23, &f->hour) < 0 || !tp_eat(c, ':'))
        return -1;
    if (tp_num(c, 2, 2, 59, &f->min) < 0)
        return -1;
    if (!tp_eat(c, ':'))
        return 0;
    if (tp_num(c, 2, 2, 59, &f->sec) < 0)
        return -1;
    if (tp_eat(c, '.') || tp_eat(c, ','))
        return tp_frac(c);
    return 0;
}

/* ISO 8601: "YYYY-MM-DD" (local midnight) or date, T/space, clock, [offset]. */
static time_status tp_iso(tp_cur *c, const tz_zone *zone, int64_t *utc)
{
    tp_fields f = {0};
    if (tp_num(c, 4, 4, 9999, &f.year) < 0 || !tp_eat(c, '-') ||
        tp_num(c, 2, 2, 12, &f.mon) < 0 || !tp_eat(c, '-') || tp_num(c, 2, 2, 31, &f.mday) < 0)
        return TIME_BAD;
    if (c->p < c->e) {
        if (!tp_eat(c, 'T') && !tp_eat(c, 't') && !tp_eat(c, ' '))
            return TIME_BAD;
        if (tp_clock(c, &f) < 0 || (c->p < c->e && tp_offset(c, &f) < 0))
            return TIME_BAD;
    }
    return c->p == c->e ? tp_finish(&f, zone, utc) : TIME_BAD;
}

/* The two digits at s as a number, or -1 when either is not a digit. */
static int tp_2d(const char *s)
{
    unsigned a = (unsigned)(s[0] - '0'), b = (unsigned)(s[1] - '0');
    return a < 10 && b < 10 ? (int)(a * 10 + b) : -1;
}

/*
 * The fixed layout "YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|-HH:MM]" read in one
 * go: the common case of ISO 8601. Returns 0 with the fields in f, or -1 for
 * any other text (tp_iso then reads it), so both agree on every text the
 * fast path takes: the same ranges, then the same tp_finish.
 */
static int tp_iso_fixed(const tp_cur *c, tp_fields *f)
{
    const char *s = c->p, *e = c->e;
    if (e - s < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return -1;
    int y1 = tp_2d(s), y2 = tp_2d(s + 2);
    f->mon = tp_2d(s + 5), f->mday = tp_2d(s + 8);
    f->hour = tp_2d(s + 11), f->min = tp_2d(s + 14), f->sec = tp_2d(s + 17);
    if (y1 < 0 || y2 < 0 || f->mon < 0 || f->mon > 12 || f->mday < 0 || f->mday > 31 ||
        f->hour < 0 || f->hour > 23 || f->min < 0 || f->min > 59 || f->sec < 0 || f->sec > 59)
        return -1;
    f->year = y1 * 100 + y2;
    s += 19;
    if (s < e && *s == '.') {
        const char *d = ++s;
        while (s < e && *s >= '0' && *s <= '9')
            s++;
        if (s == d)
            return -1;
    }
    if (s == e)
        return 0;
    f->has_off = 1;
    if (*s == 'Z')
        return s + 1 == e ? 0 : -1;
    int h, m;
    if (e - s != 6 || (*s != '+' && *s != '-') || s[3] != ':' || (h = tp_2d(s + 1)) < 0 ||
        h > 23 || (m = tp_2d(s + 4)) < 0 || m > 59)
        return -1;
    f->off = (int32_t)((h * 3600 + m * 60) * (*s == '-' ? -1 : 1));
    return 0;
}

/* Reads [+-]digits into *v without overflow. Returns 0 or -1. */
static int tp_int(tp_cur *c, int64_t *v)
{
    int neg = tp_eat(c, '-'), k = 0;
    uint64_t x = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (!neg)
        tp_eat(c, '+');
    for (; tp_at_digit(c); k++) {
        unsigned dig = (unsigned)(*c->p++ - '0');
        if (x > (lim - dig) / 10)
            return -1;
        x = x * 10 + dig;
    }
    if (k == 0)
        return -1;
    *v = !neg ? (int64_t)x : x == lim ? INT64_MIN : -(int64_t)x;
    return 0;
}

/*
 * Epoch text: seconds (unit 1) with an optional ".fff" that is dropped, so
 * "-1.5" is -1; or milliseconds (unit 1000), integer only, floored.
 */
static time_status tp_epoch(tp_cur *c, int64_t unit, int64_t *utc)
{
    int64_t v, q;
    if (tp_int(c, &v) < 0)
        return TIME_BAD;
    if (unit == 1 && tp_eat(c, '.') && tp_frac(c) < 0)
        return TIME_BAD;
    if (c->p != c->e)
        return TIME_BAD;
    q = v / unit;
    q -= (v % unit != 0 && v < 0);
    if (q < TP_MIN || q > TP_MAX)
        return TIME_OUT_OF_WINDOW;
    *utc = q;
    return TIME_OK;
}

/* Pattern text: the whole (trimmed) text must match `pat`. */
static time_status tp_pattern(tp_cur *c, const char *pat, const tz_zone *zone, int64_t *utc)
{
    tp_fields f = {0};
    if (tp_walk(c, pat, &f) < 0 || c->p != c->e)
        return TIME_BAD;
    if (f.hour12)
        f.hour = f.hour12 % 12 + (f.pm ? 12 : 0);
    return tp_finish(&f, zone, utc);
}

/* Parses s[0..n) per format f; see timefmt.h. *utc is set only on TIME_OK. */
time_status time_parse(const time_format *f, const char *s, size_t n, const tz_zone *zone,
                       int64_t *utc)
{
    tp_cur c = {s ? s : "", s ? s + n : ""};
    tp_trim(&c);
    switch (f->kind) {
    case TIME_ISO8601: {
        tp_fields fx = {0};
        return tp_iso_fixed(&c, &fx) == 0 ? tp_finish(&fx, zone, utc) : tp_iso(&c, zone, utc);
    }
    case TIME_EPOCH_S: return tp_epoch(&c, 1, utc);
    case TIME_EPOCH_MS: return tp_epoch(&c, 1000, utc);
    case TIME_PATTERN: return f->pattern ? tp_pattern(&c, f->pattern, zone, utc) : TIME_BAD;
    }
    return TIME_BAD;
}

/* Fields set by directive d (0 for %%), or -1 when d is not supported. */
static int tp_bits(char d)
{
    switch (d) {
    case 'Y': case 'y': return TPF_YEAR;
    case 'm': case 'b': return TPF_MON;
    case 'd': return TPF_MDAY;
    case 'j': return TPF_YDAY;
    case 'H': return TPF_HOUR;
    case 'I': return TPF_HOUR12;
    case 'p': return TPF_AMPM;
    case 'M': return TPF_MIN;
    case 'S': return TPF_SEC;
    case 'f': return TPF_FRAC;
    case 'z': return TPF_OFF;
    case 'T': return TPF_HOUR | TPF_MIN | TPF_SEC;
    case 'F': return TPF_YEAR | TPF_MON | TPF_MDAY;
    case '%': return 0;
    }
    return -1;
}

/* Checks the combination of fields a pattern sets; NULL or the reason. */
static const char *tp_combo(int have)
{
    if (!(have & TPF_YEAR))
        return "needs a year (%Y, %y or %F)";
    if ((have & TPF_YDAY) ? (have & (TPF_MON | TPF_MDAY)) != 0
                          : (have & (TPF_MON | TPF_MDAY)) != (TPF_MON | TPF_MDAY))
        return "needs a month and a day (%m or %b, and %d), or %j alone";
    if ((have & TPF_HOUR) && (have & TPF_HOUR12))
        return "uses both %H and %I";
    if (!(have & TPF_HOUR12) != !(have & TPF_AMPM))
        return "must use %I and %p together";
    return NULL;
}

/* Walks the directives of `pattern`, collecting their fields in *have.
 * Returns NULL, or the reason it is refused with the culprit in *bad. */
static const char *tp_scan(const char *pattern, int *have, char *bad)
{
    int b;
    for (const char *q = pattern; *q; q++) {
        if (*q != '%')
            continue;
        *bad = *++q;
        if (!*bad)
            return "ends with a lone '%'";
        if ((b = tp_bits(*bad)) < 0)
            return "uses an unsupported directive %";
        if (*have & b)
            return "sets a field twice at %";
        *have |= b;
    }
    *bad = 0;
    return NULL;
}

/* Validates a pattern once at config load; see timefmt.h. 0, or -1 + err. */
int time_pattern_check(const char *pattern, char *err, size_t errlen)
{
    int have = 0;
    char bad = 0;
    const char *why = tp_scan(pattern, &have, &bad);
    if (!why)
        why = tp_combo(have);
    if (why && err && errlen)
        snprintf(err, errlen, "time pattern \"%s\" %s%.*s", pattern, why, bad ? 1 : 0, &bad);
    return why ? -1 : 0;
}
