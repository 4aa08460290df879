/*
 * main.c - the settle command line (SPEC section 2): picks the verb, parses
 * its options, finds the config, and returns the verb's exit code.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "config.h"
#include "fx.h"
#include "rule_tests.h"
#include "rules.h"
#include "run.h"
#include "state.h"
#include "tax.h"
#include "timefmt.h"
#include "util.h"

static const char usage_main[] =
    "usage: settle <verb> [options]\n"
    "\n"
    "  run      [-c FILE] [--date D | --from D --to D] [--partner ID]... [--dry-run]\n"
    "           [--threads N] [--progress]\n"
    "           take new drops, settle touched periods, write reports and audit\n"
    "  check    [-c FILE]   validate config, FX and tax tables, rule files, run rule tests\n"
    "  status   [-c FILE] [--json]   files, periods and last runs from the state\n"
    "  approve  [-c FILE] --partner ID --period P --reason TEXT   release a statement held by\n"
    "           control totals; you and your reason are recorded\n"
    "  preview  [-c FILE] --partner ID --period P --rules FILE   candidate rules vs the issued\n"
    "           statement, line by line; writes nothing\n"
    "  audit verify [-c FILE]   re-check the audit chain and the hash of every output\n"
    "  audit head [-c FILE]     print the hash of the audit log's last entry\n"
    "  version  print the version\n"
    "\n"
    "Config: -c FILE, else $SETTLE_CONFIG, else ./settle.yaml.\n"
    "Exit codes: 0 clean, 1 settled with exceptions to look at, 2 usage/config/rule error,\n"
    "3 run failed (state unchanged), 75 another run holds the lock.\n"
    "`settle <verb> --help` shows the verb's options.\n";

static const char usage_run[] =
    "usage: settle run [-c FILE] [--date YYYY-MM-DD | --from YYYY-MM-DD --to YYYY-MM-DD]\n"
    "                  [--partner ID]... [--dry-run] [--threads N] [--progress]\n"
    "\n"
    "Takes every new drop in the inbox, settles every period it touches (and every\n"
    "provisional period whose rules or config changed), and writes statements,\n"
    "summaries, exceptions and an audit entry.\n"
    "  --date D         settle (or re-settle) only the periods containing business day D\n"
    "  --from D --to D  settle (or backfill) the periods overlapping D..D\n"
    "  --partner ID     only this partner (repeatable)\n"
    "  --dry-run        compute and print the statements; write nothing\n"
    "  --threads N      threads reading the drops, 1 to 64 (default: settle.threads,\n"
    "                   else the machine's cores); 1 reads on the main thread only.\n"
    "                   The results are the same whatever N.\n"
    "  --progress       show the progress line (file, rows read, rows/s) on stderr even\n"
    "                   when it is not a terminal; on a terminal it is always shown\n";

static const char usage_check[] =
    "usage: settle check [-c FILE]\n"
    "\n"
    "Validates the config, the FX and tax tables and every partner's rule file, then\n"
    "runs the rule tests in rules/tests/ beside the rule files, printing each problem\n"
    "as file:line: message. Writes nothing. Exit 0 when all is well, 2 otherwise.\n";

static const char usage_status[] =
    "usage: settle status [-c FILE] [--json]\n"
    "\n"
    "Shows processed files, rejected rows, statements per partner and period with\n"
    "their status (provisional, final, held) and the last run.\n";

static const char usage_approve[] =
    "usage: settle approve [-c FILE] --partner ID --period P --reason TEXT\n"
    "\n"
    "Releases a statement held because a file's control totals (trailer or manifest)\n"
    "did not match what was read, after you have reviewed it. --reason (required) says\n"
    "why it may be released. The approver is the operating-system account running this\n"
    "command (never $USER); who, when and why are stored in the state, written into\n"
    "the statement the next `settle run` issues, and appended to the audit log. P is\n"
    "the period label as in the reports: 2025-09-22, 2025-W39 or 2025-09.\n";

static const char usage_preview[] =
    "usage: settle preview [-c FILE] --partner ID --period P --rules FILE\n"
    "\n"
    "Settles period P of the partner with the candidate rule file, exactly as a run\n"
    "would, and shows line by line how it differs from the statement issued for P:\n"
    "issued amount, candidate amount, difference; then payable and carry_out. Writes\n"
    "nothing (state, reports and audit log stay as they are). P is the period label as\n"
    "in the reports: 2025-09-22, 2025-W39 or 2025-09.\n"
    "Exit 0 no difference, 1 differences (or nothing issued yet), 2 usage, config, rule\n"
    "or period error, 3 state or report failure.\n";

static const char usage_audit[] =
    "usage: settle audit verify [-c FILE]\n"
    "       settle audit head [-c FILE]\n"
    "\n"
    "verify: re-hashes every entry of <audit>/audit.jsonl and checks the chain (seq and\n"
    "prev) and that it still reaches the head the state recorded at the last append (so\n"
    "cutting entries off the end is caught), then re-hashes every output file as the\n"
    "latest entry naming it recorded it. With $SETTLE_AUDIT_KEY_FILE set, every entry's\n"
    "hmac is checked with that key. Prints \"audit chain OK: ...\" and exits 0, or names\n"
    "each broken line, changed or missing file and exits 1; 2 on a config or key file\n"
    "error, 75 while a run is on.\n"
    "\n"
    "head: prints the hash of the log's last complete entry (64 hex digits; zeros when\n"
    "there is none yet). Store it somewhere settle cannot write (a ticket, another\n"
    "machine); later, `grep` for it in audit.jsonl proves the log still holds that entry.\n"
    "Reads only; exit 0, 2 on a config error, 3 when the log cannot be read.\n";

/* The config path: -c, else $SETTLE_CONFIG, else ./settle.yaml. */
static const char *config_path(const char *given)
{
    if (given)
        return given;
    const char *env = getenv("SETTLE_CONFIG");
    return env && env[0] ? env : "settle.yaml";
}

/* Parses a --date/--from/--to value; prints an error and returns -1 when bad. */
static int parse_day(const char *opt, const char *text, int32_t *day)
{
    if (date_parse(text, strlen(text), day) == 0)
        return 0;
    fprintf(stderr, "settle: %s expects a date YYYY-MM-DD, got '%s'\n", opt, text);
    return -1;
}

/* Parses --threads N (1..64); prints an error and returns -1 when bad. */
static int parse_threads(const char *text, int *out)
{
    char *end;
    long n = strtol(text, &end, 10);
    if (end != text && !*end && n >= 1 && n <= 64) {
        *out = (int)n;
        return 0;
    }
    fprintf(stderr, "settle: --threads expects a whole number from 1 to 64, got '%s'\n", text);
    return -1;
}

enum { OPT_DATE = 256, OPT_FROM, OPT_TO, OPT_PARTNER, OPT_DRY, OPT_JSON, OPT_HELP, OPT_PERIOD,
       OPT_RULES, OPT_REASON, OPT_THREADS, OPT_PROGRESS };

static const struct option long_opts[] = {
    {"config", required_argument, NULL, 'c'}, {"date", required_argument, NULL, OPT_DATE},
    {"from", required_argument, NULL, OPT_FROM}, {"to", required_argument, NULL, OPT_TO},
    {"partner", required_argument, NULL, OPT_PARTNER}, {"dry-run", no_argument, NULL, OPT_DRY},
    {"json", no_argument, NULL, OPT_JSON}, {"help", no_argument, NULL, OPT_HELP},
    {"period", required_argument, NULL, OPT_PERIOD}, {"rules", required_argument, NULL, OPT_RULES},
    {"reason", required_argument, NULL, OPT_REASON},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {NULL, 0, NULL, 0},
};

typedef struct cli {
    const char *config;
    const char *period;
    const char *rules;
    const char *reason;
    run_options run;
    bool json, help, has_date, has_from, has_to;
} cli;

/* Applies one parsed option; -1 on a bad value. */
static int cli_option(cli *c, int opt, const char *arg, int argc)
{
    switch (opt) {
    case 'c': c->config = arg; return 0;
    case OPT_DATE: c->has_date = true; return parse_day("--date", arg, &c->run.from_day);
    case OPT_FROM: c->has_from = true; return parse_day("--from", arg, &c->run.from_day);
    case OPT_TO: c->has_to = true; return parse_day("--to", arg, &c->run.to_day);
    case OPT_PARTNER:
        if (!c->run.partners)
            c->run.partners = xcalloc((size_t)argc, sizeof *c->run.partners);
        c->run.partners[c->run.n_partners++] = arg;
        return 0;
    case OPT_DRY: c->run.dry_run = true; return 0;
    case OPT_PROGRESS: c->run.progress = true; return 0;
    case OPT_JSON: c->json = true; return 0;
    case OPT_PERIOD: c->period = arg; return 0;
    case OPT_RULES: c->rules = arg; return 0;
    case OPT_REASON: c->reason = arg; return 0;
    case OPT_HELP: c->help = true; return 0;
    case OPT_THREADS: return parse_threads(arg, &c->run.threads);
    default: return -1;
    }
}

/* Checks that date options combine sensibly and fills the run range. */
static int cli_range(cli *c)
{
    if (c->has_date && (c->has_from || c->has_to)) {
        fprintf(stderr, "settle: use either --date or --from/--to, not both\n");
        return -1;
    }
    if (c->has_from != c->has_to) {
        fprintf(stderr, "settle: --from and --to go together\n");
        return -1;
    }
    if (c->has_date)
        c->run.to_day = c->run.from_day;
    c->run.has_range = c->has_date || c->has_from;
    if (c->run.has_range && c->run.to_day < c->run.from_day) {
        fprintf(stderr, "settle: --to is before --from\n");
        return -1;
    }
    return 0;
}

/* Parses the options after the verb; -1 on a usage error (message printed). */
static int cli_parse(cli *c, int argc, char **argv, const char *usage)
{
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:h", long_opts, NULL)) != -1) {
        if (opt == 'h')
            opt = OPT_HELP;
        if (cli_option(c, opt, optarg, argc) != 0) {
            fputs(usage, stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "settle: unexpected argument '%s'\n%s", argv[optind], usage);
        return -1;
    }
    return cli_range(c);
}

/* `settle check`: config, FX table and rule files, each error printed. */
int settle_check(const char *path)
{
    settle_config cfg;
    diag d;
    diag_init(&d);
    int bad = config_load(path, &cfg, &d) != 0, passed = 0, failed = 0;
    if (!bad) {
        fx_table *fx;
        tax_table *tax;
        run_load_tables(&cfg, &fx, &tax, &d); /* problems are in d, checked below */
        rules_engine *re = rules_open();
        rules_set_tax(re, tax);
        rules_set_fx(re, fx);
        for (size_t i = 0; i < cfg.n_partners; i++) {
            char sha[65];
            rules_load(re, cfg.partners[i].id, cfg.partners[i].rules, sha, &d);
        }
        rules_close(re);
        if (d.n == 0) /* rule tests only once config, tables and rule files are valid */
            rule_tests_run(&cfg, tax, &d, &passed, &failed);
        tax_free(tax);
        fx_free(fx);
        bad = d.n > 0;
        config_free(&cfg);
    }
    diag_print(&d, stderr);
    if (!bad)
        printf("%d rule tests passed\nsettle check: %s is valid\n", passed, path);
    diag_free(&d);
    return bad ? EXIT_USAGE : EXIT_CLEAN;
}

/* One warning per configured partner whose inbox folder is missing, a link or not a
 * folder; *n set. Caller frees each string and the array. */
static char **status_inbox_warnings(const settle_config *cfg, size_t *n)
{
    char **w = xcalloc(cfg->n_partners ? cfg->n_partners : 1, sizeof *w);
    *n = 0;
    for (size_t i = 0; i < cfg->n_partners; i++) {
        char *dir = path_join(cfg->paths.inbox, cfg->partners[i].id);
        const char *problem = run_inbox_problem(dir);
        if (problem)
            w[(*n)++] = xasprintf("partner %s: inbox folder %s %s", cfg->partners[i].id, dir,
                                  problem);
        free(dir);
    }
    return w;
}

/* `settle status`: reads the state, opened read only; never writes or creates anything.
 * No state yet (nothing has run) is not an error: it says so and exits 0. */
int settle_status(const char *path, bool json)
{
    settle_config cfg;
    if (config_load_printed(path, &cfg) != 0)
        return EXIT_USAGE;
    char err[512];
    size_t n_warn;
    char **warn = status_inbox_warnings(&cfg, &n_warn);
    const char *const *w = (const char *const *)warn;
    state *s = state_open_readonly(cfg.paths.state, err, sizeof err);
    int code = EXIT_FAILED;
    if (!s && !strncmp(err, "no state yet", 12)) {
        if (!json)
            printf("settle status: %s\nNothing has run with this config yet; "
                   "`settle run -c %s` starts it.\n", err, path);
        code = state_status_print(NULL, stdout, json, w, n_warn) == 0 ? EXIT_CLEAN : EXIT_FAILED;
    } else if (!s) {
        fprintf(stderr, "settle: cannot open state: %s\n", err);
    } else if (state_status_print(s, stdout, json, w, n_warn) == 0) {
        code = EXIT_CLEAN;
    } else {
        fprintf(stderr, "settle: status: %s\n", state_error(s));
    }
    for (size_t i = 0; i < n_warn; i++)
        free(warn[i]);
    free(warn);
    state_close(s);
    config_free(&cfg);
    return code;
}

/* True when s holds something other than blanks. */
static bool has_text(const char *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return true;
    return false;
}

/* `settle approve`: needs exactly one --partner, a --period and a non-blank --reason. */
static int cli_approve(const cli *c, const char *cfg)
{
    if (c->run.n_partners != 1 || !c->period) {
        fprintf(stderr, "settle: approve needs --partner ID and --period P\n%s", usage_approve);
        return EXIT_USAGE;
    }
    if (!has_text(c->reason)) {
        fprintf(stderr, "settle: approve needs --reason TEXT: say why the statement may be "
                        "released (it is recorded with your account in the state, the statement "
                        "and the audit log)\n%s", usage_approve);
        return EXIT_USAGE;
    }
    return settle_approve(cfg, c->run.partners[0], c->period, c->reason);
}

/* `settle preview`: exactly one --partner, a --period and --rules. */
static int cli_preview(const cli *c, const char *cfg)
{
    if (c->run.n_partners != 1 || !c->period || !c->rules) {
        fprintf(stderr, "settle: preview needs --partner ID, --period P and --rules FILE\n%s",
                usage_preview);
        return EXIT_USAGE;
    }
    return settle_preview(cfg, c->run.partners[0], c->period, c->rules);
}

/* `settle audit <sub-verb> [-c FILE]`: argv[0] is "audit"; `verify` or `head`. */
static int cli_audit(int argc, char **argv)
{
    const char *sub = argc >= 2 ? argv[1] : "";
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help"))
        return fputs(usage_audit, stdout), EXIT_CLEAN;
    bool head = !strcmp(sub, "head");
    if (strcmp(sub, "verify") != 0 && !head) {
        fprintf(stderr, "settle: audit %s%s\n%s", sub[0] ? "has no sub-verb " : "needs a sub-verb",
                sub, usage_audit);
        return EXIT_USAGE;
    }
    cli c = {0};
    int rc = cli_parse(&c, argc - 1, argv + 1, usage_audit);
    bool extra = c.run.n_partners || c.run.has_range || c.run.dry_run || c.json || c.period ||
                 c.run.threads || c.run.progress;
    free(c.run.partners);
    if (rc == 0 && extra)
        fprintf(stderr, "settle: audit %s takes only -c FILE\n%s", sub, usage_audit);
    if (rc != 0 || extra)
        return EXIT_USAGE;
    if (c.help)
        return fputs(usage_audit, stdout), EXIT_CLEAN;
    if (head)
        return settle_audit_head(config_path(c.config));
    return settle_audit_verify(config_path(c.config));
}

/* Dispatches a verb with its usage text. */
static int run_verb(const char *verb, int argc, char **argv)
{
    if (!strcmp(verb, "audit"))
        return cli_audit(argc, argv);
    static const struct {
        const char *name, *usage;
    } verbs[] = {{"run", usage_run}, {"check", usage_check}, {"status", usage_status},
                 {"approve", usage_approve}, {"preview", usage_preview}};
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        if (strcmp(verb, verbs[i].name) != 0)
            continue;
        cli c = {0};
        int rc = cli_parse(&c, argc, argv, verbs[i].usage);
        const char *cfg = config_path(c.config);
        c.run.config = cfg;
        if (rc != 0)
            rc = EXIT_USAGE;
        else if (c.help)
            rc = (fputs(verbs[i].usage, stdout), EXIT_CLEAN);
        else if (i == 0)
            rc = settle_run(&c.run);
        else if (i == 1)
            rc = settle_check(cfg);
        else if (i == 2)
            rc = settle_status(cfg, c.json);
        else if (i == 3)
            rc = cli_approve(&c, cfg);
        else
            rc = cli_preview(&c, cfg);
        free(c.run.partners);
        return rc;
    }
    fprintf(stderr, "settle: unknown verb '%s'\n%s", verb, usage_main);
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_main, stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(usage_main, stdout);
        return EXIT_CLEAN;
    }
    if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
        printf("settle %s\n", SETTLE_VERSION);
        return EXIT_CLEAN;
    }
    return run_verb(argv[1], argc - 1, argv + 1);
}
