/*
 * rules_int.h - private to the rules module (rules.c, rules_money.c,
 * rules_view.c, rules_pattern.c): the engine struct, sandbox limits and the
 * functions these files share. Nothing outside engine/rules*.c includes this
 * header, except tests/unit/test_pattern.c (for rules_pattern_install).
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

#include "money.h"
#include "fx.h"
#include "rules.h"

/* Sandbox limits (per call of a chunk, settle() or the hook; memory is per state). */
#define RULES_MAX_INSTRUCTIONS 100000000 /* VM instructions per call */
#define RULES_MAX_SECONDS 5              /* wall clock per call */
#define RULES_MAX_MEMORY_MIB 64          /* MiB held by the whole state */
#define RULES_MAX_MEMORY ((size_t)RULES_MAX_MEMORY_MIB << 20)
#define RULES_MEMORY_SLACK ((size_t)16 << 20) /* hard cap above the limit, see rules.c */
#define RULES_MAX_FILE (1u << 20)        /* bytes of one rule file */
#define RULES_MAX_LINES 10000            /* statement lines one settle() may return */
#define RULES_HOOK_EVERY 1000            /* instructions between limit checks */
#define RULES_TX_FIELDS 10               /* fields of the hook's tx view, see rules_view.c */
#define RULES_PATTERN_MAX_STEPS 10000000L /* matcher steps per pattern call, see rules_pattern.c */

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
    bool deadline_pending; /* the running call's deadline is set at its first check */
    const char *tripped; /* limit message once a limit is hit, else NULL */
    bool in_rule;        /* rule code is running (tracebacks are useful) */
    char where[96];      /* "path:line:" last seen by the hook */
    int exponent;        /* of the running settle()'s currency; -1 outside settle() */
    const tax_table *tax; /* borrowed (rules_set_tax); NULL: no tax table configured */
    const fx_table *fx;  /* borrowed (rules_set_fx); NULL: no rates table configured */
    struct {             /* the open transaction-hook batch (rules_hook.c) */
        const rule_rec *rec; /* NULL when none is open */
        int line;        /* where the hook is defined */
        const rules_tx_in *in; /* the running call's transaction (borrowed); else NULL */
        unsigned batch;  /* number of the batch, kept in its tx view */
        const char *keys[RULES_TX_FIELDS]; /* tx field names, interned (rules_view.c) */
        char cur[4];     /* currency and day whose strings the tx view has cached */
        int32_t day;
    } tx;
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

/* rules.c: the loaded rule of a partner, or NULL. */
rule_rec *rules_find(rules_engine *re, const char *partner);
/* rules.c: arms the limits for one call of rule code (full budget, new deadline, hook on). */
void rules_arm(rules_engine *re);
/*
 * rules.c: arms the next call of a transaction-hook batch, whose count hook
 * rules_arm already turned on: full budget; the deadline is set when the call
 * first checks it (rules_past_deadline), so no clock is read per call.
 */
void rules_arm_next(rules_engine *re);
/*
 * rules.c: true when the running call is past its deadline. The first check
 * of a call armed by rules_arm_next sets the deadline instead (now + the limit).
 */
bool rules_past_deadline(rules_engine *re);
/* rules.c: puts the state back to rest (empty stack, no hook, garbage collected). */
void rules_reset(rules_engine *re);
/* rules.c: message handler for lua_pcall: the message with a traceback while a rule runs. */
int rules_msgh(lua_State *L);
/* rules.c: the text of a failed protected call (caller frees); memory errors get a place. */
char *rules_error_text(rules_engine *re, int status, const char *path);

/* rules.c: the engine behind a C function's upvalue 1 (set by the library builders). */
rules_engine *rules_engine_of(lua_State *L);

/*
 * rules_money.c: argument checks shared by the libraries. Each raises a
 * message naming `fn` (and `what`) on a bad argument: an integer amount in
 * minor units (never a float), an exact rate ("12.5%", "0.035"), an optional
 * rounding mode (half-even when absent), and a result that did not fit.
 */
int64_t rules_arg_amount(lua_State *L, int arg, const char *fn, const char *what);
decimal_rate rules_arg_rate(lua_State *L, int arg, const char *fn, const char *what);
round_mode rules_arg_mode(lua_State *L, int arg, const char *fn);
void rules_check_fits(lua_State *L, bool ok, const char *fn);

/* rules_fx.c: adds money.convert and money.pct to the money table on top. */
void rules_fx_add(lua_State *L);

/* rules_money.c: pushes a new `money` library table (one per rule environment). */
void rules_money_push(lua_State *L);
/* rules_tax.c: pushes a new read-only `tax` library (one per rule environment). */
void rules_tax_push(lua_State *L);
/* rules_money.c: sets the sandbox's print/setmetatable and metatable on the env on top. */
void rules_base_set(lua_State *L, const char *path);

/* Lua patterns with a step budget (rules_pattern.c, rules_pattern_match.c). */
#define RULES_PM_MAX_CAPTURES 32 /* as LUA_MAXCAPTURES */
#define RULES_PM_CAP_OPEN (-1)   /* capture length: not closed yet */
#define RULES_PM_CAP_POS (-2)    /* capture length: position capture () */

/* State of one pattern call; points into Lua strings anchored on the stack. */
typedef struct rules_pm {
    lua_State *L;
    rules_engine *re;   /* borrowed; NULL: only the per-call cap applies */
    const char *src, *src_end, *pat_end;
    long left;          /* steps this call may still take, current chunk included */
    long chunk, tick;   /* size of the current chunk and steps left in it */
    int depth;          /* match() nesting still allowed */
    int level;          /* captures started */
    struct { const char *init; ptrdiff_t len; } cap[RULES_PM_MAX_CAPTURES];
} rules_pm;

/*
 * rules_pattern_match.c: starts one call on subject s (ls bytes) and a
 * pattern ending at pat_end, with a budget of RULES_PATTERN_MAX_STEPS or the
 * rule's remaining instruction budget if smaller. The engine is the calling
 * C closure's upvalue 1 (a light userdata, may be NULL); it counts only while
 * a rule runs.
 */
void rules_pm_init(rules_pm *ms, lua_State *L, const char *s, size_t ls, const char *pat_end);
/* rules_pattern_match.c: charges the steps taken so far to the rule's budget. */
void rules_pm_flush(rules_pm *ms);
/*
 * rules_pattern_match.c: one match attempt of pattern p at s (captures reset).
 * Returns the end of the match or NULL. Raises on a malformed pattern and
 * "pattern too complex ..." on nesting, step or time limits.
 */
const char *rules_pm_match(rules_pm *ms, const char *s, const char *p);
/*
 * rules_pattern.c: sets settle's own find, match, gmatch and gsub (Lua 5.4
 * patterns with a step budget) on the table at idx. `re` (borrowed; may be
 * NULL, as in tests/unit/test_pattern.c, the one user outside engine/rules*.c)
 * gives the instruction budget and deadline of the running rule call. Raises
 * only on out of memory.
 */
void rules_pattern_install(lua_State *L, int idx, rules_engine *re);

/*
 * rules_sandbox.c: lua_CFunction run protected once per engine: opens the allowed
 * standard libraries, installs the budgeted pattern functions and seals strings.
 */
int rules_sandbox_setup(lua_State *L);
/*
 * rules_sandbox.c: pushes a fresh environment for the rule file `path`: the base
 * allow-list, print/setmetatable of the sandbox, copies of string (no dump), table,
 * math (no random), utf8, new money and tax tables, and _G. Raises on out of memory.
 */
void rules_sandbox_env(lua_State *L, const char *path);

/* rules_view.c: pushes the `p` table for one statement (st->agg must be set). */
void rules_view_push_period(lua_State *L, const statement *st);
/*
 * rules_view.c: pushes the hook's read-only `tx` view for batch re->tx.batch:
 * a userdata whose fields are read on demand from re->tx.in; reading it
 * outside a call of that batch raises. Made once per batch, never per call.
 */
void rules_view_push_tx(lua_State *L, rules_engine *re);
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
