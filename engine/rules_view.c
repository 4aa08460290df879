/*
 * rules_view.c - what crosses the Lua boundary: the `p` table built from a
 * period_agg, `params` built from the partner's param tree, the transaction
 * hook's lazy `tx` view, and the checked reading of the table settle()
 * returns (docs/rule-api.md).
 *
 * All functions here run inside the protected call of rules.c and may raise
 * Lua errors. Nothing C-allocated is held across a Lua call, so a raised
 * error leaks nothing. Results are read with raw access only: no rule code
 * (metamethods) runs while C reads them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recon.h"
#include "rules_int.h"
#include "timefmt.h"

#define RV_MAX_LABEL 1000 /* bytes of one statement line label */

/* ---- building p ------------------------------------------------------- */

/* Sets t[k] = integer v on the table on top. */
static void rv_set_int(lua_State *L, const char *k, int64_t v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, k);
}

/* Sets t[k] = string s (nil when s is NULL) on the table on top. */
static void rv_set_str(lua_State *L, const char *k, const char *s)
{
    lua_pushstring(L, s);
    lua_setfield(L, -2, k);
}

/* Sets t[k] = "YYYY-MM-DD" of `day` on the table on top. */
static void rv_set_date(lua_State *L, const char *k, int32_t day)
{
    char buf[11];
    date_format(day, buf);
    rv_set_str(L, k, buf);
}

/* Pushes {type_name = v[type]} for all canonical types (0 when none). */
static void rv_push_by_type(lua_State *L, const int64_t *v)
{
    lua_createtable(L, 0, TX_TYPE_COUNT);
    for (int t = 0; t < TX_TYPE_COUNT; t++)
        rv_set_int(L, tx_type_name((tx_type)t), v[t]);
}

/*
 * Sets total, count, ggr, transactions, bets and wins of `s` on the table on
 * top. Raises when GGR does not fit in 64 bits.
 */
static void rv_set_sums(lua_State *L, const agg_sums *s)
{
    int64_t ggr;
    luaL_checkstack(L, 3, NULL);
    if (!agg_ggr(s, &ggr))
        luaL_error(L, "GGR does not fit in 64-bit minor units");
    rv_push_by_type(L, s->total);
    lua_setfield(L, -2, "total");
    rv_push_by_type(L, s->count);
    lua_setfield(L, -2, "count");
    rv_set_int(L, "ggr", ggr);
    rv_set_int(L, "transactions", agg_transactions(s));
    rv_set_int(L, "bets", s->total[TX_BET]);
    rv_set_int(L, "wins", s->total[TX_WIN]);
}

/* Pushes {key = {sums...}} for a breakdown; with_exp adds each entry's exponent. */
static void rv_push_groups(lua_State *L, const agg_group *g, size_t n, bool with_exp)
{
    luaL_checkstack(L, 3, NULL);
    lua_createtable(L, 0, (int)n);
    for (size_t i = 0; i < n; i++) {
        lua_createtable(L, 0, 8);
        rv_set_sums(L, &g[i].s);
        if (with_exp)
            rv_set_int(L, "exponent", g[i].exponent);
        lua_setfield(L, -2, g[i].key);
    }
}

/* Pushes the sequence of FX rates applied: {day, rate_date, base, quote, rate}. */
static void rv_push_fx(lua_State *L, const period_agg *a)
{
    luaL_checkstack(L, 3, NULL);
    lua_createtable(L, (int)a->n_fx, 0);
    for (size_t i = 0; i < a->n_fx; i++) {
        const fx_applied *f = &a->fx[i];
        lua_createtable(L, 0, 5);
        rv_set_date(L, "day", f->day);
        rv_set_date(L, "rate_date", f->rate_date);
        rv_set_str(L, "base", f->base);
        rv_set_str(L, "quote", f->quote);
        rv_set_str(L, "rate", f->rate);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

/* Pushes {count = n, amount = minor units}. */
static void rv_push_recon_sum(lua_State *L, const recon_sum *s)
{
    lua_createtable(L, 0, 2);
    rv_set_int(L, "count", s->count);
    rv_set_int(L, "amount", s->amount);
}

/* Pushes the sequence of the statement's reconciliations, one per ledger (empty when the
 * partner is not reconciled); see docs/rule-api.md. */
static void rv_push_recon(lua_State *L, const statement *st)
{
    luaL_checkstack(L, 6, NULL);
    lua_createtable(L, (int)st->n_recon, 0);
    for (size_t i = 0; i < st->n_recon; i++) {
        const recon_result *r = &st->recon[i];
        lua_createtable(L, 0, 8);
        rv_set_str(L, "ledger", r->ledger);
        rv_set_str(L, "match", r->match == MATCH_DAILY ? "daily" : "transaction");
        rv_push_recon_sum(L, &r->matched);
        lua_setfield(L, -2, "matched");
        lua_createtable(L, 0, RK_COUNT);
        for (int k = 0; k < RK_COUNT; k++) {
            rv_push_recon_sum(L, &r->breaks[k]);
            lua_setfield(L, -2, recon_kind_name((recon_kind)k));
        }
        lua_setfield(L, -2, "breaks");
        rv_set_int(L, "waiting", r->waiting);
        rv_set_str(L, "status", recon_status_name(r->status));
        rv_set_str(L, "reason", r->status == RS_HELD ? r->reason : NULL);
        lua_createtable(L, 0, 6);
        rv_set_sums(L, &r->ledger_totals);
        lua_setfield(L, -2, "ledger_totals");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

/* Sets the identity fields of p: partner, kind, period, days, currency. */
static void rv_set_identity(lua_State *L, const statement *st)
{
    const period_agg *a = st->agg;
    rv_set_str(L, "partner", a->partner);
    rv_set_str(L, "kind", st->kind);
    rv_set_str(L, "period", a->label);
    rv_set_str(L, "period_kind", period_kind_name(a->kind));
    rv_set_date(L, "first_day", a->first_day);
    rv_set_date(L, "last_day", a->last_day);
    lua_pushlstring(L, a->currency, strnlen(a->currency, sizeof a->currency));
    lua_setfield(L, -2, "currency");
    rv_set_int(L, "exponent", a->exponent);
}

/* Pushes the `p` table for st (st->agg set); see docs/rule-api.md. */
void rules_view_push_period(lua_State *L, const statement *st)
{
    const period_agg *a = st->agg;
    luaL_checkstack(L, 4, NULL);
    lua_createtable(L, 0, 32);
    rv_set_identity(L, st);
    rv_set_sums(L, &a->total);
    rv_set_int(L, "duplicates", a->duplicates);
    rv_set_int(L, "rejected", a->rejected);
    rv_set_int(L, "carry_in", a->carry_in);
    rv_push_groups(L, a->by_category, a->n_category, false);
    lua_setfield(L, -2, "by_category");
    rv_push_groups(L, a->by_game, a->n_game, false);
    lua_setfield(L, -2, "by_game");
    rv_push_groups(L, a->by_currency, a->n_currency, true);
    lua_setfield(L, -2, "by_currency");
    rv_push_groups(L, a->by_day, a->n_day, false);
    lua_setfield(L, -2, "by_day");
    rv_push_fx(L, a);
    lua_setfield(L, -2, "fx");
    rv_push_recon(L, st);
    lua_setfield(L, -2, "reconciliation");
}

/* ---- the hook's tx view ----------------------------------------------- */

/*
 * tx is a userdata holding only its batch number; its metatable (made once
 * per engine, in the registry) reads each field from re->tx.in when asked, so
 * a call that reads nothing costs no string and no table. __index is a C
 * closure whose upvalues are the field names (interned; re->tx.keys keeps
 * their addresses, so a key is found by comparing pointers), the type names,
 * and the last currency and day pushed (re->tx.cur, re->tx.day say which), so
 * the usual reads push a string without hashing it.
 */
#define TV_META "settle.tx"
#define TV_STALE "tx was kept after its transaction() call: it can only be read during the " \
    "call that received it; copy the fields you need (local amount = tx.amount)"
#define TV_UP_TYPE (RULES_TX_FIELDS + 1)       /* upvalues: type names from here */
#define TV_UP_CUR (TV_UP_TYPE + TX_TYPE_COUNT) /* the string of re->tx.cur */
#define TV_UP_DAY (TV_UP_CUR + 1)              /* the string of re->tx.day */

enum { TV_AMOUNT, TV_TYPE, TV_GAME, TV_CATEGORY, TV_PLAYER, TV_CURRENCY, TV_ID, TV_ROUND,
       TV_DAY, TV_INSTANT };
static const char *const tv_names[RULES_TX_FIELDS] = {
    "amount", "type", "game", "category", "player", "currency", "id", "round", "day", "instant"};

/* Pushes s as a string, nil when empty. */
static void tv_push_slice(lua_State *L, slice s)
{
    if (s.n)
        lua_pushlstring(L, s.p, s.n);
    else
        lua_pushnil(L);
}

/* Pushes the currency code of in, from the cache upvalue when it is the last one. */
static void tv_push_currency(lua_State *L, rules_engine *re, const rules_tx_in *in)
{
    if (strncmp(in->currency, re->tx.cur, sizeof re->tx.cur) == 0) {
        lua_pushvalue(L, lua_upvalueindex(TV_UP_CUR));
        return;
    }
    lua_pushstring(L, in->currency);
    snprintf(re->tx.cur, sizeof re->tx.cur, "%s", in->currency);
    lua_pushvalue(L, -1);
    lua_replace(L, lua_upvalueindex(TV_UP_CUR));
}

/* Pushes the business day of in as "YYYY-MM-DD", from the cache upvalue when it is the last one. */
static void tv_push_day(lua_State *L, rules_engine *re, const rules_tx_in *in)
{
    char day[11];
    if (in->day == re->tx.day) {
        lua_pushvalue(L, lua_upvalueindex(TV_UP_DAY));
        return;
    }
    date_format(in->day, day);
    lua_pushstring(L, day);
    re->tx.day = in->day;
    lua_pushvalue(L, -1);
    lua_replace(L, lua_upvalueindex(TV_UP_DAY));
}

/*
 * Pushes field k (TV_*) of the transaction in; `cached`: called from __index,
 * whose upvalues hold the type names and caches. Raises only on out of memory.
 */
static void tv_push_field(lua_State *L, rules_engine *re, const rules_tx_in *in, int k,
                          bool cached)
{
    char day[11];
    switch (k) {
    case TV_AMOUNT: lua_pushinteger(L, in->amount); break;
    case TV_TYPE:
        if (cached && (unsigned)in->type < TX_TYPE_COUNT)
            lua_pushvalue(L, lua_upvalueindex(TV_UP_TYPE + (int)in->type));
        else
            lua_pushstring(L, tx_type_name(in->type));
        break;
    case TV_GAME: tv_push_slice(L, in->game); break;
    case TV_CATEGORY: tv_push_slice(L, in->category); break;
    case TV_PLAYER: tv_push_slice(L, in->player); break;
    case TV_CURRENCY:
        if (cached)
            tv_push_currency(L, re, in);
        else
            lua_pushstring(L, in->currency);
        break;
    case TV_ID: tv_push_slice(L, in->id); break;
    case TV_ROUND: tv_push_slice(L, in->round); break;
    case TV_DAY:
        if (cached)
            tv_push_day(L, re, in);
        else
            lua_pushstring(L, (date_format(in->day, day), day));
        break;
    default: lua_pushinteger(L, in->instant); break;
    }
}

/* The field (TV_*) the key at idx names, or -1. */
static int tv_field(lua_State *L, const rules_engine *re, int idx)
{
    size_t n;
    if (lua_type(L, idx) != LUA_TSTRING)
        return -1;
    const char *s = lua_tolstring(L, idx, &n);
    for (int k = 0; k < RULES_TX_FIELDS; k++)
        if (s == re->tx.keys[k])
            return k;
    for (int k = 0; k < RULES_TX_FIELDS; k++) /* only if a name were not interned */
        if (n == strlen(tv_names[k]) && memcmp(s, tv_names[k], n) == 0)
            return k;
    return -1;
}

/* The running call's transaction for the view at 1; raises TV_STALE when none. */
static const rules_tx_in *tv_current(lua_State *L, const rules_engine *re)
{
    const unsigned *batch = lua_touserdata(L, 1);
    if (!re->tx.in || !batch || *batch != re->tx.batch)
        luaL_error(L, TV_STALE);
    return re->tx.in;
}

/* __index(tx, key): the field, or nil for a key tx does not have. */
static int tv_index(lua_State *L)
{
    rules_engine *re = rules_engine_of(L);
    const rules_tx_in *in = tv_current(L, re);
    int k = tv_field(L, re, 2);
    if (k < 0)
        lua_pushnil(L);
    else
        tv_push_field(L, re, in, k, true);
    return 1;
}

/* __newindex: tx is read-only. */
static int tv_newindex(lua_State *L)
{
    return luaL_error(L, "tx is read-only; keep your own notes in a local table");
}

/* The `next` __pairs hands out, over the copy it made. */
static int tv_next(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    if (lua_next(L, 1))
        return 2;
    lua_pushnil(L);
    return 1;
}

/* __pairs(tx): iterates over a copy of the fields that are not nil (made per use). */
static int tv_pairs(lua_State *L)
{
    rules_engine *re = rules_engine_of(L);
    const rules_tx_in *in = tv_current(L, re);
    lua_pushcfunction(L, tv_next);
    lua_createtable(L, 0, RULES_TX_FIELDS);
    for (int k = 0; k < RULES_TX_FIELDS; k++) {
        tv_push_field(L, re, in, k, false);
        if (!lua_isnil(L, -1))
            lua_setfield(L, -2, tv_names[k]);
        else
            lua_pop(L, 1);
    }
    lua_pushnil(L);
    return 3;
}

/* Fills the new metatable on top and notes the interned field names in re. */
static void tv_meta_fill(lua_State *L, rules_engine *re)
{
    luaL_checkstack(L, TV_UP_DAY + 2, NULL);
    for (int k = 0; k < RULES_TX_FIELDS; k++)
        re->tx.keys[k] = lua_pushstring(L, tv_names[k]);
    for (int t = 0; t < TX_TYPE_COUNT; t++)
        lua_pushstring(L, tx_type_name((tx_type)t));
    lua_pushnil(L);
    lua_pushnil(L);
    memcpy(re->tx.cur, "\x7f", 2); /* no currency: nothing is cached yet */
    re->tx.day = INT32_MIN;
    lua_pushcclosure(L, tv_index, TV_UP_DAY);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, tv_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, tv_pairs);
    lua_setfield(L, -2, "__pairs");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
}

/* Pushes the tx view of batch re->tx.batch (see rules_int.h). */
void rules_view_push_tx(lua_State *L, rules_engine *re)
{
    luaL_checkstack(L, 3, NULL);
    unsigned *batch = lua_newuserdatauv(L, sizeof *batch, 0);
    *batch = re->tx.batch;
    if (luaL_newmetatable(L, TV_META))
        tv_meta_fill(L, re);
    lua_setmetatable(L, -2);
}

/* ---- params ----------------------------------------------------------- */

/* Pushes one param node: scalar -> string as written, map -> table, list -> sequence. */
static void rv_push_param(lua_State *L, const param *p)
{
    luaL_checkstack(L, 3, NULL);
    if (p->kind == PARAM_SCALAR) {
        lua_pushstring(L, p->scalar ? p->scalar : "");
        return;
    }
    bool map = p->kind == PARAM_MAP;
    lua_createtable(L, map ? 0 : (int)p->n_items, map ? (int)p->n_items : 0);
    for (size_t i = 0; i < p->n_items; i++) {
        rv_push_param(L, &p->items[i]);
        if (map)
            lua_setfield(L, -2, p->items[i].key ? p->items[i].key : "");
        else
            lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

/* Pushes params from the partner's PARAM_MAP; NULL gives an empty table. */
void rules_view_push_params(lua_State *L, const param *params)
{
    luaL_checkstack(L, 2, NULL);
    if (params)
        rv_push_param(L, params);
    else
        lua_newtable(L);
}

/* ---- reading the result ----------------------------------------------- */

/* Raises "<where> settle() returned a bad result: <problem>" (never returns). */
static void rv_fail(lua_State *L, const char *where, const char *fmt, ...)
{
    va_list ap;
    luaL_checkstack(L, 3, NULL);
    va_start(ap, fmt);
    lua_pushfstring(L, "%s settle() returned a bad result: ", where);
    lua_pushvfstring(L, fmt, ap);
    va_end(ap);
    lua_concat(L, 2);
    lua_error(L);
}

/*
 * Returns the money value at `idx` named `name`: an integer, or 0 when nil
 * and not `required`. Raises with the fix for nil, floats, strings, others.
 */
static int64_t rv_money(lua_State *L, const char *where, int idx, const char *name, bool required)
{
    int t = lua_type(L, idx);
    if (lua_isinteger(L, idx))
        return lua_tointeger(L, idx);
    if (t == LUA_TNIL && !required)
        return 0;
    if (t == LUA_TNIL)
        rv_fail(L, where, "%s is missing; give it as an integer number of minor units", name);
    lua_pushvalue(L, idx);
    const char *text = lua_tostring(L, -1);
    if (t == LUA_TNUMBER)
        rv_fail(L, where, "%s is a float (%s); money must be an integer number of minor units "
                          "- use money.mul(...) with a rounding mode", name, text);
    if (t == LUA_TSTRING)
        rv_fail(L, where, "%s is a string (\"%s\"); money must be an integer number of minor "
                          "units - use money.of(\"%s\")", name, text, text);
    rv_fail(L, where, "%s is a %s; money must be an integer number of minor units", name,
            lua_typename(L, t));
    return 0;
}

/*
 * Pushes and returns a description of the key at `idx` for messages:
 * "\"name\"", a number, or "of type table". Runs no metamethods.
 */
static const char *rv_key_text(lua_State *L, int idx)
{
    int t = lua_type(L, idx);
    if (t == LUA_TSTRING)
        return lua_pushfstring(L, "\"%s\"", lua_tostring(L, idx));
    lua_pushvalue(L, idx);
    if (t == LUA_TNUMBER)
        return lua_tostring(L, -1);
    return lua_pushfstring(L, "of type %s", lua_typename(L, t));
}

/* True when the key on top is a string listed in the NULL-terminated `allowed`. */
static bool rv_key_in(lua_State *L, const char *const *allowed)
{
    if (lua_type(L, -1) != LUA_TSTRING)
        return false;
    for (; *allowed; allowed++)
        if (strcmp(lua_tostring(L, -1), *allowed) == 0)
            return true;
    return false;
}

/* Raises unless every key of the table at `idx` is a string in `allowed`. */
static void rv_only_keys(lua_State *L, const char *where, int idx, const char *what,
                         const char *const *allowed, const char *list)
{
    luaL_checkstack(L, 4, NULL);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (!rv_key_in(L, allowed))
            rv_fail(L, where, "%s has an unknown field %s (allowed: %s)", what,
                    rv_key_text(L, -1), list);
    }
}

/* Raises unless the table at `idx` is exactly the sequence 1..n. */
static void rv_sequence(lua_State *L, const char *where, int idx, lua_Integer n)
{
    lua_Integer count = 0;
    luaL_checkstack(L, 4, NULL);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > n)
            rv_fail(L, where, "lines must be a list {{label = ..., amount = ...}, ...} "
                              "(it has the key %s)", rv_key_text(L, -1));
        count++;
    }
    if (count != n)
        rv_fail(L, where, "lines must be a list without holes");
}

/* Checks lines[i] (the table on top): only label (string) and amount (integer). */
static void rv_line(lua_State *L, const char *where, lua_Integer i)
{
    static const char *const keys[] = {"label", "amount", NULL};
    char name[48];
    int top = lua_gettop(L);
    snprintf(name, sizeof name, "lines[%lld]", (long long)i);
    if (!lua_istable(L, top))
        rv_fail(L, where, "%s is a %s; each line is {label = \"...\", amount = <integer>}",
                name, luaL_typename(L, top));
    rv_only_keys(L, where, top, name, keys, "label, amount");
    size_t n = 0;
    const char *label = rules_rawfield(L, top, "label") == LUA_TSTRING ? lua_tolstring(L, -1, &n)
                                                                      : NULL;
    if (!label || n == 0 || n > RV_MAX_LABEL || strlen(label) != n)
        rv_fail(L, where, "%s.label must be a non-empty string of at most %d bytes", name,
                RV_MAX_LABEL);
    rules_rawfield(L, top, "amount");
    snprintf(name, sizeof name, "lines[%lld].amount", (long long)i);
    rv_money(L, where, lua_gettop(L), name, true);
    lua_settop(L, top);
}

/* Checks result.lines (at `idx`) completely; returns its length. */
static lua_Integer rv_lines(lua_State *L, const char *where, int idx)
{
    if (lua_isnil(L, idx))
        rv_fail(L, where, "lines is missing; return lines = {} when there is nothing to list");
    if (!lua_istable(L, idx))
        rv_fail(L, where, "lines is a %s; it must be a list of {label = ..., amount = ...}",
                luaL_typename(L, idx));
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
    if (n > RULES_MAX_LINES)
        rv_fail(L, where, "more than %d lines", RULES_MAX_LINES);
    rv_sequence(L, where, idx, n);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        rv_line(L, where, i);
        lua_pop(L, 1);
    }
    return n;
}

/* Appends the (already checked) lines at `idx` to st. */
static void rv_add_lines(lua_State *L, int idx, lua_Integer n, statement *st)
{
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        rules_rawfield(L, -1, "label");
        rules_rawfield(L, -2, "amount");
        statement_add_line(st, lua_tostring(L, -2), lua_tointeger(L, -1));
        lua_pop(L, 3);
    }
}

/*
 * Checks the result table on top; only when all of it is valid appends its
 * lines to st and sets payable and carry_out. Raises on the first problem.
 */
void rules_view_read_result(lua_State *L, const char *where, statement *st)
{
    static const char *const keys[] = {"lines", "payable", "carry_out", NULL};
    int r = lua_gettop(L);
    luaL_checkstack(L, 6, NULL);
    if (!lua_istable(L, r))
        rv_fail(L, where, "%s instead of a table {lines = {...}, payable = ..., carry_out = ...}",
                luaL_typename(L, r));
    rv_only_keys(L, where, r, "the result", keys, "lines, payable, carry_out");
    rules_rawfield(L, r, "lines");
    rules_rawfield(L, r, "payable");
    rules_rawfield(L, r, "carry_out");
    lua_Integer n = rv_lines(L, where, r + 1);
    int64_t payable = rv_money(L, where, r + 2, "payable", true);
    int64_t carry_out = rv_money(L, where, r + 3, "carry_out", false);
    rv_add_lines(L, r + 1, n, st);
    st->payable = payable;
    st->carry_out = carry_out;
    lua_settop(L, r);
}

/* Frees and forgets every line of st (a failed settle leaves none). */
void rules_view_drop_lines(statement *st)
{
    for (size_t i = 0; i < st->n_lines; i++)
        free(st->lines[i].label);
    free(st->lines);
    st->lines = NULL;
    st->n_lines = 0;
}
