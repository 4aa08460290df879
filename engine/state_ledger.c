/*
 * state_ledger.c - ledger_cells (migration 11): a ledger's sums and counts per
 * owner partner, business day, currency, game and type, added to by every
 * ledger file a run commits. Read by daily reconciliation (recon_period.c).
 */
#include "state_int.h"

/* Adds one cell of the map (category = the owner's id); SQLite refuses an overflowing
 * sum through the CHECK on total, so overflow is an error, never a rounded value. */
static int ledger_cell_put(state *s, const char *ledger, const cell_map *m, const cell *c)
{
    sqlite3_stmt *st = state_stmt(
        s, STMT_LEDGER_CELL_ADD,
        "INSERT INTO ledger_cells(partner, ledger, day, currency, game, type, total, count) "
        "VALUES(?,?,?,?,?,?,?,?) ON CONFLICT DO UPDATE SET total = total + excluded.total, "
        "count = count + excluded.count");
    if (!st)
        return -1;
    state_bind_text(st, 1, strmap_str(m->categories, c->key.category));
    state_bind_text(st, 2, ledger);
    sqlite3_bind_int(st, 3, c->key.day);
    state_bind_text(st, 4, strmap_str(m->currencies, c->key.currency));
    state_bind_text(st, 5, strmap_str(m->games, c->key.game));
    sqlite3_bind_int(st, 6, c->key.type);
    sqlite3_bind_int64(st, 7, c->total);
    sqlite3_bind_int64(st, 8, c->count);
    return state_done(s, st);
}

int state_ledger_cells_add(state *s, const char *ledger, const cell_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key.used && ledger_cell_put(s, ledger, m, &m->slots[i]) != 0)
            return -1;
    return 0;
}
