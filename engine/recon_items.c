/*
 * recon_items.c - the run's reconciliation items, collected while ingesting
 * (recon.h). Each source (a partner reconciled by transaction, a ledger)
 * has one scratch file, unlinked as soon as it is made, and a buffer of
 * RI_BLOCK (16 KiB) bytes per partition (RECON_PARTS partitions by the digest's top
 * 8 bits). A full buffer is appended to the file as one block whose header
 * holds the offset of the partition's previous block, so each partition is
 * a chain of blocks read back newest first (one pread a block), and the
 * collector's memory is fixed (RECON_PARTS * RI_BLOCK and a RI_STAGE write
 * buffer per source with items) whatever the rows. Records in the scratch
 * files are compact (recon_scratch_put: varints, and an id sharing a prefix
 * with the record before it in its block), about half the bytes of the
 * state's records; each block decodes on its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recon_int.h"

#define RI_BLOCK 16384 /* bytes buffered per source and partition, and the largest block */
#define RI_HEAD 12    /* block header: previous block's offset + 1 (u64, 0: none), length (u32) */
#define RI_STAGE (64 * 1024) /* blocks are appended to the file through a buffer this size */
#define RI_PREFIX 32  /* an id shares at most this many leading bytes with the record before */
#define RI_REC_MAX (16 + 4 + 10 + 10 + 10 + 10 + 5 + 1 + 2 + RECON_ID_MAX) /* largest record */

/* One source's scratch file and buffers; fd -1 and buf NULL until its first item. */
typedef struct ri_src {
    int fd;
    uint64_t size;                  /* bytes appended so far (staged ones included) */
    unsigned char *buf;             /* RECON_PARTS * RI_BLOCK */
    unsigned char *stage;           /* RI_STAGE: blocks not written to the file yet */
    uint32_t staged;
    uint32_t used[RECON_PARTS];     /* bytes in each partition's buffer */
    uint64_t last[RECON_PARTS];     /* offset + 1 of each partition's newest block, 0: none */
    uint64_t count[RECON_PARTS];    /* items per partition */
    uint8_t prev_n[RECON_PARTS];    /* bytes of prev_id of each partition (0 after a flush) */
    char prev_id[RECON_PARTS][RI_PREFIX]; /* the start of each partition's last id */
} ri_src;

struct recon_items {
    const settle_config *cfg;
    char *dir;                      /* owned; where scratch files are made */
    ri_src *src;                    /* n_partners + n_ledgers */
    size_t n_src;
    int64_t *void_ids;              /* owned, sorted: files undone this run */
    size_t n_void, cap_void;
    uint8_t *owner_parts;           /* n_ledgers * n_partners * RECON_PARTS: 1 when ledger
                                       li has items of partner pi in partition k */
    char err[256];
};

/* ---- the record encoding ---- */

/* Writes the low n bytes of v to p, little-endian (one store on a little-endian host). */
static inline void put_le(unsigned char *p, uint64_t v, int n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(p, &v, (size_t)n);
#else
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
#endif
}

/* Reads n little-endian bytes at p (one load on a little-endian host). */
static inline uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(&v, p, (size_t)n);
#else
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
#endif
    return v;
}

size_t recon_rec_size(const recon_rec *r)
{
    return RECON_REC_FIXED + (r->id_len > RECON_ID_MAX ? RECON_ID_MAX : r->id_len);
}

void recon_rec_put(unsigned char *p, const recon_rec *r)
{
    uint16_t n = r->id_len > RECON_ID_MAX ? RECON_ID_MAX : r->id_len;
    put_le(p, r->key.lo, 8);
    put_le(p + 8, r->key.hi, 8);
    put_le(p + 16, (uint32_t)r->day, 4);
    p[20] = r->type;
    p[21] = r->side;
    memcpy(p + 22, r->cur, 3);
    put_le(p + 25, (uint64_t)r->amount, 8);
    put_le(p + 33, (uint64_t)r->file_id, 8);
    put_le(p + 41, r->line, 8);
    put_le(p + 49, r->owner, 4);
    put_le(p + 53, n, 2);
    memcpy(p + RECON_REC_FIXED, r->id, n);
}

size_t recon_rec_get(const unsigned char *p, size_t n, recon_rec *r)
{
    if (n < RECON_REC_FIXED)
        return 0;
    r->key.lo = get_le(p, 8);
    r->key.hi = get_le(p + 8, 8);
    r->day = (int32_t)(uint32_t)get_le(p + 16, 4);
    r->type = p[20];
    r->side = p[21];
    memcpy(r->cur, p + 22, 3);
    r->cur[3] = '\0';
    r->amount = (int64_t)get_le(p + 25, 8);
    r->file_id = (int64_t)get_le(p + 33, 8);
    r->line = get_le(p + 41, 8);
    r->owner = (uint32_t)get_le(p + 49, 4);
    r->id_len = (uint16_t)get_le(p + 53, 2);
    r->id = (const char *)p + RECON_REC_FIXED;
    if (r->id_len > RECON_ID_MAX || n - RECON_REC_FIXED < r->id_len || r->type >= TX_TYPE_COUNT)
        return 0;
    return RECON_REC_FIXED + r->id_len;
}

/* ---- the scratch record (recon_int.h) ---- */

static size_t put_varint(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    for (; v >= 0x80; v >>= 7)
        p[n++] = (unsigned char)(v | 0x80);
    p[n++] = (unsigned char)v;
    return n;
}

/* Reads a varint of at most 10 bytes from p[0..n); its size, 0 when cut short or too long. */
static size_t get_varint(const unsigned char *p, size_t n, uint64_t *v)
{
    uint64_t x = 0;
    for (size_t i = 0; i < n && i < 10; i++) {
        x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            *v = x;
            return i + 1;
        }
    }
    return 0;
}

/* Signed to unsigned with small magnitudes small (zigzag), and back. */
static uint64_t zig(int64_t v)
{
    return (uint64_t)v << 1 ^ (v < 0 ? UINT64_MAX : 0);
}

static int64_t unzig(uint64_t u)
{
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

size_t recon_scratch_put(unsigned char *p, const recon_rec *r, const char *prev, size_t prev_n)
{
    size_t id_n = r->id_len > RECON_ID_MAX ? RECON_ID_MAX : r->id_len, shared = 0;
    size_t most = id_n < prev_n ? id_n : prev_n;
    most = most < RI_PREFIX ? most : RI_PREFIX;
    while (shared < most && r->id[shared] == prev[shared])
        shared++;
    put_le(p, r->key.lo, 8);
    put_le(p + 8, r->key.hi, 8);
    p[16] = (unsigned char)(r->type | r->side << 7);
    memcpy(p + 17, r->cur, 3);
    size_t n = 20;
    n += put_varint(p + n, zig(r->day));
    n += put_varint(p + n, zig(r->amount));
    n += put_varint(p + n, zig(r->file_id));
    n += put_varint(p + n, r->line);
    n += put_varint(p + n, r->owner);
    p[n++] = (unsigned char)shared;
    n += put_varint(p + n, id_n - shared);
    memcpy(p + n, r->id + shared, id_n - shared);
    return n + id_n - shared;
}

size_t recon_scratch_get(const unsigned char *p, size_t n, recon_rec *r, char *idbuf,
                         size_t *id_n)
{
    if (n < 21)
        return 0;
    r->key.lo = get_le(p, 8);
    r->key.hi = get_le(p + 8, 8);
    r->type = p[16] & 0x7f;
    r->side = p[16] >> 7;
    memcpy(r->cur, p + 17, 3);
    r->cur[3] = '\0';
    uint64_t day, amount, file, line, owner, shared, rest;
    uint64_t *const field[5] = {&day, &amount, &file, &line, &owner};
    size_t at = 20, used;
    for (int i = 0; i < 5; i++) {
        if ((used = get_varint(p + at, n - at, field[i])) == 0)
            return 0;
        at += used;
    }
    if (at >= n)
        return 0;
    shared = p[at++];
    if ((used = get_varint(p + at, n - at, &rest)) == 0)
        return 0;
    at += used;
    if (r->type >= TX_TYPE_COUNT || zig(INT32_MIN) < day || owner > UINT32_MAX ||
        shared > *id_n || shared > RI_PREFIX || rest > RECON_ID_MAX - shared || rest > n - at)
        return 0;
    r->day = (int32_t)unzig(day);
    r->amount = unzig(amount);
    r->file_id = unzig(file);
    r->line = line;
    r->owner = (uint32_t)owner;
    memcpy(idbuf + shared, p + at, (size_t)rest);
    *id_n = (size_t)(shared + rest);
    r->id_len = (uint16_t)*id_n;
    r->id = idbuf;
    return at + (size_t)rest;
}

/* ---- collecting ---- */

recon_items *recon_items_open(const settle_config *cfg, const char *dir, char *err, size_t errlen)
{
    const char *tmp = getenv("TMPDIR");
    if (!dir)
        dir = tmp && *tmp ? tmp : "/tmp";
    if (access(dir, W_OK) != 0) {
        snprintf(err, errlen, "reconciliation: cannot write scratch files to %s: %s", dir,
                 strerror(errno));
        return NULL;
    }
    recon_items *r = xcalloc(1, sizeof *r);
    r->cfg = cfg;
    r->dir = xstrdup(dir);
    r->n_src = cfg->n_partners + cfg->n_ledgers;
    r->src = xcalloc(r->n_src ? r->n_src : 1, sizeof *r->src);
    for (size_t i = 0; i < r->n_src; i++)
        r->src[i].fd = -1;
    r->owner_parts = xcalloc(cfg->n_ledgers * cfg->n_partners * RECON_PARTS + 1, 1);
    return r;
}

static int ri_fail(recon_items *r, const char *what)
{
    snprintf(r->err, sizeof r->err, "reconciliation: %s: %s", what, strerror(errno));
    return -1;
}

/* Makes source s's scratch file and buffers on its first item. */
static int src_start(recon_items *r, ri_src *s)
{
    if (s->fd >= 0)
        return 0;
    char *path = xasprintf("%s/settle-recon.XXXXXX", r->dir);
    s->fd = mkstemp(path);
    if (s->fd >= 0)
        unlink(path);
    free(path);
    if (s->fd < 0)
        return ri_fail(r, "cannot create a scratch file");
    s->buf = xmalloc((size_t)RECON_PARTS * RI_BLOCK);
    s->stage = xmalloc(RI_STAGE);
    return 0;
}

/* Writes the staged blocks to the file. */
static int stage_flush(recon_items *r, ri_src *s)
{
    if (s->staged && write_all(s->fd, s->stage, s->staged) != 0)
        return ri_fail(r, "cannot write a scratch file");
    s->staged = 0;
    return 0;
}

/* Appends partition k's buffer to the file as a block chained to its previous one. */
static int src_flush(recon_items *r, ri_src *s, unsigned k)
{
    if (s->used[k] == 0)
        return 0;
    if (s->staged + RI_HEAD + s->used[k] > RI_STAGE && stage_flush(r, s) != 0)
        return -1;
    unsigned char *head = s->stage + s->staged;
    put_le(head, s->last[k], 8);
    put_le(head + 8, s->used[k], 4);
    memcpy(head + RI_HEAD, s->buf + (size_t)k * RI_BLOCK, s->used[k]);
    s->staged += RI_HEAD + s->used[k];
    s->last[k] = s->size + 1;
    s->size += RI_HEAD + s->used[k];
    s->used[k] = 0;
    s->prev_n[k] = 0; /* a block decodes on its own */
    return 0;
}

/* Adds one record to source `src`. 0, or -1 with the error. */
static int ri_add(recon_items *r, size_t src, const recon_item *it, uint8_t side, size_t owner)
{
    ri_src *s = &r->src[src];
    if (src_start(r, s) != 0)
        return -1;
    recon_rec rec = {.key = it->key, .day = it->day, .type = (uint8_t)it->type, .side = side,
                     .amount = it->amount, .file_id = it->file_id, .line = it->line,
                     .owner = (uint32_t)owner, .id_len = it->id.n > RECON_ID_MAX ? RECON_ID_MAX
                                                                                : (uint16_t)it->id.n,
                     .id = it->id.p};
    bool end = false; /* NUL-padded, so items compare bytewise */
    for (int i = 0; i < 4; i++) {
        end = end || i == 3 || !it->cur[i];
        rec.cur[i] = end ? '\0' : it->cur[i];
    }
    unsigned k = recon_part_of(it->key);
    unsigned char one[RI_REC_MAX];
    size_t n = recon_scratch_put(one, &rec, s->prev_id[k], s->prev_n[k]);
    if (s->used[k] + n > RI_BLOCK) {
        if (src_flush(r, s, k) != 0)
            return -1;
        n = recon_scratch_put(one, &rec, s->prev_id[k], 0);
    }
    memcpy(s->buf + (size_t)k * RI_BLOCK + s->used[k], one, n);
    s->used[k] += (uint32_t)n;
    s->prev_n[k] = (uint8_t)(rec.id_len < RI_PREFIX ? rec.id_len : RI_PREFIX);
    memcpy(s->prev_id[k], rec.id, s->prev_n[k]);
    s->count[k]++;
    return 0;
}

int recon_items_partner(recon_items *r, size_t pi, const recon_item *it)
{
    return ri_add(r, recon_src_partner(r, pi), it, RECON_SIDE_PARTNER, pi);
}

int recon_items_ledger(recon_items *r, size_t li, size_t pi, const recon_item *it)
{
    r->owner_parts[(li * r->cfg->n_partners + pi) * RECON_PARTS + recon_part_of(it->key)] = 1;
    return ri_add(r, recon_src_ledger(r, li), it, RECON_SIDE_LEDGER, pi);
}

/* Position of id in the sorted void list (where it is or would go). */
static size_t void_pos(const recon_items *r, int64_t id)
{
    size_t lo = 0, hi = r->n_void;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->void_ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool is_void(const recon_items *r, int64_t id)
{
    size_t at = void_pos(r, id);
    return at < r->n_void && r->void_ids[at] == id;
}

void recon_items_void(recon_items *r, int64_t file_id)
{
    if (!r || is_void(r, file_id))
        return;
    if (r->n_void == r->cap_void) {
        r->cap_void = r->cap_void ? 2 * r->cap_void : 16;
        r->void_ids = xrealloc(r->void_ids, r->cap_void * sizeof *r->void_ids);
    }
    size_t at = void_pos(r, file_id);
    memmove(r->void_ids + at + 1, r->void_ids + at, (r->n_void - at) * sizeof *r->void_ids);
    r->void_ids[at] = file_id;
    r->n_void++;
}

const char *recon_items_error(const recon_items *r)
{
    return r->err;
}

void recon_items_close(recon_items *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_src; i++) {
        if (r->src[i].fd >= 0)
            close(r->src[i].fd);
        free(r->src[i].buf);
        free(r->src[i].stage);
    }
    free(r->src);
    free(r->void_ids);
    free(r->owner_parts);
    free(r->dir);
    free(r);
}

/* ---- reading back (recon_int.h) ---- */

size_t recon_src_partner(const recon_items *r, size_t pi)
{
    (void)r;
    return pi;
}

size_t recon_src_ledger(const recon_items *r, size_t li)
{
    return r->cfg->n_partners + li;
}

const settle_config *recon_items_config(const recon_items *r)
{
    return r->cfg;
}

uint64_t recon_items_count(const recon_items *r, size_t src, unsigned part)
{
    return src < r->n_src && part < RECON_PARTS ? r->src[src].count[part] : 0;
}

bool recon_items_owner_has(const recon_items *r, size_t li, size_t pi, unsigned part)
{
    return r->owner_parts[(li * r->cfg->n_partners + pi) * RECON_PARTS + part] != 0;
}

int recon_items_seal(recon_items *r)
{
    for (size_t i = 0; i < r->n_src; i++)
        if (r->src[i].fd >= 0 && stage_flush(r, &r->src[i]) != 0)
            return -1;
    return 0;
}

void recon_cursor_free(recon_cursor *c)
{
    free(c->buf);
    c->buf = NULL;
}

/* Hands the records of p[0..n) to fn, skipping void files. */
static int each_rec(const recon_items *r, recon_cursor *c, const unsigned char *p, size_t n,
                    int (*fn)(void *ctx, const recon_rec *rec), void *ctx)
{
    size_t id_n = 0; /* a block starts without a previous id */
    while (n) {
        recon_rec rec;
        size_t used = recon_scratch_get(p, n, &rec, c->id, &id_n);
        if (used == 0) {
            snprintf(c->err, sizeof c->err, "reconciliation: a scratch block is malformed");
            return -1;
        }
        int rc = is_void(r, rec.file_id) ? 0 : fn(ctx, &rec);
        if (rc != 0)
            return rc;
        p += used;
        n -= used;
    }
    return 0;
}

int recon_items_each(const recon_items *r, recon_cursor *c, size_t src, unsigned part,
                     int (*fn)(void *ctx, const recon_rec *rec), void *ctx)
{
    if (src >= r->n_src || part >= RECON_PARTS || r->src[src].fd < 0)
        return 0;
    const ri_src *s = &r->src[src];
    int rc = each_rec(r, c, s->buf + (size_t)part * RI_BLOCK, s->used[part], fn, ctx);
    if (!c->buf)
        c->buf = xmalloc(RI_BLOCK + RI_HEAD);
    for (uint64_t at = s->last[part]; rc == 0 && at != 0;) {
        uint64_t left = s->size - (at - 1); /* the block, and whatever follows it */
        size_t want = left < RI_HEAD + RI_BLOCK ? (size_t)left : RI_HEAD + RI_BLOCK;
        if (want < RI_HEAD || pread_all(s->fd, c->buf, want, at - 1) != 0) {
            snprintf(c->err, sizeof c->err, "reconciliation: cannot read a scratch file: %s",
                     strerror(errno));
            return -1;
        }
        uint64_t prev = get_le(c->buf, 8);
        uint32_t len = (uint32_t)get_le(c->buf + 8, 4);
        if (len > want - RI_HEAD || prev >= at) {
            snprintf(c->err, sizeof c->err, "reconciliation: a scratch block is malformed");
            return -1;
        }
        rc = each_rec(r, c, c->buf + RI_HEAD, len, fn, ctx);
        at = prev;
    }
    return rc;
}
