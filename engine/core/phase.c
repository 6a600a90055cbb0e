/*
 * phase.c - clocks and the measured phases of a run (wall time, CPU time
 * and peak memory), with the steps of each, which reports carry under
 * "phases" for the benchmarks and for a user asking where the time went.
 *
 * CPU time is the process's (every thread's), so a phase that keeps both
 * cores busy shows about twice its wall time; peak memory is the process's
 * peak so far (the kernel keeps no per-phase peak without resetting the
 * one `time` reports).
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

double gs__cpu_now(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0.0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

double gs__thread_cpu(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0.0;
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void gs__phase_begin(gs_ctx *ctx) {
    ctx->phase_t0 = ctx->step_t0 = gs__now();
    ctx->phase_cpu0 = ctx->step_cpu0 = gs__cpu_now();
    ctx->phase_step0 = ctx->n_steps;
}

void gs__phase_end(gs_ctx *ctx, const char *name) {
    gs__phase *p;
    if (ctx->n_phases >= GS__MAX_PHASES) return;
    p = &ctx->phases[ctx->n_phases++];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->wall_s = gs__now() - ctx->phase_t0;
    p->cpu_s = gs__cpu_now() - ctx->phase_cpu0;
    p->peak_rss_mb = gs__peak_rss_mb();
    p->first_step = ctx->phase_step0;
    p->n_steps = ctx->n_steps - ctx->phase_step0;
    ctx->phase_step0 = ctx->n_steps;
}

static gs__step *new_step(gs_ctx *ctx, const char *name) {
    gs__step *s;
    if (ctx->n_steps >= GS__MAX_STEPS) return NULL;
    s = &ctx->steps[ctx->n_steps++];
    snprintf(s->name, sizeof s->name, "%s", name);
    s->peak_rss_mb = gs__peak_rss_mb();
    return s;
}

void gs__phase_step(gs_ctx *ctx, const char *name) {
    double t = gs__now(), cpu = gs__cpu_now();
    gs__step *s = new_step(ctx, name);
    if (s) {
        s->wall_s = t - ctx->step_t0;
        s->cpu_s = cpu - ctx->step_cpu0;
        s->thread = 0;
    }
    ctx->step_t0 = t;
    ctx->step_cpu0 = cpu;
}

void gs__phase_step_thread(gs_ctx *ctx, const char *name, double wall_s,
                           double cpu_s) {
    gs__step *s = new_step(ctx, name);
    if (!s) return;
    s->wall_s = wall_s;
    s->cpu_s = cpu_s;
    s->thread = 1;
}

void gs__phase_note(gs_ctx *ctx, const char *name, double wall_s) {
    gs__phase *p;
    if (ctx->n_phases >= GS__MAX_PHASES) return;
    p = &ctx->phases[ctx->n_phases++];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->wall_s = wall_s;
    p->cpu_s = 0;
    p->peak_rss_mb = gs__peak_rss_mb();
    p->first_step = p->n_steps = 0;
}
