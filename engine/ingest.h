/*
 * ingest.h - streaming readers for partner drops. A reader turns a file into
 * a sequence of rows of fields, in bounded memory, whatever the file's size.
 *
 * Rows are delivered through a callback. Every slice in a row borrows from
 * the reader's buffers and is valid only until the callback returns.
 */
#ifndef SETTLE_INGEST_H
#define SETTLE_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "util.h"

/* Longest field accepted; a longer one makes its row REJ_FIELD_TOO_LONG. */
#define INGEST_MAX_FIELD (64 * 1024)
/* Longest raw row kept for exceptions.csv; longer raw text is cut with "...". */
#define INGEST_MAX_RAW (8 * 1024)

typedef enum row_status {
    ROW_OK = 0,
    ROW_FIELD_TOO_LONG,  /* a field exceeded INGEST_MAX_FIELD; fields are not usable */
    ROW_BAD_ENCODING     /* bytes invalid in the file's encoding; fields are not usable */
} row_status;

typedef struct ingest_row {
    const slice *fields;  /* fields[0..n_fields) in UTF-8 */
    size_t n_fields;
    uint64_t line;        /* physical line (1-based) where the row starts */
    slice raw;            /* the row's text as read (UTF-8, without the line end) */
    row_status status;
    bool is_header;       /* the header row (csv.header: true); delivered once, first */
} ingest_row;

/* Return 0 to continue, non-zero to stop reading (returned by the reader). */
typedef int (*ingest_row_fn)(void *ctx, const ingest_row *row);

typedef struct ingest_stats {
    uint64_t bytes;       /* bytes read from the file */
    uint64_t rows;        /* data rows delivered (header and skipped lines excluded) */
    uint64_t lines;       /* physical lines read */
} ingest_stats;

/*
 * Reads CSV file `path` with options `o`, calling `fn` for the header (if
 * any) and every data row. Blank lines are skipped. A row is never lost to a
 * bad neighbour: an over-long field or undecodable bytes reject that row only
 * (status set, raw kept), and reading goes on at the next row.
 *
 * Returns 0 when the whole file was read; the callback's non-zero value if it
 * stopped the read; -1 when the file cannot be read at all (open/read error,
 * unknown encoding, quote left open at end of file), with a one-line reason
 * in err. Memory use is bounded by the block size plus INGEST_MAX_FIELD.
 */
int ingest_csv_file(const char *path, const csv_options *o, ingest_row_fn fn, void *ctx,
                    ingest_stats *stats, char *err, size_t errlen);

#endif
