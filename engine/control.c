/*
 * control.c - control totals: reading what the partner declared (trailer
 * row or manifest) and comparing it with the rows and amounts read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config_yaml.h"
#include "control.h"

#define CONTROL_MANIFEST_MAX (64 * 1024)

char *control_manifest_name(const char *tmpl, const char *drop_name)
{
    size_t n = strlen(drop_name);
    if (n > 3 && strcmp(drop_name + n - 3, ".gz") == 0)
        n -= 3;
    const char *dot = memrchr(drop_name, '.', n);
    size_t stem = dot && dot > drop_name ? (size_t)(dot - drop_name) : n;
    sbuf b;
    sbuf_init(&b);
    for (const char *p = tmpl; *p;) {
        if (strncmp(p, "{name}", 6) == 0)
            sbuf_adds(&b, drop_name), p += 6;
        else if (strncmp(p, "{stem}", 6) == 0)
            sbuf_add(&b, drop_name, stem), p += 6;
        else
            sbuf_addc(&b, *p++);
    }
    return sbuf_take(&b);
}

/* Copies a slice into a fixed buffer, cut to fit. */
static void copy_text(char *dst, size_t cap, slice s)
{
    size_t n = s.n < cap - 1 ? s.n : cap - 1;
    memcpy(dst, s.p, n);
    dst[n] = 0;
}

/* The scalar at dotted `path` in a mapping tree, or NULL. */
static const cfg_node *node_at(const cfg_node *n, const char *path)
{
    char seg[128];
    while (n && *path) {
        size_t k = strcspn(path, ".");
        copy_text(seg, sizeof seg, (slice){path, k});
        n = n->kind == CFG_MAP ? cfg_get(n, seg) : NULL;
        path += k + (path[k] == '.');
    }
    return n && n->kind == CFG_SCALAR ? n : NULL;
}

/* Reads the whole (small) manifest, a regular file in the inbox (never through a
 * symbolic link); NULL with a reason when unreadable or too big. */
static char *manifest_text(const char *path, size_t *len, char *err, size_t errlen)
{
    char *text = NULL;
    int fd = open_regular(path);
    if (fd < 0 && errno == ELOOP)
        snprintf(err, errlen, "manifest is a symbolic link; refused, not followed");
    else if (fd < 0 || read_fd_capped(fd, CONTROL_MANIFEST_MAX, &text, len) != 0)
        snprintf(err, errlen, "manifest cannot be read or is over 64 KiB");
    if (fd >= 0)
        close(fd);
    return text;
}

/* Fills d from the parsed manifest tree; -1 with a reason when a path is missing. */
static int manifest_values(const cfg_node *root, const control_options *o, control_decl *d,
                           char *err, size_t errlen)
{
    const cfg_node *count = node_at(root, o->count.name), *sum = node_at(root, o->sum.name);
    const cfg_node *sha = node_at(root, "sha256");
    if (!count || !sum) {
        snprintf(err, errlen, "manifest has no value at '%s'",
                 count ? o->sum.name : o->count.name);
        return -1;
    }
    copy_text(d->count, sizeof d->count, (slice){count->text, count->len});
    copy_text(d->sum, sizeof d->sum, (slice){sum->text, sum->len});
    if (sha)
        copy_text(d->sha256, sizeof d->sha256, (slice){sha->text, sha->len});
    return 0;
}

int control_read_manifest(const char *path, const char *name, const control_options *o,
                          control_decl *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    size_t len;
    char *text = manifest_text(path, &len, err, errlen);
    if (!text)
        return -1;
    diag dg;
    diag_init(&dg);
    cfg_ctx c = {.file = name, .d = &dg};
    cfg_node root = {0};
    int rc = cfg_parse(&c, text, len, &root);
    cfg_flush(&c);
    if (rc != 0 || root.kind != CFG_MAP) {
        snprintf(err, errlen, "%s", dg.n ? dg.msgs[0] : "manifest is not a mapping of keys");
        rc = -1;
    } else {
        rc = manifest_values(&root, o, d, err, errlen);
    }
    d->present = rc == 0;
    snprintf(d->where, sizeof d->where, "manifest %.80s", name);
    cfg_node_free(&root);
    diag_free(&dg);
    free(text);
    return rc;
}

void control_from_csv_row(const control_options *o, const ingest_row *row, control_decl *d)
{
    memset(d, 0, sizeof *d);
    d->present = true;
    d->comma_decimal = true;
    snprintf(d->where, sizeof d->where, "trailer at line %llu", (unsigned long long)row->line);
    size_t c = (size_t)o->count.column, s = (size_t)o->sum.column;
    if (c >= 1 && c <= row->n_fields)
        copy_text(d->count, sizeof d->count, slice_trim(row->fields[c - 1]));
    if (s >= 1 && s <= row->n_fields)
        copy_text(d->sum, sizeof d->sum, slice_trim(row->fields[s - 1]));
}

void control_from_json_row(const ingest_row *row, control_decl *d)
{
    memset(d, 0, sizeof *d);
    d->present = row->n_fields >= 1 && row->fields[0].n > 0;
    snprintf(d->where, sizeof d->where, "trailer at line %llu", (unsigned long long)row->line);
    if (row->n_fields >= 1)
        copy_text(d->count, sizeof d->count, slice_trim(row->fields[0]));
    if (row->n_fields >= 2)
        copy_text(d->sum, sizeof d->sum, slice_trim(row->fields[1]));
}

/* The count check: NULL when it agrees, else an owned message. */
static char *check_count(const control_decl *d, const control_sum *read)
{
    const char *t = d->count;
    if (!*t || strspn(t, "0123456789") != strlen(t) || strlen(t) > 18)
        return xasprintf("%s: count '%s' is not a whole number", d->where, t);
    long long n = atoll(t);
    if (n != read->rows)
        return xasprintf("%s: %lld rows declared, %lld read", d->where, n,
                         (long long)read->rows);
    return NULL;
}

/* The sum check: NULL when it agrees, else an owned message. */
static char *check_sum(const control_decl *d, const control_sum *read, const csv_options *csv)
{
    decsum_format f = {'.', 0, true};
    if (d->comma_decimal)
        f = (decsum_format){csv->decimal ? csv->decimal : '.', csv->thousands, false};
    decsum want = {0};
    if (decsum_add_text(&want, d->sum, strlen(d->sum), &f) != 0)
        return xasprintf("%s: sum '%s' is not a number", d->where, d->sum);
    if (decsum_equal(&want, &read->total))
        return NULL;
    char got[128];
    decsum_text(&read->total, got, sizeof got);
    if (read->unreadable)
        return xasprintf("%s: sum %s declared, %s read (%lld amounts unreadable)", d->where,
                         d->sum, got, (long long)read->unreadable);
    return xasprintf("%s: sum %s declared, %s read", d->where, d->sum, got);
}

char *control_check(const control_decl *d, const control_sum *read, const csv_options *csv,
                    const char *file_sha256)
{
    if (!d->present)
        return xasprintf("%s", *d->where ? d->where : "no control totals found (trailer missing)");
    if (*d->sha256 && strcasecmp(d->sha256, file_sha256) != 0)
        return xasprintf("%s: sha256 %s declared, the file's is %s", d->where, d->sha256,
                         file_sha256);
    char *m = check_count(d, read);
    return m ? m : check_sum(d, read, csv);
}

void row_copy_set(row_copy *c, const ingest_row *r)
{
    if (c->cap < r->n_fields) {
        c->cap = r->n_fields;
        c->fields = xrealloc(c->fields, c->cap * sizeof *c->fields);
    }
    c->bytes.len = 0;
    sbuf_add(&c->bytes, r->raw.p, r->raw.n);
    for (size_t i = 0; i < r->n_fields; i++) { /* offsets first: the buffer may move */
        c->fields[i].n = c->bytes.len;
        sbuf_add(&c->bytes, r->fields[i].p, r->fields[i].n);
    }
    for (size_t i = 0; i < r->n_fields; i++) {
        size_t at = c->fields[i].n;
        c->fields[i] = (slice){c->bytes.buf + at, r->fields[i].n};
    }
    free(c->problem);
    c->problem = r->problem ? xstrdup(r->problem) : NULL;
    c->row = *r;
    c->row.fields = c->fields;
    c->row.raw = (slice){c->bytes.buf ? c->bytes.buf : "", r->raw.n};
    c->row.problem = c->problem;
    c->has = true;
}

void row_copy_free(row_copy *c)
{
    sbuf_free(&c->bytes);
    free(c->fields);
    free(c->problem);
    memset(c, 0, sizeof *c);
}
