/*
 * util_file.c - files and paths for the whole engine: opening a regular file
 * safely, directories, path pieces, full writes and reads, and the staged
 * (atomic) write every output and state file goes through. The ownership
 * rule is util.h's; every function here says what it returns on failure
 * (-1 or NULL with errno set).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* See util.h: O_NOFOLLOW | O_NONBLOCK open, fstat of that fd, blocking again. */
int open_regular(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat sb;
    int e = 0;
    if (fstat(fd, &sb) != 0)
        e = errno;
    else if (!S_ISREG(sb.st_mode))
        e = S_ISDIR(sb.st_mode) ? EISDIR : EINVAL;
    else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0)
        e = errno;
    if (e) {
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* Creates every missing directory of `path` with mode 0750. */
int mkdir_p(const char *path)
{
    char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(p, 0750) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = (mkdir(p, 0750) != 0 && errno != EEXIST) ? -1 : 0;
    free(p);
    return rc;
}

char *path_join(const char *dir, const char *rel)
{
    if (rel[0] == '/' || !dir || !dir[0])
        return xstrdup(rel);
    size_t n = strlen(dir);
    return xasprintf("%s%s%s", dir, (n && dir[n - 1] == '/') ? "" : "/", rel);
}

char *path_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

const char *path_base(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int write_all(int fd, const void *data, size_t n)
{
    const char *buf = data;
    while (n) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

int pread_all(int fd, void *buf, size_t n, uint64_t off)
{
    char *p = buf;
    while (n) {
        ssize_t k = pread(fd, p, n, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = EIO;
            return -1;
        }
        p += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return 0;
}

/* fsyncs a directory so a rename inside it is durable. */
int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

char *staged_path(const char *path)
{
    char *dir = path_dir(path);
    /* Hidden and fixed per target: only one run writes at a time (the lock), and a
     * leftover from a killed run is never seen as a report and is reused next time. */
    char *tmp = xasprintf("%s/.%s.tmp", dir, path_base(path));
    free(dir);
    return tmp;
}

/* See util.h: the folder made, temp file written and fsynced; nothing left on failure. */
char *staged_write(const char *path, const void *data, size_t n)
{
    char *dir = path_dir(path);
    int made = mkdir_p(dir), e = errno;
    free(dir);
    if (made != 0)
        return errno = e, NULL;
    char *tmp = staged_path(path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640), rc = -1;
    if (fd >= 0) {
        if (fchmod(fd, 0640) == 0 && write_all(fd, data, n) == 0 && fsync(fd) == 0)
            rc = 0;
        e = errno;
        if (close(fd) != 0 && rc == 0) {
            rc = -1;
            e = errno;
        }
        if (rc != 0)
            unlink(tmp);
    } else {
        e = errno;
    }
    if (rc != 0) {
        free(tmp);
        tmp = NULL;
    }
    errno = e;
    return tmp;
}

/* See util.h: rename, then fsync the folder. */
int staged_publish(const char *staged, const char *path)
{
    if (rename(staged, path) != 0)
        return -1;
    char *dir = path_dir(path);
    int rc = fsync_dir(dir), e = errno;
    free(dir);
    errno = e;
    return rc;
}

/* See util.h: staged_write + staged_publish; no partial file on failure. */
int atomic_write(const char *path, const void *data, size_t n)
{
    char *tmp = staged_write(path, data, n);
    if (!tmp)
        return -1;
    int rc = staged_publish(tmp, path), e = errno;
    if (rc != 0 && access(tmp, F_OK) == 0)
        unlink(tmp);
    free(tmp);
    errno = e;
    return rc;
}

int read_file_capped(const char *path, size_t max, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = read_fd_capped(fd, max, out, len);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

int read_fd_capped(int fd, size_t max, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    sbuf b;
    sbuf_init(&b);
    char buf[8192];
    ssize_t n;
    int err = 0;
    while (b.len <= max && (n = read(fd, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err = errno ? errno : EIO;
            break;
        }
        sbuf_add(&b, buf, (size_t)n);
    }
    if (!err && b.len > max)
        err = EFBIG;
    if (err) {
        sbuf_free(&b);
        errno = err;
        return -1;
    }
    sbuf_addc(&b, '\0');
    *len = b.len - 1;
    *out = sbuf_take(&b);
    return 0;
}
