/*
 * run_drops.c - the files of a partner's inbox folder: which ones are drops
 * (the `files:` pattern, also gzip-compressed, manifests excluded), and
 * moving unreadable ones to <quarantine>/<partner>/ with a .reason file.
 *
 * Moves happen after the run's state commit (run_quarantine_flush): a crash
 * before that leaves the file in the inbox and the state without it, so the
 * next run meets it again and quarantines it again. Nothing is lost.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "run_int.h"
#include "timefmt.h"

/* True when `name` matches the pattern, or is "<match>.gz". */
static bool drop_matches(const char *glob, const char *name)
{
    if (fnmatch(glob, name, 0) == 0)
        return true;
    size_t n = strlen(name);
    if (n <= 3 || strcmp(name + n - 3, ".gz") != 0)
        return false;
    char *stem = xstrndup(name, n - 3);
    bool ok = fnmatch(glob, stem, 0) == 0;
    free(stem);
    return ok;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* True when `dir`/`name` is a regular file. */
static bool is_regular(const char *dir, const char *name)
{
    char *p = path_join(dir, name);
    struct stat sb;
    bool regular = stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
    free(p);
    return regular;
}

/* Removes from the sorted list every name that is another name's manifest. */
static void drop_manifests(const partner_config *pc, char **names, size_t *n)
{
    if (!pc->control.manifest)
        return;
    bool *is_manifest = xcalloc(*n ? *n : 1, sizeof *is_manifest);
    for (size_t i = 0; i < *n; i++) {
        char *m = control_manifest_name(pc->control.manifest, names[i]);
        char **hit = bsearch(&m, names, *n, sizeof *names, name_cmp);
        if (hit && hit != &names[i])
            is_manifest[hit - names] = true;
        free(m);
    }
    size_t k = 0;
    for (size_t i = 0; i < *n; i++) {
        if (is_manifest[i])
            free(names[i]);
        else
            names[k++] = names[i];
    }
    *n = k;
    free(is_manifest);
}

char **run_list_drops(const partner_config *pc, const char *dir, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **names = NULL;
    size_t cap = 0;
    const char *glob = pc->files ? pc->files : "*";
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !drop_matches(glob, e->d_name) || !is_regular(dir, e->d_name))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            names = xrealloc(names, cap * sizeof *names);
        }
        names[(*n)++] = xstrdup(e->d_name);
    }
    closedir(d);
    qsort(names, *n, sizeof *names, name_cmp);
    drop_manifests(pc, names, n);
    return names;
}

void run_quarantine_add(run_ctx *rc, const char *partner, const char *src, const char *name,
                        const char *sha, const char *reason)
{
    if (rc->n_quarantine == rc->cap_quarantine) {
        rc->cap_quarantine = rc->cap_quarantine ? rc->cap_quarantine * 2 : 4;
        rc->quarantine = xrealloc(rc->quarantine, rc->cap_quarantine * sizeof *rc->quarantine);
    }
    rc->quarantine[rc->n_quarantine++] = (run_quarantined){
        xstrdup(partner), xstrdup(src), xstrdup(name), xstrdup(sha), xstrdup(reason)};
}

/* Copies src to dst (across file systems), fsynced. 0 or -1 (errno). */
static int copy_file(const char *src, const char *dst)
{
    int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
    if (in >= 0)
        out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    char buf[65536];
    ssize_t k = 0;
    while (out >= 0 && (k = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)k) != k) {
            k = -1;
            break;
        }
    if (out >= 0 && k == 0 && fsync(out) == 0)
        rc = 0;
    int saved = errno;
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) != 0)
        rc = -1;
    errno = saved;
    return rc;
}

/* Moves src to dst: rename, or copy + unlink across file systems. */
static int move_file(const char *src, const char *dst)
{
    if (rename(src, dst) == 0)
        return 0;
    if (errno != EXDEV || copy_file(src, dst) != 0)
        return -1;
    return unlink(src);
}

/* A destination that does not overwrite another file: <name>, else <name>.<sha12>. */
static char *quarantine_dest(const char *dir, const run_quarantined *q)
{
    char *dst = path_join(dir, q->name);
    if (access(dst, F_OK) != 0)
        return dst;
    free(dst);
    char *alt = xasprintf("%s.%.12s", q->name, q->sha);
    dst = path_join(dir, alt);
    free(alt);
    return dst;
}

/* The .reason file beside a quarantined file. */
static int write_reason(const char *dst, const run_quarantined *q, int64_t run_id)
{
    char now[21];
    instant_format((int64_t)time(NULL), now);
    char *text = xasprintf("file: %s/%s\nsha256: %s\nquarantined: %s (run %lld)\nreason: %s\n"
                           "what to do: ask the partner for a corrected file, or fix the "
                           "partner's config; then put the file back in the inbox\n",
                           q->partner, q->name, q->sha, now, (long long)run_id, q->reason);
    char *path = xasprintf("%s.reason", dst);
    int rc = atomic_write(path, text, strlen(text));
    free(path);
    free(text);
    return rc;
}

/* Moves one queued file; prints why not on failure. */
static int quarantine_one(run_ctx *rc, const run_quarantined *q)
{
    char *dir = path_join(rc->cfg->paths.quarantine, q->partner);
    char *dst = NULL;
    int r = mkdir_p(dir);
    if (r == 0) {
        dst = quarantine_dest(dir, q);
        r = write_reason(dst, q, rc->run_id);
    }
    if (r == 0)
        r = move_file(q->src, dst);
    if (r == 0)
        r = fsync_dir(dir);
    if (r != 0)
        fprintf(stderr, "settle: %s/%s: cannot move to quarantine %s: %s\n", q->partner, q->name,
                dir, strerror(errno));
    free(dst);
    free(dir);
    return r;
}

int run_quarantine_flush(run_ctx *rc)
{
    int failed = 0;
    for (size_t i = 0; i < rc->n_quarantine; i++)
        failed += quarantine_one(rc, &rc->quarantine[i]) != 0;
    return failed ? -1 : 0;
}

void run_quarantine_free(run_ctx *rc)
{
    for (size_t i = 0; i < rc->n_quarantine; i++) {
        run_quarantined *q = &rc->quarantine[i];
        free(q->partner);
        free(q->src);
        free(q->name);
        free(q->sha);
        free(q->reason);
    }
    free(rc->quarantine);
}
