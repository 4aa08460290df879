/*
 * run_drops.c - the files of a partner's inbox folder: which ones are drops
 * (the `files:` pattern, also gzip-compressed, manifests excluded), and
 * moving unreadable ones to <quarantine>/<partner>/ with a .reason file.
 *
 * Nothing outside the inbox is read or moved: the partner's folder is opened
 * with O_NOFOLLOW, each entry is looked at with lstat semantics, and a
 * symbolic link (the folder itself or a drop) is refused with a message, never
 * followed; it makes the run exit 1. A folder, FIFO, device or socket whose
 * name matches the pattern is skipped with a warning. Both are listed in the
 * run's audit entry (outcome "refused" or "not_a_file").
 *
 * Moves happen after the run's state commit (run_quarantine_flush): a crash
 * before that leaves the file in the inbox and the state without it, so the
 * next run meets it again and quarantines it again. Nothing is lost. A move
 * only ever renames a regular file of <inbox>/<partner>/ into a real (not
 * linked) <quarantine>/<partner>/ folder.
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
#include "run.h"
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

/* What kind of non-regular file the mode is, for messages and the audit. */
static const char *kind_word(mode_t m)
{
    return S_ISLNK(m) ? "symbolic link" : S_ISDIR(m) ? "folder" : S_ISFIFO(m) ? "FIFO"
         : S_ISSOCK(m) ? "socket" : (S_ISCHR(m) || S_ISBLK(m)) ? "device" : "special file";
}

/* Adds {"file","sha256":null,"outcome","reason"} to the run's audit files. */
static void audit_not_taken(run_ctx *rc, const char *rel, const char *outcome, const char *reason)
{
    jw *w = &rc->audit_files.w;
    jw_open(w, NULL, '{');
    jw_str(w, "file", rel);
    jw_null(w, "sha256");
    jw_str(w, "outcome", outcome);
    jw_str(w, "reason", reason);
    jw_close(w, '}');
}

/*
 * True when the entry `name` of the open folder dfd is a regular file. A
 * symbolic link is refused (printed, counted, makes the run exit 1); any
 * other kind of file is skipped with a warning. Both go into the audit.
 */
static bool entry_regular(run_ctx *rc, const partner_config *pc, int dfd, const char *name)
{
    struct stat sb;
    if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
        return false; /* gone since readdir */
    if (S_ISREG(sb.st_mode))
        return true;
    char *rel = xasprintf("%s/%s", pc->id, name);
    const char *kind = kind_word(sb.st_mode);
    if (S_ISLNK(sb.st_mode)) {
        fprintf(stderr, "settle: %s: refused: it is a symbolic link, and settle never follows "
                "links out of the inbox; put the file itself there\n", rel);
        rc->totals.files_refused++;
        audit_not_taken(rc, rel, "refused", kind);
    } else {
        fprintf(stderr, "settle: warning: %s: skipped: it is a %s, not a file\n", rel, kind);
        rc->totals.files_not_regular++;
        audit_not_taken(rc, rel, "not_a_file", kind);
    }
    free(rel);
    return false;
}

const char *run_inbox_problem(const char *dir)
{
    struct stat sb;
    if (lstat(dir, &sb) != 0)
        return errno == ENOENT ? "does not exist" : "cannot be read";
    if (S_ISLNK(sb.st_mode))
        return "is a symbolic link (refused, not followed)";
    return S_ISDIR(sb.st_mode) ? NULL : "is not a folder";
}

/* Opens the partner's inbox folder, never through a link; -1 after saying why. */
static int inbox_open(run_ctx *rc, const partner_config *pc, const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd >= 0)
        return dfd;
    const char *problem = run_inbox_problem(dir);
    if (problem && strcmp(problem, "does not exist") == 0) {
        fprintf(stderr, "settle: warning: partner %s: inbox folder %s does not exist; "
                "no drops read\n", pc->id, dir);
        rc->totals.inbox_missing++;
        return -1;
    }
    fprintf(stderr, "settle: %s: refused: the inbox folder of partner %s %s; nothing read "
            "from it\n", dir, pc->id, problem ? problem : strerror(errno));
    rc->totals.files_refused++;
    audit_not_taken(rc, pc->id, "refused", problem ? problem : "inbox folder cannot be read");
    return -1;
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

char **run_list_drops(run_ctx *rc, const partner_config *pc, const char *dir, size_t *n)
{
    *n = 0;
    int dfd = inbox_open(rc, pc, dir);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return NULL;
    }
    char **names = NULL;
    size_t cap = 0;
    const char *glob = pc->files ? pc->files : "*";
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !drop_matches(glob, e->d_name) ||
            !entry_regular(rc, pc, dfd, e->d_name))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            names = xrealloc(names, cap * sizeof *names);
        }
        names[(*n)++] = xstrdup(e->d_name);
    }
    closedir(d);
    xqsort(names, *n, sizeof *names, name_cmp);
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

/* Copies name from folder ifd to a new dst in folder qfd (across file systems), fsynced,
 * neither end through a link. 0 or -1 (errno). */
static int copy_file(int ifd, const char *name, int qfd, const char *dst)
{
    int in = openat(ifd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), out = -1, rc = -1;
    if (in >= 0)
        out = openat(qfd, dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
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

/* Moves ifd/name to qfd/dst: rename, or copy + unlink across file systems. */
static int move_file(int ifd, const char *name, int qfd, const char *dst)
{
    if (renameat(ifd, name, qfd, dst) == 0)
        return 0;
    if (errno != EXDEV || copy_file(ifd, name, qfd, dst) != 0)
        return -1;
    return unlinkat(ifd, name, 0);
}

/* A name in folder qfd that does not replace another file: <name>, else <name>.<sha12>. */
static char *quarantine_dest(int qfd, const run_quarantined *q)
{
    struct stat sb;
    if (fstatat(qfd, q->name, &sb, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT)
        return xstrdup(q->name);
    return xasprintf("%s.%.12s", q->name, q->sha);
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
    sbuf utf8; /* a name that is not UTF-8 is written as outputs write it (\xNN) */
    sbuf_init(&utf8);
    sbuf_add_utf8(&utf8, text, strlen(text));
    char *path = xasprintf("%s.reason", dst);
    int rc = atomic_write(path, utf8.buf, utf8.len);
    sbuf_free(&utf8);
    free(path);
    free(text);
    return rc;
}

/*
 * Opens the inbox and quarantine folders of q (never through a link) and checks
 * that q is a regular file of the inbox folder. NULL, or why not (the fds that
 * opened are still returned for closing).
 */
static const char *quarantine_check(run_ctx *rc, const run_quarantined *q, const char *qdir,
                                    int *ifd, int *qfd)
{
    char *idir = path_join(rc->cfg->paths.inbox, q->partner), *src = path_join(idir, q->name);
    bool inside = !strchr(q->name, '/') && strcmp(src, q->src) == 0;
    *ifd = open(idir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    *qfd = open(qdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int qerr = errno;
    free(src);
    free(idir);
    struct stat sb;
    if (!inside || *ifd < 0)
        return "it is not a file of the partner's inbox folder";
    if (fstatat(*ifd, q->name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode))
        return "it is no longer a regular file (a link or other file took its place)";
    if (*qfd < 0)
        return qerr == ELOOP || qerr == ENOTDIR ? "the quarantine folder is a symbolic link or "
                                                  "not a folder (not followed)"
                                                : strerror(qerr);
    return NULL;
}

/* Moves one queued file; prints why not on failure. */
static int quarantine_one(run_ctx *rc, const run_quarantined *q)
{
    char *dir = path_join(rc->cfg->paths.quarantine, q->partner);
    char *dst = NULL;
    int ifd = -1, qfd = -1;
    const char *why = mkdir_p(dir) != 0 ? strerror(errno) : NULL;
    if (!why)
        why = quarantine_check(rc, q, dir, &ifd, &qfd);
    if (!why) {
        dst = quarantine_dest(qfd, q);
        char *path = path_join(dir, dst);
        if (write_reason(path, q, rc->run_id) != 0 || move_file(ifd, q->name, qfd, dst) != 0 ||
            fsync(qfd) != 0)
            why = strerror(errno);
        free(path);
    }
    if (why)
        fprintf(stderr, "settle: %s/%s: cannot move to quarantine %s: %s\n", q->partner, q->name,
                dir, why);
    if (ifd >= 0)
        close(ifd);
    if (qfd >= 0)
        close(qfd);
    free(dst);
    free(dir);
    return why ? -1 : 0;
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
