/*
 * audit.c - appending hash-chained entries to audit.jsonl. The previous
 * entry's hash and sequence number are read from the file's last line, so
 * the log itself is the only state the chain needs.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "timefmt.h"
#include "util.h"

#define AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* Reads the last line of the log into `line` (empty when the log is empty). */
static int audit_last_line(int fd, sbuf *line)
{
    off_t end = lseek(fd, 0, SEEK_END);
    if (end < 0)
        return -1;
    off_t pos = end;
    char buf[4096];
    sbuf rev;
    sbuf_init(&rev);
    bool started = false;
    while (pos > 0) {
        size_t n = pos < (off_t)sizeof buf ? (size_t)pos : sizeof buf;
        pos -= (off_t)n;
        if (pread(fd, buf, n, pos) != (ssize_t)n) {
            sbuf_free(&rev);
            return -1;
        }
        for (size_t i = n; i-- > 0;) {
            if (buf[i] == '\n' && started)
                goto done;
            if (buf[i] != '\n')
                started = true;
            if (started)
                sbuf_addc(&rev, buf[i]);
        }
    }
done:
    for (size_t i = rev.len; i-- > 0;)
        sbuf_addc(line, rev.buf[i]);
    sbuf_free(&rev);
    return 0;
}

/* Extracts "seq" and "hash" of the last entry (genesis values when none). */
static void audit_chain_tail(const char *line, long long *seq, char prev[65])
{
    *seq = 0;
    snprintf(prev, 65, "%s", AUDIT_GENESIS);
    const char *p = strstr(line, "\"seq\":");
    if (p)
        *seq = atoll(p + 6);
    const char *h = strstr(line, ",\"hash\":\"");
    if (h && strlen(h + 9) >= 64)
        snprintf(prev, 65, "%.64s", h + 9);
}

/* Who ran settle: the login name of the real uid, else the uid number. */
static void audit_user(char *buf, size_t len)
{
    struct passwd *pw = getpwuid(getuid());
    if (pw)
        snprintf(buf, len, "%s", pw->pw_name);
    else
        snprintf(buf, len, "%u", (unsigned)getuid());
}

/* Builds the complete line (with hash and newline) for the next entry. */
static char *audit_line(long long seq, const char *prev, const char *event, const char *fields)
{
    char now[21], user[64], hex[65];
    instant_format((int64_t)time(NULL), now);
    audit_user(user, sizeof user);
    sbuf b;
    sbuf_init(&b);
    sbuf_addf(&b, "{\"seq\":%lld,\"time\":\"%s\",\"event\":", seq, now);
    sbuf_add_json_str(&b, event, strlen(event));
    sbuf_addf(&b, ",\"version\":\"%s\",\"user\":", SETTLE_VERSION);
    sbuf_add_json_str(&b, user, strlen(user));
    if (fields && fields[0])
        sbuf_addf(&b, ",%s", fields);
    sbuf_addf(&b, ",\"prev\":\"%s\"", prev);
    unsigned char d[32];
    sha256_mem(b.buf, b.len, d);
    sha256_hex(d, hex);
    sbuf_addf(&b, ",\"hash\":\"%s\"}\n", hex);
    return sbuf_take(&b);
}

int audit_append(const char *dir, const char *event, const char *fields, char *err, size_t errlen)
{
    char *path = path_join(dir, "audit.jsonl");
    int fd = -1, rc = -1;
    if (mkdir_p(dir) == 0)
        fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open audit log %s: %s", path, strerror(errno));
        free(path);
        return -1;
    }
    sbuf last;
    sbuf_init(&last);
    if (audit_last_line(fd, &last) == 0) {
        long long seq;
        char prev[65];
        audit_chain_tail(last.buf ? last.buf : "", &seq, prev);
        char *line = audit_line(seq + 1, prev, event, fields);
        size_t n = strlen(line);
        if (write(fd, line, n) == (ssize_t)n && fsync(fd) == 0)
            rc = 0;
        free(line);
    }
    if (rc != 0)
        snprintf(err, errlen, "cannot append to audit log %s: %s", path, strerror(errno));
    sbuf_free(&last);
    close(fd);
    free(path);
    return rc;
}
