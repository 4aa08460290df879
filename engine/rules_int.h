/*
 * rules_int.h - private to the rules module (rules.c, rules_money.c,
 * rules_view.c): the engine struct, sandbox limits and the functions the three
 * files share. Nothing outside engine/rules*.c includes this header.
 *
 * Memory: the engine owns its lua_State and every string in `rule_rec`.
 * Lua values live in the state; C code keeps them only through registry refs.
 * Every C function that touches Lua may raise a Lua error; the only entry
 * points that run them do so inside lua_pcall (rules.c: rl_protected).
 */
#ifndef SETTLE_RULES_INT_H
#define SETTLE_RULES_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <lauxlib.h>
#include <lua.h>

#include "rules.h"

/* Sandbox limits (per call of a chunk or settle(); memory is per state). */
#define RULES_MAX_INSTRUCTIONS 100000000 /* VM instructions per call */
#define RULES_MAX_SECONDS 5              /* wall clock per call */
#define RULES_MAX_MEMORY_MIB 64          /* MiB held by the whole state */
#define RULES_MAX_MEMORY ((size_t)RULES_MAX_MEMORY_MIB << 20)
#define RULES_MEMORY_SLACK ((size_t)16 << 20) /* hard cap above the limit, see rules.c */
#define RULES_MAX_FILE (1u << 20)        /* bytes of one rule file */
#define RULES_MAX_LINES 10000            /* statement lines one settle() may return */
#define RULES_HOOK_EVERY 1000            /* instructions between limit checks */

/* One loaded rule file, per partner. */
typedef struct rule_rec {
    char *partner;   /* owned */
    char *path;      /* owned; as given to rules_load */
    int ref;         /* registry ref of the table the chunk returned */
    int settle_line; /* line where settle() is defined, for result errors */
} rule_rec;

struct rules_engine {
    lua_State *L;
    size_t mem_used;     /* bytes held by the state (allocator count) */
    bool mem_hit;        /* an allocation was refused since the last call */
    long steps_left;     /* instruction budget of the running call */
    struct timespec deadline;
    const char *tripped; /* limit message once a limit is hit, else NULL */
    bool in_rule;        /* rule code is running (tracebacks are useful) */
    char where[96];      /* "path:line:" last seen by the hook */
    int exponent;        /* of the running settle()'s currency; -1 outside settle() */
    rule_rec *rules;     /* owned array */
    size_t n_rules, cap_rules;
};

/*
 * Pushes t[k] for the table at `idx` without metamethods (rule tables may
 * carry any metatable; C code reading them must never run rule code outside
 * the limits). Returns the value's type. Raises only on out of memory.
 */
static inline int rules_rawfield(lua_State *L, int idx, const char *k)
{
    idx = lua_absindex(L, idx);
    lua_pushstring(L, k);
    return lua_rawget(L, idx);
}

/* rules.c: the engine behind a C function's upvalue 1 (set by the library builders). */
rules_engine *rules_engine_of(lua_State *L);

/* rules_money.c: pushes a new `money` library table (one per rule environment). */
void rules_money_push(lua_State *L);
/* rules_money.c: sets the sandbox's print/setmetatable and metatable on the env on top. */
void rules_base_set(lua_State *L, const char *path);

/* rules_view.c: pushes the `p` table for one statement (st->agg must be set). */
void rules_view_push_period(lua_State *L, const statement *st);
/* rules_view.c: pushes `params` built from a PARAM_MAP tree (NULL -> empty table). */
void rules_view_push_params(lua_State *L, const param *params);
/*
 * rules_view.c: checks the table settle() returned (stack top) and, only when
 * all of it is valid, appends its lines to st and sets payable and carry_out.
 * Raises "<where> settle() returned ..." on the first problem; `where` is the
 * "path:line:" prefix of the settle function.
 */
void rules_view_read_result(lua_State *L, const char *where, statement *st);
/* rules_view.c: frees and forgets st's lines (no Lua involved). */
void rules_view_drop_lines(statement *st);

#endif
