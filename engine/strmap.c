/*
 * strmap.c - open-addressing hash of strings to dense ids. Slots hold
 * id+1 (0 = empty) and the hash, so probing rarely touches the strings.
 */
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "util.h"

typedef struct strmap_slot {
    uint32_t id1;   /* id + 1; 0 when empty */
    uint32_t hash;  /* low bits of the string's hash */
} strmap_slot;

struct strmap {
    strmap_slot *slots;
    size_t cap;         /* power of two */
    char **strs;        /* owned strings by id */
    uint32_t *lens;
    size_t count, strs_cap;
    uint32_t last1;     /* 1 + the id interned last, 0 before the first: values repeat */
};

strmap *strmap_new(void)
{
    strmap *m = xcalloc(1, sizeof *m);
    m->cap = 64;
    m->slots = xcalloc(m->cap, sizeof *m->slots);
    return m;
}

void strmap_free(strmap *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->count; i++)
        free(m->strs[i]);
    free(m->strs);
    free(m->lens);
    free(m->slots);
    free(m);
}

/* Probes for s: returns its slot or the empty slot where it would go. */
static strmap_slot *strmap_slot_for(const strmap *m, const char *s, size_t n, uint32_t h)
{
    size_t mask = m->cap - 1, i = h & mask;
    for (;;) {
        strmap_slot *sl = &m->slots[i];
        if (!sl->id1)
            return sl;
        uint32_t id = sl->id1 - 1;
        if (sl->hash == h && m->lens[id] == n && memcmp(m->strs[id], s, n) == 0)
            return sl;
        i = (i + 1) & mask;
    }
}

/* Doubles the slot array and reinserts every id. */
static void strmap_grow(strmap *m)
{
    strmap_slot *old = m->slots;
    size_t old_cap = m->cap;
    m->cap *= 2;
    m->slots = xcalloc(m->cap, sizeof *m->slots);
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i].id1)
            continue;
        size_t j = old[i].hash & (m->cap - 1);
        while (m->slots[j].id1)
            j = (j + 1) & (m->cap - 1);
        m->slots[j] = old[i];
    }
    free(old);
}

/* Appends a copy of s as the next id. */
static uint32_t strmap_push(strmap *m, const char *s, size_t n)
{
    if (m->count == m->strs_cap) {
        m->strs_cap = m->strs_cap ? m->strs_cap * 2 : 16;
        m->strs = xrealloc(m->strs, m->strs_cap * sizeof *m->strs);
        m->lens = xrealloc(m->lens, m->strs_cap * sizeof *m->lens);
    }
    m->strs[m->count] = xstrndup(s, n);
    m->lens[m->count] = (uint32_t)n;
    return (uint32_t)m->count++;
}

uint32_t strmap_intern(strmap *m, const char *s, size_t n)
{
    uint32_t last = m->last1 - 1;
    if (m->last1 && m->lens[last] == n && memcmp(m->strs[last], s, n) == 0)
        return last;
    uint32_t h = (uint32_t)hash_bytes(s, n, 0x5eed);
    strmap_slot *sl = strmap_slot_for(m, s, n, h);
    if (sl->id1)
        return (m->last1 = sl->id1) - 1;
    uint32_t id = strmap_push(m, s, n);
    m->last1 = id + 1;
    sl->id1 = id + 1;
    sl->hash = h;
    if (m->count * 4 > m->cap * 3)
        strmap_grow(m);
    return id;
}

int64_t strmap_find(const strmap *m, const char *s, size_t n)
{
    uint32_t h = (uint32_t)hash_bytes(s, n, 0x5eed);
    strmap_slot *sl = strmap_slot_for(m, s, n, h);
    return sl->id1 ? (int64_t)sl->id1 - 1 : -1;
}

const char *strmap_str(const strmap *m, uint32_t id)
{
    return id < m->count ? m->strs[id] : NULL;
}

size_t strmap_count(const strmap *m)
{
    return m->count;
}
