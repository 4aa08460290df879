/*
 * run_ingest_int.h - private to run_ingest.c (the consumer),
 * run_ingest_file.c (a file's way from the inbox into the state),
 * run_ingest_ledger.c (what differs for a ledger's files) and
 * run_ingest_batch.c (the producer): the two stages of reading one file.
 *
 * The producer reads the file, splits and normalises each row and computes
 * its fingerprint, copying everything the consumer needs into batches
 * (pipe.h); it also keeps the file's control totals and line counts. The
 * consumer (the main thread) adds each id's SipHash digest a few rows ahead
 * (the reading is the busier stage), takes the rows in order and does
 * everything stateful: dedup, cells,
 * rejects into the state, the rule's hook, row accounting. With threads >= 2
 * the producer runs on its own thread per file; with 1 the same code runs
 * on the calling thread, a batch at a time.
 *
 * Shared state: the currency map (the cell map's) is written by the producer
 * only while a file is read; the consumer reads the codes from the batch and
 * the map only after prod_read returned. Each producer has its own time
 * zones (a zone's lookup cache is not thread-safe).
 */
#ifndef SETTLE_RUN_INGEST_INT_H
#define SETTLE_RUN_INGEST_INT_H

#include <pthread.h>

#include "cells.h"
#include "control.h"
#include "normalise.h"
#include "pipe.h"
#include "run_int.h"

/* One transaction as the consumer takes it; its slices point into the batch. */
typedef struct bx_txn {
    txn t;
    char cur[4];           /* the currency's ISO code, NUL-terminated */
    dedup_digest digest;   /* dedup_siphash128 of t.id under the run's key (set by
                              prod_consume on the consumer's side, before `ahead`) */
    uint32_t fp;           /* txn_fingerprint of type, amount, currency */
} bx_txn;

/* One data row: its transactions, or its reject (strings in the batch). */
typedef struct bx_row {
    uint64_t line;
    slice raw;             /* the row's text as read (for a reject found later) */
    bool rejected;         /* rejected by the normaliser: code, detail, id, day */
    reject_code code;
    int32_t day;
    int32_t owner;         /* a ledger row's partner when known, else -1 */
    slice id;
    const char *detail;
    size_t n_txn;          /* transactions in tx[] (0 when rejected) */
    bx_txn tx[];
} bx_row;

/* The consumer's handler of one row: 0 to go on, non-zero to stop the file. */
typedef int (*bx_row_fn)(void *ctx, const bx_row *row);
/* The consumer's look at a row it will be handed soon (to prefetch what it will probe). */
typedef void (*bx_ahead_fn)(void *ctx, const bx_row *row);
#define PROD_AHEAD 8

/* The producer of one partner's files. Fields after `err` are per file. */
typedef struct file_prod {
    const partner_config *pc;
    const settle_config *cfg;
    const ledger_config *ledger; /* a ledger's files: rows carry their owner; else NULL */
    const dedup_key *key;
    tz_zone *zone, *business;   /* owned copies: the partner's and the business zone */
    int32_t day_start;
    int threads;                /* 1: no thread */
    pipe_ring *ring;            /* owned */
    normaliser *norm;           /* owned; made per file */
    strmap *currencies;         /* borrowed: the file's cell map's; written here while read */
    bool header_done, failed;   /* failed: the file is unusable (reason in err) */
    char err[256];
    file_lines lines;           /* rows read and the lines that are not data */
    bool control;               /* the partner declares totals */
    bool lookahead;             /* CSV trailer without marker: the last row is held back */
    control_sum read;           /* what this file held */
    control_decl decl;          /* what the partner declared */
    uint64_t trailer_line;      /* 0 until a trailer row was met */
    bool after_trailer;         /* data rows followed the trailer */
    row_copy held;              /* lookahead: the previous row */
    pipe_batch *cur;            /* the batch being filled */
    bx_row_fn fn;               /* the consumer */
    bx_ahead_fn ahead;          /* its look-ahead, or NULL (set by the consumer once) */
    void *fn_ctx;
    int stop;                   /* the consumer's non-zero result, once it stopped */
} file_prod;

/*
 * Prepares the producer of adapter pc (a partner; or a ledger's src, with
 * `ledger` so rows carry their owner) for a run: its own zones, the ring
 * (threads: 1 = no thread). -1 when a zone does not load (config_load has
 * validated them).
 */
int prod_init(file_prod *p, const run_ctx *rc, const partner_config *pc,
              const ledger_config *ledger, int threads);
/* Readies the producer for a new file whose currencies are interned into `currencies`. */
void prod_start(file_prod *p, strmap *currencies);
/*
 * Reads file `path`, handing every data row in order to fn(ctx, row) on the
 * calling thread. Returns fn's first non-zero result (reading stopped
 * there), else the reader's result: 0 read whole, -1 unreadable, 1 unusable
 * header (p->failed, reason in p->err).
 */
int prod_read(file_prod *p, const char *path, bx_row_fn fn, void *ctx);
/* Frees everything the producer owns. */
void prod_free(file_prod *p);

/*
 * The SHA-256 of a file, computed on a thread of its own while the file is
 * read (threads >= 2, for a file no processed one has the size of: it cannot
 * be a known one, so reading need not wait for the hash).
 */
typedef struct file_hash {
    int fd;                     /* owned from file_hash_start to file_hash_finish */
    pthread_t thread;
    bool threaded;              /* false: hashed in file_hash_start itself */
    int rc, err;                /* sha256_fd's result and its errno */
    unsigned char digest[32];
} file_hash;
/* Starts hashing fd (at offset 0) on a thread, or hashes it now when no thread can
 * be had. Takes fd (closed by file_hash_finish). */
void file_hash_start(file_hash *h, int fd);
/* Waits for the hash and closes fd: 0 with h->digest, or -1 with errno in h->err. */
int file_hash_finish(file_hash *h);

/* What a transaction was, folded to 32 bits, to tell re-sends from conflicts. */
uint32_t txn_fingerprint(tx_type type, int64_t amount, const char cur[3]);

/* ---- the consumer's side of one source (a partner or a ledger) ------------------------ */

struct seen_store;

/* A (partner, business day) a file touched: its period is settled again. */
typedef struct file_day {
    int32_t day;
    size_t partner;             /* the partner's index; a ledger's row: its owner */
} file_day;

/* Everything the row callback needs while one file of a source is read. */
typedef struct file_ctx {
    run_ctx *rc;
    const partner_config *pc;   /* the adapter: the partner, or the ledger's src */
    const ledger_config *ledger; /* NULL for a partner's drops */
    size_t index;               /* the partner's or the ledger's index in the config */
    size_t slot;                /* its row of rc->rejects_by_reason */
    bool recon;                 /* a partner's: its transactions are reconciliation items */
    bool *owner_recon;          /* a ledger's, per partner (owned): rows are items */
    file_prod prod;             /* reads and normalises (run_ingest_batch.c) */
    struct seen_store *seen;    /* the source's seen ids; journals this file's new ones */
    bool seen_loaded;           /* the look-back window's stored ids are in `seen` */
    cell_map cells;             /* a ledger's: the category slot holds the owner's id */
    file_day *days;             /* (partner, day) this file touched */
    size_t n_days, cap_days;
    const char *relpath;        /* "<source id>/<name>" */
    char stat_key[STATE_STAT_KEY]; /* its identity (state_inbox.c) */
    bool by_identity;           /* skipped as known by its identity, not read */
    int64_t file_id;
    int64_t id_chunks;          /* seen_ids rows stored for this file so far */
    file_counts counts;
    bool failed;                /* the file is unusable (reason in err) */
    bool state_failed;          /* the state store failed: the run must stop */
    int32_t last_day;           /* latest day of a counted transaction, INT32_MIN when none */
    char err[256];
    /* the rule's transaction hook (partners only) */
    bool hook;                  /* the partner's rule has one: a batch is open per file */
    bool hook_failed;           /* it raised: the file is not counted and stays in the inbox */
    int64_t skipped_by_rule;    /* rejects the hook asked for (counted in counts.rejected) */
    /* row accounting (run_rows.c) and the rejects by reason (dry run) */
    rows_acc rows;
    int64_t by_reason[REJ_CODE_COUNT];
} file_ctx;

/* run_ingest.c: the consumer. Reads the file through the producer (inside the rule's
 * transaction batch when it has one); prod_read's result. */
int file_read_hooked(file_ctx *f, const char *path);
/* The producer's look-ahead (bx_ahead_fn): a row the consumer will take soon has its
 * ids' seen table slots fetched meanwhile. */
void file_row_ahead(void *ctx, const bx_row *row);
/* Undoes a failed file: its ids forgotten, its items void, its state rolled back. */
void file_undo(file_ctx *f);
/* Commits a read file's cells, days, ids and counts into the state; -1 on failure. */
int file_commit(file_ctx *f);
/* Adds the file's audit record ("processed", "skipped", ...) to the run's list. */
void file_audit(file_ctx *f, const char *sha, const char *outcome);
/* Adds a processed file's counts to the run's totals. */
void file_totals(run_ctx *rc, const file_ctx *f);
/* Remembers one id stored by an earlier run (callback of state_seen_load). */
int file_seen_remember(void *ctx, const unsigned char *record);
/* Remembers that the file touched partner `partner`'s `day`. */
void file_note_day(file_ctx *f, size_t partner, int32_t day);

/* run_ingest_file.c: every new file of one source; -1 only on a state/I-O failure. */
int run_ingest_source(run_ctx *rc, file_ctx *f);

/* run_ingest_ledger.c: a ledger's side. The partner a ledger reject is filed under (its
 * owner's id, else the ledger's own), touching what reports it. */
const char *ledger_reject_partner(file_ctx *f, int32_t owner, int32_t day);
/* Hands a counted transaction to the reconciliation collector when it is an item
 * (d: its id's digest, cur: its currency). 0, or -1 with the message printed. */
int file_recon_item(file_ctx *f, const txn *t, dedup_digest d, const char *cur);
/* At the commit: settles again the owner's period of a day the file touched, or rewrites
 * the exceptions of the day's labels for a reject without owner (an unknown day: the
 * file's last day, as its rejects). */
void ledger_touch(file_ctx *f, const file_day *d);

#endif
