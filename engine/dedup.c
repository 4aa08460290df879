/*
 * dedup.c - SipHash-128 digests and an open-addressing set of them.
 * Slots are five 32-bit words (digest + fingerprint); an all-zero digest
 * marks an empty slot, so a real all-zero digest is nudged to 1 (a change
 * of one bit in 2^128, keeping exactness arguments intact).
 */
#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "util.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

/* One SipHash round over the four state words. */
static inline void sip_round(uint64_t v[4])
{
    v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0]; v[0] = ROTL(v[0], 32);
    v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];
    v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];
    v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2]; v[2] = ROTL(v[2], 32);
}

/* Absorbs one 64-bit message word with two compression rounds. */
static inline void sip_absorb(uint64_t v[4], uint64_t m)
{
    v[3] ^= m;
    sip_round(v);
    sip_round(v);
    v[0] ^= m;
}

/* Four finalisation rounds; returns the 64-bit half of the output. */
static inline uint64_t sip_finish(uint64_t v[4])
{
    for (int i = 0; i < 4; i++)
        sip_round(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* SipHash-2-4-128 as specified by Aumasson and Bernstein. */
dedup_digest dedup_siphash128(const dedup_key *k, const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t v[4] = {k->k0 ^ 0x736f6d6570736575ull, k->k1 ^ 0x646f72616e646f83ull,
                     k->k0 ^ 0x6c7967656e657261ull, k->k1 ^ 0x7465646279746573ull};
    size_t left = n;
    for (; left >= 8; left -= 8, s += 8) {
        uint64_t m;
        memcpy(&m, s, 8);
        sip_absorb(v, m);
    }
    uint64_t last = (uint64_t)n << 56;
    for (size_t i = 0; i < left; i++)
        last |= (uint64_t)s[i] << (8 * i);
    sip_absorb(v, last);
    v[2] ^= 0xee;
    dedup_digest d;
    d.lo = sip_finish(v);
    v[1] ^= 0xdd;
    d.hi = sip_finish(v);
    return d;
}

typedef struct dedup_slot {
    uint32_t w[4]; /* the digest, lo word first */
    uint32_t fp;
} dedup_slot;

struct dedup_set {
    dedup_slot *slots;
    size_t cap, count, limit; /* limit = 0.8 * cap */
};

/* Allocates `cap` empty slots; overflow of the byte size is out of memory. */
static void dedup_alloc(dedup_set *s, size_t cap)
{
    if (cap > SIZE_MAX / sizeof(dedup_slot))
        cap = SIZE_MAX / sizeof(dedup_slot); /* xcalloc then reports OOM */
    s->slots = xcalloc(cap, sizeof(dedup_slot));
    s->cap = cap;
    s->limit = cap / 5 * 4;
}

dedup_set *dedup_new(size_t expected)
{
    dedup_set *s = xcalloc(1, sizeof *s);
    size_t cap = expected / 4 * 5 + 1024;
    dedup_alloc(s, cap);
    return s;
}

void dedup_free(dedup_set *s)
{
    if (!s)
        return;
    free(s->slots);
    free(s);
}

size_t dedup_count(const dedup_set *s)
{
    return s->count;
}

/* Maps the digest onto [0, cap) without division (Lemire's fastrange). */
static inline size_t dedup_home(const dedup_set *s, dedup_digest d)
{
    return (size_t)(((__uint128_t)d.hi * s->cap) >> 64);
}

/* Packs a digest into slot words; all-zero becomes 1 (see file comment). */
static inline void dedup_pack(dedup_digest d, uint32_t w[4])
{
    if (d.lo == 0 && d.hi == 0)
        d.lo = 1;
    w[0] = (uint32_t)d.lo;
    w[1] = (uint32_t)(d.lo >> 32);
    w[2] = (uint32_t)d.hi;
    w[3] = (uint32_t)(d.hi >> 32);
}

static inline int slot_empty(const dedup_slot *sl)
{
    return (sl->w[0] | sl->w[1] | sl->w[2] | sl->w[3]) == 0;
}

/* Finds the slot holding w, or the empty slot where it belongs. */
static dedup_slot *dedup_find(dedup_set *s, dedup_digest d, const uint32_t w[4])
{
    size_t i = dedup_home(s, d);
    for (;;) {
        dedup_slot *sl = &s->slots[i];
        if (slot_empty(sl) || memcmp(sl->w, w, sizeof sl->w) == 0)
            return sl;
        if (++i == s->cap)
            i = 0;
    }
}

/* Grows the table by 1.5x and reinserts every entry. */
static void dedup_grow(dedup_set *s)
{
    dedup_set old = *s;
    dedup_alloc(s, old.cap / 2 * 3);
    for (size_t i = 0; i < old.cap; i++) {
        dedup_slot *o = &old.slots[i];
        if (slot_empty(o))
            continue;
        dedup_digest d = {(uint64_t)o->w[0] | (uint64_t)o->w[1] << 32,
                          (uint64_t)o->w[2] | (uint64_t)o->w[3] << 32};
        *dedup_find(s, d, o->w) = *o;
    }
    free(old.slots);
}

dedup_result dedup_check(dedup_set *s, dedup_digest d, uint32_t fingerprint)
{
    uint32_t w[4];
    dedup_pack(d, w);
    dedup_slot *sl = dedup_find(s, d, w);
    if (!slot_empty(sl))
        return sl->fp == fingerprint ? DEDUP_REPEAT : DEDUP_CONFLICT;
    memcpy(sl->w, w, sizeof w);
    sl->fp = fingerprint;
    if (++s->count > s->limit)
        dedup_grow(s);
    return DEDUP_NEW;
}

void dedup_each(const dedup_set *s, void (*fn)(void *ctx, dedup_digest d, uint32_t fp), void *ctx)
{
    for (size_t i = 0; i < s->cap; i++) {
        const dedup_slot *sl = &s->slots[i];
        if (slot_empty(sl))
            continue;
        dedup_digest d = {(uint64_t)sl->w[0] | (uint64_t)sl->w[1] << 32,
                          (uint64_t)sl->w[2] | (uint64_t)sl->w[3] << 32};
        fn(ctx, d, sl->fp);
    }
}

/* Backward-shift deletion: keeps every probe chain intact without tombstones. */
void dedup_remove(dedup_set *s, dedup_digest d)
{
    uint32_t w[4];
    dedup_pack(d, w);
    dedup_slot *sl = dedup_find(s, d, w);
    if (slot_empty(sl))
        return;
    size_t hole = (size_t)(sl - s->slots), i = hole;
    for (;;) {
        if (++i == s->cap)
            i = 0;
        dedup_slot *next = &s->slots[i];
        if (slot_empty(next))
            break;
        dedup_digest nd = {0, (uint64_t)next->w[2] | (uint64_t)next->w[3] << 32};
        size_t home = dedup_home(s, nd);
        /* next may move into the hole when its home is not in (hole, i] cyclically */
        bool between = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (!between) {
            s->slots[hole] = *next;
            hole = i;
        }
    }
    memset(&s->slots[hole], 0, sizeof s->slots[hole]);
    s->count--;
}
