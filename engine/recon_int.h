/*
 * recon_int.h - private to recon_items.c, recon_group.c, recon_match.c and
 * recon_period.c: the item record of the open items kept in the state, the
 * compact record of the scratch files, reading one source's partition back
 * from the collector, and grouping a partition's items by key.
 */
#ifndef SETTLE_RECON_INT_H
#define SETTLE_RECON_INT_H

#include "recon.h"

/* Bytes of a record without its id text; ids longer than RECON_ID_MAX are cut. */
#define RECON_REC_FIXED 55
#define RECON_ID_MAX 1024

/* Which side an item comes from. */
enum { RECON_SIDE_PARTNER = 0, RECON_SIDE_LEDGER = 1 };

/*
 * One item as stored (little-endian, variable length):
 * key.lo u64, key.hi u64, day i32, type u8, side u8, currency 3 bytes,
 * amount i64, file_id i64, line u64, owner u32 (the partner index), id
 * length u16, id bytes. `id` is borrowed from the buffer it was read from.
 */
typedef struct recon_rec {
    dedup_digest key;
    int32_t day;
    uint8_t type;
    uint8_t side;
    char cur[4];
    int64_t amount;
    int64_t file_id;
    uint64_t line;
    uint32_t owner;
    uint16_t id_len;
    const char *id;
} recon_rec;

/* The partition of a key: its digest's top 8 bits. */
static inline unsigned recon_part_of(dedup_digest key)
{
    return (unsigned)(key.hi >> 56);
}

/* Encoded size of r. */
size_t recon_rec_size(const recon_rec *r);
/* Writes r's recon_rec_size(r) bytes to p. */
void recon_rec_put(unsigned char *p, const recon_rec *r);
/* Reads one record from p[0..n): its size, or 0 when it is cut short or malformed. */
size_t recon_rec_get(const unsigned char *p, size_t n, recon_rec *r);

/*
 * The scratch files' compact record (recon_items.c): key, type and side,
 * currency, then varints (day, amount and file id zigzagged, line, owner),
 * the count of leading id bytes shared with the previous record's id (at most
 * 32) and the rest of the id. recon_scratch_put writes r to p (at most
 * 1100 bytes) sharing a prefix with prev[0..prev_n) (prev_n 0: none) and
 * returns its size. recon_scratch_get reads one record from p[0..n): idbuf
 * (RECON_ID_MAX bytes) holds the previous record's id, *id_n its length (0
 * at a block's start), and both are updated; r->id points into idbuf. Its
 * size, or 0 when the record is cut short or malformed.
 */
size_t recon_scratch_put(unsigned char *p, const recon_rec *r, const char *prev, size_t prev_n);
size_t recon_scratch_get(const unsigned char *p, size_t n, recon_rec *r, char *idbuf,
                         size_t *id_n);

/* The source index of partner pi's items, and of ledger li's items. */
size_t recon_src_partner(const recon_items *r, size_t pi);
size_t recon_src_ledger(const recon_items *r, size_t li);
/* The borrowed config the collector was opened with. */
const settle_config *recon_items_config(const recon_items *r);
/* How many items a source's partition holds (void files' items included). */
uint64_t recon_items_count(const recon_items *r, size_t src, unsigned part);

/* Whether ledger li added items of partner pi to partition `part` this run (void files'
 * included). */
bool recon_items_owner_has(const recon_items *r, size_t li, size_t pi, unsigned part);

/*
 * Writes every source's staged blocks to its scratch file. After it, and
 * until the next item is added, recon_items_each only reads the collector:
 * it may run on several threads at once, each with its own cursor. 0, or -1
 * with the collector's error.
 */
int recon_items_seal(recon_items *r);

/* What one reader of the scratch files owns: zero it to start, recon_cursor_free to end. */
typedef struct recon_cursor {
    unsigned char *buf;             /* a block as read back; made on first use */
    char id[RECON_ID_MAX];          /* the id of the record being decoded */
    char err[256];                  /* the last failure */
} recon_cursor;
void recon_cursor_free(recon_cursor *c);

/*
 * Hands every item of source `src`, partition `part` to fn (not those of void
 * files), newest block first; the record is borrowed for the call. The
 * collector must be sealed (recon_items_seal). fn's non-zero result stops it
 * and is returned; -1 with c->err on a read failure or a malformed block.
 */
int recon_items_each(const recon_items *r, recon_cursor *c, size_t src, unsigned part,
                     int (*fn)(void *ctx, const recon_rec *rec), void *ctx);

/*
 * The items of a partition grouped by key (recon_group.c). After
 * recon_groups_build, first[0..n_first) are the slots of the keys in the order
 * each first appeared; slot[first[f]] is index + 1 of the last item of that
 * key, and next[i] the index + 1 of the item of i's key before it (0: none).
 * Memory is reused from one build to the next; recon_groups_free releases it.
 */
typedef struct recon_groups {
    uint32_t *slot;        /* n_slot (a power of two, at least twice the items) */
    size_t n_slot;
    uint32_t *next;        /* per item */
    uint32_t *first;       /* slots of the keys, in order of first appearance */
    size_t n_first;
    size_t cap;            /* items next and first have room for */
} recon_groups;

/*
 * Groups the n items at `items`, each `stride` bytes with its dedup_digest key
 * at offset 0 (items borrowed for the call). 0, or -1 when n is too large for
 * 32-bit indexes (nothing is grouped).
 */
int recon_groups_build(recon_groups *g, const void *items, size_t n, size_t stride);
/* Frees g's memory and zeroes it; a zeroed g is empty. */
void recon_groups_free(recon_groups *g);

/*
 * Matching by transaction (recon_match.c), driven by recon_match_run.c: the
 * driver reads each unit's open items from the state, workers (threads) match
 * units, and the driver writes their results to the state in unit order, so
 * the state is the same whatever the threads. A unit is one ledger's
 * partition; its result has one recon_unit_result per partner.
 */

/* A summed (day, side, currency) count and amount. */
typedef struct recon_unit_sum {
    int32_t day;
    int side;
    char cur[4];
    int64_t count, amount;
} recon_unit_sum;

/* One break: b with its id at ids.buf + id_off of its result and its currencies here
 * (the driver points b's tx_id, currency and ledger_currency there when writing it). */
typedef struct recon_unit_break {
    size_t id_off;
    state_recon_break b;
    char cur[4], ledger_cur[4];
} recon_unit_break;

/* One partner's share of a unit. The driver sets `wanted` and fills `open_in`; the
 * worker sets the rest. Memory is kept from one unit to the next. */
typedef struct recon_unit_result {
    bool wanted;                /* reconciled with the ledger and new items possible */
    sbuf open_in;               /* the open items the state keeps, as stored */
    bool touched;               /* new items were matched: write what follows */
    recon_unit_break *brk;       /* breaks, in the order found */
    size_t n_brk, cap_brk;
    sbuf ids;                   /* the breaks' ids */
    sbuf out;                   /* the open items left, packed */
    size_t *chunk_end;          /* out split into chunks of at most STATE_RECON_CHUNK */
    size_t n_chunk, cap_chunk;
    recon_unit_sum *sums;            /* matched ones (n_matched) first, then open-item deltas */
    size_t n_sums, n_matched, cap_sums;
    int32_t *days;              /* business days to touch */
    size_t n_days, cap_days;
} recon_unit_result;
void recon_unit_result_free(recon_unit_result *res);

typedef struct recon_worker recon_worker;
/* A worker's memory for matching units of r (borrowed, sealed). */
recon_worker *recon_worker_new(const recon_items *r);
void recon_worker_free(recon_worker *w);
/*
 * Matches ledger li's partition `part`: for each partner pi with res[pi].wanted,
 * its new items, the ledger's new items of pi and the open items in
 * res[pi].open_in. 0, or -1 with err (a scratch block or open item malformed).
 */
int recon_worker_unit(recon_worker *w, size_t li, unsigned part, recon_unit_result *res, char *err,
                      size_t errlen);

#endif
