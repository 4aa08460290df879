/*
 * statement.h - a settlement statement: the period's aggregates, the lines
 * a rule produced, and the hashes that prove what it was computed from.
 */
#ifndef SETTLE_STATEMENT_H
#define SETTLE_STATEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "aggregate.h"

typedef enum statement_status { ST_PROVISIONAL = 0, ST_FINAL, ST_HELD } statement_status;
const char *statement_status_name(statement_status s); /* "provisional" "final" "held" */

typedef struct statement_line {
    char *label;    /* owned */
    int64_t amount; /* settlement-currency minor units */
} statement_line;

/*
 * Row accounting (SPEC section 8: every row accounted for). Every data row
 * of a file has exactly one outcome, counted on its business day; the other
 * lines a reader meets are counted per file, so per file
 *   read = header + control + title + settled + duplicate + rejected + skipped
 * and per statement read = settled + duplicate + rejected + skipped over the
 * period's days. An outcome is per row: with `amounts:` a row of several
 * transactions is settled when any of them was counted; else rejected when any
 * was rejected (not by the rule); else skipped when the rule skipped any; else
 * duplicate.
 */
typedef struct row_counts {
    int64_t settled;    /* data rows with at least one transaction counted */
    int64_t duplicate;  /* data rows whose transactions were all repeats of seen ids */
    int64_t rejected;   /* data rows rejected (whole, or a transaction of them, none counted) */
    int64_t skipped;    /* data rows whose transactions the rule's hook skipped */
} row_counts;
typedef struct file_lines {
    int64_t read;       /* rows met: data rows, header row, control rows, skipped title lines */
    int64_t header, control, title;
} file_lines;
/* One input file's accounting: the whole file, and its data rows in the period. */
typedef struct input_rows {
    file_lines lines;
    row_counts file, period;
} input_rows;

/* A file that fed the statement, by content hash. */
typedef struct statement_input {
    char *file;     /* owned; path relative to the inbox ("acme-games/2025-09-22.csv") */
    char sha256[65];
    input_rows rows;
} statement_input;

/*
 * A final period restated into this (open) statement: late data, or a restated
 * carry_in, changed it after it was issued; the payable difference is one of
 * this statement's lines (when not zero), the carry_out difference reaches the
 * next period's carry_in.
 */
typedef struct statement_restatement {
    char period[16];            /* the restated final period */
    char cause[16];             /* the period whose late data started it (== period when own) */
    char *files;                /* owned; the late files, one a line ("" when none) */
    int64_t issued_payable, previous_payable, restated_payable;
    int64_t issued_carry_out, restated_carry_out;
} statement_restatement;

/* Who released a held statement with `settle approve`, when and why (all owned). */
typedef struct statement_approval {
    char *by;           /* the operating-system account that ran settle approve */
    char *at;           /* UTC time of the approval, "YYYY-MM-DDTHH:MM:SSZ" */
    char *reason;       /* --reason as given */
    char *hold_reason;  /* the hold it released */
} statement_approval;
void statement_approval_free(statement_approval *a); /* frees the strings, not a itself */

struct recon_result; /* recon.h */

typedef struct statement {
    period_agg *agg;            /* owned */
    char *kind;                 /* owned; partner kind, for display */
    statement_status status;
    char *hold_reason;          /* owned; set when status is ST_HELD */
    statement_line *lines;      /* owned array */
    size_t n_lines;
    int64_t payable;
    int64_t carry_out;
    char rules_file[4096];      /* path as configured */
    char rules_sha256[65];
    char config_sha256[65];
    statement_input *inputs;    /* owned array, sorted by file */
    size_t n_inputs;
    row_counts rows;            /* data rows of the period's days, by outcome */
    char *error;                /* owned; rule failure message (status held), or NULL */
    statement_restatement *restated; /* owned array, in the order made; usually none */
    size_t n_restated;
    statement_approval *approval; /* owned; set when an approval released a control-total or
                                   * reconciliation hold */
    struct recon_result *recon;   /* owned array: one per partners.<id>.reconcile entry */
    size_t n_recon;
} statement;

void statement_free(statement *st);
/* Appends a line; takes a copy of label. */
void statement_add_line(statement *st, const char *label, int64_t amount);
/* Appends a restatement entry; takes a copy of its files. */
void statement_add_restatement(statement *st, const statement_restatement *r);
/* Appends a file list of one name a line (statement_restatement.files) to b as "a, b";
 * NULL appends nothing. */
void statement_files_join(sbuf *b, const char *files);

#endif
