/*
 * seen_run.c - the spilled part of the seen id store (seen.h): sorted run
 * files in a private temp folder, a sparse in-memory index per run (the
 * digest of every SEEN_BLOCK-th entry), a fixed-size blocked Bloom filter
 * over every spilled id, and the merging of runs.
 *
 * Run files are opened and unlinked at once, so they vanish with their
 * descriptors even when the run is killed; only the folder may stay behind,
 * and seen_open removes it next time.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seen_int.h"
#include "util.h"

#define BLOOM_BYTES ((size_t)32 << 20)  /* fixed: flat memory whatever the id count */
#define SEEN_IO 4096                    /* entries per buffered read or write (96 KB) */

int seen_fail(seen_store *s, const char *what)
{
    snprintf(s->err, sizeof s->err, "%s: %s", what, strerror(errno ? errno : EIO));
    return -1;
}

int seen_dir_clear(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char *p = path_join(dir, de->d_name);
        unlink(p);
        free(p);
    }
    closedir(d);
    return rmdir(dir) == 0 || errno == ENOENT ? 0 : -1;
}

/* Makes the temp folder: <parent>/seen.tmp, or a fresh one under $TMPDIR. */
static int seen_dir_make(seen_store *s)
{
    if (s->dir)
        return 0;
    if (s->parent) {
        char *dir = path_join(s->parent, "seen.tmp");
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            free(dir);
            return seen_fail(s, "seen ids: cannot make the temp folder");
        }
        s->dir = dir;
        return 0;
    }
    const char *tmp = getenv("TMPDIR");
    char *dir = xasprintf("%s/settle-seen.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        free(dir);
        return seen_fail(s, "seen ids: cannot make a temp folder");
    }
    s->dir = dir;
    return 0;
}

int seen_tmpfile(seen_store *s, const char *name)
{
    if (seen_dir_make(s) != 0)
        return -1;
    char *path = path_join(s->dir, name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0)
        unlink(path);
    free(path);
    return fd >= 0 ? fd : seen_fail(s, "seen ids: cannot create a temp file");
}

/* Eight bit positions in the block: seven 9-bit slices of lo, one of hi's low bits. */
#define BLOOM_BIT(lo, hi, k) ((k) < 7 ? ((lo) >> (9 * (k))) & 511 : (hi) & 511)

static void bloom_add(seen_store *s, uint64_t lo, uint64_t hi)
{
    uint64_t *b = bloom_block(s, hi);
    for (int k = 0; k < 8; k++) {
        unsigned bit = (unsigned)BLOOM_BIT(lo, hi, k);
        b[bit >> 6] |= (uint64_t)1 << (bit & 63);
    }
}

static bool bloom_maybe(const seen_store *s, uint64_t lo, uint64_t hi)
{
    const uint64_t *b = bloom_block(s, hi);
    for (int k = 0; k < 8; k++) {
        unsigned bit = (unsigned)BLOOM_BIT(lo, hi, k);
        if (!(b[bit >> 6] & ((uint64_t)1 << (bit & 63))))
            return false;
    }
    return true;
}

/* A run being written: entries are buffered, indexed and appended in order. */
typedef struct run_writer {
    seen_store *s;
    seen_run run;
    seen_entry buf[SEEN_IO];
    size_t n_buf;
} run_writer;

static int writer_open(run_writer *w, seen_store *s, int level)
{
    memset(&w->run, 0, sizeof w->run);
    w->s = s;
    w->n_buf = 0;
    w->run.level = level;
    w->run.fd = seen_tmpfile(s, "run");
    return w->run.fd < 0 ? -1 : 0;
}

static int writer_flush(run_writer *w)
{
    if (w->n_buf && write_all(w->run.fd, w->buf, w->n_buf * sizeof *w->buf) != 0)
        return seen_fail(w->s, "seen ids: cannot write a temp file");
    w->n_buf = 0;
    return 0;
}

/* Appends one entry (in digest order), indexing the first of every block. */
static int writer_put(run_writer *w, const seen_entry *e)
{
    seen_run *r = &w->run;
    if (r->n % SEEN_BLOCK == 0) {
        if (r->n_index == r->cap_index) {
            r->cap_index = r->cap_index ? r->cap_index * 2 : 64;
            r->index = xrealloc(r->index, r->cap_index * sizeof *r->index);
        }
        r->index[r->n_index++] = (dedup_digest){e->lo, e->hi};
    }
    r->n++;
    w->buf[w->n_buf++] = *e;
    return w->n_buf == SEEN_IO ? writer_flush(w) : 0;
}

/* Frees a run and closes its file (which vanishes: it is unlinked). */
static void run_free(seen_run *r)
{
    if (r->fd >= 0)
        close(r->fd);
    free(r->index);
}

/* Appends a finished run to the store's list. */
static void runs_push(seen_store *s, const seen_run *r)
{
    if (s->n_runs == s->cap_runs) {
        s->cap_runs = s->cap_runs ? s->cap_runs * 2 : 8;
        s->runs = xrealloc(s->runs, s->cap_runs * sizeof *s->runs);
    }
    s->runs[s->n_runs++] = *r;
}

/* A run being read in order, SEEN_IO entries at a time. */
typedef struct run_reader {
    const seen_run *run;
    seen_entry buf[SEEN_IO];
    size_t pos, len;
    uint64_t next;   /* entries read from the file so far */
} run_reader;

/* The reader's current entry, refilling its buffer; NULL at the end or on failure (*err). */
static const seen_entry *reader_peek(run_reader *r, bool *err)
{
    if (r->pos < r->len)
        return &r->buf[r->pos];
    if (r->next == r->run->n)
        return NULL;
    uint64_t left = r->run->n - r->next;
    size_t n = left < SEEN_IO ? (size_t)left : SEEN_IO;
    if (pread_all(r->run->fd, r->buf, n * sizeof *r->buf, r->next * sizeof *r->buf) != 0) {
        *err = true;
        return NULL;
    }
    r->next += n;
    r->pos = 0;
    r->len = n;
    return r->buf;
}

/* Merges the last SEEN_MERGE runs into one (dropping void entries) and puts it in their place. */
static int runs_merge(seen_store *s)
{
    size_t first = s->n_runs - SEEN_MERGE;
    run_reader *rd = xcalloc(SEEN_MERGE, sizeof *rd);
    run_writer *w = xmalloc(sizeof *w);
    bool err = false;
    int rc = writer_open(w, s, s->runs[first].level + 1);
    for (size_t i = 0; i < SEEN_MERGE; i++)
        rd[i].run = &s->runs[first + i];
    while (rc == 0) {
        const seen_entry *min = NULL;
        size_t at = 0;
        for (size_t i = 0; i < SEEN_MERGE; i++) {
            const seen_entry *e = reader_peek(&rd[i], &err);
            if (e && (!min || seen_cmp(e->lo, e->hi, min->lo, min->hi) < 0)) {
                min = e;
                at = i;
            }
        }
        if (!min)
            break;
        if (!seen_is_void(s, min->file))
            rc = writer_put(w, min);
        rd[at].pos++;
    }
    if (err)
        rc = seen_fail(s, "seen ids: cannot read a temp file");
    if (rc == 0)
        rc = writer_flush(w);
    free(rd);
    if (rc != 0) {
        run_free(&w->run);
        free(w);
        return -1;
    }
    for (size_t i = first; i < s->n_runs; i++)
        run_free(&s->runs[i]);
    s->n_runs = first;
    runs_push(s, &w->run);
    free(w);
    s->stats.merges++;
    return 0;
}

/* Merges while the newest SEEN_MERGE runs share a level. */
static int runs_settle(seen_store *s)
{
    while (s->n_runs >= SEEN_MERGE) {
        int level = s->runs[s->n_runs - 1].level;
        for (size_t i = s->n_runs - SEEN_MERGE; i < s->n_runs; i++)
            if (s->runs[i].level != level)
                return 0;
        if (runs_merge(s) != 0)
            return -1;
    }
    return 0;
}

int seen_runs_add(seen_store *s, const seen_entry *e, size_t n)
{
    if (n == 0)
        return 0;
    if (!s->bloom) {
        s->bloom_blocks = BLOOM_BYTES / 64;
        s->bloom = xcalloc_table(s->bloom_blocks * 64);
        s->blockbuf = xmalloc(SEEN_BLOCK * sizeof *s->blockbuf);
    }
    run_writer *w = xmalloc(sizeof *w);
    int rc = writer_open(w, s, 0);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        bloom_add(s, e[i].lo, e[i].hi);
        rc = writer_put(w, &e[i]);
    }
    if (rc == 0)
        rc = writer_flush(w);
    if (rc == 0)
        runs_push(s, &w->run);
    else
        run_free(&w->run);
    free(w);
    if (rc != 0)
        return -1;
    s->stats.spills++;
    s->stats.spilled += n;
    return runs_settle(s);
}

/*
 * The number of items below (lo, hi) in a sorted array of n items `stride` bytes
 * apart, each starting with a digest's lo and hi words (dedup_digest, seen_entry).
 */
static size_t lower_bound(const void *items, size_t n, size_t stride, uint64_t lo, uint64_t hi)
{
    const unsigned char *p = items;
    size_t a = 0, b = n; /* [0, a) is below; [b, n) is not */
    while (a < b) {
        size_t m = a + (b - a) / 2;
        uint64_t w[2];
        memcpy(w, p + m * stride, sizeof w);
        if (seen_cmp(w[0], w[1], lo, hi) < 0)
            a = m + 1;
        else
            b = m;
    }
    return a;
}

/* The block where a search for (lo, hi) starts: the last whose first entry is below it. */
static size_t run_start_block(const seen_run *r, uint64_t lo, uint64_t hi)
{
    size_t a = lower_bound(r->index, r->n_index, sizeof *r->index, lo, hi);
    return a ? a - 1 : 0;
}

/* Searches one run: 1 with *out for a live entry of (lo, hi), 0 when none, -1 on failure. */
static int run_find(seen_store *s, const seen_run *r, uint64_t lo, uint64_t hi, seen_entry *out)
{
    for (size_t blk = run_start_block(r, lo, hi); blk < r->n_index; blk++) {
        uint64_t at = (uint64_t)blk * SEEN_BLOCK;
        size_t n = r->n - at < SEEN_BLOCK ? (size_t)(r->n - at) : SEEN_BLOCK;
        if (pread_all(r->fd, s->blockbuf, n * sizeof *s->blockbuf,
                           at * sizeof *s->blockbuf) != 0)
            return seen_fail(s, "seen ids: cannot read a temp file");
        for (size_t i = lower_bound(s->blockbuf, n, sizeof *s->blockbuf, lo, hi); i < n; i++) {
            const seen_entry *e = &s->blockbuf[i];
            int c = seen_cmp(e->lo, e->hi, lo, hi);
            if (c > 0)
                return 0;
            if (c == 0 && !seen_is_void(s, e->file)) {
                *out = *e;
                return 1;
            }
        }
    }
    return 0;
}

int seen_runs_find(seen_store *s, uint64_t lo, uint64_t hi, seen_entry *out)
{
    if (!bloom_maybe(s, lo, hi))
        return 0;
    for (size_t i = 0; i < s->n_runs; i++) { /* oldest first: the largest runs */
        int rc = run_find(s, &s->runs[i], lo, hi, out);
        if (rc != 0)
            return rc;
    }
    return 0;
}

void seen_runs_free(seen_store *s)
{
    for (size_t i = 0; i < s->n_runs; i++)
        run_free(&s->runs[i]);
    free(s->runs);
    xfree_table(s->bloom, s->bloom_blocks * 64);
    s->runs = NULL;
    s->bloom = NULL;
    s->n_runs = 0;
}
