/*
 * report_stage.c - the list of a run's staged outputs (report.h, path_list):
 * every report is written to its hidden staging file first; the list is
 * published (renamed into place) after the state commit, or discarded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

void path_list_stage(path_list *l, const char *path, const char sha[65])
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], path) == 0) {
            memcpy(l->sha[i], sha, 65);
            return;
        }
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->items = xrealloc(l->items, l->cap * sizeof *l->items);
        l->sha = xrealloc(l->sha, l->cap * sizeof *l->sha);
    }
    l->items[l->n] = xstrdup(path);
    memcpy(l->sha[l->n], sha, 65);
    l->n++;
}

/* Frees every string and the arrays; the list is left empty and reusable. */
void path_list_free(path_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    free(l->sha);
    l->items = NULL;
    l->sha = NULL;
    l->n = l->cap = 0;
}

int report_publish(const path_list *l, char *err, size_t errlen)
{
    int rc = 0;
    for (size_t i = 0; i < l->n; i++) {
        char *staged = staged_path(l->items[i]);
        if (staged_publish(staged, l->items[i]) != 0 && rc == 0) {
            snprintf(err, errlen, "cannot put %s in place: %s", l->items[i], strerror(errno));
            rc = -1;
        }
        free(staged);
    }
    return rc;
}

void report_discard(path_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        char *staged = staged_path(l->items[i]);
        unlink(staged);
        free(staged);
    }
    path_list_free(l);
}
