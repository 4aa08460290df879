/*
 * tzrule.c - the POSIX TZ rule string of a TZif footer: parser and evaluator.
 *
 * Grammar (POSIX plus the RFC 8536 extensions):
 *   std offset [dst [offset] [,date[/time],date[/time]]]
 *   name   = 3+ letters, or <...> of letters, digits, '+', '-'
 *   offset = [+-]hh[:mm[:ss]], hh <= 24, sign inverted (CET-1 is UTC+1)
 *   date   = Mm.w.d | Jn | n;  time = [+-]hh[:mm[:ss]], hh <= 167
 * The start time is standard wall time, the end time daylight wall time.
 */
#include <string.h>

#include "timefmt.h"
#include "tzrule.h"

/* Instants beyond this are treated as "far future/past" to avoid overflow. */
#define TZR_LIMIT ((int64_t)1 << 52)

/* A read position in s[0..n); parsing never reads at or past `e`. */
typedef struct tzr_cur {
    const char *p, *e;
} tzr_cur;

/* One rule transition: instant, offset after it, and whether it ends DST. */
typedef struct tzr_tr {
    int64_t at;
    int32_t off;
    int to_std;
} tzr_tr;

/* True when the next character is `ch`; never reads past the end. */
static int tzr_at(const tzr_cur *c, char ch)
{
    return c->p < c->e && *c->p == ch;
}

/* Consumes `ch` when it is next. Returns 1 if consumed, else 0. */
static int tzr_eat(tzr_cur *c, char ch)
{
    if (!tzr_at(c, ch))
        return 0;
    c->p++;
    return 1;
}

/* ASCII-only class tests (no locale). */
static int tzr_isdigit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* True for an ASCII letter. */
static int tzr_isalpha(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

/* Reads 1..maxdig digits into *v. Returns 0, or -1 if none or *v > hi. */
static int tzr_num(tzr_cur *c, int maxdig, int hi, int *v)
{
    int k = 0, x = 0;
    while (k < maxdig && c->p < c->e && tzr_isdigit(*c->p)) {
        x = x * 10 + (*c->p++ - '0');
        k++;
    }
    *v = x;
    return k > 0 && x <= hi ? 0 : -1;
}

/* Skips a zone abbreviation (quoted or 3+ letters). Returns 0 or -1. */
static int tzr_name(tzr_cur *c)
{
    const char *s = c->p;
    if (tzr_eat(c, '<')) {
        while (c->p < c->e && (tzr_isalpha(*c->p) || tzr_isdigit(*c->p) ||
                               *c->p == '+' || *c->p == '-'))
            c->p++;
        return c->p - s >= 4 && tzr_eat(c, '>') ? 0 : -1;
    }
    while (c->p < c->e && tzr_isalpha(*c->p))
        c->p++;
    return c->p - s >= 3 ? 0 : -1;
}

/* Reads [+-]hh[:mm[:ss]] (hh <= maxh) into signed seconds. 0 or -1. */
static int tzr_hms(tzr_cur *c, int maxh, int32_t *secs)
{
    int neg = tzr_eat(c, '-'), h, m = 0, s = 0;
    if (!neg)
        tzr_eat(c, '+');
    if (tzr_num(c, maxh > 99 ? 3 : 2, maxh, &h) < 0)
        return -1;
    if (tzr_eat(c, ':')) {
        if (tzr_num(c, 2, 59, &m) < 0)
            return -1;
        if (tzr_eat(c, ':') && tzr_num(c, 2, 59, &s) < 0)
            return -1;
    }
    *secs = (int32_t)(h * 3600 + m * 60 + s) * (neg ? -1 : 1);
    return 0;
}

/* Reads the "m.w.d" of an Mm.w.d date (after the 'M'). 0 or -1. */
static int tzr_mdate(tzr_cur *c, tzrule_date *d)
{
    int m, w, wd;
    if (tzr_num(c, 2, 12, &m) < 0 || m < 1 || !tzr_eat(c, '.'))
        return -1;
    if (tzr_num(c, 1, 5, &w) < 0 || w < 1 || !tzr_eat(c, '.'))
        return -1;
    if (tzr_num(c, 1, 6, &wd) < 0)
        return -1;
    d->kind = 'M';
    d->m = (int16_t)m;
    d->w = (int16_t)w;
    d->d = (int16_t)wd;
    return 0;
}

/* Reads date[/time] into *d (time defaults to 02:00). Returns 0 or -1. */
static int tzr_date(tzr_cur *c, tzrule_date *d)
{
    int x;
    d->secs = 7200;
    if (tzr_eat(c, 'M')) {
        if (tzr_mdate(c, d) < 0)
            return -1;
    } else {
        d->kind = tzr_eat(c, 'J') ? 'J' : 'N';
        if (tzr_num(c, 3, 365, &x) < 0 || (d->kind == 'J' && x < 1))
            return -1;
        d->d = (int16_t)x;
    }
    return tzr_eat(c, '/') ? tzr_hms(c, 167, &d->secs) : 0;
}

/* Fills in the US rule POSIX implementations assume when none is given. */
static int tzr_default(tzrule *r)
{
    r->start = (tzrule_date){'M', 3, 2, 0, 7200};
    r->end = (tzrule_date){'M', 11, 1, 0, 7200};
    return 0;
}

/* Reads what follows the std part: "dst[offset][,date[/time],date[/time]]". */
static int tzr_dst(tzr_cur *c, tzrule *r)
{
    int32_t off;
    if (tzr_name(c) < 0)
        return -1;
    r->has_dst = 1;
    r->dst_off = r->std_off + 3600;
    if (c->p < c->e && !tzr_at(c, ',')) {
        if (tzr_hms(c, 24, &off) < 0)
            return -1;
        r->dst_off = -off;
    }
    if (c->p == c->e)
        return tzr_default(r);
    if (!tzr_eat(c, ',') || tzr_date(c, &r->start) < 0)
        return -1;
    if (!tzr_eat(c, ',') || tzr_date(c, &r->end) < 0)
        return -1;
    return c->p == c->e ? 0 : -1;
}

/* Parses a TZ rule; see tzrule.h. No allocation; 0 or -1. */
int tzrule_parse(const char *s, size_t n, tzrule *r)
{
    tzr_cur c = {s, s + n};
    int32_t off;
    memset(r, 0, sizeof *r);
    if (tzr_name(&c) < 0 || tzr_hms(&c, 24, &off) < 0)
        return -1;
    r->std_off = r->dst_off = -off;
    return c.p == c.e ? 0 : tzr_dst(&c, r);
}

/* Floor division for b > 0. */
static int64_t tzr_floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* Days since the epoch of the Mm.w.d date `d` in year y. */
static int64_t tzr_mday(const tzrule_date *d, int64_t y)
{
    int64_t first = days_from_civil(y, (unsigned)d->m, 1);
    int64_t next = d->m == 12 ? days_from_civil(y + 1, 1, 1)
                              : days_from_civil(y, (unsigned)d->m + 1, 1);
    int wd = (int)((first % 7 + 11) % 7); /* 0 = Sunday; day 0 was a Thursday */
    int64_t day = first + (d->d - wd + 7) % 7 + 7 * (d->w - 1);
    while (day >= next)
        day -= 7;
    return day;
}

/* Days since the epoch of rule date `d` in year y. */
static int64_t tzr_day(const tzrule_date *d, int64_t y)
{
    int64_t jan1 = days_from_civil(y, 1, 1);
    int leap = days_from_civil(y, 3, 1) - days_from_civil(y, 2, 1) == 29;
    if (d->kind == 'N')
        return jan1 + d->d;
    if (d->kind == 'J')
        return jan1 + d->d - 1 + (d->d >= 60 && leap);
    return tzr_mday(d, y);
}

/* Civil year of a local-time second count. */
static int64_t tzr_year(int64_t local)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(tzr_floordiv(local, 86400), &y, &m, &d);
    return y;
}

/* Orders transitions by instant; at a tie the change to standard goes first. */
static int tzr_before(const tzr_tr *a, const tzr_tr *b)
{
    return a->at < b->at || (a->at == b->at && a->to_std && !b->to_std);
}

/* Fills t[0..6) with the sorted transitions of years y-1, y and y+1. */
static void tzr_collect(const tzrule *r, int64_t y, tzr_tr t[6])
{
    for (int i = 0; i < 3; i++) {
        int64_t s = tzr_day(&r->start, y - 1 + i) * 86400 + r->start.secs;
        int64_t e = tzr_day(&r->end, y - 1 + i) * 86400 + r->end.secs;
        t[2 * i] = (tzr_tr){s - r->std_off, r->dst_off, 0};
        t[2 * i + 1] = (tzr_tr){e - r->dst_off, r->std_off, 1};
    }
    for (int i = 1; i < 6; i++)
        for (int j = i; j > 0 && tzr_before(&t[j], &t[j - 1]); j--) {
            tzr_tr x = t[j];
            t[j] = t[j - 1];
            t[j - 1] = x;
        }
}

/*
 * Offset in force at `utc` and the interval it holds for; see tzrule.h.
 * Beyond +-TZR_LIMIT (about 142 million years) standard time is assumed, and
 * intervals are clipped at the limit so every answer is deterministic.
 */
int32_t tzrule_interval(const tzrule *r, int64_t utc, int64_t *start, int64_t *end)
{
    tzr_tr t[6];
    int i;
    *start = INT64_MIN;
    *end = INT64_MAX;
    if (!r->has_dst)
        return r->std_off;
    if (utc < -TZR_LIMIT || utc > TZR_LIMIT) {
        *(utc < 0 ? end : start) = utc < 0 ? -TZR_LIMIT : TZR_LIMIT + 1;
        return r->std_off;
    }
    tzr_collect(r, tzr_year(utc + r->std_off), t);
    for (i = 5; i >= 0 && t[i].at > utc; i--)
        ;
    *start = i < 0 ? utc : t[i].at;
    *end = i < 5 ? t[i + 1].at : utc + 1;
    *start = *start < -TZR_LIMIT ? -TZR_LIMIT : *start;
    *end = *end > TZR_LIMIT + 1 ? TZR_LIMIT + 1 : *end;
    if (i < 0)
        return t[0].to_std ? r->dst_off : r->std_off;
    return t[i].off;
}
