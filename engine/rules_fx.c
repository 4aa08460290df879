/*
 * rules_fx.c - money.convert for rules: an amount in one currency converted
 * to another at the rates table's latest rate on or before a named date,
 * rounded once with a named mode (half-even when none is given).
 */
#include <string.h>

#include "fx.h"
#include "money.h"
#include "rules_int.h"
#include "timefmt.h"

/* A currency code argument: its ISO 4217 exponent, or raises. */
static int rf_currency(lua_State *L, int arg, const char *what)
{
    size_t n;
    const char *c = lua_type(L, arg) == LUA_TSTRING ? lua_tolstring(L, arg, &n) : NULL;
    int e = c ? currency_exponent(c, n) : -1;
    if (e < 0)
        luaL_error(L, "money.convert: %s must be an ISO 4217 code such as \"EUR\" (got %s)", what,
                   c ? c : luaL_typename(L, arg));
    return e;
}

/* The date argument as a day, or raises. */
static int32_t rf_date(lua_State *L, int arg)
{
    int32_t day = 0; /* set on every path that returns: luaL_error does not return */
    size_t n;
    const char *d = lua_type(L, arg) == LUA_TSTRING ? lua_tolstring(L, arg, &n) : NULL;
    if (!d || date_parse(d, n, &day) != 0)
        luaL_error(L, "money.convert: the date must be \"YYYY-MM-DD\" such as p.last_day");
    return day;
}

/*
 * money.convert(amount, from, to, date [, mode]) -> amount (minor units of
 * `from`) in minor units of `to`. Raises when there is no rates table, no
 * rate on or before the date, or the result does not fit.
 */
static int rf_convert(lua_State *L)
{
    static const char fn[] = "money.convert";
    luaL_checkstack(L, 2, NULL);
    int64_t a = rules_arg_amount(L, 1, fn, "amount"), out = 0;
    int from = rf_currency(L, 2, "the source currency");
    int to = rf_currency(L, 3, "the target currency");
    int32_t day = rf_date(L, 4);
    round_mode m = rules_arg_mode(L, 5, fn);
    const char *f = lua_tostring(L, 2), *t = lua_tostring(L, 3);
    if (strcmp(f, t) == 0) {
        lua_pushinteger(L, a);
        return 1;
    }
    const fx_table *fx = rules_engine_of(L)->fx;
    fx_rate r;
    if (!fx || fx_lookup(fx, f, t, day, &r) != 0)
        return luaL_error(L, "%s: no %s->%s rate on or before %s in the rates table", fn, f, t,
                          lua_tostring(L, 4));
    rules_check_fits(L, money_convert(a, from, r.rate, to, m, &out) == MONEY_OK, fn);
    lua_pushinteger(L, out);
    return 1;
}

void rules_fx_add(lua_State *L)
{
    luaL_checkstack(L, 2, NULL);
    lua_pushvalue(L, -1);
    lua_getfield(L, -1, "mul");
    lua_setfield(L, -3, "pct"); /* money.pct: money.mul under the name operators look for */
    lua_pop(L, 1);
    lua_pushcfunction(L, rf_convert);
    lua_setfield(L, -2, "convert");
}
