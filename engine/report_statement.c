/*
 * report_statement.c - statement.json and statement.csv, and
 * report_statement, which writes the three statement files of one partner
 * and period atomically. Field order is fixed here; see docs/outputs.md.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "report_util.h"

/* The hold reason to show: the statement's, else the aggregate's; NULL unless held. */
static const char *stmt_hold_reason(const statement *st)
{
    if (st->status != ST_HELD)
        return NULL;
    if (st->hold_reason)
        return st->hold_reason;
    return st->agg->hold_reason ? st->agg->hold_reason : "held for review";
}

/* Writes "ggr" as money, or null when it overflows int64. */
static void stmt_json_ggr(jw *w, const agg_sums *s, int exponent)
{
    int64_t g;
    if (agg_ggr(s, &g))
        jw_money(w, "ggr", g, exponent);
    else
        jw_null(w, "ggr");
}

/* Writes "total" and "count" per canonical type, then "ggr" and "transactions". */
void rep_json_sums(jw *w, const agg_sums *s, int exponent)
{
    jw_open(w, "total", '{');
    for (int t = 0; t < TX_TYPE_COUNT; t++)
        jw_money(w, tx_type_name((tx_type)t), s->total[t], exponent);
    jw_close(w, '}');
    jw_open(w, "count", '{');
    for (int t = 0; t < TX_TYPE_COUNT; t++)
        jw_int(w, tx_type_name((tx_type)t), s->count[t]);
    jw_close(w, '}');
    stmt_json_ggr(w, s, exponent);
    jw_int(w, "transactions", agg_transactions(s));
}

/* Writes one breakdown object keyed by group key; with_exp adds "exponent". */
static void stmt_json_groups(jw *w, const char *name, const agg_group *g, size_t n, bool with_exp)
{
    jw_open(w, name, '{');
    for (size_t i = 0; i < n; i++) {
        jw_open(w, g[i].key ? g[i].key : "", '{');
        if (with_exp)
            jw_int(w, "exponent", g[i].exponent);
        rep_json_sums(w, &g[i].s, g[i].exponent);
        jw_close(w, '}');
    }
    jw_close(w, '}');
}

/* Writes the "aggregates" object: totals, counters and the four breakdowns. */
static void stmt_json_aggregates(jw *w, const period_agg *p)
{
    jw_open(w, "aggregates", '{');
    rep_json_sums(w, &p->total, p->exponent);
    jw_int(w, "duplicates", p->duplicates);
    jw_int(w, "rejected", p->rejected);
    stmt_json_groups(w, "by_category", p->by_category, p->n_category, false);
    stmt_json_groups(w, "by_game", p->by_game, p->n_game, false);
    stmt_json_groups(w, "by_currency", p->by_currency, p->n_currency, true);
    stmt_json_groups(w, "by_day", p->by_day, p->n_day, false);
    jw_close(w, '}');
}

/* Writes the "fx" array: every rate applied, day by day. */
static void stmt_json_fx(jw *w, const period_agg *p)
{
    char day[11], rate_date[11];
    jw_open(w, "fx", '[');
    for (size_t i = 0; i < p->n_fx; i++) {
        const fx_applied *f = &p->fx[i];
        date_format(f->day, day);
        date_format(f->rate_date, rate_date);
        jw_open(w, NULL, '{');
        jw_str(w, "day", day);
        jw_str(w, "rate_date", rate_date);
        jw_str(w, "base", f->base);
        jw_str(w, "quote", f->quote);
        jw_str(w, "rate", f->rate);
        jw_close(w, '}');
    }
    jw_close(w, ']');
}

/* Writes "lines", "payable", "carry_in" and "carry_out". */
static void stmt_json_result(jw *w, const statement *st)
{
    int e = st->agg->exponent;
    jw_open(w, "lines", '[');
    for (size_t i = 0; i < st->n_lines; i++) {
        jw_open(w, NULL, '{');
        jw_str(w, "label", st->lines[i].label);
        jw_money(w, "amount", st->lines[i].amount, e);
        jw_close(w, '}');
    }
    jw_close(w, ']');
    jw_money(w, "payable", st->payable, e);
    jw_money(w, "carry_in", st->agg->carry_in, e);
    jw_money(w, "carry_out", st->carry_out, e);
}

/*
 * Writes "restatements" - final periods restated into this statement by late
 * data (one adjustment line each when the payable moved) - only when there are any.
 */
static void stmt_json_restatements(jw *w, const statement *st)
{
    int e = st->agg->exponent;
    if (!st->n_restated)
        return;
    jw_open(w, "restatements", '[');
    for (size_t i = 0; i < st->n_restated; i++) {
        const statement_restatement *r = &st->restated[i];
        jw_open(w, NULL, '{');
        jw_str(w, "period", r->period);
        jw_str(w, "cause", r->cause);
        jw_money(w, "issued_payable", r->issued_payable, e);
        jw_money(w, "previous_payable", r->previous_payable, e);
        jw_money(w, "restated_payable", r->restated_payable, e);
        jw_money(w, "adjustment", r->restated_payable - r->previous_payable, e);
        jw_money(w, "issued_carry_out", r->issued_carry_out, e);
        jw_money(w, "restated_carry_out", r->restated_carry_out, e);
        jw_open(w, "files", '[');
        for (const char *f = r->files; *f;) {
            size_t n = strcspn(f, "\n");
            char *one = xstrndup(f, n);
            jw_str(w, NULL, one);
            free(one);
            f += n + (f[n] == '\n');
        }
        jw_close(w, ']');
        jw_close(w, '}');
    }
    jw_close(w, ']');
}

/* Data rows counted in c: every outcome, so read = their sum. */
static int64_t rows_data(const row_counts *c)
{
    return c->settled + c->duplicate + c->rejected + c->skipped;
}

/*
 * Writes a row accounting object `name`: "read", then with lines (a whole
 * file) "header", "control", "title", then the data rows by outcome. read is
 * the rows met (lines->read) for a file, the data rows' sum for a period.
 */
static void stmt_json_rows(jw *w, const char *name, const row_counts *c, const file_lines *lines)
{
    jw_open(w, name, '{');
    jw_int(w, "read", lines ? lines->read : rows_data(c));
    if (lines) {
        jw_int(w, "header", lines->header);
        jw_int(w, "control", lines->control);
        jw_int(w, "title", lines->title);
    }
    jw_int(w, "settled", c->settled);
    jw_int(w, "duplicate", c->duplicate);
    jw_int(w, "rejected", c->rejected);
    jw_int(w, "skipped_by_rule", c->skipped);
    jw_close(w, '}');
}

/* Writes "inputs", "rules", "config_sha256" and "settle_version". */
static void stmt_json_provenance(jw *w, const statement *st)
{
    jw_open(w, "inputs", '[');
    for (size_t i = 0; i < st->n_inputs; i++) {
        jw_open(w, NULL, '{');
        jw_str(w, "file", st->inputs[i].file);
        jw_str(w, "sha256", st->inputs[i].sha256);
        stmt_json_rows(w, "rows", &st->inputs[i].rows.file, &st->inputs[i].rows.lines);
        stmt_json_rows(w, "rows_in_period", &st->inputs[i].rows.period, NULL);
        jw_close(w, '}');
    }
    jw_close(w, ']');
    jw_open(w, "rules", '{');
    jw_str(w, "file", st->rules_file);
    jw_str(w, "sha256", st->rules_sha256);
    jw_close(w, '}');
    jw_str(w, "config_sha256", st->config_sha256);
    jw_str(w, "settle_version", SETTLE_VERSION);
}

/* Writes the identifying header fields, partner through error and approval. */
static void stmt_json_head(jw *w, const statement *st)
{
    const period_agg *p = st->agg;
    char first[11], last[11];
    date_format(p->first_day, first);
    date_format(p->last_day, last);
    jw_str(w, "partner", p->partner);
    jw_str(w, "kind", st->kind);
    jw_str(w, "period", p->label);
    jw_str(w, "period_kind", period_kind_name(p->kind));
    jw_str(w, "first_day", first);
    jw_str(w, "last_day", last);
    jw_str(w, "currency", p->currency);
    jw_str(w, "status", statement_status_name(st->status));
    if (stmt_hold_reason(st))
        jw_str(w, "hold_reason", stmt_hold_reason(st));
    if (st->error)
        jw_str(w, "error", st->error);
    if (st->approval) {
        jw_open(w, "approval", '{');
        jw_str(w, "approved_by", st->approval->by);
        jw_str(w, "approved_at", st->approval->at);
        jw_str(w, "reason", st->approval->reason);
        jw_str(w, "hold_reason", st->approval->hold_reason);
        jw_close(w, '}');
    }
}

/* The statement.json text; caller frees. Never NULL (out of memory exits). */
char *statement_to_json(const statement *st)
{
    sbuf b;
    jw w;
    sbuf_init(&b);
    jw_init(&w, &b);
    jw_open(&w, NULL, '{');
    stmt_json_head(&w, st);
    stmt_json_aggregates(&w, st->agg);
    stmt_json_rows(&w, "rows", &st->rows, NULL);
    stmt_json_fx(&w, st->agg);
    stmt_json_result(&w, st);
    stmt_json_restatements(&w, st);
    rep_recon_json(&w, st);
    stmt_json_provenance(&w, st);
    jw_close(&w, '}');
    jw_end(&w);
    return sbuf_take(&b);
}

/* Appends a key,value metadata row with an integer value. */
static void stmt_csv_int(sbuf *b, const char *key, int64_t v)
{
    char num[24];
    snprintf(num, sizeof num, "%" PRId64, v);
    rep_csv_row(b, 2, key, num);
}

/* Appends the key,value metadata section of statement.csv. */
static void stmt_csv_head(sbuf *b, const statement *st)
{
    const period_agg *p = st->agg;
    char first[11], last[11];
    date_format(p->first_day, first);
    date_format(p->last_day, last);
    rep_csv_row(b, 2, "key", "value");
    rep_csv_row(b, 2, "partner", p->partner);
    rep_csv_row(b, 2, "kind", st->kind);
    rep_csv_row(b, 2, "period", p->label);
    rep_csv_row(b, 2, "period_kind", period_kind_name(p->kind));
    rep_csv_row(b, 2, "first_day", first);
    rep_csv_row(b, 2, "last_day", last);
    rep_csv_row(b, 2, "currency", p->currency);
    rep_csv_row(b, 2, "status", statement_status_name(st->status));
    if (stmt_hold_reason(st))
        rep_csv_row(b, 2, "hold_reason", stmt_hold_reason(st));
    if (st->error)
        rep_csv_row(b, 2, "error", st->error);
    if (st->approval) {
        rep_csv_row(b, 2, "approved_by", st->approval->by);
        rep_csv_row(b, 2, "approved_at", st->approval->at);
        rep_csv_row(b, 2, "approval_reason", st->approval->reason);
    }
    stmt_csv_int(b, "transactions", agg_transactions(&p->total));
    stmt_csv_int(b, "duplicates", p->duplicates);
    stmt_csv_int(b, "rejected", p->rejected);
    stmt_csv_int(b, "rows_read", rows_data(&st->rows));
    stmt_csv_int(b, "rows_settled", st->rows.settled);
    stmt_csv_int(b, "rows_duplicate", st->rows.duplicate);
    stmt_csv_int(b, "rows_rejected", st->rows.rejected);
    stmt_csv_int(b, "rows_skipped_by_rule", st->rows.skipped);
}

/* Appends the provenance rows: inputs with hashes, rules, config, version. */
static void stmt_csv_provenance(sbuf *b, const statement *st)
{
    for (size_t i = 0; i < st->n_inputs; i++) {
        rep_csv_row(b, 2, "input", st->inputs[i].file);
        rep_csv_row(b, 2, "input_sha256", st->inputs[i].sha256);
    }
    rep_csv_row(b, 2, "rules", st->rules_file);
    rep_csv_row(b, 2, "rules_sha256", st->rules_sha256);
    rep_csv_row(b, 2, "config_sha256", st->config_sha256);
    rep_csv_row(b, 2, "settle_version", SETTLE_VERSION);
}

/* Appends the section,label,amount rows: totals, counts, ggr, lines, result. */
static void stmt_csv_amounts(sbuf *b, const statement *st)
{
    const period_agg *p = st->agg;
    char m[MONEY_FMT_MAX];
    rep_csv_row(b, 3, "section", "label", "amount");
    for (int t = 0; t < TX_TYPE_COUNT; t++)
        rep_csv_row(b, 3, "total", tx_type_name((tx_type)t),
                    rep_money(p->total.total[t], p->exponent, m));
    for (int t = 0; t < TX_TYPE_COUNT; t++) {
        snprintf(m, sizeof m, "%" PRId64, p->total.count[t]);
        rep_csv_row(b, 3, "count", tx_type_name((tx_type)t), m);
    }
    rep_csv_row(b, 3, "aggregate", "ggr", rep_ggr(&p->total, p->exponent, m));
    for (size_t i = 0; i < st->n_lines; i++)
        rep_csv_row(b, 3, "line", st->lines[i].label,
                    rep_money(st->lines[i].amount, p->exponent, m));
    rep_csv_row(b, 3, "settlement", "carry_in", rep_money(p->carry_in, p->exponent, m));
    rep_csv_row(b, 3, "settlement", "payable", rep_money(st->payable, p->exponent, m));
    rep_csv_row(b, 3, "settlement", "carry_out", rep_money(st->carry_out, p->exponent, m));
}

/* Appends the whole statement.csv: metadata, blank line, amounts. */
void rep_statement_csv(sbuf *b, const statement *st)
{
    stmt_csv_head(b, st);
    stmt_csv_provenance(b, st);
    sbuf_addc(b, '\n');
    stmt_csv_amounts(b, st);
}

/* Renders one file of the statement into b and writes it atomically. */
static int stmt_write_one(const char *dir, const statement *st, int which, path_list *written,
                          char *err, size_t errlen)
{
    static const char *const names[] = {"statement.json", "statement.csv", "statement.html"};
    sbuf b;
    sbuf_init(&b);
    if (which == 0) {
        char *json = statement_to_json(st);
        sbuf_adds(&b, json);
        free(json);
    } else if (which == 1) {
        rep_statement_csv(&b, st);
    } else {
        rep_statement_html(&b, st);
    }
    int rc = rep_write(dir, names[which], &b, written, err, errlen);
    sbuf_free(&b);
    return rc;
}

/*
 * Writes <reports_dir>/<label>/<partner>/statement.{json,csv,html}. Stops at
 * the first failure: -1 with the reason in err (files already renamed stay;
 * a rerun rewrites them identically). Partner and label must be plain names.
 */
int report_statement(const char *reports_dir, const statement *st, path_list *written, char *err,
                     size_t errlen)
{
    const period_agg *p = st->agg;
    if (!p) {
        rep_err(err, errlen, "statement: no aggregates to report");
        return -1;
    }
    if (!rep_name_ok(p->partner) || !rep_name_ok(p->label)) {
        rep_err(err, errlen, "statement: partner \"%s\" or period \"%s\" is not a plain name",
                p->partner ? p->partner : "", p->label);
        return -1;
    }
    char *period_dir = path_join(reports_dir, p->label);
    char *dir = path_join(period_dir, p->partner);
    int rc = 0;
    for (int i = 0; i < 3 && rc == 0; i++)
        rc = stmt_write_one(dir, st, i, written, err, errlen);
    free(dir);
    free(period_dir);
    return rc;
}
