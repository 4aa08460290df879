/*
 * state_status_int.h - private to the `settle status` files: state_status.c
 * (runs, totals, warnings, the whole report) and state_status_partner.c (the
 * per-partner sections). One status_ctx per report: it owns the text or JSON
 * being built (b, w); queries record the first failure in rc and in the state.
 */
#ifndef SETTLE_STATE_STATUS_INT_H
#define SETTLE_STATE_STATUS_INT_H

#include <sqlite3.h>

#include "json_writer.h"
#include "state_int.h"

/* How many entries each list shows (newest first); counts always cover everything. */
enum {
    LIMIT_RUNS = 10,
    LIMIT_FILES = 10, /* quarantined files, and files with control mismatches, per partner */
    LIMIT_HELD = 100,
    LIMIT_PROVISIONAL = 12,
    LIMIT_FINAL = 12,
    LIMIT_APPROVALS = 12,
};

typedef struct status_ctx {
    state *s;
    sbuf b;
    jw w;
    bool json;
    int rc; /* -1 once a query failed */
} status_ctx;

/* An integer column as JSON, or null when the column is NULL. */
void status_jw_col_int(jw *w, const char *key, sqlite3_stmt *st, int i);
/* Column i as text (owned by the statement, valid until its next step). */
const char *status_col(sqlite3_stmt *st, int i);
/* Prepares a one-off query (caller finalizes); NULL (error recorded) on failure. */
sqlite3_stmt *status_prep(status_ctx *c, const char *sql);
/* Prepares a query whose ?1 is a partner id. */
sqlite3_stmt *status_prep_partner(status_ctx *c, const char *sql, const char *partner);
/* Steps to the next row: true on a row; false at the end or on an error (recorded). */
bool status_next_row(status_ctx *c, sqlite3_stmt *st);
/* The first column of a one-row count query with ?1 = partner (NULL: none bound). */
int64_t status_count_of(status_ctx *c, const char *sql, const char *partner);
/* "(newest 12 of 40)" into buf when a list is cut, else "". */
void status_cut_note(char *buf, size_t len, int64_t shown, int64_t total);
/* Appends every partner's section (state_status_partner.c). */
void status_section_partners(status_ctx *c);

#endif
