/*
 * rule_tests_int.h - private to rule_tests.c (finding and running test files)
 * and rule_tests_read.c (reading one case's params, p and expectations from
 * its YAML nodes). Ownership: a case owns its rule path, params, statement
 * and expected lines (rt_case_free); strings borrowed from the node tree
 * live as long as the file's tree.
 */
#ifndef SETTLE_RULE_TESTS_INT_H
#define SETTLE_RULE_TESTS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "config_yaml.h"
#include "rules.h"
#include "statement.h"
#include "tax.h"

#define RT_MAX_FILE ((size_t)4 << 20) /* bytes of one test file */
#define RT_PARTNER "rule-test"        /* engine id the cases' rule files load under */
#define RT_MAX_FOLDERS 256

/* How the keys of a breakdown are checked. */
enum { RT_KEYS_ANY, RT_KEYS_CURRENCY, RT_KEYS_DAY };

/* One whole rule_tests_run. */
typedef struct rt_run {
    rules_engine *re;
    const tax_table *tax; /* the config's; borrowed, may be NULL */
    diag *d;
    int passed, failed;
} rt_run;

/* One test file being read and run. */
typedef struct rt_file {
    rt_run *run;
    cfg_ctx c;                /* queue of this file's messages */
    const char *path;         /* the test file */
    const char *rules_dir;    /* folder `rule:` names are relative to */
    char *default_rule;       /* owned; "<file stem>.lua" */
    const cfg_node *defaults; /* the defaults mapping, or NULL */
} rt_file;

/* One expected statement line. */
typedef struct rt_line {
    const char *label; /* borrowed from the node tree */
    int64_t amount;
} rt_line;

/* One case, as read from its node. */
typedef struct rt_case {
    const cfg_node *node;
    const char *name;    /* borrowed from the node tree */
    char *rule;          /* owned; resolved path of the rule file */
    param params;        /* owned PARAM_MAP */
    statement st;        /* owned; st.agg built from p */
    const char *error;   /* expected error fragment (borrowed), or NULL */
    rt_line *lines;      /* owned array of the expected lines */
    size_t n_lines;
    bool check_lines, check_payable, check_carry;
    int64_t payable, carry_out;
    bool failed;
} rt_case;

/* rule_tests_read.c: reports keys of a p mapping that are unknown or computed. */
void rt_check_p_keys(cfg_ctx *c, const cfg_node *p, const char *sect);
/* rule_tests_read.c: the case's params: defaults.params, then its own on top. */
void rt_params(rt_file *f, const cfg_node *kase, rt_case *k);
/* rule_tests_read.c: the case's aggregates (k->st.agg) from defaults.p and its p. */
void rt_agg(rt_file *f, const cfg_node *kase, rt_case *k);
/* rule_tests_read.c: the case's expectations (lines, payable, carry_out or error). */
void rt_expect(rt_file *f, const cfg_node *kase, rt_case *k);

#endif
