/*
 * seen_int.h - private to seen.c (table, journal, files) and seen_run.c
 * (the temp folder, Bloom filter, sorted runs on disk, merging).
 */
#ifndef SETTLE_SEEN_INT_H
#define SETTLE_SEEN_INT_H

#include <stdbool.h>

#include "seen.h"

/* One remembered id: 24 bytes in the table and in run files (host order). */
typedef struct seen_entry {
    uint64_t lo, hi;  /* the digest; all zero marks an empty table slot */
    uint32_t fp;      /* fingerprint */
    uint32_t file;    /* file number that added it; 0: loaded from the state */
} seen_entry;

#define SEEN_BLOCK 128   /* entries per indexed block of a run (3 KB, one pread) */
#define SEEN_MERGE 4     /* this many runs of one level merge into one of the next */

/* A sorted run file (unlinked once open: it vanishes with its descriptor). */
typedef struct seen_run {
    int fd;
    uint64_t n;            /* entries */
    int level;             /* 0: one spill; k+1: a merge of SEEN_MERGE runs of level k */
    dedup_digest *index;   /* digest of entry i * SEEN_BLOCK, for every block */
    size_t n_index, cap_index;
} seen_run;

struct seen_store {
    seen_entry *slots;     /* the table */
    size_t cap, count, limit, budget_slots;
    uint32_t file;         /* current file number */
    uint8_t *voids;        /* voids[file] != 0: that file was undone */
    size_t cap_voids;
    unsigned char *jbuf;   /* the current file's journal: SEEN_CHUNK_IDS records */
    size_t jlen;           /* bytes in jbuf */
    int jfd;               /* overflow journal file, -1 until needed */
    uint64_t jfile;        /* bytes written to it */
    uint64_t jcount;       /* ids the current file added */
    seen_run *runs;        /* oldest first */
    size_t n_runs, cap_runs;
    uint64_t *bloom;       /* NULL until the first spill */
    size_t bloom_blocks;   /* 64-byte blocks */
    seen_entry *blockbuf;  /* SEEN_BLOCK entries for run lookups */
    char *parent, *dir;    /* dir: the temp folder once made */
    seen_stats stats;
    char err[256];
};

/* True when entries of file number `file` are to be ignored. */
static inline bool seen_is_void(const seen_store *s, uint32_t file)
{
    return file < s->cap_voids && s->voids[file];
}

/* Orders digests by hi, then lo (the runs' sort order). */
static inline int seen_cmp(uint64_t alo, uint64_t ahi, uint64_t blo, uint64_t bhi)
{
    if (ahi != bhi)
        return ahi < bhi ? -1 : 1;
    return alo < blo ? -1 : alo > blo;
}

/* seen_run.c: records an I/O failure (with errno's text) in s->err; returns -1. */
int seen_fail(seen_store *s, const char *what);
/* Makes the temp folder if needed and opens a new unlinked file in it; -1 on failure. */
int seen_tmpfile(seen_store *s, const char *name);
/* Removes a killed run's temp folder under parent (its files); -1 when that fails. */
int seen_dir_clear(const char *dir);
/* Writes sorted entries e[0..n) as a new run (adding them to the Bloom filter), then
 * merges runs as needed. -1 on I/O failure. */
int seen_runs_add(seen_store *s, const seen_entry *e, size_t n);
/* Looks d up in the runs: 1 with *out set when a live entry holds it, 0 when none, -1 on
 * I/O failure. */
int seen_runs_find(seen_store *s, uint64_t lo, uint64_t hi, seen_entry *out);

/* The Bloom filter's 64-byte block for a digest: its hi word's top bits, so sorted
 * entries fill it front to back. */
static inline uint64_t *bloom_block(const seen_store *s, uint64_t hi)
{
    return s->bloom + 8 * (size_t)(((__uint128_t)hi * s->bloom_blocks) >> 64);
}

/* Frees the runs and the Bloom filter. */
void seen_runs_free(seen_store *s);

#endif
