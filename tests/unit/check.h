/*
 * check.h - the unit-test harness: CHECK(cond) and friends count passes and
 * failures; check_done() prints "N passed, N failed" and returns the exit code.
 * Each failure prints file:line and the expression, so a red run says where.
 */
#ifndef SETTLE_CHECK_H
#define SETTLE_CHECK_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond) {                                                                  \
            check_passed++;                                                          \
        } else {                                                                     \
            check_failed++;                                                          \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);          \
        }                                                                            \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                           \
    do {                                                                             \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);              \
        if (check_a_ == check_b_) {                                                  \
            check_passed++;                                                          \
        } else {                                                                     \
            check_failed++;                                                          \
            fprintf(stderr, "FAIL %s:%d: %s == %s (%lld != %lld)\n", __FILE__,       \
                    __LINE__, #a, #b, check_a_, check_b_);                           \
        }                                                                            \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                           \
    do {                                                                             \
        const char *check_a_ = (a), *check_b_ = (b);                                 \
        if (check_a_ && check_b_ && strcmp(check_a_, check_b_) == 0) {               \
            check_passed++;                                                          \
        } else {                                                                     \
            check_failed++;                                                          \
            fprintf(stderr, "FAIL %s:%d: %s == %s (\"%s\" != \"%s\")\n", __FILE__,   \
                    __LINE__, #a, #b, check_a_ ? check_a_ : "(null)",                \
                    check_b_ ? check_b_ : "(null)");                                 \
        }                                                                            \
    } while (0)

/* True when `s` contains `sub`; prints `s` when not, so a red run shows why. */
static inline bool check_has(const char *s, const char *sub)
{
    if (s && strstr(s, sub))
        return true;
    fprintf(stderr, "  expected \"%s\" in: %s\n", sub, s ? s : "(null)");
    return false;
}

static inline int check_done(void)
{
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif
