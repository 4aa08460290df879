/*
 * progress.c - the progress line of `settle run` (progress.h). Written to
 * stderr between carriage returns, after an erase-to-end-of-line, so it stays
 * one line on a terminal and a warning printed meanwhile starts at column 0;
 * never written when off.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "progress.h"
#include "util.h"

void progress_init(progress *p, bool on)
{
    memset(p, 0, sizeof *p);
    p->on = on;
    const char *ms = getenv("SETTLE_PROGRESS_MS");
    p->every_ms = ms && *ms ? strtoll(ms, NULL, 10) : 250;
    if (p->every_ms < 0)
        p->every_ms = 0;
    p->start_ms = monotonic_ms();
    p->next_ms = p->start_ms + p->every_ms;
}

void progress_file(progress *p, const char *relpath)
{
    if (!p->on)
        return;
    p->files++;
    snprintf(p->file, sizeof p->file, "%s", relpath);
    progress_tick(p);
}

void progress_tick(progress *p)
{
    int64_t now = monotonic_ms();
    if (!p->on || now < p->next_ms)
        return;
    p->next_ms = now + p->every_ms;
    int64_t ms = now - p->start_ms;
    long long rate = ms > 0 ? (long long)(p->rows * 1000 / ms) : 0;
    fprintf(stderr, "\r\033[Ksettle: file %lld %s: %lld rows read, %lld rows/s\r",
            (long long)p->files, p->file, (long long)p->rows, rate);
    fflush(stderr);
    p->shown = true;
}

void progress_done(progress *p)
{
    if (p->on && p->shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->shown = false;
}
