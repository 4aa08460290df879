/*
 * rules_sandbox.c - what rule code can reach (SPEC section 5): the allowed
 * standard libraries opened once per engine (base, string, table, math,
 * utf8; string's pattern functions replaced by settle's budgeted ones, the
 * string metatable sealed without `dump`), and a fresh environment per rule
 * file holding only an allow-list of base functions and its own copies of the
 * library tables plus `money` and `tax`. The limits themselves are in rules.c.
 */
#include <string.h>

#include <lualib.h>

#include "rules_int.h"

/* ---- the sandbox ------------------------------------------------------ */

/* True when `name` is in the NULL-terminated list `names`. */
static bool rl_in_list(const char *name, const char *const *names)
{
    for (; names && *names; names++)
        if (strcmp(name, *names) == 0)
            return true;
    return false;
}

/*
 * Pushes a new table holding every string-keyed field of global library
 * `lib` except those in `omit`. Raises only on out of memory.
 */
static void rl_copy_lib(lua_State *L, const char *lib, const char *const *omit)
{
    luaL_checkstack(L, 4, NULL);
    lua_newtable(L);
    lua_getglobal(L, lib);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        if (lua_type(L, -2) == LUA_TSTRING && !rl_in_list(lua_tostring(L, -2), omit)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, -5);
        } else {
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
}

static const char *const rl_no_string[] = {"dump", NULL};
static const char *const rl_no_math[] = {"random", "randomseed", NULL};

/*
 * Points the string metatable's __index at a sealed copy of `string`
 * without dump (unreachable from rule code) and locks the metatable, so
 * ("").dump is nil and getmetatable("") returns only "locked".
 */
static void rl_seal_strings(lua_State *L)
{
    luaL_checkstack(L, 4, NULL);
    rl_copy_lib(L, "string", rl_no_string);
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 3);
}

/*
 * Protected set-up: opens the allowed standard libraries, replaces the
 * pattern functions of `string` by settle's budgeted ones (before any copy
 * of `string` is made, so every rule environment and the string metatable
 * get them) and seals strings.
 */
int rules_sandbox_setup(lua_State *L)
{
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base},     {LUA_STRLIBNAME, luaopen_string},
        {LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8}, {NULL, NULL}};
    luaL_checkstack(L, 4, NULL);
    for (const luaL_Reg *l = libs; l->name; l++) {
        luaL_requiref(L, l->name, l->func, 1);
        lua_pop(L, 1);
    }
    lua_getglobal(L, LUA_STRLIBNAME);
    rules_pattern_install(L, -1, rules_engine_of(L));
    lua_pop(L, 1);
    rl_seal_strings(L);
    return 0;
}

/* Sets copies of string, table, math, utf8 and new money and tax on the env on top. */
static void rl_env_libs(lua_State *L)
{
    rl_copy_lib(L, LUA_STRLIBNAME, rl_no_string);
    lua_setfield(L, -2, LUA_STRLIBNAME);
    rl_copy_lib(L, LUA_TABLIBNAME, NULL);
    lua_setfield(L, -2, LUA_TABLIBNAME);
    rl_copy_lib(L, LUA_MATHLIBNAME, rl_no_math);
    lua_setfield(L, -2, LUA_MATHLIBNAME);
    rl_copy_lib(L, LUA_UTF8LIBNAME, NULL);
    lua_setfield(L, -2, LUA_UTF8LIBNAME);
    rules_money_push(L);
    lua_setfield(L, -2, "money");
    rules_tax_push(L);
    lua_setfield(L, -2, "tax");
}

static const char *const rl_base_names[] = {
    "assert", "error", "ipairs", "next", "pairs", "pcall", "select", "tonumber",
    "tostring", "type", "xpcall", "rawequal", "rawlen", "rawget", "rawset",
    "getmetatable", "_VERSION", NULL};

/*
 * Pushes a fresh environment for one rule file: the base allow-list, the
 * sandbox's own print/setmetatable and metatable (rules_base_set), copies of
 * string (no dump), table, math (no random), utf8, new `money` and `tax` tables and _G
 * pointing at itself. Raises on OOM.
 */
void rules_sandbox_env(lua_State *L, const char *path)
{
    luaL_checkstack(L, 6, NULL);
    lua_newtable(L);
    for (const char *const *n = rl_base_names; *n; n++) {
        lua_getglobal(L, *n);
        lua_setfield(L, -2, *n);
    }
    rules_base_set(L, path);
    rl_env_libs(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, LUA_GNAME);
}
