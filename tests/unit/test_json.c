/*
 * test_json.c - unit tests of the streaming JSON reader (engine/ingest_json*.c).
 * Expectations were worked out by hand from the input text; the block-boundary
 * and fuzz tests compare against values computed while writing the input.
 * The JSONTestSuite-style files in fixtures/json/ (y_*: must read, n_*: must be
 * refused) are read from the working directory, tests/unit.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "ingest.h"

#define N(a) (sizeof(a) / sizeof *(a))
#define MIB (1024 * 1024)

static char tmpdir[] = "/tmp/settle-test-json-XXXXXX";

/* One delivered row, copied: fields joined with '|'. Owned by the collector. */
typedef struct rec {
    uint64_t line;
    int status;
    bool hdr, trl;
    size_t nf;
    char *fields;
    char *raw;
    char *problem;
} rec;

typedef struct coll {
    rec *r;
    size_t n, cap;
    size_t stop_after; /* return stop_rc after this many rows (0: never) */
    int stop_rc;
    size_t max_raw;    /* longest raw text seen */
} coll;

/* Joins a row's fields with '|' into a new string (caller frees). */
static char *join_fields(const ingest_row *row)
{
    sbuf b;
    sbuf_init(&b);
    sbuf_adds(&b, "");
    for (size_t i = 0; i < row->n_fields; i++) {
        if (i)
            sbuf_addc(&b, '|');
        sbuf_add(&b, row->fields[i].p, row->fields[i].n);
    }
    return sbuf_take(&b);
}

/* Row callback: copies the row into the collector; may ask to stop. */
static int collect(void *ctx, const ingest_row *row)
{
    coll *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->r = xrealloc(c->r, c->cap * sizeof *c->r);
    }
    rec *r = &c->r[c->n++];
    r->line = row->line;
    r->status = (int)row->status;
    r->hdr = row->is_header;
    r->trl = row->is_trailer;
    r->nf = row->n_fields;
    r->fields = join_fields(row);
    r->raw = xstrndup(row->raw.p, row->raw.n);
    r->problem = xstrdup(row->problem ? row->problem : "");
    if (row->raw.n > c->max_raw)
        c->max_raw = row->raw.n;
    return c->stop_after && c->n == c->stop_after ? c->stop_rc : 0;
}

/* Frees every copied row. */
static void coll_free(coll *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->r[i].fields);
        free(c->r[i].raw);
        free(c->r[i].problem);
    }
    free(c->r);
    memset(c, 0, sizeof *c);
}

/* Path of a file in the test folder (static buffer, valid until next call). */
static const char *tpath(const char *name)
{
    static char buf[sizeof tmpdir + 300];
    snprintf(buf, sizeof buf, "%s/%.255s", tmpdir, name);
    return buf;
}

/* Writes n bytes to a test file; returns its path. */
static const char *put(const char *name, const char *data, size_t n)
{
    const char *p = tpath(name);
    FILE *f = fopen(p, "wb");
    CHECK(f != NULL);
    if (f) {
        CHECK(fwrite(data, 1, n, f) == n);
        fclose(f);
    }
    return p;
}

/* What to read: the records path, the wanted paths and the control paths. */
typedef struct want {
    const char *records;
    const char *const *paths;
    size_t np;
    const char *const *ctl;
    size_t nc;
} want;

/* Reads `path` as `w` says into `c`; returns the reader's result. */
static int run_file(const char *path, want w, coll *c, ingest_stats *st, char *err)
{
    json_options o = {w.records};
    return ingest_json_file(path, &o, w.paths, w.np, w.ctl, w.nc, collect, c, st, err, 300);
}

/* Writes n bytes to t.json and reads it. */
static int run_n(const char *data, size_t n, want w, coll *c, ingest_stats *st, char *err)
{
    return run_file(put("t.json", data, n), w, c, st, err);
}

/* Writes a text to t.json and reads it. */
static int run(const char *text, want w, coll *c, ingest_stats *st, char *err)
{
    return run_n(text, strlen(text), w, c, st, err);
}

/* True when err starts with `prefix`; prints err otherwise. */
static bool starts(const char *err, const char *prefix)
{
    if (strncmp(err, prefix, strlen(prefix)) == 0)
        return true;
    fprintf(stderr, "  got: \"%s\"\n  want prefix: \"%s\"\n", err, prefix);
    return false;
}

/* True when s contains `part`; prints s otherwise. */
static bool has(const char *s, const char *part)
{
    if (strstr(s, part))
        return true;
    fprintf(stderr, "  got: \"%s\"\n  want part: \"%s\"\n", s, part);
    return false;
}

/* ---- layouts ---------------------------------------------------------------- */

/* Array of objects: header, fields, lines, raw, stats. */
static void test_array_basic(void)
{
    const char *paths[] = {"id", "amount", "tx.id"};
    const char *text = "[\n"
                       "  {\"id\": \"a1\", \"amount\": 12.34, \"tx\": {\"id\": 7}},\n"
                       "  {\"id\":\"a2\",\"amount\":\"5.00\"}\n"
                       "]\n";
    coll c = {0};
    ingest_stats st;
    char err[300];
    CHECK_EQ_INT(run(text, (want){NULL, paths, 3, NULL, 0}, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 3);
    CHECK(c.r[0].hdr);
    CHECK_EQ_STR(c.r[0].fields, "id|amount|tx.id");
    CHECK_EQ_INT(c.r[0].nf, 3);
    CHECK(!c.r[1].hdr && !c.r[1].trl);
    CHECK_EQ_STR(c.r[1].fields, "a1|12.34|7");
    CHECK_EQ_INT(c.r[1].line, 2);
    CHECK_EQ_STR(c.r[1].raw, "{\"id\": \"a1\", \"amount\": 12.34, \"tx\": {\"id\": 7}}");
    CHECK_EQ_INT(c.r[1].status, ROW_OK);
    CHECK_EQ_STR(c.r[2].fields, "a2|5.00|");
    CHECK_EQ_INT(c.r[2].nf, 3);
    CHECK_EQ_INT(c.r[2].line, 3);
    CHECK_EQ_STR(c.r[2].raw, "{\"id\":\"a2\",\"amount\":\"5.00\"}");
    CHECK_EQ_INT(st.rows, 2);
    CHECK_EQ_INT(st.lines, 4);
    CHECK_EQ_INT(st.bytes, strlen(text));
    coll_free(&c);
}

/* Pretty-printed records: the line of each '{', raw with line breaks as spaces. */
static void test_array_pretty(void)
{
    const char *paths[] = {"id", "amount.value", "amount.currency"};
    const char *text = "[\n"
                       "  {\n"
                       "    \"id\": 1,\n"
                       "    \"amount\": {\"value\": \"10.00\", \"currency\": \"EUR\"}\n"
                       "  },\n"
                       "  {\"id\": 2,\r\n"
                       "   \"amount\": {\"value\": \"-3.5\"}}\n"
                       "]";
    coll c = {0};
    ingest_stats st;
    char err[300];
    CHECK_EQ_INT(run(text, (want){NULL, paths, 3, NULL, 0}, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 3);
    CHECK_EQ_STR(c.r[1].fields, "1|10.00|EUR");
    CHECK_EQ_INT(c.r[1].line, 2);
    CHECK_EQ_STR(c.r[1].raw, "{     \"id\": 1,     \"amount\": {\"value\": \"10.00\", "
                             "\"currency\": \"EUR\"}   }");
    CHECK_EQ_STR(c.r[2].fields, "2|-3.5|");
    CHECK_EQ_INT(c.r[2].line, 6);
    CHECK_EQ_STR(c.r[2].raw, "{\"id\": 2,     \"amount\": {\"value\": \"-3.5\"}}");
    CHECK_EQ_INT(st.lines, 8);
    coll_free(&c);
}

/* Numbers exactly as written; strings unescaped; null, absent, true, false. */
static void test_values(void)
{
    const char *num[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    coll c = {0};
    ingest_stats st;
    char err[300];
    CHECK_EQ_INT(run("[{\"a\":12.34,\"b\":1.5e3,\"c\":-0.10,\"d\":1E-2,"
                     "\"e\":123456789012345678901234567890,\"f\":0,\"g\":-0,\"h\":1e+2}]",
                     (want){NULL, num, 8, NULL, 0}, &c, &st, err),
                 0);
    CHECK_EQ_INT(c.n, 2);
    CHECK_EQ_STR(c.r[1].fields, "12.34|1.5e3|-0.10|1E-2|123456789012345678901234567890|0|-0|1e+2");
    coll_free(&c);

    const char *str[] = {"a", "b", "c", "d", "e", "f"};
    CHECK_EQ_INT(run("[{\"a\":\"caf\\u00e9\",\"b\":\"\\ud83d\\ude00\",\"c\":\"x\\\"y\\\\z\\/\","
                     "\"d\":\"t\\tb\",\"e\":\"l\\nb\",\"f\":\"\xC3\xA9\xE7\x9B\xB4\"}]",
                     (want){NULL, str, 6, NULL, 0}, &c, &st, err),
                 0);
    CHECK_EQ_INT(c.n, 2);
    CHECK_EQ_STR(c.r[1].fields,
                 "caf\xC3\xA9|\xF0\x9F\x98\x80|x\"y\\z/|t\tb|l\nb|\xC3\xA9\xE7\x9B\xB4");
    coll_free(&c);

    const char *lit[] = {"a", "b", "c", "d", "zz"};
    CHECK_EQ_INT(run("[{\"a\":null,\"b\":true,\"c\":false,\"d\":\"\"}]",
                     (want){NULL, lit, 5, NULL, 0}, &c, &st, err),
                 0);
    CHECK_EQ_STR(c.r[1].fields, "|true|false||");
    CHECK_EQ_INT(c.r[1].nf, 5);
    coll_free(&c);

    /* A \u escape that decodes to no character makes the row bad, not the file. */
    const char *one[] = {"a"};
    CHECK_EQ_INT(run("[{\"a\":\"\\udc00\"},{\"a\":\"ok\"}]", (want){NULL, one, 1, NULL, 0}, &c,
                     &st, err),
                 0);
    CHECK_EQ_INT(c.n, 3);
    CHECK_EQ_INT(c.r[1].status, ROW_BAD_SYNTAX);
    CHECK(has(c.r[1].problem, "lone surrogate"));
    CHECK_EQ_STR(c.r[2].fields, "ok");
    coll_free(&c);
}

/* Dotted paths, array indices, keys that look like indices, duplicates. */
static void test_paths(void)
{
    const char *paths[] = {"items.0.amount", "items.1.amount", "items.2.amount", "m.0",
                           "deep.a.b.c", "arr.1.0", "items.01.amount", "items"};
    const char *text = "[{\"items\":[{\"amount\":\"1.00\"},{\"amount\":\"2.00\"}],"
                       "\"m\":{\"0\":\"zero\"},\"deep\":{\"a\":{\"b\":{\"c\":\"x\"}}},"
                       "\"arr\":[[1,2],[3,4]]},"
                       "{\"items\":\"flat\"}]";
    coll c = {0};
    ingest_stats st;
    char err[300];
    CHECK_EQ_INT(run(text, (want){NULL, paths, 7, NULL, 0}, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 3);
    CHECK_EQ_STR(c.r[1].fields, "1.00|2.00||zero|x|3|");
    CHECK_EQ_STR(c.r[2].fields, "||||||");
    coll_free(&c);

    /* A wanted path that holds an object or array rejects the row. */
    CHECK_EQ_INT(run(text, (want){NULL, paths, 8, NULL, 0}, &c, &st, err), 0);
    CHECK_EQ_INT(c.r[1].status, ROW_BAD_SYNTAX);
    CHECK_EQ_STR(c.r[1].problem, "items holds an array, not a value");
    CHECK_EQ_INT(c.r[1].nf, 0);
    CHECK_EQ_INT(c.r[2].status, ROW_OK);
    CHECK_EQ_STR(c.r[2].fields, "|||||||flat");
    coll_free(&c);

    const char *tx[] = {"tx.id"};
    CHECK_EQ_INT(run("[{\"tx\":{\"id\":{\"x\":1}}},{\"tx\":{\"id\":5}}]",
                     (want){NULL, tx, 1, NULL, 0}, &c, &st, err),
                 0);
    CHECK_EQ_INT(c.n, 3);
    CHECK_EQ_INT(c.r[1].status, ROW_BAD_SYNTAX);
    CHECK_EQ_STR(c.r[1].problem, "tx.id holds an object, not a value");
    CHECK_EQ_STR(c.r[2].fields, "5");
    coll_free(&c);

    /* Duplicate keys: the first value of each path wins. */
    const char *dup[] = {"a", "t.x", "t.y"};
    CHECK_EQ_INT(run("[{\"a\":1,\"a\":2,\"t\":{\"x\":1},\"t\":{\"x\":2,\"y\":3}}]",
                     (want){NULL, dup, 3, NULL, 0}, &c, &st, err),
                 0);
    CHECK_EQ_STR(c.r[1].fields, "1|1|3");
    coll_free(&c);

    /* No paths at all: rows with no fields. */
    CHECK_EQ_INT(run("[{\"a\":1},{}]", (want){NULL, NULL, 0, NULL, 0}, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 3);
    CHECK_EQ_INT(c.r[1].nf, 0);
    CHECK_EQ_INT(c.r[2].status, ROW_OK);
    coll_free(&c);
}

/* Array elements that are not objects are bad rows of their own. */
static void test_array_non_objects(void)
{
    const char *paths[] = {"a"};
    coll c = {0};
    ingest_stats st;
    char err[300];
    CHECK_EQ_INT(run("[{\"a\":1}, 5, \"s\",\n [1, [2]], null, {\"a\":2}, 1.5e3 ]",
                     (want){NULL, paths, 1, NULL, 0}, &c, &st, err),
                 0);
    CHECK_EQ_INT(c.n, 8);
    CHECK_EQ_STR(c.r[1].fields, "1");
    const char *raws[] = {"5", "\"s\"", "[1, [2]]", "null"};
    const int lines[] = {1, 1, 2, 2};
    for (int i = 0; i < 4; i++) {
        CHECK_EQ_INT(c.r[2 + i].status, ROW_BAD_SYNTAX);
        CHECK_EQ_STR(c.r[2 + i].problem, "array element is not a JSON object");
        CHECK_EQ_STR(c.r[2 + i].raw, raws[i]);
        CHECK_EQ_INT(c.r[2 + i].line, lines[i]);
        CHECK_EQ_INT(c.r[2 + i].nf, 0);
    }
    CHECK_EQ_STR(c.r[6].fields, "2");
    CHECK_EQ_STR(c.r[6].raw, "{\"a\":2}");
    CHECK_EQ_STR(c.r[7].raw, "1.5e3");
    CHECK_EQ_INT(st.rows, 7);
    coll_free(&c);

    CHECK_EQ_INT(run("[]", (want){NULL, paths, 1, NULL, 0}, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 1);
    coll_free(&c);
}

/* NDJSON: blank lines skipped, CRLF, bad lines rejected alone, neighbours intact. */
static void test_ndjson(void)
{
    const char *paths[] = {"id", "amount"};
    const char *text = "{\"id\":1,\"amount\":\"10.00\"}\n"   /* 1 */
                       "\n"                                /* 2 */
                       "   \n"                             /* 3 */
                       "{\"id\":2,\"amount\":\"20.00\"}\r\n" /* 4 */
                       "{\"id\":3,\"amount\":}\n"           /* 5 */
                       "{\"id\":4,\"amount\":\"40.00\"}\n"  /* 6 */
                       "[1,2]\n"                           /* 7 */
                       "7\n"                               /* 8 */
                       "{\"id\":5} {\"id\":6}\n"           /* 9 */
                       "{\"id\":8,\n"                      /* 10 */
                       "\"x\":1}\n"                        /* 11 */
                       " {\"id\":9}";                      /* 12 */
    coll c = {0};
    ingest_stats st;
    char err[300];
    CHECK_EQ_INT(run(text, (want){NULL, paths, 2, NULL, 0}, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 11);
    CHECK(c.r[0].hdr);
    CHECK_EQ_STR(c.r[1].fields, "1|10.00");
    CHECK_EQ_INT(c.r[1].line, 1);
    CHECK_EQ_STR(c.r[1].raw, "{\"id\":1,\"amount\":\"10.00\"}");
    CHECK_EQ_STR(c.r[2].fields, "2|20.00");
    CHECK_EQ_INT(c.r[2].line, 4);
    CHECK_EQ_STR(c.r[2].raw, "{\"id\":2,\"amount\":\"20.00\"}");
    CHECK_EQ_INT(c.r[3].status, ROW_BAD_SYNTAX);
    CHECK_EQ_INT(c.r[3].line, 5);
    CHECK(starts(c.r[3].problem, "line 5, column 18: parse error: "));
    CHECK_EQ_STR(c.r[3].raw, "{\"id\":3,\"amount\":}");
    CHECK_EQ_INT(c.r[3].nf, 0);
    CHECK_EQ_STR(c.r[4].fields, "4|40.00");
    CHECK_EQ_INT(c.r[4].line, 6);
    CHECK_EQ_STR(c.r[5].problem, "line 7, column 1: not a JSON object");
    CHECK_EQ_STR(c.r[5].raw, "[1,2]");
    CHECK_EQ_STR(c.r[6].problem, "line 8, column 2: not a JSON object");
    CHECK_EQ_STR(c.r[7].problem, "line 9, column 10: more than one JSON value on the line");
    CHECK_EQ_INT(c.r[7].line, 9);
    CHECK_EQ_STR(c.r[8].problem, "line 10, column 9: the line ends in the middle of a record");
    CHECK_EQ_INT(c.r[8].line, 10);
    CHECK_EQ_STR(c.r[9].problem, "line 11, column 4: not a JSON object");
    CHECK_EQ_INT(c.r[10].status, ROW_OK);
    CHECK_EQ_STR(c.r[10].fields, "9|");
    CHECK_EQ_STR(c.r[10].raw, " {\"id\":9}");
    CHECK_EQ_INT(c.r[10].line, 12);
    CHECK_EQ_INT(st.rows, 10);
    CHECK_EQ_INT(st.lines, 12);
    coll_free(&c);

    /* A malformed last line without a line end is a bad row, not truncation. */
    CHECK_EQ_INT(run("{\"id\":1}\n{\"id\": x}", (want){NULL, paths, 2, NULL, 0}, &c, &st, err),
                 0);
    CHECK_EQ_INT(c.n, 3);
    CHECK_EQ_INT(c.r[2].status, ROW_BAD_SYNTAX);
    CHECK(starts(c.r[2].problem, "line 2, column 8: lexical error"));
    coll_free(&c);

    /* After a bad line, a blank last line without a line end is no row; a bare value is. */
    CHECK_EQ_INT(run("{\"id\":1}\n{bad}\n   ", (want){NULL, paths, 2, NULL, 0}, &c, &st, err),
                 0);
    CHECK_EQ_INT(c.n, 3);
    coll_free(&c);
    CHECK_EQ_INT(run("{\"id\":1}\n{bad}\n7", (want){NULL, paths, 2, NULL, 0}, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 4);
    CHECK_EQ_STR(c.r[3].problem, "line 3, column 2: not a JSON object");
    coll_free(&c);

    /* A pretty-printed document is not NDJSON. */
    CHECK_EQ_INT(run("{\n  \"a\": 1\n}\n", (want){NULL, paths, 2, NULL, 0}, &c, &st, err), -1);
    CHECK(has(err, "not NDJSON"));
    coll_free(&c);
}

/* NDJSON whose last line stops inside a value: the file was truncated. */
static void test_ndjson_truncated(void)
{
    const char *paths[] = {"a"};
    const char *cases[] = {"{\"a\":1}\n{\"a\":2}\n{\"a\":", "{\"a\":1}\n{\"a\":2}\n{\"a\":\"ab",
                           "{\"a\":1}\n{\"a\":2}\n{\"a\":[1,2", "{\"a\":1}\n{\"a\":2}\n{\"a\":1"};
    coll c = {0};
    ingest_stats st;
    char err[300];
    for (size_t i = 0; i < N(cases); i++) {
        CHECK_EQ_INT(run(cases[i], (want){NULL, paths, 1, NULL, 0}, &c, &st, err), -1);
        CHECK_EQ_STR(err, "line 3: file ends in the middle of a record (truncated?)");
        coll_free(&c);
    }
    CHECK_EQ_INT(run("{\"a\":1}\n{\"a\":2}", (want){NULL, paths, 1, NULL, 0}, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 3);
    CHECK_EQ_STR(c.r[2].fields, "2");
    coll_free(&c);
}

/* The document layout: records at a path; control totals from the root, after the records. */
static void test_document(void)
{
    const char *paths[] = {"id", "amount"};
    const char *ctl[] = {"control.count", "control.total", "meta.partner"};
    const char *text = "{\n"
                       "  \"meta\": {\"partner\": \"acme\", \"count\": 99},\n"
                       "  \"data\": {\n"
                       "    \"transactions\": [\n"
                       "      {\"id\": 1, \"amount\": \"1.00\", \"control\": {\"count\": 7}},\n"
                       "      {\"id\": 2, \"amount\": \"2.00\"}\n"
                       "    ],\n"
                       "    \"other\": [1, {\"id\": 3}]\n"
                       "  },\n"
                       "  \"control\": {\"count\": 2, \"total\": \"3.00\"}\n"
                       "}\n";
    coll c = {0};
    ingest_stats st;
    char err[300];
    CHECK_EQ_INT(run(text, (want){"data.transactions", paths, 2, ctl, 3}, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 4);
    CHECK_EQ_STR(c.r[1].fields, "1|1.00");
    CHECK(!c.r[1].trl);
    CHECK_EQ_INT(c.r[1].line, 5);
    CHECK_EQ_STR(c.r[1].raw, "{\"id\": 1, \"amount\": \"1.00\", \"control\": {\"count\": 7}}");
    CHECK_EQ_STR(c.r[2].fields, "2|2.00");
    CHECK_EQ_INT(c.r[2].line, 6);
    CHECK(c.r[3].trl);
    CHECK_EQ_STR(c.r[3].fields, "2|3.00|acme");
    CHECK_EQ_INT(c.r[3].nf, 3);
    CHECK_EQ_INT(st.rows, 2);
    coll_free(&c);

    /* Control paths absent: one trailer with empty fields. No control: no trailer. */
    const char *none[] = {"nope.x"};
    CHECK_EQ_INT(run(text, (want){"data.transactions", paths, 2, none, 1}, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 4);
    CHECK(c.r[3].trl);
    CHECK_EQ_STR(c.r[3].fields, "");
    CHECK_EQ_INT(c.r[3].nf, 1);
    coll_free(&c);
    CHECK_EQ_INT(run(text, (want){"data.transactions", paths, 2, NULL, 0}, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 3);
    coll_free(&c);

    /* The records path missing, or not an array. */
    CHECK_EQ_INT(run(text, (want){"data.tx", paths, 2, NULL, 0}, &c, &st, err), -1);
    CHECK_EQ_STR(err, "no records array at 'data.tx' in the document");
    coll_free(&c);
    CHECK_EQ_INT(run(text, (want){"data", paths, 2, NULL, 0}, &c, &st, err), -1);
    CHECK_EQ_STR(err, "line 3, column 11: 'data' holds an object, not the records array");
    coll_free(&c);
    CHECK_EQ_INT(run(text, (want){"meta.count", paths, 2, NULL, 0}, &c, &st, err), -1);
    CHECK(starts(err, "line 2, column "));
    CHECK(has(err, "'meta.count' holds a value, not the records array"));
    coll_free(&c);

    /* A records array inside an array; a syntax error after the records. */
    CHECK_EQ_INT(run("{\"d\":[0,{\"r\":[{\"id\":5}]}]}", (want){"d.1.r", paths, 2, NULL, 0}, &c,
                     &st, err),
                 0);
    CHECK_EQ_INT(c.n, 2);
    CHECK_EQ_STR(c.r[1].fields, "5|");
    coll_free(&c);
    CHECK_EQ_INT(run("{\"r\":[{\"id\":5}],\n\"x\": nul}", (want){"r", paths, 2, NULL, 0}, &c, &st,
                     err),
                 -1);
    CHECK(starts(err, "line 2, column "));
    CHECK_EQ_INT(c.n, 2);
    coll_free(&c);
}

/* Control-totals trailers in the array and NDJSON layouts. */
static void test_trailers(void)
{
    const char *paths[] = {"id", "amount"};
    const char *ctl[] = {"trailer.count", "trailer.total"};
    const char *arr = "[{\"id\":1,\"amount\":\"1.00\",\"trailer\":null},\n"
                      " {\"id\":2,\"amount\":\"2.00\"},\n"
                      " {\"trailer\":{\"count\":2,\"total\":\"3.00\"}}]";
    coll c = {0};
    ingest_stats st;
    char err[300];
    CHECK_EQ_INT(run(arr, (want){NULL, paths, 2, ctl, 2}, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 4);
    CHECK(!c.r[1].trl);
    CHECK_EQ_STR(c.r[1].fields, "1|1.00");
    CHECK(c.r[3].trl);
    CHECK_EQ_STR(c.r[3].fields, "2|3.00");
    CHECK_EQ_INT(c.r[3].line, 3);
    CHECK_EQ_STR(c.r[3].raw, "{\"trailer\":{\"count\":2,\"total\":\"3.00\"}}");
    CHECK_EQ_INT(st.rows, 2);
    coll_free(&c);

    const char *nd = "{\"id\":1,\"amount\":\"1.00\"}\n"
                     "{\"trailer\":{\"count\":1}}\n";
    CHECK_EQ_INT(run(nd, (want){NULL, paths, 2, ctl, 2}, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 3);
    CHECK(c.r[2].trl);
    CHECK_EQ_STR(c.r[2].fields, "1|");
    CHECK_EQ_INT(c.r[2].nf, 2);
    CHECK_EQ_INT(c.r[2].line, 2);
    CHECK_EQ_INT(st.rows, 1);
    coll_free(&c);

    /* NULL paths match nothing: no control[0], no trailer. */
    const char *halfp[] = {"id", NULL}, *halfc[] = {NULL, "trailer.total"};
    CHECK_EQ_INT(run(arr, (want){NULL, halfp, 2, halfc, 2}, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 4);
    CHECK_EQ_STR(c.r[0].fields, "id|");
    CHECK_EQ_STR(c.r[1].fields, "1|");
    CHECK(!c.r[3].trl);
    coll_free(&c);

    /* A trailer whose control value is an object is a bad trailer row. */
    CHECK_EQ_INT(run("[{\"trailer\":{\"count\":{}}}]", (want){NULL, paths, 2, ctl, 2}, &c, &st,
                     err),
                 0);
    CHECK(c.r[1].trl);
    CHECK_EQ_INT(c.r[1].status, ROW_BAD_SYNTAX);
    CHECK_EQ_STR(c.r[1].problem, "trailer.count holds an object, not a value");
    coll_free(&c);
}

/* ---- limits -------------------------------------------------------------------- */

/* Peak resident set size of this process, in KiB. */
static long peak_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Writes `n` copies of the string s to f. */
static void fill(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fputs(s, f);
}

/*
 * Memory stays bounded on hostile drops of 64 MiB: one string (its cap
 * falling inside an escape), one number, one NDJSON line. Run first, while
 * the peak is still low.
 */
static void test_memory(void)
{
    const char *paths[] = {"id", "v"};
    const char *p = tpath("huge.json");
    long before = peak_kib();
    for (int k = 0; k < 3; k++) {
        FILE *f = fopen(p, "wb");
        CHECK(f != NULL);
        if (!f)
            return;
        fputs(k == 2 ? "{\"id\":1,\"v\":[" : "[{\"id\":1,\"v\":", f);
        if (k == 0) {
            fputs("\"", f);
            fill(f, "\\u0041", 65539); /* the cap falls in the last escape */
            fill(f, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 2 * MIB);
            fputs("\"", f);
        } else {
            fill(f, k == 1 ? "99999999999999999999999999999999" : "[1, \"ab\"], ", 2 * MIB);
            fputs(k == 1 ? "" : "0]", f);
        }
        fputs(k == 2 ? "}\n{\"id\":2}\n" : "},{\"id\":2}]", f);
        fclose(f);
        coll c = {0};
        ingest_stats st;
        char err[300];
        CHECK_EQ_INT(run_file(p, (want){NULL, paths, 2, NULL, 0}, &c, &st, err), 0);
        CHECK_EQ_INT(c.n, 3);
        if (c.n == 3) {
            CHECK_EQ_INT(c.r[1].status, k == 2 ? ROW_BAD_SYNTAX : ROW_FIELD_TOO_LONG);
            CHECK_EQ_STR(c.r[2].fields, "2|");
        }
        coll_free(&c);
    }
    long grew = peak_kib() - before;
    if (grew > 16 * 1024)
        fprintf(stderr, "  peak grew by %ld KiB\n", grew);
    CHECK(grew <= 16 * 1024);
    unlink(p);
}

/* Appends n copies of s. */
static void add_rep(sbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sbuf_adds(b, s);
}

/* Builds [{"id":1},{"id":2,"note":"<body>"},{"id":3}] around a long body. */
static char *long_doc(const char *body_unit, size_t units, bool nd)
{
    sbuf b;
    sbuf_init(&b);
    sbuf_adds(&b, nd ? "{\"id\":1}\n{\"id\":2,\"note\":\"" : "[{\"id\":1},{\"id\":2,\"note\":\"");
    for (size_t i = 0; i < units; i++)
        sbuf_adds(&b, body_unit);
    sbuf_adds(&b, nd ? "\"}\n{\"id\":3}\n" : "\"},{\"id\":3}]");
    return sbuf_take(&b);
}

/* Reads long_doc(unit, units): row 2 has status `want_st`, rows 1 and 3 are intact. */
static void check_long(const char *unit, size_t units, bool nd, bool wanted, int want_st)
{
    const char *paths[] = {"id", "note"};
    char *doc = long_doc(unit, units, nd);
    coll c = {0};
    ingest_stats st;
    char err[300];
    CHECK_EQ_INT(run(doc, (want){NULL, paths, wanted ? 2 : 1, NULL, 0}, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 4);
    if (c.n == 4) {
        CHECK_EQ_STR(c.r[1].fields, wanted ? "1|" : "1");
        CHECK_EQ_INT(c.r[2].status, want_st);
        CHECK_EQ_INT(c.r[2].line, nd ? 2 : 1);
        CHECK(strlen(c.r[2].raw) <= INGEST_MAX_RAW + 3);
        CHECK_EQ_STR(c.r[3].fields, wanted ? "3|" : "3");
        if (want_st == ROW_FIELD_TOO_LONG)
            CHECK_EQ_STR(c.r[2].problem, "note is longer than 65536 bytes");
    }
    coll_free(&c);
    free(doc);
}

/* Reads a record whose "n" is `digits` digits then `tail`: row 2 has status `want_st`. */
static void check_long_number(size_t digits, const char *tail, bool nd, int want_st)
{
    const char *paths[] = {"id", "n"};
    sbuf b;
    sbuf_init(&b);
    sbuf_adds(&b, nd ? "{\"id\":1}\n{\"id\":2,\"n\":-" : "[{\"id\":1},{\"id\":2,\"n\":-");
    add_rep(&b, "7", digits);
    sbuf_adds(&b, tail);
    sbuf_adds(&b, nd ? "}\n{\"id\":3}\n" : "},{\"id\":3}]");
    coll c = {0};
    ingest_stats st;
    char err[300];
    CHECK_EQ_INT(run(b.buf, (want){NULL, paths, 2, NULL, 0}, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 4);
    if (c.n == 4) {
        CHECK_EQ_INT(c.r[2].status, want_st);
        CHECK_EQ_STR(c.r[3].fields, "3|");
        if (want_st == ROW_OK)
            CHECK_EQ_INT(strlen(c.r[2].fields), digits + strlen(tail) + 3);
    }
    coll_free(&c);
    sbuf_free(&b);
}

/* Numbers: at and past the limit; digit runs long enough to be withheld from yajl. */
static void test_long_numbers(void)
{
    check_long_number(INGEST_MAX_FIELD - 1, "", false, ROW_OK);
    check_long_number(INGEST_MAX_FIELD, "", false, ROW_FIELD_TOO_LONG);
    check_long_number(INGEST_MAX_FIELD + 1, "", false, ROW_FIELD_TOO_LONG);
    check_long_number(3 * MIB, ".25e-3", false, ROW_FIELD_TOO_LONG);
    check_long_number(3 * MIB, "", true, ROW_FIELD_TOO_LONG);
    check_long_number(3, ".25e-3", true, ROW_OK);
    const char *paths[] = {"id"};
    coll c = {0};
    ingest_stats st;
    char err[300];
    sbuf b;
    sbuf_init(&b);
    sbuf_adds(&b, "[1");
    add_rep(&b, "0", 2 * MIB);
    sbuf_adds(&b, "x]"); /* an error after withheld digits is still found */
    CHECK_EQ_INT(run(b.buf, (want){NULL, paths, 1, NULL, 0}, &c, &st, err), -1);
    CHECK(has(err, "lexical error"));
    coll_free(&c);
    sbuf_free(&b);
}

/* Field caps, at and past the limit; strings long enough to be withheld from yajl. */
static void test_too_long(void)
{
    check_long("x", INGEST_MAX_FIELD, false, true, ROW_OK);
    check_long("x", INGEST_MAX_FIELD + 1, false, true, ROW_FIELD_TOO_LONG);
    check_long("x", INGEST_MAX_FIELD + 1, false, false, ROW_OK);
    check_long("\\u0041", INGEST_MAX_FIELD, false, true, ROW_OK);            /* 384 KiB escaped */
    check_long("\\u0041", INGEST_MAX_FIELD + 1, false, true, ROW_FIELD_TOO_LONG);
    check_long("abc\\n\\u00e9\xC3\xA9", 3 * MIB / 14, false, true, ROW_FIELD_TOO_LONG);
    check_long("abc\\n\\u00e9\xC3\xA9", 3 * MIB / 14, false, false, ROW_OK);
    check_long("x", 3 * MIB, true, true, ROW_FIELD_TOO_LONG);
    check_long("x", 3 * MIB, true, false, ROW_OK);

    /* The full value at exactly the limit comes through whole. */
    const char *paths[] = {"id", "note"};
    char *doc = long_doc("y", INGEST_MAX_FIELD, false);
    coll c = {0};
    ingest_stats st;
    char err[300];
    CHECK_EQ_INT(run(doc, (want){NULL, paths, 2, NULL, 0}, &c, &st, err), 0);
    CHECK_EQ_INT(strlen(c.r[2].fields), INGEST_MAX_FIELD + 2);
    CHECK_EQ_INT(strlen(c.r[2].raw), INGEST_MAX_RAW + 3);
    CHECK(strcmp(c.r[2].raw + INGEST_MAX_RAW, "...") == 0);
    coll_free(&c);
    free(doc);

    /* Withheld bytes are still checked: a control byte or bad escape in them. */
    char *bad = long_doc("x", 2 * MIB, false);
    bad[MIB + 17] = '\t';
    CHECK_EQ_INT(run(bad, (want){NULL, paths, 2, NULL, 0}, &c, &st, err), -1);
    CHECK_EQ_STR(err, "line 1, column 1048594: lexical error: invalid character inside string.");
    coll_free(&c);
    memcpy(bad + MIB + 17, "\\q", 2);
    CHECK_EQ_INT(run(bad, (want){NULL, paths, 2, NULL, 0}, &c, &st, err), -1);
    CHECK(has(err, "column 1048595: lexical error: inside a string, '\\' occurs"));
    coll_free(&c);
    memcpy(bad + MIB + 17, "\xC3\x28", 2);
    CHECK_EQ_INT(run(bad, (want){NULL, paths, 2, NULL, 0}, &c, &st, err), -1);
    CHECK_EQ_STR(err, "line 1: text is not valid UTF-8 (wrong encoding?)");
    coll_free(&c);
    free(bad);
}


/* Nesting: 64 levels read, 65 refused (file in arrays, row in NDJSON); a deep bomb. */
static void test_depth(void)
{
    const char *paths[] = {"a"};
    coll c = {0};
    ingest_stats st;
    char err[300];
    sbuf b;
    sbuf_init(&b);
    for (int extra = 62; extra <= 63; extra++) {
        sbuf_reset(&b);
        sbuf_adds(&b, "[{\"a\":1,\"b\":");
        add_rep(&b, "[", (size_t)extra);
        add_rep(&b, "]", (size_t)extra);
        sbuf_adds(&b, "}]");
        int rc = run(b.buf, (want){NULL, paths, 1, NULL, 0}, &c, &st, err);
        CHECK_EQ_INT(rc, extra == 62 ? 0 : -1);
        if (rc)
            CHECK_EQ_STR(err, "line 1, column 75: nesting deeper than 64 levels");
        coll_free(&c);
    }
    sbuf_reset(&b);
    sbuf_adds(&b, "{\"a\":1}\n{\"a\":");
    add_rep(&b, "[", 100);
    sbuf_adds(&b, "\n{\"a\":3}\n");
    CHECK_EQ_INT(run(b.buf, (want){NULL, paths, 1, NULL, 0}, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 4);
    CHECK_EQ_INT(c.r[2].status, ROW_BAD_SYNTAX);
    CHECK_EQ_STR(c.r[2].problem, "line 2, column 69: nesting deeper than 64 levels");
    CHECK_EQ_STR(c.r[3].fields, "3");
    coll_free(&c);
    sbuf_reset(&b);
    add_rep(&b, "[[[[[[[[[[[[[[[[", 1 << 20); /* 16 MiB of '[' */
    CHECK_EQ_INT(run(b.buf, (want){NULL, paths, 1, NULL, 0}, &c, &st, err), -1);
    CHECK_EQ_STR(err, "line 1, column 65: nesting deeper than 64 levels");
    CHECK(st.bytes <= 2 * MIB); /* stopped at once */
    coll_free(&c);
    sbuf_free(&b);
}

/* ---- encodings, empty files, errors --------------------------------------------- */

/* UTF-16/32 refused (with or without BOM), UTF-8 BOM skipped, invalid UTF-8 refused. */
static void test_encodings(void)
{
    const char *paths[] = {"a"};
    coll c = {0};
    ingest_stats st;
    char err[300];
    const want w = {NULL, paths, 1, NULL, 0};
    CHECK_EQ_INT(run_n("\xFF\xFE[\0{\0}\0]\0", 10, w, &c, &st, err), -1);
    CHECK(has(err, "UTF-16 text; JSON drops must be UTF-8"));
    coll_free(&c);
    CHECK_EQ_INT(run_n("\xFE\xFF\0[\0{\0}\0]", 10, w, &c, &st, err), -1);
    CHECK(has(err, "UTF-16 text; JSON drops must be UTF-8"));
    coll_free(&c);
    CHECK_EQ_INT(run_n("\xFF\xFE\0\0[\0\0\0", 8, w, &c, &st, err), -1);
    CHECK(has(err, "UTF-32 text"));
    coll_free(&c);
    CHECK_EQ_INT(run_n("[\0{\0}\0]\0", 8, w, &c, &st, err), -1);
    CHECK_EQ_STR(err, "line 1, column 2: NUL byte (UTF-16 text? JSON drops must be UTF-8)");
    coll_free(&c);
    CHECK_EQ_INT(run_n("\0[\0{", 4, w, &c, &st, err), -1);
    CHECK(has(err, "UTF-16"));
    coll_free(&c);

    CHECK_EQ_INT(run("\xEF\xBB\xBF[{\"a\":1}]", w, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 2);
    CHECK_EQ_STR(c.r[1].raw, "{\"a\":1}");
    coll_free(&c);
    CHECK_EQ_INT(run("\xEF\xBB\xBF[x]", w, &c, &st, err), -1);
    CHECK(starts(err, "line 1, column 2: lexical error"));
    coll_free(&c);
    CHECK_EQ_INT(run("\xEF\xBB\xBF{\"a\":\"\xC3\xA9\"}\n", w, &c, &st, err), 0);
    CHECK_EQ_STR(c.r[1].fields, "\xC3\xA9");
    coll_free(&c);

    const char *bad[] = {
        "[{\"a\":1},\n{\"a\":\"caf\xE9\"}]",        /* Latin-1 */
        "[{\"a\":1},\n{\"a\":\"\xC0\xAF\"}]",       /* overlong */
        "[{\"a\":1},\n{\"a\":\"\xED\xA0\x80\"}]",   /* UTF-8 surrogate */
        "[{\"a\":1},\n{\"a\":\"\xF4\x90\x80\x80\"}]", /* past U+10FFFF */
        "[{\"a\":1},\n{\"a\":1}\xFF]",               /* outside strings */
        "{\"a\":1}\n{\"a\":\"\x80\"}\n{\"a\":3}\n",   /* NDJSON too */
        "{\"a\":1}\n{\"a\":\"\xE2\x82\"}\n",         /* cut character */
    };
    for (size_t i = 0; i < N(bad); i++) {
        CHECK_EQ_INT(run(bad[i], w, &c, &st, err), -1);
        CHECK_EQ_STR(err, "line 2: text is not valid UTF-8 (wrong encoding?)");
        coll_free(&c);
    }
    CHECK_EQ_INT(run("[{\"a\":\"\xE2\x82\xAC\xF0\x9F\x98\x80\xEF\xBF\xBF\"}]", w, &c, &st, err),
                 0);
    CHECK_EQ_STR(c.r[1].fields, "\xE2\x82\xAC\xF0\x9F\x98\x80\xEF\xBF\xBF");
    coll_free(&c);
}

/* Empty and blank files: no records, but the header; a file that is not JSON. */
static void test_empty_and_not_json(void)
{
    const char *paths[] = {"a", "b"};
    const want w = {NULL, paths, 2, NULL, 0};
    const char *empty[] = {"", " \n \r\n\t", "\xEF\xBB\xBF", "\xEF\xBB\xBF\n\n"};
    coll c = {0};
    ingest_stats st;
    char err[300];
    for (size_t i = 0; i < N(empty); i++) {
        CHECK_EQ_INT(run(empty[i], w, &c, &st, err), 0);
        CHECK_EQ_INT(c.n, 1);
        CHECK(c.n && c.r[0].hdr);
        CHECK_EQ_STR(c.r[0].fields, "a|b");
        CHECK_EQ_INT(st.rows, 0);
        coll_free(&c);
    }
    CHECK_EQ_INT(st.lines, 2);
    CHECK_EQ_INT(run("x", w, &c, &st, err), -1);
    CHECK_EQ_STR(err, "line 1, column 1: not JSON (starts with 'x')");
    coll_free(&c);
    CHECK_EQ_INT(run("\n\n  hello", w, &c, &st, err), -1);
    CHECK_EQ_STR(err, "line 3, column 3: not JSON (starts with 'h')");
    coll_free(&c);
    CHECK_EQ_INT(run("\xC3\xA9", w, &c, &st, err), -1);
    CHECK_EQ_STR(err, "line 1, column 1: not JSON (starts with byte 0xC3)");
    coll_free(&c);
    CHECK_EQ_INT(run_file(tpath("missing.json"), w, &c, &st, err), -1);
    CHECK(starts(err, "cannot open: "));
    CHECK_EQ_INT(c.n, 0);
    coll_free(&c);
}

/* Syntax errors in the array layout make the file unreadable, with line and column. */
static void test_array_errors(void)
{
    const char *paths[] = {"a"};
    const want w = {NULL, paths, 1, NULL, 0};
    coll c = {0};
    ingest_stats st;
    char err[300];
    CHECK_EQ_INT(run("[{\"a\":1},]", w, &c, &st, err), -1);
    CHECK(starts(err, "line 1, column 10: parse error: "));
    coll_free(&c);
    CHECK_EQ_INT(run("[\n{\"a\":1},\n  {\"a\" 2}]", w, &c, &st, err), -1);
    CHECK(starts(err, "line 3, column "));
    CHECK(has(err, "parse error: object key and value must be separated by a colon"));
    CHECK_EQ_INT(c.n, 2); /* the record before the error was delivered */
    coll_free(&c);
    CHECK_EQ_INT(run("[{\"a\":1},{\"a\":", w, &c, &st, err), -1);
    CHECK_EQ_STR(err, "line 1, column 15: file ends in the middle of a record (truncated?)");
    coll_free(&c);
    CHECK_EQ_INT(run("[{\"a\":1}\n", w, &c, &st, err), -1);
    CHECK_EQ_STR(err, "line 2, column 1: file ends in the middle of the array (truncated?)");
    coll_free(&c);
    CHECK_EQ_INT(run("[{\"a\":\"x", w, &c, &st, err), -1);
    CHECK(has(err, "file ends in the middle of a record (truncated?)"));
    coll_free(&c);
    CHECK_EQ_INT(run("{\"r\":[{\"a\":1}]", (want){"r", paths, 1, NULL, 0}, &c, &st, err), -1);
    CHECK_EQ_STR(err, "line 1, column 15: file ends in the middle of the document (truncated?)");
    coll_free(&c);
    CHECK_EQ_INT(run("[{\"a\":1}] [", w, &c, &st, err), -1);
    CHECK(has(err, "trailing garbage"));
    coll_free(&c);
    CHECK_EQ_INT(run("[{\"a\":1}]\f", w, &c, &st, err), -1);
    CHECK_EQ_STR(err, "line 1, column 10: lexical error: invalid char in json text.");
    coll_free(&c);
}

/* The callback's non-zero value stops the read and is returned. */
static void test_stop(void)
{
    const char *paths[] = {"a"};
    const char *ctl[] = {"c"};
    const char *texts[] = {"[{\"a\":1},{\"a\":2},{\"a\":3}]", "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n",
                           "{\"r\":[{\"a\":1},{\"a\":2},{\"a\":3}]}"};
    coll c = {0};
    ingest_stats st;
    char err[300];
    for (size_t i = 0; i < N(texts); i++) {
        c.stop_after = 3, c.stop_rc = 7;
        CHECK_EQ_INT(run(texts[i], (want){i == 2 ? "r" : NULL, paths, 1, ctl, 1}, &c, &st, err),
                     7);
        CHECK_EQ_INT(c.n, 3);
        coll_free(&c);
        c.stop_after = 1, c.stop_rc = 2;
        CHECK_EQ_INT(run(texts[i], (want){i == 2 ? "r" : NULL, paths, 1, ctl, 1}, &c, &st, err),
                     2);
        CHECK_EQ_INT(c.n, 1);
        coll_free(&c);
    }
    c.stop_after = 5, c.stop_rc = 9; /* the document's trailer */
    CHECK_EQ_INT(run(texts[2], (want){"r", paths, 1, ctl, 1}, &c, &st, err), 9);
    CHECK(c.n == 5 && c.r[4].trl);
    coll_free(&c);
}

/* ---- gzip ------------------------------------------------------------------------ */

/* Writes data gzip-compressed; returns the path. */
static const char *put_gz(const char *name, const char *data, size_t n)
{
    const char *p = tpath(name);
    gzFile g = gzopen(p, "wb");
    CHECK(g != NULL);
    if (g) {
        CHECK(gzwrite(g, data, (unsigned)n) == (int)n);
        gzclose(g);
    }
    return p;
}

/* gzip input reads as the plain text; a truncated archive is unreadable. */
static void test_gzip(void)
{
    const char *paths[] = {"id"};
    const want w = {NULL, paths, 1, NULL, 0};
    sbuf b;
    sbuf_init(&b);
    sbuf_adds(&b, "[\n");
    for (int i = 0; i < 200000; i++)
        sbuf_addf(&b, "%s{\"id\": %d, \"pad\": \"%0*d\"}\n", i ? "," : "", i, i % 50, 0);
    sbuf_adds(&b, "]\n");
    coll c = {0};
    ingest_stats st;
    char err[300];
    CHECK_EQ_INT(run_file(put_gz("big.json.gz", b.buf, b.len), w, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 200001);
    CHECK_EQ_STR(c.r[200000].fields, "199999");
    CHECK_EQ_INT(c.r[200000].line, 200001);
    CHECK_EQ_INT(st.rows, 200000);
    CHECK_EQ_INT(st.lines, 200002);
    CHECK(st.bytes < b.len / 4); /* compressed bytes from the file */
    coll_free(&c);

    /* Truncate the archive to half its size. */
    FILE *f = fopen(tpath("big.json.gz"), "rb");
    CHECK(f != NULL);
    char *gz = xmalloc(b.len);
    size_t n = f ? fread(gz, 1, b.len, f) : 0;
    if (f)
        fclose(f);
    CHECK_EQ_INT(run_file(put("cut.json.gz", gz, n / 2), w, &c, &st, err), -1);
    CHECK(has(err, "gzip"));
    coll_free(&c);
    gz[n / 3] ^= 0x55; /* corrupt */
    CHECK_EQ_INT(run_file(put("bad.json.gz", gz, n), w, &c, &st, err), -1);
    CHECK(err[0] != 0);
    coll_free(&c);
    free(gz);

    const char *nd = "{\"id\":1}\n{\"id\":2}\n";
    CHECK_EQ_INT(run_file(put_gz("nd.json.gz", nd, strlen(nd)), w, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 3);
    CHECK_EQ_STR(c.r[2].fields, "2");
    coll_free(&c);
    sbuf_free(&b);
}

/* ---- block boundaries ---------------------------------------------------------------- */

/* The record i as text; also its wanted fields. Some span lines. */
static void gen_record(sbuf *t, sbuf *f, int i)
{
    static const char *const words[] = {"caf\\u00e9", "\xF0\x9F\x98\x80", "a\\\"b", "plain",
                                        "\xE7\x9B\xB4\xE7\x9B\xB4"};
    static const char *const plain[] = {"caf\xC3\xA9", "\xF0\x9F\x98\x80", "a\"b", "plain",
                                        "\xE7\x9B\xB4\xE7\x9B\xB4"};
    int w = i % 5;
    const char *sep = i % 7 == 3 ? ",\n    " : ", ";
    sbuf_addf(t, "{\"id\": %d%s\"pad\": \"%.*s\"%s\"name\": \"%s%d\"%s\"amt\": %d.%02de%d}", i,
              sep, i % 37, "-----------------------------------------", sep, words[w], i, sep,
              i * 7, i % 100, i % 3);
    sbuf_addf(f, "%d|%s%d|%d.%02de%d", i, plain[w], i, i * 7, i % 100, i % 3);
}

/*
 * Many files whose records straddle the 1 MiB block boundary at every offset
 * (the file starts with about 1 MiB of blanks, `shift` more each time): each
 * record's fields, line and raw text must be right. Array and NDJSON layouts.
 */
static void test_block_boundary(void)
{
    const char *paths[] = {"id", "name", "amt"};
    sbuf t, f, one;
    sbuf_init(&t), sbuf_init(&f), sbuf_init(&one);
    char **want_f = NULL, **want_r = NULL;
    uint64_t *want_l = NULL;
    size_t n = 0;
    for (int nd = 0; nd <= 1; nd++) {
        for (int shift = 0; shift < 200; shift++) {
            sbuf_reset(&t); /* blanks up to near the boundary, then records */
            add_rep(&t, " ", MIB - 3000 + (size_t)shift);
            sbuf_adds(&t, nd ? "\n" : "\n[\n");
            uint64_t line = nd ? 2 : 3; /* where the next record starts */
            n = 0;
            for (int i = 0; t.len < MIB + 3000; i++) {
                sbuf_reset(&one), sbuf_reset(&f);
                gen_record(&one, &f, i);
                want_f = xrealloc(want_f, (n + 1) * sizeof *want_f);
                want_r = xrealloc(want_r, (n + 1) * sizeof *want_r);
                want_l = xrealloc(want_l, (n + 1) * sizeof *want_l);
                want_f[n] = xstrdup(f.buf);
                want_l[n] = line;
                for (size_t k = 0; k < one.len; k++) {
                    line += !nd && one.buf[k] == '\n';
                    if (nd && one.buf[k] == '\n')
                        one.buf[k] = ' '; /* NDJSON: one line per record */
                }
                sbuf_add(&t, one.buf, one.len);
                sbuf_adds(&t, nd ? "\n" : ",\n");
                line++;
                for (size_t k = 0; k < one.len; k++)
                    if (one.buf[k] == '\n')
                        one.buf[k] = ' ';
                want_r[n++] = xstrdup(one.buf);
            }
            if (!nd) {
                t.len -= 2; /* the last ",\n" */
                sbuf_adds(&t, "\n]\n");
            }
            coll c = {0};
            ingest_stats st;
            char err[300];
            int rc = run_n(t.buf, t.len, (want){NULL, paths, 3, NULL, 0}, &c, &st, err);
            CHECK_EQ_INT(rc, 0);
            CHECK_EQ_INT(c.n, n + 1);
            size_t bad = 0;
            for (size_t i = 0; i < n && i + 1 < c.n; i++) {
                rec *r = &c.r[i + 1];
                if (strcmp(r->fields, want_f[i]) || strcmp(r->raw, want_r[i]) ||
                    r->line != want_l[i] || r->status != ROW_OK) {
                    if (!bad)
                        fprintf(stderr, "  nd=%d shift=%d rec %zu: [%s] [%s] %llu\n", nd, shift,
                                i, r->fields, r->raw, (unsigned long long)r->line);
                    bad++;
                }
            }
            CHECK_EQ_INT(bad, 0);
            coll_free(&c);
            for (size_t i = 0; i < n; i++)
                free(want_f[i]), free(want_r[i]);
        }
    }
    free(want_f), free(want_r), free(want_l);
    sbuf_free(&t), sbuf_free(&f), sbuf_free(&one);
}

/* ---- fuzz ------------------------------------------------------------------------------ */

/* xorshift64: a fixed sequence, so a failure repeats. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* One random edit of b: change, insert, delete, cut, or repeat a piece. */
static void mutate(sbuf *b, uint64_t *s)
{
    static const char pool[] = "{}[],:\"\\ \n0123456789.eE-+tfnulx\x80\xC3\xFF\x01";
    size_t at = b->len ? rnd(s) % b->len : 0;
    char c = pool[rnd(s) % (sizeof pool - 1)];
    switch (rnd(s) % 6) {
    case 0:
        if (b->len)
            b->buf[at] = c;
        break;
    case 1:
        if (b->len)
            b->buf[at] = (char)rnd(s);
        break;
    case 2: {
        sbuf_addc(b, 0);
        memmove(b->buf + at + 1, b->buf + at, b->len - at - 1);
        b->buf[at] = c;
        break;
    }
    case 3:
        if (b->len) {
            memmove(b->buf + at, b->buf + at + 1, b->len - at - 1);
            b->len--;
        }
        break;
    case 4:
        b->len = at;
        break;
    default: {
        size_t n = rnd(s) % 40;
        if (at + n > b->len)
            n = b->len - at;
        char *piece = xstrndup(b->buf + at, n);
        sbuf_add(b, piece, n);
        free(piece);
    }
    }
}

/* 2000 random mutations of valid drops in each layout: 0 or -1, never a crash. */
static void test_fuzz(void)
{
    const char *paths[] = {"id", "a.b", "items.1.x", "s"};
    const char *ctl[] = {"ctl.n"};
    const char *base[] = {
        "[{\"id\":1,\"a\":{\"b\":\"x\\u00e9\"},\"items\":[{\"x\":1},{\"x\":-2.5e3}],\"s\":true},\n"
        " {\"id\":2,\"s\":null,\"a\":{\"b\":[1,2]}}, 3, {\"ctl\":{\"n\":2}}]\n",
        "{\"id\":1,\"a\":{\"b\":\"caf\xC3\xA9\"}}\n{\"id\":2,\"items\":[0,{\"x\":\"\\\"\"}]}\n"
        "\n{\"ctl\":{\"n\":2}}\n",
        "{\"h\":{\"n\":1},\"data\":{\"r\":[{\"id\":1,\"s\":\"\\ud83d\\ude00\"},{\"id\":2}]},"
        "\"ctl\":{\"n\":2}}",
    };
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    size_t bad = 0, ok = 0, refused = 0;
    sbuf b;
    sbuf_init(&b);
    for (int i = 0; i < 2000; i++) {
        int k = i % 3;
        sbuf_reset(&b);
        sbuf_adds(&b, base[k]);
        int edits = 1 + (int)(rnd(&seed) % 4);
        for (int e = 0; e < edits; e++)
            mutate(&b, &seed);
        coll c = {0};
        ingest_stats st;
        char err[300] = "";
        int rc = run_n(b.buf, b.len, (want){k == 2 ? "data.r" : NULL, paths, 4, ctl, 1}, &c, &st,
                       err);
        bool fine = (rc == 0 || (rc == -1 && err[0])) && c.max_raw <= INGEST_MAX_RAW + 3 &&
                    c.n >= 1 && c.r[0].hdr && st.bytes == b.len;
        for (size_t j = 1; j < c.n; j++)
            fine = fine && (c.r[j].status == ROW_OK ? c.r[j].nf == (c.r[j].trl ? 1u : 4u)
                                                    : c.r[j].nf == 0 && c.r[j].problem[0]);
        if (!fine && !bad++)
            fprintf(stderr, "  fuzz %d: rc=%d err=%s\n", i, rc, err);
        ok += rc == 0;
        refused += rc == -1;
        coll_free(&c);
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(ok > 100 && refused > 100); /* both outcomes exercised */
    sbuf_free(&b);
}

/* ---- the JSONTestSuite-style fixtures --------------------------------------------------- */

/* Every fixtures/json/y_* file reads (0); every n_* file is refused (-1, with a reason). */
static void test_fixtures(void)
{
    const char *paths[] = {"a"};
    DIR *d = opendir("fixtures/json");
    CHECK(d != NULL);
    if (!d)
        return;
    int ny = 0, nn = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        bool y = strncmp(e->d_name, "y_", 2) == 0, n = strncmp(e->d_name, "n_", 2) == 0;
        if (!y && !n)
            continue;
        char path[512];
        snprintf(path, sizeof path, "fixtures/json/%s", e->d_name);
        coll c = {0};
        ingest_stats st;
        char err[300] = "";
        int rc = run_file(path, (want){NULL, paths, 1, NULL, 0}, &c, &st, err);
        bool fine = y ? rc == 0 : rc == -1 && err[0];
        if (!fine)
            fprintf(stderr, "FAIL fixture %s: rc=%d err=%s\n", e->d_name, rc, err);
        CHECK(fine);
        ny += y, nn += n;
        coll_free(&c);
    }
    closedir(d);
    CHECK(ny >= 20 && nn >= 20);
}

/* Removes the test files and the folder. */
static void cleanup(void)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            unlink(tpath(e->d_name));
    if (d)
        closedir(d);
    rmdir(tmpdir);
}

int main(void)
{
    if (!mkdtemp(tmpdir))
        return perror("mkdtemp"), 1;
    test_memory();
    test_array_basic();
    test_array_pretty();
    test_values();
    test_paths();
    test_array_non_objects();
    test_ndjson();
    test_ndjson_truncated();
    test_document();
    test_trailers();
    test_too_long();
    test_long_numbers();
    test_depth();
    test_encodings();
    test_empty_and_not_json();
    test_array_errors();
    test_stop();
    test_gzip();
    test_block_boundary();
    test_fuzz();
    test_fixtures();
    cleanup();
    return check_done();
}
