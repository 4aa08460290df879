/*
 * fuzz_csv.c - the CSV drop reader (ingest_csv_file). The first input byte
 * picks the dialect: bits 0-1 delimiter , ; TAB |, bit 2 no quoting, bit 3 no
 * header, bits 4-5 skip_lines 0-3, bits 6-7 encoding utf-8, windows-1252,
 * utf-16, utf-8. The rest is the file. Every delivered field and raw text is
 * read in full; a row's field count and raw length stay within bounds.
 * A UTF-8 file without skipped lines that reads whole must give exactly the
 * rows and fields libcsv 3.0 (default options) makes of the same bytes: the
 * reader's own splitter is checked against it on every input.
 */
#include <csv.h>

#include "fuzz.h"
#include "ingest.h"

/* Rows as text: each field "<length>:<bytes>", each row ended by a newline. */
typedef struct rows_text {
    sbuf b;
    unsigned h;
    bool too_long;     /* a row over the field limits: not comparable */
} rows_text;

static void rows_field(rows_text *t, const void *p, size_t n)
{
    sbuf_addf(&t->b, "%zu:", n);
    sbuf_add(&t->b, p, n);
}

/* Reads each slice of the row and checks the reader's promises about it. */
static int fuzz_csv_row(void *ctx, const ingest_row *row)
{
    rows_text *t = ctx;
    FUZZ_ASSERT(row->raw.n <= INGEST_MAX_RAW + 3);
    t->h += fuzz_touch(row->raw.p, row->raw.n);
    if (row->status != ROW_OK) {
        t->too_long = true;
        return 0;
    }
    for (size_t i = 0; i < row->n_fields; i++) {
        FUZZ_ASSERT(row->fields[i].n <= INGEST_MAX_FIELD);
        t->h += fuzz_touch(row->fields[i].p, row->fields[i].n);
        rows_field(t, row->fields[i].p, row->fields[i].n);
    }
    sbuf_addc(&t->b, '\n');
    return 0;
}

/* libcsv's callbacks for the reference reading. */
static void ref_field(void *s, size_t n, void *data)
{
    rows_field(data, s, n);
}
static void ref_row(int c, void *data)
{
    (void)c;
    sbuf_addc(&((rows_text *)data)->b, '\n');
}

/* The same bytes read by libcsv, compared with what the reader delivered. */
static void fuzz_csv_compare(const csv_options *o, const uint8_t *data, size_t size,
                             rows_text *got)
{
    if (size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        data += 3, size -= 3; /* the reader drops a BOM */
    struct csv_parser p;
    rows_text want = {.h = 0};
    sbuf_init(&want.b);
    sbuf_adds(&want.b, "");
    FUZZ_ASSERT(csv_init(&p, 0) == 0);
    csv_set_delim(&p, (unsigned char)o->delimiter);
    csv_set_quote(&p, o->quote ? (unsigned char)o->quote : 0xFF);
    FUZZ_ASSERT(csv_parse(&p, data, size, ref_field, ref_row, &want) == size);
    FUZZ_ASSERT(csv_fini(&p, ref_field, ref_row, &want) == 0);
    csv_free(&p);
    FUZZ_ASSERT(got->b.len == want.b.len && memcmp(got->b.buf, want.b.buf, got->b.len) == 0);
    sbuf_free(&want.b);
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
    rows_text got = {.h = 0};
    sbuf_init(&got.b);
    sbuf_adds(&got.b, "");
    ingest_stats st = {0};
    char err[256];
    int rc = ingest_csv_file(path, &o, fuzz_csv_row, &got, &st, err, sizeof err);
    bool utf8 = (opt >> 6) == 0 || (opt >> 6) == 3;
    if (rc == 0 && utf8 && o.skip_lines == 0 && !got.too_long)
        fuzz_csv_compare(&o, data, size, &got);
    sbuf_free(&got.b);
    return 0;
}
