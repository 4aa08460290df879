/*
 * progress.h - the progress line of a long `settle run` (SPEC §2): on a
 * terminal (or with --progress) stderr shows, rewritten in place a few times
 * a second, the file being read, the rows read so far and the rate; under
 * cron (no terminal) nothing. The line is cleared before the run's summary.
 *
 * Cost when on: one counter increment a row and a clock read every 16384
 * rows; when off, one test a row.
 */
#ifndef SETTLE_PROGRESS_H
#define SETTLE_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct progress {
    bool on, shown;           /* shown: a line is on screen (to clear) */
    int64_t start_ms, next_ms, every_ms;
    int64_t rows, files;
    char file[160];           /* "<partner>/<name>" of the file being read */
} progress;

/* Starts the clock; `on` false makes every other call do nothing. The
 * interval is 250 ms, or $SETTLE_PROGRESS_MS (for tests). */
void progress_init(progress *p, bool on);
/* A new file is being read (relpath copied, cut to fit). */
void progress_file(progress *p, const char *relpath);
/* Prints the line when the interval has passed since the last one. */
void progress_tick(progress *p);
/* Counts one row read. */
static inline void progress_row(progress *p)
{
    if (p->on && (++p->rows & 0x3FFF) == 0)
        progress_tick(p);
}
/* Clears the line, if one is shown, so the next output starts clean. */
void progress_done(progress *p);

#endif
