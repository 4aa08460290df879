/*
 * fx.c - the FX rates table: load "date,base,quote,rate" CSV, keep it sorted
 * by (base, quote, date) and find the latest rate on or before a day.
 *
 * Rules of the file: an optional header line "date,base,quote,rate" (any
 * case) as the first non-comment line; '#' comment lines and blank lines are
 * skipped; CRLF and a UTF-8 BOM are fine; a field may be wrapped in double
 * quotes. date is strict YYYY-MM-DD, base and quote are ISO 4217 codes with a
 * minor unit, rate is a positive decimal (rate_parse, "%" allowed). The same
 * (date, base, quote) twice with the same value is kept once; with different
 * values it is an error. Every error is reported as "path:line: message" and
 * fails the whole load; after FX_MAX_ERRORS the file is not read further.
 *
 * Lookups with base == quote return the identity rate 1 (text "1", dated the
 * day asked) so callers never hold a statement for a same-currency "miss".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fx.h"

#define FX_FIELDS 4
#define FX_MAX_ERRORS 20
#define FX_ECHO 40 /* longest piece of a bad field quoted back in a message */

/* One dated rate; `text` is owned by the table. */
typedef struct fx_entry {
    uint32_t pair;     /* base and quote letters packed, 5 bits each */
    int32_t date;      /* days since 1970-01-01 */
    int line;          /* source line, for duplicate messages */
    decimal_rate rate;
    char *text;        /* rate as written (unquoted, trimmed) */
} fx_entry;

struct fx_table {
    fx_entry *v;       /* sorted by (pair, date) after load */
    size_t n, cap;
};

/* State of one fx_load call; borrows everything, owns nothing but `t`. */
typedef struct fx_loader {
    const char *path;
    diag *d;
    fx_table *t;
    int line;
    int errors;
    bool content;      /* a non-comment, non-blank line was seen */
} fx_loader;

/* ------------------------------------------------------------- the table */

/* An empty table; caller frees with fx_free. Never NULL (x*alloc exits). */
fx_table *fx_empty(void)
{
    return xcalloc(1, sizeof(fx_table));
}

/* Frees the table, its rows and their rate texts; NULL is fine. */
void fx_free(fx_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].text);
    free(t->v);
    free(t);
}

/* Appends a copy of `e` (taking ownership of e->text); false if the table is full. */
static bool fx_push(fx_table *t, const fx_entry *e)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap : 64;
        if (cap > SIZE_MAX / 2 / sizeof(fx_entry))
            return false;
        t->v = xrealloc(t->v, cap * 2 * sizeof(fx_entry));
        t->cap = cap * 2;
    }
    t->v[t->n++] = *e;
    return true;
}

/* ------------------------------------------------------------ codes, dates */

/* Packs a 3-letter upper-case code (5 bits a letter); false for anything else. */
static bool fx_code(const char *s, size_t n, uint32_t *key)
{
    *key = 0;
    if (n != 3)
        return false;
    for (size_t i = 0; i < 3; i++) {
        if (s[i] < 'A' || s[i] > 'Z')
            return false;
        *key = *key << 5 | (uint32_t)(s[i] - 'A');
    }
    return true;
}

/* Unpacks a code key into out[0..3] (NUL-terminated). */
static void fx_code_text(uint32_t key, char out[4])
{
    for (int i = 2; i >= 0; i--, key >>= 5)
        out[i] = (char)('A' + (key & 31));
    out[3] = 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's method). */
static int32_t fx_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Writes day `z` as YYYY-MM-DD into out; inverse of the above. */
#define FX_DAY_TEXT 32 /* room for any int32 day, not just 4-digit years */
static void fx_civil_text(int32_t z, char out[FX_DAY_TEXT])
{
    z += 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    int d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    snprintf(out, FX_DAY_TEXT, "%04d-%02d-%02d", yoe + era * 400 + (m <= 2), m, d);
}

/* Value of `len` ASCII digits at s, or -1 if any is not a digit. */
static int fx_digits(const char *s, int len)
{
    int v = 0;
    for (int i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Days in month m of year y (Gregorian leap rule). */
static int fx_month_days(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* Strict "YYYY-MM-DD" (year 0001-9999, real calendar day) -> days; false if not. */
static bool fx_date(const char *s, size_t n, int32_t *day)
{
    if (n != 10 || s[4] != '-' || s[7] != '-')
        return false;
    int y = fx_digits(s, 4), m = fx_digits(s + 5, 2), d = fx_digits(s + 8, 2);
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > fx_month_days(y, m))
        return false;
    *day = fx_days_from_civil(y, m, d);
    return true;
}

/* ---------------------------------------------------------------- loading */

/* Records "path:line: message" and counts it; formatting as printf. */
static void fx_error(fx_loader *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fx_error(fx_loader *L, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    diag_add(L->d, L->path, L->line, 0, "%s", msg);
    L->errors++;
}

/* Trims blanks and one pair of surrounding double quotes off a field. */
static slice fx_unquote(slice f)
{
    f = slice_trim(f);
    if (f.n >= 2 && f.p[0] == '"' && f.p[f.n - 1] == '"') {
        f.p++;
        f.n -= 2;
        f = slice_trim(f);
    }
    return f;
}

/*
 * Splits s[0..n) at commas into f[]; returns the number of fields, or
 * FX_FIELDS + 1 when there are more than FX_FIELDS.
 */
static int fx_split(const char *s, size_t n, slice f[FX_FIELDS])
{
    int k = 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != ',')
            continue;
        if (k == FX_FIELDS)
            return FX_FIELDS + 1;
        f[k++] = fx_unquote((slice){s + start, i - start});
        start = i + 1;
    }
    return k;
}

/* True when the fields are the header names date,base,quote,rate (any case). */
static bool fx_is_header(const slice f[FX_FIELDS])
{
    static const char *names[FX_FIELDS] = {"date", "base", "quote", "rate"};
    for (int i = 0; i < FX_FIELDS; i++)
        if (f[i].n != strlen(names[i]) || strncasecmp(f[i].p, names[i], f[i].n) != 0)
            return false;
    return true;
}

/* Parses the currency field `what` into *key; reports and returns false if bad. */
static bool fx_currency(fx_loader *L, slice f, const char *what, uint32_t *key)
{
    if (fx_code(f.p, f.n, key) && currency_exponent(f.p, f.n) >= 0)
        return true;
    fx_error(L, "unknown %s currency '%.*s' (want an ISO 4217 code such as EUR)", what,
             (int)(f.n < FX_ECHO ? f.n : FX_ECHO), f.p);
    return false;
}

/* Parses the rate field into e->rate; reports and returns false if bad or <= 0. */
static bool fx_rate_field(fx_loader *L, slice f, fx_entry *e)
{
    money_status st = rate_parse(f.p, f.n, &e->rate);
    int echo = (int)(f.n < FX_ECHO ? f.n : FX_ECHO);
    if (st != MONEY_OK)
        fx_error(L, "bad rate '%.*s' (%s; want a decimal such as 1350.25)", echo, f.p,
                 st == MONEY_BAD ? "not a number" : money_status_code(st));
    else if (e->rate.num <= 0)
        fx_error(L, "rate '%.*s' must be greater than zero", echo, f.p);
    return st == MONEY_OK && e->rate.num > 0;
}

/*
 * Checks and converts the four fields into *e (text not set yet). Every
 * field is checked, so one line with several mistakes reports them all.
 */
static bool fx_fields(fx_loader *L, const slice f[FX_FIELDS], fx_entry *e)
{
    uint32_t base, quote;
    bool ok = fx_date(f[0].p, f[0].n, &e->date);
    if (!ok)
        fx_error(L, "bad date '%.*s' (want YYYY-MM-DD)",
                 (int)(f[0].n < FX_ECHO ? f[0].n : FX_ECHO), f[0].p);
    ok = fx_currency(L, f[1], "base", &base) & ok;
    ok = fx_currency(L, f[2], "quote", &quote) & ok;
    ok = fx_rate_field(L, f[3], e) & ok;
    if (ok && base == quote)
        fx_error(L, "base and quote are the same currency '%.*s'", (int)f[1].n, f[1].p);
    e->pair = base << 15 | quote;
    return ok && base != quote;
}

/* Handles one line (without its newline): skip, header, or one rate row. */
static void fx_line(fx_loader *L, const char *s, size_t n)
{
    slice f[FX_FIELDS], all = slice_trim((slice){s, n});
    if (all.n == 0 || all.p[0] == '#')
        return;
    bool first = !L->content;
    L->content = true;
    int k = fx_split(all.p, all.n, f);
    if (k != FX_FIELDS) {
        fx_error(L, "expected 4 fields date,base,quote,rate, found %s",
                 k > FX_FIELDS ? "more" : "fewer");
        return;
    }
    if (first && fx_is_header(f))
        return;
    fx_entry e = {.line = L->line};
    if (!fx_fields(L, f, &e))
        return;
    e.text = xstrndup(f[3].p, f[3].n);
    if (!fx_push(L->t, &e)) {
        free(e.text);
        fx_error(L, "too many rates");
    }
}

/* Reads every line of `in` into the loader; stops early on too many errors. */
static void fx_read(fx_loader *L, FILE *in)
{
    char *buf = NULL;
    size_t cap = 0;
    ssize_t got;
    while (L->errors < FX_MAX_ERRORS && (got = getline(&buf, &cap, in)) >= 0) {
        size_t n = (size_t)got, skip = 0;
        L->line++;
        if (L->line == 1 && n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
            skip = 3; /* UTF-8 byte order mark */
        fx_line(L, buf + skip, n - skip);
    }
    if (L->errors >= FX_MAX_ERRORS)
        diag_add(L->d, L->path, 0, 0, "too many errors; stopped reading at line %d", L->line);
    else if (ferror(in))
        fx_error(L, "read error: %s", strerror(errno));
    free(buf);
}

/* qsort order: pair, then date, then file line (so the first one wins). */
static int fx_cmp(const void *a, const void *b)
{
    const fx_entry *x = a, *y = b;
    if (x->pair != y->pair)
        return x->pair < y->pair ? -1 : 1;
    if (x->date != y->date)
        return x->date < y->date ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

/* True when two rates are the same number ("0.5" equals "0.50"). */
static bool fx_same_value(decimal_rate a, decimal_rate b)
{
    static const int64_t p10[19] = {
        1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
        10000000000, 100000000000, 1000000000000, 10000000000000, 100000000000000,
        1000000000000000, 10000000000000000, 100000000000000000, 1000000000000000000,
    };
    return (__int128)a.num * p10[b.scale] == (__int128)b.num * p10[a.scale];
}

/* Reports a conflicting duplicate `e` of the earlier row `keep`. */
static void fx_conflict(fx_loader *L, const fx_entry *keep, const fx_entry *e)
{
    char base[4], quote[4], day[FX_DAY_TEXT];
    fx_code_text(e->pair >> 15, base);
    fx_code_text(e->pair & 0x7fff, quote);
    fx_civil_text(e->date, day);
    L->line = e->line;
    fx_error(L, "conflicting rate %s for %s/%s on %s: line %d says %s", e->text, base, quote,
             day, keep->line, keep->text);
}

/*
 * Sorts the rows, then drops exact duplicates and reports conflicting ones.
 * Dropped rows' texts are freed here.
 */
static void fx_finish(fx_loader *L)
{
    fx_table *t = L->t;
    size_t out = 0;
    if (t->n)
        qsort(t->v, t->n, sizeof t->v[0], fx_cmp);
    for (size_t i = 0; i < t->n; i++) {
        fx_entry *keep = out ? &t->v[out - 1] : NULL;
        if (!keep || keep->pair != t->v[i].pair || keep->date != t->v[i].date) {
            t->v[out++] = t->v[i];
            continue;
        }
        if (!fx_same_value(keep->rate, t->v[i].rate))
            fx_conflict(L, keep, &t->v[i]);
        free(t->v[i].text);
    }
    t->n = out;
}

/*
 * Loads `path` (see the top of this file). Returns a table the caller frees
 * with fx_free, or NULL after adding every problem found to `d`.
 */
fx_table *fx_load(const char *path, diag *d)
{
    FILE *in = fopen(path, "r");
    if (!in) {
        diag_add(d, path, 0, 0, "cannot open FX rates file: %s", strerror(errno));
        return NULL;
    }
    fx_loader L = {.path = path, .d = d, .t = fx_empty()};
    fx_read(&L, in);
    fclose(in);
    if (L.errors < FX_MAX_ERRORS)
        fx_finish(&L); /* conflicts are reported along with line errors */
    if (L.errors) {
        fx_free(L.t);
        return NULL;
    }
    return L.t;
}

/* ----------------------------------------------------------------- lookup */

/* Packs a NUL-terminated code; false unless exactly 3 upper-case letters. */
static bool fx_code_z(const char *z, uint32_t *key)
{
    return z && fx_code(z, strnlen(z, 4), key);
}

/* Index one past the last row ordered at or before (pair, day). */
static size_t fx_upper(const fx_table *t, uint32_t pair, int32_t day)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const fx_entry *e = &t->v[mid];
        if (e->pair < pair || (e->pair == pair && e->date <= day))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/*
 * Latest base->quote rate dated on or before `day` into *r (text borrowed
 * from the table). Returns 0, or -1 when none applies or a code is not three
 * upper-case letters. base == quote gives the identity rate 1.
 */
int fx_lookup(const fx_table *t, const char *base, const char *quote, int32_t day, fx_rate *r)
{
    uint32_t b, q;
    if (!t || !fx_code_z(base, &b) || !fx_code_z(quote, &q))
        return -1;
    if (b == q) {
        *r = (fx_rate){day, {1, 0}, "1"};
        return 0;
    }
    uint32_t pair = b << 15 | q;
    size_t at = fx_upper(t, pair, day);
    if (at == 0 || t->v[at - 1].pair != pair)
        return -1;
    const fx_entry *e = &t->v[at - 1];
    *r = (fx_rate){e->date, e->rate, e->text};
    return 0;
}
