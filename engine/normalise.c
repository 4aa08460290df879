/*
 * normalise.c - one reader row -> canonical transactions, or one reject.
 *
 * Checks run in a fixed order so a row always gets the same reason:
 * (for a ledger's row first the partner it belongs to: missing_field,
 * unknown_partner), missing_field, bad_time, unknown_type, unknown_currency, then the amount
 * (bad_amount / precision / overflow). The time is read first all the same,
 * so a row rejected for any reason is filed under its own business day when
 * its time reads. Runs once per row: no allocation on
 * the hot path, no floating point.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "normalise.h"
#include "timefmt.h"

#define NORM_MAX_ID 512 /* longest id accepted in amounts mode (row id + ":" + type) */

struct normaliser {
    const partner_config *pc;
    const tz_zone *zone, *business_zone;
    int32_t day_start;
    strmap *currencies;
    int col[SLOT_COUNT];          /* 0-based column per slot, -1 when unmapped */
    size_t width;                 /* fields a row must have: the header's, or the last mapped column */
    money_dialect dialect;
    int exponents[256];           /* exponent by currency id (-2 = not cached) */
    char ids[TX_TYPE_COUNT][NORM_MAX_ID]; /* composed ids in amounts mode */
    slice last_cur;               /* one-entry cache of the currency intern */
    int last_cur_id;
    char last_cur_buf[8];
    const settle_config *cfg;     /* set for a ledger (normaliser_set_owners), else NULL */
    const ledger_config *ledger;
    char last_owner[64];          /* one-entry cache of the owner lookup */
    size_t last_owner_n;
    int32_t last_owner_id;        /* -2: empty cache */
};

static const char *const slot_names[SLOT_AMOUNTS_BASE] = {
    "id", "round", "time", "player", "game", "category", "type", "amount", "currency", "partner",
};

normaliser *normaliser_new(const partner_config *pc, const tz_zone *partner_zone,
                           const tz_zone *business_zone, int32_t day_start, strmap *currencies)
{
    normaliser *n = xcalloc(1, sizeof *n);
    n->pc = pc;
    n->zone = partner_zone;
    n->business_zone = business_zone;
    n->day_start = day_start;
    n->currencies = currencies;
    n->dialect.decimal = pc->csv.decimal ? pc->csv.decimal : '.';
    n->dialect.thousands = pc->csv.thousands;
    n->dialect.allow_exp = pc->format == FORMAT_JSON;
    for (int i = 0; i < 256; i++)
        n->exponents[i] = -2;
    n->last_cur_id = -1;
    n->last_owner_id = -2;
    return n;
}

void normaliser_set_owners(normaliser *n, const settle_config *cfg, const ledger_config *lc)
{
    n->cfg = cfg;
    n->ledger = lc;
    n->last_owner_id = -2;
}

void normaliser_free(normaliser *n)
{
    free(n);
}

/* Human name of a slot for messages: "amount", "amounts.win", ... */
static void slot_name(int slot, char *buf, size_t len)
{
    if (slot < SLOT_AMOUNTS_BASE)
        snprintf(buf, len, "%s", slot_names[slot]);
    else
        snprintf(buf, len, "amounts.%s", tx_type_name((tx_type)(slot - SLOT_AMOUNTS_BASE)));
}

/* Finds a header cell equal to `name` (after trimming); -1 when absent. */
static int header_find(const ingest_row *hdr, const char *name)
{
    for (size_t i = 0; i < hdr->n_fields; i++)
        if (slice_eq(slice_trim(hdr->fields[i]), name))
            return (int)i;
    return -1;
}

/* Resolves one slot's column; -1 with err when a named column is missing. */
static int start_slot(normaliser *n, int slot, const ingest_row *hdr, char *err, size_t errlen)
{
    const field_ref *f = &n->pc->fields[slot];
    n->col[slot] = -1;
    if (!field_ref_set(f))
        return 0;
    if (f->column > 0) {
        n->col[slot] = f->column - 1;
        return 0;
    }
    if (hdr)
        n->col[slot] = header_find(hdr, f->name);
    if (n->col[slot] >= 0)
        return 0;
    char name[40];
    slot_name(slot, name, sizeof name);
    snprintf(err, errlen, "column '%s' (fields.%s) not in %s", f->name, name,
             hdr ? "the header row" : "a file without header");
    return -1;
}

int normaliser_start_file(normaliser *n, const ingest_row *hdr, char *err, size_t errlen)
{
    n->width = hdr ? hdr->n_fields : 0;
    for (int s = 0; s < SLOT_COUNT; s++) {
        if (start_slot(n, s, hdr, err, errlen) != 0)
            return -1;
        if (n->col[s] >= 0 && (size_t)n->col[s] + 1 > n->width)
            n->width = (size_t)n->col[s] + 1;
    }
    return 0;
}

/* True when cells from `from` on are all blank (trailing delimiters are harmless). */
static bool cells_blank_from(const ingest_row *row, size_t from)
{
    for (size_t i = from; i < row->n_fields; i++)
        if (slice_trim(row->fields[i]).n)
            return false;
    return true;
}

/* A row with missing cells, or extra non-blank ones, is not the partner's layout. */
static int check_width(const normaliser *n, const ingest_row *row, norm_reject *rej)
{
    if (row->n_fields >= n->width && cells_blank_from(row, n->width))
        return 0;
    rej->code = REJ_BAD_ROW;
    snprintf(rej->detail, sizeof rej->detail, "row has %zu fields, expected %zu",
             row->n_fields, n->width);
    return -1;
}

/* The trimmed field of a slot, or an empty slice when unmapped/absent. */
static inline slice row_get(const normaliser *n, const ingest_row *row, int slot)
{
    int c = n->col[slot];
    if (c < 0 || (size_t)c >= row->n_fields)
        return (slice){"", 0};
    return slice_trim(row->fields[c]);
}

/* Fills a reject and returns -1 (for tail calls). */
static int reject(norm_reject *rej, reject_code code, const char *fmt, const char *field,
                  slice value)
{
    rej->code = code;
    int shown = value.n > 60 ? 60 : (int)value.n;
    snprintf(rej->detail, sizeof rej->detail, fmt, field, shown, value.p);
    return -1;
}

/* Maps the partner's type word to a canonical type; -1 when unknown. */
static int map_type(const normaliser *n, slice word)
{
    const partner_config *pc = n->pc;
    if (pc->n_type_values == 0)
        return tx_type_from_name(word.p, word.n);
    for (size_t i = 0; i < pc->n_type_values; i++)
        if (slice_eq(word, pc->type_values[i].word))
            return (int)pc->type_values[i].type;
    return -1;
}

/* The partner a ledger's value names: through the owners, or as a partner id; -1 when none. */
static int32_t owner_lookup(const normaliser *n, slice v)
{
    const ledger_config *lc = n->ledger;
    for (size_t i = 0; i < lc->n_owners; i++)
        if (slice_eq(v, lc->owners[i].word))
            return (int32_t)lc->owners[i].partner;
    for (size_t i = 0; lc->n_owners == 0 && i < n->cfg->n_partners; i++)
        if (slice_eq(v, n->cfg->partners[i].id))
            return (int32_t)i;
    return -1;
}

/* A ledger row's owner (cached for runs of one value) into rej->owner; -1 with the reject
 * filled when the value is empty or names no partner. No-op (0) for a partner's drop. */
static int read_owner(normaliser *n, const ingest_row *row, norm_reject *rej)
{
    if (!n->ledger)
        return 0;
    slice v = row_get(n, row, SLOT_PARTNER);
    if (!v.n)
        return reject(rej, REJ_MISSING_FIELD, "%s is empty%.*s", "partner", (slice){"", 0});
    if (n->last_owner_id != -2 && v.n == n->last_owner_n && !memcmp(v.p, n->last_owner, v.n)) {
        rej->owner = n->last_owner_id;
    } else {
        rej->owner = owner_lookup(n, v);
        n->last_owner_id = v.n <= sizeof n->last_owner ? rej->owner : -2; /* longer: not cached */
        n->last_owner_n = v.n <= sizeof n->last_owner ? v.n : 0;
        memcpy(n->last_owner, v.p, n->last_owner_n);
    }
    if (rej->owner >= 0)
        return 0;
    return reject(rej, REJ_UNKNOWN_PARTNER, "%s: '%.*s' is no partner (fields.partner)",
                  "partner", v);
}

/* Interns a currency code (with a one-entry cache); -1 when not ISO 4217. */
static int map_currency(normaliser *n, slice code)
{
    if (n->last_cur_id >= 0 && code.n == n->last_cur.n &&
        memcmp(code.p, n->last_cur_buf, code.n) == 0)
        return n->last_cur_id;
    if (code.n != 3 || currency_exponent(code.p, code.n) < 0)
        return -1;
    int id = (int)strmap_intern(n->currencies, code.p, code.n);
    if (id > 255)
        return -1;
    memcpy(n->last_cur_buf, code.p, code.n);
    n->last_cur = (slice){n->last_cur_buf, code.n};
    n->last_cur_id = id;
    return id;
}

int normaliser_exponent(const normaliser *n, int cur)
{
    normaliser *mut = (normaliser *)n;
    if (mut->exponents[cur] == -2) {
        const char *code = strmap_str(n->currencies, (uint32_t)cur);
        mut->exponents[cur] = currency_exponent(code, strlen(code));
    }
    return mut->exponents[cur];
}

/* Parses an amount for `field`; -1 with the reject filled on failure. */
static int parse_amount(const normaliser *n, slice text, int exponent, const char *field,
                        int64_t *out, norm_reject *rej)
{
    money_status st = money_parse(text.p, text.n, &n->dialect, exponent, out);
    if (st == MONEY_OK)
        return 0;
    static const reject_code codes[] = {REJ_BAD_AMOUNT, REJ_BAD_AMOUNT, REJ_PRECISION,
                                        REJ_OVERFLOW};
    static const char *const why[] = {"%s: '%.*s' is not a number", "%s: '%.*s' is not a number",
                                      "%s: '%.*s' has more decimals than the currency allows",
                                      "%s: '%.*s' is too large"};
    return reject(rej, codes[st], why[st], field, text);
}

/* The row's time, read once before any other check so a reject knows its day. */
typedef struct row_time {
    slice text;
    time_status status;  /* TIME_OK when instant and day are set */
    int64_t instant;
    int32_t day;
} row_time;

/*
 * Reads the time field into *tm and, when it is readable and its business
 * day inside the time window, gives the reject that day (a row rejected for
 * another field is still filed under its own day).
 */
static void read_time(const normaliser *n, const ingest_row *row, row_time *tm, norm_reject *rej)
{
    tm->text = row_get(n, row, SLOT_TIME);
    tm->status = time_parse(&n->pc->time, tm->text.p, tm->text.n, n->zone, &tm->instant);
    if (tm->status != TIME_OK)
        return;
    tm->day = business_day(tm->instant, n->business_zone, n->day_start);
    if (!time_day_in_window(tm->day))
        tm->status = TIME_OUT_OF_WINDOW; /* the zone or day_starts_at shift crossed an edge */
    else
        rej->day = tm->day;
}

/* Rejects a row whose time did not read (bad_time, the reason in detail). */
static int reject_time(const row_time *tm, norm_reject *rej)
{
    const char *why = "%s: '%.*s' does not match the time format";
    if (tm->status == TIME_NONEXISTENT)
        why = "%s: '%.*s' does not exist in the partner's zone (daylight-saving gap)";
    else if (tm->status == TIME_OUT_OF_WINDOW)
        why = "%s: '%.*s' is outside the accepted years 1900..2199";
    return reject(rej, REJ_BAD_TIME, why, "time", tm->text);
}

/* Common fields of every transaction of the row (id set by the caller). */
typedef struct row_common {
    int32_t owner;     /* the ledger row's partner, -1 for a partner's drop */
    int64_t instant;
    int32_t day;
    int currency;
    slice round, player, game, category;
} row_common;

/* Takes the time read by read_time and the optional fields; -1 with reject on bad time. */
static int read_common(normaliser *n, const ingest_row *row, const row_time *tm, row_common *c,
                       norm_reject *rej)
{
    if (tm->status != TIME_OK)
        return reject_time(tm, rej);
    c->owner = rej->owner;
    c->instant = tm->instant;
    c->day = tm->day;
    static const slice unknown = {"unknown", 7};
    c->round = row_get(n, row, SLOT_ROUND);
    c->player = row_get(n, row, SLOT_PLAYER);
    c->game = row_get(n, row, SLOT_GAME);
    c->category = row_get(n, row, SLOT_CATEGORY);
    if (!c->game.n)
        c->game = unknown;
    if (!c->category.n)
        c->category = unknown;
    return 0;
}

/* Reads the row's currency (column or partner default); -1 with reject. */
static int read_currency(normaliser *n, const ingest_row *row, row_common *c, norm_reject *rej)
{
    slice code = n->col[SLOT_CURRENCY] >= 0 ? row_get(n, row, SLOT_CURRENCY) : (slice){0, 0};
    if (!code.n) {
        const char *d = n->pc->default_currency ? n->pc->default_currency : n->pc->currency;
        code = (slice){d, strlen(d)};
    }
    c->currency = map_currency(n, code);
    if (c->currency < 0)
        return reject(rej, REJ_UNKNOWN_CURRENCY, "%s: '%.*s' is not an ISO 4217 currency",
                      "currency", code);
    return 0;
}

/* Fills one transaction from the common fields. */
static void fill_txn(txn *t, const row_common *c, slice id, tx_type type, int64_t amount,
                     uint64_t line)
{
    t->id = id;
    t->round = c->round;
    t->player = c->player;
    t->game = c->game;
    t->category = c->category;
    t->instant = c->instant;
    t->day = c->day;
    t->type = type;
    t->amount = amount;
    t->currency = c->currency;
    t->line = line;
    t->owner = c->owner;
}

/* One transaction per row: id, type and amount columns. */
static int normalise_single(normaliser *n, const ingest_row *row, slice id, const row_time *tm,
                            txn *out, size_t *n_out, norm_reject *rej)
{
    slice type_word = row_get(n, row, SLOT_TYPE), amount = row_get(n, row, SLOT_AMOUNT);
    if (!type_word.n || !amount.n)
        return reject(rej, REJ_MISSING_FIELD, "%s is empty%.*s", !type_word.n ? "type" : "amount",
                      (slice){"", 0});
    row_common c;
    if (read_common(n, row, tm, &c, rej) != 0)
        return -1;
    int type = map_type(n, type_word);
    if (type < 0)
        return reject(rej, REJ_UNKNOWN_TYPE, "%s: '%.*s' is not mapped in fields.type.values",
                      "type", type_word);
    if (read_currency(n, row, &c, rej) != 0)
        return -1;
    int64_t v;
    if (parse_amount(n, amount, normaliser_exponent(n, c.currency), "amount", &v, rej) != 0)
        return -1;
    fill_txn(&out[0], &c, id, (tx_type)type, v, row->line);
    *n_out = 1;
    return 0;
}

/* True when at least one amounts: column of the row is non-empty. */
static bool any_amount(const normaliser *n, const ingest_row *row)
{
    for (int t = 0; t < TX_TYPE_COUNT; t++)
        if (row_get(n, row, SLOT_AMOUNTS_BASE + t).n)
            return true;
    return false;
}

/* Composes "<row id>:<type>" into the normaliser's buffer for type t. */
static slice compose_id(normaliser *n, slice id, int t)
{
    int len = snprintf(n->ids[t], NORM_MAX_ID, "%.*s:%s", (int)id.n, id.p,
                       tx_type_name((tx_type)t));
    return (slice){n->ids[t], (size_t)len};
}

/* One row per round: a transaction per non-empty amounts: column. */
static int normalise_round(normaliser *n, const ingest_row *row, slice id, const row_time *tm,
                           txn *out, size_t *n_out, norm_reject *rej)
{
    if (!any_amount(n, row))
        return reject(rej, REJ_MISSING_FIELD, "%s: every amount column is empty%.*s", "amounts",
                      (slice){"", 0});
    if (id.n > NORM_MAX_ID - 32)
        return reject(rej, REJ_FIELD_TOO_LONG, "%s: '%.*s' is too long", "id", id);
    row_common c;
    if (read_common(n, row, tm, &c, rej) != 0 || read_currency(n, row, &c, rej) != 0)
        return -1;
    int exponent = normaliser_exponent(n, c.currency);
    size_t k = 0;
    for (int t = 0; t < TX_TYPE_COUNT; t++) {
        slice text = row_get(n, row, SLOT_AMOUNTS_BASE + t);
        if (!text.n)
            continue;
        char field[40];
        slot_name(SLOT_AMOUNTS_BASE + t, field, sizeof field);
        int64_t v;
        if (parse_amount(n, text, exponent, field, &v, rej) != 0)
            return -1;
        fill_txn(&out[k++], &c, compose_id(n, id, t), (tx_type)t, v, row->line);
    }
    *n_out = k;
    return 0;
}

int normalise_row(normaliser *n, const ingest_row *row, txn *out, size_t *n_out, norm_reject *rej)
{
    rej->day = INT32_MIN;
    rej->id = (slice){"", 0};
    rej->owner = -1;
    *n_out = 0;
    if (row->status == ROW_FIELD_TOO_LONG)
        return reject(rej, REJ_FIELD_TOO_LONG, "%s longer than the field limit%.*s", "a field",
                      (slice){"", 0});
    if (row->status == ROW_BAD_SYNTAX)
        return reject(rej, REJ_BAD_ROW, "%s%.*s", row->problem ? row->problem : "malformed row",
                      (slice){"", 0});
    slice id = row_get(n, row, SLOT_ID);
    rej->id = id;
    if (check_width(n, row, rej) != 0)
        return -1;
    row_time tm;
    read_time(n, row, &tm, rej);
    if (read_owner(n, row, rej) != 0)
        return -1;
    if (!id.n)
        return reject(rej, REJ_MISSING_FIELD, "%s is empty%.*s", "id", (slice){"", 0});
    if (!tm.text.n)
        return reject(rej, REJ_MISSING_FIELD, "%s is empty%.*s", "time", (slice){"", 0});
    if (n->pc->has_amounts)
        return normalise_round(n, row, id, &tm, out, n_out, rej);
    return normalise_single(n, row, id, &tm, out, n_out, rej);
}

/* Adds one amount text to the control sum; text that is not a number is skipped. */
static void control_add_text(const normaliser *n, slice text, control_sum *sum)
{
    decsum_format f = {n->dialect.decimal, n->dialect.thousands, n->dialect.allow_exp};
    if (text.n && decsum_add_text(&sum->total, text.p, text.n, &f) != 0)
        sum->unreadable++;
}

void normaliser_control_add(const normaliser *n, const ingest_row *row, control_sum *sum)
{
    sum->rows++;
    if (row->status != ROW_OK)
        return;
    if (!n->pc->has_amounts) {
        control_add_text(n, row_get(n, row, SLOT_AMOUNT), sum);
        return;
    }
    for (int t = 0; t < TX_TYPE_COUNT; t++)
        if (n->col[SLOT_AMOUNTS_BASE + t] >= 0)
            control_add_text(n, row_get(n, row, SLOT_AMOUNTS_BASE + t), sum);
}
