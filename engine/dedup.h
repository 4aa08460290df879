/*
 * dedup.h - exact duplicate detection of transaction ids.
 *
 * Each id is reduced to a 128-bit keyed SipHash digest (the key is secret
 * and kept with the state, so a partner cannot craft colliding ids); with
 * 128 bits two distinct ids collide with probability ~n^2/2^129, i.e. never
 * in practice. Beside each digest the set keeps a 32-bit fingerprint of what
 * the transaction was (type, amount, currency) so a repeat that differs is
 * told apart from an honest re-send.
 *
 * Memory: 20 bytes a slot at a load of at most 0.8: bounded by the number of
 * distinct ids remembered, never by file size.
 */
#ifndef SETTLE_DEDUP_H
#define SETTLE_DEDUP_H

#include <stddef.h>
#include <stdint.h>

typedef struct dedup_key {
    uint64_t k0, k1;
} dedup_key;

typedef struct dedup_digest {
    uint64_t lo, hi;
} dedup_digest;

/* SipHash-2-4 with 128-bit output of p[0..n) under key k. */
dedup_digest dedup_siphash128(const dedup_key *k, const void *p, size_t n);

typedef struct dedup_set dedup_set;

typedef enum dedup_result {
    DEDUP_NEW = 0,    /* first time this id is seen; remembered now */
    DEDUP_REPEAT,     /* seen before with the same fingerprint: a duplicate */
    DEDUP_CONFLICT    /* seen before with a different fingerprint */
} dedup_result;

/* A new empty set; `expected` sizes it up front (0 for a small default). */
dedup_set *dedup_new(size_t expected);
void dedup_free(dedup_set *s);
size_t dedup_count(const dedup_set *s);

/* Looks `d` up and inserts it when new. Fingerprint 0 is allowed. */
dedup_result dedup_check(dedup_set *s, dedup_digest d, uint32_t fingerprint);

/* Calls fn for every remembered entry (for persisting); order unspecified. */
void dedup_each(const dedup_set *s, void (*fn)(void *ctx, dedup_digest d, uint32_t fp),
                void *ctx);

#endif

/* Forgets `d` (used to undo the ids of a file that turned out unreadable). */
void dedup_remove(dedup_set *s, dedup_digest d);
