/*
 * testhook.h - hooks for the crash-safety and allocation-failure tests
 * (testhook.c). They exist only in builds configured with GS_TEST_HOOKS
 * (which define GS_TESTABLE); in release builds gs__crash_point compiles
 * to nothing and allocations cannot be made to fail.
 */
#ifndef GS_TESTHOOK_H
#define GS_TESTHOOK_H

#ifdef GS_TESTABLE
/* A named step of a writer (writer.c, ledger.c) where the crash-safety tests
 * kill the process. When the environment variable GS_TEST_KILL_AT is
 * "POINT" or "POINT:N", the process raises SIGKILL the Nth time (default
 * the first) it passes POINT; otherwise this does nothing, at the cost of
 * one string comparison. Timed kills cannot hit every step reliably on a
 * loaded machine; this does. The points are listed in tests/test_crash.py.
 * GS_TEST_PAUSE_AT="POINT:MS" makes the process sleep MS milliseconds the
 * first time it passes POINT (a rival run, or a signal, then arrives at a
 * known step). */
void gs__crash_point(const char *point);
#else
#define gs__crash_point(point) ((void)(point))
#endif

#ifdef GS_TESTABLE
/* Makes the n-th allocation (1-based) through gs__malloc and its siblings
 * (mem.h), counted from this call, fail, and every later one too when
 * `persistent`; n = 0 counts allocations without failing any; n < 0
 * stops counting (the default). Returns how many allocations were counted
 * since the previous call, and in *out_fired (may be NULL) 1 when an
 * armed failure happened. Process-wide; for one test at a time. */
long gs__alloc_fail_after(long n, int persistent, int *out_fired);

/* 1 when the allocation being made should fail (mem.c asks). */
int gs__alloc_should_fail(void);
#endif

#endif /* GS_TESTHOOK_H */
