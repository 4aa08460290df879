/*
 * state_metrics.c - the figures settle.prom is made of (state.h,
 * metrics.c): one grouped query per figure over the whole state, so the
 * file says what the state says, whichever run wrote it. Queries are
 * prepared once per call: settle.prom is written once per run.
 */
#include <string.h>

#include "state_int.h"

/* Per figure: the query; its columns are the labels, then (SMET_OPEN) the day, then the
 * value. */
static const char *const metric_sql[SMET_COUNT] = {
    [SMET_FILES] = "SELECT partner, outcome, count(*) FROM files WHERE outcome IS NOT NULL "
                   "GROUP BY partner, outcome ORDER BY partner, outcome",
    [SMET_ROWS] = "SELECT partner, sum(coalesce(rows_read, rows, 0)) FROM files "
                  "WHERE outcome='processed' GROUP BY partner ORDER BY partner",
    [SMET_TRANSACTIONS] = "SELECT partner, sum(coalesce(transactions, 0)) FROM files "
                          "WHERE outcome='processed' GROUP BY partner ORDER BY partner",
    [SMET_DUPLICATES] = "SELECT partner, sum(coalesce(duplicates, 0)) FROM files "
                        "WHERE outcome='processed' GROUP BY partner ORDER BY partner",
    [SMET_REJECTS] = "SELECT partner, reason, count(*) FROM rejects "
                     "GROUP BY partner, reason ORDER BY partner, reason",
    [SMET_STATEMENTS] = "SELECT partner, status, count(*) FROM statements "
                        "GROUP BY partner, status ORDER BY partner, status",
    [SMET_BREAKS] = "SELECT partner, ledger, kind, count(*) FROM recon_breaks "
                    "GROUP BY partner, ledger, kind ORDER BY partner, ledger, kind",
    [SMET_OPEN] = "SELECT partner, ledger, CAST(side AS TEXT), day, sum(count) FROM recon_open_days "
                  "GROUP BY partner, ledger, side, day ORDER BY partner, ledger, side, day",
    [SMET_LAST_SUCCESS] = "SELECT CAST(strftime('%s', max(finished)) AS INTEGER) FROM runs "
                          "WHERE finished IS NOT NULL AND exit_code IN (0, 1) "
                          "HAVING max(finished) IS NOT NULL",
};

/* Labels per figure (the columns before the value, and the day for SMET_OPEN). */
static const int metric_labels[SMET_COUNT] = {
    [SMET_FILES] = 2, [SMET_ROWS] = 1, [SMET_TRANSACTIONS] = 1, [SMET_DUPLICATES] = 1,
    [SMET_REJECTS] = 2, [SMET_STATEMENTS] = 2, [SMET_BREAKS] = 3, [SMET_OPEN] = 3,
    [SMET_LAST_SUCCESS] = 0,
};

int state_metrics_each(state *s, state_metric m,
                       int (*fn)(void *ctx, const state_metric_row *row), void *ctx)
{
    if ((int)m < 0 || m >= SMET_COUNT)
        return 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, metric_sql[m], -1, &st, NULL) != SQLITE_OK)
        return state_fail(s, "state: metrics");
    int n = metric_labels[m], rc, stop = 0;
    bool has_day = m == SMET_OPEN;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        state_metric_row row = {{NULL, NULL, NULL}, 0, 0};
        for (int i = 0; i < n; i++)
            row.label[i] = (const char *)sqlite3_column_text(st, i);
        if (has_day)
            row.day = sqlite3_column_int(st, n);
        row.value = sqlite3_column_int64(st, n + has_day);
        stop = fn(ctx, &row);
    }
    if (!stop && rc != SQLITE_DONE) {
        state_fail(s, "state: metrics");
        stop = -1;
    }
    sqlite3_finalize(st);
    return stop;
}
