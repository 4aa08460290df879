/*
 * dedup.h - exact duplicate detection of transaction ids.
 *
 * Each id is reduced to a 128-bit keyed SipHash digest (the key is secret
 * and kept with the state, so a partner cannot craft colliding ids); with
 * 128 bits two distinct ids collide with probability ~n^2/2^129, i.e. never
 * in practice. Beside each digest the store keeps a 32-bit fingerprint of what
 * the transaction was (type, amount, currency) so a repeat that differs is
 * told apart from an honest re-send. The ids are remembered by the seen id
 * store (seen.h), in bounded memory.
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

typedef enum dedup_result {
    DEDUP_NEW = 0,    /* first time this id is seen; remembered now */
    DEDUP_REPEAT,     /* seen before with the same fingerprint: a duplicate */
    DEDUP_CONFLICT    /* seen before with a different fingerprint */
} dedup_result;

#endif
