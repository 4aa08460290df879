/*
 * gendrops_wallet.c - the operator's wallet ledger for `gendrops --wallet DIR`
 * (docs/reconciliation.md; data/settle.yaml reads it): one CSV per partner
 * and day, DIR/<partner>_<yyyymmdd>.csv,
 *
 *   provider,provider_tx_id,round_id,ts,game_code,kind,amount,currency
 *
 * with a row for every good transaction the partner's drop carries (re-sent
 * and bad rows are the partner's noise, not the wallet's), at the same UTC
 * second. Spinworks sends one row per round, so the wallet has one row per
 * amount column, its id the round's plus "-B", "-W" or "-F".
 *
 * A partner marked `breaks` (reelstorm) gets three realistic breaks, each once
 * over the whole run, on the first day that offers it:
 *  - a lost callback: the first win never reached the wallet (missing_in_ledger);
 *  - a rolled-back stake: the wallet debited a stake whose round the provider
 *    rolled back and never reports (missing_in_partner), id "<code><day>-RB1";
 *  - a late round: the first bet in the 150 s before the 06:00 Seoul cut-off is
 *    booked by the wallet 90 s after it, on the next business day (day_shift).
 * The wallet draws no random numbers: the drops are the same bytes with or
 * without --wallet.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "gendrops.h"

#define WBUF (64u * 1024)

typedef struct wallet {
    int fd;
    char path[4096];
    char buf[WBUF];
    size_t len;
    bool lost, late, rolled; /* breaks made so far */
} wallet;

static const char w_head[] = "provider,provider_tx_id,round_id,ts,game_code,kind,amount,currency\n";

/* Writes out the buffer (exits on an I/O error). */
static void w_flush(wallet *w)
{
    size_t off = 0;
    while (off < w->len) {
        ssize_t n = write(w->fd, w->buf + off, w->len - off);
        if (n < 0) { if (errno == EINTR) continue; perror(w->path); exit(1); }
        off += (size_t)n;
    }
    w->len = 0;
}

/* Room for one row (at most 512 bytes). */
static char *w_room(wallet *w)
{
    if (WBUF - w->len < 512) w_flush(w);
    return w->buf + w->len;
}

/* Writes the rest of a row after its ids: ",<UTC time>,<game>,<word>,<amount>,<currency>\n"
 * (the amount in minor units of the partner's currency for r); returns the end. */
static char *w_tail(char *p, const pdef *d, const row *r, int64_t t, const char *word,
                    int64_t amount)
{
    civil c = to_civil(t, 0);
    *p++ = ',';
    p = put_u(p, (uint64_t)c.y); *p++ = '-'; p = put_w(p, (uint64_t)c.mo, 2); *p++ = '-';
    p = put_w(p, (uint64_t)c.d, 2); *p++ = 'T'; p = put_hms(p, c); *p++ = 'Z'; *p++ = ',';
    p = d->put_game(p, r); *p++ = ',';
    p = put_s(p, word); *p++ = ',';
    p = put_money(p, amount, d->exp, '.', 0); *p++ = ',';
    p = put_s(p, d->curs[r->cur ? 1 : 0]);
    *p++ = '\n';
    return p;
}

/* Writes one wallet row of r: the partner's ids (id_suffix after the id, may be ""), time
 * t, the wallet's word and an amount. */
static void w_put(gen *g, const row *r, const char *id_suffix, int64_t t, const char *word,
                  int64_t amount)
{
    const pdef *d = g->def;
    wallet *w = g->wallet;
    char *p = w_room(w);
    p = put_s(p, d->code); *p++ = ',';
    p = d->put_id(p, r); p = put_s(p, id_suffix); *p++ = ',';
    p = d->put_round(p, r);
    w->len = (size_t)(w_tail(p, d, r, t, word, amount) - w->buf);
}

void wallet_begin_day(gen *g, const char *dir)
{
    if (!g->wallet && !(g->wallet = calloc(1, sizeof *g->wallet))) {
        fprintf(stderr, "gendrops: out of memory\n");
        exit(1);
    }
    wallet *w = g->wallet;
    snprintf(w->path, sizeof w->path, "%s/%s_%08u.csv", dir, g->def->name, g->ymd);
    w->fd = open(w->path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (w->fd < 0) { perror(w->path); exit(1); }
    w->len = (size_t)(put_s(w->buf, w_head) - w->buf);
}

void wallet_row(gen *g, const row *r)
{
    static const char *const col_suffix[3] = {"-B", "-W", "-F"};
    const pdef *d = g->def;
    wallet *w = g->wallet;
    bool by_round = d->put_id == d->put_round; /* the drop's id is the round: one per column */
    int64_t t = r->t;
    if (d->breaks && !w->lost && r->type == 1) { /* the win's callback never arrived */
        w->lost = true;
        return;
    }
    if (d->breaks && !w->late && r->type == 0 && r->t >= g->cut - 150 && r->t < g->cut) {
        w->late = true;                           /* booked after the cut-off */
        t = g->cut + 90;
    }
    for (int i = 0; i < 3; i++)   /* -1: no such column (an adjustment may be negative) */
        if (r->amt[i] >= 0 || (i == 0 && !by_round))
            w_put(g, r, by_round ? col_suffix[i] : "", t, d->wtypes[i ? i : r->type],
                  r->amt[i]);
}

void wallet_end_day(gen *g)
{
    wallet *w = g->wallet;
    if (g->def->breaks && !w->rolled) {           /* a stake the provider rolled back */
        row r;
        memset(&r, 0, sizeof r);
        r.ymd = g->ymd;
        r.amt[1] = r.amt[2] = -1;
        const pdef *d = g->def;
        char *p = w_room(w);
        p = put_s(p, d->code); *p++ = ',';
        p = put_s(p, d->code); p = put_u(p, g->ymd); p = put_s(p, "-RB1,");
        p = put_s(p, d->code); p = put_u(p, g->ymd); p = put_s(p, "-RB");
        p = w_tail(p, d, &r, g->w0 + g->wlen / 2, d->wtypes[0], d->exp ? 5000 : 50000);
        w->len = (size_t)(p - w->buf);
        w->rolled = true;
    }
    w_flush(w);
    if (close(w->fd)) { perror(w->path); exit(1); }
    w->fd = -1;
}

void wallet_free(gen *g)
{
    free(g->wallet);
    g->wallet = NULL;
}
