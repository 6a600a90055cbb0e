/*
 * pool.h - running one job per worker thread (pool.c).
 *
 * Every parallel step of the engine has the same shape: an array of job
 * structs, one per worker, each worker doing its share and recording its
 * own result code in its job. gs__parallel runs such an array and returns
 * when every job has finished; a job whose thread cannot be started runs
 * on the calling thread instead, so a parallel step never fails for want
 * of threads, it only runs slower.
 */
#ifndef GS_POOL_H
#define GS_POOL_H

#include <stddef.h>

/* The most workers one step starts. */
#define GS__POOL_MAX 16

/* Runs fn(jobs + k * stride) for k in [0, n): job 0 on the calling
 * thread, the others on new threads (each job from its own thread, so
 * per-thread state such as a GEOS handle may be created inside fn), and
 * joins them. n is clamped to 1..GS__POOL_MAX. Never fails. */
void gs__parallel(void *(*fn)(void *job), void *jobs, size_t stride, int n);

/* The number of workers for `n` items when each should get at least
 * `min_per_worker` of them: min(threads, n / min_per_worker + 1), at
 * least 1 and at most GS__POOL_MAX. */
int gs__pool_workers(int threads, size_t n, size_t min_per_worker);

#endif /* GS_POOL_H */
