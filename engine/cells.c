/*
 * cells.c - open-addressing map of aggregation cells. A drop of millions of
 * rows touches only thousands of cells, so this stays small and hot in cache.
 */
#include <stdlib.h>
#include <string.h>

#include "cells.h"
#include "money.h"
#include "util.h"

void cell_map_init(cell_map *m)
{
    memset(m, 0, sizeof *m);
    m->cap = 1024;
    m->slots = xcalloc(m->cap, sizeof *m->slots);
    m->categories = strmap_new();
    m->games = strmap_new();
    m->currencies = strmap_new();
}

void cell_map_free(cell_map *m)
{
    free(m->slots);
    strmap_free(m->categories);
    strmap_free(m->games);
    strmap_free(m->currencies);
    free(m->dup_days);
    free(m->dup_counts);
    memset(m, 0, sizeof *m);
}

/* Hash of the key's fields (not its padding). */
static inline uint64_t cell_hash(const cell_key *k)
{
    uint64_t a = (uint64_t)(uint32_t)k->day << 32 | k->category;
    uint64_t b = (uint64_t)k->game << 32 | (uint64_t)k->currency << 8 | k->type;
    __uint128_t r = (__uint128_t)(a ^ 0x9e3779b97f4a7c15ull) * (b ^ 0xc2b2ae3d27d4eb4full);
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline bool cell_key_eq(const cell_key *a, const cell_key *b)
{
    return a->day == b->day && a->category == b->category && a->game == b->game &&
           a->currency == b->currency && a->type == b->type;
}

/* The slot holding k, or the empty slot where it belongs. */
static cell *cell_slot(cell_map *m, const cell_key *k)
{
    size_t mask = m->cap - 1, i = cell_hash(k) & mask;
    while (m->slots[i].key.used && !cell_key_eq(&m->slots[i].key, k))
        i = (i + 1) & mask;
    return &m->slots[i];
}

/* Doubles the table and reinserts the occupied cells. */
static void cell_map_grow(cell_map *m)
{
    cell *old = m->slots;
    size_t old_cap = m->cap;
    m->cap *= 2;
    m->slots = xcalloc(m->cap, sizeof *m->slots);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key.used)
            *cell_slot(m, &old[i].key) = old[i];
    free(old);
}

bool cell_map_add(cell_map *m, const cell_key *k, int64_t amount)
{
    cell *c = cell_slot(m, k);
    if (!c->key.used) {
        c->key = *k;
        c->key.used = 1;
        c->total = c->count = 0;
        if (++m->count * 2 > m->cap) {
            cell_map_grow(m);
            c = cell_slot(m, k);
        }
    }
    int64_t sum;
    if (!money_add(c->total, amount, &sum))
        return false;
    c->total = sum;
    c->count++;
    return true;
}

void cell_map_add_duplicate(cell_map *m, int32_t day)
{
    for (size_t i = m->n_dup; i-- > 0;)
        if (m->dup_days[i] == day) {
            m->dup_counts[i]++;
            return;
        }
    if (m->n_dup == m->dup_cap) {
        m->dup_cap = m->dup_cap ? m->dup_cap * 2 : 16;
        m->dup_days = xrealloc(m->dup_days, m->dup_cap * sizeof *m->dup_days);
        m->dup_counts = xrealloc(m->dup_counts, m->dup_cap * sizeof *m->dup_counts);
    }
    m->dup_days[m->n_dup] = day;
    m->dup_counts[m->n_dup++] = 1;
}
