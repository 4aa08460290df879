/*
 * audit.h - the append-only, hash-chained audit log <paths.audit>/audit.jsonl.
 *
 * Each line is one JSON object: {"seq":N,"time":"...","event":"...",
 * "version":"...","user":"...",<fields>,"prev":"<hash of previous entry>"}
 * followed by ,"hash":"<SHA-256 of everything before it on the line>"}.
 * Changing any byte of an entry breaks its hash; removing or reordering
 * entries breaks the chain of "prev" values.
 */
#ifndef SETTLE_AUDIT_H
#define SETTLE_AUDIT_H

#include <stddef.h>

/*
 * Appends one entry. `fields` is the JSON text of extra members without
 * braces (e.g. "\"files\":[...],\"exit_code\":0"), or "" for none. The line
 * is written with one write(2) on an O_APPEND descriptor and fsynced.
 * Returns 0, or -1 with a reason in err.
 */
int audit_append(const char *dir, const char *event, const char *fields, char *err, size_t errlen);

#endif
