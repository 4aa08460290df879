/*
 * gendrops.c - writes realistic sample partner drops for settle.
 *
 *   gendrops --out DIR [--rows N] [--seed S] [--start YYYY-MM-DD] [--days D]
 *            [--bad-rate PPM] [--dup-rate PPM] [--partners a,b,c]
 *
 * Writes DIR/<partner>/<file> for the four sample partners of
 * data/settle.yaml, one file per partner and local day, each in that
 * partner's own CSV dialect (docs/sample-partners.md). N rows in total are
 * split across partners and days. Re-sent rows (exact duplicates),
 * duplicate-id conflicts and bad rows of every kind are sprinkled in at the
 * given rates (parts per million). The same arguments always give the same
 * bytes. Built for speed: splitmix64, hand-written formatting, 1 MiB writes, and one
 * thread per partner.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- PRNG --- */

typedef struct rng { uint64_t s; } rng;

/* splitmix64: next 64 random bits. */
static uint64_t rnd(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform integer in [0, n) (n < 2^32), by multiply-shift. */
static uint32_t below(rng *r, uint32_t n) { return (uint32_t)(((rnd(r) >> 32) * n) >> 32); }

/* True with probability ppm / 1e6. */
static bool chance(rng *r, uint32_t ppm) { return ppm && below(r, 1000000) < ppm; }

/* Picks from a small list, skewed towards the first entries. */
static uint32_t skewed(rng *r, uint32_t n)
{
    return (uint32_t)((uint64_t)below(r, n) * (below(r, n) + 1) / n);
}

/* ------------------------------------------------------------ calendar --- */

/* Days since 1970-01-01 of a date; timegm normalises, so day 0 is the month's eve. */
static int64_t days_from_civil(int y, int m, int d)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
    return (int64_t)timegm(&tm) / 86400;
}

/* Calendar date of a day number. */
static void civil_from_days(int64_t day, int *y, int *m, int *d)
{
    time_t t = (time_t)(day * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    *y = tm.tm_year + 1900, *m = tm.tm_mon + 1, *d = tm.tm_mday;
}

/* Day number of the last Sunday of month m of year y. */
static int64_t last_sunday(int y, int m)
{
    int64_t last = days_from_civil(y, m + 1, 0);
    return last - (last + 4) % 7; /* 1970-01-01 was a Thursday: (day + 4) % 7 == 0 on Sundays */
}

/* A partner's zone: fixed offset, optionally with EU summer time (Malta). */
typedef struct zone { int32_t std; bool eu; } zone;

/* UTC offset in seconds of zone z at instant t (EU DST: last Sun Mar..Oct, 01:00 UTC).
 * Remembers the last stretch of constant offset, so most calls are two compares. */
static int32_t zone_offset(const zone *z, int64_t t)
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
static int64_t local_midnight(const zone *z, int64_t day)
{
    return day * 86400 - zone_offset(z, day * 86400 - z->std);
}

/* --------------------------------------------------------- formatting --- */

/* Writes v in decimal; returns the end. */
static char *put_u(char *p, uint64_t v)
{
    char t[24];
    int n = 0;
    do t[n++] = (char)('0' + v % 10); while ((v /= 10));
    while (n) *p++ = t[--n];
    return p;
}

/* Writes v zero-padded to w digits. */
static char *put_w(char *p, uint64_t v, int w)
{
    for (int i = w - 1; i >= 0; i--, v /= 10) p[i] = (char)('0' + v % 10);
    return p + w;
}

/* Writes a string. */
static char *put_s(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

/* Writes an amount of `exp` (0 or 2) minor digits with the given separators. */
static char *put_money(char *p, int64_t v, int exp, char dec, char thou)
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
static civil to_civil(int64_t t, int32_t off)
{
    static _Thread_local int64_t last = INT64_MIN;
    static _Thread_local civil c;
    int64_t l = t + off, day = l / 86400, sec = l % 86400;
    if (day != last) { civil_from_days(day, &c.y, &c.mo, &c.d); last = day; }
    c.h = (int)(sec / 3600); c.mi = (int)(sec / 60 % 60); c.s = (int)(sec % 60);
    return c;
}

/* ------------------------------------------------------------ generator --- */

enum { BAD_NONE, BAD_EMPTY_ID, BAD_AMOUNT, BAD_PRECISION, BAD_TYPE, BAD_TIME, BAD_CURRENCY,
       BAD_OVERFLOW, BAD_DST_GAP, BAD_KINDS };
static const char *const bad_names[BAD_KINDS] = {
    "", "empty_id", "bad_amount", "precision", "unknown_type", "bad_time", "unknown_currency",
    "overflow", "dst_gap" };

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
} gen;

typedef struct pdef {
    const char *name, *ext;
    unsigned weight;           /* share of rows, per mille */
    zone z;
    unsigned bad_mask;         /* bad kinds that make sense for this dialect */
    const char *head;          /* text before the first row */
    char *(*write)(char *p, const row *r);
    void (*round)(gen *g);
} pdef;

#define OBUF (1u << 20)

/* Writes out the buffer (exits on I/O error). */
static void flush(gen *g)
{
    size_t off = 0;
    while (off < g->len) {
        ssize_t w = write(g->fd, g->buf + off, g->len - off);
        if (w < 0) { if (errno == EINTR) continue; perror("gendrops: write"); exit(1); }
        off += (size_t)w;
    }
    g->len = 0;
}

/* Makes room for one more row (at most 1 KiB). */
static char *room(gen *g)
{
    if (OBUF - g->len < 1024) flush(g);
    return g->buf + g->len;
}

/* Writes one row through the partner's formatter and counts it. */
static void put_row(gen *g, const row *r)
{
    char *p = room(g);
    g->len = (size_t)(g->def->write(p, r) - g->buf);
    g->emitted++;
    g->total++;
}

/* Writes the re-sent copies that are due (all of them when `all`). */
static void drain(gen *g, bool all)
{
    for (int i = 0; i < g->nq;) {
        if (!all && g->q[i].due > g->total) { i++; continue; }
        row r = g->q[i].r;
        if (g->q[i].conflict) {
            int k = r.amt[0] >= 0 ? 0 : 2;          /* spinworks free rounds have no bet */
            r.amt[k] += r.cur == 0 ? 1000 : 100;     /* a different amount, same id */
        }
        g->q[i] = g->q[--g->nq];
        put_row(g, &r);
    }
}

/* Emits a good row, then maybe schedules a re-send and maybe adds a bad row. */
static void emit(gen *g, row *r)
{
    put_row(g, r);
    if (chance(&g->r, g->dup_ppm) && g->nq < 64) {
        pending *q = &g->q[g->nq++];
        q->r = *r;
        q->conflict = below(&g->r, 5) == 0;
        q->due = g->total + 1 + below(&g->r, 400);
        if (q->conflict) g->n_conflict++; else g->n_dup++;
    }
    if (chance(&g->r, g->bad_ppm)) {
        unsigned k;
        do k = 1 + below(&g->r, BAD_KINDS - 1); while (!(g->def->bad_mask & (1u << k)));
        row b = *r;
        b.bad = (uint8_t)k;
        b.seq = g->seq++;                           /* its own id: never a duplicate */
        b.fmt = (uint8_t)below(&g->r, 2);
        g->n_bad[k]++;
        put_row(g, &b);
    }
    if (g->nq) drain(g, false);
}

/* Start time of the next round: even progress through the day, with some rows
 * snapped to the local midnights, the 06:00 Seoul cut-off and the DST overlap. */
static int64_t round_time(gen *g)
{
    uint32_t x = below(&g->r, 1000);
    if (x < 4) return g->w0 + below(&g->r, 90);
    if (x < 8) return g->w0 + g->wlen - 1 - below(&g->r, 90);
    if (x < 14) return g->cut - 150 + below(&g->r, 300);
    if (x < 24 && g->dst_end) return g->dst_end - 3600 + below(&g->r, 7200);
    int64_t t = g->w0 + (int64_t)(g->emitted * (uint64_t)g->wlen / (g->target + 1));
    return t + below(&g->r, 5);
}

/* A new row with id, time and player filled in. */
static row new_row(gen *g, int64_t t, uint32_t players)
{
    row r;
    memset(&r, 0, sizeof r);
    int64_t end = g->w0 + g->wlen - 1;
    r.t = t > end ? end : t;
    r.ms = (uint16_t)below(&g->r, 1000);
    r.ymd = g->ymd;
    r.seq = g->seq++;
    r.round = g->round;
    r.player = skewed(&g->r, players);
    r.amt[1] = r.amt[2] = -1;
    return r;
}

/* Win multiplier in hundredths: mostly small, sometimes big. */
static int64_t win_mult(gen *g)
{
    static const int64_t m[16] = {50, 80, 100, 120, 150, 200, 250, 300, 400, 500, 800, 1000,
                                  1500, 2000, 2500, 3000};  /* mean ~2.6x: RTP ~91% at 35% hits */
    return m[skewed(&g->r, 16)] + below(&g->r, 20);
}

/* Writes the time part "HH:MM:SS". */
static char *put_hms(char *p, civil c)
{
    p = put_w(p, (uint64_t)c.h, 2); *p++ = ':';
    p = put_w(p, (uint64_t)c.mi, 2); *p++ = ':';
    return put_w(p, (uint64_t)c.s, 2);
}

/* Writes a row's amount in a dialect, or the defect its bad kind asks for. */
static char *put_amount(char *p, const row *r, int exp, char dec, char thou, const char *garbage)
{
    switch (r->bad) {
    case BAD_AMOUNT: return put_s(p, garbage);
    case BAD_OVERFLOW: return put_s(p, "1234567890123456789012345");
    case BAD_PRECISION:                              /* one non-zero digit too many */
        p = put_money(p, r->amt[0], exp, dec, thou);
        if (!exp) *p++ = dec;
        *p++ = '5';
        return p;
    default: return put_money(p, r->amt[0], exp, dec, thou);
    }
}

/* Emits a follow-up row of the same round (player, game, currency) at base time + dt. */
static void follow(gen *g, const row *base, int64_t dt, uint8_t type, int64_t amount)
{
    row n = *base;
    int64_t end = g->w0 + g->wlen - 1;
    n.t = base->t + dt > end ? end : base->t + dt;
    n.seq = g->seq++;
    n.ms = (uint16_t)below(&g->r, 1000);
    n.type = type;
    n.amt[0] = amount;
    emit(g, &n);
}

/* ------------------------------------------------- a) reelstorm (Malta) --- */

static const char *const rs_types[] = {"BET", "WIN", "REFUND", "WINREV", "JPC", "JPW", "FREESPIN"};
static const char *const rs_games[][2] = {
    {"rs-golden-reels", "slots"}, {"rs-pharaoh-gold", "slots"}, {"rs-neon-fruits", "slots"},
    {"rs-viking-rush", "slots"}, {"rs-book-of-sands", "slots"}, {"rs-aviator-x", "crash"},
    {"rs-mega-mines", "crash"}, {"rs-blackjack-classic", "table"},
    {"rs-european-roulette", "table"}, {"rs-scratch-gold", "instant"}};

/* One reelstorm row: ';' separated, dd/mm/yyyy Malta time, "1.234,50" EUR. */
static char *rs_write(char *p, const row *r)
{
    static const zone malta = {3600, true};
    if (r->bad != BAD_EMPTY_ID) { p = put_s(p, "RS"); p = put_u(p, r->ymd); *p++ = '-';
                                  p = put_w(p, r->seq, 9); }
    p = put_s(p, ";R"); p = put_u(p, r->ymd); p = put_w(p, r->round, 8); *p++ = ';';
    civil c = to_civil(r->t, zone_offset(&malta, r->t));
    if (r->bad == BAD_DST_GAP) {                     /* 02:30 on the day clocks spring forward */
        civil_from_days(last_sunday((int)(r->ymd / 10000), 3), &c.y, &c.mo, &c.d);
        c.h = 2; c.mi = 30; c.s = 0;
    }
    if (r->bad == BAD_TIME) {
        p = put_s(p, r->fmt ? "31/02/2025 10:00:00" : "2025-10-25 10:00:00");
    } else {
        p = put_w(p, (uint64_t)c.d, 2); *p++ = '/'; p = put_w(p, (uint64_t)c.mo, 2); *p++ = '/';
        p = put_u(p, (uint64_t)c.y); *p++ = ' '; p = put_hms(p, c);
    }
    p = put_s(p, ";P"); p = put_w(p, r->player, 7); *p++ = ';';
    p = put_s(p, rs_games[r->game][0]); *p++ = ';'; p = put_s(p, rs_games[r->game][1]); *p++ = ';';
    p = put_s(p, r->bad == BAD_TYPE ? "CASHOUT" : rs_types[r->type]); *p++ = ';';
    p = put_amount(p, r, 2, ',', '.', "12,3x");
    return put_s(p, r->bad == BAD_CURRENCY ? ";XYZ\n" : ";EUR\n");
}

/* One reelstorm round: a bet (or free spin), then maybe a win, jackpot rows, a refund. */
static void rs_round(gen *g)
{
    static const int64_t stakes[12] = {10, 20, 40, 50, 100, 100, 200, 200, 500, 1000, 5000, 20000};
    g->round++;
    row r = new_row(g, round_time(g), 60000);
    r.game = (uint16_t)skewed(&g->r, 10);
    int64_t bet = r.amt[0] = stakes[skewed(&g->r, 12)];
    uint32_t x = below(&g->r, 10000);
    r.type = x < 400 ? 6 : 0;                                 /* 4% free spins (bonus) */
    emit(g, &r);
    if (r.type == 0 && r.game < 3 && x % 10 == 0)             /* jackpot games feed the pot */
        follow(g, &r, 0, 4, bet / 100 ? bet / 100 : 1);
    if (x >= 400 && x < 450) { follow(g, &r, 2 + below(&g->r, 60), 2, bet); return; } /* refund */
    if (below(&g->r, 100) < 35) {
        int64_t win = bet * win_mult(g) / 100;
        follow(g, &r, 1 + below(&g->r, 20), 1, win ? win : 1);
        if (x % 1000 == 7) follow(g, &r, 300, 3, win ? win : 1);   /* win taken back */
    }
    if (x == 9999 && r.game < 3 && below(&g->r, 10) == 0)      /* someone hits the jackpot */
        follow(g, &r, 3, 5, 20000 + (int64_t)below(&g->r, 180000));
}

/* ---------------------------------------------- b) royal-live (Manila) --- */

static const char *const rl_types[] = {"stake", "payout", "void", "payout_reversal",
                                       "bonus_stake", "jp_contrib", "jp_payout"};
static const char *const rl_cats[] = {"baccarat", "roulette", "blackjack", "sicbo", "gameshow"};
static const char *const rl_tables[] = {"BAC", "RLT", "BJ", "SIC", "SHOW"};

/* One royal-live row: every field quoted, ISO 8601 times, "1,234.50" amounts, CRLF. */
static char *rl_write(char *p, const row *r)
{
    *p++ = '"';
    if (r->bad != BAD_EMPTY_ID) { p = put_s(p, "RL"); p = put_u(p, r->ymd); p = put_w(p, r->seq, 9); }
    p = put_s(p, "\",\"GR-"); p = put_u(p, r->ymd); *p++ = '-'; p = put_w(p, r->round, 7);
    p = put_s(p, "\",\"");
    if (r->bad == BAD_TIME) {
        p = put_s(p, r->fmt ? "2025-02-30T10:00:00+08:00" : "25/10/2025 10:00");
    } else {                                  /* fmt 0: UTC "Z", 1: +08:00, 2: +08:00 with ms */
        civil c = to_civil(r->t, r->fmt ? 8 * 3600 : 0);
        p = put_u(p, (uint64_t)c.y); *p++ = '-'; p = put_w(p, (uint64_t)c.mo, 2); *p++ = '-';
        p = put_w(p, (uint64_t)c.d, 2); *p++ = 'T'; p = put_hms(p, c);
        if (r->fmt == 2) { *p++ = '.'; p = put_w(p, r->ms, 3); }
        p = put_s(p, r->fmt ? "+08:00" : "Z");
    }
    p = put_s(p, "\",\"ph_"); p = put_w(p, r->player * 7919u % 1000000u, 6);
    p = put_s(p, "\",\""); p = put_s(p, rl_tables[r->game % 5]); *p++ = '-';
    p = put_w(p, r->game / 5 + 1u, 2);
    p = put_s(p, "\",\""); p = put_s(p, rl_cats[r->game % 5]);
    p = put_s(p, "\",\""); p = put_s(p, r->bad == BAD_TYPE ? "tip" : rl_types[r->type]);
    p = put_s(p, "\",\"");
    p = put_amount(p, r, 2, '.', ',', "12.3x");
    p = put_s(p, r->bad == BAD_CURRENCY ? "\",\"XYZ" : r->cur ? "\",\"EUR" : "\",\"USD");
    return put_s(p, "\"\r\n");
}

/* One live round: a stake (or bonus stake), maybe a jackpot side bet, then payout or void. */
static void rl_round(gen *g)
{
    static const int64_t stakes[12] = {500, 1000, 2500, 2500, 5000, 10000, 10000, 25000,
                                       50000, 100000, 250000, 500000};
    g->round++;
    row r = new_row(g, round_time(g), 20000);
    r.game = (uint16_t)skewed(&g->r, 30);
    r.cur = below(&g->r, 100) < 8;                             /* 8% of tables play in EUR */
    r.fmt = (uint8_t)(below(&g->r, 20) == 0 ? 0 : below(&g->r, 5) == 0 ? 2 : 1);
    int64_t bet = r.amt[0] = stakes[skewed(&g->r, 12)] + (below(&g->r, 10) == 0 ? 50 : 0);
    uint32_t x = below(&g->r, 10000), y = below(&g->r, 1000);
    r.type = x < 200 ? 4 : 0;
    emit(g, &r);
    if (x % 20 == 1) follow(g, &r, 0, 5, bet / 200 ? bet / 200 : 1);
    int64_t dt = 20 + below(&g->r, 40);
    if (x >= 200 && x < 300) { follow(g, &r, dt, 2, bet); return; }      /* voided round */
    if (y >= 420) return;                          /* payouts return ~95% of stakes */
    int64_t win = y < 10 ? bet * 8 : y < 12 ? bet * 30 : y < 240 ? bet * 195 / 100 : bet * 2;
    follow(g, &r, dt, 1, win);
    if (x == 4242) follow(g, &r, dt + 600, 3, win);
    if (x == 77 && below(&g->r, 10) == 0) follow(g, &r, dt, 6, 500000 + below(&g->r, 4500000));
}

/* ------------------------------------------- c) chipmart (Korean, CP949) --- */

/* Korean strings, converted to CP949 once at start-up. */
enum { K_HEAD, K_CHIP, K_POINT, K_BUY, K_REFUND, K_ADJ, K_GIFT, K_P0, K_COUNT = K_P0 + 6 };
static const char *const k_utf8[K_COUNT] = {
    "칩마트 거래내역 (정산용)\n내보내기\t정산팀\n거래번호\t일시\t회원\t상품\t분류\t구분\t금액\n",
    "칩", "포인트", "구매", "환불", "조정", "선물",
    "골드칩 1만", "골드칩 5만", "골드칩 10만", "실버칩 3만", "다이아칩 100만", "포인트 2만"};
static const int64_t k_price[] = {10000, 50000, 100000, 30000, 1000000, 20000};
static char k_cp[K_COUNT][128];

/* Converts the Korean strings to CP949 with iconv (exits if unsupported). */
static void korean_init(void)
{
    iconv_t cd = iconv_open("CP949", "UTF-8");
    if (cd == (iconv_t)-1) { perror("gendrops: iconv CP949"); exit(1); }
    for (size_t i = 0; i < K_COUNT; i++) {
        char *in = (char *)k_utf8[i], *out = k_cp[i];
        size_t ni = strlen(in), no = sizeof k_cp[i] - 1;
        if (iconv(cd, &in, &ni, &out, &no) == (size_t)-1) { perror("gendrops: iconv"); exit(1); }
        *out = 0;
    }
    iconv_close(cd);
}

/* One chipmart row: tab separated, epoch ms, Korean words, "1,000,000" KRW. */
static char *cm_write(char *p, const row *r)
{
    if (r->bad != BAD_EMPTY_ID) { p = put_s(p, "CM"); p = put_u(p, r->ymd); p = put_w(p, r->seq, 8); }
    *p++ = '\t';
    if (r->bad == BAD_TIME) p = put_s(p, r->fmt ? "2025-10-25 10:00:00" : "17296x0000000");
    else { p = put_u(p, (uint64_t)r->t); p = put_w(p, r->ms, 3); }
    p = put_s(p, "\tm"); p = put_w(p, r->player, 6); *p++ = '\t';
    p = put_s(p, k_cp[K_P0 + r->game]); *p++ = '\t';
    p = put_s(p, k_cp[r->game == 5 ? K_POINT : K_CHIP]); *p++ = '\t';
    p = put_s(p, k_cp[r->bad == BAD_TYPE ? K_GIFT : K_BUY + r->type]); *p++ = '\t';
    p = put_amount(p, r, 0, '.', ',', "1,2345");
    *p++ = '\n';
    return p;
}

/* One chipmart sale: a purchase of 1-5 packs; sometimes a refund or an adjustment. */
static void cm_round(gen *g)
{
    g->round++;
    row r = new_row(g, round_time(g), 200000);
    r.game = (uint16_t)skewed(&g->r, 6);
    r.amt[0] = k_price[r.game] * (1 + skewed(&g->r, 5));
    uint32_t x = below(&g->r, 1000);
    r.type = x < 30 ? 1 : x < 33 ? 2 : 0;
    if (r.type == 2) r.amt[0] = (int64_t)below(&g->r, 100000) - 50000;
    emit(g, &r);
}

/* ------------------------------------- d) spinworks (one row per round) --- */

static const char *const sw_games[][2] = {
    {"sw_fortune_tiger", "slots"}, {"sw_mahjong_ways", "slots"}, {"sw_lucky_neko", "slots"},
    {"sw_dragon_hatch", "slots"}, {"sw_fishing_king", "fishing"}, {"sw_rocket", "crash"}};

/* One spinworks round: id|epoch_s|player|game|bet|win|bonus|category, empty = no such txn. */
static char *sw_write(char *p, const row *r)
{
    if (r->bad != BAD_EMPTY_ID) { p = put_s(p, "SW"); p = put_u(p, r->ymd); p = put_w(p, r->seq, 9); }
    *p++ = '|';
    p = r->bad == BAD_TIME ? put_s(p, "17x9600000") : put_u(p, (uint64_t)r->t);
    p = put_s(p, "|u"); p = put_u(p, 100000 + r->player); *p++ = '|';
    p = put_s(p, sw_games[r->game][0]); *p++ = '|';
    int k = r->amt[0] >= 0 ? 0 : 2;                /* the column a bad amount goes into */
    for (int i = 0; i < 3; i++) {
        row one = *r;
        one.amt[0] = r->amt[i];
        if (i != k) one.bad = BAD_NONE;
        if (one.amt[0] >= 0 || one.bad) p = put_amount(p, &one, 0, '.', 0, "5O0");
        *p++ = '|';
    }
    p = put_s(p, sw_games[r->game][1]);
    *p++ = '\n';
    return p;
}

/* One spinworks round: bet or free spin (bonus), win column when it paid. */
static void sw_round(gen *g)
{
    static const int64_t stakes[10] = {100, 200, 200, 500, 500, 1000, 2000, 5000, 10000, 20000};
    row r = new_row(g, round_time(g), 300000);
    r.game = (uint16_t)skewed(&g->r, 6);
    int64_t stake = stakes[skewed(&g->r, 10)];
    uint32_t x = below(&g->r, 1000);
    if (x < 60) { r.amt[0] = -1; r.amt[2] = stake; } else r.amt[0] = stake;
    if (below(&g->r, 100) < 35) r.amt[1] = stake * win_mult(g) / 100 / 10 * 10;
    else if (x % 10 == 3) r.amt[1] = 0;             /* some systems write 0 for a loss */
    emit(g, &r);
}

/* ---------------------------------------------------------------- main --- */

#define M(k) (1u << (k))
#define ALL_BAD (M(BAD_EMPTY_ID) | M(BAD_AMOUNT) | M(BAD_PRECISION) | M(BAD_TYPE) | M(BAD_TIME) | \
                 M(BAD_CURRENCY) | M(BAD_OVERFLOW))
static const pdef partners[] = {
    {"reelstorm", "reelstorm_%s.csv", 350, {3600, true}, ALL_BAD | M(BAD_DST_GAP),
     "TransactionID;RoundID;Date;PlayerID;GameID;GameType;Type;Amount;Currency\n",
     rs_write, rs_round},
    {"royal-live", "RL-%s.csv", 250, {8 * 3600, false}, ALL_BAD,           /* UTF-8 BOM, CRLF */
     "\xEF\xBB\xBF\"txn_id\",\"round_id\",\"created_at\",\"player\",\"table_id\","
     "\"game_type\",\"event\",\"amount\",\"ccy\"\r\n", rl_write, rl_round},
    {"chipmart", "chipmart_%s.txt", 100, {9 * 3600, false}, ALL_BAD & ~M(BAD_CURRENCY),
     k_cp[K_HEAD], cm_write, cm_round},                               /* 2 title lines, header */
    {"spinworks", "sw-%s.psv", 300, {9 * 3600, false},
     ALL_BAD & ~(M(BAD_CURRENCY) | M(BAD_TYPE)), "", sw_write, sw_round},
};
#define NPART (sizeof partners / sizeof *partners)

/* Prints usage and exits with `code`. */
static void usage(int code)
{
    fprintf(code ? stderr : stdout,
            "usage: gendrops --out DIR [--rows N] [--seed S] [--start YYYY-MM-DD] [--days D]\n"
            "                [--bad-rate PPM] [--dup-rate PPM] [--partners a,b,c]\n"
            "defaults: 20000 rows, seed 1, start 2025-10-25 (covers the Malta DST end), 3 days,\n"
            "          bad 1000 ppm, dup 2000 ppm, all of reelstorm,royal-live,chipmart,spinworks\n");
    exit(code);
}

/* Parses a non-negative integer option value or exits. */
static uint64_t num_arg(const char *opt, const char *v)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end || !*v || *v == '-') { fprintf(stderr, "gendrops: bad %s value\n", opt); usage(2); }
    return n;
}

/* Thread body: writes all files of one partner, one per local day. */
static void *run_partner(void *arg)
{
    gen *g = arg;
    uint64_t rows = g->rows, days = (uint64_t)g->days;
    char path[4096], name[96], date[40];
    snprintf(path, sizeof path, "%s/%s", g->out, g->def->name);
    if (mkdir(path, 0755) && errno != EEXIST) { perror(path); exit(1); }
    for (uint64_t d = 0; d < days; d++) {
        int y, m, dd;
        g->day = g->start + (int64_t)d;
        civil_from_days(g->day, &y, &m, &dd);
        g->ymd = (uint32_t)(y * 10000 + m * 100 + dd);
        if (g->def->round == rl_round) snprintf(date, sizeof date, "%04d-%02d-%02d", y, m, dd);
        else snprintf(date, sizeof date, "%08u", g->ymd);
        snprintf(name, sizeof name, g->def->ext, date);
        snprintf(path, sizeof path, "%s/%s/%s", g->out, g->def->name, name);
        g->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (g->fd < 0) { perror(path); exit(1); }
        g->w0 = local_midnight(&g->def->z, g->day);
        g->wlen = local_midnight(&g->def->z, g->day + 1) - g->w0;
        int64_t c = (g->day + 1) * 86400 - 9 * 3600 + 6 * 3600;      /* Seoul 06:00 of day+1 */
        g->cut = c - 150 < g->w0 + g->wlen - 150 ? c : c - 86400;
        int64_t e = last_sunday(y, 10) * 86400 + 3600;               /* Malta clocks go back */
        g->dst_end = g->def->z.eu && e > g->w0 && e < g->w0 + g->wlen ? e : 0;
        g->seq = g->round = 0;
        g->emitted = 0;
        g->target = rows * (d + 1) / days - rows * d / days;
        g->len = (size_t)(put_s(room(g), g->def->head) - g->buf);
        while (g->emitted < g->target) g->def->round(g);
        if (d == days - 1) drain(g, true);
        flush(g);
        if (close(g->fd)) { perror(path); exit(1); }
    }
    return NULL;
}

/* Parses options, generates every selected partner, prints counts and speed. */
int main(int argc, char **argv)
{
    const char *out = NULL, *only = NULL, *start_s = "2025-10-25";
    uint64_t rows = 20000, seed = 1, days = 3, bad = 1000, dup = 2000;
    const struct { const char *name; const char **text; uint64_t *num; } opts[] = {
        {"--out", &out, NULL}, {"--start", &start_s, NULL}, {"--partners", &only, NULL},
        {"--rows", NULL, &rows}, {"--seed", NULL, &seed}, {"--days", NULL, &days},
        {"--bad-rate", NULL, &bad}, {"--dup-rate", NULL, &dup}};
    for (int i = 1; i < argc; i++) {
        size_t k = 0;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) usage(0);
        while (k < sizeof opts / sizeof *opts && strcmp(argv[i], opts[k].name)) k++;
        if (k == sizeof opts / sizeof *opts || i + 1 >= argc) {
            fprintf(stderr, "gendrops: unknown option or missing value: %s\n", argv[i]);
            usage(2);
        }
        if (opts[k].text) *opts[k].text = argv[++i];
        else *opts[k].num = num_arg(argv[i], argv[i + 1]), i++;
    }
    int y, m, d;
    if (!out || sscanf(start_s, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 ||
        d < 1 || d > 31 || days < 1 || days > 3660 || bad > 1000000 || dup > 1000000)
        usage(2);
    if (mkdir(out, 0755) && errno != EEXIST) { perror(out); exit(1); }
    korean_init();
    unsigned wsum = 0;
    bool use[NPART];
    for (size_t i = 0; i < NPART; i++) {
        size_t n = strlen(partners[i].name);
        const char *s = only;
        use[i] = !only;
        while (s && *s) {
            if (!strncmp(s, partners[i].name, n) && (s[n] == ',' || !s[n])) use[i] = true;
            s = strchr(s, ',');
            s = s ? s + 1 : NULL;
        }
        if (use[i]) wsum += partners[i].weight;
    }
    if (!wsum) { fprintf(stderr, "gendrops: no known partner in --partners\n"); usage(2); }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    static gen gens[NPART];
    pthread_t th[NPART];
    uint64_t total = 0;
    for (size_t i = 0; i < NPART; i++) {          /* partners are independent: one thread each */
        gen *g = &gens[i];
        if (!use[i]) continue;
        g->def = &partners[i];
        g->r.s = seed * 0x2545F4914F6CDD1Dull ^ (0x9E3779B97F4A7C15ull * (i + 1));
        g->bad_ppm = (uint32_t)bad;
        g->dup_ppm = (uint32_t)dup;
        g->out = out;
        g->start = days_from_civil(y, m, d);
        g->days = (int)days;
        g->rows = rows * partners[i].weight / wsum;
        if (!(g->buf = malloc(OBUF)) || pthread_create(&th[i], NULL, run_partner, g)) {
            fprintf(stderr, "gendrops: cannot start a worker\n");
            exit(1);
        }
    }
    for (size_t i = 0; i < NPART; i++) {
        gen *g = &gens[i];
        if (!use[i]) continue;
        pthread_join(th[i], NULL);
        free(g->buf);
        total += g->total;
        fprintf(stderr, "%-10s %10llu rows, %llu re-sent, %llu conflicting, bad:", g->def->name,
                (unsigned long long)g->total, (unsigned long long)g->n_dup,
                (unsigned long long)g->n_conflict);
        for (int k = 1; k < BAD_KINDS; k++)
            if (g->n_bad[k]) fprintf(stderr, " %s %llu", bad_names[k], (unsigned long long)g->n_bad[k]);
        fputc('\n', stderr);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr, "gendrops: %llu rows in %.3f s (%.2f M rows/s) -> %s\n",
            (unsigned long long)total, s, s > 0 ? (double)total / s / 1e6 : 0.0, out);
    return 0;
}
