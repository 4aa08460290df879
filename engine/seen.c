/*
 * seen.c - the seen id store (seen.h): the in-memory table with its bounded
 * growth and its spill into sorted runs, the void files, and the per-file
 * journal. The runs, the Bloom filter and the temp folder are in seen_run.c.
 *
 * The table is open addressing with linear probing; a slot's home is the
 * digest's hi word mapped onto [0, cap) (Lemire's fastrange), so the slots in
 * order are nearly sorted by hi: a spill sorts them with an insertion sort in
 * linear time. An all-zero digest marks an empty slot, so a real all-zero
 * digest is nudged to lo = 1 (as dedup.c does). Invariant: at most one live
 * (not void) entry per digest across the table and the runs, because an id is
 * added only after both were searched.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "seen_int.h"
#include "util.h"

#define SEEN_MIN_SLOTS 4096
#define SEEN_MIN_BUDGET ((size_t)64 << 10)

/* The budget: the argument, else $SETTLE_SEEN_BUDGET, else the default; at least 64 KB. */
static size_t seen_budget(size_t budget)
{
    const char *env = getenv("SETTLE_SEEN_BUDGET");
    if (!budget && env && *env) {
        char *end;
        unsigned long long v = strtoull(env, &end, 10);
        if (*end == 0)
            budget = (size_t)v;
    }
    if (!budget)
        budget = SEEN_BUDGET_DEFAULT;
    return budget < SEEN_MIN_BUDGET ? SEEN_MIN_BUDGET : budget;
}

/* Gives the table `cap` empty slots (the old slots must be freed by the caller). */
static void table_alloc(seen_store *s, size_t cap)
{
    s->slots = xcalloc_table(cap * sizeof *s->slots);
    s->cap = cap;
    s->limit = cap / 5 * 4;
    s->count = 0;
}

seen_store *seen_open(const char *parent, size_t budget, char *err, size_t errlen)
{
    char *dir = parent ? path_join(parent, "seen.tmp") : NULL;
    if (dir && seen_dir_clear(dir) != 0) {
        snprintf(err, errlen, "cannot remove the stale temp folder %s: %s", dir, strerror(errno));
        free(dir);
        return NULL;
    }
    free(dir);
    seen_store *s = xcalloc(1, sizeof *s);
    s->budget_slots = seen_budget(budget) / sizeof(seen_entry);
    size_t cap = s->budget_slots / 3;
    table_alloc(s, cap < SEEN_MIN_SLOTS ? cap : SEEN_MIN_SLOTS);
    s->jbuf = xmalloc((size_t)SEEN_CHUNK_IDS * SEEN_RECORD);
    s->jfd = -1;
    s->parent = parent ? xstrdup(parent) : NULL;
    return s;
}

void seen_close(seen_store *s)
{
    if (!s)
        return;
    seen_runs_free(s);
    if (s->jfd >= 0)
        close(s->jfd);
    if (s->dir)
        rmdir(s->dir);
    xfree_table(s->slots, s->cap * sizeof *s->slots);
    free(s->voids);
    free(s->jbuf);
    free(s->blockbuf);
    free(s->parent);
    free(s->dir);
    free(s);
}

const char *seen_error(const seen_store *s)
{
    return s->err;
}

/* The slot where a digest's probe starts. */
static inline size_t table_home(const seen_store *s, uint64_t hi)
{
    return (size_t)(((__uint128_t)hi * s->cap) >> 64);
}

static inline bool slot_empty(const seen_entry *e)
{
    return (e->lo | e->hi) == 0;
}

/* The slot holding (lo, hi), or the empty slot where it belongs. */
static seen_entry *table_find(seen_store *s, uint64_t lo, uint64_t hi)
{
    size_t i = table_home(s, hi);
    for (;;) {
        seen_entry *e = &s->slots[i];
        if (slot_empty(e) || (e->lo == lo && e->hi == hi))
            return e;
        if (++i == s->cap)
            i = 0;
    }
}

/* Moves every live entry of the old slots into the table (dropping void ones). */
static void table_refill(seen_store *s, const seen_entry *old, size_t old_cap)
{
    for (size_t i = 0; i < old_cap; i++)
        if (!slot_empty(&old[i]) && !seen_is_void(s, old[i].file)) {
            *table_find(s, old[i].lo, old[i].hi) = old[i];
            s->count++;
        }
}

/* Grows the table to `want` slots, less when old and new would not fit the budget
 * together; false (nothing done) when that is not at least 1.25 times the table. */
static bool table_grow_to(seen_store *s, size_t want)
{
    size_t room = s->budget_slots > s->cap ? s->budget_slots - s->cap : 0;
    if (want > room)
        want = room;
    if (want < s->cap + s->cap / 4)
        return false; /* not worth it: spill instead */
    seen_entry *old = s->slots;
    size_t old_cap = s->cap;
    table_alloc(s, want);
    table_refill(s, old, old_cap);
    xfree_table(old, old_cap * sizeof *old);
    return true;
}

/* Grows the table 1.5 times (less at the end); false when it cannot (see table_grow_to). */
static bool table_grow(seen_store *s)
{
    return table_grow_to(s, s->cap + s->cap / 2);
}

void seen_prefetch(const seen_store *s, dedup_digest d)
{
    __builtin_prefetch(&s->slots[table_home(s, d.hi)]);
    if (s->bloom)
        __builtin_prefetch(bloom_block(s, d.hi));
}

void seen_reserve(seen_store *s, uint64_t ids)
{
    uint64_t want = (s->count + ids) / 4 * 5 + SEEN_MIN_SLOTS; /* the table fills to 4/5 */
    if (want > s->cap)
        table_grow_to(s, want < s->budget_slots ? (size_t)want : s->budget_slots);
}

/* Sorts entries by digest with an insertion sort: linear on the nearly sorted table. */
static void entries_sort(seen_entry *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        seen_entry x = a[i];
        size_t k = i;
        while (k > 0 && seen_cmp(x.lo, x.hi, a[k - 1].lo, a[k - 1].hi) < 0) {
            a[k] = a[k - 1];
            k--;
        }
        a[k] = x;
    }
}

/* True when a slot before the first empty one holds an entry homed there, not one
 * wrapped around from the end of the table. */
static inline bool slot_front(const seen_store *s, size_t i)
{
    return table_home(s, s->slots[i].hi) <= i;
}

/*
 * Packs the live entries to the front of the slots, nearly in digest order
 * (entries_sort finishes it), and returns how many. The slots before the
 * first empty one may hold a cluster wrapped around from the end: those go
 * last, the ones homed there first, so nothing travels far in the sort.
 */
static size_t table_pack(seen_store *s)
{
    size_t first = 0, n_front = 0, n_wrap = 0;
    while (!slot_empty(&s->slots[first]))
        first++;
    seen_entry *head = xmalloc((first + 1) * sizeof *head);
    for (size_t i = 0; i < first; i++) /* front ones, then wrapped ones */
        if (!seen_is_void(s, s->slots[i].file) && slot_front(s, i))
            head[n_front++] = s->slots[i];
    for (size_t i = 0; i < first; i++)
        if (!seen_is_void(s, s->slots[i].file) && !slot_front(s, i))
            head[n_front + n_wrap++] = s->slots[i];
    size_t j = n_front; /* j < i below: n_front <= first */
    for (size_t i = first + 1; i < s->cap; i++)
        if (!slot_empty(&s->slots[i]) && !seen_is_void(s, s->slots[i].file))
            s->slots[j++] = s->slots[i];
    memcpy(s->slots, head, n_front * sizeof *head);
    memcpy(s->slots + j, head + n_front, n_wrap * sizeof *head);
    free(head);
    return j + n_wrap;
}

/* Writes the table's live entries as a sorted run and empties it. -1 on I/O failure. */
static int table_spill(seen_store *s)
{
    size_t n = table_pack(s);
    entries_sort(s->slots, n);
    int rc = seen_runs_add(s, s->slots, n);
    memset(s->slots, 0, s->cap * sizeof *s->slots);
    s->count = 0;
    return rc;
}

/* Normalises a digest for the table: all zero becomes lo = 1 (see file comment). */
static inline void digest_norm(dedup_digest *d)
{
    if (d->lo == 0 && d->hi == 0)
        d->lo = 1;
}

/*
 * Looks d up in the table, then in the runs; when absent, adds it for `file`
 * (growing or spilling the table first when it is full). -1 on I/O failure.
 */
static int store_check(seen_store *s, dedup_digest d, uint32_t fp, uint32_t file,
                       dedup_result *r)
{
    digest_norm(&d);
    seen_entry *e = table_find(s, d.lo, d.hi);
    if (!slot_empty(e) && !seen_is_void(s, e->file)) {
        *r = e->fp == fp ? DEDUP_REPEAT : DEDUP_CONFLICT;
        return 0;
    }
    seen_entry old;
    int found = s->n_runs ? seen_runs_find(s, d.lo, d.hi, &old) : 0;
    if (found < 0)
        return -1;
    if (found) {
        *r = old.fp == fp ? DEDUP_REPEAT : DEDUP_CONFLICT;
        return 0;
    }
    *r = DEDUP_NEW;
    if (slot_empty(e) && s->count + 1 > s->limit) {
        if (!table_grow(s) && table_spill(s) != 0)
            return -1;
        e = table_find(s, d.lo, d.hi);
    }
    if (slot_empty(e))
        s->count++; /* else: a void entry of the same id, replaced in place */
    *e = (seen_entry){d.lo, d.hi, fp, file};
    return 0;
}

int seen_load(seen_store *s, const unsigned char *record)
{
    dedup_digest d;
    uint32_t fp;
    dedup_result r;
    memcpy(&d.lo, record, 8);
    memcpy(&d.hi, record + 8, 8);
    memcpy(&fp, record + 16, 4);
    return store_check(s, d, fp, 0, &r);
}

/* Empties the current file's journal. */
static void journal_reset(seen_store *s)
{
    s->jlen = 0;
    s->jfile = 0;
    s->jcount = 0;
    if (s->jfd >= 0 && ftruncate(s->jfd, 0) != 0) {
        close(s->jfd); /* reopened when needed */
        s->jfd = -1;
    }
}

void seen_file_begin(seen_store *s)
{
    s->file++;
    if (s->file >= s->cap_voids) {
        size_t cap = s->cap_voids ? s->cap_voids * 2 : 64;
        s->voids = xrealloc(s->voids, cap);
        memset(s->voids + s->cap_voids, 0, cap - s->cap_voids);
        s->cap_voids = cap;
    }
    journal_reset(s);
}

/* Writes the journal buffer to the journal file and empties it. -1 on I/O failure. */
static int journal_flush(seen_store *s)
{
    if (s->jfd < 0 && (s->jfd = seen_tmpfile(s, "journal")) < 0)
        return -1;
    if (pwrite(s->jfd, s->jbuf, s->jlen, (off_t)s->jfile) != (ssize_t)s->jlen)
        return seen_fail(s, "seen ids: cannot write the journal");
    s->jfile += s->jlen;
    s->jlen = 0;
    return 0;
}

/* Appends one record; the buffer is flushed before, never after, so the last
 * record stays in memory for seen_unadd. */
static int journal_add(seen_store *s, dedup_digest d, uint32_t fp)
{
    if (s->jlen == (size_t)SEEN_CHUNK_IDS * SEEN_RECORD && journal_flush(s) != 0)
        return -1;
    unsigned char *p = s->jbuf + s->jlen;
    memcpy(p, &d.lo, 8);
    memcpy(p + 8, &d.hi, 8);
    memcpy(p + 16, &fp, 4);
    s->jlen += SEEN_RECORD;
    s->jcount++;
    return 0;
}

int seen_check(seen_store *s, dedup_digest d, uint32_t fp, dedup_result *r)
{
    if (store_check(s, d, fp, s->file, r) != 0)
        return -1;
    return *r == DEDUP_NEW ? journal_add(s, d, fp) : 0;
}

/* Removes the entry at slot `hole` (backward-shift deletion, no tombstones). */
static void table_remove(seen_store *s, size_t hole)
{
    size_t i = hole;
    for (;;) {
        if (++i == s->cap)
            i = 0;
        seen_entry *next = &s->slots[i];
        if (slot_empty(next))
            break;
        size_t home = table_home(s, next->hi);
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

void seen_unadd(seen_store *s, dedup_digest d)
{
    dedup_digest n = d;
    digest_norm(&n);
    seen_entry *e = table_find(s, n.lo, n.hi);
    if (slot_empty(e) || e->file != s->file || s->jlen < SEEN_RECORD)
        return;
    const unsigned char *last = s->jbuf + s->jlen - SEEN_RECORD;
    if (memcmp(last, &d.lo, 8) != 0 || memcmp(last + 8, &d.hi, 8) != 0)
        return; /* not the id just added */
    table_remove(s, (size_t)(e - s->slots));
    s->jlen -= SEEN_RECORD;
    s->jcount--;
}

void seen_file_undo(seen_store *s)
{
    if (s->file)
        s->voids[s->file] = 1;
    journal_reset(s);
}

uint64_t seen_file_count(const seen_store *s)
{
    return s->jcount;
}

int seen_file_chunks(seen_store *s, int (*fn)(void *ctx, const void *records, size_t n_bytes),
                     void *ctx)
{
    if (s->jfile == 0)
        return s->jlen ? fn(ctx, s->jbuf, s->jlen) : 0;
    if (s->jlen && journal_flush(s) != 0)
        return -1;
    const size_t chunk = (size_t)SEEN_CHUNK_IDS * SEEN_RECORD;
    for (uint64_t off = 0; off < s->jfile; off += chunk) {
        size_t n = s->jfile - off < chunk ? (size_t)(s->jfile - off) : chunk;
        if (pread_all(s->jfd, s->jbuf, n, off) != 0)
            return seen_fail(s, "seen ids: cannot read the journal");
        int rc = fn(ctx, s->jbuf, n);
        if (rc != 0)
            return rc;
    }
    s->jlen = 0; /* the buffer now holds the last chunk: the journal is consumed */
    s->jfile = 0;
    return 0;
}

void seen_get_stats(const seen_store *s, seen_stats *out)
{
    *out = s->stats;
    out->table_count = s->count;
    out->runs = s->n_runs;
    out->table_bytes = s->cap * sizeof(seen_entry);
}
