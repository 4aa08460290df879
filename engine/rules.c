/*
 * rules.c - the Lua rule engine: one sandboxed lua_State per run, rule files
 * compiled from text into their own environments, settle() called under
 * instruction, time and memory limits (SPEC section 5).
 *
 * How the sandbox holds:
 *   - The state is made with rl_alloc, which counts every byte. Past
 *     RULES_MAX_MEMORY the count hook raises "memory limit exceeded" at the
 *     rule's file:line; past RULES_MAX_MEMORY + RULES_MEMORY_SLACK allocations
 *     are refused outright and Lua raises a memory error.
 *   - Only base, string, table, math and utf8 are opened, and rule code never
 *     sees the real globals: each rule file gets a fresh environment holding
 *     an allow-list (rules_sandbox_env, rules_sandbox.c) and its own copies of the library tables.
 *     The string metatable is locked and points at a sealed string table
 *     without `dump`.
 *   - A count hook checks the instruction budget, the wall clock and memory
 *     every RULES_HOOK_EVERY instructions. Once a limit trips, the hook fires
 *     on every instruction, so a rule cannot swallow the error with pcall.
 *   - The hook never fires inside C functions, so string.find, match, gmatch
 *     and gsub are settle's own (rules_pattern.c): they count matcher steps
 *     against the same budget and deadline and raise "pattern too complex".
 *   - Every Lua API call runs inside rl_protected, so no error (not even out
 *     of memory) escapes to the panic handler; afterwards the stack, hook and
 *     limits are reset and garbage is collected, and the next partner settles
 *     in a clean state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lualib.h>

#include "rules_int.h"

#define RL_STR_(x) #x
#define RL_STR(x) RL_STR_(x)
#define RL_MSG_STEPS "instruction limit exceeded (" RL_STR(RULES_MAX_INSTRUCTIONS) \
    " per call); look for a loop that never ends"
#define RL_MSG_TIME "time limit exceeded (" RL_STR(RULES_MAX_SECONDS) " s per call)"
#define RL_MSG_MEMORY "memory limit exceeded (" RL_STR(RULES_MAX_MEMORY_MIB) " MiB per run); " \
    "look for a table or string that grows without bound"

/* ---- the state -------------------------------------------------------- */

/*
 * lua_Alloc that counts bytes in re->mem_used. Refuses (returns NULL, sets
 * re->mem_hit) any growth past the hard cap; Lua turns that into a memory
 * error. Frees when nsize is 0. Never exits: a real malloc failure is also
 * reported to Lua as a memory error.
 */
static void *rl_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    rules_engine *re = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        re->mem_used -= old;
        return NULL;
    }
    bool over = nsize > old && re->mem_used - old + nsize > RULES_MAX_MEMORY + RULES_MEMORY_SLACK;
    void *p = over ? NULL : realloc(ptr, nsize);
    re->mem_hit |= over;
    if (p)
        re->mem_used = re->mem_used - old + nsize;
    return p;
}

/* Panic handler: an error escaped every pcall (a bug). Prints it and exits 3. */
static int rl_panic(lua_State *L)
{
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "settle: unprotected Lua error: %s\n", msg ? msg : "?");
    exit(EXIT_FAILED);
}

/* Returns the engine stored in the state's extra space by rules_open. */
rules_engine *rules_engine_of(lua_State *L)
{
    return *(rules_engine **)lua_getextraspace(L);
}

/* ---- limits ----------------------------------------------------------- */

/* True when time a is at or after time b. */
static bool rl_later(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec >= b->tv_nsec);
}

/*
 * Charges one hook interval to the budget and returns the message of the
 * limit now exceeded (instructions, memory, time), or NULL.
 */
static const char *rl_limit_hit(rules_engine *re)
{
    re->steps_left -= RULES_HOOK_EVERY;
    if (re->steps_left < 0)
        return RL_MSG_STEPS;
    if (re->mem_used > RULES_MAX_MEMORY)
        lua_gc(re->L, LUA_GCCOLLECT); /* garbage is not over the limit; live data is */
    if (re->mem_used > RULES_MAX_MEMORY)
        return RL_MSG_MEMORY;
    return rules_past_deadline(re) ? RL_MSG_TIME : NULL;
}

/* True when the running call is past its deadline; sets a pending deadline instead. */
bool rules_past_deadline(rules_engine *re)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!re->deadline_pending)
        return rl_later(&now, &re->deadline);
    re->deadline = now;
    re->deadline.tv_sec += RULES_MAX_SECONDS;
    re->deadline_pending = false;
    return false;
}

/*
 * Count hook: notes where the rule is (for memory errors, which carry no
 * position) and raises "file:line: <limit> exceeded" once a limit trips.
 * After that it fires on every instruction, so pcall cannot swallow it.
 */
static void rl_hook(lua_State *L, lua_Debug *ar)
{
    rules_engine *re = rules_engine_of(L);
    if (!re->tripped)
        re->tripped = rl_limit_hit(re);
    if (!re->tripped) {
        if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
            snprintf(re->where, sizeof re->where, "%s:%d:", ar->short_src, ar->currentline);
        return;
    }
    lua_sethook(L, rl_hook, LUA_MASKCOUNT, 1);
    luaL_checkstack(L, 3, NULL);
    luaL_where(L, 0); /* level 0 in a hook is the rule function it interrupted */
    lua_pushstring(L, re->tripped);
    lua_concat(L, 2);
    lua_error(L);
}

/* Arms the limits for one call: full budget, new deadline, hook on. */
void rules_arm(rules_engine *re)
{
    re->steps_left = RULES_MAX_INSTRUCTIONS;
    re->tripped = NULL;
    re->where[0] = 0;
    clock_gettime(CLOCK_MONOTONIC, &re->deadline);
    re->deadline.tv_sec += RULES_MAX_SECONDS;
    re->deadline_pending = false;
    lua_sethook(re->L, rl_hook, LUA_MASKCOUNT, RULES_HOOK_EVERY);
    re->in_rule = true;
}

/*
 * Arms the next call of a hook batch (hook already on): full budget, the
 * deadline pending. The count carries over from the last call, so the first
 * check may come early and charge a whole interval: at most
 * RULES_HOOK_EVERY instructions too many, never too few.
 */
void rules_arm_next(rules_engine *re)
{
    re->steps_left = RULES_MAX_INSTRUCTIONS;
    re->deadline_pending = true;
    re->where[0] = 0;
    re->in_rule = true;
}

/*
 * Calls the function below `nargs` arguments on the stack with the limits
 * armed (fresh budget and deadline), leaving `nres` results. Raises whatever
 * the rule raises; rl_protected disarms the limits in that case.
 */
static void rl_call(rules_engine *re, int nargs, int nres)
{
    rules_arm(re);
    lua_call(re->L, nargs, nres);
    re->in_rule = false;
    lua_sethook(re->L, NULL, 0, 0);
}

/* Replaces the traceback on top by one without the engine's own last frame. */
static void rl_trim_traceback(lua_State *L)
{
    static const char tail[] = "\n\t[C]: in ?";
    size_t n, k = sizeof tail - 1;
    const char *tb = lua_tolstring(L, -1, &n);
    if (n > k && memcmp(tb + n - k, tail, k) == 0)
        lua_pushlstring(L, tb, n - k);
}

/*
 * Message handler: turns any error value into a string and, for errors
 * raised while rule code runs, appends a traceback. Returns the new message.
 */
int rules_msgh(lua_State *L)
{
    luaL_checkstack(L, 4, NULL);
    const char *msg = lua_tostring(L, 1);
    if (!msg)
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    if (!rules_engine_of(L)->in_rule) {
        lua_pushstring(L, msg);
        return 1;
    }
    luaL_traceback(L, L, msg, 1);
    rl_trim_traceback(L);
    return 1;
}

/*
 * The text of a failed protected call (caller frees). Memory errors have no
 * position of their own: they get the last place the hook saw, else `path`.
 */
char *rules_error_text(rules_engine *re, int status, const char *path)
{
    if (status == LUA_ERRMEM || (status == LUA_ERRERR && re->mem_hit)) {
        if (re->where[0])
            return xasprintf("%s %s", re->where, RL_MSG_MEMORY);
        return xasprintf("%s: %s", path, RL_MSG_MEMORY);
    }
    const char *msg = lua_tostring(re->L, -1);
    return xstrdup(msg ? msg : "(error without a message)");
}

/* Puts the state back to rest: empty stack, no hook, no limit, garbage freed. */
void rules_reset(rules_engine *re)
{
    lua_settop(re->L, 0);
    lua_sethook(re->L, NULL, 0, 0);
    re->in_rule = false;
    re->tripped = NULL;
    re->exponent = -1;
    re->where[0] = 0;
    lua_gc(re->L, LUA_GCCOLLECT);
    re->mem_hit = false;
}

/*
 * Runs f(ud) in protected mode with rules_msgh. Returns 0, or -1 with the
 * message in *err (caller frees). Always leaves the state reset.
 */
static int rl_protected(rules_engine *re, lua_CFunction f, void *ud, const char *path, char **err)
{
    lua_State *L = re->L;
    rules_reset(re);
    lua_pushcfunction(L, rules_msgh);
    lua_pushcfunction(L, f);
    lua_pushlightuserdata(L, ud);
    int status = lua_pcall(L, 1, 0, 1);
    if (status != LUA_OK)
        *err = rules_error_text(re, status, path);
    rules_reset(re);
    return status == LUA_OK ? 0 : -1;
}

/* ---- open / close ----------------------------------------------------- */

/* Opens the state with the allowed libraries. Never NULL; OOM exits 3. */
rules_engine *rules_open(void)
{
    rules_engine *re = xcalloc(1, sizeof *re);
    char *err = NULL;
    re->exponent = -1;
    re->L = lua_newstate(rl_alloc, re);
    if (re->L) {
        *(rules_engine **)lua_getextraspace(re->L) = re;
        lua_atpanic(re->L, rl_panic);
    }
    if (!re->L || rl_protected(re, rules_sandbox_setup, NULL, "rules", &err) != 0) {
        fprintf(stderr, "settle: cannot start Lua: %s\n", err ? err : "out of memory");
        exit(EXIT_FAILED);
    }
    return re;
}

/* Closes the state and frees the engine and its records. NULL is a no-op. */
void rules_close(rules_engine *re)
{
    if (!re)
        return;
    lua_close(re->L);
    for (size_t i = 0; i < re->n_rules; i++) {
        free(re->rules[i].partner);
        free(re->rules[i].path);
    }
    free(re->rules);
    free(re);
}

/* Sets the borrowed rates table rules read through money.convert (NULL: none). */
void rules_set_fx(rules_engine *re, const fx_table *fx)
{
    re->fx = fx;
}

/* Sets the borrowed tax table rules read through tax.rate / tax.apply (NULL: none). */
void rules_set_tax(rules_engine *re, const tax_table *t)
{
    re->tax = t;
}

/* The record of `partner`, or NULL when none was loaded. */
rule_rec *rules_find(rules_engine *re, const char *partner)
{
    for (size_t i = 0; i < re->n_rules; i++)
        if (strcmp(re->rules[i].partner, partner) == 0)
            return &re->rules[i];
    return NULL;
}

/* Appends a zeroed record for `partner` (id copied) and returns it. */
static rule_rec *rl_new_rec(rules_engine *re, const char *partner)
{
    if (re->n_rules == re->cap_rules) {
        re->cap_rules = re->cap_rules ? 2 * re->cap_rules : 8;
        re->rules = xrealloc(re->rules, re->cap_rules * sizeof *re->rules);
    }
    rule_rec *r = &re->rules[re->n_rules++];
    memset(r, 0, sizeof *r);
    r->partner = xstrdup(partner);
    return r;
}

/* Records (or replaces) the loaded rule table `ref` of a partner; copies strings. */
static void rl_keep(rules_engine *re, const char *partner, const char *path, int ref, int line)
{
    rule_rec *r = rules_find(re, partner);
    if (r) {
        luaL_unref(re->L, LUA_REGISTRYINDEX, r->ref);
        free(r->path);
    } else {
        r = rl_new_rec(re, partner);
    }
    r->path = xstrdup(path);
    r->ref = ref;
    r->settle_line = line;
}

/* ---- loading ---------------------------------------------------------- */

typedef struct rl_load_job {
    rules_engine *re;
    const char *path;
    const char *buf;
    size_t n;
    int ref;         /* out: registry ref of the returned table */
    int settle_line; /* out */
} rl_load_job;

/*
 * Reads a rule file of at most RULES_MAX_FILE bytes. Returns a malloc'd
 * buffer (caller frees) and its size, or NULL with a message in `d`.
 */
static char *rl_read_file(const char *path, size_t *n, diag *d)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        diag_add(d, path, 0, 0, "cannot read rule file: %s", strerror(errno));
        return NULL;
    }
    char *buf = xmalloc(RULES_MAX_FILE + 1);
    *n = fread(buf, 1, RULES_MAX_FILE + 1, f);
    bool bad = ferror(f), big = *n > RULES_MAX_FILE;
    fclose(f);
    if (bad || big) {
        diag_add(d, path, 0, 0, bad ? "cannot read rule file" : "rule file is larger than 1 MiB");
        free(buf);
        return NULL;
    }
    return buf;
}

/* Raises unless the rule table on top has no `transaction` or a function there. */
static void rl_check_transaction(lua_State *L, const char *path)
{
    if (rules_rawfield(L, -1, "transaction") != LUA_TNIL && !lua_isfunction(L, -1))
        luaL_error(L, "%s: `transaction` must be a function (it is a %s)", path,
                   luaL_typename(L, -1));
    lua_pop(L, 1);
}

/*
 * Checks the chunk's result (stack top) is a table with a settle function
 * and an optional transaction function; records settle's line. Raises
 * "path: ..." otherwise. Leaves the table on top.
 */
static void rl_check_module(lua_State *L, rl_load_job *job)
{
    lua_Debug ar;
    luaL_checkstack(L, 3, NULL);
    if (!lua_istable(L, -1))
        luaL_error(L, "%s: the rule file must end with return { settle = function(p, params) "
                      "... end } (it returned %s)", job->path, luaL_typename(L, -1));
    rl_check_transaction(L, job->path);
    if (rules_rawfield(L, -1, "settle") != LUA_TFUNCTION)
        luaL_error(L, "%s: the returned table has no settle function (settle is %s)",
                   job->path, luaL_typename(L, -1));
    lua_getinfo(L, ">S", &ar);
    job->settle_line = ar.linedefined;
}

/*
 * Pushes the rule text compiled (text only, chunk name "@path") as a function
 * whose _ENV is a fresh environment (stack: chunk name, function). Raises
 * the syntax error, or a clear message for a binary chunk.
 */
static void rl_compile(lua_State *L, rl_load_job *job)
{
    if (job->n > 0 && job->buf[0] == LUA_SIGNATURE[0])
        luaL_error(L, "%s: is a compiled (binary) Lua chunk; rule files are loaded as "
                      "source text only", job->path);
    const char *chunk = lua_pushfstring(L, "@%s", job->path);
    if (luaL_loadbufferx(L, job->buf, job->n, chunk, "t") != LUA_OK)
        lua_error(L);
    rules_sandbox_env(L, job->path);
    lua_setupvalue(L, -2, 1);
}

/*
 * Protected: compiles the rule text (text only) into a fresh environment,
 * runs the chunk under limits, checks what it returned and refs it.
 */
static int rl_load_job_run(lua_State *L)
{
    rl_load_job *job = lua_touserdata(L, 1);
    luaL_checkstack(L, 6, NULL);
    rl_compile(L, job);
    rl_call(job->re, 0, 1);
    rl_check_module(L, job);
    lua_settop(L, 3);
    job->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

/* Adds the first line of `err` (already "path:line: ...") to d, frees it; returns -1. */
static int rl_diag_take(diag *d, char *err)
{
    err[strcspn(err, "\n")] = 0;
    diag_add(d, NULL, 0, 0, "%s", err);
    free(err);
    return -1;
}

/*
 * Loads `path` for partner `partner_id` (see rules.h). The hash is of the
 * exact bytes compiled. Returns 0, or -1 with one message in `d`.
 */
int rules_load(rules_engine *re, const char *partner_id, const char *path, char hex[65], diag *d)
{
    size_t n = 0;
    char *buf = rl_read_file(path, &n, d);
    if (!buf)
        return -1;
    unsigned char digest[32];
    sha256_mem(buf, n, digest);
    sha256_hex(digest, hex);
    rl_load_job job = {re, path, buf, n, LUA_NOREF, 0};
    char *err = NULL;
    int rc = rl_protected(re, rl_load_job_run, &job, path, &err);
    free(buf);
    if (rc != 0)
        return rl_diag_take(d, err);
    rl_keep(re, partner_id, path, job.ref, job.settle_line);
    return 0;
}

/* ---- settling --------------------------------------------------------- */

typedef struct rl_settle_job {
    rules_engine *re;
    const rule_rec *rec;
    const param *params;
    statement *st;
} rl_settle_job;

/* Pushes the partner's rule table and its settle function, or raises. */
static void rl_push_settle(lua_State *L, const rule_rec *rec)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, rec->ref);
    if (rules_rawfield(L, -1, "settle") != LUA_TFUNCTION)
        luaL_error(L, "%s: settle is no longer a function (the rule replaced it)", rec->path);
}

/* Pushes and returns "path:line:" of the settle function (for result errors). */
static const char *rl_push_where(lua_State *L, const rule_rec *rec)
{
    if (rec->settle_line > 0)
        return lua_pushfstring(L, "%s:%d:", rec->path, rec->settle_line);
    return lua_pushfstring(L, "%s:", rec->path);
}

/*
 * Protected: builds p and params, calls settle(p, params) under limits and
 * reads the result into the statement (rules_view_read_result).
 */
static int rl_settle_job_run(lua_State *L)
{
    rl_settle_job *job = lua_touserdata(L, 1);
    luaL_checkstack(L, 8, NULL);
    rl_push_settle(L, job->rec);
    rules_view_push_period(L, job->st);
    rules_view_push_params(L, job->params);
    job->re->exponent = job->st->agg->exponent; /* money's settlement currency */
    rl_call(job->re, 2, 1);
    const char *where = rl_push_where(L, job->rec);
    lua_insert(L, -2);
    rules_view_read_result(L, where, job->st);
    return 0;
}

/*
 * Runs the partner's settle() for st (see rules.h). Returns 0, or -1 with
 * "file:line: message" plus traceback in *errmsg (caller frees).
 */
int rules_settle(rules_engine *re, const char *partner_id, const param *params, statement *st,
                 char **errmsg)
{
    *errmsg = NULL;
    const rule_rec *rec = rules_find(re, partner_id);
    if (!rec) {
        *errmsg = xasprintf("partner %s: no rule file is loaded", partner_id);
        return -1;
    }
    if (!st->agg) {
        *errmsg = xasprintf("%s: no period to settle for partner %s", rec->path, partner_id);
        return -1;
    }
    rl_settle_job job = {re, rec, params, st};
    if (rl_protected(re, rl_settle_job_run, &job, rec->path, errmsg) == 0)
        return 0;
    rules_view_drop_lines(st);
    return -1;
}
