/*
 * preview.c - `settle preview --partner ID --period P --rules FILE`: settles
 * one period with a candidate rule file exactly as a run would
 * (run_build_statement: stored cells, FX, carry_in, tax table, late-data
 * adjustments) and prints, line by line, how the result differs from the
 * statement issued for that period. The safe way to roll out a contract change.
 *
 * Writes nothing: no lock, no state transaction, no report, no audit entry.
 * The state must exist (it is never created here). The issued statement is
 * the state's row for the period plus its statement.json, whose SHA-256 must
 * be the one the state recorded (else the comparison would not be with what
 * was issued). Lines are matched by label (the n-th line of a label with the
 * n-th of the same label); a renamed line shows as removed plus added.
 *
 * Exit 0 identical; 1 differences (or nothing issued yet to compare with);
 * 2 usage, config, rule or period error; 3 state or report failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "money.h"
#include "run.h"
#include "run_int.h"
#include "timefmt.h"

#define PV_JSON_MAX ((size_t)1 << 30) /* statement.json size refused beyond this */

/* The statement issued for the period: the state's row and statement.json's lines. */
typedef struct pv_issued {
    bool found;
    char status[16];
    char *hold_reason, *rules_sha256, *json_sha256; /* owned, may be NULL */
    int64_t payable, carry_in, carry_out, ggr, transactions;
    int exponent;
    statement_line *lines; /* owned */
    size_t n_lines;
} pv_issued;

/* Everything one preview holds. */
typedef struct pv_ctx {
    settle_config cfg;
    run_ctx rc;
    const partner_config *pc;
    int32_t first_day;
    char label[16];
    const char *rules_path;
    pv_issued is;
    statement cand;
} pv_ctx;

/* Loads the config and the FX and tax tables, printing every problem. 0 or -1. */
static int pv_load_config(pv_ctx *p, const char *path)
{
    diag d;
    diag_init(&d);
    int rc = config_load(path, &p->cfg, &d);
    if (rc == 0) {
        p->rc.cfg = &p->cfg;
        rc = run_load_tables(&p->cfg, &p->rc.fx, &p->rc.tax, &d);
    }
    diag_print(&d, stderr);
    diag_free(&d);
    return rc;
}

/* Finds the partner and reads the period label in its statement kind. 0 or -1. */
static int pv_target(pv_ctx *p, const char *partner, const char *period)
{
    p->pc = config_partner(&p->cfg, partner);
    if (!p->pc)
        return fprintf(stderr, "settle: unknown partner '%s' (not in %s)\n", partner,
                       p->cfg.path), -1;
    period_kind kind;
    char example[16];
    period_label(p->pc->statement, days_from_civil(2025, 9, 22), example);
    if (period_parse(period, strlen(period), &kind, &p->first_day) != 0)
        return fprintf(stderr, "settle: '%s' is not a period; %s is settled %s, so its periods "
                       "look like %s\n", period, partner, period_kind_name(p->pc->statement),
                       example), -1;
    if (kind != p->pc->statement)
        return fprintf(stderr, "settle: %s is a %s period, but %s is settled %s; its periods "
                       "look like %s\n", period, period_kind_name(kind), partner,
                       period_kind_name(p->pc->statement), example), -1;
    period_label(kind, p->first_day, p->label);
    return 0;
}

/* Compiles the candidate rule file (tax and FX tables given first, as in a run). 0 or -1. */
static int pv_load_rules(pv_ctx *p)
{
    diag d;
    diag_init(&d);
    p->rc.re = rules_open();
    rules_set_tax(p->rc.re, p->rc.tax);
    rules_set_fx(p->rc.re, p->rc.fx);
    p->rc.rules_sha = xcalloc(p->cfg.n_partners, sizeof *p->rc.rules_sha);
    int rc = rules_load(p->rc.re, p->pc->id, p->rules_path,
                        p->rc.rules_sha[p->pc - p->cfg.partners], &d);
    diag_print(&d, stderr);
    diag_free(&d);
    return rc;
}

/* Opens the existing state read only; never creates one. Returns 0 or an exit code. */
static int pv_open_state(pv_ctx *p)
{
    char err[512];
    if ((p->rc.st = state_open_readonly(p->cfg.paths.state, err, sizeof err)))
        return 0;
    if (strncmp(err, "no state yet", strlen("no state yet")) == 0)
        return fprintf(stderr, "settle: %s; run `settle run` first\n", err), EXIT_USAGE;
    return fprintf(stderr, "settle: cannot open state: %s\n", err), EXIT_FAILED;
}

/* Copies the state's row of the issued statement, if any. 0 or -1. */
static int pv_issued_row(pv_ctx *p)
{
    statement_row row;
    if (state_statement_get(p->rc.st, p->pc->id, p->label, &row, &p->is.found) != 0)
        return fprintf(stderr, "settle: %s\n", state_error(p->rc.st)), -1;
    if (!p->is.found)
        return 0;
    snprintf(p->is.status, sizeof p->is.status, "%s", row.status);
    p->is.hold_reason = row.hold_reason ? xstrdup(row.hold_reason) : NULL;
    p->is.rules_sha256 = row.rules_sha256 ? xstrdup(row.rules_sha256) : NULL;
    p->is.json_sha256 = row.json_sha256 ? xstrdup(row.json_sha256) : NULL;
    p->is.payable = row.payable;
    p->is.carry_in = row.carry_in;
    p->is.carry_out = row.carry_out;
    p->is.ggr = row.ggr;
    p->is.transactions = row.transactions;
    p->is.exponent = row.exponent;
    return 0;
}

/* Takes the "lines" of a parsed statement.json. 0, or -1 when they are not well formed. */
static int pv_json_lines(pv_issued *is, yajl_val doc)
{
    static const char *lines_path[] = {"lines", NULL}, *label_path[] = {"label", NULL},
                      *amount_path[] = {"amount", NULL};
    static const money_dialect dot = {'.', 0, false};
    yajl_val lines = yajl_tree_get(doc, lines_path, yajl_t_array);
    if (!lines)
        return -1;
    for (size_t i = 0; i < YAJL_GET_ARRAY(lines)->len; i++) {
        yajl_val o = YAJL_GET_ARRAY(lines)->values[i];
        const char *label = YAJL_GET_STRING(yajl_tree_get(o, label_path, yajl_t_string));
        const char *amount = YAJL_GET_STRING(yajl_tree_get(o, amount_path, yajl_t_string));
        int64_t v;
        if (!label || !amount ||
            money_parse(amount, strlen(amount), &dot, is->exponent, &v) != MONEY_OK)
            return -1;
        is->lines = xrealloc(is->lines, (is->n_lines + 1) * sizeof *is->lines);
        is->lines[is->n_lines++] = (statement_line){xstrdup(label), v};
    }
    return 0;
}

/* True when text[0..n) hashes to the SHA-256 the state recorded (or none was recorded). */
static bool pv_is_recorded(const pv_issued *is, const char *text, size_t n)
{
    unsigned char digest[32];
    char hex[65];
    if (!is->json_sha256 || !is->json_sha256[0])
        return true;
    sha256_mem(text, n, digest);
    sha256_hex(digest, hex);
    return strcmp(hex, is->json_sha256) == 0;
}

/* Reads the issued statement.json, checks it is the one the state recorded, takes its lines. */
static int pv_issued_json(pv_ctx *p)
{
    char *period_dir = path_join(p->cfg.paths.reports, p->label);
    char *dir = path_join(period_dir, p->pc->id);
    char *path = path_join(dir, "statement.json"), *text = NULL, err[256] = "";
    size_t n = 0;
    int rc = -1;
    free(period_dir);
    free(dir);
    if (read_file_capped(path, PV_JSON_MAX, &text, &n) != 0) {
        fprintf(stderr, "settle: cannot read the issued statement %s: %s\n", path,
                strerror(errno));
    } else if (!pv_is_recorded(&p->is, text, n)) {
        fprintf(stderr, "settle: %s is not the statement the state recorded for %s %s (changed "
                "since it was issued, or a run is writing it now); see `settle audit verify`\n",
                path, p->pc->id, p->label);
    } else {
        yajl_val doc = yajl_tree_parse(text, err, sizeof err);
        rc = doc ? pv_json_lines(&p->is, doc) : -1;
        yajl_tree_free(doc);
        for (char *c = err; *c; c++)
            *c = *c == '\n' ? ' ' : *c;
        if (rc != 0)
            fprintf(stderr, "settle: %s: cannot read its lines%s%s\n", path, err[0] ? ": " : "",
                    err);
    }
    free(text);
    free(path);
    return rc;
}

/* Settles the period with the candidate rule as a run would. 0, or an exit code. */
static int pv_candidate(pv_ctx *p)
{
    run_period rp = {(size_t)(p->pc - p->cfg.partners), p->first_day, false};
    if (run_build_statement(&p->rc, &rp, &p->cand) != 0)
        return fprintf(stderr, "settle: %s\n", state_error(p->rc.st)), EXIT_FAILED;
    const period_agg *a = p->cand.agg;
    if (p->cand.status == ST_HELD && p->cand.error) /* file:line and traceback printed */
        return fprintf(stderr, "settle: the candidate rule %s failed; nothing compared\n",
                       p->rules_path), EXIT_USAGE;
    if (p->cand.status == ST_HELD)
        return fprintf(stderr, "settle: %s %s cannot be settled: %s (a run holds it too); fix "
                       "that first\n", p->pc->id, p->label,
                       p->cand.hold_reason ? p->cand.hold_reason : "held"), EXIT_USAGE;
    if (!p->is.found && p->cand.n_inputs == 0 && agg_transactions(&a->total) == 0 &&
        a->rejected == 0 && a->duplicates == 0)
        return fprintf(stderr, "settle: no statement and no data for %s %s; check --period\n",
                       p->pc->id, p->label), EXIT_USAGE;
    return 0;
}

/* One row of the comparison table: a statement line, payable or carry_out. */
typedef struct pv_row {
    const char *label;  /* borrowed */
    bool has_old, has_new;
    int64_t old, cur;
} pv_row;

typedef struct pv_table {
    pv_row *rows;
    size_t n, n_lines;  /* rows[0..n_lines) are statement lines, then payable, carry_out */
    int exponent;
    bool issued;        /* compare with an issued statement (else the candidate alone) */
} pv_table;

/* Appends a row; a NULL line is absent on that side. */
static void pv_add(pv_table *t, const char *label, const statement_line *old,
                   const statement_line *cur)
{
    t->rows = xrealloc(t->rows, (t->n + 1) * sizeof *t->rows);
    t->rows[t->n++] = (pv_row){label, old != NULL, cur != NULL, old ? old->amount : 0,
                               cur ? cur->amount : 0};
}

/* Appends the payable or carry_out row. */
static void pv_add_total(pv_table *t, const char *label, int64_t old, int64_t cur)
{
    t->rows = xrealloc(t->rows, (t->n + 1) * sizeof *t->rows);
    t->rows[t->n++] = (pv_row){label, t->issued, true, t->issued ? old : 0, cur};
}

/* The candidate line matching issued line i: the same label, same occurrence; or -1. */
static long pv_match(const pv_issued *is, size_t i, const statement *c)
{
    size_t k = 0;
    for (size_t j = 0; j < i; j++)
        k += strcmp(is->lines[j].label, is->lines[i].label) == 0;
    for (size_t j = 0; j < c->n_lines; j++)
        if (strcmp(c->lines[j].label, is->lines[i].label) == 0 && k-- == 0)
            return (long)j;
    return -1;
}

/*
 * Lines in candidate order; an issued line missing from the candidate comes
 * right after the issued line before it, or at the end.
 */
static void pv_rows(pv_table *t, const pv_issued *is, const statement *c)
{
    long *of_cand = xmalloc((c->n_lines + 1) * sizeof *of_cand);
    bool *matched = xcalloc(is->n_lines + 1, sizeof *matched);
    for (size_t j = 0; j < c->n_lines; j++)
        of_cand[j] = -1;
    for (size_t i = 0; i < is->n_lines; i++) {
        long j = pv_match(is, i, c);
        if (j >= 0)
            of_cand[j] = (long)i, matched[i] = true;
    }
    size_t next = 0; /* issued lines before `next` are emitted or matched */
    for (size_t j = 0; j < c->n_lines; j++) {
        long i = of_cand[j];
        for (; i >= 0 && next < (size_t)i; next++)
            if (!matched[next])
                pv_add(t, is->lines[next].label, &is->lines[next], NULL);
        pv_add(t, c->lines[j].label, i >= 0 ? &is->lines[i] : NULL, &c->lines[j]);
        if (i >= 0 && next <= (size_t)i)
            next = (size_t)i + 1;
    }
    for (; next < is->n_lines; next++)
        if (!matched[next])
            pv_add(t, is->lines[next].label, &is->lines[next], NULL);
    free(of_cand);
    free(matched);
}

/* Formats v, or "-" when absent. */
static void pv_money(bool has, int64_t v, int exponent, char buf[MONEY_FMT_MAX])
{
    if (has)
        money_format(v, exponent, buf);
    else
        snprintf(buf, MONEY_FMT_MAX, "-");
}

/* new - old with a sign ("+15.41", "-5.00", "0.00"); false when it overflows. */
static bool pv_diff(const pv_row *r, int exponent, char buf[MONEY_FMT_MAX + 1])
{
    int64_t d;
    if (__builtin_sub_overflow(r->cur, r->old, &d)) {
        snprintf(buf, MONEY_FMT_MAX + 1, "overflow");
        return false;
    }
    buf[0] = '+';
    money_format(d, exponent, buf + (d > 0));
    return true;
}

/* Columns a label takes on a terminal (UTF-8 continuation bytes take none). */
static size_t pv_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

/* Prints a label padded to `width`, control characters shown as '?'. */
static void pv_label(const char *s, size_t width)
{
    for (const char *c = s; *c; c++)
        putchar((unsigned char)*c < 0x20 || *c == 0x7f ? '?' : *c);
    for (size_t w = pv_width(s); w < width; w++)
        putchar(' ');
}

/* What changed in a row: "", "changed", "added" or "removed". */
static const char *pv_mark(const pv_row *r)
{
    if (!r->has_old)
        return "added";
    if (!r->has_new)
        return "removed";
    return r->old != r->cur ? "changed" : "";
}

/* Prints one row; true when it differs. */
static bool pv_print_row(const pv_table *t, const pv_row *r, size_t lw)
{
    char old[MONEY_FMT_MAX], cur[MONEY_FMT_MAX], diff[MONEY_FMT_MAX + 1];
    const char *mark = pv_mark(r);
    pv_money(r->has_old, r->old, t->exponent, old);
    pv_money(r->has_new, r->cur, t->exponent, cur);
    pv_diff(r, t->exponent, diff);
    pv_label(r->label, lw);
    if (t->issued)
        printf("  %14s  %14s  %14s%s%s\n", old, cur, diff, mark[0] ? "  " : "", mark);
    else
        printf("  %14s\n", cur);
    return mark[0] != 0;
}

/* Prints a rule of n dashes. */
static void pv_dashes(size_t n)
{
    while (n--)
        putchar('-');
    putchar('\n');
}

/* Prints the table; returns how many statement lines differ. */
static size_t pv_print(const pv_table *t)
{
    size_t lw = strlen("carry_out"), differ = 0;
    for (size_t i = 0; i < t->n; i++)
        if (pv_width(t->rows[i].label) > lw)
            lw = pv_width(t->rows[i].label);
    if (t->issued)
        printf("%-*s  %14s  %14s  %14s\n", (int)lw, "line", "issued", "candidate", "difference");
    else
        printf("%-*s  %14s\n", (int)lw, "line", "candidate");
    for (size_t i = 0; i < t->n; i++) {
        if (i == t->n_lines)
            pv_dashes(lw + (t->issued ? 50 : 16));
        if (pv_print_row(t, &t->rows[i], lw) && i < t->n_lines)
            differ++;
    }
    return differ;
}

/* Prints what the comparison is against, and why it may differ beyond the rule. */
static void pv_header(const pv_ctx *p)
{
    const pv_issued *is = &p->is;
    const period_agg *a = p->cand.agg;
    char then[MONEY_FMT_MAX], now[MONEY_FMT_MAX];
    int64_t ggr = 0;
    printf("settle preview: %s %s (%s) with candidate rules %s\n", p->pc->id, p->label,
           a->currency, p->rules_path);
    if (!is->found) {
        printf("no statement issued for this period yet: the candidate alone\n");
        return;
    }
    if (strcmp(is->status, "held") == 0)
        printf("against the issued statement, held (no lines, payable 0): %s\n",
               is->hold_reason ? is->hold_reason : "no reason recorded");
    else
        printf("against the issued %s statement\n", is->status);
    if (is->rules_sha256 && strcmp(is->rules_sha256, p->cand.rules_sha256) == 0)
        printf("note: the candidate is the rule file this statement was issued with\n");
    if (strcmp(is->status, "final") == 0)
        printf("note: a final statement is never rewritten; a new rule applies to open periods\n");
    agg_ggr(&a->total, &ggr);
    if (ggr != is->ggr || agg_transactions(&a->total) != is->transactions) {
        money_format(is->ggr, is->exponent, then);
        money_format(ggr, a->exponent, now);
        printf("note: this period's data changed since it was issued (GGR %s then, %s now; "
               "late data): not every difference is the rule's\n", then, now);
    }
    if (a->carry_in != is->carry_in) {
        money_format(is->carry_in, is->exponent, then);
        money_format(a->carry_in, a->exponent, now);
        printf("note: carry_in is %s now, %s when issued\n", now, then);
    }
}

/* "+15.41" for a non-zero difference, else "unchanged". */
static void pv_change(int64_t old, int64_t cur, int exponent, char buf[MONEY_FMT_MAX + 1])
{
    pv_row r = {"", true, true, old, cur};
    if (old == cur)
        snprintf(buf, MONEY_FMT_MAX + 1, "unchanged");
    else
        pv_diff(&r, exponent, buf);
}

/* Prints the comparison; returns the exit code (0 identical, 1 different or nothing issued). */
static int pv_report(pv_ctx *p)
{
    const statement *c = &p->cand;
    const pv_issued *is = &p->is;
    pv_table t = {.exponent = c->agg->exponent, .issued = is->found};
    pv_rows(&t, is, c);
    t.n_lines = t.n;
    pv_add_total(&t, "payable", is->payable, c->payable);
    pv_add_total(&t, "carry_out", is->carry_out, c->carry_out);
    pv_header(p);
    size_t differ = pv_print(&t);
    free(t.rows);
    char amount[MONEY_FMT_MAX + 1], co[MONEY_FMT_MAX + 1];
    if (!is->found) {
        money_format(c->payable, c->agg->exponent, amount);
        printf("nothing issued to compare with; candidate payable %s\n", amount);
        return EXIT_ATTENTION;
    }
    bool carry_differs = is->carry_out != c->carry_out;
    if (differ == 0 && is->payable == c->payable && !carry_differs) {
        printf("no difference\n");
        return EXIT_CLEAN;
    }
    pv_change(is->payable, c->payable, c->agg->exponent, amount);
    pv_change(is->carry_out, c->carry_out, c->agg->exponent, co);
    printf("%zu line%s differ%s; payable %s%s%s\n", differ, differ == 1 ? "" : "s",
           differ == 1 ? "s" : "", amount, carry_differs ? "; carry_out " : "",
           carry_differs ? co : "");
    return EXIT_ATTENTION;
}

/* Frees everything a preview holds. */
static void pv_free(pv_ctx *p, bool config_loaded)
{
    statement_free(&p->cand);
    for (size_t i = 0; i < p->is.n_lines; i++)
        free(p->is.lines[i].label);
    free(p->is.lines);
    free(p->is.hold_reason);
    free(p->is.rules_sha256);
    free(p->is.json_sha256);
    if (p->rc.re)
        rules_close(p->rc.re);
    free(p->rc.rules_sha);
    state_close(p->rc.st);
    fx_free(p->rc.fx);
    tax_free(p->rc.tax);
    if (config_loaded)
        config_free(&p->cfg);
}

int settle_preview(const char *config, const char *partner, const char *period,
                   const char *rules_path)
{
    pv_ctx p = {.rules_path = rules_path};
    int code = pv_load_config(&p, config) != 0 ? EXIT_USAGE : 0;
    bool loaded = p.rc.cfg != NULL;
    if (!code && (pv_target(&p, partner, period) != 0 || pv_load_rules(&p) != 0))
        code = EXIT_USAGE;
    if (!code)
        code = pv_open_state(&p);
    if (!code && (pv_issued_row(&p) != 0 || (p.is.found && pv_issued_json(&p) != 0)))
        code = EXIT_FAILED;
    if (!code)
        code = pv_candidate(&p);
    if (!code)
        code = pv_report(&p);
    pv_free(&p, loaded);
    return code;
}
