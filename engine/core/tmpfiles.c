/*
 * tmpfiles.c - the run's temporary files, for a signal handler to remove.
 *
 * A fixed table of slots (no allocation in the handler): a slot's path is
 * written first, then the slot is marked used (release), so the handler,
 * which reads the mark with acquire, never sees half a path.
 */
#define _POSIX_C_SOURCE 200809L
#include "tmpfiles.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "gridsmith/gridsmith.h"

#define SLOTS 64
#define PATH_LEN 1024

static struct {
    atomic_int used; /* 0 free, 1 being written, 2 registered */
    char path[PATH_LEN];
} slots[SLOTS];

static atomic_int defer_depth;
static volatile sig_atomic_t pending;

void gs__tmp_add(const char *path) {
    size_t n = path ? strlen(path) : 0;
    /* Room for the longest side file name ("-journal"). */
    if (!n || n + 9 > PATH_LEN) return;
    for (int i = 0; i < SLOTS; i++) {
        int expect = 0;
        if (!atomic_compare_exchange_strong(&slots[i].used, &expect, 1))
            continue;
        memcpy(slots[i].path, path, n + 1);
        atomic_store_explicit(&slots[i].used, 2, memory_order_release);
        return;
    }
}

void gs__tmp_forget(const char *path) {
    if (!path) return;
    for (int i = 0; i < SLOTS; i++)
        if (atomic_load_explicit(&slots[i].used, memory_order_acquire) == 2 &&
            !strcmp(slots[i].path, path)) {
            atomic_store(&slots[i].used, 0);
            return;
        }
}

void gs__tmp_defer_begin(void) { atomic_fetch_add(&defer_depth, 1); }

void gs__tmp_defer_end(void) {
    if (atomic_fetch_sub(&defer_depth, 1) == 1 && pending) {
        int sig = pending;
        pending = 0;
        raise(sig);
    }
}

int gs__tmp_pending(void) { return pending; }

/* Unlinks `path` and `path` + `suffix` (async-signal-safe). */
static void unlink_side(const char *path, const char *suffix) {
    char buf[PATH_LEN];
    size_t n = strlen(path), k = strlen(suffix);
    if (n + k + 1 > sizeof buf) return;
    memcpy(buf, path, n);
    memcpy(buf + n, suffix, k + 1);
    unlink(buf);
}

int gs_interrupted(int sig) {
    if (atomic_load(&defer_depth) > 0) {
        pending = sig;
        return 0;
    }
    for (int i = 0; i < SLOTS; i++) {
        if (atomic_load_explicit(&slots[i].used, memory_order_acquire) != 2)
            continue;
        unlink(slots[i].path);
        unlink_side(slots[i].path, "-journal");
        unlink_side(slots[i].path, "-wal");
        unlink_side(slots[i].path, "-shm");
    }
    return 1;
}
