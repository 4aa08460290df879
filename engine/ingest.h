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
    ROW_BAD_SYNTAX       /* the row is not well-formed (e.g. an NDJSON line that is not a
                            JSON object); `problem` says why; fields are not usable */
} row_status;

typedef struct ingest_row {
    const slice *fields;  /* fields[0..n_fields) in UTF-8 */
    size_t n_fields;
    uint64_t line;        /* physical line (1-based) where the row starts */
    slice raw;            /* the row's text as read (UTF-8, without the line end) */
    row_status status;
    const char *problem;  /* ROW_BAD_SYNTAX: what is wrong, e.g. "line 4, column 12: ..." */
    bool is_header;       /* the header row (csv.header: true); delivered once, first */
    bool is_trailer;      /* a control-totals row (JSON readers only; see ingest_json_file) */
} ingest_row;

/* Return 0 to continue, non-zero to stop reading (returned by the reader). */
typedef int (*ingest_row_fn)(void *ctx, const ingest_row *row);

typedef struct ingest_stats {
    uint64_t bytes;       /* bytes read from the file */
    uint64_t rows;        /* data rows delivered (header and skipped lines excluded) */
    uint64_t lines;       /* physical lines read */
    uint64_t skipped;     /* CSV: title lines skipped by csv.skip_lines */
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

/*
 * Reads JSON drop `path` (plain or gzip) in bounded memory. The layout is
 * found from the first byte that is not white space:
 *   '['  a top-level array of record objects;
 *   '{'  with o->records set: one document whose records are the array at
 *        that path ("data.transactions"); without it: NDJSON, one record
 *        object per line (blank lines skipped).
 * `paths[0..n_paths)` are the fields wanted, dotted paths inside a record
 * ("tx.id", "amount.value"). The reader first calls `fn` once with a header
 * row (is_header) whose fields are the paths themselves, then once per record
 * with fields[i] = the value at paths[i]: strings unescaped to UTF-8, numbers
 * exactly as written ("1.5e3"), true/false as text, null or absent as an
 * empty slice. line is the line where the record starts; raw is the record's
 * text (line breaks as spaces, cut at INGEST_MAX_RAW).
 *
 * Control totals: with n_control > 0, in array and NDJSON layouts a record
 * that holds control[0] (present and not null) is not a record but the
 * trailer: it is delivered with is_trailer set and fields[i] = the value at
 * control[i] in it. In the document layout the control paths are read from
 * the document's root and one trailer row is delivered after the last record
 * (empty fields if absent). Trailer rows are not counted in stats->rows; for
 * gzip, stats->bytes is the compressed size read. The header row has line 1
 * and empty raw text; a bad row has no fields. Of repeated keys, the first
 * value of a wanted path wins.
 *
 * A bad record rejects that row only (status ROW_BAD_SYNTAX or
 * ROW_FIELD_TOO_LONG, reason in `problem`): an NDJSON line that is not a JSON
 * object, an array element that is not an object, a wanted path holding an
 * object or array. Returns 0 when the whole file was read; the callback's
 * non-zero value if it stopped the read; -1 when the file is unreadable, with
 * "line L, column C: reason" in err: not JSON, a syntax error in the array or
 * document layout, text that is not UTF-8, the file ending mid-record, a
 * corrupt or truncated gzip archive.
 */
typedef struct json_options {
    const char *records;  /* path of the records array in a top-level object, or NULL */
} json_options;

int ingest_json_file(const char *path, const json_options *o, const char *const *paths,
                     size_t n_paths, const char *const *control, size_t n_control,
                     ingest_row_fn fn, void *ctx, ingest_stats *stats, char *err, size_t errlen);

#endif
