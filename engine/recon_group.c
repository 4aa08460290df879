/*
 * recon_group.c - the items of one partition grouped by key for matching
 * (recon_int.h): an open-addressing table from a key to the newest item
 * seen with it, each item chained to the previous item of its key, and the
 * keys in the order they first appeared. Linear in the items, where sorting
 * them was n log n; recon_match.c orders each (small) group itself.
 */
#include <stdlib.h>
#include <string.h>

#include "recon_int.h"

/* The key of item i (at offset 0 of its stride-sized record). */
static inline dedup_digest key_at(const void *items, size_t stride, uint32_t i)
{
    dedup_digest k;
    memcpy(&k, (const char *)items + (size_t)i * stride, sizeof k);
    return k;
}

/* Makes room for n items: slots (a power of two, at least twice n), chains and firsts. */
static void groups_reserve(recon_groups *g, size_t n)
{
    if (n > g->cap) {
        g->cap = n < 1024 ? 1024 : n + n / 2;
        free(g->next);
        free(g->first);
        g->next = xmalloc(g->cap * sizeof *g->next);
        g->first = xmalloc(g->cap * sizeof *g->first);
    }
    size_t want = 2048;
    while (want < 2 * n)
        want *= 2;
    if (want != g->n_slot) {
        free(g->slot);
        g->slot = xmalloc(want * sizeof *g->slot);
        g->n_slot = want;
    }
    memset(g->slot, 0, g->n_slot * sizeof *g->slot);
}

int recon_groups_build(recon_groups *g, const void *items, size_t n, size_t stride)
{
    if (n >= UINT32_MAX / 2)
        return -1;
    groups_reserve(g, n);
    g->n_first = 0;
    size_t mask = g->n_slot - 1;
    for (uint32_t i = 0; i < n; i++) {
        dedup_digest k = key_at(items, stride, i);
        size_t s = (size_t)(k.lo ^ k.lo >> 29) & mask; /* lo: hi's top bits are the partition */
        for (;; s = (s + 1) & mask) {
            uint32_t at = g->slot[s];
            if (at == 0) {
                g->first[g->n_first++] = (uint32_t)s;
                g->next[i] = 0;
                break;
            }
            dedup_digest o = key_at(items, stride, at - 1);
            if (o.lo == k.lo && o.hi == k.hi) {
                g->next[i] = at;
                break;
            }
        }
        g->slot[s] = i + 1;
    }
    return 0;
}

void recon_groups_free(recon_groups *g)
{
    free(g->slot);
    free(g->next);
    free(g->first);
    memset(g, 0, sizeof *g);
}
