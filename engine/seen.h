/*
 * seen.h - the seen id store: exact dedup of one partner's transaction ids
 * in bounded memory, whatever the number of ids.
 *
 * Each id is a 128-bit digest (dedup_siphash128) with a 32-bit fingerprint
 * of what the transaction was (dedup.h says why 128 bits are exact). The
 * store answers NEW (remembered now), REPEAT (same fingerprint) or CONFLICT
 * (different fingerprint), exactly as one big set would.
 *
 * Memory: an open-addressing table of 24-byte entries grows (1.5 times) only
 * while the old and the new table together fit the budget; when it is full
 * its entries are sorted and written to a run file in a private temp folder
 * ("spilled"), keeping in memory only every 128th digest of the run and a
 * fixed 32 MB blocked Bloom filter over every spilled id. An id the table
 * does not hold is looked up in the runs only when the Bloom filter says
 * "maybe" (one pread of a 3 KB block per run). Runs are merged, four of a
 * level into one of the next, so there are never more than a few per level.
 * Peak memory is the budget plus 32 MB plus 1 MB per 8 million spilled ids.
 *
 * Files: ids are added on behalf of the file being read (seen_file_begin);
 * each entry carries that file's number, so undoing a file only marks it void
 * (its entries are ignored and dropped at the next spill or merge). The ids a
 * file added are also journaled in order (a 1.3 MB buffer, overflowing into a
 * journal file) so a committed file can store them in the state in chunks.
 *
 * The temp folder is <parent>/seen.tmp (parent: the state folder), or a fresh
 * folder under $TMPDIR when parent is NULL; it is made only when something is
 * written, emptied of a killed run's leftovers by seen_open, removed by
 * seen_close. One store at a time per parent (the run lock sees to it).
 */
#ifndef SETTLE_SEEN_H
#define SETTLE_SEEN_H

#include <stddef.h>
#include <stdint.h>

#include "dedup.h"

/* Default table budget in bytes; SETTLE_SEEN_BUDGET=<bytes> overrides it (tests, diagnosis). */
#define SEEN_BUDGET_DEFAULT ((size_t)64 << 20)
/* A stored id: digest lo, hi (8 + 8 bytes, host order) and fingerprint (4). */
#define SEEN_RECORD 20
/* Ids per chunk handed to seen_file_chunks (one state row each). */
#define SEEN_CHUNK_IDS 65536

typedef struct seen_store seen_store;

/*
 * A new empty store. budget: bytes for the table, 0 for the default (or
 * $SETTLE_SEEN_BUDGET); at least 64 KB is used. Removes a killed run's
 * <parent>/seen.tmp. NULL with a message in err when that fails.
 */
seen_store *seen_open(const char *parent, size_t budget, char *err, size_t errlen);
/* Frees the store and removes its temp folder. NULL is a no-op. */
void seen_close(seen_store *s);
/* Why the last call returned -1 (an I/O failure in the temp folder). */
const char *seen_error(const seen_store *s);

/* Remembers an id stored by an earlier run (one SEEN_RECORD); kept unless already known. */
int seen_load(seen_store *s, const unsigned char *record);

/* Starts the next file: later NEW ids belong to it and go to its (emptied) journal. */
void seen_file_begin(seen_store *s);
/*
 * Makes room at once for about `ids` more ids (within the budget), so a large
 * file does not grow the table step by step, rehashing it each time.
 */
void seen_reserve(seen_store *s, uint64_t ids);
/* Asks the CPU to fetch the table slot (and Bloom block) d's look-up will read first. */
void seen_prefetch(const seen_store *s, dedup_digest d);
/* Looks d up; a NEW id is remembered for the current file. 0, or -1 on I/O failure. */
int seen_check(seen_store *s, dedup_digest d, uint32_t fp, dedup_result *r);
/* Forgets d when it is the id the last seen_check answered NEW for (a row then rejected). */
void seen_unadd(seen_store *s, dedup_digest d);
/* Forgets every id the current file added (it turned out unreadable). */
void seen_file_undo(seen_store *s);
/* Number of ids the current file added. */
uint64_t seen_file_count(const seen_store *s);
/*
 * Hands the current file's ids to fn in order, as packed SEEN_RECORD entries,
 * at most SEEN_CHUNK_IDS per call (the pointer is valid during the call only).
 * Returns 0, fn's non-zero result, or -1 on a journal read failure.
 */
int seen_file_chunks(seen_store *s, int (*fn)(void *ctx, const void *records, size_t n_bytes),
                     void *ctx);

/* Diagnostics for tests: ids remembered (void ones excluded only after a spill), runs on disk,
 * spills and merges so far. */
typedef struct seen_stats {
    uint64_t table_count, spilled, spills, merges;
    size_t runs, table_bytes;
} seen_stats;
void seen_get_stats(const seen_store *s, seen_stats *out);

#endif
