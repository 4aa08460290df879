/*
 * gendrops.h - shared by the sample-data generator's files: gendrops.c (the
 * generator and main), gendrops_partners.c (the four partner dialects) and
 * gendrops_wallet.c (the operator's wallet ledger of --wallet). The small hot
 * helpers (PRNG, calendar, formatting) are static inline here, so the
 * generator's speed does not depend on link-time inlining.
 */
#ifndef GENDROPS_H
#define GENDROPS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------- PRNG --- */

typedef struct rng { uint64_t s; } rng;

/* splitmix64: next 64 random bits. */
static inline uint64_t rnd(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform integer in [0, n) (n < 2^32), by multiply-shift. */
static inline uint32_t below(rng *r, uint32_t n) { return (uint32_t)(((rnd(r) >> 32) * n) >> 32); }

/* True with probability ppm / 1e6. */
static inline bool chance(rng *r, uint32_t ppm) { return ppm && below(r, 1000000) < ppm; }

/* Picks from a small list, skewed towards the first entries. */
static inline uint32_t skewed(rng *r, uint32_t n)
{
    return (uint32_t)((uint64_t)below(r, n) * (below(r, n) + 1) / n);
}

/* ------------------------------------------------------------ calendar --- */

/* Days since 1970-01-01 of a date; timegm normalises, so day 0 is the month's eve. */
static inline int64_t days_from_civil(int y, int m, int d)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
    return (int64_t)timegm(&tm) / 86400;
}

/* Calendar date of a day number. */
static inline void civil_from_days(int64_t day, int *y, int *m, int *d)
{
    time_t t = (time_t)(day * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    *y = tm.tm_year + 1900, *m = tm.tm_mon + 1, *d = tm.tm_mday;
}

/* Day number of the last Sunday of month m of year y. */
static inline int64_t last_sunday(int y, int m)
{
    int64_t last = days_from_civil(y, m + 1, 0);
    return last - (last + 4) % 7; /* 1970-01-01 was a Thursday: (day + 4) % 7 == 0 on Sundays */
}

/* A partner's zone: fixed offset, optionally with EU summer time (Malta). */
typedef struct zone { int32_t std; bool eu; } zone;

/* UTC offset in seconds of zone z at instant t (EU DST: last Sun Mar..Oct, 01:00 UTC).
 * Remembers the last stretch of constant offset, so most calls are two compares. */
static inline int32_t zone_offset(const zone *z, int64_t t)
{
    static _Thread_local int64_t lo = 1, hi = 0;
    static _Thread_local int32_t off;
    if (!z->eu) return z->std;
    if (t >= lo && t < hi) return off;
    int y, m, d;
    civil_from_days(t / 86400, &y, &m, &d);
    int64_t on = last_sunday(y, 3) * 86400 + 3600, end = last_sunday(y, 10) * 86400 + 3600;
    if (t < on) { lo = days_from_civil(y, 1, 1) * 86400; hi = on; off = z->std; }
    else if (t < end) { lo = on; hi = end; off = z->std + 3600; }
    else { lo = end; hi = days_from_civil(y + 1, 1, 1) * 86400; off = z->std; }
    return off;
}

/* UTC instant of local midnight starting `day` in zone z (midnight is never in a DST gap here). */
static inline int64_t local_midnight(const zone *z, int64_t day)
{
    return day * 86400 - zone_offset(z, day * 86400 - z->std);
}

/* --------------------------------------------------------- formatting --- */

/* Writes v in decimal; returns the end. */
static inline char *put_u(char *p, uint64_t v)
{
    char t[24];
    int n = 0;
    do t[n++] = (char)('0' + v % 10); while ((v /= 10));
    while (n) *p++ = t[--n];
    return p;
}

/* Writes v zero-padded to w digits. */
static inline char *put_w(char *p, uint64_t v, int w)
{
    for (int i = w - 1; i >= 0; i--, v /= 10) p[i] = (char)('0' + v % 10);
    return p + w;
}

/* Writes a string. */
static inline char *put_s(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

/* Writes an amount of `exp` (0 or 2) minor digits with the given separators. */
static inline char *put_money(char *p, int64_t v, int exp, char dec, char thou)
{
    uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v, ip = exp ? u / 100 : u;
    char t[40];
    int n = 0, k = 0;
    if (v < 0) *p++ = '-';
    do {
        if (thou && k && k % 3 == 0) t[n++] = thou;
        t[n++] = (char)('0' + ip % 10);
        k++;
    } while ((ip /= 10));
    while (n) *p++ = t[--n];
    if (exp) { *p++ = dec; p = put_w(p, u % 100, 2); }
    return p;
}

/* Local civil time of t in zone z, split for formatting. */
typedef struct civil { int y, mo, d, h, mi, s; } civil;

/* Breaks instant t (+ offset) into civil fields; the date of the last day is cached. */
static inline civil to_civil(int64_t t, int32_t off)
{
    static _Thread_local int64_t last = INT64_MIN;
    static _Thread_local civil c;
    int64_t l = t + off, day = l / 86400, sec = l % 86400;
    if (day != last) { civil_from_days(day, &c.y, &c.mo, &c.d); last = day; }
    c.h = (int)(sec / 3600); c.mi = (int)(sec / 60 % 60); c.s = (int)(sec % 60);
    return c;
}

/* Writes the time part "HH:MM:SS". */
static inline char *put_hms(char *p, civil c)
{
    p = put_w(p, (uint64_t)c.h, 2); *p++ = ':';
    p = put_w(p, (uint64_t)c.mi, 2); *p++ = ':';
    return put_w(p, (uint64_t)c.s, 2);
}

/* ------------------------------------------------------------ generator --- */

enum { BAD_NONE, BAD_EMPTY_ID, BAD_AMOUNT, BAD_PRECISION, BAD_TYPE, BAD_TIME, BAD_CURRENCY,
       BAD_OVERFLOW, BAD_DST_GAP, BAD_KINDS };

/* One generated source row (a transaction, or a round for spinworks). */
typedef struct row {
    int64_t t;          /* UTC seconds */
    int64_t amt[3];     /* amount; spinworks bet, win, bonus (-1 = empty column) */
    uint32_t ymd, seq;  /* id = prefix + ymd + seq */
    uint32_t round, player;
    uint16_t ms, game;
    uint8_t type, cur, fmt, bad;
} row;

typedef struct pending { row r; uint64_t due; bool conflict; } pending;

struct pdef;

/* Generator state of one partner. */
typedef struct gen {
    const struct pdef *def;
    rng r;
    char *buf;                 /* output buffer */
    size_t len;
    int fd;
    int64_t day, w0, wlen;     /* local day and its UTC window */
    int64_t cut, dst_end;      /* 06:00 Seoul cut-off inside the window; Malta overlap start or 0 */
    uint32_t ymd, seq, round;
    uint64_t target, emitted, total;
    uint32_t bad_ppm, dup_ppm;
    const char *out;           /* output folder */
    int64_t start;             /* first local day */
    int days;
    uint64_t rows;             /* this partner's share of --rows */
    pending q[64];
    int nq;
    uint64_t n_dup, n_conflict, n_bad[BAD_KINDS];
    const char *wallet_dir;    /* --wallet DIR, or NULL */
    struct wallet *wallet;     /* its state while a day's file is open (gendrops_wallet.c) */
} gen;

typedef struct pdef {
    const char *name, *ext;
    unsigned weight;           /* share of rows, per mille */
    zone z;
    unsigned bad_mask;         /* bad kinds that make sense for this dialect */
    const char *head;          /* text before the first row */
    char *(*write)(char *p, const row *r);
    void (*round)(gen *g);
    /* what the wallet ledger needs (gendrops_wallet.c) */
    const char *code;          /* the wallet's provider code */
    char *(*put_id)(char *p, const row *r);     /* the transaction (spinworks: round) id */
    char *(*put_round)(char *p, const row *r);  /* the round id */
    char *(*put_game)(char *p, const row *r);   /* the game, in UTF-8 */
    const char *const *wtypes; /* the wallet's word for each row type (spinworks: column) */
    const char *curs[2];       /* currency by row.cur */
    int exp;                   /* minor digits of those currencies (0 or 2) */
    bool breaks;               /* the wallet has a lost callback, a rollback and a late round */
} pdef;

#define M(k) (1u << (k))
#define ALL_BAD (M(BAD_EMPTY_ID) | M(BAD_AMOUNT) | M(BAD_PRECISION) | M(BAD_TYPE) | M(BAD_TIME) | \
                 M(BAD_CURRENCY) | M(BAD_OVERFLOW))

/* ---- gendrops.c: the generator, used by the dialects' round functions ---- */

/* Start time of the next round (see gendrops.c). */
int64_t round_time(gen *g);
/* A new row with id, time and player filled in. */
row new_row(gen *g, int64_t t, uint32_t players);
/* Win multiplier in hundredths: mostly small, sometimes big. */
int64_t win_mult(gen *g);
/* Writes a row's amount in a dialect, or the defect its bad kind asks for. */
char *put_amount(char *p, const row *r, int exp, char dec, char thou, const char *garbage);
/* Emits a good row (and maybe a re-send and a bad row). */
void emit(gen *g, row *r);
/* Emits a follow-up row of the same round at base time + dt. */
void follow(gen *g, const row *base, int64_t dt, uint8_t type, int64_t amount);

/* ---- gendrops_partners.c: the four sample partners ---- */

#define GD_NPARTNERS 4
extern const pdef gd_partners[GD_NPARTNERS];
/* Converts the Korean strings to CP949 (exits if unsupported). */
void korean_init(void);

/* ---- gendrops_wallet.c: the operator's wallet ledger (--wallet DIR) ---- */

/* Opens g's wallet file of its current day (g->ymd) in dir, DIR/<partner>_<ymd>.csv
 * (g->wallet is allocated on the first day; wallet_free frees it). Exits on an I/O error. */
void wallet_begin_day(gen *g, const char *dir);
/* Writes the wallet's record of good row r of g's drop (none for a lost callback). */
void wallet_row(gen *g, const row *r);
/* Adds the day's rolled-back stake (breaks only), writes out and closes the day's file. */
void wallet_end_day(gen *g);
/* Frees g's wallet state (NULL is fine). */
void wallet_free(gen *g);

#endif

