/*
 * phase.c - clocks and the measured phases of a run (wall time and peak
 * memory), which reports carry under "phases" for the benchmarks.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "ctx.h"

double gs__now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int64_t gs__epoch_now(void) {
#ifdef GS_TESTABLE
    const char *e = getenv("GS_TEST_NOW");
    if (e && *e) return (int64_t)strtoll(e, NULL, 10);
#endif
    return (int64_t)time(NULL);
}

void gs__utc_now(char *buf, size_t size) {
    time_t t = time(NULL);
    struct tm tmv;
    gmtime_r(&t, &tmv);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tmv);
}

double gs__peak_rss_mb(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0.0;
    return (double)ru.ru_maxrss / 1024.0; /* Linux reports KiB. */
}

void gs__phase_begin(gs_ctx *ctx) { ctx->phase_t0 = gs__now(); }

void gs__phase_end(gs_ctx *ctx, const char *name) {
    gs__phase *p;
    if (ctx->n_phases >= GS__MAX_PHASES) return;
    p = &ctx->phases[ctx->n_phases++];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->wall_s = gs__now() - ctx->phase_t0;
    p->peak_rss_mb = gs__peak_rss_mb();
}

void gs__phase_note(gs_ctx *ctx, const char *name, double wall_s) {
    gs__phase *p;
    if (ctx->n_phases >= GS__MAX_PHASES) return;
    p = &ctx->phases[ctx->n_phases++];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->wall_s = wall_s;
    p->peak_rss_mb = gs__peak_rss_mb();
}
