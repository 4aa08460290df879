/*
 * run_ingest_batch.c - the producer stage of reading a file (run_ingest_int.h):
 * reader -> header, trailer and data rows -> normalised transactions with
 * their fingerprints, copied into batches the consumer takes in order (their
 * id digests are added on the consumer's side, prod_consume). Runs on a
 * thread of its own per file when threads >= 2, else on the caller's.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest.h"
#include "run_ingest_int.h"

#define PROD_BATCH_BYTES (1u << 20) /* a batch: ~2300 rows of a sample drop */
#define PROD_RING 4                 /* batches in flight when threaded */
#define PROD_CANCELLED 3            /* the reader's result when the consumer stopped */

uint32_t txn_fingerprint(tx_type type, int64_t amount, const char cur[3])
{
    uint64_t h = hash_bytes(&amount, sizeof amount, (uint64_t)type * 0x9e37u + 1);
    return (uint32_t)(h ^ hash_bytes(cur, 3, h));
}

int prod_init(file_prod *p, const run_ctx *rc, const partner_config *pc,
              const ledger_config *ledger, int threads)
{
    char zerr[128];
    memset(p, 0, sizeof *p);
    p->pc = pc;
    p->cfg = rc->cfg;
    p->ledger = ledger;
    p->key = &rc->key;
    p->day_start = rc->cfg->day_starts_at;
    p->threads = threads < 1 ? 1 : threads;
#ifdef M_ARENA_MAX
    /* One malloc arena for all threads: a reader thread per file would otherwise get an
     * arena of its own that keeps what it freed, adding tens of MB to the peak. Neither
     * stage allocates per row, so they do not contend for it. */
    if (p->threads > 1)
        mallopt(M_ARENA_MAX, 1);
#endif
    p->zone = tz_load(pc->timezone, zerr, sizeof zerr);
    p->business = tz_load(rc->cfg->timezone, zerr, sizeof zerr);
    p->ring = pipe_new(p->threads > 1 ? PROD_RING : 1, PROD_BATCH_BYTES);
    return p->zone && p->business ? 0 : -1;
}

void prod_start(file_prod *p, strmap *currencies)
{
    normaliser_free(p->norm);
    p->norm = normaliser_new(p->pc, p->zone, p->business, p->day_start, currencies);
    if (p->ledger)
        normaliser_set_owners(p->norm, p->cfg, p->ledger);
    p->currencies = currencies;
    p->header_done = p->failed = false;
    p->err[0] = 0;
    memset(&p->lines, 0, sizeof p->lines);
    memset(&p->read, 0, sizeof p->read);
    memset(&p->decl, 0, sizeof p->decl);
    p->trailer_line = 0;
    p->after_trailer = false;
    p->held.has = false;
    p->control = p->pc->control.trailer || p->pc->control.manifest;
    p->lookahead = p->pc->control.trailer && p->pc->format == FORMAT_CSV && !p->pc->control.marker;
    p->stop = 0;
    p->cur = NULL;
}

void prod_free(file_prod *p)
{
    normaliser_free(p->norm);
    row_copy_free(&p->held);
    pipe_free(p->ring);
    tz_free(p->zone);
    tz_free(p->business);
    memset(p, 0, sizeof *p);
}

/* ---- encoding a row into the batch ------------------------------------------------ */

/* The string fields of a transaction, for copying them one by one. */
static slice *txn_strings(txn *t, int i)
{
    slice *s[] = {&t->id, &t->round, &t->player, &t->game, &t->category};
    return s[i];
}
#define TXN_STRINGS 5

/* True when string field i of out[k] is the same text as out[0]'s (a row's common fields). */
static bool txn_shared(txn *out, size_t k, int i)
{
    return k > 0 && txn_strings(&out[k], i)->p == txn_strings(&out[0], i)->p;
}

/* Bytes a row's record takes: the header, the transactions, then the copied strings. */
static size_t bx_size(const ingest_row *row, txn *out, size_t n, const norm_reject *rej)
{
    size_t size = sizeof(bx_row) + n * sizeof(bx_txn) + row->raw.n;
    if (rej)
        return size + rej->id.n + strlen(rej->detail) + 1;
    for (size_t k = 0; k < n; k++)
        for (int i = 0; i < TXN_STRINGS; i++)
            size += txn_shared(out, k, i) ? 0 : txn_strings(&out[k], i)->n;
    return size;
}

/* Copies s to *at and returns the copy (advancing *at). */
static slice bx_copy(char **at, slice s)
{
    slice c = {*at, s.n};
    if (s.n)
        memcpy(*at, s.p, s.n);
    *at += s.n;
    return c;
}

/* Fills record r (sized by bx_size) from the row and what the normaliser made of it. */
static void bx_fill(const file_prod *p, bx_row *r, const ingest_row *row, txn *out, size_t n,
                    const norm_reject *rej)
{
    char *at = (char *)&r->tx[rej ? 0 : n];
    r->line = row->line;
    r->raw = bx_copy(&at, row->raw);
    r->rejected = rej != NULL;
    r->n_txn = rej ? 0 : n;
    if (rej) {
        r->code = rej->code;
        r->day = rej->day;
        r->owner = rej->owner;
        r->id = bx_copy(&at, rej->id);
        size_t dn = strlen(rej->detail) + 1;
        r->detail = memcpy(at, rej->detail, dn);
        return;
    }
    for (size_t k = 0; k < n; k++) {
        bx_txn *x = &r->tx[k];
        x->t = out[k];
        for (int i = 0; i < TXN_STRINGS; i++)
            *txn_strings(&x->t, i) = txn_shared(out, k, i) ? *txn_strings(&r->tx[0].t, i)
                                                           : bx_copy(&at, *txn_strings(&out[k], i));
        const char *cur = strmap_str(p->currencies, (uint32_t)out[k].currency);
        memcpy(x->cur, cur, 4);
        x->fp = txn_fingerprint(x->t.type, x->t.amount, x->cur);
    }
}

/* ---- handing batches over ---------------------------------------------------------- */

/*
 * Completes record r on the consumer's side: its transactions' id digests
 * (the producer is the busier stage, so this work is done here), then shows
 * it to the consumer's `ahead` function, if any, to prefetch what it will probe.
 */
static void prod_ahead(file_prod *p, bx_row *r)
{
    for (size_t i = 0; i < r->n_txn; i++)
        r->tx[i].digest = dedup_siphash128(p->key, r->tx[i].t.id.p, r->tx[i].t.id.n);
    if (p->ahead)
        p->ahead(p->fn_ctx, r);
}

/*
 * Hands the records of b to the consumer in order; its first non-zero result.
 * Runs on the consumer's thread. Each record is completed (prod_ahead)
 * PROD_AHEAD records before it is handed over.
 */
static int prod_consume(file_prod *p, const pipe_batch *b)
{
    size_t at = 0, ahead_at = 0;
    bx_row *r, *a;
    for (int k = 0; k < PROD_AHEAD && (a = pipe_batch_next(b, &ahead_at)); k++)
        prod_ahead(p, a);
    while ((r = pipe_batch_next(b, &at)) != NULL) {
        if ((a = pipe_batch_next(b, &ahead_at)) != NULL)
            prod_ahead(p, a);
        int rc = p->fn(p->fn_ctx, r);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Hands the batch being filled over; without a thread it is consumed right here.
 * Returns the consumer's non-zero result when it stopped. */
static int prod_handover(file_prod *p)
{
    pipe_put_full(p->ring, p->cur);
    p->cur = NULL;
    if (p->threads > 1)
        return 0;
    pipe_batch *b = pipe_take_full(p->ring);
    p->stop = prod_consume(p, b);
    pipe_give_back(p->ring, b);
    return p->stop;
}

/* Hands the batch over and takes a free one; non-zero when the consumer stopped. */
static int prod_flush(file_prod *p)
{
    int rc = prod_handover(p);
    if (rc != 0)
        return rc;
    p->cur = pipe_take_empty(p->ring);
    return p->cur ? 0 : PROD_CANCELLED;
}

/* Normalises one data row into the batch (and the control totals). */
static int prod_data_row(file_prod *p, const ingest_row *row)
{
    if (p->control) {
        normaliser_control_add(p->norm, row, &p->read);
        p->after_trailer |= p->trailer_line != 0;
    }
    txn out[TX_TYPE_COUNT];
    size_t n;
    norm_reject rej;
    const norm_reject *bad = normalise_row(p->norm, row, out, &n, &rej) != 0 ? &rej : NULL;
    size_t size = bx_size(row, out, n, bad);
    bx_row *r = pipe_batch_add(p->cur, size);
    if (!r) {
        int rc = prod_flush(p);
        if (rc != 0)
            return rc;
        r = pipe_batch_add(p->cur, size); /* an empty batch takes any record */
    }
    bx_fill(p, r, row, out, bad ? 0 : n, bad);
    return 0;
}

/* The header row: resolve columns, or mark the file unusable. */
static int prod_header(file_prod *p, const ingest_row *row)
{
    p->header_done = true;
    if (normaliser_start_file(p->norm, row, p->err, sizeof p->err) == 0)
        return 0;
    p->failed = true;
    return 1;
}

/* True when a CSV row is the trailer marked by control.marker. */
static bool is_marked_trailer(const file_prod *p, const ingest_row *row)
{
    const char *m = p->pc->control.marker;
    return m && p->pc->control.trailer && row->n_fields > 0 &&
           slice_eq(slice_trim(row->fields[0]), m);
}

/* Row callback of the reader: header, trailer, or data (one row late with lookahead). */
static int prod_row(void *ctx, const ingest_row *row)
{
    file_prod *p = ctx;
    bool synthetic = row->is_header && p->pc->format == FORMAT_JSON; /* not in the file */
    p->lines.read += !synthetic;
    if (row->is_header) {
        p->lines.header += !synthetic;
        return prod_header(p, row);
    }
    if (!p->header_done && prod_header(p, NULL) != 0)
        return 1;
    if (row->is_trailer || is_marked_trailer(p, row)) {
        if (row->is_trailer)
            control_from_json_row(row, &p->decl);
        else
            control_from_csv_row(&p->pc->control, row, &p->decl);
        p->trailer_line = row->line;
        p->lines.control++;
        return 0;
    }
    if (!p->lookahead)
        return prod_data_row(p, row);
    int rc = p->held.has ? prod_data_row(p, &p->held.row) : 0;
    row_copy_set(&p->held, row);
    return rc;
}

/* The wanted JSON paths: every mapped field's name (slots without one are skipped). */
static size_t json_paths(const partner_config *pc, const char **paths)
{
    size_t n = 0;
    for (int i = 0; i < SLOT_COUNT; i++)
        if (pc->fields[i].name)
            paths[n++] = pc->fields[i].name;
    return n;
}

/* Reads the file with the partner's reader, then hands the last batch over and closes. */
static int prod_reader(file_prod *p, const char *path)
{
    const partner_config *pc = p->pc;
    ingest_stats stats;
    int r;
    p->cur = pipe_take_empty(p->ring);
    if (pc->format == FORMAT_CSV) {
        r = ingest_csv_file(path, &pc->csv, prod_row, p, &stats, p->err, sizeof p->err);
        p->lines.title = (int64_t)stats.skipped;
        p->lines.read += (int64_t)stats.skipped;
    } else {
        const char *paths[SLOT_COUNT], *control[2] = {pc->control.count.name,
                                                      pc->control.sum.name};
        json_options o = {pc->json_records};
        size_t n_control = pc->control.trailer ? 2 : 0;
        r = ingest_json_file(path, &o, paths, json_paths(pc, paths), control, n_control,
                             prod_row, p, &stats, p->err, sizeof p->err);
    }
    if (p->cur && p->cur->n && prod_handover(p) != 0 && r == 0)
        r = PROD_CANCELLED;
    pipe_close(p->ring);
    return r;
}

/* A file for the producer thread, and the reader's result. */
typedef struct prod_job {
    file_prod *p;
    const char *path;
    int result;
} prod_job;

/* The producer thread's body. */
static void *prod_thread(void *arg)
{
    prod_job *j = arg;
    j->result = prod_reader(j->p, j->path);
    return NULL;
}

/* The consumer's loop while the producer thread reads: batches in order until the end
 * or until the consumer stops (the producer is then cancelled). */
static void prod_drain(file_prod *p)
{
    pipe_batch *b;
    while ((b = pipe_take_full(p->ring)) != NULL) {
        p->stop = prod_consume(p, b);
        pipe_give_back(p->ring, b);
        if (p->stop) {
            pipe_cancel(p->ring);
            return;
        }
    }
}

int prod_read(file_prod *p, const char *path, bx_row_fn fn, void *ctx)
{
    p->fn = fn;
    p->fn_ctx = ctx;
    p->stop = 0;
    pipe_reset(p->ring);
    prod_job j = {p, path, 0};
    pthread_t t;
    if (p->threads == 1 || pthread_create(&t, NULL, prod_thread, &j) != 0) {
        p->threads = 1; /* no thread to be had: this file on one */
        j.result = prod_reader(p, path);
    } else {
        prod_drain(p);
        pthread_join(t, NULL);
    }
    return p->stop ? p->stop : j.result;
}

/* ---- the file's SHA-256 beside the reading ------------------------------------------ */

/* The hashing thread's body. */
static void *file_hash_thread(void *arg)
{
    file_hash *h = arg;
    h->rc = sha256_fd(h->fd, h->digest);
    h->err = errno;
    return NULL;
}

void file_hash_start(file_hash *h, int fd)
{
    h->fd = fd;
    h->threaded = pthread_create(&h->thread, NULL, file_hash_thread, h) == 0;
    if (!h->threaded)
        file_hash_thread(h);
}

int file_hash_finish(file_hash *h)
{
    if (h->threaded)
        pthread_join(h->thread, NULL);
    close(h->fd);
    errno = h->err;
    return h->rc;
}
