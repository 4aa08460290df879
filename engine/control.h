/*
 * control.h - control totals (SPEC section 8): what a partner declares about
 * a file (row count and amount sum, in a trailer row or a manifest file) and
 * the check of those figures against what was read.
 *
 * Declared values are kept as text until compared, so a message can quote
 * them exactly as the partner wrote them.
 */
#ifndef SETTLE_CONTROL_H
#define SETTLE_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "ingest.h"
#include "normalise.h"
#include "util.h"

/* The figures a partner declared for one file. */
typedef struct control_decl {
    bool present;         /* a trailer or manifest was found */
    char count[64];       /* declared row count, as written */
    char sum[64];         /* declared amount sum, as written */
    char sha256[65];      /* manifest only: declared SHA-256 of the drop, or "" */
    char where[160];      /* "trailer at line 1204", "manifest x.csv.ctl" */
    bool comma_decimal;   /* sum is in the partner's CSV number format */
} control_decl;

/*
 * The manifest's file name for drop `drop_name` from the template (e.g.
 * "{name}.ctl"): {name} is the drop's name, {stem} the name without ".gz"
 * and its last extension. The caller frees the result.
 */
char *control_manifest_name(const char *tmpl, const char *drop_name);

/*
 * Reads manifest `path` (a YAML or JSON mapping, at most 64 KiB) into *d:
 * the values at o->count and o->sum (dotted paths), and `sha256` if present.
 * Returns 0, or -1 with a one-line reason (unreadable, not a mapping, a
 * path missing).
 */
int control_read_manifest(const char *path, const char *name, const control_options *o,
                          control_decl *d, char *err, size_t errlen);

/* Takes the declared figures from a CSV trailer row (count/sum columns). */
void control_from_csv_row(const control_options *o, const ingest_row *row, control_decl *d);
/* Takes them from a JSON reader's trailer row (fields: count, then sum). */
void control_from_json_row(const ingest_row *row, control_decl *d);

/*
 * Compares the declaration with what was read. A CSV trailer's sum is read
 * in the partner's number format (`csv`), others with '.' and exponents.
 * Returns NULL when they agree, else an owned message such as
 * "trailer at line 9: 8 rows declared, 7 read".
 */
char *control_check(const control_decl *d, const control_sum *read, const csv_options *csv,
                    const char *file_sha256);

/* A deep copy of a row, kept past the reader's callback (trailer look-ahead). */
typedef struct row_copy {
    ingest_row row;      /* slices point into the buffers below */
    bool has;
    sbuf bytes;
    slice *fields;
    size_t cap;
    char *problem;       /* owned copy of row.problem */
} row_copy;

/* Replaces the copy with `r`. */
void row_copy_set(row_copy *c, const ingest_row *r);
/* Releases the copy's buffers. */
void row_copy_free(row_copy *c);

#endif
