/*
 * test_recon_group.c - recon_groups (engine/recon_group.c), the grouping of a
 * partition's items by key, against a reference that sorts (key, index)
 * pairs: every key's items, newest first, and the keys in the order they
 * first appeared. Keys share their top 8 bits (one partition) and many
 * share their low bits too, so probing collides; the structure is reused
 * across builds of different sizes. TEST_RECON_BIG=n adds a case of n items.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "recon_int.h"

/* An item as recon_match.c lays it out: the key first, then anything. */
typedef struct g_item {
    dedup_digest key;
    uint32_t tag;
} g_item;

typedef struct ref_pair {
    dedup_digest key;
    uint32_t i;
} ref_pair;

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int pair_cmp(const void *a, const void *b)
{
    const ref_pair *x = a, *y = b;
    if (x->key.hi != y->key.hi)
        return x->key.hi < y->key.hi ? -1 : 1;
    if (x->key.lo != y->key.lo)
        return x->key.lo < y->key.lo ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int key_eq(dedup_digest a, dedup_digest b)
{
    return a.lo == b.lo && a.hi == b.hi;
}

/* n items over about n / dup distinct keys; `narrow` keys differ in few low bits. */
static g_item *make_items(size_t n, size_t dup, int narrow)
{
    g_item *v = xmalloc((n ? n : 1) * sizeof *v);
    size_t keys = n / dup + 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = rnd() % keys;
        uint64_t lo = narrow ? (k & 7) << 20 | k >> 3 : k * 0x9e3779b97f4a7c15ull;
        v[i] = (g_item){.key = {.lo = lo, .hi = 0x42ull << 56 | (k & 3)}, .tag = (uint32_t)i};
    }
    return v;
}

/* Checks g (built from v[0..n)) against the sorted reference; returns the failures. */
static int compare(const recon_groups *g, const g_item *v, size_t n)
{
    ref_pair *ref = xmalloc((n ? n : 1) * sizeof *ref);
    for (size_t i = 0; i < n; i++)
        ref[i] = (ref_pair){v[i].key, (uint32_t)i};
    xqsort(ref, n, sizeof *ref, pair_cmp);
    /* the keys in order of first appearance: a key's first index, in index order */
    uint32_t *firsts = xmalloc((n ? n : 1) * sizeof *firsts);
    size_t n_keys = 0, bad = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || !key_eq(ref[i].key, ref[i - 1].key))
            firsts[n_keys++] = ref[i].i;
    xqsort(firsts, n_keys, sizeof *firsts, u32_cmp);
    bad += g->n_first != n_keys;
    for (size_t f = 0; f < g->n_first && f < n_keys && !bad; f++) {
        uint32_t at = g->slot[g->first[f]];
        dedup_digest k = v[at - 1].key;
        /* the reference's run of this key, newest (largest index) first */
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (pair_cmp(&ref[mid], &(ref_pair){k, 0}) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        size_t end = lo;
        while (end < n && key_eq(ref[end].key, k))
            end++;
        bad += ref[lo].i != firsts[f];
        for (size_t r = end; r > lo && !bad; r--, at = g->next[at - 1])
            bad += at != ref[r - 1].i + 1;
        bad += at != 0;
    }
    free(firsts);
    free(ref);
    return (int)bad;
}

static void case_of(recon_groups *g, size_t n, size_t dup, int narrow)
{
    g_item *v = make_items(n, dup, narrow);
    CHECK_EQ_INT(recon_groups_build(g, v, n, sizeof *v), 0);
    CHECK(g->n_slot >= 2 * n && (g->n_slot & (g->n_slot - 1)) == 0);
    CHECK_EQ_INT(compare(g, v, n), 0);
    free(v);
}

int main(void)
{
    recon_groups g = {0};
    case_of(&g, 0, 1, 0);
    CHECK_EQ_INT((int)g.n_first, 0);
    case_of(&g, 1, 1, 0);
    CHECK_EQ_INT((int)g.n_first, 1);
    case_of(&g, 5000, 2, 0);     /* mostly pairs, the usual partition */
    case_of(&g, 20000, 1, 1);    /* few low bits differ: long probes */
    case_of(&g, 300, 50, 0);     /* long chains */
    case_of(&g, 100, 1, 0);      /* smaller again: the table is reused */
    g_item same[3] = {{.key = {1, 2}, .tag = 0}, {.key = {1, 2}, .tag = 1},
                      {.key = {1, 2}, .tag = 2}};
    CHECK_EQ_INT(recon_groups_build(&g, same, 3, sizeof same[0]), 0);
    CHECK_EQ_INT((int)g.n_first, 1);
    CHECK_EQ_INT((int)g.slot[g.first[0]], 3);
    CHECK_EQ_INT((int)g.next[2], 2);
    CHECK_EQ_INT((int)g.next[1], 1);
    CHECK_EQ_INT((int)g.next[0], 0);
    const char *big = getenv("TEST_RECON_BIG");
    if (big)
        case_of(&g, strtoul(big, NULL, 10), 2, 0);
    recon_groups_free(&g);
    CHECK(g.slot == NULL && g.n_slot == 0);
    return check_done();
}
