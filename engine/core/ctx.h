/*
 * ctx.h - the context every layer of the library shares and the CLI never
 * sees (ctx.c, error.c, phase.c).
 *
 * The context (struct gs_ctx) is defined here so that every subsystem can
 * set its error, reach the thread's GEOS handle and report progress. The
 * memory helpers (mem.h) come with it, because every file needs both.
 */
#ifndef GS_CTX_H
#define GS_CTX_H

#ifndef GEOS_USE_ONLY_R_API
#define GEOS_USE_ONLY_R_API
#endif
#include <geos_c.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "gridsmith/gridsmith.h"
#include "mem.h"

#define GS__ERRMSG_MAX 2048

/* One measured phase of a run: wall time, the CPU time of every thread
 * of the process, and the peak RSS so far; its steps are
 * steps[first_step .. first_step + n_steps). */
typedef struct gs__phase {
    char name[48];
    double wall_s;
    double cpu_s;
    double peak_rss_mb;
    int first_step, n_steps;
} gs__phase;

/* One step of a phase (gs__phase_step): its wall time, CPU time (of the
 * process, or of the one thread that did it when `thread` is set) and
 * the peak RSS so far. */
typedef struct gs__step {
    char name[48];
    double wall_s;
    double cpu_s;
    double peak_rss_mb;
    int thread;
} gs__step;

#define GS__MAX_PHASES 16
#define GS__MAX_STEPS 48

/* The shard of gs_ctx_set_shards (shard.c). */
typedef struct gs__shard {
    char prefixes[GS_MAX_SHARDS][13]; /* NUL-terminated digits */
    int n;
    char key[GS_MAX_SHARDS * 13 + 1]; /* the prefixes ','-joined */
    /* The shard's extent with its halo: minx, miny, maxx, maxy in the CRS
     * whose WKT is extent_wkt (owned, CPLFree). */
    int have_extent;
    double extent[4];
    char *extent_wkt;
} gs__shard;

struct gs_ctx {
    int errcode;
    char errmsg[GS__ERRMSG_MAX];
    /* The last message a library (GDAL, GEOS, SQLite) reported, appended
     * to our own message when a call into that library fails. */
    char libmsg[GS__ERRMSG_MAX];
    GEOSContextHandle_t geos;
    gs_progress_fn progress;
    void *progress_user;
    /* gs_ctx_set_progress_cancel: a hook that may ask to stop (then
     * `progress` is NULL), and whether it did; sticky until a progress
     * hook is set again. */
    gs_progress_cancel_fn progress_cancel;
    int cancelled;
    gs_log_fn log;
    void *log_user;
    gs_optname_fn optname;
    void *optname_user;
    /* Phase timing, filled by gs__phase_begin/end. */
    gs__phase phases[GS__MAX_PHASES];
    int n_phases;
    double phase_t0, phase_cpu0;
    /* Steps of the running phase (gs__phase_step): all steps so far, the
     * first of the running phase, and when the last step ended. */
    gs__step steps[GS__MAX_STEPS];
    int n_steps, phase_step0;
    double step_t0, step_cpu0;
    /* The SHA-256 of the files summed last (provenance.c), by their
     * paths, sizes, times and inodes: a run reading several roles from
     * one GeoPackage sums it once. */
    struct {
        char *key;
        char hex[65];
    } sha_cache[4];
    int n_sha_cache;
    /* gs_ctx_set_shards: the shard and its extent; only shard.c reads
     * or writes it (shard.h). */
    gs__shard shard;
    /* gs_ctx_set_schema: the schema of PG: outputs. */
    char schema[64];
    /* A job's memo of the inputs its steps read (io/memo.c): set by the
     * job for its run, NULL otherwise. Only io/memo.c reads it. */
    struct gs__io_memo *io_memo;
};

/* A context for a worker thread of a run on `parent`, with the parent's
 * log and option-name hooks (not its progress hook, which is not
 * thread-safe). GS_ERR_NOMEM; the caller destroys it. */
int gs__ctx_create_worker(const gs_ctx *parent, gs_ctx **out_ctx);

/* Sets the context's error and returns `code`, so callers can write
 * `return gs__err(ctx, GS_ERR_INPUT, "...")`. In the format, {NAME}
 * ([a-z_]+ in braces) names an option by its name in the options structs
 * ("{week}", "{output}"): it is shown as the option-name hook says
 * (gs_ctx_set_optname), "--week" on the command line, "week" without a
 * hook. Messages name options only this way, never a front end's flags.
 * The format is translated (gs__optfmt): write it in English, keep it a
 * literal so that scripts/update_po.sh finds it. The same holds for
 * gs__err_lib and gs__warn. */
int gs__err(gs_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The format `fmt`, translated (i18n.h), with its {NAME} options shown as
 * gs__err shows them, for a message built in pieces (snprintf) before it
 * reaches gs__err or gs__warn as "%s": `buf` when anything was replaced,
 * else the translated `fmt`. */
const char *gs__optfmt(const gs_ctx *ctx, const char *fmt, char *buf,
                       size_t size) __attribute__((format_arg(2)));

/* Like gs__err, then appends the last library message, if any, as
 * ": <message>". */
int gs__err_lib(gs_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears the last library message before a call whose failure we report. */
void gs__libmsg_clear(gs_ctx *ctx);

/* Passes a warning to the log hook, if set. */
void gs__warn(gs_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reports progress to the hook, if set. Returns 1 when the run has been
 * cancelled (the cancellable hook asked to stop, now or before), else 0;
 * callers in a loop may stop at once, the others meet gs__check_cancel at
 * the run's next step. */
int gs__progress(gs_ctx *ctx, const char *phase, double fraction);

/* GS_ERR_CANCELLED with its message when the run has been cancelled, else
 * GS_OK: the check at each step of a run (opening an input, opening and
 * committing an output), so a cancelled run stops before it writes. */
int gs__check_cancel(gs_ctx *ctx);

/* Brackets a public call that uses GDAL: routes GDAL's messages into the
 * context for its duration (the handler stack is per thread) and clears the
 * context's previous error and measurements. */
void gs__gdal_enter(gs_ctx *ctx);
void gs__gdal_leave(gs_ctx *ctx);

/* Starts and ends a measured phase; end records wall time, CPU time and
 * peak RSS. */
void gs__phase_begin(gs_ctx *ctx);
void gs__phase_end(gs_ctx *ctx, const char *name);
/* Ends a step of the running phase: the time since the phase began or
 * the previous step ended (the breakdown --json reports per phase). */
void gs__phase_step(gs_ctx *ctx, const char *name);
/* Records a step done on one thread beside others (its own wall and
 * thread CPU time, gs__thread_cpu), without moving the step mark. */
void gs__phase_step_thread(gs_ctx *ctx, const char *name, double wall_s,
                           double cpu_s);
/* CPU seconds (user + system) of the whole process, and of the calling
 * thread. */
double gs__cpu_now(void);
double gs__thread_cpu(void);
/* Records a measurement inside the running phase (which keeps timing),
 * e.g. the wait for the database's write lock within "write". */
void gs__phase_note(gs_ctx *ctx, const char *name, double wall_s);

/* Wall clock in seconds (monotonic). */
double gs__now(void);

/* The current time as ISO 8601 UTC with 'Z' into buf (>= 21 bytes). */
void gs__utc_now(char *buf, size_t size);

/* The current time in seconds since the epoch, for what depends on the
 * date (the job's default week). In builds with the test hooks the
 * environment variable GS_TEST_NOW (seconds since the epoch) stands in
 * for it. */
int64_t gs__epoch_now(void);

/* Peak resident set size of the process so far, in MiB. */
double gs__peak_rss_mb(void);

#endif /* GS_CTX_H */
