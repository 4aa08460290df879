/*
 * audit_verify.c - `settle audit verify`: proves that <paths.audit>/audit.jsonl
 * is intact and that the outputs it names are still what the runs wrote.
 *
 * The log is streamed line by line (it grows forever). Each line must end in
 * a newline and in ,"hash":"<SHA-256 of the text before it>"}; with
 * $SETTLE_AUDIT_KEY_FILE set it must also carry ,"hmac":"..." over the text
 * before that (format in audit.h). Each entry's "seq" must follow the last
 * entry's (the first is 1) and its "prev" must equal the last entry's hash
 * (the first is AUDIT_GENESIS). Lines that are not entries at all (torn or
 * blank) are reported and skipped, so one damaged line is one problem.
 *
 * Every entry's "outputs" [{"file","sha256"}] is remembered per file, the
 * latest entry winning (later runs rewrite reports legitimately); memory is
 * bounded by the number of distinct output paths. After the log, each file
 * is hashed again and compared. A relative path in an entry was relative to
 * the run's working folder and starts with the folder of the config path as
 * that run was given it ("config"); it is re-rooted on the folder of the
 * config given now, so verify works from any folder.
 *
 * The entry with the state's anchored seq must carry the anchored hash
 * (audit_head.c), so entries cut off the end are caught; an entry with a
 * "gap" is a problem; a run entry only journalled so far is a note.
 *
 * Results: problems go to stderr as "settle: ..." lines; all well prints one
 * "audit chain OK" line to stdout. Exit 0 all well, 1 any problem (or no
 * log), 2 config or key error, 75 while a run holds the lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <yajl/yajl_tree.h>

#include "audit.h"
#include "config.h"
#include "strmap.h"
#include "util.h"

#define AV_SHOWN_PROBLEMS 10 /* chain problems printed in full; the rest are counted */
#define AV_MAX_DEPTH 32      /* deepest nesting parsed; settle writes 3 */

/* The latest record of one output file. */
typedef struct av_output {
    char *shown;        /* owned; the path as checked and printed */
    char sha[65];       /* recorded SHA-256 hex, or what the run wrote instead */
    long long run_id;   /* run of the recording entry, -1 when it has none */
    long line;          /* line of the recording entry */
} av_output;

typedef struct verifier {
    const settle_config *cfg;  /* borrowed */
    const char *log;           /* borrowed; the log path, for messages */
    char *cwd;                 /* owned; base of relative paths */
    const char *key;           /* borrowed; NULL without $SETTLE_AUDIT_KEY_FILE */
    size_t klen;
    long line;                 /* number of the line being checked */
    long entries;              /* lines that are entries (have a hash) */
    long long last_seq;        /* seq of the last entry, 0 before the first */
    long last_line;            /* its line number */
    char last_hash[65];        /* its hash, AUDIT_GENESIS before the first */
    long problems;             /* chain problems found */
    long first_problem;        /* line of the first one */
    long unchecked_hmac;       /* entries with an hmac while no key is set */
    bool anchored;             /* the state has an anchor */
    audit_head anchor;         /* the log's head as the state last recorded it */
    char anchor_seen[65];      /* hash of the entry with the anchored seq, "" if none */
    char *pending;             /* owned; fields of a run entry only journalled so far, or NULL */
    strmap *paths;             /* normalised output path -> index into outs */
    av_output *outs;           /* owned array */
    size_t n_outs, cap_outs;
} verifier;

/* Reports one chain problem of the current line; prints the first few. */
__attribute__((format(printf, 3, 4)))
static void av_problem(verifier *v, long long seq, const char *fmt, ...)
{
    if (v->problems++ == 0)
        v->first_problem = v->line;
    if (v->problems > AV_SHOWN_PROBLEMS)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (seq > 0)
        fprintf(stderr, "settle: %s line %ld (seq %lld): %s\n", v->log, v->line, seq, msg);
    else
        fprintf(stderr, "settle: %s line %ld: %s\n", v->log, v->line, msg);
}

/* The seq a line claims in its text (0 when it does not start like an entry). */
static long long av_text_seq(const char *line)
{
    return strncmp(line, "{\"seq\":", 7) == 0 ? atoll(line + 7) : 0;
}

/* Checks the entry's hmac over its signed text; false (problem reported) when bad. */
static bool av_check_hmac(verifier *v, const char *line, size_t hashed, long long seq)
{
    size_t signed_len;
    char hmac[65], want[65];
    bool has = audit_split_hmac(line, hashed, &signed_len, hmac);
    if (!v->key) {
        v->unchecked_hmac += has;
        return true;
    }
    if (!has) {
        av_problem(v, seq, "entry has no hmac, but $%s is set (written without the key, or "
                   "rewritten by someone who lacked it)", AUDIT_KEY_ENV);
        return false;
    }
    audit_hmac_hex(v->key, v->klen, line, signed_len, want);
    if (CRYPTO_memcmp(hmac, want, 64) != 0) {
        av_problem(v, seq, "hmac does not match (the entry was rewritten, or the key in $%s "
                   "is not the one it was signed with)", AUDIT_KEY_ENV);
        return false;
    }
    return true;
}

/* Checks the entry's hash over text[0..hashed) and its hmac. False (reported) when bad. */
static bool av_check_self(verifier *v, const char *line, size_t hashed, const char *hash)
{
    long long seq = av_text_seq(line);
    unsigned char d[32];
    char have[65];
    sha256_mem(line, hashed, d);
    sha256_hex(d, have);
    if (strcmp(have, hash) != 0) {
        av_problem(v, seq, "hash does not match its content (the entry was edited)");
        return false;
    }
    return av_check_hmac(v, line, hashed, seq);
}

/* Checks seq and prev against the last entry. False (reported) when broken. */
static bool av_check_link(verifier *v, yajl_val entry)
{
    const char *seq_path[] = {"seq", NULL}, *prev_path[] = {"prev", NULL};
    yajl_val s = yajl_tree_get(entry, seq_path, yajl_t_number);
    const char *prev = YAJL_GET_STRING(yajl_tree_get(entry, prev_path, yajl_t_string));
    long long seq = s && YAJL_IS_INTEGER(s) ? YAJL_GET_INTEGER(s) : 0;
    bool first = v->last_seq == 0;
    if (seq <= 0 || !prev)
        av_problem(v, 0, "entry has no valid \"seq\" or \"prev\"");
    else if (seq != v->last_seq + 1 && first)
        av_problem(v, seq, "the first entry must be seq 1 (entries before it were removed)");
    else if (seq != v->last_seq + 1)
        av_problem(v, seq, "seq does not follow seq %lld of line %ld (an entry was removed, "
                   "repeated or moved)", v->last_seq, v->last_line);
    else if (strcmp(prev, v->last_hash) != 0 && first)
        av_problem(v, seq, "prev is not the genesis value (entries before it were removed)");
    else if (strcmp(prev, v->last_hash) != 0)
        av_problem(v, seq, "prev does not match line %ld (an entry was removed, replaced or "
                   "rewritten)", v->last_line);
    else
        return true;
    return false;
}

/*
 * Makes `path` absolute (on v->cwd) and folds "." and ".." lexically, so
 * two spellings of one file share a record. Caller owns the result.
 */
static char *av_normal(const verifier *v, const char *path)
{
    char *full = path[0] == '/' ? xstrdup(path) : path_join(v->cwd, path);
    sbuf out;
    sbuf_init(&out);
    for (char *save = NULL, *seg = strtok_r(full, "/", &save); seg;
         seg = strtok_r(NULL, "/", &save)) {
        if (!strcmp(seg, "."))
            continue;
        if (!strcmp(seg, "..")) {
            while (out.len > 0 && out.buf[--out.len] != '/')
                ;
            continue;
        }
        sbuf_addc(&out, '/');
        sbuf_adds(&out, seg);
    }
    if (out.len == 0)
        sbuf_addc(&out, '/');
    out.buf[out.len] = 0;
    free(full);
    return sbuf_take(&out);
}

/*
 * Where a recorded output is now: absolute paths as they are; a relative one
 * re-rooted from the recording run's config folder onto today's. Caller owns
 * the result; a leading "./" is dropped so messages read naturally.
 */
static char *av_resolve(const verifier *v, const char *config, const char *file)
{
    if (file[0] == '/' || !config)
        return xstrdup(file);
    char *dir = path_dir(config);
    size_t n = strlen(dir);
    const char *rest = file;
    if (strncmp(file, dir, n) == 0 && file[n] == '/')
        rest = file + n + 1;
    else if (strcmp(dir, ".") != 0)
        rest = NULL;
    free(dir);
    char *p = rest ? path_join(v->cfg->dir, rest) : xstrdup(file);
    if (strncmp(p, "./", 2) == 0)
        memmove(p, p + 2, strlen(p + 2) + 1);
    return p;
}

/* Records (or replaces) the latest hash of one output path. */
static void av_record(verifier *v, const char *shown, const char *sha, long long run_id)
{
    char *key = av_normal(v, shown);
    uint32_t id = strmap_intern(v->paths, key, strlen(key));
    free(key);
    if (id == v->n_outs) {
        if (v->n_outs == v->cap_outs) {
            v->cap_outs = v->cap_outs ? v->cap_outs * 2 : 64;
            v->outs = xrealloc(v->outs, v->cap_outs * sizeof *v->outs);
        }
        v->outs[v->n_outs++] = (av_output){0};
    }
    av_output *o = &v->outs[id];
    free(o->shown);
    o->shown = xstrdup(shown);
    snprintf(o->sha, sizeof o->sha, "%s", strlen(sha) <= 64 ? sha : "(not a SHA-256)");
    o->run_id = run_id;
    o->line = v->line;
}

/* Remembers every {"file","sha256"} of the entry's "outputs" array. */
static void av_collect(verifier *v, yajl_val entry)
{
    const char *out_path[] = {"outputs", NULL}, *run_path[] = {"run_id", NULL};
    const char *cfg_path[] = {"config", NULL}, *file_path[] = {"file", NULL};
    const char *sha_path[] = {"sha256", NULL};
    yajl_val outs = yajl_tree_get(entry, out_path, yajl_t_array);
    yajl_val run = yajl_tree_get(entry, run_path, yajl_t_number);
    yajl_val cfg = yajl_tree_get(entry, cfg_path, yajl_t_string);
    long long run_id = run && YAJL_IS_INTEGER(run) ? YAJL_GET_INTEGER(run) : -1;
    for (size_t i = 0; outs && i < YAJL_GET_ARRAY(outs)->len; i++) {
        yajl_val o = YAJL_GET_ARRAY(outs)->values[i];
        yajl_val f = yajl_tree_get(o, file_path, yajl_t_string);
        yajl_val s = yajl_tree_get(o, sha_path, yajl_t_string);
        if (!f || !s)
            continue;
        char *shown = av_resolve(v, cfg ? YAJL_GET_STRING(cfg) : NULL, YAJL_GET_STRING(f));
        av_record(v, shown, YAJL_GET_STRING(s), run_id);
        free(shown);
    }
}

/*
 * Checks that a line can be an entry at all: ended by a newline, not blank,
 * no NUL, ends in a hash. Fills *hashed and hash. False (reported) when not.
 */
static bool av_is_entry(verifier *v, const char *line, size_t n, bool ended, size_t *hashed,
                        char hash[65])
{
    if (!ended)
        av_problem(v, av_text_seq(line), "truncated: the log ends without a newline (an "
                   "append was cut short, e.g. by a crash)");
    else if (n == 0)
        av_problem(v, 0, "blank line (settle never writes one)");
    else if (memchr(line, '\0', n))
        av_problem(v, 0, "contains a NUL byte (the file was damaged)");
    else if (!audit_split_hash(line, n, hashed, hash))
        av_problem(v, av_text_seq(line), "not a complete entry: it does not end in a \"hash\" "
                   "(a torn append, or the line was edited)");
    else
        return true;
    return false;
}

/*
 * True when the JSON text nests at most AV_MAX_DEPTH deep (outside strings),
 * so an edited line cannot exhaust the stack of the tree parser.
 */
static bool av_depth_ok(const char *s, size_t n)
{
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str && c == '\\')
            i++;
        else if (c == '"')
            in_str = !in_str;
        else if (!in_str && (c == '{' || c == '['))
            depth++;
        else if (!in_str && (c == '}' || c == ']'))
            depth--;
        if (depth > AV_MAX_DEPTH)
            return false;
    }
    return true;
}

/* An entry that recorded a gap (audit_append_anchored) is reported; a previous log is noted. */
static void av_check_gap(verifier *v, yajl_val entry, long long seq)
{
    const char *gap_path[] = {"gap", NULL}, *seq_path[] = {"anchored_seq", NULL};
    const char *log_path[] = {"log_seq", NULL}, *prev_path[] = {"previous_log", "seq", NULL};
    bool obj = YAJL_IS_OBJECT(entry);
    yajl_val gap = obj ? yajl_tree_get(entry, gap_path, yajl_t_object) : NULL;
    yajl_val old = obj ? yajl_tree_get(entry, prev_path, yajl_t_number) : NULL;
    if (old && YAJL_IS_INTEGER(old))
        fprintf(stderr, "settle: note: %s line %ld starts a new log; the previous one ended at "
                "entry %lld (keep it with its entries)\n", v->log, v->line, YAJL_GET_INTEGER(old));
    if (!gap)
        return;
    yajl_val a = yajl_tree_get(gap, seq_path, yajl_t_number);
    yajl_val l = yajl_tree_get(gap, log_path, yajl_t_number);
    av_problem(v, seq, "written after entries were removed: the state had recorded entry %lld, "
               "but the log ended at entry %lld",
               a && YAJL_IS_INTEGER(a) ? YAJL_GET_INTEGER(a) : 0LL,
               l && YAJL_IS_INTEGER(l) ? YAJL_GET_INTEGER(l) : 0LL);
}

/*
 * Checks one line of the log (text without its newline, NUL-terminated;
 * `ended` false when the file ended before a newline) and takes in its
 * outputs. A line that is not an entry is skipped for the chain, so the next
 * entry is compared with the last real one.
 */
static void av_line(verifier *v, const char *line, size_t n, bool ended)
{
    char hash[65], err[256];
    size_t hashed;
    if (!av_is_entry(v, line, n, ended, &hashed, hash))
        return;
    v->entries++;
    bool ok = av_check_self(v, line, hashed, hash);
    snprintf(err, sizeof err, "nested over %d deep", AV_MAX_DEPTH);
    yajl_val entry = av_depth_ok(line, n) ? yajl_tree_parse(line, err, sizeof err) : NULL;
    for (char *c = err; *c; c++)
        *c = *c == '\n' ? ' ' : *c;
    if (!YAJL_IS_OBJECT(entry) && ok)
        av_problem(v, av_text_seq(line), "not a JSON object (%s)", err);
    else if (ok)
        av_check_link(v, entry);
    if (YAJL_IS_OBJECT(entry))
        av_collect(v, entry);
    av_check_gap(v, entry, av_text_seq(line));
    yajl_tree_free(entry);
    v->last_seq = ok ? av_text_seq(line) : v->last_seq + 1; /* an edited seq is not trusted */
    v->last_line = v->line;
    memcpy(v->last_hash, hash, sizeof v->last_hash);
    if (v->anchored && v->last_seq == v->anchor.seq)
        memcpy(v->anchor_seen, hash, sizeof v->anchor_seen);
}

/* Streams the log through av_line. 0, or -1 on a read error (printed). */
static int av_read_log(verifier *v, FILE *f)
{
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n;
    errno = 0;
    while ((n = getline(&buf, &cap, f)) > 0) {
        v->line++;
        bool ended = buf[n - 1] == '\n';
        if (ended)
            buf[--n] = 0;
        av_line(v, buf, (size_t)n, ended);
    }
    int bad = ferror(f);
    if (bad)
        fprintf(stderr, "settle: cannot read %s: %s\n", v->log, strerror(errno));
    free(buf);
    return bad ? -1 : 0;
}

/* Re-hashes one output against its record. True when it matches (else printed). */
static bool av_check_output(const av_output *o)
{
    char who[40], now[65];
    unsigned char d[32];
    if (o->run_id >= 0)
        snprintf(who, sizeof who, "run %lld", o->run_id);
    else
        snprintf(who, sizeof who, "the entry");
    if (strlen(o->sha) != 64 || strspn(o->sha, "0123456789abcdef") != 64)
        return fprintf(stderr, "settle: %s: cannot be verified: %s recorded no hash for it "
                       "(audit line %ld: \"%s\")\n", o->shown, who, o->line, o->sha), false;
    if (sha256_file(o->shown, d) != 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR)
            fprintf(stderr, "settle: %s: missing (written by %s, audit line %ld)\n", o->shown,
                    who, o->line);
        else
            fprintf(stderr, "settle: %s: cannot read: %s\n", o->shown, strerror(e));
        return false;
    }
    sha256_hex(d, now);
    if (strcmp(now, o->sha) != 0)
        return fprintf(stderr, "settle: %s: changed since %s (audit line %ld; sha256 now %s, "
                       "recorded %s)\n", o->shown, who, o->line, now, o->sha), false;
    return true;
}

/* Re-hashes every recorded output; returns how many failed. */
static size_t av_check_outputs(const verifier *v)
{
    size_t bad = 0;
    for (size_t i = 0; i < v->n_outs; i++)
        bad += !av_check_output(&v->outs[i]);
    return bad;
}

/*
 * Holds <state>/settle.lock shared while verifying, so no run rewrites a
 * report or appends mid-check. Returns 0 (*fd = the lock, or -1 when there is
 * no lock file to take: nothing has run, or it is not readable to us), or
 * EXIT_LOCKED (printed) while a run holds it.
 */
static int av_lock(const settle_config *cfg, int *fd)
{
    char *path = path_join(cfg->paths.state, "settle.lock");
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (*fd < 0 || flock(*fd, LOCK_SH | LOCK_NB) == 0)
        return 0;
    fprintf(stderr, "settle: a run is in progress (it holds %s/settle.lock); verify again when "
            "it ends\n", cfg->paths.state);
    close(*fd);
    *fd = -1;
    return EXIT_LOCKED;
}

/* Opens the log for reading; NULL (printed) when it is missing or unreadable. */
static FILE *av_open_log(const char *log)
{
    FILE *f = fopen(log, "r");
    if (!f && errno == ENOENT)
        fprintf(stderr, "settle: no audit log at %s: nothing has been audited there (wrong -c "
                "config, or the log was removed)\n", log);
    else if (!f)
        fprintf(stderr, "settle: cannot open the audit log %s: %s\n", log, strerror(errno));
    return f;
}

/* Prints the one-line verdict; returns the exit code. */
static int av_verdict(const verifier *v, size_t bad_outputs)
{
    if (v->unchecked_hmac)
        fprintf(stderr, "settle: note: %ld entries carry an hmac that was not checked (set $%s "
                "to the key file to check them)\n", v->unchecked_hmac, AUDIT_KEY_ENV);
    if (v->line == 0)
        fprintf(stderr, "settle: %s is empty: no entries to verify (was it truncated?)\n",
                v->log);
    if (v->problems == 0 && bad_outputs == 0 && v->line > 0) {
        printf("audit chain OK: %ld entries, %zu outputs verified%s%s\n", v->entries, v->n_outs,
               v->key ? ", hmac checked" : "",
               v->anchored ? ", head matches the state" : "");
        return EXIT_CLEAN;
    }
    if (v->problems > AV_SHOWN_PROBLEMS)
        fprintf(stderr, "settle: ... and %ld more broken lines\n",
                v->problems - AV_SHOWN_PROBLEMS);
    fprintf(stderr, "settle: audit chain FAILED: %ld of %ld lines broken", v->problems, v->line);
    if (v->problems)
        fprintf(stderr, " (the first is line %ld)", v->first_problem);
    fprintf(stderr, "; %zu of %zu outputs changed, missing or unverifiable\n", bad_outputs,
            v->n_outs);
    return EXIT_ATTENTION;
}

/*
 * Reads the state's anchor (none when there is no state yet) and notes a run
 * whose entry the next run still has to append. Read only; a state that
 * cannot be read is a problem (printed).
 */
static void av_anchor_load(verifier *v)
{
    char err[512];
    int64_t run_id = 0;
    if (audit_anchor_read(v->cfg->paths.state, &v->anchor, &v->anchored, &run_id, &v->pending,
                          err, sizeof err) != 0) {
        fprintf(stderr, "settle: cannot read the state to check the log's head: %s\n", err);
        v->problems++;
    } else if (run_id) {
        fprintf(stderr, "settle: note: run %lld is recorded in the state but its audit entry is "
                "not written yet (the next settle run writes it); its outputs are checked "
                "against the state's copy of the entry\n", (long long)run_id);
    }
}

/* Takes in the outputs of the journalled entry (it is newer than every line of the log). */
static void av_collect_pending(verifier *v)
{
    char err[128];
    yajl_val entry = v->pending && av_depth_ok(v->pending, strlen(v->pending))
                         ? yajl_tree_parse(v->pending, err, sizeof err) : NULL;
    v->line = 0; /* "audit line 0": the state's journal, not the log */
    if (YAJL_IS_OBJECT(entry))
        av_collect(v, entry);
    yajl_tree_free(entry);
}

/* Compares the log with the state's anchor after reading it; a mismatch is a problem. */
static void av_check_anchor(verifier *v)
{
    if (!v->anchored)
        return;
    const char *why = NULL;
    if (v->last_seq < v->anchor.seq)
        why = "entries were cut off the end of the log (or it was replaced by an older copy)";
    else if (strcmp(v->anchor_seen, v->anchor.hash) != 0)
        why = "that entry is not the one the state recorded (the log was replaced or rewritten)";
    if (!why)
        return;
    if (v->problems++ == 0)
        v->first_problem = v->line;
    fprintf(stderr, "settle: %s: the state recorded entry %lld (hash %s) as the log's head, "
            "the log ends at entry %lld: %s\n", v->log, v->anchor.seq, v->anchor.hash,
            v->last_seq, why);
}

/* Loads the config and the optional key; prints why not. 0 or EXIT_USAGE. */
static int av_setup(const char *config, settle_config *cfg, char **key, size_t *klen)
{
    if (config_load_printed(config, cfg) != 0)
        return EXIT_USAGE;
    char err[400];
    if (audit_key_load(key, klen, err, sizeof err) >= 0)
        return 0;
    fprintf(stderr, "settle: %s\n", err);
    config_free(cfg);
    return EXIT_USAGE;
}

/* Verifies an opened log and its outputs; returns the exit code. */
static int av_run(verifier *v, FILE *f)
{
    char *cwd = getcwd(NULL, 0);
    v->cwd = cwd ? xstrdup(cwd) : xstrdup("/");
    free(cwd);
    snprintf(v->last_hash, sizeof v->last_hash, "%s", AUDIT_GENESIS);
    v->paths = strmap_new();
    av_anchor_load(v);
    int code = EXIT_ATTENTION;
    if (av_read_log(v, f) == 0) {
        av_check_anchor(v);
        long lines = v->line;
        av_collect_pending(v);
        v->line = lines;
        code = av_verdict(v, av_check_outputs(v));
    }
    for (size_t i = 0; i < v->n_outs; i++)
        free(v->outs[i].shown);
    free(v->outs);
    strmap_free(v->paths);
    free(v->pending);
    free(v->cwd);
    return code;
}

int settle_audit_verify(const char *config)
{
    settle_config cfg;
    char *key = NULL;
    size_t klen = 0;
    if (av_setup(config, &cfg, &key, &klen) != 0)
        return EXIT_USAGE;
    char *log = path_join(cfg.paths.audit, AUDIT_LOG_NAME);
    if (strncmp(log, "./", 2) == 0)
        memmove(log, log + 2, strlen(log + 2) + 1);
    int lock_fd = -1, code = av_lock(&cfg, &lock_fd);
    FILE *f = code ? NULL : av_open_log(log);
    if (!code && !f)
        code = EXIT_ATTENTION;
    if (f) {
        verifier v = {.cfg = &cfg, .log = log, .key = key, .klen = klen};
        code = av_run(&v, f);
        fclose(f);
    }
    if (lock_fd >= 0)
        close(lock_fd);
    if (key)
        OPENSSL_cleanse(key, klen);
    free(key);
    free(log);
    config_free(&cfg);
    return code;
}
