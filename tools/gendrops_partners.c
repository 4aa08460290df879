/*
 * gendrops_partners.c - the four sample partners of data/settle.yaml
 * (docs/sample-partners.md): each one's CSV dialect (a row writer), how its
 * rounds play (a round function calling emit/follow of gendrops.c), and what
 * the wallet ledger of --wallet needs to record its transactions (ids, round
 * ids, games, the wallet's type words, currencies).
 */
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>

#include "gendrops.h"

/* ------------------------------------------------- a) reelstorm (Malta) --- */

static const char *const rs_types[] = {"BET", "WIN", "REFUND", "WINREV", "JPC", "JPW", "FREESPIN"};
static const char *const rs_games[][2] = {
    {"rs-golden-reels", "slots"}, {"rs-pharaoh-gold", "slots"}, {"rs-neon-fruits", "slots"},
    {"rs-viking-rush", "slots"}, {"rs-book-of-sands", "slots"}, {"rs-aviator-x", "crash"},
    {"rs-mega-mines", "crash"}, {"rs-blackjack-classic", "table"},
    {"rs-european-roulette", "table"}, {"rs-scratch-gold", "instant"}};

/* Reelstorm's transaction id, round id and game. */
static char *rs_id(char *p, const row *r)
{
    p = put_s(p, "RS"); p = put_u(p, r->ymd); *p++ = '-';
    return put_w(p, r->seq, 9);
}

static char *rs_rid(char *p, const row *r)
{
    p = put_s(p, "R"); p = put_u(p, r->ymd);
    return put_w(p, r->round, 8);
}

static char *rs_game(char *p, const row *r) { return put_s(p, rs_games[r->game][0]); }

/* One reelstorm row: ';' separated, dd/mm/yyyy Malta time, "1.234,50" EUR. */
static char *rs_write(char *p, const row *r)
{
    static const zone malta = {3600, true};
    if (r->bad != BAD_EMPTY_ID) p = rs_id(p, r);
    *p++ = ';'; p = rs_rid(p, r); *p++ = ';';
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
    p = rs_game(p, r); *p++ = ';'; p = put_s(p, rs_games[r->game][1]); *p++ = ';';
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

/* Royal-live's transaction id, round id and table. */
static char *rl_id(char *p, const row *r)
{
    p = put_s(p, "RL"); p = put_u(p, r->ymd);
    return put_w(p, r->seq, 9);
}

static char *rl_rid(char *p, const row *r)
{
    p = put_s(p, "GR-"); p = put_u(p, r->ymd); *p++ = '-';
    return put_w(p, r->round, 7);
}

static char *rl_game(char *p, const row *r)
{
    p = put_s(p, rl_tables[r->game % 5]); *p++ = '-';
    return put_w(p, r->game / 5 + 1u, 2);
}

/* One royal-live row: every field quoted, ISO 8601 times, "1,234.50" amounts, CRLF. */
static char *rl_write(char *p, const row *r)
{
    *p++ = '"';
    if (r->bad != BAD_EMPTY_ID) p = rl_id(p, r);
    p = put_s(p, "\",\""); p = rl_rid(p, r);
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
    p = put_s(p, "\",\""); p = rl_game(p, r);
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
void korean_init(void)
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

/* Chipmart's transaction id, no round, and the product (UTF-8). */
static char *cm_id(char *p, const row *r)
{
    p = put_s(p, "CM"); p = put_u(p, r->ymd);
    return put_w(p, r->seq, 8);
}

static char *no_round(char *p, const row *r) { (void)r; return p; }

static char *cm_game(char *p, const row *r) { return put_s(p, k_utf8[K_P0 + r->game]); }

/* One chipmart row: tab separated, epoch ms, Korean words, "1,000,000" KRW. */
static char *cm_write(char *p, const row *r)
{
    if (r->bad != BAD_EMPTY_ID) p = cm_id(p, r);
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

/* Spinworks' round id (its only id) and game. */
static char *sw_id(char *p, const row *r)
{
    p = put_s(p, "SW"); p = put_u(p, r->ymd);
    return put_w(p, r->seq, 9);
}

static char *sw_game(char *p, const row *r) { return put_s(p, sw_games[r->game][0]); }

/* One spinworks round: id|epoch_s|player|game|bet|win|bonus|category, empty = no such txn. */
static char *sw_write(char *p, const row *r)
{
    if (r->bad != BAD_EMPTY_ID) p = sw_id(p, r);
    *p++ = '|';
    p = r->bad == BAD_TIME ? put_s(p, "17x9600000") : put_u(p, (uint64_t)r->t);
    p = put_s(p, "|u"); p = put_u(p, 100000 + r->player); *p++ = '|';
    p = sw_game(p, r); *p++ = '|';
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

/* ------------------------------------------------------------- the table --- */

/* The wallet's words per row type (spinworks: per amount column bet, win, bonus). */
static const char *const rs_wtypes[] = {"DEBIT", "CREDIT", "CANCEL", "ROLLBACK", "JP_CONTRIB",
                                        "JP_WIN", "FREE_ROUND"};
static const char *const rl_wtypes[] = {"DEBIT", "CREDIT", "CANCEL", "ROLLBACK", "FREE_ROUND",
                                        "JP_CONTRIB", "JP_WIN"};
static const char *const cm_wtypes[] = {"PURCHASE", "CANCEL", "ADJUST"};
static const char *const sw_wtypes[] = {"DEBIT", "CREDIT", "FREE_ROUND"};

const pdef gd_partners[GD_NPARTNERS] = {
    {"reelstorm", "reelstorm_%s.csv", 350, {3600, true}, ALL_BAD | M(BAD_DST_GAP),
     "TransactionID;RoundID;Date;PlayerID;GameID;GameType;Type;Amount;Currency\n",
     rs_write, rs_round, "RS", rs_id, rs_rid, rs_game, rs_wtypes, {"EUR", "EUR"}, 2, true},
    {"royal-live", "RL-%s.csv", 250, {8 * 3600, false}, ALL_BAD,           /* UTF-8 BOM, CRLF */
     "\xEF\xBB\xBF\"txn_id\",\"round_id\",\"created_at\",\"player\",\"table_id\","
     "\"game_type\",\"event\",\"amount\",\"ccy\"\r\n", rl_write, rl_round,
     "RL", rl_id, rl_rid, rl_game, rl_wtypes, {"USD", "EUR"}, 2, false},
    {"chipmart", "chipmart_%s.txt", 100, {9 * 3600, false}, ALL_BAD & ~M(BAD_CURRENCY),
     k_cp[K_HEAD], cm_write, cm_round,                                /* 2 title lines, header */
     "CM", cm_id, no_round, cm_game, cm_wtypes, {"KRW", "KRW"}, 0, false},
    {"spinworks", "sw-%s.psv", 300, {9 * 3600, false},
     ALL_BAD & ~(M(BAD_CURRENCY) | M(BAD_TYPE)), "", sw_write, sw_round,
     "SW", sw_id, sw_id, sw_game, sw_wtypes, {"KRW", "KRW"}, 0, false},
};
