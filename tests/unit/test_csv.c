/*
 * test_csv.c - unit tests of the streaming CSV reader (engine/ingest_csv.c).
 * Every expectation below was worked out by hand from the input text.
 *
 * "test_csv --bench FILE [ENCODING]" instead times the reader over FILE
 * (written first, 1M rows of 8 columns, when it does not exist) and prints
 * MB/s and rows/s.
 */
#include <csv.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ingest.h"

#define MIB (1024 * 1024)

static char tmpdir[] = "/tmp/settle-test-csv-XXXXXX";

/* One delivered row, copied: fields joined with '|'. Owned by the collector. */
typedef struct rec {
    uint64_t line;
    int status;
    bool hdr;
    size_t nf;
    char *fields;
    char *raw;
} rec;

typedef struct coll {
    rec *r;
    size_t n, cap;
    size_t stop_after; /* return stop_rc after this many rows (0: never) */
    int stop_rc;
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
    r->nf = row->n_fields;
    r->fields = join_fields(row);
    r->raw = xstrndup(row->raw.p, row->raw.n);
    return c->stop_after && c->n == c->stop_after ? c->stop_rc : 0;
}

/* Frees every copied row. */
static void coll_free(coll *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->r[i].fields);
        free(c->r[i].raw);
    }
    free(c->r);
    memset(c, 0, sizeof *c);
}

/* The defaults of SPEC section 3: ',' '"' header utf-8, no skipped lines. */
static csv_options opts(void)
{
    csv_options o = {',', '"', true, '.', 0, (char *)"utf-8", 0};
    return o;
}

/* Path of a file in the test folder (static buffer, valid until next call). */
static const char *tpath(const char *name)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "%s/%s", tmpdir, name);
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

/* Writes a NUL-terminated text to a test file; returns its path. */
static const char *puts_file(const char *name, const char *text)
{
    return put(name, text, strlen(text));
}

/* Reads `path` with `o` into `c`; returns the reader's result. */
static int run(const char *path, const csv_options *o, coll *c, ingest_stats *st, char *err)
{
    return ingest_csv_file(path, o, collect, c, st, err, 200);
}

/* Header, two rows: fields, lines, raw, stats. */
static void test_basic(void)
{
    csv_options o = opts();
    coll c = {0};
    ingest_stats st;
    char err[200];
    CHECK_EQ_INT(run(puts_file("basic.csv", "id,amount\n1,10\n2,20\n"), &o, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 3);
    CHECK(c.r[0].hdr);
    CHECK_EQ_STR(c.r[0].fields, "id|amount");
    CHECK_EQ_INT(c.r[0].line, 1);
    CHECK(!c.r[1].hdr);
    CHECK_EQ_STR(c.r[1].fields, "1|10");
    CHECK_EQ_STR(c.r[1].raw, "1,10");
    CHECK_EQ_INT(c.r[1].line, 2);
    CHECK_EQ_INT(c.r[1].status, ROW_OK);
    CHECK_EQ_STR(c.r[2].fields, "2|20");
    CHECK_EQ_INT(c.r[2].line, 3);
    CHECK_EQ_INT(st.rows, 2);
    CHECK_EQ_INT(st.lines, 3);
    CHECK_EQ_INT(st.bytes, 20);
    coll_free(&c);
}

/* ';' and tab delimiters; spaces around unquoted fields are trimmed. */
static void test_delimiters(void)
{
    csv_options o = opts();
    coll c = {0};
    ingest_stats st;
    char err[200];
    o.header = false;
    o.delimiter = ';';
    CHECK_EQ_INT(run(puts_file("semi.csv", "a;b,c; d \n"), &o, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 1);
    CHECK_EQ_STR(c.r[0].fields, "a|b,c|d");
    CHECK_EQ_INT(c.r[0].nf, 3);
    coll_free(&c);
    o.delimiter = '\t';
    CHECK_EQ_INT(run(puts_file("tab.csv", "a\tb c\t\t x \n"), &o, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 1);
    CHECK_EQ_STR(c.r[0].fields, "a|b c||x");
    CHECK_EQ_INT(c.r[0].nf, 4);
    CHECK_EQ_INT(st.rows, 1);
    coll_free(&c);
}

/* Quoted delimiter, "" escape, quoted newline (and the lines after it). */
static void test_quotes(void)
{
    csv_options o = opts();
    coll c = {0};
    ingest_stats st;
    char err[200];
    const char *text = "id,note\n"
                       "1,\"a,b\"\n"
                       "2,\"say \"\"hi\"\"\"\n"
                       "3,\"multi\nline\",x\n"
                       "4,after\n"
                       "5,  \" padded \"  ,y\n"
                       "6,a\"b\n";
    CHECK_EQ_INT(run(puts_file("quotes.csv", text), &o, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 7);
    CHECK_EQ_STR(c.r[1].fields, "1|a,b");
    CHECK_EQ_STR(c.r[2].fields, "2|say \"hi\"");
    CHECK_EQ_STR(c.r[3].fields, "3|multi\nline|x");
    CHECK_EQ_INT(c.r[3].line, 4);
    CHECK_EQ_STR(c.r[3].raw, "3,\"multi\nline\",x");
    CHECK_EQ_STR(c.r[4].fields, "4|after");
    CHECK_EQ_INT(c.r[4].line, 6);
    CHECK_EQ_STR(c.r[5].fields, "5| padded |y");
    CHECK_EQ_INT(c.r[5].line, 7);
    CHECK_EQ_STR(c.r[6].fields, "6|a\"b"); /* stray quote tolerated */
    CHECK_EQ_INT(c.r[6].line, 8);
    CHECK_EQ_INT(st.lines, 8);
    CHECK_EQ_INT(st.rows, 6);
    coll_free(&c);
}

/* quote: "" turns quoting off; a stray 0xFF byte (not UTF-8) makes the file unreadable. */
static void test_no_quote(void)
{
    csv_options o = opts();
    coll c = {0};
    ingest_stats st;
    char err[200];
    o.quote = 0;
    o.header = false;
    CHECK_EQ_INT(run(puts_file("noq.csv", "\"a\",b\"\nok,1\n"), &o, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 2);
    CHECK_EQ_STR(c.r[0].fields, "\"a\"|b\"");
    CHECK_EQ_STR(c.r[1].fields, "ok|1");
    CHECK_EQ_INT(c.r[1].line, 2);
    coll_free(&c);
    CHECK_EQ_INT(run(puts_file("noq2.csv", "\"a\",b\"\nx\xFFy,z\nok,1\n"), &o, &c, &st, err), -1);
    CHECK_EQ_STR(err, "line 2: text is not valid utf-8 (wrong encoding, or binary data)");
    coll_free(&c);
}

/* CRLF: one line each, no empty rows, raw without CR; a BOM is dropped. */
static void test_crlf_bom(void)
{
    csv_options o = opts();
    coll c = {0};
    ingest_stats st;
    char err[200];
    const char *text = "\xEF\xBB\xBFid,v\r\n1,2\r\n\r\n3,\"x\r\ny\"\r\n4,5\r\n";
    CHECK_EQ_INT(run(puts_file("crlf.csv", text), &o, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 4);
    CHECK_EQ_STR(c.r[0].fields, "id|v");
    CHECK_EQ_STR(c.r[0].raw, "id,v");
    CHECK_EQ_STR(c.r[1].fields, "1|2");
    CHECK_EQ_STR(c.r[1].raw, "1,2");
    CHECK_EQ_INT(c.r[1].line, 2);
    CHECK_EQ_STR(c.r[2].fields, "3|x\r\ny");
    CHECK_EQ_INT(c.r[2].line, 4);
    CHECK_EQ_STR(c.r[2].raw, "3,\"x\r\ny\"");
    CHECK_EQ_STR(c.r[3].fields, "4|5");
    CHECK_EQ_INT(c.r[3].line, 6);
    CHECK_EQ_INT(st.rows, 3);
    CHECK_EQ_INT(st.lines, 6);
    coll_free(&c);
}

/* skip_lines skips physical lines (even with a quote in them), then header. */
static void test_skip_blank(void)
{
    csv_options o = opts();
    coll c = {0};
    ingest_stats st;
    char err[200];
    o.skip_lines = 2;
    const char *text = "Partner report\n\"unbalanced\n\nid,v\n\n   \n1,2\n\n3,4\n";
    CHECK_EQ_INT(run(puts_file("skip.csv", text), &o, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 3);
    CHECK(c.r[0].hdr);
    CHECK_EQ_STR(c.r[0].fields, "id|v");
    CHECK_EQ_INT(c.r[0].line, 4);
    CHECK_EQ_STR(c.r[1].fields, "1|2");
    CHECK_EQ_INT(c.r[1].line, 7);
    CHECK_EQ_STR(c.r[2].fields, "3|4");
    CHECK_EQ_INT(c.r[2].line, 9);
    CHECK_EQ_INT(st.rows, 2);
    CHECK_EQ_INT(st.lines, 9);
    coll_free(&c);
}

/* Last line without LF; header off; empty and blank-only files. */
static void test_edges(void)
{
    csv_options o = opts();
    coll c = {0};
    ingest_stats st;
    char err[200];
    o.header = false;
    CHECK_EQ_INT(run(puts_file("nolf.csv", "a,b\n1,\"2\""), &o, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 2);
    CHECK(!c.r[0].hdr);
    CHECK_EQ_STR(c.r[1].fields, "1|2");
    CHECK_EQ_STR(c.r[1].raw, "1,\"2\"");
    CHECK_EQ_INT(c.r[1].line, 2);
    CHECK_EQ_INT(st.rows, 2);
    CHECK_EQ_INT(st.lines, 2);
    coll_free(&c);
    CHECK_EQ_INT(run(put("empty.csv", "", 0), &o, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 0);
    CHECK_EQ_INT(st.rows, 0);
    CHECK_EQ_INT(st.lines, 0);
    CHECK_EQ_INT(st.bytes, 0);
    CHECK_EQ_INT(run(puts_file("blank.csv", "\n \r\n\t\n"), &o, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 0);
    CHECK_EQ_INT(st.lines, 3);
    coll_free(&c);
    /* Known limit: a lone CR ends a row, but lines are counted by LF. */
    CHECK_EQ_INT(run(puts_file("cr.csv", "a,b\rc,d\n"), &o, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, 2);
    CHECK_EQ_STR(c.r[1].fields, "c|d");
    CHECK_EQ_INT(c.r[1].line, 1);
    coll_free(&c);
}

/* Unreadable files: open error, unknown encoding, quote open at EOF. */
static void test_errors(void)
{
    csv_options o = opts();
    coll c = {0};
    ingest_stats st;
    char err[200];
    CHECK_EQ_INT(run(tpath("no-such.csv"), &o, &c, &st, err), -1);
    CHECK_EQ_STR(err, "cannot open: No such file or directory");
    o.encoding = (char *)"no-such-encoding";
    CHECK_EQ_INT(run(puts_file("enc.csv", "a\n"), &o, &c, &st, err), -1);
    CHECK_EQ_STR(err, "unknown encoding 'no-such-encoding'");
    o = opts();
    const char *text = "id,v\n1,\"ok\"\n2,\"multi\nline\", \"open\nmore\n\nstill\n";
    CHECK_EQ_INT(run(puts_file("open.csv", text), &o, &c, &st, err), -1);
    CHECK_EQ_STR(err, "unterminated quoted field starting at line 4");
    CHECK_EQ_INT(c.n, 2);
    coll_free(&c);
    CHECK_EQ_INT(run(tmpdir, &o, &c, &st, err), -1);
    CHECK_EQ_STR(err, "cannot open: Is a directory");
}

/* A non-zero callback result stops the read and is returned. */
static void test_stop(void)
{
    csv_options o = opts();
    coll c = {.stop_after = 3, .stop_rc = 7};
    ingest_stats st;
    char err[200];
    CHECK_EQ_INT(run(puts_file("stop.csv", "h\n1\n2\n3\n4\n"), &o, &c, &st, err), 7);
    CHECK_EQ_INT(c.n, 3);
    CHECK_EQ_STR(c.r[2].fields, "2");
    CHECK_EQ_INT(st.rows, 2);
    coll_free(&c);
}

/* Writes `n` copies of byte `ch` to f in 64 KiB chunks. */
static void fill(FILE *f, int ch, size_t n)
{
    static char chunk[64 * 1024];
    memset(chunk, ch, sizeof chunk);
    while (n > 0) {
        size_t k = n < sizeof chunk ? n : sizeof chunk;
        fwrite(chunk, 1, k, f);
        n -= k;
    }
}

/* Peak resident set size of this process, in KiB. */
static long peak_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Writes the over-long-field file: 10 MB unquoted, 100 KB quoted, 20000 fields. */
static const char *write_long_file(void)
{
    const char *p = tpath("long.csv");
    FILE *f = fopen(p, "wb");
    fputs("id,v\n1,", f);
    fill(f, 'x', 10 * 1000 * 1000);
    fputs("\n2,ok\n3,\"", f);
    fill(f, 'y', 100 * 1000);
    fputs("\"   \n4,fine\n5,", f);
    fill(f, ',', 20000);
    fputs("\n6,last\n", f);
    fclose(f);
    return p;
}

/* Over-long fields reject their row only, raw is cut, memory stays small. */
static void test_too_long(void)
{
    csv_options o = opts();
    coll c = {0};
    ingest_stats st;
    char err[200];
    const char *p = write_long_file();
    long before = peak_kib();
    CHECK_EQ_INT(run(p, &o, &c, &st, err), 0);
    CHECK(peak_kib() - before < 8 * 1024);
    CHECK_EQ_INT(c.n, 7);
    CHECK_EQ_INT(c.r[1].status, ROW_FIELD_TOO_LONG);
    CHECK_EQ_INT(c.r[1].nf, 0);
    CHECK_EQ_INT(c.r[1].line, 2);
    CHECK_EQ_INT(strlen(c.r[1].raw), INGEST_MAX_RAW + 3);
    CHECK(strncmp(c.r[1].raw, "1,xxx", 5) == 0);
    CHECK(strcmp(c.r[1].raw + INGEST_MAX_RAW - 1, "x...") == 0);
    CHECK_EQ_STR(c.r[2].fields, "2|ok");
    CHECK_EQ_INT(c.r[2].line, 3);
    CHECK_EQ_INT(c.r[3].status, ROW_FIELD_TOO_LONG);
    CHECK_EQ_INT(c.r[3].line, 4);
    CHECK_EQ_STR(c.r[4].fields, "4|fine");
    CHECK_EQ_INT(c.r[4].line, 5);
    CHECK_EQ_INT(c.r[5].status, ROW_FIELD_TOO_LONG); /* 20001 fields > 16384 */
    CHECK_EQ_STR(c.r[6].fields, "6|last");
    CHECK_EQ_INT(c.r[6].line, 7);
    CHECK_EQ_INT(st.rows, 6);
    coll_free(&c);
}

/* Two-line rows of 16 bytes after an 8-byte header; one straddles the 1 MiB block. */
static void test_block_boundary(void)
{
    csv_options o = opts();
    coll c = {0};
    ingest_stats st;
    char err[200], want[32];
    enum { ROWS = 70000 };
    FILE *f = fopen(tpath("blocks.csv"), "wb");
    fputs("id,name\n", f);
    for (int i = 0; i < ROWS; i++)
        fprintf(f, "%07d,\"ab\ncd\"\n", i); /* 7 + 9 bytes, two lines */
    fclose(f);
    CHECK_EQ_INT(run(tpath("blocks.csv"), &o, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, ROWS + 1);
    int bad = 0;
    for (int i = 0; i < ROWS && c.n == ROWS + 1; i++) {
        rec *r = &c.r[i + 1];
        snprintf(want, sizeof want, "%07d|ab\ncd", i);
        bad += strcmp(r->fields, want) != 0 || r->line != (uint64_t)(2 + 2 * i);
        snprintf(want, sizeof want, "%07d,\"ab\ncd\"", i);
        bad += strcmp(r->raw, want) != 0;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(st.bytes, 8 + 16 * ROWS);
    coll_free(&c);
}

/* Plain 17-byte rows: the one across the 1 MiB block leaves the fast path. */
static void test_block_boundary_plain(void)
{
    csv_options o = opts();
    coll c = {0};
    ingest_stats st;
    char err[200], want[32];
    enum { ROWS = 70000 };
    FILE *f = fopen(tpath("plain.csv"), "wb");
    fputs("id,name\n", f);
    for (int i = 0; i < ROWS; i++)
        fprintf(f, "%07d, abcdefgh\n", i); /* 7 + 10 bytes, blank trimmed */
    fclose(f);
    CHECK_EQ_INT(run(tpath("plain.csv"), &o, &c, &st, err), 0);
    CHECK_EQ_INT(c.n, ROWS + 1);
    int bad = 0;
    for (int i = 0; i < ROWS && c.n == ROWS + 1; i++) {
        rec *r = &c.r[i + 1];
        snprintf(want, sizeof want, "%07d|abcdefgh", i);
        bad += strcmp(r->fields, want) != 0 || r->line != (uint64_t)(2 + i);
        snprintf(want, sizeof want, "%07d, abcdefgh", i);
        bad += strcmp(r->raw, want) != 0;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(st.lines, ROWS + 1);
    coll_free(&c);
}

/* UTF-8 -> CP949 with glibc iconv; returns malloc'd bytes, length in *n. */
static char *to_cp949(const char *utf8, size_t *n)
{
    iconv_t cd = iconv_open("CP949", "UTF-8");
    size_t in_left = strlen(utf8), out_left = in_left + 1;
    char *out = xmalloc(out_left), *in = (char *)utf8, *o = out;
    CHECK(iconv(cd, &in, &in_left, &o, &out_left) != (size_t)-1);
    iconv_close(cd);
    *n = (size_t)(o - out);
    return out;
}

/* Small cp949 file: Korean header and fields, a bad byte, a cut tail at EOF. */
static void test_cp949_small(void)
{
    csv_options o = opts();
    coll c = {0};
    ingest_stats st;
    char err[200];
    size_t n;
    char *k = to_cp949("이름,금액\n홍길동,1000\n", &n);
    CHECK_EQ_INT(n, 10 + 12);
    sbuf b;
    sbuf_init(&b);
    sbuf_add(&b, "\xFF\n", 2); /* 0xFF is invalid in CP949; this line is skipped */
    sbuf_add(&b, k, n);
    sbuf_add(&b, "\xFFx,y\n", 5);
    sbuf_add(&b, "a,b\n", 4);
    sbuf_add(&b, "c,\xB0", 4); /* lead byte cut by end of file */
    o.encoding = (char *)"cp949";
    o.skip_lines = 1;
    CHECK_EQ_INT(run(put("k1.csv", b.buf, b.len), &o, &c, &st, err), -1);
    CHECK_EQ_STR(err, "line 4: text is not valid cp949 (wrong encoding, or binary data)");
    CHECK_EQ_INT(c.n, 2);
    CHECK_EQ_STR(c.r[0].fields, "이름|금액");
    CHECK_EQ_INT(c.r[0].status, ROW_OK);
    CHECK_EQ_STR(c.r[1].fields, "홍길동|1000");
    CHECK_EQ_STR(c.r[1].raw, "홍길동,1000");
    CHECK_EQ_INT(c.r[1].status, ROW_OK);
    coll_free(&c);
    /* without the bad line, the lead byte cut by the end of file is caught */
    b.len -= 5 + 4 + 4;
    sbuf_add(&b, "a,b\n", 4);
    sbuf_add(&b, "c,\xB0", 4);
    CHECK_EQ_INT(run(put("k1b.csv", b.buf, b.len), &o, &c, &st, err), -1);
    CHECK_EQ_STR(err, "line 5: text is not valid cp949 (wrong encoding, or binary data)");
    CHECK_EQ_INT(c.n, 3);
    CHECK_EQ_INT(st.bytes, b.len);
    sbuf_free(&b);
    free(k);
    coll_free(&c);
}

/*
 * cp949 file where the 2-byte '홍' starts at byte 1048575, so the first read
 * block ends inside it: 8 + 10485 * 100 + 65 + 2 = 1048575.
 */
static void test_cp949_split(void)
{
    csv_options o = opts();
    coll c = {0};
    ingest_stats st;
    char err[200], pad[101];
    size_t n, zn;
    FILE *f = fopen(tpath("k2.csv"), "wb");
    fputs("id,name\n", f);
    memset(pad, 'a', sizeof pad);
    for (int i = 0; i < 10485; i++)
        fprintf(f, "p,%.97s\n", pad);
    fprintf(f, "p,%.62s\n", pad);
    long at = ftell(f) + 2;
    char *k = to_cp949("k,홍길동\n", &n), *z = to_cp949("z,한국어\n", &zn);
    fwrite(k, 1, n, f);
    fputs("b,\xFF" "bad\n", f);
    fwrite(z, 1, zn, f);
    fclose(f);
    CHECK_EQ_INT(at, MIB - 1);
    o.encoding = (char *)"CP949";
    CHECK_EQ_INT(run(tpath("k2.csv"), &o, &c, &st, err), -1);
    CHECK_EQ_STR(err, "line 10489: text is not valid CP949 (wrong encoding, or binary data)");
    CHECK_EQ_INT(c.n, 10488);
    CHECK_EQ_STR(c.r[10487].fields, "k|홍길동");
    CHECK_EQ_INT(c.r[10487].status, ROW_OK);
    CHECK_EQ_INT(c.r[10487].line, 10488);
    CHECK_EQ_INT(st.rows, 10487);
    free(k);
    free(z);
    coll_free(&c);
}

/* What libcsv itself makes of a text: rows of '|'-joined fields, one per line. */
typedef struct ref {
    sbuf rows, row;
    size_t nf;
} ref;

/* libcsv field callback of the reference parse. */
static void ref_field(void *s, size_t n, void *data)
{
    ref *x = data;
    if (x->nf++)
        sbuf_addc(&x->row, '|');
    sbuf_add(&x->row, s, n);
}

/* libcsv row callback of the reference parse. */
static void ref_row(int c, void *data)
{
    ref *x = data;
    (void)c;
    sbuf_add(&x->rows, x->row.buf, x->row.len);
    sbuf_addc(&x->rows, '\n');
    sbuf_reset(&x->row);
    x->nf = 0;
}

/* Parses `text` with libcsv alone; returns the rows (caller frees). */
static char *ref_parse(const char *text, char delim, bool *open_quote)
{
    struct csv_parser p;
    ref x = {.nf = 0};
    sbuf_init(&x.rows), sbuf_init(&x.row);
    sbuf_adds(&x.rows, "");
    csv_init(&p, 0);
    csv_set_delim(&p, (unsigned char)delim);
    csv_parse(&p, text, strlen(text), ref_field, ref_row, &x);
    *open_quote = p.quoted && p.pstate == 2;
    csv_fini(&p, ref_field, ref_row, &x);
    csv_free(&p);
    sbuf_free(&x.row);
    return sbuf_take(&x.rows);
}

/* Random lines over blanks, delimiters, quotes and CRs (fixed seed). */
static char *random_text(unsigned *seed)
{
    static const char alphabet[] = "ab  \t\t,,;;\"\r";
    sbuf b;
    sbuf_init(&b);
    for (int line = 0; line < 3000; line++) {
        int len = (int)(rand_r(seed) % 12);
        bool quotes = rand_r(seed) % 4 == 0, crlf = rand_r(seed) % 3 == 0;
        for (int i = 0; i < len; i++) {
            char ch = alphabet[rand_r(seed) % (sizeof alphabet - 1)];
            if ((ch == '"' && !quotes) || (ch == '\r' && rand_r(seed) % 4))
                ch = 'c';
            sbuf_addc(&b, ch);
        }
        sbuf_adds(&b, crlf ? "\r\n" : "\n");
    }
    return sbuf_take(&b);
}

/* Appends one field as an RFC 4180 export writes it, or one of its near misses. */
static void random_field(sbuf *b, unsigned *seed, char delim)
{
    static const char inner[] = "ab  ,;\t";
    int kind = (int)(rand_r(seed) % 10), len = (int)(rand_r(seed) % 6);
    if (kind >= 4) { /* unquoted word, blanks at times */
        for (int i = 0; i < len; i++)
            sbuf_addc(b, "ab \t"[rand_r(seed) % 4] == delim ? 'a' : "ab \t"[rand_r(seed) % 4]);
        return;
    }
    if (kind == 3 && rand_r(seed) % 2)
        sbuf_addc(b, ' '); /* a blank before the quote */
    sbuf_addc(b, '"');
    for (int i = 0; i < len; i++) {
        int r = (int)(rand_r(seed) % 20);
        sbuf_adds(b, r == 0 ? "\"\"" : r == 1 ? "\n" : r == 2 ? "\r\n" : "");
        if (r > 2)
            sbuf_addc(b, inner[rand_r(seed) % (sizeof inner - 1)]);
    }
    if (kind != 2 || rand_r(seed) % 4)
        sbuf_addc(b, '"'); /* else left open: the field goes on */
    if (kind == 1)
        sbuf_adds(b, rand_r(seed) % 2 ? " " : "x"); /* something after the closing quote */
}

/* Random lines of mostly well-quoted fields (fixed seed). */
static char *random_quoted_text(unsigned *seed, char delim)
{
    sbuf b;
    sbuf_init(&b);
    for (int line = 0; line < 3000; line++) {
        int n = 1 + (int)(rand_r(seed) % 6);
        for (int i = 0; i < n; i++) {
            if (i)
                sbuf_addc(&b, delim);
            random_field(&b, seed, delim);
        }
        sbuf_adds(&b, rand_r(seed) % 3 ? "\n" : "\r\n");
    }
    return sbuf_take(&b);
}

/* Collected rows as '|'-joined lines, like ref_parse. */
static char *coll_text(const coll *c)
{
    sbuf b;
    sbuf_init(&b);
    sbuf_adds(&b, "");
    for (size_t i = 0; i < c->n; i++)
        sbuf_addf(&b, "%s\n", c->r[i].fields);
    return sbuf_take(&b);
}

/* The fast paths give exactly libcsv's rows and fields. */
static void test_same_as_libcsv(void)
{
    const char delims[] = {',', ';', '\t', ' ', ',', ';', '\t'};
    unsigned seed = 12345;
    for (size_t d = 0; d < sizeof delims; d++) {
        char *text = d < 4 ? random_text(&seed) : random_quoted_text(&seed, delims[d]), err[200];
        bool open_quote;
        free(ref_parse(text, delims[d], &open_quote));
        if (open_quote) { /* close it so the file stays readable */
            text = xrealloc(text, strlen(text) + 2);
            strcat(text, "\"");
        }
        char *want = ref_parse(text, delims[d], &open_quote);
        csv_options o = opts();
        coll c = {0};
        ingest_stats st;
        o.header = false;
        o.delimiter = delims[d];
        CHECK_EQ_INT(run(puts_file("random.csv", text), &o, &c, &st, err), 0);
        char *got = coll_text(&c);
        CHECK_EQ_STR(got, want);
        CHECK(c.n > 1000);
        free(got), free(want), free(text);
        coll_free(&c);
    }
}

/*
 * The csv-spectrum cases (github.com/maxogden/csv-spectrum): each file read
 * whole gives the rows written here, the same rows libcsv makes of it, and
 * every row the line it starts on.
 */
static void test_csv_spectrum(void)
{
    static const struct {
        const char *name, *text, *rows, *lines;
    } cases[] = {
        {"comma_in_quotes", "first,last,address,city,zip\nJohn,Doe,120 any st.,\"Anytown, WW\",08123\n",
         "first|last|address|city|zip\nJohn|Doe|120 any st.|Anytown, WW|08123\n", "1 2"},
        {"empty", "a,b,c\n1,\"\",\"\"\n2,3,4\n", "a|b|c\n1||\n2|3|4\n", "1 2 3"},
        {"empty_crlf", "a,b,c\r\n1,\"\",\"\"\r\n2,3,4\r\n", "a|b|c\n1||\n2|3|4\n", "1 2 3"},
        {"escaped_quotes", "a,b\n1,\"ha \"\"ha\"\" ha\"\n3,4\n", "a|b\n1|ha \"ha\" ha\n3|4\n", "1 2 3"},
        {"json", "key,val\n1,\"{\"\"type\"\": \"\"Point\"\", \"\"coordinates\"\": [102.0, 0.5]}\"\n",
         "key|val\n1|{\"type\": \"Point\", \"coordinates\": [102.0, 0.5]}\n", "1 2"},
        {"newlines", "a,b,c\n1,2,3\n\"Once upon \na time\",5,6\n7,8,9\n",
         "a|b|c\n1|2|3\nOnce upon \na time|5|6\n7|8|9\n", "1 2 3 5"},
        {"newlines_crlf", "a,b,c\r\n1,2,3\r\n\"Once upon \r\na time\",5,6\r\n7,8,9\r\n",
         "a|b|c\n1|2|3\nOnce upon \r\na time|5|6\n7|8|9\n", "1 2 3 5"},
        {"quotes_and_newlines", "a,b\n1,\"ha \n\"\"ha\"\" \nha\"\n3,4\n",
         "a|b\n1|ha \n\"ha\" \nha\n3|4\n", "1 2 5"},
        {"simple", "a,b,c\n1,2,3\n", "a|b|c\n1|2|3\n", "1 2"},
        {"simple_crlf", "a,b,c\r\n1,2,3\r\n", "a|b|c\n1|2|3\n", "1 2"},
        {"utf8", "a,b,c\n1,2,3\n4,5,\xca\xa4\n", "a|b|c\n1|2|3\n4|5|\xca\xa4\n", "1 2 3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        csv_options o = opts();
        coll c = {0};
        ingest_stats st;
        char err[200];
        bool open_quote;
        CHECK_EQ_INT(run(puts_file("spectrum.csv", cases[i].text), &o, &c, &st, err), 0);
        char *got = coll_text(&c), *ref = ref_parse(cases[i].text, ',', &open_quote);
        CHECK_EQ_STR(got, cases[i].rows);
        CHECK_EQ_STR(got, ref);
        sbuf lines;
        sbuf_init(&lines);
        for (size_t k = 0; k < c.n; k++)
            sbuf_addf(&lines, k ? " %llu" : "%llu", (unsigned long long)c.r[k].line);
        CHECK_EQ_STR(lines.buf, cases[i].lines);
        if (strcmp(got, cases[i].rows) != 0)
            fprintf(stderr, "  csv-spectrum case %s\n", cases[i].name);
        sbuf_free(&lines);
        free(got), free(ref);
        coll_free(&c);
    }
}

/*
 * The reader against libcsv on many small random texts: any quote byte,
 * blanks, delimiters, CR, LF, doubled and stray quotes, with or without a
 * last line end, in pieces small enough to cross every state.
 */
static void test_random_small_as_libcsv(void)
{
    static const char alphabet[] = "ab \t,;\"\"\r\n\n'";
    unsigned seed = 777;
    int compared = 0;
    for (int k = 0; k < 3000; k++) {
        char text[64], delim = ",;\t "[k % 4];
        size_t n = (size_t)(rand_r(&seed) % 40);
        for (size_t i = 0; i < n; i++)
            text[i] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
        text[n] = 0;
        bool open_quote;
        char *want = ref_parse(text, delim, &open_quote), err[200];
        csv_options o = opts();
        coll c = {0};
        ingest_stats st;
        o.header = false;
        o.delimiter = delim;
        int rc = run(puts_file("small.csv", text), &o, &c, &st, err);
        if (open_quote) {
            CHECK_EQ_INT(rc, -1); /* an unterminated quote makes the file unreadable */
        } else {
            char *got = coll_text(&c);
            CHECK_EQ_INT(rc, 0);
            CHECK_EQ_STR(got, want);
            compared++;
            free(got);
        }
        free(want);
        coll_free(&c);
    }
    CHECK(compared > 1500);
}

/* Writes the benchmark file: 1M rows, 8 columns (about 85 MB). */
static void bench_write(const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    fputs("id,time,player,game,category,type,amount,currency\n", f);
    for (int i = 0; i < 1000000; i++)
        fprintf(f, "tx%09d,2024-03-%02dT12:%02d:%02dZ,player%d,game%d,slots,%s,%d.%02d,EUR\n", i,
                1 + i % 28, i % 60, (i / 60) % 60, i % 50000, i % 300, i % 3 ? "bet" : "win",
                i % 1000, i % 100);
    fclose(f);
}

/* Bench callback: touches every field so the work is not optimised away. */
static int bench_row(void *ctx, const ingest_row *row)
{
    size_t *sum = ctx;
    for (size_t i = 0; i < row->n_fields; i++)
        *sum += row->fields[i].n;
    return 0;
}

/* Times three reads of `path`, prints the best as MB/s and rows/s. */
static int bench(const char *path, const char *encoding)
{
    if (access(path, R_OK) != 0)
        bench_write(path);
    csv_options o = opts();
    o.encoding = (char *)encoding;
    double best = 1e9;
    ingest_stats st;
    size_t sum = 0;
    char err[200];
    for (int i = 0; i < 3; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        if (ingest_csv_file(path, &o, bench_row, &sum, &st, err, sizeof err) != 0)
            return fprintf(stderr, "bench: %s\n", err), 1;
        clock_gettime(CLOCK_MONOTONIC, &b);
        double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
        best = s < best ? s : best;
    }
    printf("%" PRIu64 " bytes, %" PRIu64 " rows: %.3f s, %.0f MB/s, %.0f rows/s\n", st.bytes,
           st.rows, best, (double)st.bytes / 1e6 / best, (double)st.rows / best);
    return 0;
}

/* Removes the test files and the folder. */
static void cleanup(void)
{
    const char *names[] = {"basic.csv", "semi.csv", "tab.csv", "quotes.csv", "noq.csv",
                           "crlf.csv", "skip.csv", "nolf.csv", "empty.csv", "blank.csv",
                           "enc.csv", "open.csv", "stop.csv", "long.csv", "blocks.csv",
                           "k1.csv", "k2.csv", "random.csv", "plain.csv", "cr.csv"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        unlink(tpath(names[i]));
    rmdir(tmpdir);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "--bench") == 0)
        return bench(argv[2], argc > 3 ? argv[3] : "utf-8");
    if (!mkdtemp(tmpdir))
        return perror("mkdtemp"), 1;
    test_basic();
    test_delimiters();
    test_quotes();
    test_no_quote();
    test_crlf_bom();
    test_skip_blank();
    test_edges();
    test_errors();
    test_stop();
    test_too_long();
    test_block_boundary();
    test_block_boundary_plain();
    test_cp949_small();
    test_cp949_split();
    test_same_as_libcsv();
    test_csv_spectrum();
    test_random_small_as_libcsv();
    cleanup();
    return check_done();
}
