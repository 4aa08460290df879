/*
 * test_report.c - unit tests of the report writers: statement.json exact
 * text, CSV quoting and formula defusal, HTML escaping, the streamed
 * exceptions report, summaries, byte-identical reruns and failure without
 * leftovers. Works in a fresh temp directory removed at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "money.h"
#include "report.h"
#include "report_util.h" /* rep_statement_csv */

#define H64(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
               c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define SEP_1 20332 /* 2025-09-01 */
#define SEP_30 20361

static char tmp_root[64];

/* Reads a whole file into a new NUL-terminated string (caller frees); NULL if unreadable. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    sbuf b;
    sbuf_init(&b);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        sbuf_add(&b, chunk, n);
    fclose(f);
    return sbuf_take(&b);
}

/* Reads dir/name (both joined); caller frees; NULL if unreadable. */
static char *slurp2(const char *dir, const char *name)
{
    char *p = path_join(dir, name);
    char *s = slurp(p);
    free(p);
    return s;
}

/* Counts entries of dir whose name ends in ".tmp"; -1 when dir cannot be read. */
static int count_temps(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strlen(e->d_name) > 4 && !strcmp(e->d_name + strlen(e->d_name) - 4, ".tmp");
    closedir(d);
    return n;
}

/* Fills a group with a key and bet/win/refund sums (counts 1 each when non-zero). */
static void set_group(agg_group *g, const char *key, int exponent, int64_t bet, int64_t win,
                      int64_t refund)
{
    memset(g, 0, sizeof *g);
    g->key = xstrdup(key);
    g->exponent = exponent;
    g->s.total[TX_BET] = bet;
    g->s.count[TX_BET] = bet ? 3 : 0;
    g->s.total[TX_WIN] = win;
    g->s.count[TX_WIN] = win ? 2 : 0;
    g->s.total[TX_REFUND] = refund;
    g->s.count[TX_REFUND] = refund ? 1 : 0;
}

/*
 * A small held statement for `partner` in EUR-like exponent `exp`: one
 * category, one source currency (exponent 3), one FX rate, two lines (one
 * negative), a negative carry in. Caller releases with statement_free.
 */
static statement make_statement(const char *partner, int exp)
{
    statement st;
    memset(&st, 0, sizeof st);
    period_agg *p = st.agg = xcalloc(1, sizeof *p);
    p->partner = xstrdup(partner);
    p->kind = PERIOD_MONTHLY;
    p->first_day = SEP_1;
    p->last_day = SEP_30;
    strcpy(p->label, "2025-09");
    strcpy(p->currency, exp == 0 ? "KRW" : "EUR");
    p->exponent = exp;
    agg_group g;
    set_group(&g, "slots", exp, 150000, 120050, 1000);
    p->total = g.s;
    p->by_category = xcalloc(1, sizeof g);
    p->by_category[0] = g;
    p->n_category = 1;
    p->by_currency = xcalloc(1, sizeof g);
    set_group(&p->by_currency[0], "KWD", 3, 12345, 0, 0);
    p->n_currency = 1;
    p->fx = xcalloc(1, sizeof *p->fx);
    p->fx[0] = (fx_applied){.day = SEP_1 + 3, .rate_date = SEP_1 + 2, .rate = xstrdup("2.9876")};
    strcpy(p->fx[0].base, "KWD");
    strcpy(p->fx[0].quote, p->currency);
    p->n_fx = 1;
    p->duplicates = 1;
    p->rejected = 2;
    p->carry_in = -1250;
    st.kind = xstrdup("game_provider");
    st.status = ST_HELD;
    st.hold_reason = xstrdup("missing FX rate KWD->EUR on 2025-09-04");
    statement_add_line(&st, "GGR", 28950);
    statement_add_line(&st, "Fee -12%", -3474);
    st.payable = 24226;
    st.carry_out = 0;
    strcpy(st.rules_file, "rules/game_provider.lua");
    strcpy(st.rules_sha256, H64("b"));
    strcpy(st.config_sha256, H64("c"));
    st.inputs = xcalloc(1, sizeof *st.inputs);
    st.inputs[0].file = xstrdup("acme/2025-09-02.csv");
    strcpy(st.inputs[0].sha256, H64("a"));
    st.n_inputs = 1;
    st.rows = (row_counts){6, 1, 1, 1};
    st.inputs[0].rows = (input_rows){{13, 1, 1, 0}, {8, 1, 1, 1}, {6, 1, 1, 1}};
    return st;
}

/* The six types the fixtures leave at zero, as statement.json lines at indent `i`. */
#define ZERO_TOTALS(i)                                                                  \
    i "\"win_reversal\": \"0.00\",\n" i "\"bonus\": \"0.00\",\n"                            \
    i "\"jackpot_contribution\": \"0.00\",\n" i "\"jackpot_win\": \"0.00\",\n"               \
    i "\"purchase\": \"0.00\",\n" i "\"adjustment\": \"0.00\"\n"
#define ZERO_COUNTS(i)                                                                  \
    i "\"win_reversal\": 0,\n" i "\"bonus\": 0,\n" i "\"jackpot_contribution\": 0,\n"        \
    i "\"jackpot_win\": 0,\n" i "\"purchase\": 0,\n" i "\"adjustment\": 0\n"

/* The expected statement.json of make_statement("acme \"q\"\n<script>", 2), no by_currency. */
static const char expected_json[] =
    "{\n"
    "  \"partner\": \"acme \\\"q\\\"\\n<script>\",\n"
    "  \"kind\": \"game_provider\",\n"
    "  \"period\": \"2025-09\",\n"
    "  \"period_kind\": \"monthly\",\n"
    "  \"first_day\": \"2025-09-01\",\n"
    "  \"last_day\": \"2025-09-30\",\n"
    "  \"currency\": \"EUR\",\n"
    "  \"status\": \"held\",\n"
    "  \"hold_reason\": \"missing FX rate KWD->EUR on 2025-09-04\",\n"
    "  \"aggregates\": {\n"
    "    \"total\": {\n"
    "      \"bet\": \"1500.00\",\n"
    "      \"win\": \"1200.50\",\n"
    "      \"refund\": \"10.00\",\n"
    ZERO_TOTALS("      ")
    "    },\n"
    "    \"count\": {\n"
    "      \"bet\": 3,\n"
    "      \"win\": 2,\n"
    "      \"refund\": 1,\n"
    ZERO_COUNTS("      ")
    "    },\n"
    "    \"ggr\": \"289.50\",\n"
    "    \"transactions\": 6,\n"
    "    \"duplicates\": 1,\n"
    "    \"rejected\": 2,\n"
    "    \"by_category\": {\n"
    "      \"slots\": {\n"
    "        \"total\": {\n"
    "          \"bet\": \"1500.00\",\n"
    "          \"win\": \"1200.50\",\n"
    "          \"refund\": \"10.00\",\n"
    ZERO_TOTALS("          ")
    "        },\n"
    "        \"count\": {\n"
    "          \"bet\": 3,\n"
    "          \"win\": 2,\n"
    "          \"refund\": 1,\n"
    ZERO_COUNTS("          ")
    "        },\n"
    "        \"ggr\": \"289.50\",\n"
    "        \"transactions\": 6\n"
    "      }\n"
    "    },\n"
    "    \"by_game\": {},\n"
    "    \"by_currency\": {},\n"
    "    \"by_day\": {}\n"
    "  },\n"
    "  \"rows\": {\n"
    "    \"read\": 9,\n"
    "    \"settled\": 6,\n"
    "    \"duplicate\": 1,\n"
    "    \"rejected\": 1,\n"
    "    \"skipped_by_rule\": 1\n"
    "  },\n"
    "  \"fx\": [\n"
    "    {\n"
    "      \"day\": \"2025-09-04\",\n"
    "      \"rate_date\": \"2025-09-03\",\n"
    "      \"base\": \"KWD\",\n"
    "      \"quote\": \"EUR\",\n"
    "      \"rate\": \"2.9876\"\n"
    "    }\n"
    "  ],\n"
    "  \"lines\": [\n"
    "    {\n"
    "      \"label\": \"GGR\",\n"
    "      \"amount\": \"289.50\"\n"
    "    },\n"
    "    {\n"
    "      \"label\": \"Fee -12%\",\n"
    "      \"amount\": \"-34.74\"\n"
    "    }\n"
    "  ],\n"
    "  \"payable\": \"242.26\",\n"
    "  \"carry_in\": \"-12.50\",\n"
    "  \"carry_out\": \"0.00\",\n"
    "  \"inputs\": [\n"
    "    {\n"
    "      \"file\": \"acme/2025-09-02.csv\",\n"
    "      \"sha256\": \"" H64("a") "\",\n"
    "      \"rows\": {\n"
    "        \"read\": 13,\n"
    "        \"header\": 1,\n"
    "        \"control\": 1,\n"
    "        \"title\": 0,\n"
    "        \"settled\": 8,\n"
    "        \"duplicate\": 1,\n"
    "        \"rejected\": 1,\n"
    "        \"skipped_by_rule\": 1\n"
    "      },\n"
    "      \"rows_in_period\": {\n"
    "        \"read\": 9,\n"
    "        \"settled\": 6,\n"
    "        \"duplicate\": 1,\n"
    "        \"rejected\": 1,\n"
    "        \"skipped_by_rule\": 1\n"
    "      }\n"
    "    }\n"
    "  ],\n"
    "  \"rules\": {\n"
    "    \"file\": \"rules/game_provider.lua\",\n"
    "    \"sha256\": \"" H64("b") "\"\n"
    "  },\n"
    "  \"config_sha256\": \"" H64("c") "\",\n"
    "  \"settle_version\": \"" SETTLE_VERSION "\"\n"
    "}\n";

/* statement.json: exact text, including escapes and negative amounts. */
static void test_json_exact(void)
{
    statement st = make_statement("acme \"q\"\n<script>", 2);
    free(st.agg->by_currency[0].key);
    st.agg->n_currency = 0;
    char *json = statement_to_json(&st);
    CHECK_EQ_STR(json, expected_json);
    free(json);
    statement_free(&st);
    CHECK(st.agg == NULL && st.lines == NULL);
}

/* Exponent 0 and 3, optional fields (error, no hold when not held), empty arrays. */
static void test_json_exponents(void)
{
    statement st = make_statement("krw-partner", 0);
    st.status = ST_FINAL;
    st.error = xstrdup("rules/x.lua:3: boom");
    char *json = statement_to_json(&st);
    CHECK(strstr(json, "\"carry_in\": \"-1250\",\n") != NULL);
    CHECK(strstr(json, "\"amount\": \"-3474\"\n") != NULL);
    CHECK(strstr(json, "    \"by_currency\": {\n      \"KWD\": {\n        \"exponent\": 3,\n"
                       "        \"total\": {\n          \"bet\": \"12.345\",\n"
                       "          \"win\": \"0.000\",\n") != NULL); /* own exponent */
    CHECK(strstr(json, "        \"ggr\": \"12.345\",\n        \"transactions\": 3\n      }\n"
                       "    },\n    \"by_day\": {}\n") != NULL);
    CHECK(strstr(json, "\"status\": \"final\",\n  \"error\": \"rules/x.lua:3: boom\"") != NULL);
    CHECK(strstr(json, "hold_reason") == NULL);
    free(json);
    statement_free(&st);
    st = make_statement("kwd", 3);
    st.agg->total.total[TX_BET] = -5;
    json = statement_to_json(&st);
    CHECK(strstr(json, "\"bet\": \"-0.005\"") != NULL);
    CHECK(strstr(json, "\"payable\": \"24.226\"") != NULL);
    free(json);
    statement_free(&st);
}

/* Runs csv_add_cell on s and compares with want. */
static void check_cell(const char *s, const char *want)
{
    sbuf b;
    sbuf_init(&b);
    csv_add_cell(&b, s, strlen(s));
    CHECK_EQ_STR(b.buf ? b.buf : "", want);
    sbuf_free(&b);
}

/* CSV: formula defusal, numbers left alone, RFC 4180 quoting. */
static void test_csv_cells(void)
{
    check_cell("=SUM(A1)", "'=SUM(A1)");
    check_cell("+1", "'+1");
    check_cell("-1+1", "'-1+1");
    check_cell("@x", "'@x");
    check_cell("\tx", "'\tx");
    check_cell("\rx", "\"'\rx\"");
    check_cell("-12.50", "-12.50");
    check_cell("-7", "-7");
    check_cell("-", "'-");
    check_cell("-.5", "'-.5");
    check_cell("-1.", "'-1.");
    check_cell("12.50", "12.50");
    check_cell("a,b", "\"a,b\"");
    check_cell("say \"hi\"", "\"say \"\"hi\"\"\"");
    check_cell("two\nlines", "\"two\nlines\"");
    check_cell("=1,2", "\"'=1,2\"");
    check_cell("", "");
    check_cell("plain", "plain");
}

/* The expected statement.csv of a statement for partner =HYPERLINK("x"). */
static const char expected_csv[] =
    "key,value\n"
    "partner,\"'=HYPERLINK(\"\"x\"\")\"\n"
    "kind,game_provider\n"
    "period,2025-09\n"
    "period_kind,monthly\n"
    "first_day,2025-09-01\n"
    "last_day,2025-09-30\n"
    "currency,EUR\n"
    "status,held\n"
    "hold_reason,missing FX rate KWD->EUR on 2025-09-04\n"
    "transactions,6\n"
    "duplicates,1\n"
    "rejected,2\n"
    "rows_read,9\n"
    "rows_settled,6\n"
    "rows_duplicate,1\n"
    "rows_rejected,1\n"
    "rows_skipped_by_rule,1\n"
    "input,acme/2025-09-02.csv\n"
    "input_sha256," H64("a") "\n"
    "rules,rules/game_provider.lua\n"
    "rules_sha256," H64("b") "\n"
    "config_sha256," H64("c") "\n"
    "settle_version," SETTLE_VERSION "\n"
    "\n"
    "section,label,amount\n"
    "total,bet,1500.00\n" "total,win,1200.50\n"
    "total,refund,10.00\n" "total,win_reversal,0.00\n"
    "total,bonus,0.00\n" "total,jackpot_contribution,0.00\n"
    "total,jackpot_win,0.00\n" "total,purchase,0.00\n"
    "total,adjustment,0.00\n" "count,bet,3\n"
    "count,win,2\n" "count,refund,1\n"
    "count,win_reversal,0\n" "count,bonus,0\n"
    "count,jackpot_contribution,0\n" "count,jackpot_win,0\n"
    "count,purchase,0\n" "count,adjustment,0\n"
    "aggregate,ggr,289.50\n"
    "line,GGR,289.50\n"
    "line,Fee -12%,-34.74\n"
    "line,'-fee,0.00\n"
    "line,\"'=1+2,3\",-0.01\n"
    "settlement,carry_in,-12.50\n"
    "settlement,payable,242.26\n"
    "settlement,carry_out,0.00\n";

/* statement.csv exact text: sections, defused partner and labels, numbers as is. */
static void test_statement_csv_text(void)
{
    statement st = make_statement("=HYPERLINK(\"x\")", 2);
    statement_add_line(&st, "-fee", 0);
    statement_add_line(&st, "=1+2,3", -1);
    sbuf b;
    sbuf_init(&b);
    rep_statement_csv(&b, &st);
    CHECK_EQ_STR(b.buf, expected_csv);
    statement_free(&st);
    sbuf_free(&b);
}

/* html_add_text escapes the five special characters and nothing else. */
static void test_html_escape(void)
{
    sbuf b;
    sbuf_init(&b);
    const char *s = "<a href=\"x\">O'Neil & co</a>";
    html_add_text(&b, s, strlen(s));
    CHECK_EQ_STR(b.buf, "&lt;a href=&quot;x&quot;&gt;O&#39;Neil &amp; co&lt;/a&gt;");
    sbuf_free(&b);
}

/* Text that is not UTF-8 (a Latin-1 file name): its bad bytes become \xNN, the same in
 * the plain, JSON, CSV and HTML writers; valid UTF-8 is left as it is. */
static void test_not_utf8(void)
{
    sbuf b;
    sbuf_init(&b);
    sbuf_add_utf8(&b, "caf\xe9 \xc3\xa9 \xe2\x82 =\xff", 14);
    CHECK_EQ_STR(b.buf, "caf\\xe9 \xc3\xa9 \\xe2\\x82 =\\xff");
    sbuf_reset(&b);
    sbuf_add_json_str(&b, "a\xe9\"", 3);
    CHECK_EQ_STR(b.buf, "\"a\\\\xe9\\\"\"");
    sbuf_reset(&b);
    html_add_text(&b, "<\xe9>", 3);
    CHECK_EQ_STR(b.buf, "&lt;\\xe9&gt;");
    sbuf_free(&b);
    check_cell("=\xe9,", "\"'=\\xe9,\"");
    check_cell("caf\xc3\xa9", "caf\xc3\xa9");
    size_t n = 4;
    char *e = utf8_escaped("caf\xc3", &n);
    CHECK_EQ_STR(e, "caf\\xc3");
    CHECK_EQ_INT(n, 7);
    free(e);
    n = 5;
    CHECK(utf8_escaped("caf\xc3\xa9", &n) == NULL);
}

/* Stages a statement into dir and publishes it; the written list is the caller's to free. */
static int write_statement(const char *dir, const statement *st, path_list *written)
{
    char err[256] = "";
    int rc = report_statement(dir, st, written, err, sizeof err);
    if (rc == 0)
        rc = report_publish(written, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "report_statement: %s\n", err);
    return rc;
}

/* Staged outputs are invisible until published; discarding removes them. */
static void test_staged_until_published(void)
{
    char *dir = path_join(tmp_root, "staged");
    statement st = make_statement("acme", 2);
    char err[256] = "";
    path_list w = {0};
    CHECK_EQ_INT(report_statement(dir, &st, &w, err, sizeof err), 0);
    CHECK_EQ_INT(w.n, 3);
    char *sdir = xasprintf("%s/2025-09/acme", dir);
    struct stat sb;
    CHECK(w.n == 3 && stat(w.items[0], &sb) != 0); /* not visible yet */
    CHECK_EQ_INT(count_temps(sdir), 3);
    char *json = statement_to_json(&st), sha[65];
    unsigned char d[32];
    sha256_mem(json, strlen(json), d);
    sha256_hex(d, sha);
    CHECK(w.n == 3 && strcmp(w.sha[0], sha) == 0); /* the hash of the staged bytes */
    report_discard(&w);
    CHECK_EQ_INT(w.n, 0);
    CHECK_EQ_INT(count_temps(sdir), 0);
    CHECK_EQ_INT(report_statement(dir, &st, &w, err, sizeof err), 0);
    CHECK_EQ_INT(report_publish(&w, err, sizeof err), 0);
    CHECK(w.n == 3 && stat(w.items[0], &sb) == 0);
    CHECK_EQ_INT(count_temps(sdir), 0);
    path_list_free(&w);
    free(json);
    free(sdir);
    statement_free(&st);
    free(dir);
}

/* The three statement files: written, listed, escaped, defused, mode 0640. */
static void test_statement_files(void)
{
    char *dir = path_join(tmp_root, "reports");
    statement st = make_statement("evil\"<script>alert(1)", 2);
    free(st.kind);
    st.kind = xstrdup("=cmd|' /C calc'!A0");
    path_list w = {0};
    CHECK_EQ_INT(write_statement(dir, &st, &w), 0);
    CHECK_EQ_INT(w.n, 3);
    char *sdir = xasprintf("%s/2025-09/%s", dir, st.agg->partner);
    char *html = slurp2(sdir, "statement.html");
    char *csv = slurp2(sdir, "statement.csv");
    CHECK(html && strstr(html, "evil&quot;&lt;script&gt;alert(1)") != NULL);
    CHECK(html && strstr(html, "<script") == NULL);
    CHECK(html && strstr(html, "Held for review:</strong> missing FX rate KWD-&gt;EUR") != NULL);
    CHECK(html && strstr(html, "http://") == NULL && strstr(html, "https://") == NULL);
    CHECK(csv && strstr(csv, "kind,'=cmd|' /C calc'!A0\n") != NULL);
    CHECK(csv && strstr(csv, "\n\nsection,label,amount\ntotal,bet,1500.00\n") != NULL);
    struct stat sb;
    CHECK(w.n == 3 && stat(w.items[0], &sb) == 0 && (sb.st_mode & 0777) == 0640);
    CHECK_EQ_INT(count_temps(sdir), 0);
    free(html);
    free(csv);
    free(sdir);
    path_list_free(&w);
    statement_free(&st);
    free(dir);
}

/* A rerun of the same statement writes byte-identical files. */
static void test_rerun_identical(void)
{
    char *dir = path_join(tmp_root, "rerun");
    statement st = make_statement("acme", 2);
    path_list w1 = {0}, w2 = {0};
    CHECK_EQ_INT(write_statement(dir, &st, &w1), 0);
    char *first[3];
    for (size_t i = 0; i < 3; i++)
        first[i] = w1.n == 3 ? slurp(w1.items[i]) : NULL;
    CHECK_EQ_INT(write_statement(dir, &st, &w2), 0);
    for (size_t i = 0; i < 3 && w2.n == 3; i++) {
        char *again = slurp(w2.items[i]);
        CHECK(first[i] && again && strcmp(first[i], again) == 0);
        CHECK_EQ_STR(w1.items[i], w2.items[i]);
        free(again);
        free(first[i]);
    }
    path_list_free(&w1);
    path_list_free(&w2);
    statement_free(&st);
    free(dir);
}

/* Unwritable targets fail with -1, a reason, and no temp file. */
static void test_unwritable(void)
{
    char *blocker = path_join(tmp_root, "blocker");
    FILE *f = fopen(blocker, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    statement st = make_statement("acme", 2);
    char err[256] = "";
    path_list w = {0};
    CHECK_EQ_INT(report_statement(blocker, &st, &w, err, sizeof err), -1);
    CHECK(strstr(err, "cannot write") != NULL && strstr(err, "statement.json") != NULL);
    CHECK_EQ_INT(w.n, 0);
    err[0] = 0;
    CHECK(exceptions_begin(blocker, "2025-09", err, sizeof err) == NULL);
    CHECK(strstr(err, "cannot create") != NULL);
    if (geteuid() != 0) { /* root ignores permissions: only the file-as-dir case applies */
        char *ro = path_join(tmp_root, "readonly");
        CHECK_EQ_INT(mkdir(ro, 0500), 0);
        err[0] = 0;
        CHECK_EQ_INT(report_summary(ro, "2025-09", NULL, 0, &w, err, sizeof err), -1);
        CHECK(err[0] != 0);
        CHECK_EQ_INT(count_temps(ro), 0);
        chmod(ro, 0700);
        free(ro);
    }
    CHECK_EQ_INT(count_temps(tmp_root), 0);
    err[0] = 0;
    free(st.agg->partner);
    st.agg->partner = xstrdup("../x");
    CHECK_EQ_INT(report_statement(tmp_root, &st, &w, err, sizeof err), -1);
    CHECK(strstr(err, "not a plain name") != NULL);
    path_list_free(&w);
    statement_free(&st);
    free(blocker);
}

/* Counts '\n' in s. */
static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

/* Exceptions: many rows (several flushes), quoting, rename, mode, no temp left. */
static void test_exceptions_end(void)
{
    char *dir = path_join(tmp_root, "exc");
    char err[256] = "";
    exceptions_writer *w = exceptions_begin(dir, "2025-09-22", err, sizeof err);
    CHECK(w != NULL);
    if (!w)
        return;
    char *pdir = path_join(dir, "2025-09-22");
    CHECK_EQ_INT(count_temps(pdir), 1);
    CHECK_EQ_INT(exceptions_row(w, "acme", "acme/a.csv", 7, 20353, "T1", "bad_amount",
                                "amount \"12,3,4\"", "T1;=SUM(A1);12,3,4\n"), 0);
    CHECK_EQ_INT(
        exceptions_row(w, "acme", "acme/b.csv", 0, INT32_MIN, NULL, "truncated", NULL, NULL), 0);
    for (int i = 0; i < 3000; i++)
        CHECK_EQ_INT(exceptions_row(w, "acme", "acme/big.csv", (uint64_t)i + 2, INT32_MIN, "id",
                                    "bad_time", "time \"x\" does not match %d/%m/%Y",
                                    "1;x;2;3;4;5;6"),
                     0);
    path_list written = {0};
    CHECK_EQ_INT(exceptions_end(w, &written, err, sizeof err), 0);
    CHECK_EQ_INT(written.n, 1);
    CHECK_EQ_INT(count_temps(pdir), 1); /* staged until published */
    CHECK_EQ_INT(report_publish(&written, err, sizeof err), 0);
    char *text = slurp2(pdir, "exceptions.csv");
    const char *head = "partner,file,line,day,id,reason,detail,raw\n"
                       "acme,acme/a.csv,7,2025-09-22,T1,bad_amount,\"amount \"\"12,3,4\"\"\","
                       "\"T1;=SUM(A1);12,3,4\n\"\n"
                       "acme,acme/b.csv,,,,truncated,,\n"
                       "acme,acme/big.csv,2,,id,bad_time,\"time \"\"x\"\" does not match";
    CHECK(text && strncmp(text, head, strlen(head)) == 0);
    CHECK(text && strstr(text, "acme,acme/big.csv,3001,,id,bad_time,time \"\"x\"\"") == NULL);
    CHECK(text && strstr(text, "acme,acme/big.csv,3001,,id,bad_time,\"time \"\"x\"\"") != NULL);
    CHECK_EQ_INT(count_lines(text), 1 + 2 + 1 + 3000);
    struct stat sb;
    CHECK(written.n == 1 && stat(written.items[0], &sb) == 0 && (sb.st_mode & 0777) == 0640);
    CHECK_EQ_INT(count_temps(pdir), 0);
    free(text);
    path_list_free(&written);
    free(pdir);
    free(dir);
}

/* Exceptions abort: the temp file goes, an existing exceptions.csv stays. */
static void test_exceptions_abort(void)
{
    char *dir = path_join(tmp_root, "exc");
    char *pdir = path_join(dir, "2025-09-22");
    char *before = slurp2(pdir, "exceptions.csv");
    char err[256] = "";
    exceptions_writer *w = exceptions_begin(dir, "2025-09-22", err, sizeof err);
    CHECK(w != NULL);
    if (w) {
        exceptions_row(w, "x", "y", 1, INT32_MIN, "z", "bad_row", "", "");
        CHECK_EQ_INT(count_temps(pdir), 1);
        exceptions_abort(w);
    }
    CHECK_EQ_INT(count_temps(pdir), 0);
    char *after = slurp2(pdir, "exceptions.csv");
    CHECK(before && after && strcmp(before, after) == 0);
    exceptions_abort(NULL);
    free(before);
    free(after);
    free(pdir);
    free(dir);
}

/* The expected summary.txt of the two rows in test_summary. */
static const char expected_txt[] =
    "settle summary for period 2025-09\n"
    "partners: 2, held: 1\n"
    "\n"
    "partner     kind             status  currency  transactions      ggr  payable  carry_out"
    "  duplicates  rejected\n"
    "acme-games  game_provider    final   EUR                 12  1234.50  -100.05       0.00"
    "           0         3\n"
    "beta        credit_supplier  held    KRW                  5    -7000        0       -500"
    "           2         0\n"
    "\n"
    "Totals by settlement currency (the 1 held statement left out):\n"
    "currency  partners  transactions      ggr  payable  carry_out\n"
    "EUR              1            12  1234.50  -100.05       0.00\n"
    "\n"
    "Held for review:\n"
    "  beta: missing FX rate EUR->KRW on 2025-09-03\n";

/* Summary: exact text, JSON shape, HTML escaping, byte-identical rerun. */
static void test_summary(void)
{
    summary_row rows[2] = {
        {.partner = "acme-games", .kind = "game_provider", .currency = "EUR", .status = "final",
         .exponent = 2, .ggr = 123450, .payable = -10005, .transactions = 12, .rejected = 3},
        {.partner = "beta", .kind = "credit_supplier", .currency = "KRW", .status = "held",
         .hold_reason = "missing FX rate EUR->KRW\non 2025-09-03", .exponent = 0, .ggr = -7000,
         .carry_out = -500, .transactions = 5, .duplicates = 2},
    };
    char *dir = path_join(tmp_root, "sum");
    char err[256] = "";
    path_list w = {0};
    CHECK_EQ_INT(report_summary(dir, "2025-09", rows, 2, &w, err, sizeof err), 0);
    CHECK_EQ_INT(w.n, 3);
    CHECK_EQ_INT(report_publish(&w, err, sizeof err), 0);
    char *pdir = path_join(dir, "2025-09");
    char *txt = slurp2(pdir, "summary.txt"), *json = slurp2(pdir, "summary.json");
    char *html = slurp2(pdir, "summary.html");
    CHECK_EQ_STR(txt, expected_txt);
    CHECK(json && strstr(json, "  \"period\": \"2025-09\",\n  \"partners\": 2,\n  \"held\": 1,\n"));
    CHECK(json && strstr(json, "\"payable\": \"-100.05\""));
    CHECK(json && strstr(json, "\"hold_reason\": null\n"));
    /* the held KRW statement pays nothing yet: no KRW total */
    CHECK(json && !strstr(json, "\"currency\": \"KRW\",\n      \"partners\""));
    CHECK(html && strstr(html, "The 1 held statement is left out."));
    CHECK(json && strstr(json, "\"hold_reason\": \"missing FX rate EUR->KRW\\non 2025-09-03\""));
    CHECK(html && strstr(html, "EUR-&gt;KRW") && strstr(html, "badge held"));
    CHECK(html && strstr(html, "1 statement held for review"));
    CHECK_EQ_INT(report_summary(dir, "2025-09", rows, 2, &w, err, sizeof err), 0);
    CHECK_EQ_INT(w.n, 3); /* the same paths staged again are listed once */
    CHECK_EQ_INT(report_publish(&w, err, sizeof err), 0);
    char *txt2 = slurp2(pdir, "summary.txt");
    CHECK(txt && txt2 && strcmp(txt, txt2) == 0);
    free(txt);
    free(txt2);
    free(json);
    free(html);
    free(pdir);
    path_list_free(&w);
    free(dir);
}

/* Removes tmp_root recursively (test clean-up only). */
static void remove_tree(const char *path)
{
    char *cmd = xasprintf("rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", path);
    free(cmd);
}

/* Runs every test in a fresh temp directory. */
int main(void)
{
    strcpy(tmp_root, "/tmp/settle-test-report-XXXXXX");
    if (!mkdtemp(tmp_root))
        return 2;
    test_json_exact();
    test_json_exponents();
    test_csv_cells();
    test_statement_csv_text();
    test_html_escape();
    test_not_utf8();
    test_statement_files();
    test_rerun_identical();
    test_unwritable();
    test_exceptions_end();
    test_staged_until_published();
    test_exceptions_abort();
    test_summary();
    remove_tree(tmp_root);
    return check_done();
}
