/*
 * fuzz_csv.c - the CSV drop reader (ingest_csv_file). The first input byte
 * picks the dialect: bits 0-1 delimiter , ; TAB |, bit 2 no quoting, bit 3 no
 * header, bits 4-5 skip_lines 0-3, bits 6-7 encoding utf-8, windows-1252,
 * utf-16, utf-8. The rest is the file. Every delivered field and raw text is
 * read in full; a row's field count and raw length stay within bounds.
 */
#include "fuzz.h"
#include "ingest.h"

/* Reads each slice of the row and checks the reader's promises about it. */
static int fuzz_csv_row(void *ctx, const ingest_row *row)
{
    unsigned *h = ctx;
    FUZZ_ASSERT(row->raw.n <= INGEST_MAX_RAW + 3);
    *h += fuzz_touch(row->raw.p, row->raw.n);
    if (row->status != ROW_OK)
        return 0;
    for (size_t i = 0; i < row->n_fields; i++) {
        FUZZ_ASSERT(row->fields[i].n <= INGEST_MAX_FIELD);
        *h += fuzz_touch(row->fields[i].p, row->fields[i].n);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char delims[] = {',', ';', '\t', '|'};
    static const char *const encodings[] = {"utf-8", "windows-1252", "utf-16", "utf-8"};
    uint8_t opt = fuzz_take_byte(&data, &size);
    csv_options o = {
        .delimiter = delims[opt & 3],
        .quote = (opt & 4) ? 0 : '"',
        .header = !(opt & 8),
        .decimal = '.',
        .encoding = (char *)encodings[opt >> 6],
        .skip_lines = (opt >> 4) & 3,
    };
    const char *path = fuzz_write("input", data, size);
    unsigned h = 0;
    ingest_stats st = {0};
    char err[256];
    ingest_csv_file(path, &o, fuzz_csv_row, &h, &st, err, sizeof err);
    return 0;
}
