/*
 * cells.h - the in-run accumulator: sums per (day, currency, category, game,
 * type) for one partner, plus per-day duplicate counts. Strings are interned
 * in the map's own tables; the map owns everything it holds.
 */
#ifndef SETTLE_CELLS_H
#define SETTLE_CELLS_H

#include <stdbool.h>
#include <stdint.h>

#include "strmap.h"
#include "txn.h"

typedef struct cell_key {
    int32_t day;
    uint32_t category, game; /* ids in the map's strmaps */
    uint16_t currency;       /* id in the map's currency strmap */
    uint8_t type;
    uint8_t used;            /* 1 in an occupied slot */
} cell_key;

typedef struct cell {
    cell_key key;
    int64_t total, count;
} cell;

typedef struct cell_map {
    cell *slots;
    size_t cap, count;       /* cap is a power of two */
    strmap *categories, *games, *currencies;
    int32_t *dup_days;       /* duplicates per day: parallel arrays */
    int64_t *dup_counts;
    size_t n_dup, dup_cap;
} cell_map;

void cell_map_init(cell_map *m);
void cell_map_free(cell_map *m);
/* Adds amount to the cell of `k` (count +1). Returns false on overflow (cell unchanged). */
bool cell_map_add(cell_map *m, const cell_key *k, int64_t amount);
/* Counts one duplicate on `day`. */
void cell_map_add_duplicate(cell_map *m, int32_t day);

#endif
