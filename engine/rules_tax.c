/*
 * rules_tax.c - the read-only `tax` library of rule environments: dated
 * rates per jurisdiction from the configured tax table (tax.h), looked up by
 * tax.rate and applied by tax.apply with an explicit rounding.
 */
#include <stdio.h>
#include <string.h>

#include "money.h"
#include "rules_int.h"
#include "tax.h"
#include "timefmt.h"

/* ---- tax (prefix rt_) -------------------------------------------------- */

/* Returns string argument `arg` (no NUL bytes), or raises naming `what`. */
static const char *rt_text(lua_State *L, int arg, const char *fn, const char *what)
{
    size_t n;
    if (lua_type(L, arg) != LUA_TSTRING)
        luaL_error(L, "%s: %s must be a string (got %s)", fn, what, luaL_typename(L, arg));
    const char *s = lua_tolstring(L, arg, &n);
    if (strlen(s) != n)
        luaL_error(L, "%s: %s must not contain NUL bytes", fn, what);
    return s;
}

/*
 * Pushes the table's jurisdictions (j NULL) or the taxes of jurisdiction j,
 * in file order, as "a, b, c". Raises only on out of memory.
 */
static void rt_names(lua_State *L, const tax_table *t, const char *j)
{
    luaL_Buffer b;
    const char *last = NULL;
    luaL_buffinit(L, &b);
    for (size_t i = 0; i < t->n; i++) {
        const char *name = j ? t->s[i].tax : t->s[i].jurisdiction;
        if (j ? strcmp(t->s[i].jurisdiction, j) != 0 : last && !strcmp(last, name))
            continue; /* another jurisdiction's tax, or the same jurisdiction again */
        if (last)
            luaL_addstring(&b, ", ");
        luaL_addstring(&b, name);
        last = name;
    }
    luaL_pushresult(&b);
}

/*
 * The entry (borrowed from the engine's tax table) in force for the
 * jurisdiction, tax and "YYYY-MM-DD" date at arguments arg..arg+2. Raises
 * naming `fn` and the fix when no table is configured, the date is bad, the
 * jurisdiction or tax is unknown, or no rate is in force on that day.
 */
static const tax_rate_entry *rt_entry(lua_State *L, int arg, const char *fn)
{
    int32_t day;
    const tax_table *t = rules_engine_of(L)->tax;
    const char *j = rt_text(L, arg, fn, "the jurisdiction");
    const char *tax = rt_text(L, arg + 1, fn, "the tax name");
    const char *date = rt_text(L, arg + 2, fn, "the date");
    if (!t)
        luaL_error(L, "%s: no tax table is configured; add tax: { tables: data/tax.yaml } to "
                      "settle.yaml", fn);
    if (date_parse(date, strlen(date), &day) != 0)
        luaL_error(L, "%s: the date must be a real date \"YYYY-MM-DD\" such as p.last_day, "
                      "got \"%s\"", fn, date);
    const tax_series *s = tax_find(t, j, tax);
    if (!s) {
        bool known = tax_find(t, j, NULL) != NULL;
        rt_names(L, t, known ? j : NULL);
        if (known)
            luaL_error(L, "%s: unknown tax \"%s\" for %s in %s (it has %s)", fn, tax, j,
                       t->path, lua_tostring(L, -1));
        luaL_error(L, "%s: unknown jurisdiction \"%s\" in %s (it has %s)", fn, j, t->path,
                   lua_tostring(L, -1));
    }
    const tax_rate_entry *e = tax_lookup(t, j, tax, day);
    if (!e) {
        char first[11];
        date_format(s->v[0].from, first);
        luaL_error(L, "%s: no %s %s rate in force on %s (%s starts it on %s)", fn, j, tax,
                   date, t->path, first);
    }
    return e;
}

/* tax.rate(jurisdiction, tax, date) -> the rate in force that day, as written ("5.5%"). */
static int rt_rate(lua_State *L)
{
    luaL_checkstack(L, 4, NULL);
    lua_pushstring(L, rt_entry(L, 1, "tax.rate")->text);
    return 1;
}

/* tax.apply(amount, jurisdiction, tax, date [, mode]) -> amount * rate, rounded once. */
static int rt_apply(lua_State *L)
{
    static const char fn[] = "tax.apply";
    int64_t out = 0;
    luaL_checkstack(L, 4, NULL);
    int64_t a = rules_arg_amount(L, 1, fn, "amount");
    const tax_rate_entry *e = rt_entry(L, 2, fn);
    round_mode m = rules_arg_mode(L, 5, fn);
    rules_check_fits(L, money_mul_rate(a, e->rate, m, &out) == MONEY_OK, fn);
    lua_pushinteger(L, out);
    return 1;
}

/* __newindex of the tax library: assignments are errors (rates come from the table). */
static int rt_readonly(lua_State *L)
{
    luaL_checkstack(L, 2, NULL);
    return luaL_error(L, "tax is read-only: rates come from the tax table (tax.tables in "
                         "settle.yaml); keep your own values in a local variable");
}

/*
 * Pushes a new `tax` library for one rule environment: an empty table whose
 * locked metatable reads rate/apply through __index and refuses assignment.
 */
void rules_tax_push(lua_State *L)
{
    static const luaL_Reg fns[] = {{"rate", rt_rate}, {"apply", rt_apply}, {NULL, NULL}};
    luaL_checkstack(L, 4, NULL);
    lua_newtable(L);
    lua_createtable(L, 0, 3);
    luaL_newlib(L, fns);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, rt_readonly);
    lua_setfield(L, -2, "__newindex");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
}

