/*
 * ingest_csv_int.h - what the two halves of the CSV reader share (not part
 * of ingest.h): the reader's state, and the splitter's entry points.
 * ingest_csv.c reads and checks the file and hands text to csvr_feed;
 * ingest_csv_split.c splits it into rows and delivers them.
 */
#ifndef SETTLE_INGEST_CSV_INT_H
#define SETTLE_INGEST_CSV_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingest.h"
#include "ingest_iconv.h"
#include "ingest_source.h"

#define CSVR_BLOCK INGEST_BLOCK(1024 * 1024) /* read(2) size */
#define CSVR_PIECE INGEST_BLOCK(16 * 1024)  /* most bytes of a line handled at once */
#define CSVR_MAX_ROW (16 * INGEST_MAX_FIELD) /* field bytes kept per row */
#define CSVR_MAX_FIELDS 16384               /* fields kept per row */
#define CSVR_NO_QUOTE 0x100                 /* quote "byte" for "no quoting": matches none */

/* Where the byte splitter is (the states of libcsv's parser, by the same names). */
typedef enum csvr_state {
    CSVR_ROW_NOT_BEGUN = 0,
    CSVR_FIELD_NOT_BEGUN,
    CSVR_FIELD_BEGUN,
    CSVR_FIELD_MIGHT_HAVE_ENDED /* a quote met inside a quoted field */
} csvr_state;

/* One read of one file: splitter, buffers, position and the row being built. */
typedef struct csvr {
    csvr_state ps;          /* the byte splitter's state */
    bool quoted;            /* the field being built began with a quote */
    size_t spaces;          /* blanks at the end of the field being built */
    unsigned char delim;
    int quote;              /* quote byte, or CSVR_NO_QUOTE */
    char *entry;            /* owned, INGEST_MAX_FIELD bytes: the field being built */
    size_t elen;            /* its length (bytes past INGEST_MAX_FIELD are counted, not kept) */
    const csv_options *o;
    ingest_row_fn fn;
    void *ctx;
    ingest_stats *st;
    int rc;                 /* the callback's stop value, 0 while reading */
    byte_source *src;       /* owned */
    char *block;            /* owned, CSVR_BLOCK bytes */
    icv conv;               /* used when convert is true */
    bool convert;
    uint64_t line;          /* physical line being fed, 1-based */
    uint64_t row_line;      /* line where the current row starts */
    uint64_t quote_line;    /* line where the open quoted field starts */
    int skip;               /* physical lines still to skip */
    bool mid_line;          /* last byte fed was not an LF */
    bool bom_check;         /* nothing fed yet: look for a UTF-8 BOM */
    bool header_due;        /* next row is the header */
    /* The current row: field bytes in arena, field i at off[i], length f[i].n. */
    char *arena;            /* owned */
    size_t alen, acap;
    slice *f;               /* owned */
    size_t *off;            /* owned */
    size_t nf, fcap;
    bool too_long;
    bool enc_bad;           /* text not valid in the file's encoding: the file is unreadable */
    uint64_t enc_line;      /* where */
    unsigned first2;        /* the file's first two bytes (to name UTF-16), 0 before */
    bool first_read;
    bool direct;            /* fields point into the block (fast path), not the arena */
    /* Raw text: borrowed from the block (raw_own false) or copied to raw_buf. */
    const char *raw_p;
    size_t raw_n;
    bool raw_own;
    char raw_buf[INGEST_MAX_RAW + 8];
} csvr;


/* Feeds a run of UTF-8 text, line by line (ingest_csv_split.c). */
void csvr_feed(csvr *r, char *p, size_t n);
/* End of input: delivers a last row that had no line end (ingest_csv_split.c). */
void csvr_bytes_end(csvr *r);

#endif
