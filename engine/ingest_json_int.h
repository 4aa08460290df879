/*
 * ingest_json_int.h - private to the JSON reader (ingest_json*.c): the wanted
 * paths compiled into a trie, the slots that collect their values, a UTF-8
 * checker, and the reader's state shared by ingest_json.c (scanner, blocks),
 * ingest_json_lines.c (NDJSON lines), ingest_json_fast.c (whole NDJSON lines
 * in one pass) and ingest_json_rec.c (yajl callbacks, records, delivery).
 *
 * Slot numbers are shared by both: slots 0..n_paths-1 are the record paths,
 * n_paths..n_paths+n_control-1 the control paths. The trie has two roots:
 * JT_RECORD (paths inside one record) and JT_DOC (paths from the document's
 * root: the records array and, in the document layout, the control paths).
 * Path segments are borrowed from the caller's path strings, which outlive
 * the read.
 */
#ifndef SETTLE_INGEST_JSON_INT_H
#define SETTLE_INGEST_JSON_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_parse.h>

#include "ingest.h"
#include "ingest_source.h"
#include "util.h"

#define JSON_MAX_DEPTH 64 /* deepest nesting read; deeper is an error */

enum { JT_RECORD = 0, JT_DOC = 1 }; /* the two root nodes */

typedef struct jt_node {
    const char *seg;  /* borrowed: the segment's bytes in the caller's path */
    size_t seg_n;
    uint64_t index;   /* the segment as an array index, UINT64_MAX if not one */
    int child, next;  /* first child, next sibling; -1 for none */
    int slot;         /* first slot whose path ends here, -1 for none */
    bool records;     /* (JT_DOC side) the records array is here */
} jt_node;

typedef struct jtrie {
    jt_node *n;       /* owned */
    size_t len, cap;
    int *slot_next;   /* owned; by slot: the next slot of the same node, -1 at the end */
} jtrie;

/* What a slot holds once a record (or the document) has been read. */
typedef enum jslot_state {
    JS_ABSENT = 0,
    JS_NULL,
    JS_VALUE,
    JS_OBJECT,    /* the path holds an object: the row is bad */
    JS_ARRAY,     /* the path holds an array: the row is bad */
    JS_TOO_LONG,  /* the value is over INGEST_MAX_FIELD */
    JS_BAD_TEXT   /* a \u escape decoded to invalid UTF-8 (lone surrogate) */
} jslot_state;

/* The values of every slot for one record; the bytes live in `arena`. */
typedef struct jslots {
    size_t n;
    uint8_t *state;   /* owned; jslot_state by slot */
    size_t *off, *len;/* owned; value i is arena.buf[off[i] .. off[i]+len[i]) */
    sbuf arena;       /* owned */
} jslots;

/* An empty trie (the two roots only) for `n_slots` slots. Free with jt_free. */
void jt_init(jtrie *t, size_t n_slots);
void jt_free(jtrie *t);
/* Adds dotted `path` under `root`: ending in `slot` (>= 0), or the records array (-1). */
void jt_add(jtrie *t, int root, const char *path, int slot);
/* The child of `node` for object key k[0..n), or -1. */
int jt_key(const jtrie *t, int node, const char *k, size_t n);
/* The child of `node` for array element `i`, or -1. */
int jt_index(const jtrie *t, int node, uint64_t i);

/* Slots for `n` paths, all absent. Free with js_free. */
void js_init(jslots *s, size_t n);
void js_free(jslots *s);
/* Forgets every value (all absent again); keeps the buffers. */
void js_reset(jslots *s);
/*
 * Records a value for every slot chained from `slot` that has none yet (the
 * first occurrence of a path wins). A JS_VALUE over INGEST_MAX_FIELD bytes
 * becomes JS_TOO_LONG; its bytes are copied into the arena otherwise.
 */
void js_set(jslots *s, const jtrie *t, int slot, jslot_state st, const char *p, size_t n);
/* True when slot i holds something other than absent or null. */
bool js_present(const jslots *s, size_t i);
/* Slot i's value (empty for absent, null and the bad states); borrows the arena. */
slice js_value(const jslots *s, size_t i);

/* A UTF-8 check carried across buffers: the continuation bytes still due. */
typedef struct ju8 {
    uint8_t need;   /* continuation bytes still due */
    uint8_t lo, hi; /* the range the next one must be in */
} ju8;

/*
 * Checks one more byte. Returns false for a byte that cannot come here:
 * a stray continuation, an overlong form, a surrogate, past U+10FFFF, or
 * (while a character is open) anything but its next continuation byte.
 */
static inline bool ju8_step(ju8 *u, unsigned char c)
{
    if (u->need) {
        if (c < u->lo || c > u->hi)
            return false;
        u->need--;
        u->lo = 0x80, u->hi = 0xBF;
        return true;
    }
    if (c < 0x80)
        return true;
    if (c < 0xC2 || c > 0xF4)
        return false;
    u->need = c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
    u->lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    u->hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    return true;
}


/* ---- the reader (ingest_json.c, ingest_json_rec.c, ingest_json_fast.c) ------ */

#define JR_BLOCK INGEST_BLOCK(1024 * 1024)           /* bytes read at once */
#define JR_STR_CAP (6 * (size_t)INGEST_MAX_FIELD + 16) /* escaped string bytes given to yajl */
#define JR_PROBLEM 512                               /* longest row problem kept */
#define JF_HINTS 32                                  /* record keys the fast path guesses */

typedef enum jlayout { JL_NONE, JL_ARRAY, JL_DOC, JL_NDJSON } jlayout;

enum { JH_NONE, JH_STRING, JH_DIGITS }; /* what the scanner is withholding from yajl */

/* The scanner's state, carried across blocks. */
typedef struct jscan {
    ju8 u8;           /* the UTF-8 character being checked */
    uint8_t hex;      /* \u hex digits still due */
    bool bs;          /* the last string byte was an escaping backslash */
    bool in_str;
    uint8_t hold;     /* JH_*: a string past JR_STR_CAP or digits past INGEST_MAX_FIELD */
    size_t str_len;   /* escaped bytes of the string so far */
    size_t digits;    /* outside strings: digits in a row so far */
} jscan;

/* One open container. */
typedef struct jframe {
    int node;         /* trie node matching it, -1 when nothing wanted is inside */
    int key_node;     /* object: node of the value after the last key */
    uint64_t index;   /* array: index of the next element */
    bool is_array;
    bool is_records;  /* its elements are the records */
} jframe;

/* One read of one file. Owns everything it points to but the caller's strings. */
typedef struct jr {
    jlayout layout;
    const char *const *paths, *const *control;
    size_t n_paths, n_control;
    const char *records;
    ingest_row_fn fn;
    void *ctx;
    ingest_stats *st;
    char *err;
    size_t errlen;
    byte_source *src;
    jtrie trie;
    jslots rec, doc;      /* values of the record; of the document's root */
    slice *fields;        /* max(n_paths, n_control) */
    yajl_handle h;
    char *blk;            /* JR_BLOCK bytes */
    uint64_t base;        /* file offset of blk[0] */
    size_t n;             /* bytes in blk */
    uint64_t call_base;   /* file offset of the bytes given to the running yajl_parse */
    uint64_t pos, line, line_start; /* line cursor: offset, its line, that line's start */
    jscan sc;
    bool cut;             /* the string or number yajl is reading was cut short */
    jframe fr[JSON_MAX_DEPTH + 1];
    int depth;            /* open containers; fr[1..depth] */
    bool in_rec, rec_done;
    int rec_depth;        /* depth of the record's own container */
    uint64_t rec_line;
    const char *rec_problem;
    bool ln_open, ln_dead, ln_seen; /* NDJSON: a line is open; it is bad; a record line was seen */
    int ln_values;        /* NDJSON: top-level values on this line */
    uint64_t ln_line;
    bool records_found;   /* document: the records array was met */
    uint64_t doc_line;
    bool cap_on;          /* raw text is being captured from cap_from */
    uint64_t cap_from;
    size_t raw_n;
    char raw[INGEST_MAX_RAW + 4];
    char problem[JR_PROBLEM];
    int rc;               /* the row callback's stop value */
    bool fatal;           /* err says why the file is unreadable */
    int fast_hint[JF_HINTS]; /* fast path: by key place in a record, its node + 1 (0: none) */
} jr;

/* What ingest_json_file returns if reading stopped now: rc, -1, or 0 to go on. */
static inline int jr_halt(const jr *r)
{
    return r->rc ? r->rc : r->fatal ? -1 : 0;
}

/* yajl's callbacks go on unless reading stopped or this NDJSON line is bad. */
static inline int jr_alive(const jr *r)
{
    return !r->rc && !r->fatal && !r->ln_dead;
}

/* File offset just past the token a yajl callback is about. */
static inline uint64_t jr_at(const jr *r)
{
    return r->call_base + yajl_get_bytes_consumed(r->h);
}

/* Marks the file unreadable with a one-line reason in err (first reason wins). */
void jr_fatal(jr *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Moves the line cursor to file offset `at` (clamped to the block); returns its line. */
uint64_t jr_line(jr *r, uint64_t at);
/* Column (1-based, in bytes) of `at`, after jr_line(at). */
uint64_t jr_col(const jr *r, uint64_t at);
/* A syntax problem at `at`: a bad row in NDJSON (reason in `problem`), else unreadable. */
void jr_syntax(jr *r, uint64_t at, const char *msg);
/* Appends to the raw text (capped; outside NDJSON leading blanks and commas dropped). */
void jr_raw_add(jr *r, const char *p, size_t n);
/* Captures the block's bytes from cap_from up to file offset `to`. */
void jr_cap_to(jr *r, uint64_t to);
/* The raw text for a row: line breaks as spaces, cut at INGEST_MAX_RAW plus "...". */
slice jr_raw_view(jr *r);
/* Delivers a record read into `s`, or (doc_trailer) the document's control totals. */
void jr_emit(jr *r, const jslots *s, bool doc_trailer, uint64_t line, slice raw);
/* A new yajl parser for the layout (out of memory exits). */
yajl_handle jr_handle(jr *r);
/* After yajl_parse or yajl_complete_parse returned s: reports a syntax error. */
void jr_parsed(jr *r, yajl_status s);
/* Checks blk[from, to) and gives it to yajl. Returns jr_halt: 0 to go on. */
int jr_feed(jr *r, size_t from, size_t to);
/* NDJSON (ingest_json_lines.c): reads blk[from, n) line by line. Returns jr_halt. */
int jr_ndjson(jr *r, size_t from);
/* NDJSON: the open line ends at file offset end (at_eof: the file ends there). Returns jr_halt. */
int jr_line_close(jr *r, uint64_t end, bool at_eof);
/*
 * The fast path (ingest_json_fast.c): reads the whole NDJSON line
 * blk[from, end) (end: its LF; no line is open) in one pass when it can do so
 * exactly as the slow path would, and delivers its record. Returns false,
 * having delivered nothing and moved no cursor, for any line it leaves to
 * the slow path (bad ones among them).
 */
bool jr_fast_line(jr *r, size_t from, size_t end);
/* Tests only: true sends every line through the slow path (default false). */
extern bool jr_fast_off;

/* yajl's callbacks: they build records in the jr given as context. */
extern const yajl_callbacks jr_callbacks;

#endif
