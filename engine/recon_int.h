/*
 * recon_int.h - private to recon_items.c, recon_match.c and recon_period.c: the item record
 * (one encoding for the scratch files and for the open items kept in the
 * state), and reading one source's partition back from the collector.
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

#endif
