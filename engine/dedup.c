/*
 * dedup.c - SipHash-128 digests of transaction ids (remembered by seen.c).
 */
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

/* The little-endian 64-bit word at p[0..8), whatever the host's byte order. */
static inline uint64_t sip_le64(const unsigned char *p)
{
    uint64_t m = 0;
    for (int i = 7; i >= 0; i--)
        m = (m << 8) | p[i];
    return m;
}

/* SipHash-2-4-128 as specified by Aumasson and Bernstein (tests/unit/test_dedup.c
 * checks it against the reference vectors). */
dedup_digest dedup_siphash128(const dedup_key *k, const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t v[4] = {k->k0 ^ 0x736f6d6570736575ull, k->k1 ^ 0x646f72616e646f83ull,
                     k->k0 ^ 0x6c7967656e657261ull, k->k1 ^ 0x7465646279746573ull};
    size_t left = n;
    for (; left >= 8; left -= 8, s += 8)
        sip_absorb(v, sip_le64(s));
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
