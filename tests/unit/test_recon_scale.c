/*
 * test_recon_scale.c - the parts of reconciliation built for scale, each
 * against a simple reference:
 *  - recon_groups (engine/recon_group.c), the grouping of a partition's items
 *    by key, against sorting (key, index) pairs: every key's items, newest
 *    first, and the keys in the order they first appeared. Keys share their
 *    top 8 bits (one partition) and many share their low bits too, so probing
 *    collides; the structure is reused across builds of different sizes.
 *    TEST_RECON_BIG=n adds a case of n items.
 *  - the scratch files' compact record (recon_scratch_put/get), against the
 *    state's record (recon_rec_put/get): the same fields back for extreme
 *    values and ids, ids sharing prefixes with the record before, and every
 *    cut-short or malformed record refused.
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

/* ---- the scratch record ---- */

/* The fields of two records are equal (ids compared as text). */
static int rec_same(const recon_rec *a, const recon_rec *b)
{
    return a->key.lo == b->key.lo && a->key.hi == b->key.hi && a->day == b->day &&
           a->type == b->type && a->side == b->side && strcmp(a->cur, b->cur) == 0 &&
           a->amount == b->amount && a->file_id == b->file_id && a->line == b->line &&
           a->owner == b->owner && a->id_len == b->id_len && memcmp(a->id, b->id, a->id_len) == 0;
}

#define N_RECS 40

/* Record i: extreme values by turns, ids of every shape. `id` has room for 1200 bytes. */
static recon_rec rec_of(int i, char *id)
{
    static const int64_t amounts[] = {0, -1, 1, INT64_MIN, INT64_MAX, 123456789, -100};
    static const int32_t days[] = {0, -1, INT32_MIN, INT32_MAX, 20395};
    size_t n;
    if (i % 8 == 7) {
        n = 1200; /* longer than RECON_ID_MAX: cut */
        for (size_t k = 0; k < n; k++)
            id[k] = (char)('a' + (k * 7 + (size_t)i) % 26);
    } else if (i % 8 == 6) {
        n = 0;
    } else {
        n = (size_t)snprintf(id, 1200, "%sRL20251103%09d%s", i % 3 ? "" : "x",
                             i * 257, i % 5 == 1 ? "-with-a-tail-longer-than-the-shared-part" : "");
    }
    recon_rec r = {.key = {.lo = rnd(), .hi = rnd()}, .day = days[i % 5],
                   .type = (uint8_t)(i % TX_TYPE_COUNT), .side = (uint8_t)(i % 2),
                   .amount = amounts[i % 7], .file_id = i % 4 == 3 ? INT64_MAX : i % 4,
                   .line = i % 6 == 5 ? UINT64_MAX : (uint64_t)i * 1000003,
                   .owner = i % 9 == 8 ? UINT32_MAX : (uint32_t)i, .id_len = (uint16_t)n,
                   .id = id};
    memcpy(r.cur, i % 2 ? "EUR" : "KRW", 4);
    return r;
}

static void test_scratch(void)
{
    static unsigned char buf[N_RECS * 1200], state_rec[1200 + RECON_REC_FIXED];
    static char ids[N_RECS][1200], idbuf[RECON_ID_MAX];
    size_t at = 0, prev_n = 0, state_bytes = 0;
    const char *prev = NULL;
    recon_rec want[N_RECS];
    for (int i = 0; i < N_RECS; i++) {
        want[i] = rec_of(i, ids[i]);
        size_t n = recon_scratch_put(buf + at, &want[i], prev, i % 10 == 4 ? 0 : prev_n);
        CHECK(n > 20 && n <= 1100);
        at += n;
        state_bytes += recon_rec_size(&want[i]);
        prev = want[i].id;
        prev_n = want[i].id_len > RECON_ID_MAX ? RECON_ID_MAX : want[i].id_len;
    }
    CHECK(at < state_bytes);
    size_t id_n = 0, off = 0, bad = 0;
    for (int i = 0; i < N_RECS; i++) {
        recon_rec got, ref;
        size_t used = recon_scratch_get(buf + off, at - off, &got, idbuf, &id_n);
        recon_rec_put(state_rec, &want[i]);             /* the reference: the state's record */
        size_t ref_n = recon_rec_get(state_rec, recon_rec_size(&want[i]), &ref);
        bad += used == 0 || ref_n == 0 || !rec_same(&got, &ref);
        bad += got.id_len != (want[i].id_len > RECON_ID_MAX ? RECON_ID_MAX : want[i].id_len);
        off += used ? used : at;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(off, at);
    /* a typical run of ids: about half the state's bytes */
    char a[32], b[32];
    recon_rec r1 = rec_of(0, a), r2 = rec_of(2, b);
    snprintf(a, sizeof a, "RL20251103000001234");
    snprintf(b, sizeof b, "RL20251103000001490");
    r1.id_len = r2.id_len = 19;
    r1.amount = r2.amount = 10000;
    r1.day = r2.day = 20395;
    size_t n2 = recon_scratch_put(buf, &r2, a, 19), n1;
    CHECK(n2 * 10 <= recon_rec_size(&r2) * 6);
    /* the same 40-byte id twice: 32 bytes shared, the rest written */
    char same[48];
    snprintf(same, sizeof same, "%s", "RL20251103000001234-RL20251103000001234-");
    recon_rec r0 = r2;
    r1.id = same;
    r1.id_len = 40;
    r2 = r1;
    n1 = recon_scratch_put(buf, &r1, NULL, 0);
    n2 = recon_scratch_put(buf + n1, &r2, same, 40);
    CHECK_EQ_INT(n1 - n2, 32);
    id_n = 0;
    recon_rec g1, g2;
    CHECK_EQ_INT(recon_scratch_get(buf, n1 + n2, &g1, idbuf, &id_n), n1);
    CHECK(rec_same(&g1, &r1));
    CHECK_EQ_INT(recon_scratch_get(buf + n1, n2, &g2, idbuf, &id_n), n2);
    CHECK(rec_same(&g2, &r2));
    r1.id = a;
    r2 = r0;
    r1.id_len = 19;
    /* every cut-short record is refused, and so are malformed ones */
    n1 = recon_scratch_put(buf, &r1, NULL, 0);
    size_t cut_ok = 0;
    for (size_t k = 0; k < n1; k++) {
        recon_rec got;
        id_n = 0;
        cut_ok += recon_scratch_get(buf, k, &got, idbuf, &id_n) != 0;
    }
    CHECK_EQ_INT(cut_ok, 0);
    recon_rec got;
    id_n = 0;
    CHECK_EQ_INT(recon_scratch_get(buf, n1, &got, idbuf, &id_n), n1);
    n2 = recon_scratch_put(buf, &r2, a, 19);
    id_n = 5; /* the previous id is shorter than the shared prefix */
    CHECK_EQ_INT(recon_scratch_get(buf, n2, &got, idbuf, &id_n), 0);
    id_n = 0;
    n1 = recon_scratch_put(buf, &r1, NULL, 0);
    buf[16] = (unsigned char)TX_TYPE_COUNT;
    CHECK_EQ_INT(recon_scratch_get(buf, n1, &got, idbuf, &id_n), 0);
    memset(buf + 20, 0xff, 11); /* a varint longer than 10 bytes */
    buf[16] = 0;
    CHECK_EQ_INT(recon_scratch_get(buf, n1, &got, idbuf, &id_n), 0);
}

int main(void)
{
    test_scratch();
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
