/*
 * pool.c - one job per worker thread, joined before returning.
 *
 * Threads are started per step rather than kept in a pool: a step runs
 * for milliseconds to seconds, far longer than starting a thread takes,
 * and per-step threads need no shutdown protocol or queue.
 */
#define _POSIX_C_SOURCE 200809L
#include "pool.h"

#include <pthread.h>

void gs__parallel(void *(*fn)(void *job), void *jobs, size_t stride, int n) {
    pthread_t tids[GS__POOL_MAX];
    int started[GS__POOL_MAX] = {0};
    char *base = jobs;
    if (n < 1) n = 1;
    if (n > GS__POOL_MAX) n = GS__POOL_MAX;
    for (int k = 1; k < n; k++)
        started[k] =
            pthread_create(&tids[k], NULL, fn, base + (size_t)k * stride) == 0;
    fn(base);
    for (int k = 1; k < n; k++) {
        if (started[k])
            pthread_join(tids[k], NULL);
        else
            fn(base + (size_t)k * stride); /* no thread: do it here */
    }
}

int gs__pool_workers(int threads, size_t n, size_t min_per_worker) {
    size_t cap = min_per_worker ? n / min_per_worker + 1 : n;
    if (threads < 1) threads = 1;
    if (threads > GS__POOL_MAX) threads = GS__POOL_MAX;
    if ((size_t)threads > cap) threads = cap ? (int)cap : 1;
    return threads;
}
