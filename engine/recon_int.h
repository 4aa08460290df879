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

/*
 * Hands every item of source `src`, partition `part` to fn (not those of void
 * files), newest block first; the record is borrowed for the call. fn's
 * non-zero result stops it and is returned; -1 with the collector's error on
 * a read failure or a malformed block.
 */
int recon_items_each(recon_items *r, size_t src, unsigned part,
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

#endif
