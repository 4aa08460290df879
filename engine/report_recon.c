/*
 * report_recon.c - a statement's reconciliation in its reports
 * (docs/reconciliation.md section 4): reconciliation.csv, one row per break
 * streamed through csv_stream, and the "reconciliation" section of
 * statement.json and statement.html. Partner strings are defused in CSV and
 * escaped in HTML by the shared helpers.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "recon.h"
#include "report_util.h"
#include "timefmt.h"

#define RECON_CSV_HEADER                                                                      \
    "kind,id,day,currency,partner_amount,ledger_amount,difference,partner_file,ledger_file,"  \
    "ledger"

csv_stream *recon_csv_begin(const char *reports_dir, const char *label, const char *partner,
                            char *err, size_t errlen)
{
    if (!rep_name_ok(label) || !rep_name_ok(partner)) {
        rep_err(err, errlen, "reconciliation: \"%s/%s\" is not a plain name",
                label ? label : "", partner ? partner : "");
        return NULL;
    }
    char *dir = xasprintf("%s/%s/%s", reports_dir, label, partner);
    csv_stream *w = csv_stream_begin(dir, "reconciliation.csv", RECON_CSV_HEADER, err, errlen);
    free(dir);
    return w;
}

/* "<folder>/<file>:<line>" into buf, or NULL when the side has no file. */
static const char *file_cell(const char *path, uint64_t line, sbuf *buf)
{
    if (!path)
        return NULL;
    sbuf_reset(buf);
    sbuf_addf(buf, "%s:%" PRIu64, path, line);
    return buf->buf;
}

int recon_csv_row(csv_stream *w, const recon_break *b)
{
    char day[11], pa[MONEY_FMT_MAX] = "", la[MONEY_FMT_MAX] = "", diff[MONEY_FMT_MAX] = "";
    bool same = strcmp(b->currency, b->ledger_currency) == 0;
    int64_t d;
    date_format(b->day, day);
    if (b->has_partner)
        money_format(b->partner_amount, b->exponent, pa);
    if (b->has_ledger)
        money_format(b->ledger_amount, b->ledger_exponent, la);
    if (b->has_partner && b->has_ledger && same && money_sub(b->partner_amount, b->ledger_amount, &d))
        money_format(d, b->exponent, diff);
    sbuf cur, pf, lf;
    sbuf_init(&cur);
    sbuf_init(&pf);
    sbuf_init(&lf);
    sbuf_adds(&cur, b->currency);
    if (!same)
        sbuf_addf(&cur, "/%s", b->ledger_currency);
    const char *cells[] = {recon_kind_name(b->kind), b->id, day, cur.buf,
                           b->has_partner ? pa : NULL, b->has_ledger ? la : NULL,
                           diff[0] ? diff : NULL,
                           file_cell(b->partner_file, b->partner_line, &pf),
                           file_cell(b->ledger_file, b->ledger_line, &lf), b->ledger};
    size_t n = sizeof cells / sizeof cells[0];
    for (size_t i = 0; i < n; i++)
        csv_stream_cell(w, cells[i], i == n - 1);
    sbuf_free(&cur);
    sbuf_free(&pf);
    sbuf_free(&lf);
    return csv_stream_row_end(w);
}

/* "match" as configured. */
static const char *match_name(recon_match m)
{
    return m == MATCH_DAILY ? "daily" : "transaction";
}

void rep_recon_json(jw *w, const statement *st)
{
    int e = st->agg->exponent;
    if (!st->n_recon)
        return;
    jw_open(w, "reconciliation", '[');
    for (size_t i = 0; i < st->n_recon; i++) {
        const recon_result *r = &st->recon[i];
        jw_open(w, NULL, '{');
        jw_str(w, "ledger", r->ledger);
        jw_str(w, "match", match_name(r->match));
        jw_open(w, "matched", '{');
        jw_int(w, "count", r->matched.count);
        jw_money(w, "amount", r->matched.amount, e);
        jw_close(w, '}');
        jw_open(w, "breaks", '{');
        for (int k = 0; k < RK_COUNT; k++) {
            jw_open(w, recon_kind_name((recon_kind)k), '{');
            jw_int(w, "count", r->breaks[k].count);
            jw_money(w, "amount", r->breaks[k].amount, e);
            jw_close(w, '}');
        }
        jw_close(w, '}');
        jw_int(w, "waiting", r->waiting);
        jw_str(w, "status", recon_status_name(r->status));
        if (r->status == RS_HELD && r->reason)
            jw_str(w, "reason", r->reason);
        jw_open(w, "ledger_totals", '{');
        rep_json_sums(w, &r->ledger_totals, e);
        jw_close(w, '}');
        jw_close(w, '}');
    }
    jw_close(w, ']');
}

/* A count as text in buf. */
static const char *count_text(int64_t v, char buf[24])
{
    snprintf(buf, 24, "%" PRId64, v);
    return buf;
}

void rep_recon_html(sbuf *b, const statement *st)
{
    int e = st->agg->exponent;
    char n1[24], n2[24], n3[24], m1[MONEY_FMT_MAX], m2[MONEY_FMT_MAX];
    if (!st->n_recon)
        return;
    sbuf_adds(b, "<h2>Reconciliation</h2>\n<table>\n");
    rep_html_row(b, "th", 0x7cu, 8, "Ledger", "Match", "Matched", "Matched amount", "Breaks",
                 "Break amount", "Waiting", "Status");
    for (size_t i = 0; i < st->n_recon; i++) {
        const recon_result *r = &st->recon[i];
        int64_t n = 0, amount = 0;
        for (int k = 0; k < RK_COUNT; k++) {
            n += r->breaks[k].count;
            money_add(amount, r->breaks[k].amount, &amount);
        }
        rep_html_row(b, "td", 0x7cu, 8, r->ledger, match_name(r->match),
                     count_text(r->matched.count, n1), rep_money(r->matched.amount, e, m1),
                     count_text(n, n2), rep_money(amount, e, m2), count_text(r->waiting, n3),
                     recon_status_name(r->status));
    }
    sbuf_adds(b, "</table>\n<table>\n");
    rep_html_row(b, "th", 12u, 4, "Ledger", "Break", "Count", "Amount");
    for (size_t i = 0; i < st->n_recon; i++)
        for (int k = 0; k < RK_COUNT; k++)
            rep_html_row(b, "td", 12u, 4, st->recon[i].ledger, recon_kind_name((recon_kind)k),
                         count_text(st->recon[i].breaks[k].count, n1),
                         rep_money(st->recon[i].breaks[k].amount, e, m1));
    sbuf_adds(b, "</table>\n");
    for (size_t i = 0; i < st->n_recon; i++)
        if (st->recon[i].status == RS_HELD && st->recon[i].reason)
            rep_html_elem(b, "p", "class=\"hold\"", st->recon[i].reason);
}
