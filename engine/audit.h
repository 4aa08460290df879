/*
 * audit.h - the append-only, hash-chained audit log <paths.audit>/audit.jsonl.
 *
 * Each line is one JSON object ending in a newline. Its text is built as
 *
 *   C = {"seq":N,"time":"...","event":"...","version":"...","user":"...",
 *        <fields>,"prev":"<hash of the previous entry, or 64 zeros>"
 *   S = C                                  without a key
 *   S = C ,"hmac":"<HMAC-SHA256(key, C)>"  when $SETTLE_AUDIT_KEY_FILE is set
 *   line = S ,"hash":"<SHA-256(S)>"}
 *
 * so "hash" is always the SHA-256 of everything before ,"hash":" on the line
 * (the hmac included), and "hmac" signs everything before ,"hmac":" (the
 * prev link included). All hex is lowercase. Changing any byte of an entry
 * breaks its hash; removing or reordering entries breaks the chain of "seq"
 * and "prev" values; without the key, a rewritten entry cannot get a valid
 * hmac. `settle audit verify` (audit_verify.c) checks all of it.
 */
#ifndef SETTLE_AUDIT_H
#define SETTLE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "json_writer.h"
#include "state.h"

#define AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"
#define AUDIT_LOG_NAME "audit.jsonl"
#define AUDIT_KEY_ENV "SETTLE_AUDIT_KEY_FILE"
#define AUDIT_KEY_MAX 65536 /* largest key file read, in bytes */

/*
 * The members of one entry, or the records of one list inside an entry, in
 * the log's compact JSON: every caller builds its part of an entry with this,
 * so the format has one owner. Usage:
 *
 *   audit_entry e;
 *   audit_entry_begin(&e);
 *   jw_str(&e.w, "partner", id);          any jw_* call on e.w
 *   audit_entry_list(&e, "files", &list); a list built the same way, records
 *                                         opened with jw_open(&list.w, NULL, '{')
 *   audit_append(dir, "approve", audit_entry_text(&e), err, errlen);
 *   audit_entry_free(&e);
 *
 * The text is the members without braces ("" when none), ready for
 * audit_append or to be journalled in the state until it is appended.
 */
typedef struct audit_entry {
    sbuf b;   /* owned: the text so far */
    jw w;     /* writes into b */
} audit_entry;
void audit_entry_begin(audit_entry *e);
/* The text so far (borrowed from e; "" when empty). */
const char *audit_entry_text(const audit_entry *e);
/* Adds "key":[<the records of list>]. */
void audit_entry_list(audit_entry *e, const char *key, const audit_entry *list);
/* Hands the text to the caller (never NULL) and frees e. */
char *audit_entry_take(audit_entry *e);
void audit_entry_free(audit_entry *e);

/* Where the chain ends: the seq and hash of an entry (0 and AUDIT_GENESIS: no entry yet). */
typedef struct audit_head {
    long long seq;
    char hash[65];
} audit_head;

/*
 * Reads the head of <dir>/audit.jsonl: its last complete entry (0 and
 * AUDIT_GENESIS when there is no log or no entry). 0, or -1 with errno.
 */
int audit_head_read(const char *dir, audit_head *h);

/*
 * Appends one entry. `fields` is the JSON text of extra members without
 * braces (e.g. "\"files\":[...],\"exit_code\":0"), or "" for none. The line
 * is written with one write(2) on an O_APPEND descriptor and fsynced. When
 * $SETTLE_AUDIT_KEY_FILE is set the entry carries an hmac; when that file
 * cannot be read the entry is written without one and a warning is printed.
 * A torn last line (no newline: an earlier append was cut short) is ended
 * with a newline and the new entry chains to the last complete entry.
 * Returns 0 with the new entry's head in *written (when not NULL), or -1 with
 * a reason in err. Callers that hold the state use audit_append_anchored.
 */
int audit_append(const char *dir, const char *event, const char *fields, audit_head *written,
                 char *err, size_t errlen);

/*
 * Who is running settle: the login name of the effective uid from the
 * password database (getpwuid(geteuid())), else the uid number; never an
 * environment variable such as $USER. Written into buf (cut to fit).
 */
void audit_os_user(char *buf, size_t len);

/*
 * Sets *found when the last complete entry of <dir>/audit.jsonl contains
 * `needle` (false when there is no log yet). 0, or -1 with errno.
 */
int audit_last_contains(const char *dir, const char *needle, bool *found);

/*
 * Reads the key named by $SETTLE_AUDIT_KEY_FILE: the file's exact bytes.
 * Returns 1 with *key (owned by the caller) and *len set; 0 when the
 * variable is unset or empty; -1 with a reason in err when the file cannot
 * be read, is empty or is over AUDIT_KEY_MAX bytes.
 */
int audit_key_load(char **key, size_t *len, char *err, size_t errlen);

/* HMAC-SHA256 of text[0..n) keyed with key[0..klen), as 64 lowercase hex + NUL. */
void audit_hmac_hex(const char *key, size_t klen, const char *text, size_t n, char hex[65]);

/*
 * Checks that line[0..n) (without its newline) ends in ,"hash":"<64 hex>"}.
 * Returns true with *before = the length of the hashed text and the hash
 * copied to hash; false when the line has no such ending.
 */
bool audit_split_hash(const char *line, size_t n, size_t *before, char hash[65]);

/*
 * Checks that text[0..n) (the hashed part of a line) ends in ,"hmac":"<64
 * hex>". Returns true with *before = the length of the signed text and the
 * hmac copied to hmac; false when the entry carries no hmac.
 */
bool audit_split_hmac(const char *text, size_t n, size_t *before, char hmac[65]);

/*
 * The anchor (audit_head.c): the log's head as of the last append made with
 * the state open, kept in the state so that cutting entries off the end of
 * the log (still a valid chain) is caught. audit_anchor_get sets *found when
 * the state has one; both return 0, or -1 with the state error.
 */
int audit_anchor_get(state *st, audit_head *h, bool *found);
int audit_anchor_put(state *st, const audit_head *h);
/*
 * For `settle audit verify`: opens <state_dir> read only and reads the anchor
 * (*found) and the first run whose entry is only journalled so far (*run_id,
 * 0 when none, and *pending = that entry as a JSON object, owned by the
 * caller). No state yet is not an error. 0, or -1 with a reason in err.
 */
int audit_anchor_read(const char *state_dir, audit_head *h, bool *found, int64_t *run_id,
                      char **pending, char *err, size_t errlen);

/*
 * audit_append for callers holding the run lock and the state: when the log
 * is behind the anchor (entries that were appended are gone) it warns and
 * adds "gap":{"anchored_seq","anchored_hash","log_seq"} to the entry, so the
 * chain itself keeps the evidence; when there is no log file at all (renamed
 * away to start a new one) the first entry gets "previous_log":{"seq","hash"}; after the append the anchor moves to the
 * new entry (a failure to record it is a warning: the anchor then lags,
 * which verify accepts). 0, or -1 with a reason in err (nothing appended).
 */
int audit_append_anchored(state *st, const char *dir, const char *event, const char *fields,
                          char *err, size_t errlen);

/*
 * `settle audit head`: prints the hash of the log's last complete entry (the
 * genesis value, with a note, when there is none), for operators to store
 * elsewhere. Reads only. 0, 2 on a config error, 3 when the log is unreadable.
 */
int settle_audit_head(const char *config);

/*
 * `settle audit verify`: re-hashes the whole chain of <paths.audit>/audit.jsonl
 * (and checks every hmac when $SETTLE_AUDIT_KEY_FILE is set), then re-hashes
 * every output file as recorded by the latest entry naming it, and checks
 * the log against the state's anchor (its last entries were not cut off) and
 * for entries recording a gap. Prints one
 * "audit chain OK" line and returns 0, or prints each problem and returns 1;
 * 2 on a usage or config error, 75 while a run holds the lock.
 */
int settle_audit_verify(const char *config);

#endif
