/*
 * harness.h - the tiny in-repo test harness (after H3's).
 *
 * A test file defines test functions with TEST(name) { ... } and a main that
 * calls RUN(name) for each, then returns HARNESS_END(). CHECK(cond) records a
 * failure with file and line and carries on; REQUIRE(cond) also leaves the
 * current test. The last line printed is "N passed, N failed", which ctest
 * and CI read; the exit status is non-zero when anything failed.
 */
#ifndef GS_TEST_HARNESS_H
#define GS_TEST_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int harness_passed;
static int harness_failed;
static int harness_cur_failed;

#define TEST(name) static void test_##name(void)

#define RUN(name)                       \
    do {                                \
        harness_cur_failed = 0;         \
        test_##name();                  \
        if (harness_cur_failed) {       \
            harness_failed++;           \
            printf("FAIL %s\n", #name); \
        } else {                        \
            harness_passed++;           \
            printf("ok   %s\n", #name); \
        }                               \
    } while (0)

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            printf("  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
            harness_cur_failed = 1;                                           \
        }                                                                     \
    } while (0)

#define REQUIRE(cond)                                                   \
    do {                                                                \
        if (!(cond)) {                                                  \
            printf("  %s:%d: REQUIRE(%s) failed\n", __FILE__, __LINE__, \
                   #cond);                                              \
            harness_cur_failed = 1;                                     \
            return;                                                     \
        }                                                               \
    } while (0)

/* Compares two doubles within an absolute tolerance and prints both. */
#define CHECK_NEAR(a, b, tol)                                               \
    do {                                                                    \
        double harness_a = (a), harness_b = (b);                            \
        if (!(fabs(harness_a - harness_b) <= (tol))) {                      \
            printf("  %s:%d: CHECK_NEAR(%s, %s): %.9g vs %.9g\n", __FILE__, \
                   __LINE__, #a, #b, harness_a, harness_b);                 \
            harness_cur_failed = 1;                                         \
        }                                                                   \
    } while (0)

#define CHECK_STR(a, b)                                                        \
    do {                                                                       \
        const char *harness_s = (a), *harness_t = (b);                         \
        if (!harness_s || !harness_t || strcmp(harness_s, harness_t)) {        \
            printf("  %s:%d: CHECK_STR(%s, %s): \"%s\" vs \"%s\"\n", __FILE__, \
                   __LINE__, #a, #b, harness_s ? harness_s : "(null)",         \
                   harness_t ? harness_t : "(null)");                          \
            harness_cur_failed = 1;                                            \
        }                                                                      \
    } while (0)

#define HARNESS_END()                                                  \
    (printf("%d passed, %d failed\n", harness_passed, harness_failed), \
     harness_failed ? 1 : 0)

#endif
