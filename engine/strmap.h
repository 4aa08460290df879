/*
 * strmap.h - interning of strings to small dense ids (0, 1, 2, ...).
 * The map owns a copy of every string; ids stay valid until strmap_free.
 */
#ifndef SETTLE_STRMAP_H
#define SETTLE_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct strmap strmap;

strmap *strmap_new(void);
void strmap_free(strmap *m);
/* The id of s[0..n), adding a copy when new. Never fails (OOM exits). */
uint32_t strmap_intern(strmap *m, const char *s, size_t n);
/* The id of s[0..n), or -1 when absent. */
int64_t strmap_find(const strmap *m, const char *s, size_t n);
/* The string of an id (borrowed, NUL-terminated). */
const char *strmap_str(const strmap *m, uint32_t id);
size_t strmap_count(const strmap *m);

#endif
