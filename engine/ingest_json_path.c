/*
 * ingest_json_path.c - the JSON reader's wanted paths (a trie of dotted
 * segments) and the slots that collect a record's values; see
 * ingest_json_int.h. Lookups scan a node's children in order: a record
 * wants a handful of paths, so the lists are short.
 */
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "ingest_json_int.h"

/* ---- the trie -------------------------------------------------------------- */

/* The segment as a canonical array index ("0", "17"; not "01"), else UINT64_MAX. */
static uint64_t jt_seg_index(const char *p, size_t n)
{
    if (n == 0 || n > 18 || (n > 1 && p[0] == '0'))
        return UINT64_MAX;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return UINT64_MAX;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    return v;
}

/* Appends a node with no children; returns its id. The trie owns it. */
static int jt_new(jtrie *t, const char *seg, size_t n)
{
    if (t->len == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 8;
        t->n = xrealloc(t->n, t->cap * sizeof *t->n);
    }
    jt_node *d = &t->n[t->len];
    *d = (jt_node){.seg = seg, .seg_n = n, .index = jt_seg_index(seg, n),
                   .child = -1, .next = -1, .slot = -1};
    return (int)t->len++;
}

void jt_init(jtrie *t, size_t n_slots)
{
    memset(t, 0, sizeof *t);
    jt_new(t, "", 0); /* JT_RECORD */
    jt_new(t, "", 0); /* JT_DOC */
    t->slot_next = xmalloc((n_slots ? n_slots : 1) * sizeof *t->slot_next);
}

void jt_free(jtrie *t)
{
    free(t->n);
    free(t->slot_next);
    memset(t, 0, sizeof *t);
}

/* The child of `node` with segment s[0..n), created when missing. */
static int jt_child(jtrie *t, int node, const char *s, size_t n)
{
    int last = -1;
    for (int c = t->n[node].child; c >= 0; c = t->n[c].next) {
        if (t->n[c].seg_n == n && memcmp(t->n[c].seg, s, n) == 0)
            return c;
        last = c;
    }
    int c = jt_new(t, s, n); /* may move t->n */
    if (last < 0)
        t->n[node].child = c;
    else
        t->n[last].next = c;
    return c;
}

/*
 * Adds a path segment by segment. An empty segment ("a..b", "") still gets
 * a node: it matches only an empty key, as the path literally says.
 */
void jt_add(jtrie *t, int root, const char *path, int slot)
{
    int node = root;
    const char *p = path;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        node = jt_child(t, node, p, n);
        if (!dot)
            break;
        p = dot + 1;
    }
    if (slot < 0) {
        t->n[node].records = true;
        return;
    }
    /* Chain the slot last, so slots of one node are set in order. */
    t->slot_next[slot] = -1;
    if (t->n[node].slot < 0) {
        t->n[node].slot = slot;
        return;
    }
    int s = t->n[node].slot;
    while (t->slot_next[s] >= 0)
        s = t->slot_next[s];
    t->slot_next[s] = slot;
}

int jt_key(const jtrie *t, int node, const char *k, size_t n)
{
    for (int c = t->n[node].child; c >= 0; c = t->n[c].next)
        if (t->n[c].seg_n == n && memcmp(t->n[c].seg, k, n) == 0)
            return c;
    return -1;
}

int jt_index(const jtrie *t, int node, uint64_t i)
{
    for (int c = t->n[node].child; c >= 0; c = t->n[c].next)
        if (t->n[c].index == i)
            return c;
    return -1;
}

/* ---- the slots ------------------------------------------------------------- */

void js_init(jslots *s, size_t n)
{
    s->n = n;
    s->state = xcalloc(n ? n : 1, sizeof *s->state);
    s->off = xcalloc(n ? n : 1, sizeof *s->off);
    s->len = xcalloc(n ? n : 1, sizeof *s->len);
    sbuf_init(&s->arena);
}

void js_free(jslots *s)
{
    free(s->state);
    free(s->off);
    free(s->len);
    sbuf_free(&s->arena);
    memset(s, 0, sizeof *s);
}

void js_reset(jslots *s)
{
    memset(s->state, JS_ABSENT, s->n);
    sbuf_reset(&s->arena);
}

void js_set(jslots *s, const jtrie *t, int slot, jslot_state st, const char *p, size_t n)
{
    if (st == JS_VALUE && n > INGEST_MAX_FIELD)
        st = JS_TOO_LONG;
    for (; slot >= 0; slot = t->slot_next[slot]) {
        if (s->state[slot] != JS_ABSENT)
            continue;
        s->state[slot] = (uint8_t)st;
        s->off[slot] = s->arena.len;
        s->len[slot] = st == JS_VALUE ? n : 0;
        if (st == JS_VALUE)
            sbuf_add(&s->arena, p, n);
    }
}

bool js_present(const jslots *s, size_t i)
{
    return s->state[i] != JS_ABSENT && s->state[i] != JS_NULL;
}

slice js_value(const jslots *s, size_t i)
{
    if (s->state[i] != JS_VALUE)
        return (slice){"", 0};
    return (slice){s->arena.buf + s->off[i], s->len[i]};
}
