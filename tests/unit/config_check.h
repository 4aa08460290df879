/*
 * config_check.h - what the config unit tests share: a fixture file in a
 * mkdtemp folder (config_check_begin / _end) and EXPECT_ERROR, which loads a
 * fixture and wants a failed load, a message with the exact file:line:col
 * prefix and a fragment, and the config left zeroed. Include after check.h.
 */
#ifndef SETTLE_CONFIG_CHECK_H
#define SETTLE_CONFIG_CHECK_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char tmpdir[64];
static char cfgpath[128];
static char msgprefix[160];

/* Writes `yaml` as the fixture file; exits on I/O failure (test set-up). */
static void write_fixture(const char *yaml)
{
    FILE *f = fopen(cfgpath, "w");
    if (!f || fputs(yaml, f) < 0 || fclose(f) != 0) {
        perror(cfgpath);
        exit(2);
    }
}

/* True when every byte of `cfg` is zero (a failed load must leave it so). */
static int is_zeroed(const settle_config *cfg)
{
    const unsigned char *p = (const unsigned char *)cfg;
    for (size_t i = 0; i < sizeof *cfg; i++)
        if (p[i])
            return 0;
    return 1;
}

/* Loads `yaml`; expects failure with a message "<file>:<line>:<col>: ...<frag>...". */
static void expect_error(int srcline, const char *yaml, int line, int col, const char *frag)
{
    settle_config cfg;
    diag d;
    diag_init(&d);
    write_fixture(yaml);
    int rc = config_load(cfgpath, &cfg, &d);
    snprintf(msgprefix, sizeof msgprefix, "%s:%d:%d: ", cfgpath, line, col);
    int found = 0;
    for (size_t i = 0; i < d.n; i++)
        if (!strncmp(d.msgs[i], msgprefix, strlen(msgprefix)) && strstr(d.msgs[i], frag))
            found = 1;
    if (!found || rc != -1) {
        fprintf(stderr, "test line %d: wanted %s...%s; got:\n", srcline, msgprefix, frag);
        diag_print(&d, stderr);
    }
    CHECK_EQ_INT(rc, -1);
    CHECK(found);
    CHECK(is_zeroed(&cfg));
    diag_free(&d);
}

#define EXPECT_ERROR(yaml, line, col, frag) expect_error(__LINE__, yaml, line, col, frag)

/* Makes the fixture folder; exits when it cannot (test set-up). */
static void config_check_begin(void)
{
    strcpy(tmpdir, "/tmp/settle-config-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        exit(2);
    }
    snprintf(cfgpath, sizeof cfgpath, "%s/settle.yaml", tmpdir);
}

/* Removes the fixture and its folder. */
static void config_check_end(void)
{
    unlink(cfgpath);
    rmdir(tmpdir);
}

#endif
