/*
 * rules_hook.c - the per-transaction hook of rules.h: `transaction(tx, params)`
 * called for every canonical transaction of a file, in one batch per file.
 *
 * Stack during a batch: 1 message handler, 2 the hook, 3 the batch's tx view
 * (rules_view_push_tx), 4 params. The count hook is turned on once per batch
 * (rules_arm); each call only resets the budget (rules_arm_next), points the
 * view at its transaction and calls the hook protected, so a hook that loops
 * or errs fails that file with file:line. A call that keeps the transaction
 * as it is allocates nothing and reads no clock.
 */
#include <stdio.h>
#include <string.h>

#include "rules_int.h"

#define TX_HOOK 2   /* the batch's stack, see above */
#define TX_VIEW 3
#define TX_PARAMS 4
#define TX_R1 5     /* the hook's first result, during rules_tx_call */

bool rules_has_tx_hook(rules_engine *re, const char *partner_id)
{
    const rule_rec *rec = rules_find(re, partner_id);
    if (!rec)
        return false;
    lua_State *L = re->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, rec->ref);
    bool has = rules_rawfield(L, -1, "transaction") == LUA_TFUNCTION;
    lua_pop(L, 2);
    return has;
}

typedef struct tx_begin_job {
    rules_engine *re;
    const rule_rec *rec;
    const param *params;
    int line;
} tx_begin_job;

/* Protected: pushes the hook, the batch's tx view and params (3 results). */
static int tx_begin_run(lua_State *L)
{
    tx_begin_job *job = lua_touserdata(L, 1);
    luaL_checkstack(L, 6, NULL);
    lua_rawgeti(L, LUA_REGISTRYINDEX, job->rec->ref);
    if (rules_rawfield(L, -1, "transaction") != LUA_TFUNCTION)
        luaL_error(L, "%s: transaction is no longer a function", job->rec->path);
    lua_Debug ar;
    lua_pushvalue(L, -1);
    job->line = lua_getinfo(L, ">S", &ar) ? ar.linedefined : 0;
    rules_view_push_tx(L, job->re);
    rules_view_push_params(L, job->params);
    return 3;
}

int rules_tx_begin(rules_engine *re, const char *partner_id, const param *params, char **errmsg)
{
    const rule_rec *rec = rules_find(re, partner_id);
    *errmsg = NULL;
    if (!rec)
        return *errmsg = xasprintf("partner %s: no rule file is loaded", partner_id), -1;
    lua_State *L = re->L;
    rules_reset(re);
    re->tx.batch++;
    lua_pushcfunction(L, rules_msgh);
    lua_pushcfunction(L, tx_begin_run);
    tx_begin_job job = {re, rec, params, 0};
    lua_pushlightuserdata(L, &job);
    int status = lua_pcall(L, 1, 3, 1);
    if (status != LUA_OK) {
        *errmsg = rules_error_text(re, status, rec->path);
        rules_reset(re);
        return -1;
    }
    re->tx.rec = rec;
    re->tx.line = job.line;
    rules_arm(re); /* the count hook stays on until rules_tx_end */
    re->in_rule = false;
    return 0;
}

/* Raises "file:line: transaction: <what>" at the hook's definition. */
static int tx_bad(lua_State *L, const rules_engine *re, const char *what)
{
    return luaL_error(L, "%s:%d: transaction %s", re->tx.rec->path, re->tx.line, what);
}

/* Copies a string result into buf (cut to fit); raises when v is not a string. */
static void tx_text(lua_State *L, const rules_engine *re, int idx, const char *what, char *buf,
                    size_t cap)
{
    size_t n;
    if (lua_type(L, idx) != LUA_TSTRING)
        tx_bad(L, re, what);
    const char *s = lua_tolstring(L, idx, &n);
    n = n < cap - 1 ? n : cap - 1;
    memcpy(buf, s, n);
    buf[n] = 0;
}

/* Reads a canonical type name at idx into out->type. */
static void tx_read_type(lua_State *L, const rules_engine *re, int idx, rules_tx_out *out)
{
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    out->type = tx_type_from_name(s, n);
    if (out->type < 0)
        luaL_error(L, "%s:%d: transaction returned '%s', which is not a canonical type (bet, "
                   "win, refund, win_reversal, bonus, ...)", re->tx.rec->path, re->tx.line, s);
}

/* Reads the table form { type, bucket, skip } at idx. */
static void tx_read_table(lua_State *L, const rules_engine *re, int idx, rules_tx_out *out)
{
    if (rules_rawfield(L, idx, "skip") != LUA_TNIL) {
        out->skip = true;
        tx_text(L, re, -1, "skip must be a reason (a string)", out->reason, sizeof out->reason);
    }
    if (rules_rawfield(L, idx, "type") != LUA_TNIL) {
        if (lua_type(L, -1) != LUA_TSTRING)
            tx_bad(L, re, "type must be a canonical type name");
        tx_read_type(L, re, -1, out);
    }
    if (rules_rawfield(L, idx, "bucket") != LUA_TNIL)
        tx_text(L, re, -1, "bucket must be a string", out->bucket, sizeof out->bucket);
    lua_pop(L, 3);
}

/* Interprets the two results of the hook at r1, r1 + 1. */
static void tx_read(lua_State *L, const rules_engine *re, int r1, rules_tx_out *out)
{
    int t = lua_type(L, r1);
    if (t == LUA_TBOOLEAN && !lua_toboolean(L, r1)) {
        out->skip = true;
        if (lua_isnoneornil(L, r1 + 1))
            snprintf(out->reason, sizeof out->reason, "skipped by rule");
        else
            tx_text(L, re, r1 + 1, "reason after false must be a string", out->reason,
                    sizeof out->reason);
        return;
    }
    if (t == LUA_TTABLE) {
        tx_read_table(L, re, r1, out);
        return;
    }
    if (t == LUA_TSTRING)
        tx_read_type(L, re, r1, out);
    else if (t != LUA_TNIL && t != LUA_TBOOLEAN)
        tx_bad(L, re, "must return nothing, true, false and a reason, a type name, or a table");
    if (!lua_isnoneornil(L, r1 + 1))
        tx_text(L, re, r1 + 1, "bucket must be a string", out->bucket, sizeof out->bucket);
}

typedef struct tx_read_job {
    rules_engine *re;
    rules_tx_out *out;
} tx_read_job;

/* Protected: reads the hook's two results (arguments 1, 2) into out; raises on nonsense. */
static int tx_read_run(lua_State *L)
{
    tx_read_job *job = lua_touserdata(L, 3);
    luaL_checkstack(L, 6, NULL);
    tx_read(L, job->re, 1, job->out);
    return 0;
}

/* True when the results at TX_R1 say "keep it as it is": nothing, nil or true, no bucket. */
static bool tx_kept(lua_State *L)
{
    int t = lua_type(L, TX_R1);
    return lua_isnil(L, TX_R1 + 1) &&
           (t == LUA_TNIL || (t == LUA_TBOOLEAN && lua_toboolean(L, TX_R1)));
}

/* Reads any other answer at TX_R1 in a protected call; returns its status. */
static int tx_read_answer(rules_engine *re, rules_tx_out *out)
{
    lua_State *L = re->L;
    tx_read_job job = {re, out};
    lua_pushcfunction(L, tx_read_run);
    lua_pushvalue(L, TX_R1);
    lua_pushvalue(L, TX_R1 + 1);
    lua_pushlightuserdata(L, &job);
    return lua_pcall(L, 3, 0, 1);
}

int rules_tx_call(rules_engine *re, const rules_tx_in *in, rules_tx_out *out, char **errmsg)
{
    lua_State *L = re->L;
    out->skip = false;
    out->type = -1;
    out->reason[0] = out->bucket[0] = 0;
    *errmsg = NULL;
    if (!re->tx.rec)
        return *errmsg = xasprintf("no transaction hook batch is open"), -1;
    if (!lua_checkstack(L, 6))
        return *errmsg = xasprintf("%s: Lua stack exhausted", re->tx.rec->path), -1;
    lua_pushvalue(L, TX_HOOK);
    lua_pushvalue(L, TX_VIEW);
    lua_pushvalue(L, TX_PARAMS);
    re->tx.in = in;
    rules_arm_next(re);
    int status = lua_pcall(L, 2, 2, 1);
    re->tx.in = NULL;
    re->in_rule = false;
    if (status == LUA_OK && !tx_kept(L))
        status = tx_read_answer(re, out);
    if (status == LUA_OK) {
        lua_settop(L, TX_PARAMS);
        return 0;
    }
    *errmsg = rules_error_text(re, status, re->tx.rec->path);
    rules_tx_end(re);
    return -1;
}

void rules_tx_end(rules_engine *re)
{
    re->tx.rec = NULL;
    rules_reset(re);
}
