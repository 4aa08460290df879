/*
 * run_lock.c - the run lock, <state>/settle.lock: an flock held by `settle run`
 * and `settle approve` (and shared by `settle audit verify`). The file holds
 * the holder's "pid N started T" line while a settle process has it; the
 * kernel drops the lock when its holder dies, so a stale lock never blocks.
 *
 * The text in the file is only a hint: another program (a backup script with
 * flock(1), say) can hold the lock while the file still names the last settle
 * run. So on contention the pid in the file is named only when the kernel's
 * lock table (/proc/locks) shows that pid holding this file; otherwise the
 * holder the kernel shows is named, as "another program".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "run.h"
#include "timefmt.h"

/*
 * Looks in /proc/locks for an flock on the file of `st` held by `want`
 * (when want > 0). Returns want when it holds it, else the first pid seen
 * holding it, else 0 (no entry, or /proc not readable).
 */
static long lock_kernel_holder(const struct stat *st, long want)
{
    FILE *f = fopen("/proc/locks", "r");
    if (!f)
        return 0;
    char line[256];
    long first = 0, found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        long pid;
        unsigned maj, min;
        unsigned long long ino;
        if (!strstr(line, "FLOCK") || strstr(line, "->"))
            continue; /* not an flock, or a waiter line */
        const char *p = strstr(line, "FLOCK");
        if (sscanf(p, "FLOCK %*s %*s %ld %x:%x:%llu", &pid, &maj, &min, &ino) != 4)
            continue;
        if (ino != (unsigned long long)st->st_ino || maj != major(st->st_dev) ||
            min != minor(st->st_dev))
            continue;
        if (pid == want)
            found = pid;
        else if (!first)
            first = pid;
    }
    fclose(f);
    return found ? found : first;
}

/* Copies /proc/<pid>/comm (the program's name) into out; "" when unknown. */
static void lock_program_name(long pid, char *out, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    out[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (!fgets(out, (int)cap, f))
        out[0] = 0;
    out[strcspn(out, "\n")] = 0;
    fclose(f);
}

/*
 * Prints who holds the lock open on fd: the settle run named in the file when
 * the kernel confirms it, else the program the kernel shows, else "holder
 * unknown" — never a pid the kernel does not show holding the lock.
 */
static void lock_print_holder(int fd)
{
    char text[128] = {0};
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    text[n > 0 ? n : 0] = 0;
    text[strcspn(text, "\n")] = 0;
    long named = 0;
    sscanf(text, "pid %ld", &named);
    struct stat st;
    long holder = fstat(fd, &st) == 0 ? lock_kernel_holder(&st, named) : 0;
    char what[192], comm[32];
    if (named > 0 && holder == named) {
        snprintf(what, sizeof what, "%s", text);
    } else if (holder > 0) {
        lock_program_name(holder, comm, sizeof comm);
        snprintf(what, sizeof what, "another program holds it: pid %ld%s%s%s", holder,
                 comm[0] ? " (" : "", comm, comm[0] ? ")" : "");
    } else {
        snprintf(what, sizeof what, "holder unknown");
    }
    fprintf(stderr, "settle: another run holds the lock (%s); try again when it ends\n", what);
}

int run_lock(const char *state_dir, int *fd_out)
{
    if (mkdir_p(state_dir) != 0)
        return fprintf(stderr, "settle: cannot create %s: %s\n", state_dir, strerror(errno)), -2;
    char *path = path_join(state_dir, "settle.lock");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
    free(path);
    if (fd < 0)
        return fprintf(stderr, "settle: cannot open lock: %s\n", strerror(errno)), -2;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        lock_print_holder(fd);
        close(fd);
        return -1;
    }
    char now[21], buf[96];
    instant_format((int64_t)time(NULL), now);
    int len = snprintf(buf, sizeof buf, "pid %ld started %s\n", (long)getpid(), now);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)len, 0) != len)
        fprintf(stderr, "settle: warning: cannot record lock holder\n");
    *fd_out = fd;
    return 0;
}

void run_unlock(int fd)
{
    if (fd < 0)
        return;
    if (ftruncate(fd, 0) != 0) {
        /* the holder line stays; harmless, since it is checked against the kernel */
    }
    close(fd);
}
