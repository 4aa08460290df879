/*
 * report_summary.c - the per-period summary in three forms: summary.txt
 * (aligned plain text for a terminal or e-mail), summary.json (for scripts)
 * and summary.html. One row per partner in the order given, totals per
 * settlement currency, and the held statements with their reasons.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "report_util.h"

/* Totals of the rows that settle in one currency. */
typedef struct sum_total {
    const char *currency;   /* borrowed from a row */
    int exponent;
    int64_t partners, transactions, amount[3]; /* ggr, payable, carry_out */
    bool overflow[3];       /* that amount did not fit int64 */
} sum_total;

/* Everything the three renderers need; totals owned, rows borrowed. */
typedef struct sum_ctx {
    const char *label;
    const summary_row *rows;
    size_t n_rows, held;
    size_t reconciled, recon_held;  /* partners reconciled; of them, held by reconciliation */
    int64_t recon_breaks;           /* their breaks */
    sum_total *totals;
    size_t n_totals;
} sum_ctx;

static const char *const sum_amount_names[3] = {"ggr", "payable", "carry_out"};

/* Orders totals by currency code (qsort callback). */
static int sum_total_cmp(const void *a, const void *b)
{
    return strcmp(((const sum_total *)a)->currency, ((const sum_total *)b)->currency);
}

/* Adds v to *acc, or sets *overflow and leaves *acc when it would not fit. */
static void sum_add(int64_t *acc, int64_t v, bool *overflow)
{
    if (!*overflow && !money_add(*acc, v, acc))
        *overflow = true;
}

/* The total of the row's currency, created (zeroed) on first use. */
static sum_total *sum_total_for(sum_ctx *c, const summary_row *r)
{
    const char *cur = r->currency ? r->currency : "";
    for (size_t i = 0; i < c->n_totals; i++)
        if (strcmp(c->totals[i].currency, cur) == 0)
            return &c->totals[i];
    sum_total *t = &c->totals[c->n_totals++];
    memset(t, 0, sizeof *t);
    t->currency = cur;
    t->exponent = r->exponent;
    return t;
}

/* Fills c from the rows: held count and per-currency totals (sorted); free with sum_ctx_free. */
static void sum_ctx_init(sum_ctx *c, const char *label, const summary_row *rows, size_t n)
{
    c->label = label;
    c->rows = rows;
    c->n_rows = n;
    c->held = 0;
    c->reconciled = c->recon_held = 0;
    c->recon_breaks = 0;
    c->totals = xcalloc(n ? n : 1, sizeof *c->totals);
    c->n_totals = 0;
    for (size_t i = 0; i < n; i++) {
        const summary_row *r = &rows[i];
        bool held = r->status && strcmp(r->status, "held") == 0;
        c->held += held;
        if (r->recon_status) {
            c->reconciled++;
            c->recon_breaks += r->recon_breaks;
            c->recon_held += held && strcmp(r->recon_status, "held") == 0;
        }
        if (held)
            continue; /* a held statement pays nothing yet: left out of the totals */
        sum_total *t = sum_total_for(c, r);
        int64_t v[3] = {r->ggr, r->payable, r->carry_out};
        t->partners++;
        t->transactions += r->transactions;
        for (int k = 0; k < 3; k++)
            sum_add(&t->amount[k], v[k], &t->overflow[k]);
    }
    qsort(c->totals, c->n_totals, sizeof *c->totals, sum_total_cmp);
}

/* Releases the totals. */
static void sum_ctx_free(sum_ctx *c)
{
    free(c->totals);
    c->totals = NULL;
}

/* Total amount k as text in buf, or "overflow". */
static const char *sum_total_text(const sum_total *t, int k, char *buf)
{
    if (t->overflow[k])
        return strcpy(buf, "overflow");
    return rep_money(t->amount[k], t->exponent, buf);
}

/* A copy of s, valid UTF-8 (sbuf_add_utf8), with control characters turned into spaces
 * (NULL gives ""); caller frees. */
static char *sum_clean(const char *s)
{
    sbuf t;
    sbuf_init(&t);
    sbuf_add_utf8(&t, s ? s : "", s ? strlen(s) : 0);
    char *c = sbuf_take(&t);
    for (char *p = c; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return c;
}

/* Display width of UTF-8 text: code points, not bytes. */
static size_t sum_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

/* Formats an int64 into a new string; caller frees. */
static char *sum_int(int64_t v)
{
    return xasprintf("%" PRId64, v);
}

/* Formats money into a new string; caller frees. */
static char *sum_money(int64_t v, int exponent)
{
    char buf[MONEY_FMT_MAX];
    return xstrdup(rep_money(v, exponent, buf));
}

/* Appends cell padded to width w: right-aligned when num, no trailing blanks when last. */
static void sum_txt_cell(sbuf *b, const char *cell, size_t w, bool num, bool last)
{
    size_t pad = w - sum_width(cell);
    for (size_t i = 0; num && i < pad; i++)
        sbuf_addc(b, ' ');
    sbuf_adds(b, cell);
    for (size_t i = 0; !num && !last && i < pad; i++)
        sbuf_addc(b, ' ');
    if (!last)
        sbuf_adds(b, "  ");
}

/*
 * Appends an aligned table of nrows x ncols owned cells (row 0 is the header)
 * and frees the cells. Bit i of num_mask right-aligns column i.
 */
static void sum_txt_table(sbuf *b, char **cells, size_t nrows, size_t ncols, unsigned num_mask)
{
    size_t w[16] = {0};
    for (size_t i = 0; i < nrows * ncols; i++)
        if (sum_width(cells[i]) > w[i % ncols])
            w[i % ncols] = sum_width(cells[i]);
    for (size_t r = 0; r < nrows; r++) {
        for (size_t k = 0; k < ncols; k++)
            sum_txt_cell(b, cells[r * ncols + k], w[k], (num_mask >> k) & 1u, k + 1 == ncols);
        sbuf_addc(b, '\n');
    }
    for (size_t i = 0; i < nrows * ncols; i++)
        free(cells[i]);
    free(cells);
}

#define SUM_COLS 10
/* Fills row[0..SUM_COLS) with new strings for one partner; caller frees each. */
static void sum_row_cells(const summary_row *r, char **row)
{
    row[0] = sum_clean(r->partner);
    row[1] = sum_clean(r->kind);
    row[2] = sum_clean(r->status);
    row[3] = sum_clean(r->currency);
    row[4] = sum_int(r->transactions);
    row[5] = sum_money(r->ggr, r->exponent);
    row[6] = sum_money(r->payable, r->exponent);
    row[7] = sum_money(r->carry_out, r->exponent);
    row[8] = sum_int(r->duplicates);
    row[9] = sum_int(r->rejected);
}

/* Builds the owned cells of the partner table (header + one row per partner). */
static char **sum_txt_partner_cells(const sum_ctx *c)
{
    static const char *const head[SUM_COLS] = {
        "partner", "kind", "status", "currency", "transactions",
        "ggr", "payable", "carry_out", "duplicates", "rejected"};
    char **cells = xmalloc((c->n_rows + 1) * SUM_COLS * sizeof *cells);
    for (int k = 0; k < SUM_COLS; k++)
        cells[k] = xstrdup(head[k]);
    for (size_t i = 0; i < c->n_rows; i++)
        sum_row_cells(&c->rows[i], cells + (i + 1) * SUM_COLS);
    return cells;
}

#define TOT_COLS 6
/* Builds the cells of the per-currency totals table (header + one row per currency). */
static char **sum_txt_total_cells(const sum_ctx *c)
{
    static const char *const head[TOT_COLS] = {"currency", "partners", "transactions",
                                               "ggr",      "payable",  "carry_out"};
    char **cells = xmalloc((c->n_totals + 1) * TOT_COLS * sizeof *cells);
    char buf[MONEY_FMT_MAX];
    for (int k = 0; k < TOT_COLS; k++)
        cells[k] = xstrdup(head[k]);
    for (size_t i = 0; i < c->n_totals; i++) {
        const sum_total *t = &c->totals[i];
        char **row = cells + (i + 1) * TOT_COLS;
        row[0] = sum_clean(t->currency);
        row[1] = sum_int(t->partners);
        row[2] = sum_int(t->transactions);
        for (int k = 0; k < 3; k++)
            row[3 + k] = xstrdup(sum_total_text(t, k, buf));
    }
    return cells;
}

/* Appends the "held for review" list, one partner and reason per line. */
static void sum_txt_held(sbuf *b, const sum_ctx *c)
{
    sbuf_adds(b, "\nHeld for review:\n");
    for (size_t i = 0; i < c->n_rows; i++) {
        const summary_row *r = &c->rows[i];
        if (!r->hold_reason)
            continue;
        char *p = sum_clean(r->partner), *why = sum_clean(r->hold_reason);
        sbuf_addf(b, "  %s: %s\n", p, why);
        free(p);
        free(why);
    }
}

/* Appends the whole summary.txt. */
static void sum_txt(sbuf *b, const sum_ctx *c)
{
    char *label = sum_clean(c->label);
    sbuf_addf(b, "settle summary for period %s\n", label);
    sbuf_addf(b, "partners: %zu, held: %zu\n", c->n_rows, c->held);
    if (c->reconciled)
        sbuf_addf(b, "reconciled: %zu, breaks: %" PRId64 ", held by reconciliation: %zu\n",
                  c->reconciled, c->recon_breaks, c->recon_held);
    sbuf_addc(b, '\n');
    free(label);
    sum_txt_table(b, sum_txt_partner_cells(c), c->n_rows + 1, SUM_COLS, 0x3f0u);
    if (c->held)
        sbuf_addf(b, "\nTotals by settlement currency (the %zu held statement%s left out):\n",
                  c->held, c->held == 1 ? "" : "s");
    else
        sbuf_adds(b, "\nTotals by settlement currency:\n");
    sum_txt_table(b, sum_txt_total_cells(c), c->n_totals + 1, TOT_COLS, 0x3eu);
    if (c->held)
        sum_txt_held(b, c);
}

/* Writes one partner object of summary.json. */
static void sum_json_row(jw *w, const summary_row *r)
{
    jw_open(w, NULL, '{');
    jw_str(w, "partner", r->partner);
    jw_str(w, "kind", r->kind);
    jw_str(w, "status", r->status);
    jw_str(w, "currency", r->currency);
    jw_int(w, "transactions", r->transactions);
    jw_money(w, "ggr", r->ggr, r->exponent);
    jw_money(w, "payable", r->payable, r->exponent);
    jw_money(w, "carry_out", r->carry_out, r->exponent);
    jw_int(w, "duplicates", r->duplicates);
    jw_int(w, "rejected", r->rejected);
    jw_str(w, "hold_reason", r->hold_reason);
    if (r->recon_status) {
        jw_open(w, "reconciliation", '{');
        jw_str(w, "status", r->recon_status);
        jw_int(w, "breaks", r->recon_breaks);
        jw_close(w, '}');
    }
    jw_close(w, '}');
}

/* Writes one per-currency total object; an overflowed amount is null. */
static void sum_json_total(jw *w, const sum_total *t)
{
    jw_open(w, NULL, '{');
    jw_str(w, "currency", t->currency);
    jw_int(w, "partners", t->partners);
    jw_int(w, "transactions", t->transactions);
    for (int k = 0; k < 3; k++) {
        if (t->overflow[k])
            jw_null(w, sum_amount_names[k]);
        else
            jw_money(w, sum_amount_names[k], t->amount[k], t->exponent);
    }
    jw_close(w, '}');
}

/* Appends the whole summary.json. */
static void sum_json(sbuf *b, const sum_ctx *c)
{
    jw w;
    jw_init(&w, b);
    jw_open(&w, NULL, '{');
    jw_str(&w, "period", c->label);
    jw_int(&w, "partners", (int64_t)c->n_rows);
    jw_int(&w, "held", (int64_t)c->held);
    if (c->reconciled) {
        jw_open(&w, "reconciliation", '{');
        jw_int(&w, "partners", (int64_t)c->reconciled);
        jw_int(&w, "breaks", c->recon_breaks);
        jw_int(&w, "held", (int64_t)c->recon_held);
        jw_close(&w, '}');
    }
    jw_open(&w, "rows", '[');
    for (size_t i = 0; i < c->n_rows; i++)
        sum_json_row(&w, &c->rows[i]);
    jw_close(&w, ']');
    jw_open(&w, "totals", '[');
    for (size_t i = 0; i < c->n_totals; i++)
        sum_json_total(&w, &c->totals[i]);
    jw_close(&w, ']');
    jw_str(&w, "settle_version", SETTLE_VERSION);
    jw_close(&w, '}');
    jw_end(&w);
}

/* Appends one partner row of the HTML table (status as a badge, then hold reason). */
static void sum_html_row(sbuf *b, const summary_row *r)
{
    char *cells[SUM_COLS];
    sum_row_cells(r, cells);
    sbuf_adds(b, "<tr>");
    for (int k = 0; k < SUM_COLS; k++) {
        if (k == 2) {
            sbuf_adds(b, "<td>");
            rep_html_badge(b, r->status);
            sbuf_adds(b, "</td>");
        } else {
            rep_html_elem(b, "td", k >= 4 ? "class=\"num\"" : NULL, cells[k]);
        }
        free(cells[k]);
    }
    rep_html_elem(b, "td", NULL, r->hold_reason);
    sbuf_adds(b, "</tr>\n");
}

/* Appends the per-currency totals table of summary.html. */
static void sum_html_totals(sbuf *b, const sum_ctx *c)
{
    char n1[24], n2[24], m[3][MONEY_FMT_MAX];
    sbuf_adds(b, "<h2>Totals by settlement currency</h2>\n");
    if (c->held)
        sbuf_addf(b, "<p class=\"meta\">The %zu held statement%s left out.</p>\n", c->held,
                  c->held == 1 ? " is" : "s are");
    sbuf_adds(b, "<table>\n");
    rep_html_row(b, "th", 0x3eu, TOT_COLS, "Currency", "Partners", "Transactions", "GGR",
                 "Payable", "Carry out");
    for (size_t i = 0; i < c->n_totals; i++) {
        const sum_total *t = &c->totals[i];
        snprintf(n1, sizeof n1, "%" PRId64, t->partners);
        snprintf(n2, sizeof n2, "%" PRId64, t->transactions);
        for (int k = 0; k < 3; k++)
            sum_total_text(t, k, m[k]);
        rep_html_row(b, "td", 0x3eu, TOT_COLS, t->currency, n1, n2, m[0], m[1], m[2]);
    }
    sbuf_adds(b, "</table>\n");
}

/* Appends the whole summary.html. */
static void sum_html(sbuf *b, const sum_ctx *c)
{
    char *title = xasprintf("Settlement summary %s", c->label);
    rep_html_begin(b, title);
    free(title);
    sbuf_adds(b, "<h1>Settlement summary: ");
    rep_html_elem(b, NULL, NULL, c->label);
    sbuf_addf(b, "</h1>\n<p class=\"meta\">%zu partners, %zu held</p>\n", c->n_rows, c->held);
    if (c->reconciled)
        sbuf_addf(b, "<p class=\"meta\">%zu reconciled, %" PRId64 " breaks, %zu held by "
                     "reconciliation</p>\n", c->reconciled, c->recon_breaks, c->recon_held);
    if (c->held)
        sbuf_addf(b, "<div class=\"hold\"><strong>%zu statement%s held for review.</strong> "
                     "Release with <code>settle approve</code> after checking.</div>\n",
                  c->held, c->held == 1 ? "" : "s");
    sbuf_adds(b, "<table>\n");
    rep_html_row(b, "th", 0x3f0u, SUM_COLS + 1, "Partner", "Kind", "Status", "Currency",
                 "Transactions", "GGR", "Payable", "Carry out", "Duplicates", "Rejected",
                 "Hold reason");
    for (size_t i = 0; i < c->n_rows; i++)
        sum_html_row(b, &c->rows[i]);
    sbuf_adds(b, "</table>\n");
    sum_html_totals(b, c);
    rep_html_end(b);
}

/* Renders one summary file (0 txt, 1 json, 2 html) and writes it atomically. */
static int sum_write_one(const char *dir, const sum_ctx *c, int which, path_list *written,
                         char *err, size_t errlen)
{
    static const char *const names[] = {"summary.txt", "summary.json", "summary.html"};
    sbuf b;
    sbuf_init(&b);
    if (which == 0)
        sum_txt(&b, c);
    else if (which == 1)
        sum_json(&b, c);
    else
        sum_html(&b, c);
    int rc = rep_write(dir, names[which], &b, written, err, errlen);
    sbuf_free(&b);
    return rc;
}

/*
 * Writes <reports_dir>/<label>/summary.{txt,json,html}. Rows are borrowed and
 * written in the order given. Stops at the first failure: -1 with err.
 */
int report_summary(const char *reports_dir, const char *label, const summary_row *rows,
                   size_t n_rows, path_list *written, char *err, size_t errlen)
{
    if (!rep_name_ok(label)) {
        rep_err(err, errlen, "summary: period \"%s\" is not a plain name", label ? label : "");
        return -1;
    }
    sum_ctx c;
    sum_ctx_init(&c, label, rows, n_rows);
    char *dir = path_join(reports_dir, label);
    int rc = 0;
    for (int i = 0; i < 3 && rc == 0; i++)
        rc = sum_write_one(dir, &c, i, written, err, errlen);
    free(dir);
    sum_ctx_free(&c);
    return rc;
}
