/*
 * run_rows.c - row accounting of the ingest stage: every data row of a file
 * gets exactly one outcome (settled, duplicate, rejected, skipped by rule),
 * counted on its business day; with the file's other lines (header, control
 * rows, skipped title lines) they add up to the rows read. Also the dry run's
 * rejects by reason per partner.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_int.h"

/* The counter of outcome `o` in c. */
static int64_t *outcome_slot(row_counts *c, row_outcome o)
{
    switch (o) {
    case ROW_SETTLED: return &c->settled;
    case ROW_DUPLICATE: return &c->duplicate;
    case ROW_REJECTED: return &c->rejected;
    case ROW_SKIPPED: break;
    }
    return &c->skipped;
}

/* The counts of `day` (INT32_MIN: the unknown-day bucket), created when new. */
static row_counts *day_counts(rows_acc *a, int32_t day)
{
    if (day == INT32_MIN)
        return &a->unknown;
    for (size_t i = a->n; i-- > 0;)
        if (a->days[i].day == day)
            return &a->days[i].c;
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 8;
        a->days = xrealloc(a->days, a->cap * sizeof *a->days);
    }
    a->days[a->n] = (rows_day){day, {0, 0, 0, 0}};
    return &a->days[a->n++].c;
}

void rows_note(rows_acc *a, int32_t day, row_outcome o)
{
    ++*outcome_slot(day_counts(a, day), o);
}

/* Adds b into a. */
static void counts_add(row_counts *a, const row_counts *b)
{
    a->settled += b->settled;
    a->duplicate += b->duplicate;
    a->rejected += b->rejected;
    a->skipped += b->skipped;
}

/* True when no row is counted in c. */
static bool counts_empty(const row_counts *c)
{
    return !c->settled && !c->duplicate && !c->rejected && !c->skipped;
}

int rows_commit(rows_acc *a, state *st, int64_t file_id, const char *partner, int32_t last_day)
{
    if (!counts_empty(&a->unknown) && last_day != INT32_MIN) { /* as its rejects: the last day */
        counts_add(day_counts(a, last_day), &a->unknown);
        memset(&a->unknown, 0, sizeof a->unknown);
    }
    for (size_t i = 0; i < a->n; i++)
        if (state_file_rows_add(st, file_id, partner, a->days[i].day, &a->days[i].c) != 0)
            return -1;
    if (!counts_empty(&a->unknown) &&
        state_file_rows_add(st, file_id, partner, INT32_MIN, &a->unknown) != 0)
        return -1;
    return state_file_lines(st, file_id, &a->lines);
}

void rows_totals(const rows_acc *a, run_totals *t)
{
    row_counts sum = a->unknown;
    for (size_t i = 0; i < a->n; i++)
        counts_add(&sum, &a->days[i].c);
    t->rows_read += a->lines.read;
    t->rows_other += a->lines.header + a->lines.control + a->lines.title;
    counts_add(&t->row_outcomes, &sum);
}

void rows_reset(rows_acc *a)
{
    free(a->days);
    memset(a, 0, sizeof *a);
}

void run_print_rejects(const run_ctx *rc)
{
    size_t n = rc->cfg->n_partners + rc->cfg->n_ledgers;
    for (size_t p = 0; rc->rejects_by_reason && p < n; p++) {
        const int64_t *by = rc->rejects_by_reason[p];
        const char *id = p < rc->cfg->n_partners ? rc->cfg->partners[p].id
                                                 : rc->cfg->ledgers[p - rc->cfg->n_partners].src.id;
        const char *sep = NULL;
        for (int c = 0; c < REJ_CODE_COUNT; c++) {
            if (!by[c])
                continue;
            if (!sep)
                printf("%-16s rejected:", id);
            printf("%s %s %lld", sep ? sep : "", reject_code_name((reject_code)c),
                   (long long)by[c]);
            sep = ",";
        }
        if (sep)
            printf("\n");
    }
}

int run_statement_rows(run_ctx *rc, const partner_config *pc, statement *st)
{
    int32_t first = st->agg->first_day, last = st->agg->last_day;
    if (state_period_rows(rc->st, pc->id, first, last, &st->rows) != 0)
        return -1;
    for (size_t i = 0; i < st->n_inputs; i++)
        if (state_input_rows(rc->st, pc->id, st->inputs[i].sha256, first, last,
                             &st->inputs[i].rows) != 0)
            return -1;
    return 0;
}
