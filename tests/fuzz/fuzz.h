/*
 * fuzz.h - what the fuzz targets share: a context made once per process,
 * inputs written to temporary files (the readers take paths), and inputs
 * cut into lines.
 *
 * Each target defines LLVMFuzzerTestOneInput. Built with clang and
 * -fsanitize=fuzzer it is a libFuzzer binary (scripts/fuzz.sh); built with
 * replay.c it is a plain program that runs the target once over each file
 * it is given, so ctest replays the seeds and the regression inputs in
 * every build, sanitized or not, without libFuzzer.
 *
 * A target may abort() on a broken invariant of our own (a round trip that
 * does not return where it started): libFuzzer and the replay driver both
 * report that as a failure, with the input that caused it.
 */
#ifndef GS_FUZZ_H
#define GS_FUZZ_H

#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctx.h"
#include "datetime.h"
#include "traces.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stops with a message naming the broken invariant; the fuzzer keeps the
 * input. */
#define FUZZ_ASSERT(cond)                                              \
    do {                                                               \
        if (!(cond)) {                                                 \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, \
                    __LINE__, #cond);                                  \
            abort();                                                   \
        }                                                              \
    } while (0)

/* Not every target uses every helper. */
#define FUZZ_HELPER static __attribute__((unused))

static gs_ctx *fuzz_ctx_ref;

/* With FUZZ_VERBOSE set, says how an input ended (for checking that the
 * seeds reach deep into the code rather than stopping at the first
 * check). */
FUZZ_HELPER void fuzz_note(int rc) {
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "  rc %d%s%s\n", rc, rc ? ": " : "",
                rc ? gs_ctx_errmsg(fuzz_ctx_ref) : "");
}

/* The process's context, created on first use and kept (as the CLI keeps
 * one for a run). GDAL's drivers register once. */
FUZZ_HELPER gs_ctx *fuzz_ctx(void) {
    if (!fuzz_ctx_ref && gs_ctx_create(&fuzz_ctx_ref) != GS_OK) abort();
    return fuzz_ctx_ref;
}

/* Reads GPS traces at `path` as gs__traces_read does for a command, with
 * times without an offset in Asia/Shanghai; `in` may be NULL. The caller
 * frees *t with gs__traces_free in every case. */
FUZZ_HELPER int fuzz_read_traces(const char *path, const gs_input_opts *in,
                                 int threads, gs__traces *t) {
    static gs__tz *tz;
    gs_ctx *ctx = fuzz_ctx();
    gs__trace_opts o;
    int rc;
    if (!tz && gs__tz_open(ctx, "Asia/Shanghai", &tz) != GS_OK) abort();
    memset(&o, 0, sizeof o);
    memset(t, 0, sizeof *t);
    o.path = path;
    o.input = in;
    o.tz = tz;
    o.threads = threads;
    gs__gdal_enter(ctx);
    rc = gs__traces_read(ctx, &o, t);
    gs__gdal_leave(ctx);
    return rc;
}

/* A per-process temporary directory, removed with its files at exit. */
static char fuzz_dir[64];
static char fuzz_files[8][128];
static int fuzz_n_files;

FUZZ_HELPER void fuzz_cleanup(void) {
    for (int i = 0; i < fuzz_n_files; i++) unlink(fuzz_files[i]);
    if (fuzz_dir[0]) rmdir(fuzz_dir);
}

/* The path of the temporary file `name`, recorded for removal at exit.
 * Stable: the same pointer for the same name until the process ends. */
FUZZ_HELPER const char *fuzz_path(const char *name) {
    char path[128];
    if (!fuzz_dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/gsfuzz.XXXXXX",
                 tmp && tmp[0] && strlen(tmp) < 40 ? tmp : "/tmp");
        if (!mkdtemp(fuzz_dir)) abort();
        atexit(fuzz_cleanup);
    }
    snprintf(path, sizeof path, "%s/%s", fuzz_dir, name);
    for (int i = 0; i < fuzz_n_files; i++)
        if (!strcmp(fuzz_files[i], path)) return fuzz_files[i];
    if (fuzz_n_files == 8) abort();
    snprintf(fuzz_files[fuzz_n_files], sizeof fuzz_files[0], "%s", path);
    return fuzz_files[fuzz_n_files++];
}

/* Writes `size` bytes to the temporary file `name` (replaced by the next
 * input under the same name) and returns its path, as fuzz_path. */
FUZZ_HELPER const char *fuzz_write(const char *name, const void *data,
                                   size_t size) {
    const char *path = fuzz_path(name);
    FILE *fp = fopen(path, "wb");
    if (!fp) abort();
    if (size && fwrite(data, 1, size, fp) != size) abort();
    if (fclose(fp) != 0) abort();
    return path;
}

/* Cuts a copy of the input at each '\n' into at most `max` NUL-terminated
 * strings (the last one keeps any further newlines). Returns the copy,
 * which the caller frees; *out_n is the number of strings. */
FUZZ_HELPER char *fuzz_lines(const uint8_t *data, size_t size, char **out,
                             size_t max, size_t *out_n) {
    char *copy = malloc(size + 1), *p;
    size_t n = 0;
    if (!copy) abort();
    memcpy(copy, data, size);
    copy[size] = '\0';
    p = copy;
    while (n < max) {
        char *nl = n + 1 < max ? strchr(p, '\n') : NULL;
        out[n++] = p;
        if (!nl) break;
        *nl = '\0';
        p = nl + 1;
    }
    *out_n = n;
    return copy;
}

#endif /* GS_FUZZ_H */
