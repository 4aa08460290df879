/*
 * rules_pattern.c - settle's own string.find, string.match, string.gmatch
 * and string.gsub for the rule sandbox: Lua 5.4 patterns (reference manual
 * section 6.4.1) with a step budget.
 *
 * Why: Lua's count hook never fires inside C functions, so with the stock
 * string library a backtracking pattern on a long subject
 * (("a"):rep(2e5):find(".-.-.-.-b")) would hold the run past every
 * instruction and time limit. The matcher (rules_pattern_match.c) counts its
 * steps against a per-call cap and the rule's instruction budget, checks the
 * deadline, and raises "pattern too complex (step limit)" at the caller's
 * file:line when they run out.
 *
 * This file holds the argument handling, captures and results; semantics and
 * error messages follow Lua 5.4's string library. No global mutable state:
 * one rules_pm per call, on the C stack.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "rules_int.h"

#define PM_ESC '%'
#define PM_SPECIALS "^$*+?.([%-"

/* ---- captures ---------------------------------------------------------- */

/*
 * Capture i of the match s..e (i 0 without captures: the whole match). Sets
 * *text and returns its length; a position capture pushes its integer and
 * returns RULES_PM_CAP_POS. Raises on a bad index or an unfinished capture.
 */
static ptrdiff_t pm_capture(rules_pm *ms, int i, const char *s, const char *e, const char **text)
{
    if (i >= ms->level) {
        if (i != 0)
            luaL_error(ms->L, "invalid capture index %%%d", i + 1);
        *text = s;
        return e - s;
    }
    *text = ms->cap[i].init;
    if (ms->cap[i].len == RULES_PM_CAP_OPEN)
        luaL_error(ms->L, "unfinished capture");
    if (ms->cap[i].len == RULES_PM_CAP_POS)
        lua_pushinteger(ms->L, (ms->cap[i].init - ms->src) + 1);
    return ms->cap[i].len;
}

/* Pushes capture i of the match s..e (see pm_capture). */
static void pm_push_capture(rules_pm *ms, int i, const char *s, const char *e)
{
    const char *text;
    ptrdiff_t len = pm_capture(ms, i, s, e, &text);
    if (len != RULES_PM_CAP_POS)
        lua_pushlstring(ms->L, text, (size_t)len);
}

/* Pushes every capture (or the whole match when none and s is set); returns the count. */
static int pm_push_captures(rules_pm *ms, const char *s, const char *e)
{
    int n = ms->level == 0 && s ? 1 : ms->level;
    luaL_checkstack(ms->L, n, "too many captures");
    for (int i = 0; i < n; i++)
        pm_push_capture(ms, i, s, e);
    return n;
}

/* ---- the library functions ----------------------------------------------- */

/* Lua 5.4's start index: negative counts from the end; below 1 clips to 1. */
static size_t pm_start(lua_Integer pos, size_t len)
{
    if (pos > 0)
        return (size_t)pos;
    if (pos == 0 || pos < -(lua_Integer)len)
        return 1;
    return len - (size_t)(-pos) + 1;
}

/* True when pattern p has no special character (find may search it as plain text). */
static bool pm_is_plain(const char *p, size_t lp)
{
    for (size_t i = 0; i < lp; i++)
        if (p[i] && strchr(PM_SPECIALS, p[i]))
            return false;
    return true;
}

/* find with plain text p from s + init: pushes start and end, or fail. */
static int pm_find_plain(lua_State *L, const char *s, size_t ls, size_t init, const char *p,
                         size_t lp)
{
    const char *hit = lp == 0 ? s + init : memmem(s + init, ls - init, p, lp);
    if (!hit) {
        luaL_pushfail(L);
        return 1;
    }
    lua_pushinteger(L, (hit - s) + 1);
    lua_pushinteger(L, (lua_Integer)((hit - s) + lp));
    return 2;
}

/* find (want_find) or match: the first match from init; see the Lua manual. */
static int pm_find_aux(lua_State *L, bool want_find)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls), *p = luaL_checklstring(L, 2, &lp);
    size_t init = pm_start(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) {
        luaL_pushfail(L);
        return 1;
    }
    if (want_find && (lua_toboolean(L, 4) || pm_is_plain(p, lp)))
        return pm_find_plain(L, s, ls, init, p, lp);
    rules_pm ms;
    rules_pm_init(&ms, L, s, ls, p + lp);
    bool anchor = lp > 0 && *p == '^';
    const char *s1 = s + init, *e;
    do {
        if ((e = rules_pm_match(&ms, s1, p + anchor)) != NULL) {
            rules_pm_flush(&ms);
            if (!want_find)
                return pm_push_captures(&ms, s1, e);
            luaL_checkstack(L, 2, NULL);
            lua_pushinteger(L, (s1 - s) + 1);
            lua_pushinteger(L, e - s);
            return pm_push_captures(&ms, NULL, NULL) + 2;
        }
    } while (s1++ < ms.src_end && !anchor);
    rules_pm_flush(&ms);
    luaL_pushfail(L);
    return 1;
}

/* string.find(s, pattern [, init [, plain]]): start, end and captures, or fail. */
static int pm_find(lua_State *L)
{
    return pm_find_aux(L, true);
}

/* string.match(s, pattern [, init]): the captures (or whole match), or fail. */
static int pm_match_fn(lua_State *L)
{
    return pm_find_aux(L, false);
}

/*
 * The gmatch iterator. Upvalues: 1 engine, 2 subject, 3 pattern, 4 offset to
 * search from, 5 end offset of the last match (-1: none). Returns the next
 * match's captures, or nothing when there are no more.
 */
static int pm_gmatch_next(lua_State *L)
{
    size_t ls, lp;
    const char *s = lua_tolstring(L, lua_upvalueindex(2), &ls);
    const char *p = lua_tolstring(L, lua_upvalueindex(3), &lp);
    lua_Integer pos = lua_tointeger(L, lua_upvalueindex(4));
    lua_Integer last = lua_tointeger(L, lua_upvalueindex(5));
    rules_pm ms;
    rules_pm_init(&ms, L, s, ls, p + lp);
    for (; pos <= (lua_Integer)ls; pos++) {
        const char *e = rules_pm_match(&ms, s + pos, p);
        if (e && e - s != last) {
            rules_pm_flush(&ms);
            lua_pushinteger(L, e - s);
            lua_copy(L, -1, lua_upvalueindex(4));
            lua_replace(L, lua_upvalueindex(5));
            return pm_push_captures(&ms, s + pos, e);
        }
    }
    rules_pm_flush(&ms);
    return 0;
}

/* string.gmatch(s, pattern [, init]): an iterator over the matches ('^' is literal). */
static int pm_gmatch(lua_State *L)
{
    size_t ls;
    luaL_checklstring(L, 1, &ls);
    luaL_checkstring(L, 2);
    size_t init = pm_start(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls)
        init = ls + 1;
    luaL_checkstack(L, 5, NULL);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_pushinteger(L, (lua_Integer)init);
    lua_pushinteger(L, -1);
    lua_pushcclosure(L, pm_gmatch_next, 5);
    return 1;
}

/* Adds the replacement string (argument 3, %0-%9 and %% expanded) for s..e to b. */
static void pm_add_string(rules_pm *ms, luaL_Buffer *b, const char *s, const char *e)
{
    size_t l;
    const char *r = lua_tolstring(ms->L, 3, &l), *end = r + l, *text;
    while (r < end) {
        const char *pc = memchr(r, PM_ESC, (size_t)(end - r));
        if (!pc) {
            luaL_addlstring(b, r, (size_t)(end - r));
            return;
        }
        luaL_addlstring(b, r, (size_t)(pc - r));
        if (++pc < end && *pc == PM_ESC) {
            luaL_addchar(b, PM_ESC);
        } else if (pc < end && *pc == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (pc < end && isdigit((unsigned char)*pc)) {
            ptrdiff_t n = pm_capture(ms, *pc - '1', s, e, &text);
            if (n == RULES_PM_CAP_POS)
                luaL_addvalue(b);
            else
                luaL_addlstring(b, text, (size_t)n);
        } else {
            luaL_error(ms->L, "invalid use of '%c' in replacement string", PM_ESC);
        }
        r = pc + 1;
    }
}

/*
 * Adds the replacement of match s..e to b for replacement kind tr (string,
 * number, table or function at argument 3). Returns false when the table or
 * function gave false/nil and the match was kept as it was.
 */
static bool pm_add_value(rules_pm *ms, luaL_Buffer *b, const char *s, const char *e, int tr)
{
    lua_State *L = ms->L;
    if (tr == LUA_TFUNCTION) {
        luaL_checkstack(L, 1, NULL);
        lua_pushvalue(L, 3);
        int n = pm_push_captures(ms, s, e);
        rules_pm_flush(ms);
        lua_call(L, n, 1);
    } else if (tr == LUA_TTABLE) {
        pm_push_capture(ms, 0, s, e);
        lua_gettable(L, 3);
    } else {
        pm_add_string(ms, b, s, e);
        return true;
    }
    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return false;
    }
    if (!lua_isstring(L, -1))
        luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
    return true;
}

/* string.gsub(s, pattern, repl [, n]): the new string and the number of matches replaced. */
static int pm_gsub(lua_State *L)
{
    size_t ls, lp;
    const char *src = luaL_checklstring(L, 1, &ls), *p = luaL_checklstring(L, 2, &lp);
    int tr = lua_type(L, 3);
    lua_Integer max_n = luaL_optinteger(L, 4, (lua_Integer)ls + 1), n = 0;
    luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION ||
                     tr == LUA_TTABLE, 3, "string/function/table");
    bool anchor = lp > 0 && *p == '^', changed = false;
    const char *last = NULL, *e;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    rules_pm ms;
    rules_pm_init(&ms, L, src, ls, p + lp);
    while (n < max_n) {
        if ((e = rules_pm_match(&ms, src, p + anchor)) != NULL && e != last) {
            n++;
            changed = pm_add_value(&ms, &b, src, e, tr) || changed;
            src = last = e;
        } else if (src < ms.src_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchor)
            break;
    }
    rules_pm_flush(&ms);
    if (!changed) {
        lua_pushvalue(L, 1);
    } else {
        luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
        luaL_pushresult(&b);
    }
    lua_pushinteger(L, n);
    return 2;
}

/* Sets find, match, gmatch and gsub on the table at idx (see rules_int.h). */
void rules_pattern_install(lua_State *L, int idx, rules_engine *re)
{
    static const luaL_Reg fns[] = {{"find", pm_find}, {"match", pm_match_fn},
                                   {"gmatch", pm_gmatch}, {"gsub", pm_gsub}, {NULL, NULL}};
    idx = lua_absindex(L, idx);
    luaL_checkstack(L, 2, NULL);
    for (const luaL_Reg *f = fns; f->name; f++) {
        lua_pushlightuserdata(L, re);
        lua_pushcclosure(L, f->func, 1);
        lua_setfield(L, idx, f->name);
    }
}
