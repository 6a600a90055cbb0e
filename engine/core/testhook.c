/*
 * testhook.c - test hooks, compiled only with GS_TESTABLE (CMake option
 * GS_TEST_HOOKS, which the test scripts turn on): crash points where the
 * crash-safety tests kill a writer, and allocation-failure injection.
 * Release builds leave this file empty and the hooks out, as SQLite leaves
 * out sqlite3FaultSim under SQLITE_UNTESTABLE: nothing a user sets in the
 * environment can make a release build kill itself or fail allocations.
 */
#define _POSIX_C_SOURCE 200809L
#include "testhook.h"

#ifdef GS_TESTABLE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_once_t kill_once = PTHREAD_ONCE_INIT;
static char kill_point[64];
static long kill_nth;
static atomic_long kill_seen;

/* Reads GS_TEST_KILL_AT once: "POINT" or "POINT:N". */
static void kill_init(void) {
    const char *e = getenv("GS_TEST_KILL_AT");
    const char *colon;
    size_t n;
    if (!e || !*e) return;
    colon = strchr(e, ':');
    n = colon ? (size_t)(colon - e) : strlen(e);
    if (n >= sizeof kill_point) return;
    memcpy(kill_point, e, n);
    kill_point[n] = '\0';
    kill_nth = colon ? strtol(colon + 1, NULL, 10) : 1;
    if (kill_nth < 1) kill_nth = 1;
}

static pthread_once_t pause_once = PTHREAD_ONCE_INIT;
static char pause_point[64];
static long pause_ms;
static atomic_int pause_done;

/* Reads GS_TEST_PAUSE_AT once: "POINT:MS". */
static void pause_init(void) {
    const char *e = getenv("GS_TEST_PAUSE_AT");
    const char *colon = e ? strchr(e, ':') : NULL;
    size_t n;
    if (!colon) return;
    n = (size_t)(colon - e);
    if (n >= sizeof pause_point) return;
    memcpy(pause_point, e, n);
    pause_point[n] = '\0';
    pause_ms = strtol(colon + 1, NULL, 10);
}

void gs__crash_point(const char *point) {
    pthread_once(&kill_once, kill_init);
    pthread_once(&pause_once, pause_init);
    if (pause_point[0] && !strcmp(point, pause_point) &&
        !atomic_exchange(&pause_done, 1)) {
        /* The first time only: long enough for a test to start a rival
         * run or send a signal at a known step. */
        struct timespec ts = {pause_ms / 1000, (pause_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0)
            ;
    }
    if (!kill_point[0] || strcmp(point, kill_point) != 0) return;
    if (atomic_fetch_add(&kill_seen, 1) + 1 >= kill_nth) raise(SIGKILL);
}

/* Failure injection: while `alloc_armed`, every allocation takes a number
 * from `alloc_count`; number `alloc_fail_at` fails, and so does every
 * later one when `alloc_persistent`. Atomics, because readers and analyses
 * allocate from worker threads. */
static atomic_int alloc_armed;
static atomic_long alloc_count;
static atomic_long alloc_fail_at;
static atomic_int alloc_persistent;
static atomic_int alloc_fired;

int gs__alloc_should_fail(void) {
    long k, at;
    if (!atomic_load_explicit(&alloc_armed, memory_order_relaxed)) return 0;
    k = atomic_fetch_add(&alloc_count, 1) + 1;
    at = atomic_load(&alloc_fail_at);
    if (at > 0 && (k == at || (k > at && atomic_load(&alloc_persistent)))) {
        atomic_store(&alloc_fired, 1);
        return 1;
    }
    return 0;
}

long gs__alloc_fail_after(long n, int persistent, int *out_fired) {
    long counted;
    atomic_store(&alloc_armed, 0);
    counted = atomic_exchange(&alloc_count, 0);
    if (out_fired) *out_fired = atomic_load(&alloc_fired);
    atomic_store(&alloc_fired, 0);
    atomic_store(&alloc_fail_at, n > 0 ? n : -1);
    atomic_store(&alloc_persistent, persistent);
    if (n >= 0) atomic_store(&alloc_armed, 1);
    return counted;
}

#else
/* ISO C forbids an empty translation unit. */
typedef int gs__testhook_unused;
#endif /* GS_TESTABLE */
