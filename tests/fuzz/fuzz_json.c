/*
 * fuzz_json.c - the JSON drop reader (ingest_json_file: array, NDJSON and
 * document layouts, plain or gzip). The first input byte picks the options:
 * bit 0 records at "data.transactions" (document layout), bit 1 control
 * totals at "count" and "sum". The rest is the file. Every slice is read in
 * full; a good row has one field per wanted path. The file is read twice,
 * with the NDJSON fast path (ingest_json_fast.c) and without it: both reads
 * must give the same rows, result, error and stats.
 */
#include "fuzz.h"
#include "ingest.h"
#include "ingest_json_int.h"

static const char *const fuzz_paths[] = {"id", "tx.id", "amount.value", "amount", "currency",
                                         "time", "type", "a.b.c"};
#define FUZZ_N_PATHS (sizeof fuzz_paths / sizeof fuzz_paths[0])

/* Folds n bytes into the hash h (FNV-1a, 64 bits). */
static uint64_t fuzz_mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001B3u;
    return h;
}

/* Reads each slice of the row, checks the reader's promises about it, hashes all of it. */
static int fuzz_json_row(void *ctx, const ingest_row *row)
{
    uint64_t *h = ctx;
    FUZZ_ASSERT(row->raw.n <= INGEST_MAX_RAW + 3);
    uint64_t head[5] = {row->line, row->status, row->is_header, row->is_trailer, row->n_fields};
    *h = fuzz_mix(*h, head, sizeof head);
    *h = fuzz_mix(*h, row->raw.p, row->raw.n);
    if (row->problem)
        *h = fuzz_mix(*h, row->problem, strlen(row->problem) + 1);
    if (row->status != ROW_OK)
        return 0;
    if (!row->is_trailer)
        FUZZ_ASSERT(row->n_fields == FUZZ_N_PATHS);
    for (size_t i = 0; i < row->n_fields; i++) {
        *h = fuzz_mix(*h, &row->fields[i].n, sizeof row->fields[i].n);
        *h = fuzz_mix(*h, row->fields[i].p, row->fields[i].n);
    }
    return 0;
}

/* Reads the file at `path` (fast path on or off); returns the hash of all it gave. */
static uint64_t fuzz_read(const char *path, const json_options *o, size_t n_control, bool fast)
{
    static const char *const control[] = {"count", "sum"};
    uint64_t h = 0xCBF29CE484222325u;
    ingest_stats st = {0};
    char err[256] = "";
    jr_fast_off = !fast;
    int rc = ingest_json_file(path, o, fuzz_paths, FUZZ_N_PATHS, control, n_control,
                              fuzz_json_row, &h, &st, err, sizeof err);
    jr_fast_off = false;
    uint64_t tail[4] = {(uint64_t)rc, st.rows, st.lines, st.bytes};
    h = fuzz_mix(h, tail, sizeof tail);
    return fuzz_mix(h, err, strlen(err));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t opt = fuzz_take_byte(&data, &size);
    json_options o = {.records = (opt & 1) ? "data.transactions" : NULL};
    const char *path = fuzz_write("input", data, size);
    size_t n_control = (opt & 2) ? 2 : 0;
    FUZZ_ASSERT(fuzz_read(path, &o, n_control, true) == fuzz_read(path, &o, n_control, false));
    return 0;
}
