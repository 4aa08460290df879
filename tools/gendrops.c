/*
 * gendrops.c - writes realistic sample partner drops for settle.
 *
 *   gendrops --out DIR [--rows N] [--seed S] [--start YYYY-MM-DD] [--days D]
 *            [--bad-rate PPM] [--dup-rate PPM] [--partners a,b,c] [--wallet DIR]
 *
 * Writes DIR/<partner>/<file> for the four sample partners of
 * data/settle.yaml, one file per partner and local day, each in that
 * partner's own CSV dialect (docs/sample-partners.md). N rows in total are
 * split across partners and days. Re-sent rows (exact duplicates),
 * duplicate-id conflicts and bad rows of every kind are sprinkled in at the
 * given rates (parts per million). The same arguments always give the same
 * bytes. With --wallet DIR it also writes the operator's wallet ledger of
 * those partners (gendrops_wallet.c; data/settle.yaml reads it). The four
 * partners' dialects are in gendrops_partners.c. Built for speed: splitmix64, hand-written formatting, 1 MiB writes, and one
 * thread per partner.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gendrops.h"

static const char *const bad_names[BAD_KINDS] = {
    "", "empty_id", "bad_amount", "precision", "unknown_type", "bad_time", "unknown_currency",
    "overflow", "dst_gap" };

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
void emit(gen *g, row *r)
{
    put_row(g, r);
    if (g->wallet) wallet_row(g, r);
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
int64_t round_time(gen *g)
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
row new_row(gen *g, int64_t t, uint32_t players)
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
int64_t win_mult(gen *g)
{
    static const int64_t m[16] = {50, 80, 100, 120, 150, 200, 250, 300, 400, 500, 800, 1000,
                                  1500, 2000, 2500, 3000};  /* mean ~2.6x: RTP ~91% at 35% hits */
    return m[skewed(&g->r, 16)] + below(&g->r, 20);
}

/* Writes a row's amount in a dialect, or the defect its bad kind asks for. */
char *put_amount(char *p, const row *r, int exp, char dec, char thou, const char *garbage)
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
void follow(gen *g, const row *base, int64_t dt, uint8_t type, int64_t amount)
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

/* ---------------------------------------------------------------- main --- */

/* Prints usage and exits with `code`. */
static void usage(int code)
{
    fprintf(code ? stderr : stdout,
            "usage: gendrops --out DIR [--rows N] [--seed S] [--start YYYY-MM-DD] [--days D]\n"
            "                [--bad-rate PPM] [--dup-rate PPM] [--partners a,b,c] [--wallet DIR]\n"
            "defaults: 20000 rows, seed 1, start 2025-10-25 (covers the Malta DST end), 3 days,\n"
            "          bad 1000 ppm, dup 2000 ppm, all of reelstorm,royal-live,chipmart,spinworks\n"
            "--wallet DIR: also the wallet ledger of those partners, DIR/<partner>_<day>.csv\n");
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
        if (!strcmp(g->def->name, "royal-live")) /* dashed dates in its file names */
            snprintf(date, sizeof date, "%04d-%02d-%02d", y, m, dd);
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
        if (g->wallet_dir) wallet_begin_day(g, g->wallet_dir);
        while (g->emitted < g->target) g->def->round(g);
        if (d == days - 1) drain(g, true);
        flush(g);
        if (close(g->fd)) { perror(path); exit(1); }
        if (g->wallet_dir) wallet_end_day(g);
    }
    wallet_free(g);
    return NULL;
}

/* Parses options, generates every selected partner, prints counts and speed. */
int main(int argc, char **argv)
{
    const char *out = NULL, *only = NULL, *start_s = "2025-10-25", *wallet_dir = NULL;
    uint64_t rows = 20000, seed = 1, days = 3, bad = 1000, dup = 2000;
    const struct { const char *name; const char **text; uint64_t *num; } opts[] = {
        {"--out", &out, NULL}, {"--start", &start_s, NULL}, {"--partners", &only, NULL},
        {"--wallet", &wallet_dir, NULL},
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
    if (wallet_dir && mkdir(wallet_dir, 0755) && errno != EEXIST) { perror(wallet_dir); exit(1); }
    korean_init();
    unsigned wsum = 0;
    bool use[GD_NPARTNERS];
    for (size_t i = 0; i < GD_NPARTNERS; i++) {
        size_t n = strlen(gd_partners[i].name);
        const char *s = only;
        use[i] = !only;
        while (s && *s) {
            if (!strncmp(s, gd_partners[i].name, n) && (s[n] == ',' || !s[n])) use[i] = true;
            s = strchr(s, ',');
            s = s ? s + 1 : NULL;
        }
        if (use[i]) wsum += gd_partners[i].weight;
    }
    if (!wsum) { fprintf(stderr, "gendrops: no known partner in --partners\n"); usage(2); }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    static gen gens[GD_NPARTNERS];
    pthread_t th[GD_NPARTNERS];
    uint64_t total = 0;
    for (size_t i = 0; i < GD_NPARTNERS; i++) {          /* partners are independent: one thread each */
        gen *g = &gens[i];
        if (!use[i]) continue;
        g->def = &gd_partners[i];
        g->r.s = seed * 0x2545F4914F6CDD1Dull ^ (0x9E3779B97F4A7C15ull * (i + 1));
        g->bad_ppm = (uint32_t)bad;
        g->dup_ppm = (uint32_t)dup;
        g->out = out;
        g->wallet_dir = wallet_dir;
        g->start = days_from_civil(y, m, d);
        g->days = (int)days;
        g->rows = rows * gd_partners[i].weight / wsum;
        if (!(g->buf = malloc(OBUF)) || pthread_create(&th[i], NULL, run_partner, g)) {
            fprintf(stderr, "gendrops: cannot start a worker\n");
            exit(1);
        }
    }
    for (size_t i = 0; i < GD_NPARTNERS; i++) {
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
