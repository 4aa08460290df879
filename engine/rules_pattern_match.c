/*
 * rules_pattern_match.c - the matcher behind rules_pattern.c: Lua 5.4
 * patterns (reference manual section 6.4.1) with a step budget.
 *
 * Every step is counted: entering match(), testing one subject byte against
 * one single-char class, scanning one byte of %b, a frontier test, and a
 * back-reference (1, plus length/64 when the bytes are compared). A call
 * may take RULES_PATTERN_MAX_STEPS steps, fewer when the rule's instruction
 * budget has less left; what it took is charged to that budget. Every
 * PM_TICK steps the rule's deadline is checked. Running out raises "pattern
 * too complex (step limit)" / "(time limit)" and marks the limit tripped
 * (the count hook re-raises it on the next instruction, so pcall cannot
 * swallow it); nesting past PM_MAX_DEPTH raises "pattern too complex" (not
 * a limit: the pattern itself is at fault).
 * No global mutable state: all of it is in the caller's rules_pm.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "rules_int.h"

#define PM_ESC '%'
#define PM_MAX_DEPTH 200       /* match() nesting, as Lua's MAXCCALLS */
#define PM_TICK 65536L         /* steps between deadline checks / budget charges */
#define PM_MSG_STEPS "pattern too complex (step limit)"
#define PM_MSG_TIME "pattern too complex (time limit)"

/* ---- the budget -------------------------------------------------------- */

/* Sets up one call and its step budget (see rules_int.h). */
void rules_pm_init(rules_pm *ms, lua_State *L, const char *s, size_t ls, const char *pat_end)
{
    rules_engine *re = lua_touserdata(L, lua_upvalueindex(1));
    ms->L = L;
    ms->re = re && re->in_rule ? re : NULL;
    ms->src = s;
    ms->src_end = s + ls;
    ms->pat_end = pat_end;
    ms->left = RULES_PATTERN_MAX_STEPS;
    if (ms->re && ms->re->steps_left < ms->left)
        ms->left = ms->re->steps_left > 0 ? ms->re->steps_left : 0;
    ms->chunk = ms->tick = ms->left < PM_TICK ? ms->left : PM_TICK;
}

/* Charges the steps taken since the chunk began to the call and the rule; starts a new chunk. */
void rules_pm_flush(rules_pm *ms)
{
    long used = ms->chunk - ms->tick;
    ms->left -= used;
    if (ms->re)
        ms->re->steps_left -= used;
    ms->chunk = ms->tick = ms->left < 0 ? 0 : ms->left < PM_TICK ? ms->left : PM_TICK;
}

/*
 * Raises limit message `msg` at the caller's line. In a rule call, also marks
 * the limit tripped and sets the count hook to fire on the next instruction,
 * which re-raises it: a pcall around the pattern call cannot swallow it.
 */
static void pm_limit(rules_pm *ms, const char *msg)
{
    lua_Hook hook = lua_gethook(ms->L);
    if (ms->re) {
        ms->re->tripped = msg;
        if (hook)
            lua_sethook(ms->L, hook, lua_gethookmask(ms->L), 1);
    }
    luaL_error(ms->L, "%s", msg);
}

/* End of a chunk: charges it, raises when the budget or the deadline is gone. */
static void pm_tick(rules_pm *ms)
{
    rules_pm_flush(ms);
    if (ms->left < 0)
        pm_limit(ms, PM_MSG_STEPS);
    if (ms->re && rules_past_deadline(ms->re))
        pm_limit(ms, PM_MSG_TIME);
}

/* Takes n steps; raises through pm_tick when the budget runs out. */
static inline void pm_steps(rules_pm *ms, long n)
{
    ms->tick -= n;
    if (ms->tick < 0)
        pm_tick(ms);
}

/* ---- single characters --------------------------------------------------- */

/* True when byte c is in class %cl (%a, %A, ...); any other cl stands for itself. */
static bool pm_class(int c, int cl)
{
    int in;
    switch (tolower(cl)) {
    case 'a': in = isalpha(c); break;
    case 'c': in = iscntrl(c); break;
    case 'd': in = isdigit(c); break;
    case 'g': in = isgraph(c); break;
    case 'l': in = islower(c); break;
    case 'p': in = ispunct(c); break;
    case 's': in = isspace(c); break;
    case 'u': in = isupper(c); break;
    case 'w': in = isalnum(c); break;
    case 'x': in = isxdigit(c); break;
    case 'z': in = c == 0; break; /* deprecated, but stock Lua 5.4 still has it */
    default: return cl == c;
    }
    return isupper(cl) ? !in : in != 0;
}

/* True when byte c is in the set from p ('[') to ec (its closing ']'). */
static bool pm_set(int c, const char *p, const char *ec)
{
    bool want = true;
    if (p[1] == '^') {
        want = false;
        p++;
    }
    while (++p < ec) {
        if (*p == PM_ESC) {
            p++;
            if (pm_class(c, (unsigned char)*p))
                return want;
        } else if (p[1] == '-' && p + 2 < ec) {
            if ((unsigned char)p[0] <= c && c <= (unsigned char)p[2])
                return want;
            p += 2;
        } else if ((unsigned char)*p == c) {
            return want;
        }
    }
    return !want;
}

/* Past the single-character class at p (a char, %x or a set). Raises if malformed. */
static const char *pm_item_end(rules_pm *ms, const char *p)
{
    char c = *p++;
    if (c == PM_ESC) {
        if (p >= ms->pat_end)
            luaL_error(ms->L, "malformed pattern (ends with '%%')");
        return p + 1;
    }
    if (c != '[')
        return p;
    if (p < ms->pat_end && *p == '^')
        p++;
    do { /* the first character is always part of the set, even ']' */
        if (p >= ms->pat_end)
            luaL_error(ms->L, "malformed pattern (missing ']')");
        if (*p++ == PM_ESC && p < ms->pat_end)
            p++;
    } while (p >= ms->pat_end || *p != ']');
    return p + 1;
}

/* One step: true when the subject byte at s matches the class p..ep. */
static bool pm_single(rules_pm *ms, const char *s, const char *p, const char *ep)
{
    pm_steps(ms, 1);
    if (s >= ms->src_end)
        return false;
    int c = (unsigned char)*s;
    switch (*p) {
    case '.': return true;
    case PM_ESC: return pm_class(c, (unsigned char)p[1]);
    case '[': return pm_set(c, p, ep - 1);
    default: return (unsigned char)*p == c;
    }
}

/* ---- the matcher --------------------------------------------------------- */

static const char *pm_match(rules_pm *ms, const char *s, const char *p);

/* %bxy at p (past "%b"): end of the balanced run at s, or NULL. */
static const char *pm_balance(rules_pm *ms, const char *s, const char *p)
{
    if (p + 1 >= ms->pat_end)
        luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= ms->src_end || *s != *p)
        return NULL;
    long open = 1;
    while (++s < ms->src_end) {
        pm_steps(ms, 1);
        if (*s == p[1]) {
            if (--open == 0)
                return s + 1;
        } else if (*s == p[0]) {
            open++;
        }
    }
    return NULL;
}

/* %f[set] at p (past "%f"): the pattern after the set when s is a frontier, else NULL. */
static const char *pm_frontier(rules_pm *ms, const char *s, const char *p)
{
    if (p >= ms->pat_end || *p != '[')
        luaL_error(ms->L, "missing '[' after '%%f' in pattern");
    const char *ep = pm_item_end(ms, p);
    int prev = s == ms->src ? 0 : (unsigned char)s[-1];
    int cur = s < ms->src_end ? (unsigned char)*s : 0;
    pm_steps(ms, 1);
    return !pm_set(prev, p, ep - 1) && pm_set(cur, p, ep - 1) ? ep : NULL;
}

/* %1-%9 (digit d): end of a copy of that capture at s, or NULL. Raises on a bad index. */
static const char *pm_backref(rules_pm *ms, const char *s, int d)
{
    int l = d - '1';
    if (l < 0 || l >= ms->level || ms->cap[l].len == RULES_PM_CAP_OPEN)
        luaL_error(ms->L, "invalid capture index %%%d", l + 1);
    ptrdiff_t len = ms->cap[l].len;
    pm_steps(ms, 1);
    if (len < 0 || ms->src_end - s < len) /* a position capture never matches */
        return NULL;
    pm_steps(ms, len / 64); /* the comparison itself */
    return memcmp(ms->cap[l].init, s, (size_t)len) == 0 ? s + len : NULL;
}

/* Opens capture `what` (RULES_PM_CAP_OPEN or RULES_PM_CAP_POS) at s and matches the rest. */
static const char *pm_open(rules_pm *ms, const char *s, const char *p, ptrdiff_t what)
{
    if (ms->level >= RULES_PM_MAX_CAPTURES)
        luaL_error(ms->L, "too many captures");
    ms->cap[ms->level].init = s;
    ms->cap[ms->level].len = what;
    ms->level++;
    const char *r = pm_match(ms, s, p);
    if (!r)
        ms->level--;
    return r;
}

/* Closes the innermost open capture at s and matches the rest. */
static const char *pm_close(rules_pm *ms, const char *s, const char *p)
{
    int l = ms->level - 1;
    while (l >= 0 && ms->cap[l].len != RULES_PM_CAP_OPEN)
        l--;
    if (l < 0)
        luaL_error(ms->L, "invalid pattern capture");
    ms->cap[l].len = s - ms->cap[l].init;
    const char *r = pm_match(ms, s, p);
    if (!r)
        ms->cap[l].len = RULES_PM_CAP_OPEN;
    return r;
}

/* Greedy x* (or x+ after its first x): longest run first, then shorter. */
static const char *pm_max(rules_pm *ms, const char *s, const char *p, const char *ep)
{
    ptrdiff_t i = 0;
    while (pm_single(ms, s + i, p, ep))
        i++;
    for (; i >= 0; i--) {
        const char *r = pm_match(ms, s + i, ep + 1);
        if (r)
            return r;
    }
    return NULL;
}

/* Lazy x-: shortest run first, one more x per failure. */
static const char *pm_min(rules_pm *ms, const char *s, const char *p, const char *ep)
{
    for (;;) {
        const char *r = pm_match(ms, s, ep + 1);
        if (r)
            return r;
        if (!pm_single(ms, s, p, ep))
            return NULL;
        s++;
    }
}

/*
 * A single-char class with its optional quantifier at *p. Returns true to go
 * on with the advanced *s and *p, false when *s is the final result.
 */
static bool pm_quantified(rules_pm *ms, const char **s, const char **p)
{
    const char *ep = pm_item_end(ms, *p), *r;
    char q = ep < ms->pat_end ? *ep : 0;
    if (!pm_single(ms, *s, *p, ep)) {
        if (q == '*' || q == '?' || q == '-') {
            *p = ep + 1;
            return true;
        }
        *s = NULL;
        return false;
    }
    switch (q) {
    case '?':
        if ((r = pm_match(ms, *s + 1, ep + 1)) != NULL) {
            *s = r;
            return false;
        }
        *p = ep + 1;
        return true;
    case '+': *s = pm_max(ms, *s + 1, *p, ep); return false;
    case '*': *s = pm_max(ms, *s, *p, ep); return false;
    case '-': *s = pm_min(ms, *s, *p, ep); return false;
    default: (*s)++; *p = ep; return true;
    }
}

/* %b, %f or %1-%9 at *p; same contract as pm_quantified. */
static bool pm_escape(rules_pm *ms, const char **s, const char **p)
{
    const char *q = *p;
    if (q[1] == 'b') {
        *s = pm_balance(ms, *s, q + 2);
        *p = q + 4;
    } else if (q[1] == 'f') {
        const char *next = pm_frontier(ms, *s, q + 2);
        if (next)
            *p = next;
        else
            *s = NULL;
    } else {
        *s = pm_backref(ms, *s, (unsigned char)q[1]);
        *p = q + 2;
    }
    return *s != NULL;
}

/* One pattern item at *p; same contract as pm_quantified. */
static bool pm_item(rules_pm *ms, const char **s, const char **p)
{
    const char *q = *p;
    switch (*q) {
    case '(':
        if (q + 1 < ms->pat_end && q[1] == ')')
            *s = pm_open(ms, *s, q + 2, RULES_PM_CAP_POS);
        else
            *s = pm_open(ms, *s, q + 1, RULES_PM_CAP_OPEN);
        return false;
    case ')':
        *s = pm_close(ms, *s, q + 1);
        return false;
    case '$':
        if (q + 1 != ms->pat_end)
            break;
        if (*s != ms->src_end)
            *s = NULL;
        return false;
    case PM_ESC:
        if (q + 1 < ms->pat_end && (q[1] == 'b' || q[1] == 'f' || isdigit((unsigned char)q[1])))
            return pm_escape(ms, s, p);
        break;
    }
    return pm_quantified(ms, s, p);
}

/*
 * Matches pattern p (to ms->pat_end) at s. Returns the end of the match or
 * NULL. Raises on a malformed pattern, nesting past PM_MAX_DEPTH or the budget.
 */
static const char *pm_match(rules_pm *ms, const char *s, const char *p)
{
    if (ms->depth-- == 0)
        luaL_error(ms->L, "pattern too complex");
    pm_steps(ms, 1);
    while (p < ms->pat_end && pm_item(ms, &s, &p))
        ;
    ms->depth++;
    return s;
}

/* One match attempt of pattern p at s (see rules_int.h). */
const char *rules_pm_match(rules_pm *ms, const char *s, const char *p)
{
    ms->level = 0;
    ms->depth = PM_MAX_DEPTH;
    return pm_match(ms, s, p);
}
