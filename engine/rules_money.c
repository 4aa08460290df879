/*
 * rules_money.c - the C functions rule code calls: the `money` library
 * (docs/rule-api.md), the read-only `tax` library over the engine's tax
 * table (tax.h) and, at the end, the sandbox's own base functions (print,
 * setmetatable, the environment's __index).
 *
 * Money in Lua is a Lua integer counting minor units of the settlement
 * currency of the running settle() (rules_engine.currency/exponent). Rates
 * are decimal strings ("12.5%", "0.035") parsed exactly by rate_parse. No
 * floating point: a float where money is expected is an error naming the
 * caller's file:line, and every rounding is explicit and happens once.
 *
 * Every function here is called from Lua: it checks its stack, raises a Lua
 * error (luaL_error, so the message starts with the caller's file:line) on
 * bad input or overflow, and owns no memory beyond the Lua values it pushes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "rules_int.h"
#include "tax.h"
#include "timefmt.h"

#define RM_MAX_TIERS 64
#define RM_MAX_SPLIT 100000

/* One parsed tier of a tiers table. */
typedef struct rm_tier {
    bool open;       /* no upto: reaches to infinity (last tier only) */
    int64_t upto;    /* upper bound in minor units (or a plain count) */
    decimal_rate rate;
} rm_tier;

/* One share of money.split while the remainder is dealt out. */
typedef struct rm_share {
    __int128 q, r; /* quotient and remainder of total * weight / sum */
    size_t idx;
} rm_share;

/* ---- argument checking ------------------------------------------------ */

/*
 * Returns argument `arg` as an integer amount in minor units. Raises a
 * message naming `fn`, `what` and the fix when it is a float, a string or
 * anything else.
 */
int64_t rules_arg_amount(lua_State *L, int arg, const char *fn, const char *what)
{
    if (lua_isinteger(L, arg))
        return lua_tointeger(L, arg);
    luaL_checkstack(L, 2, NULL);
    int t = lua_type(L, arg);
    lua_pushvalue(L, arg);
    const char *text = t == LUA_TNUMBER || t == LUA_TSTRING ? lua_tostring(L, -1) : "";
    if (t == LUA_TNUMBER)
        luaL_error(L, "%s: %s is a float (%s); amounts are integers in minor units - keep "
                      "money integral (// instead of /, money.mul(x, rate, mode) for rates)",
                   fn, what, text);
    if (t == LUA_TSTRING)
        luaL_error(L, "%s: %s is a string (\"%s\"); amounts are integers in minor units - "
                      "convert major units with money.of(\"%s\")", fn, what, text, text);
    return luaL_error(L, "%s: %s must be an integer amount in minor units (got %s)", fn, what,
                      luaL_typename(L, arg));
}

/* Returns argument `arg` (a string) and its length, or raises naming `what`. */
static const char *rm_text(lua_State *L, int arg, const char *fn, const char *what, size_t *n)
{
    if (lua_type(L, arg) != LUA_TSTRING)
        luaL_error(L, "%s: %s must be a string (got %s); write decimals as text, e.g. \"12.5%%\"",
                   fn, what, luaL_typename(L, arg));
    return lua_tolstring(L, arg, n);
}

/* Parses the rate string at `arg`, or raises with the accepted forms. */
decimal_rate rules_arg_rate(lua_State *L, int arg, const char *fn, const char *what)
{
    size_t n;
    const char *s = rm_text(L, arg, fn, what, &n);
    decimal_rate r = {0, 0};
    money_status ms = rate_parse(s, n, &r);
    if (ms == MONEY_PRECISION)
        luaL_error(L, "%s: %s \"%s\" has more than 18 decimals", fn, what, s);
    else if (ms != MONEY_OK)
        luaL_error(L, "%s: %s \"%s\" is not a rate; write a percentage (\"12.5%%\") or a "
                      "decimal (\"0.035\")", fn, what, s);
    return r;
}

/* The rounding mode at `arg` (nil or absent: half_even), or raises. */
round_mode rules_arg_mode(lua_State *L, int arg, const char *fn)
{
    if (lua_isnoneornil(L, arg))
        return ROUND_HALF_EVEN;
    size_t n;
    const char *s = rm_text(L, arg, fn, "the rounding mode", &n);
    int m = round_mode_from_name(s);
    if (m < 0)
        luaL_error(L, "%s: unknown rounding mode \"%s\"; use half_even, half_up, down, up, "
                      "floor or ceiling", fn, s);
    return (round_mode)m;
}

/* Exponent of the settlement currency of the running settle(), or raises. */
static int rm_settle_exponent(lua_State *L, const char *fn)
{
    int e = rules_engine_of(L)->exponent;
    if (e < 0)
        luaL_error(L, "%s: there is no settlement currency outside settle(); pass a currency "
                      "code, e.g. money.of(\"500000\", \"KRW\")", fn);
    return e;
}

/* Exponent of the currency code at `arg`, or of the settlement currency when absent. */
static int rm_exponent(lua_State *L, int arg, const char *fn)
{
    if (lua_isnoneornil(L, arg))
        return rm_settle_exponent(L, fn);
    size_t n;
    const char *code = rm_text(L, arg, fn, "the currency", &n);
    int e = currency_exponent(code, n);
    if (e < 0)
        luaL_error(L, "%s: unknown currency \"%s\"; use an ISO 4217 code such as \"EUR\"",
                   fn, code);
    return e;
}

/* Parses major-unit text `s` with exponent `e`, or raises naming the problem. */
static int64_t rm_parse(lua_State *L, const char *s, size_t n, int e, const char *fn)
{
    static const money_dialect dot = {'.', 0, false};
    int64_t v = 0;
    money_status ms = money_parse(s, n, &dot, e, &v);
    if (ms == MONEY_PRECISION)
        luaL_error(L, "%s: \"%s\" has more than %d decimals for this currency", fn, s, e);
    else if (ms == MONEY_OVERFLOW)
        luaL_error(L, "%s: \"%s\" is too large for 64-bit minor units", fn, s);
    else if (ms != MONEY_OK)
        luaL_error(L, "%s: \"%s\" is not an amount; write major units like \"1234.50\"", fn, s);
    return v;
}

/* Raises "fn: result does not fit" when `ok` is false. */
void rules_check_fits(lua_State *L, bool ok, const char *fn)
{
    if (!ok)
        luaL_error(L, "%s: the result does not fit in 64-bit minor units", fn);
}

/* ---- tiers ------------------------------------------------------------ */

/*
 * Reads tiers[i].upto (tier table on top) into t: nil -> open, string -> major
 * units of the settlement currency, integer -> as is (minor units or a count).
 */
static void rm_tier_upto(lua_State *L, int i, const char *fn, rm_tier *t)
{
    char what[40];
    int ty = rules_rawfield(L, -1, "upto");
    t->open = ty == LUA_TNIL;
    t->upto = 0;
    if (ty == LUA_TSTRING) {
        size_t n;
        const char *s = lua_tolstring(L, -1, &n);
        t->upto = rm_parse(L, s, n, rm_settle_exponent(L, fn), fn);
    } else if (!t->open) {
        snprintf(what, sizeof what, "tiers[%d].upto", i);
        t->upto = rules_arg_amount(L, lua_gettop(L), fn, what);
    }
    lua_pop(L, 1);
}

/* Reads and checks tiers[i] (the table on top) into t; prev is tiers[i-1] or NULL. */
static void rm_tier_read(lua_State *L, int i, int n, const char *fn, rm_tier *t,
                         const rm_tier *prev)
{
    char what[40];
    if (!lua_istable(L, -1))
        luaL_error(L, "%s: tiers[%d] must be a table {upto = ..., rate = ...}", fn, i);
    rm_tier_upto(L, i, fn, t);
    if (t->open && i < n)
        luaL_error(L, "%s: only the last tier may leave out upto (tiers[%d] has none)", fn, i);
    if (!t->open && prev && t->upto <= prev->upto)
        luaL_error(L, "%s: tiers[%d].upto must be above tiers[%d].upto", fn, i, i - 1);
    if (!t->open && !prev && t->upto < 0)
        luaL_error(L, "%s: tiers[1].upto must not be negative", fn);
    rules_rawfield(L, -1, "rate");
    snprintf(what, sizeof what, "tiers[%d].rate", i);
    t->rate = rules_arg_rate(L, lua_gettop(L), fn, what);
    lua_pop(L, 1);
}

/* Reads the tiers table at `arg` into t[]; returns how many (1..RM_MAX_TIERS). */
static int rm_tiers(lua_State *L, int arg, const char *fn, rm_tier *t)
{
    luaL_checkstack(L, 4, NULL);
    if (!lua_istable(L, arg))
        luaL_error(L, "%s: tiers must be a list like {{upto = \"1000000\", rate = \"10%%\"}, "
                      "{rate = \"12%%\"}} (got %s)", fn, luaL_typename(L, arg));
    lua_Integer n = (lua_Integer)lua_rawlen(L, arg);
    if (n < 1 || n > RM_MAX_TIERS)
        luaL_error(L, "%s: tiers must hold 1 to %d tiers (it holds %d)", fn, RM_MAX_TIERS,
                   (int)n);
    for (int i = 1; i <= (int)n; i++) {
        lua_rawgeti(L, arg, i);
        rm_tier_read(L, i, (int)n, fn, &t[i - 1], i > 1 ? &t[i - 2] : NULL);
        lua_pop(L, 1);
    }
    return (int)n;
}

/* 10^k as a 128-bit integer, 0 <= k <= 36. */
static __int128 rm_pow10(int k)
{
    __int128 p = 1;
    while (k-- > 0)
        p *= 10;
    return p;
}

/* Adds part * rate (rate brought to `scale` decimals) to *sum; false on overflow. */
static bool rm_accumulate(__int128 *sum, __int128 part, decimal_rate rate, int scale)
{
    __int128 r = (__int128)rate.num * rm_pow10(scale - rate.scale), prod;
    return !__builtin_mul_overflow(part, r, &prod) && !__builtin_add_overflow(*sum, prod, sum);
}

/* Exact sum of each tier's rate times the part of `amount` inside it, at `scale`. */
static bool rm_graduate(int64_t amount, const rm_tier *t, int n, int scale, __int128 *sum)
{
    *sum = 0;
    if (amount <= 0)
        return rm_accumulate(sum, amount, t[0].rate, scale);
    for (int i = 0; i < n; i++) {
        int64_t lower = i ? t[i - 1].upto : 0;
        int64_t upper = i == n - 1 || amount < t[i].upto ? amount : t[i].upto;
        if (upper <= lower)
            break;
        if (!rm_accumulate(sum, (__int128)upper - lower, t[i].rate, scale))
            return false;
    }
    return true;
}

/*
 * money.tiered(amount, tiers [, mode]) -> graduated charge: each tier's rate
 * on the part of amount inside it, summed exactly, rounded once. A negative
 * amount is charged at the first tier's rate.
 */
static int rm_tiered(lua_State *L)
{
    static const char fn[] = "money.tiered";
    rm_tier t[RM_MAX_TIERS];
    luaL_checkstack(L, 4, NULL);
    int64_t amount = rules_arg_amount(L, 1, fn, "amount");
    int n = rm_tiers(L, 2, fn, t);
    round_mode mode = rules_arg_mode(L, 3, fn);
    int scale = 0;
    for (int i = 0; i < n; i++)
        scale = t[i].rate.scale > scale ? t[i].rate.scale : scale;
    __int128 sum;
    int64_t out = 0;
    rules_check_fits(L, rm_graduate(amount, t, n, scale, &sum), fn);
    rules_check_fits(L, money_round_div_pow10(sum, scale, mode, &out) == MONEY_OK, fn);
    lua_pushinteger(L, out);
    return 1;
}

/*
 * money.tier(basis, tiers) -> the rate string of the first tier with no upto
 * or basis <= upto (the last tier when basis is beyond them all).
 */
static int rm_tier_of(lua_State *L)
{
    static const char fn[] = "money.tier";
    rm_tier t[RM_MAX_TIERS];
    luaL_checkstack(L, 4, NULL);
    int64_t basis = rules_arg_amount(L, 1, fn, "basis");
    int n = rm_tiers(L, 2, fn, t), i = 0;
    while (i < n - 1 && !t[i].open && basis > t[i].upto)
        i++;
    lua_rawgeti(L, 2, i + 1);
    rules_rawfield(L, -1, "rate");
    return 1;
}

/* ---- arithmetic ------------------------------------------------------- */

/* money.of(text [, currency]) -> minor units of major-unit decimal text. */
static int rm_of(lua_State *L)
{
    size_t n;
    luaL_checkstack(L, 2, NULL);
    const char *s = rm_text(L, 1, "money.of", "the amount", &n);
    int e = rm_exponent(L, 2, "money.of");
    lua_pushinteger(L, rm_parse(L, s, n, e, "money.of"));
    return 1;
}

/* money.mul(amount, rate [, mode]) -> amount * rate rounded once. */
static int rm_mul(lua_State *L)
{
    luaL_checkstack(L, 2, NULL);
    int64_t a = rules_arg_amount(L, 1, "money.mul", "amount"), out = 0;
    decimal_rate r = rules_arg_rate(L, 2, "money.mul", "rate");
    round_mode m = rules_arg_mode(L, 3, "money.mul");
    rules_check_fits(L, money_mul_rate(a, r, m, &out) == MONEY_OK, "money.mul");
    lua_pushinteger(L, out);
    return 1;
}

/* Argument i of a variadic money function, named "argument #i" in errors. */
static int64_t rm_arg(lua_State *L, int i, const char *fn)
{
    char what[24];
    snprintf(what, sizeof what, "argument #%d", i);
    return rules_arg_amount(L, i, fn, what);
}

/* money.add(a, b, ...) -> the exact sum (0 for none); overflow raises. */
static int rm_add(lua_State *L)
{
    int n = lua_gettop(L);
    int64_t sum = 0;
    luaL_checkstack(L, 2, NULL);
    for (int i = 1; i <= n; i++)
        rules_check_fits(L, money_add(sum, rm_arg(L, i, "money.add"), &sum), "money.add");
    lua_pushinteger(L, sum);
    return 1;
}

/* money.sub(a, b) -> a - b; overflow raises. */
static int rm_sub(lua_State *L)
{
    int64_t out = 0;
    luaL_checkstack(L, 2, NULL);
    int64_t a = rm_arg(L, 1, "money.sub"), b = rm_arg(L, 2, "money.sub");
    rules_check_fits(L, money_sub(a, b, &out), "money.sub");
    lua_pushinteger(L, out);
    return 1;
}

/* Shared body of money.min / money.max over one or more integers. */
static int rm_extreme(lua_State *L, const char *fn, bool want_max)
{
    int n = lua_gettop(L);
    luaL_checkstack(L, 2, NULL);
    int64_t best = rm_arg(L, 1, fn);
    for (int i = 2; i <= n; i++) {
        int64_t v = rm_arg(L, i, fn);
        if (want_max ? v > best : v < best)
            best = v;
    }
    lua_pushinteger(L, best);
    return 1;
}

/* money.min(a, b, ...) -> the smallest. */
static int rm_min(lua_State *L)
{
    return rm_extreme(L, "money.min", false);
}

/* money.max(a, b, ...) -> the largest. */
static int rm_max(lua_State *L)
{
    return rm_extreme(L, "money.max", true);
}

/* money.format(amount [, currency]) -> "1234.50" in major units. */
static int rm_format(lua_State *L)
{
    char buf[MONEY_FMT_MAX];
    luaL_checkstack(L, 2, NULL);
    int64_t a = rules_arg_amount(L, 1, "money.format", "amount");
    int e = rm_exponent(L, 2, "money.format");
    lua_pushlstring(L, buf, money_format(a, e, buf));
    return 1;
}

/* Integer field `k` of the table on top (nil counts as 0), or raises. */
static int64_t rm_field(lua_State *L, const char *k)
{
    char what[40];
    int64_t v = 0;
    if (rules_rawfield(L, -1, k) != LUA_TNIL) {
        snprintf(what, sizeof what, "total.%s", k);
        v = rules_arg_amount(L, lua_gettop(L), "money.ggr", what);
    }
    lua_pop(L, 1);
    return v;
}

/* money.ggr(t) -> (bet - refund) - (win - win_reversal) of t.total, checked. */
static int rm_ggr(lua_State *L)
{
    luaL_checkstack(L, 4, NULL);
    if (!lua_istable(L, 1) || rules_rawfield(L, 1, "total") != LUA_TTABLE)
        return luaL_error(L, "money.ggr: expects a table with a total table, such as "
                             "p.by_game[\"g1\"]");
    int64_t stake, paid, ggr = 0;
    int64_t bet = rm_field(L, "bet"), refund = rm_field(L, "refund");
    int64_t win = rm_field(L, "win"), rev = rm_field(L, "win_reversal");
    rules_check_fits(L, money_sub(bet, refund, &stake) && money_sub(win, rev, &paid) &&
                   money_sub(stake, paid, &ggr), "money.ggr");
    lua_pushinteger(L, ggr);
    return 1;
}

/* ---- split ------------------------------------------------------------ */

/* qsort order: larger remainder first, then earlier index. */
static int rm_share_cmp(const void *a, const void *b)
{
    const rm_share *x = a, *y = b;
    if (x->r != y->r)
        return x->r > y->r ? -1 : 1;
    return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

/* Reads the weights list at 2 into sh[] (q holds the weight); returns their sum. */
static int64_t rm_weights(lua_State *L, rm_share *sh, size_t n)
{
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, 2, (lua_Integer)i + 1);
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0)
            luaL_error(L, "money.split: weights[%d] must be an integer >= 0", (int)i + 1);
        sh[i].q = lua_tointeger(L, -1);
        sh[i].idx = i;
        rules_check_fits(L, money_add(sum, lua_tointeger(L, -1), &sum), "money.split");
        lua_pop(L, 1);
    }
    if (sum == 0)
        luaL_error(L, "money.split: the weights add up to 0; give at least one a share");
    return sum;
}

/*
 * Replaces each weight in sh[].q by its share of `mag`: the floor of
 * mag * w / sum, plus one unit for the largest remainders (earlier index on
 * ties) until exactly `mag` is dealt. Leaves sh sorted by that order.
 */
static void rm_deal(rm_share *sh, size_t n, __int128 mag, int64_t sum)
{
    __int128 left = mag;
    for (size_t i = 0; i < n; i++) {
        __int128 x = mag * sh[i].q;
        sh[i].q = x / sum;
        sh[i].r = x % sum;
        left -= sh[i].q;
    }
    qsort(sh, n, sizeof *sh, rm_share_cmp);
    for (size_t k = 0; k < (size_t)left; k++)
        sh[k].q++;
}

/*
 * money.split(total, weights) -> list of integers proportional to weights
 * summing exactly to total (largest remainder; ties go to the earlier entry;
 * a negative total is split as its magnitude, then negated).
 */
static int rm_split(lua_State *L)
{
    luaL_checkstack(L, 4, NULL);
    int64_t total = rules_arg_amount(L, 1, "money.split", "total");
    luaL_argexpected(L, lua_istable(L, 2), 2, "list of integer weights");
    size_t n = lua_rawlen(L, 2);
    if (n < 1 || n > RM_MAX_SPLIT)
        luaL_error(L, "money.split: weights must hold 1 to %d entries", RM_MAX_SPLIT);
    rm_share *sh = lua_newuserdatauv(L, n * sizeof *sh, 0); /* counted, collected */
    int64_t w = rm_weights(L, sh, n);
    rm_deal(sh, n, total < 0 ? -(__int128)total : total, w);
    lua_createtable(L, (int)n, 0);
    for (size_t k = 0; k < n; k++) {
        lua_pushinteger(L, (lua_Integer)(total < 0 ? -sh[k].q : sh[k].q));
        lua_rawseti(L, -2, (lua_Integer)sh[k].idx + 1);
    }
    return 1;
}

/* Pushes a new `money` table; one per rule environment so rules cannot share it. */
void rules_money_push(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"of", rm_of},         {"mul", rm_mul},   {"tiered", rm_tiered},
        {"tier", rm_tier_of},  {"add", rm_add},   {"sub", rm_sub},
        {"min", rm_min},       {"max", rm_max},   {"split", rm_split},
        {"format", rm_format}, {"ggr", rm_ggr},   {NULL, NULL}};
    luaL_checkstack(L, 2, NULL);
    luaL_newlib(L, fns);
    rules_fx_add(L);
}

/* ---- the sandbox's base functions (prefix rb_) --------------------------- */

/* True when `name` is in the NULL-terminated list `names`. */
static bool rb_in_list(const char *name, const char *const *names)
{
    for (; *names; names++)
        if (strcmp(name, *names) == 0)
            return true;
    return false;
}

/*
 * print() for rules: writes "path: v1\tv2...\n" to stderr (never stdout,
 * which belongs to the run summary). Upvalue 1 is the rule file's path.
 */
static int rb_print(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_checkstack(L, 4, NULL);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    lua_pushvalue(L, lua_upvalueindex(1));
    luaL_addvalue(&b);
    luaL_addstring(&b, ": ");
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_addchar(&b, '\n');
    luaL_pushresult(&b);
    fputs(lua_tostring(L, -1), stderr);
    return 0;
}

/*
 * setmetatable() for rules: as the standard one, but refuses metatables with
 * __gc, whose finalizers would run later, outside any limit. Raises on
 * misuse; returns the table.
 */
static int rb_setmetatable(lua_State *L)
{
    luaL_checkstack(L, 3, NULL);
    int t = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    if (t == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "setmetatable: __gc is not allowed in rules "
                                 "(finalizers would run outside the limits)");
        lua_pop(L, 1);
    }
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
        return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

static const char *const rb_forbidden[] = {
    "os", "io", "require", "package", "debug", "load", "loadfile", "dofile", "loadstring",
    "collectgarbage", "coroutine", NULL};

/*
 * __index of a rule environment: reading a standard global the sandbox
 * leaves out raises a message saying so; any other missing global is nil.
 */
static int rb_env_index(lua_State *L)
{
    luaL_checkstack(L, 2, NULL);
    if (lua_type(L, 2) == LUA_TSTRING && rb_in_list(lua_tostring(L, 2), rb_forbidden))
        return luaL_error(L, "%s is not available to rules: the sandbox offers only base, "
                             "string, table, math, utf8, money and tax", lua_tostring(L, 2));
    return 0;
}

/*
 * Sets print and setmetatable on the environment table on top and gives it a
 * locked metatable whose __index explains left-out globals. `path` is copied.
 */
void rules_base_set(lua_State *L, const char *path)
{
    luaL_checkstack(L, 4, NULL);
    lua_pushcfunction(L, rb_setmetatable);
    lua_setfield(L, -2, "setmetatable");
    lua_pushstring(L, path);
    lua_pushcclosure(L, rb_print, 1);
    lua_setfield(L, -2, "print");
    lua_createtable(L, 0, 2);
    lua_pushcfunction(L, rb_env_index);
    lua_setfield(L, -2, "__index");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
}
