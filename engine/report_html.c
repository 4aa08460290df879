/*
 * report_html.c - statement.html: one self-contained page per statement
 * (inline CSS, no scripts, no external resources). Every string that came
 * from a partner, a drop or a rule is escaped. Appends to a caller-owned sbuf.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "report_util.h"

/* Formats an integer count into buf (24 bytes); returns buf. */
static const char *sth_int(int64_t v, char buf[24])
{
    snprintf(buf, 24, "%" PRId64, v);
    return buf;
}

/* Appends the title block: partner, status badge, period, days, currency, kind. */
static void sth_head(sbuf *b, const statement *st)
{
    const period_agg *p = st->agg;
    char first[11], last[11];
    date_format(p->first_day, first);
    date_format(p->last_day, last);
    sbuf_adds(b, "<h1>Statement: ");
    rep_html_elem(b, NULL, NULL, p->partner);
    sbuf_adds(b, " ");
    rep_html_badge(b, statement_status_name(st->status));
    sbuf_adds(b, "</h1>\n<p class=\"meta\">Period ");
    rep_html_elem(b, "strong", NULL, p->label);
    sbuf_addf(b, " (%s, %s to %s), currency ", period_kind_name(p->kind), first, last);
    rep_html_elem(b, "strong", NULL, p->currency);
    if (st->kind) {
        sbuf_adds(b, ", partner kind ");
        rep_html_elem(b, NULL, NULL, st->kind);
    }
    sbuf_adds(b, "</p>\n");
}

/* Appends the hold banner, the approval that released a hold and the rule error, when there are any. */
static void sth_alerts(sbuf *b, const statement *st)
{
    const char *hold = st->hold_reason ? st->hold_reason : st->agg->hold_reason;
    if (st->status == ST_HELD) {
        sbuf_adds(b, "<div class=\"hold\"><strong>Held for review:</strong> ");
        rep_html_elem(b, NULL, NULL, hold ? hold : "no reason recorded");
        sbuf_adds(b, "</div>\n");
    }
    if (st->approval) {
        sbuf_adds(b, "<div class=\"approval\"><strong>Released by approval:</strong> ");
        rep_html_elem(b, NULL, NULL, st->approval->by);
        sbuf_adds(b, " at ");
        rep_html_elem(b, NULL, NULL, st->approval->at);
        sbuf_adds(b, ": ");
        const char *why = st->approval->reason;
        rep_html_elem(b, NULL, NULL, why ? why : "(no reason recorded)");
        sbuf_adds(b, "</div>\n");
    }
    if (st->error) {
        sbuf_adds(b, "<h2>Rule error</h2>\n");
        rep_html_elem(b, "pre", NULL, st->error);
        sbuf_addc(b, '\n');
    }
}

/* Appends the settlement table: rule lines, then carry in, payable, carry out. */
static void sth_settlement(sbuf *b, const statement *st)
{
    int e = st->agg->exponent;
    char m[MONEY_FMT_MAX];
    sbuf_adds(b, "<h2>Settlement</h2>\n<table>\n");
    rep_html_row(b, "th", 2u, 2, "Line", "Amount");
    for (size_t i = 0; i < st->n_lines; i++)
        rep_html_row(b, "td", 2u, 2, st->lines[i].label, rep_money(st->lines[i].amount, e, m));
    rep_html_row(b, "td", 2u, 2, "Carry in", rep_money(st->agg->carry_in, e, m));
    sbuf_adds(b, "<tr class=\"total\">");
    rep_html_elem(b, "td", NULL, "Payable");
    rep_html_elem(b, "td", "class=\"num\"", rep_money(st->payable, e, m));
    sbuf_adds(b, "</tr>\n");
    rep_html_row(b, "td", 2u, 2, "Carry out", rep_money(st->carry_out, e, m));
    sbuf_adds(b, "</table>\n");
}

/* Appends the restated final periods whose difference landed here (none when there are none). */
static void sth_restatements(sbuf *b, const statement *st)
{
    int e = st->agg->exponent;
    char ip[MONEY_FMT_MAX], rp[MONEY_FMT_MAX], adj[MONEY_FMT_MAX], ic[MONEY_FMT_MAX],
        rco[MONEY_FMT_MAX];
    if (!st->n_restated)
        return;
    sbuf_adds(b, "<h2>Restated final periods</h2>\n<table>\n");
    rep_html_row(b, "th", 124u, 8, "Period", "Late data for", "Issued payable", "Restated payable",
                 "Adjustment", "Issued carry out", "Restated carry out", "Files");
    for (size_t i = 0; i < st->n_restated; i++) {
        const statement_restatement *r = &st->restated[i];
        sbuf files;
        sbuf_init(&files);
        statement_files_join(&files, r->files);
        rep_html_row(b, "td", 124u, 8, r->period, r->cause, rep_money(r->issued_payable, e, ip),
                     rep_money(r->restated_payable, e, rp),
                     rep_money(r->restated_payable - r->previous_payable, e, adj),
                     rep_money(r->issued_carry_out, e, ic),
                     rep_money(r->restated_carry_out, e, rco), files.buf ? files.buf : "");
        sbuf_free(&files);
    }
    sbuf_adds(b, "</table>\n");
}

/* Appends the aggregate table: total and count per type, GGR and counters. */
static void sth_aggregates(sbuf *b, const period_agg *p)
{
    char m[MONEY_FMT_MAX], n[24];
    sbuf_adds(b, "<h2>Aggregates</h2>\n<table>\n");
    rep_html_row(b, "th", 6u, 3, "Type", "Total", "Count");
    for (int t = 0; t < TX_TYPE_COUNT; t++)
        rep_html_row(b, "td", 6u, 3, tx_type_name((tx_type)t),
                     rep_money(p->total.total[t], p->exponent, m), sth_int(p->total.count[t], n));
    rep_html_row(b, "td", 6u, 3, "GGR", rep_ggr(&p->total, p->exponent, m), "");
    rep_html_row(b, "td", 6u, 3, "Transactions", "", sth_int(agg_transactions(&p->total), n));
    rep_html_row(b, "td", 6u, 3, "Duplicates", "", sth_int(p->duplicates, n));
    rep_html_row(b, "td", 6u, 3, "Rejected rows", "", sth_int(p->rejected, n));
    sbuf_adds(b, "</table>\n");
}

/* Appends one breakdown table (by category, game, currency or day); none when empty. */
static void sth_groups(sbuf *b, const char *title, const agg_group *g, size_t n)
{
    char bet[MONEY_FMT_MAX], win[MONEY_FMT_MAX], ggr[MONEY_FMT_MAX], cnt[24];
    if (!n)
        return;
    rep_html_elem(b, "h2", NULL, title);
    sbuf_adds(b, "\n<table>\n");
    rep_html_row(b, "th", 30u, 5, "Key", "Transactions", "Bet", "Win", "GGR");
    for (size_t i = 0; i < n; i++)
        rep_html_row(b, "td", 30u, 5, g[i].key, sth_int(agg_transactions(&g[i].s), cnt),
                     rep_money(g[i].s.total[TX_BET], g[i].exponent, bet),
                     rep_money(g[i].s.total[TX_WIN], g[i].exponent, win),
                     rep_ggr(&g[i].s, g[i].exponent, ggr));
    sbuf_adds(b, "</table>\n");
}

/* Appends the FX table: every rate applied (none when no conversion happened). */
static void sth_fx(sbuf *b, const period_agg *p)
{
    char day[11], rate_date[11];
    if (!p->n_fx)
        return;
    sbuf_adds(b, "<h2>FX rates applied</h2>\n<table>\n");
    rep_html_row(b, "th", 16u, 5, "Day", "Rate date", "Base", "Quote", "Rate");
    for (size_t i = 0; i < p->n_fx; i++) {
        const fx_applied *f = &p->fx[i];
        date_format(f->day, day);
        date_format(f->rate_date, rate_date);
        rep_html_row(b, "td", 16u, 5, day, rate_date, f->base, f->quote, f->rate);
    }
    sbuf_adds(b, "</table>\n");
}

/* Appends the provenance table: input files, rules and config by SHA-256. */
static void sth_provenance(sbuf *b, const statement *st)
{
    sbuf_adds(b, "<h2>Computed from</h2>\n<table>\n");
    rep_html_row(b, "th", 0u, 3, "What", "File", "SHA-256");
    for (size_t i = 0; i < st->n_inputs; i++)
        rep_html_row(b, "td", 0u, 3, "input", st->inputs[i].file, st->inputs[i].sha256);
    rep_html_row(b, "td", 0u, 3, "rules", st->rules_file, st->rules_sha256);
    rep_html_row(b, "td", 0u, 3, "config", "", st->config_sha256);
    rep_html_row(b, "td", 0u, 3, "settle", "version " SETTLE_VERSION, "");
    sbuf_adds(b, "</table>\n");
}

/* Appends the complete statement.html page. */
void rep_statement_html(sbuf *b, const statement *st)
{
    const period_agg *p = st->agg;
    char *title = xasprintf("Statement %s %s", p->partner ? p->partner : "", p->label);
    rep_html_begin(b, title);
    free(title);
    sth_head(b, st);
    sth_alerts(b, st);
    sth_settlement(b, st);
    sth_restatements(b, st);
    rep_recon_html(b, st);
    sth_aggregates(b, p);
    sth_groups(b, "By category", p->by_category, p->n_category);
    sth_groups(b, "By game", p->by_game, p->n_game);
    sth_groups(b, "By source currency (in that currency)", p->by_currency, p->n_currency);
    sth_groups(b, "By business day", p->by_day, p->n_day);
    sth_fx(b, p);
    sth_provenance(b, st);
    rep_html_end(b);
}
