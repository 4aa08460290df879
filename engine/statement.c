/*
 * statement.c - the settlement statement value: status names, adding rule
 * lines and restatement entries, and releasing everything a statement owns.
 */
#include <stdlib.h>
#include <string.h>

#include "recon.h"
#include "statement.h"

/*
 * Returns the status word used in every output ("provisional", "final",
 * "held"); a static string, never NULL ("unknown" for an out-of-range value).
 */
const char *statement_status_name(statement_status s)
{
    static const char *const names[] = {"provisional", "final", "held"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

/*
 * Appends one line (label copied, amount in settlement minor units). The
 * array is resized to fit exactly, so it stays valid however it was built
 * (statements have a handful of lines); out of memory exits (util.h).
 */
void statement_add_line(statement *st, const char *label, int64_t amount)
{
    size_t n = st->n_lines;
    st->lines = xrealloc(st->lines, (n + 1) * sizeof *st->lines);
    st->lines[n].label = xstrdup(label ? label : "");
    st->lines[n].amount = amount;
    st->n_lines = n + 1;
}

void statement_approval_free(statement_approval *a)
{
    free(a->by);
    free(a->at);
    free(a->reason);
    free(a->hold_reason);
    memset(a, 0, sizeof *a);
}

/*
 * Appends one restatement entry (period and cause copied by value, files
 * copied; NULL files become ""), resized to fit like the lines.
 */
void statement_add_restatement(statement *st, const statement_restatement *r)
{
    size_t n = st->n_restated;
    st->restated = xrealloc(st->restated, (n + 1) * sizeof *st->restated);
    st->restated[n] = *r;
    st->restated[n].files = xstrdup(r->files ? r->files : "");
    st->n_restated = n + 1;
}

void statement_files_join(sbuf *b, const char *files)
{
    for (; files && *files; files++)
        if (*files == '\n')
            sbuf_adds(b, ", ");
        else
            sbuf_addc(b, *files);
}

/*
 * Releases everything the statement owns (its period_agg through
 * period_agg_free, which also frees the struct, the strings and arrays) and
 * zeroes it. The statement struct itself belongs to the caller. NULL is a no-op.
 */
void statement_free(statement *st)
{
    if (!st)
        return;
    if (st->agg)
        period_agg_free(st->agg);
    free(st->kind);
    free(st->hold_reason);
    for (size_t i = 0; i < st->n_lines; i++)
        free(st->lines[i].label);
    free(st->lines);
    for (size_t i = 0; i < st->n_inputs; i++)
        free(st->inputs[i].file);
    free(st->inputs);
    free(st->error);
    for (size_t i = 0; i < st->n_restated; i++)
        free(st->restated[i].files);
    free(st->restated);
    if (st->approval)
        statement_approval_free(st->approval);
    free(st->approval);
    for (size_t i = 0; i < st->n_recon; i++)
        recon_result_free(&st->recon[i]);
    free(st->recon);
    memset(st, 0, sizeof *st);
}
