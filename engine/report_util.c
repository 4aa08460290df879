/*
 * report_util.c - the small pieces every report file is made of: CSV cells
 * (quoted and formula-defused), HTML text and page frame, money cells, and
 * the staged write with an operator-facing reason on failure.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "report_util.h"

/* True when s[0..n) is exactly a decimal number: -?digits(.digits)? */
static bool csv_is_number(const char *s, size_t n)
{
    size_t i = (n && s[0] == '-') ? 1 : 0, start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == start)
        return false;
    if (i < n && s[i] == '.') {
        size_t frac = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == frac)
            return false;
    }
    return i == n;
}

/* True when a spreadsheet could read the cell as a formula (= + - @ tab CR). */
static bool csv_is_risky(const char *s, size_t n)
{
    return n && memchr("=+-@\t\r", s[0], 6) && !csv_is_number(s, n);
}

/* True when the cell needs RFC 4180 quotes (comma, quote, CR or LF inside). */
static bool csv_needs_quotes(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
            return true;
    return false;
}

/*
 * Appends one CSV cell (no separator): quoted when needed, quotes doubled,
 * and a leading apostrophe when it could be taken for a formula. A cell that
 * is exactly a decimal number ("-12.50") is data and is left as it is.
 */
void csv_add_cell(sbuf *b, const char *s, size_t n)
{
    char *fixed = utf8_escaped(s, &n); /* not UTF-8 (a file name): \xNN for bad bytes */
    if (fixed)
        s = fixed;
    bool quote = csv_needs_quotes(s, n);
    if (quote)
        sbuf_addc(b, '"');
    if (csv_is_risky(s, n))
        sbuf_addc(b, '\'');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            sbuf_addc(b, '"');
        sbuf_addc(b, s[i]);
    }
    if (quote)
        sbuf_addc(b, '"');
    free(fixed);
}

/* Appends s[0..n) with & < > " ' escaped as HTML entities. */
void html_add_text(sbuf *b, const char *s, size_t n)
{
    char *fixed = utf8_escaped(s, &n); /* not UTF-8 (a file name): \xNN for bad bytes */
    if (fixed)
        s = fixed;
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '&': sbuf_adds(b, "&amp;"); break;
        case '<': sbuf_adds(b, "&lt;"); break;
        case '>': sbuf_adds(b, "&gt;"); break;
        case '"': sbuf_adds(b, "&quot;"); break;
        case '\'': sbuf_adds(b, "&#39;"); break;
        default: sbuf_addc(b, s[i]);
        }
    }
    free(fixed);
}

/* Formats v minor units with `exponent` digits into buf; returns buf. */
const char *rep_money(int64_t v, int exponent, char *buf)
{
    money_format(v, exponent, buf);
    return buf;
}

/* GGR of s as money text in buf, or "overflow" when it does not fit int64. */
const char *rep_ggr(const agg_sums *s, int exponent, char *buf)
{
    int64_t g;
    if (!agg_ggr(s, &g)) {
        strcpy(buf, "overflow");
        return buf;
    }
    return rep_money(g, exponent, buf);
}

/* Appends n comma-separated cells (const char *, NULL = empty) and "\n". */
void rep_csv_row(sbuf *b, size_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) {
        const char *s = va_arg(ap, const char *);
        if (i)
            sbuf_addc(b, ',');
        if (s)
            csv_add_cell(b, s, strlen(s));
    }
    va_end(ap);
    sbuf_addc(b, '\n');
}

/* The one stylesheet of every HTML report (inline: no external resources). */
static const char rep_css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d232a;"
    "margin:2rem auto;max-width:70rem;padding:0 1rem}\n"
    "h1{font-size:1.5rem;margin:0 0 .3rem}h2{font-size:1.1rem;margin:1.6rem 0 .4rem}\n"
    "p.meta{color:#556;margin:.2rem 0}\n"
    "table{border-collapse:collapse;margin:.3rem 0 1rem;min-width:24rem}\n"
    "th,td{border:1px solid #d4d9df;padding:.25rem .6rem;text-align:left;vertical-align:top}\n"
    "th{background:#f1f3f5}td.num,th.num{text-align:right;"
    "font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "tr.total td{font-weight:600;border-top:2px solid #1d232a}\n"
    ".badge{display:inline-block;padding:.1rem .6rem;border-radius:.8rem;font-weight:600;"
    "font-size:.85rem;background:#e9ecef}\n"
    ".badge.provisional{background:#fff3bf;color:#7a5b00}"
    ".badge.final{background:#d3f9d8;color:#1b6e2a}"
    ".badge.held{background:#ffe3e3;color:#a61e1e}\n"
    ".hold{border:2px solid #c92a2a;background:#fff5f5;padding:.7rem 1rem;margin:1rem 0;"
    "font-size:1.05rem}\n"
    "pre{white-space:pre-wrap;word-break:break-word;background:#f8f9fa;padding:.5rem}\n"
    "code{font-size:.85rem;word-break:break-all}\n";

/* Appends the document head (charset, CSP forbidding scripts, inline CSS) and <body>. */
void rep_html_begin(sbuf *b, const char *title)
{
    sbuf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                 "style-src 'unsafe-inline'\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    rep_html_elem(b, "title", NULL, title);
    sbuf_adds(b, "\n<style>\n");
    sbuf_adds(b, rep_css);
    sbuf_adds(b, "</style>\n</head>\n<body>\n");
}

/* Closes the body and document. */
void rep_html_end(sbuf *b)
{
    sbuf_adds(b, "</body>\n</html>\n");
}

/* Appends a badge; only the three known statuses become CSS classes. */
void rep_html_badge(sbuf *b, const char *status)
{
    static const char *const known[] = {"provisional", "final", "held"};
    const char *cls = "";
    for (size_t i = 0; status && i < 3; i++)
        if (strcmp(status, known[i]) == 0)
            cls = known[i];
    sbuf_addf(b, "<span class=\"badge %s\">", cls);
    rep_html_elem(b, NULL, NULL, status ? status : "unknown");
    sbuf_adds(b, "</span>");
}

/* Appends <tag attrs>text</tag> with text escaped; tag NULL appends the text only. */
void rep_html_elem(sbuf *b, const char *tag, const char *attrs, const char *text)
{
    if (tag)
        sbuf_addf(b, "<%s%s%s>", tag, attrs ? " " : "", attrs ? attrs : "");
    if (text)
        html_add_text(b, text, strlen(text));
    if (tag)
        sbuf_addf(b, "</%s>", tag);
}

/* Appends <tr> with n escaped cells; bit i of num_mask right-aligns cell i. */
void rep_html_row(sbuf *b, const char *cell_tag, unsigned num_mask, size_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    sbuf_adds(b, "<tr>");
    for (size_t i = 0; i < n; i++) {
        const char *s = va_arg(ap, const char *);
        bool num = i < 32 && (num_mask >> i) & 1u;
        rep_html_elem(b, cell_tag, num ? "class=\"num\"" : NULL, s ? s : "");
    }
    sbuf_adds(b, "</tr>\n");
    va_end(ap);
}

/* True for a single, non-special path component (partner ids, period labels). */
bool rep_name_ok(const char *s)
{
    return s && s[0] && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 && !strchr(s, '/');
}

/* printf-style reason into err; silently nothing when err is NULL or empty. */
void rep_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/*
 * Stages b as dir/name (hidden temp file, mode 0640, parents created) and
 * lists it in written. -1 with "cannot write PATH: reason".
 */
int rep_write(const char *dir, const char *name, const sbuf *b, path_list *written, char *err,
              size_t errlen)
{
    char *path = path_join(dir, name);
    char *staged = staged_write(path, b->buf ? b->buf : "", b->len);
    if (!staged) {
        rep_err(err, errlen, "cannot write %s: %s", path, strerror(errno));
    } else {
        unsigned char d[32];
        char sha[65];
        sha256_mem(b->buf ? b->buf : "", b->len, d);
        sha256_hex(d, sha);
        path_list_stage(written, path, sha);
    }
    free(staged);
    free(path);
    return staged ? 0 : -1;
}
