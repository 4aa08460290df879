/*
 * report_exceptions.c - CSV files streamed (csv_stream: exceptions.csv of
 * one period label, and reconciliation.csv, report_recon.c): rows go into a
 * buffer flushed with write(2) every 64 KiB to the staged file beside the
 * final one, so memory stays bounded however many rows there are.
 * csv_stream_end makes it durable and stages it; until the run publishes it
 * no partial file is ever visible.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report_util.h"
#include "timefmt.h"

#define EXC_FLUSH_AT (64 * 1024)

struct csv_stream {
    char *dir;   /* owned; the file's folder */
    char *tmp;   /* owned; <dir>/.<name>.tmp (fixed: one run at a time) */
    char *path;  /* owned; <dir>/<name> */
    int fd;      /* open temp file */
    int error;   /* errno of the first failed write, 0 when none */
    sbuf buf;    /* rows not yet written */
};

/* Frees the writer and its strings (the fd must be closed already). */
static void exc_free(csv_stream *w)
{
    free(w->dir);
    free(w->tmp);
    free(w->path);
    sbuf_free(&w->buf);
    free(w);
}

/* Writes the buffer to the temp file and empties it; remembers the first error. */
static int exc_flush(csv_stream *w)
{
    const char *p = w->buf.buf;
    size_t n = w->buf.len;
    while (n && !w->error) {
        ssize_t k = write(w->fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            w->error = errno;
        else {
            p += k;
            n -= (size_t)k;
        }
    }
    sbuf_reset(&w->buf);
    return w->error ? -1 : 0;
}

/* Appends one CSV cell from a possibly NULL string (NULL is an empty cell). */
void csv_stream_cell(csv_stream *w, const char *s, bool last)
{
    if (s)
        csv_add_cell(&w->buf, s, strlen(s));
    sbuf_addc(&w->buf, last ? '\n' : ',');
}

/*
 * Creates `dir` and its staged file for `name` (mode 0640) and buffers the
 * header line (without its newline). NULL with a reason in err when the
 * directory or file cannot be created (nothing is left behind).
 */
csv_stream *csv_stream_begin(const char *dir, const char *name, const char *header, char *err,
                             size_t errlen)
{
    csv_stream *w = xcalloc(1, sizeof *w);
    w->dir = xstrdup(dir);
    w->path = path_join(w->dir, name);
    w->tmp = staged_path(w->path);
    if (mkdir_p(w->dir) != 0 ||
        (w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0) {
        rep_err(err, errlen, "cannot create %s: %s", w->tmp, strerror(errno));
        exc_free(w);
        return NULL;
    }
    fchmod(w->fd, 0640); /* exact mode whatever the umask */
    sbuf_adds(&w->buf, header);
    sbuf_addc(&w->buf, '\n');
    return w;
}

int csv_stream_row_end(csv_stream *w)
{
    if (w->buf.len >= EXC_FLUSH_AT || w->error)
        return exc_flush(w);
    return 0;
}

/* Creates <reports_dir>/<label>/ and its staged exceptions.csv; NULL with a reason in err
 * when the label is not a plain name or nothing can be created. */
exceptions_writer *exceptions_begin(const char *reports_dir, const char *label, char *err,
                                    size_t errlen)
{
    if (!rep_name_ok(label)) {
        rep_err(err, errlen, "exceptions: period \"%s\" is not a plain name", label ? label : "");
        return NULL;
    }
    char *dir = path_join(reports_dir, label);
    csv_stream *w = csv_stream_begin(dir, "exceptions.csv",
                                     "partner,file,line,day,id,reason,detail,raw", err, errlen);
    free(dir);
    return w;
}

/*
 * Buffers one row (NULL strings are empty cells, line 0 is an empty cell for
 * file-level problems, day INT32_MIN an empty day cell) and flushes every
 * 64 KiB. 0, or -1 after a failed write (then exceptions_end fails too; call
 * exceptions_abort or _end).
 */
int exceptions_row(csv_stream *w, const char *partner, const char *file, uint64_t line,
                   int32_t day, const char *id, const char *reason, const char *detail,
                   const char *raw)
{
    char num[24] = "", date[11] = "";
    if (line)
        snprintf(num, sizeof num, "%" PRIu64, line);
    if (day != INT32_MIN)
        date_format(day, date);
    const char *cells[] = {partner, file, num, date, id, reason, detail, raw};
    for (size_t i = 0; i < 8; i++)
        csv_stream_cell(w, cells[i], i == 7);
    return csv_stream_row_end(w);
}

/* Flushes, fsyncs and closes the temp file; 0, or -1 with errno set (fd closed). */
static int exc_finish_file(csv_stream *w)
{
    if (exc_flush(w) == 0 && fsync(w->fd) != 0)
        w->error = errno;
    if (close(w->fd) != 0 && !w->error)
        w->error = errno;
    w->fd = -1;
    errno = w->error;
    return w->error ? -1 : 0;
}

/*
 * Makes the staged file durable: flush, fsync, close; lists it in written
 * with its SHA-256 and frees w. On failure -1 with a reason in err, the temp
 * file removed, w freed.
 */
int csv_stream_end(csv_stream *w, path_list *written, char *err, size_t errlen)
{
    unsigned char d[32];
    int rc = exc_finish_file(w);
    if (rc == 0)
        rc = sha256_file(w->tmp, d);
    if (rc != 0) {
        rep_err(err, errlen, "cannot write %s: %s", w->path, strerror(errno));
        unlink(w->tmp);
    } else {
        char sha[65];
        sha256_hex(d, sha);
        path_list_stage(written, w->path, sha);
    }
    exc_free(w);
    return rc;
}

/* Closes and removes the temp file and frees w; the final file is untouched. NULL is a no-op. */
void csv_stream_abort(csv_stream *w)
{
    if (!w)
        return;
    close(w->fd);
    unlink(w->tmp);
    exc_free(w);
}

int exceptions_end(exceptions_writer *w, path_list *written, char *err, size_t errlen)
{
    return csv_stream_end(w, written, err, errlen);
}

void exceptions_abort(exceptions_writer *w)
{
    csv_stream_abort(w);
}
