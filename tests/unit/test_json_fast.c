/*
 * test_json_fast.c - the NDJSON fast path (engine/ingest_json_fast.c) against
 * the slow path (scanner + yajl, forced with jr_fast_off): every generated
 * file, good or hostile, must give the same transcript both ways: result,
 * error, stats and every row's line, status, fields, raw text and problem.
 * Hand-worked lines check the values themselves (an independent oracle for
 * the decoding both paths could get wrong alike).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ingest.h"
#include "ingest_json_int.h"

#define N(a) (sizeof(a) / sizeof *(a))

static char tmpdir[] = "/tmp/settle-test-json-fast-XXXXXX";
static char fpath[sizeof tmpdir + 16];

static const char *const paths[] = {"id", "tx.id", "amount.value", "amount", "currency",
                                    "time", "type", "a.b.c", "arr.1", "", "n", "id"};
static const char *const ctl[] = {"count", "sum"};

/* ---- transcripts ------------------------------------------------------------ */

/* Appends n bytes as a length-prefixed item, so no two transcripts collide. */
static void item(sbuf *b, const char *p, size_t n)
{
    char len[32];
    snprintf(len, sizeof len, "%zu:", n);
    sbuf_adds(b, len);
    sbuf_add(b, p, n);
    sbuf_addc(b, ' ');
}

/* Row callback: appends everything about the row to the transcript. */
static int note_row(void *ctx, const ingest_row *row)
{
    sbuf *b = ctx;
    char head[96];
    snprintf(head, sizeof head, "\n%llu s%d h%d t%d n%zu ", (unsigned long long)row->line,
             (int)row->status, row->is_header, row->is_trailer, row->n_fields);
    sbuf_adds(b, head);
    for (size_t i = 0; i < row->n_fields; i++)
        item(b, row->fields[i].p, row->fields[i].n);
    item(b, row->raw.p, row->raw.n);
    item(b, row->problem ? row->problem : "-", strlen(row->problem ? row->problem : "-"));
    return 0;
}

/* Reads data[0..n) as a file (fast path on or off); returns the transcript (caller frees). */
static char *transcript(const char *data, size_t n, bool fast, size_t n_ctl)
{
    FILE *f = fopen(fpath, "wb");
    CHECK(f && fwrite(data, 1, n, f) == n);
    if (f)
        fclose(f);
    sbuf b;
    sbuf_init(&b);
    ingest_stats st;
    char err[300] = "", head[96];
    jr_fast_off = !fast;
    int rc = ingest_json_file(fpath, NULL, paths, N(paths), ctl, n_ctl, note_row, &b, &st, err,
                              sizeof err);
    jr_fast_off = false;
    snprintf(head, sizeof head, "\nrc %d rows %llu lines %llu bytes %llu ", rc,
             (unsigned long long)st.rows, (unsigned long long)st.lines,
             (unsigned long long)st.bytes);
    sbuf_adds(&b, head);
    item(&b, err, strlen(err));
    return sbuf_take(&b);
}

/* True when both paths give the same transcript; prints the first difference otherwise. */
static bool same_both_ways(const char *data, size_t n, size_t n_ctl)
{
    char *a = transcript(data, n, true, n_ctl), *s = transcript(data, n, false, n_ctl);
    bool same = strcmp(a, s) == 0;
    if (!same) {
        size_t i = 0;
        while (a[i] == s[i])
            i++;
        size_t from = i > 200 ? i - 200 : 0;
        fprintf(stderr, "  fast: ...%.300s\n  slow: ...%.300s\n", a + from, s + from);
    }
    free(a);
    free(s);
    return same;
}

/* ---- hand-worked lines ------------------------------------------------------ */

/* The fields of the one data row of an NDJSON text read the fast way, joined by '|'. */
static char *fields_of(const char *text)
{
    char *t = transcript(text, strlen(text), true, 0);
    char *p = strstr(t, "\n1 s0 h0 t0 n12 ");
    sbuf b;
    sbuf_init(&b);
    sbuf_adds(&b, p ? "" : "(no row)");
    p = p ? p + strlen("\n1 s0 h0 t0 n12 ") : NULL;
    for (int i = 0; p && i < 12; i++) {
        size_t len = strtoul(p, &p, 10);
        p++; /* ':' */
        if (i)
            sbuf_addc(&b, '|');
        sbuf_add(&b, p, len);
        p += len + 1;
    }
    free(t);
    return sbuf_take(&b);
}

/* Escapes, pairs, nested paths, arrays, numbers as written, the first of duplicate keys. */
static void test_values(void)
{
    struct { const char *line, *want; } cases[] = {
        {"{\"id\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\te\",\"amount\":\"12.50\"}\n",
         "a\"b\\c/d\b\f\n\r\te|||12.50||||||||a\"b\\c/d\b\f\n\r\te"},
        {"{\"id\":\"\\ud83d\\ude00 \\u00e9\\u20AC\\u0041\",\"n\":-0.5e+3}\n",
         "\xF0\x9F\x98\x80 \xC3\xA9\xE2\x82\xAC" "A||||||||||-0.5e+3|\xF0\x9F\x98\x80 \xC3\xA9\xE2\x82\xAC" "A"},
        {"{ \"tx\" : { \"id\" : 123456789012345678901234567890 } , \"arr\":[1,\"two\",3],"
         "\"a\":{\"b\":{\"c\":true}},\"\":null,\"type\":false}\r\n",
         "|123456789012345678901234567890|||||false|true|two|||"},
        {"{\"id\":\"first\",\"id\":\"second\",\"currency\":\"\xC3\xA9\"}\n",
         "first||||\xC3\xA9|||||||first"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        char *got = fields_of(cases[i].line);
        CHECK_EQ_STR(got, cases[i].want);
        CHECK(same_both_ways(cases[i].line, strlen(cases[i].line), 0));
        free(got);
    }
}

/* ---- generated files ---------------------------------------------------------- */

static uint64_t rng = 0x9E3779B97F4A7C15u;

/* A pseudo-random number below n (xorshift64; fixed seed, so runs repeat). */
static unsigned pick(unsigned n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* Blanks between tokens: mostly nothing or a space; sometimes what JSON or the scanner refuses. */
static void blank(sbuf *b, bool hostile)
{
    static const char *const good[] = {"", "", "", " ", "\t", " \r ", "  "};
    static const char *const bad[] = {"\f", "\v", "\x01", "\xC2\xA0"};
    sbuf_adds(b, hostile && pick(40) == 0 ? bad[pick(N(bad))] : good[pick(N(good))]);
}

/* A string value: plain text mixed with escapes, UTF-8 and (when hostile) bad pieces. */
static void gen_string(sbuf *b, bool hostile)
{
    static const char *const good[] = {
        "abc", "RL2025", "12.50", " ", "\\\"", "\\\\", "\\/", "\\b\\f\\n\\r\\t", "\\u00e9",
        "\\u20AC", "\\ud83d\\ude00", "\\uDBFF\\uDFFF", "\xC3\xA9", "\xF0\x9F\x98\x80",
        "\xE2\x82\xAC", "\x7F", "\xF4\x8F\xBF\xBF", "\\u0001", "\\u07FF", "\\uFFFF", "\t"};
    static const char *const bad[] = {
        "\\uD800", "\\udc00", "\\u0000", "\\uD800\\u0041", "\\uD800x", "\\x", "\\u12", "\\u12G4",
        "\xC0\x80", "\xED\xA0\x80", "\xF5\x80\x80\x80", "\xFF", "\x80", "\xE2\x82", "\x01",
        "\x1F", "\xF4\x90\x80\x80", "\\ud83d\\ud83d", "\\ude00\\ud83d"};
    sbuf_addc(b, '"');
    for (unsigned k = pick(5); k > 0; k--)
        sbuf_adds(b, hostile && pick(8) == 0 ? bad[pick(N(bad))] : good[pick(N(good))]);
    if (pick(60) == 0) /* long: near and past INGEST_MAX_FIELD, as written or decoded */
        for (unsigned k = INGEST_MAX_FIELD / 6 - 2 + pick(4); k > 0; k--)
            sbuf_adds(b, pick(2) ? "\\u00e9" : "abcdef");
    sbuf_addc(b, '"');
}

/* A number as written: JSON's forms, huge ones, and (when hostile) what JSON refuses. */
static void gen_number(sbuf *b, bool hostile)
{
    static const char *const good[] = {"0", "-0", "7", "12.50", "-3.25e-7", "1E+2", "1e5",
                                       "100000000000000000000000000000000000000.01", "0.0"};
    static const char *const bad[] = {"01", "1.", ".5", "+1", "-", "1e", "1.e5", "0x10", "1e+",
                                      "--1", "NaN", "Infinity", "1 2"};
    if (hostile && pick(10) == 0) {
        sbuf_adds(b, bad[pick(N(bad))]);
    } else if (pick(80) == 0) {
        for (unsigned k = INGEST_MAX_FIELD - 2 + pick(5); k > 0; k--)
            sbuf_addc(b, (char)('1' + pick(9)));
    } else {
        sbuf_adds(b, good[pick(N(good))]);
    }
}

static void gen_value(sbuf *b, int depth, bool hostile);

/* An object of a few keys, wanted and not, duplicates among them. */
static void gen_object(sbuf *b, int depth, bool hostile)
{
    static const char *const keys[] = {"id", "tx", "amount", "value", "currency", "time", "type",
                                       "a", "b", "c", "arr", "", "n", "count", "sum", "other",
                                       "i\\u0064", "x\\\"y"};
    sbuf_addc(b, '{');
    blank(b, hostile);
    for (unsigned k = pick(depth == 0 ? 9 : 4), i = 0; i < k; i++) {
        if (i) {
            sbuf_addc(b, ',');
            blank(b, hostile);
        }
        sbuf_addc(b, '"');
        sbuf_adds(b, keys[pick(N(keys))]);
        sbuf_addc(b, '"');
        blank(b, hostile);
        sbuf_addc(b, ':');
        blank(b, hostile);
        gen_value(b, depth + 1, hostile);
        blank(b, hostile);
    }
    if (hostile && pick(60) == 0)
        sbuf_addc(b, ','); /* a trailing comma */
    sbuf_addc(b, '}');
}

/* Any value; deeper ones grow rarer. */
static void gen_value(sbuf *b, int depth, bool hostile)
{
    unsigned k = pick(depth > 3 ? 6 : 8);
    if (k < 3)
        gen_string(b, hostile);
    else if (k < 5)
        gen_number(b, hostile);
    else if (k == 5)
        sbuf_adds(b, (const char *[]){"true", "false", "null", "tru", "nul", "True"}[pick(hostile ? 6 : 3)]);
    else if (k == 6)
        gen_object(b, depth, hostile);
    else {
        sbuf_addc(b, '[');
        for (unsigned n = pick(4), i = 0; i < n; i++) {
            if (i)
                sbuf_addc(b, ',');
            gen_value(b, depth + 1, hostile);
        }
        sbuf_addc(b, ']');
    }
}

/* Nesting 55..70 deep around a wanted value: about where the reader's limit of 64 lies. */
static void gen_deep(sbuf *b)
{
    unsigned d = 55 + pick(16);
    sbuf_adds(b, "{\"id\":\"deep\",\"x\":");
    for (unsigned i = 1; i < d; i++)
        sbuf_adds(b, pick(2) ? "[" : "{\"k\":");
    sbuf_adds(b, "1");
    /* close in reverse: re-derive the opening kinds from the text */
    for (size_t i = b->len; i-- > 0 && d > 1;) {
        if (b->buf[i] == '[')
            sbuf_addc(b, ']'), d--;
        else if (b->buf[i] == '{' && b->buf[i + 1] == '"' && b->buf[i + 2] == 'k')
            sbuf_addc(b, '}'), d--;
    }
    sbuf_addc(b, '}');
}

/* One line (without its end): a record mostly; sometimes something odd. */
static void gen_line(sbuf *b, bool hostile)
{
    static const char *const odd[] = {"", "   ", "[1,2]", "5", "\"s\"", "{\"id\":1}{\"id\":2}",
                                      "{\"id\":1} x", "{", "{\"id\":}", "{\"id\" 1}", "{id:1}",
                                      "{\"count\":2,\"sum\":\"10.00\"}", "null", "\xEF\xBB\xBF{}"};
    blank(b, false);
    if (hostile && pick(12) == 0)
        sbuf_adds(b, odd[pick(N(odd))]);
    else if (pick(100) == 0)
        gen_deep(b);
    else
        gen_object(b, 0, hostile);
    blank(b, false);
    if (hostile && pick(50) == 0 && b->len) { /* a byte flipped, dropped or doubled */
        size_t at = pick((unsigned)b->len);
        b->buf[at] = (char)pick(256);
    }
}

/* A file of `lines` lines (some hostile), maybe with a BOM, CRLF, an unended or cut last line. */
static void gen_file(sbuf *b, unsigned lines, bool hostile)
{
    sbuf_reset(b);
    if (pick(10) == 0)
        sbuf_adds(b, "\xEF\xBB\xBF");
    bool crlf = pick(4) == 0;
    for (unsigned i = 0; i < lines; i++) {
        gen_line(b, hostile);
        sbuf_adds(b, crlf ? "\r\n" : "\n");
    }
    unsigned end = pick(4);
    if (end == 1) /* the last line has no line end */
        gen_line(b, hostile);
    else if (end == 2 && b->len > 2) /* cut anywhere */
        b->len -= 1 + pick(b->len < 40 ? (unsigned)b->len - 1 : 40);
}

/* Many small files, good and hostile, with and without control totals. */
static void test_generated(void)
{
    sbuf b;
    sbuf_init(&b);
    int bad = 0, ok = 0, refused = 0;
    for (int i = 0; i < 1500; i++) {
        bool hostile = i % 3 != 0;
        gen_file(&b, 1 + pick(40), hostile);
        size_t n_ctl = pick(3) == 0 ? 2 : 0;
        if (!same_both_ways(b.buf, b.len, n_ctl) && !bad++)
            fprintf(stderr, "  generated file %d differs (hostile %d)\n", i, hostile);
        char *t = transcript(b.buf, b.len, true, n_ctl);
        ok += strstr(t, "\nrc 0 ") != NULL;
        refused += strstr(t, "\nrc -1 ") != NULL;
        free(t);
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(ok > 300 && refused > 100); /* both outcomes exercised */
    sbuf_free(&b);
}

/* Files past one block (JR_BLOCK): lines cut by the block's end go the slow way. */
static void test_big(void)
{
    sbuf b;
    sbuf_init(&b);
    for (int i = 0; i < 3; i++) {
        sbuf_reset(&b);
        while (b.len < 2 * JR_BLOCK + 1000) {
            gen_line(&b, i == 2);
            sbuf_adds(&b, i == 1 ? "\r\n" : "\n");
        }
        CHECK(same_both_ways(b.buf, b.len, 2));
    }
    sbuf_free(&b);
}

int main(void)
{
    if (!mkdtemp(tmpdir))
        return perror("mkdtemp"), 1;
    snprintf(fpath, sizeof fpath, "%s/t.ndjson", tmpdir);
    test_values();
    test_generated();
    test_big();
    unlink(fpath);
    rmdir(tmpdir);
    return check_done();
}
