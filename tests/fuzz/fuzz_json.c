/*
 * fuzz_json.c - the JSON drop reader (ingest_json_file: array, NDJSON and
 * document layouts, plain or gzip). The first input byte picks the options:
 * bit 0 records at "data.transactions" (document layout), bit 1 control
 * totals at "count" and "sum". The rest is the file. Every slice is read in
 * full; a good row has one field per wanted path.
 */
#include "fuzz.h"
#include "ingest.h"

static const char *const fuzz_paths[] = {"id", "tx.id", "amount.value", "amount", "currency",
                                         "time", "type", "a.b.c"};
#define FUZZ_N_PATHS (sizeof fuzz_paths / sizeof fuzz_paths[0])

/* Reads each slice of the row and checks the reader's promises about it. */
static int fuzz_json_row(void *ctx, const ingest_row *row)
{
    unsigned *h = ctx;
    FUZZ_ASSERT(row->raw.n <= INGEST_MAX_RAW + 3);
    *h += fuzz_touch(row->raw.p, row->raw.n);
    if (row->status != ROW_OK)
        return 0;
    if (!row->is_trailer)
        FUZZ_ASSERT(row->n_fields == FUZZ_N_PATHS);
    for (size_t i = 0; i < row->n_fields; i++)
        *h += fuzz_touch(row->fields[i].p, row->fields[i].n);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const control[] = {"count", "sum"};
    uint8_t opt = fuzz_take_byte(&data, &size);
    json_options o = {.records = (opt & 1) ? "data.transactions" : NULL};
    const char *path = fuzz_write("input", data, size);
    unsigned h = 0;
    ingest_stats st = {0};
    char err[256];
    ingest_json_file(path, &o, fuzz_paths, FUZZ_N_PATHS, control, (opt & 2) ? 2 : 0,
                     fuzz_json_row, &h, &st, err, sizeof err);
    return 0;
}
