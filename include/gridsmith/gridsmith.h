/*
 * gridsmith.h - the public C API of libgridsmith.
 *
 * gridsmith is a batch engine for urban and rural community grid management
 * (城乡社区网格化服务管理): it checks grids against the sizing standard, the
 * roster and coverage topology, and writes the findings as GeoPackages that
 * open styled in QGIS.
 *
 * Conventions (after H3, PROJ and libuv):
 *  - Every fallible function returns GS_OK or a GS_ERR_* code and writes its
 *    results through out_* parameters, which are set to NULL/0 on failure.
 *  - The message of the last failure lives on the context:
 *    gs_ctx_errmsg(). It names the file, layer, feature or line, and field.
 *  - Handles are opaque; _create/_destroy own heap objects, _init/_free
 *    caller-allocated structs. Destroy functions accept NULL.
 *  - The library never prints and never exits; only the CLI does.
 *  - A context is used by one thread at a time. Distinct contexts may be
 *    used concurrently.
 */
#ifndef GRIDSMITH_H
#define GRIDSMITH_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GS_VERSION_MAJOR 0
#define GS_VERSION_MINOR 1
#define GS_VERSION_PATCH 0
#define GS_VERSION_STRING "0.1.0"

/*
 * Error codes, in numbered bands (after PROJ): 1xx the caller's request,
 * 2xx the input data, 3xx input/output and the engine itself. The CLI maps
 * the bands to exit status 2, 3 and 4.
 */
enum {
    GS_OK = 0,
    GS_ERR_USAGE = 100,          /**< a bad option, argument or API misuse */
    GS_ERR_CONFIG = 101,         /**< an unreadable or invalid rules file */
    GS_ERR_CANCELLED = 102,      /**< the progress hook asked to stop */
    GS_ERR_INPUT = 200,          /**< bad input data (generic) */
    GS_ERR_INPUT_OPEN = 201,     /**< an input cannot be opened or read */
    GS_ERR_INPUT_FIELD = 202,    /**< a required field is missing */
    GS_ERR_INPUT_CRS = 203,      /**< no, unknown or implausible CRS */
    GS_ERR_INPUT_GEOMETRY = 204, /**< empty, NaN or wrong-typed geometry */
    GS_ERR_INPUT_ENCODING = 205, /**< text that is not valid UTF-8 */
    GS_ERR_INPUT_EMPTY = 206,    /**< a layer without features */
    GS_ERR_INPUT_VALUE = 207,    /**< an unparsable value in a field */
    GS_ERR_IO = 300,             /**< writing an output failed */
    GS_ERR_NOMEM = 301,          /**< out of memory */
    GS_ERR_INTERNAL = 302        /**< a bug or a library failure */
};

/** Per-feature problems: stop the run, or report them and go on. */
enum { GS_ON_ERROR_FAIL = 0, GS_ON_ERROR_SKIP = 1 };

/** Severity of a message passed to the log hook. */
enum { GS_LOG_INFO = 0, GS_LOG_WARNING = 1 };

/** The engine's version string, e.g. "0.1.0". Static; never NULL. */
const char *gs_version(void);

/**
 * A short English name of an error code, for logs and machine-readable
 * reports: "ok", "usage", "config", "cancelled", "input", "input_open",
 * "input_field", "input_crs", "input_geometry", "input_encoding",
 * "input_empty", "input_value", "io", "nomem", "internal"; "unknown" for
 * any other number. Static; never NULL. Thread safety: any thread.
 */
const char *gs_err_name(int code);

/**
 * Sets a GDAL configuration option for the whole process, as GDAL's
 * `--config KEY VALUE` does (CPLSetConfigOption): e.g. OGR_SQLITE_CACHE,
 * GDAL_CACHEMAX, GDAL_HTTP_TIMEOUT or AWS_* for /vsis3/ inputs. Every
 * later run in the process, on any context, reads its inputs and writes
 * its outputs with it. `value` NULL removes the option. Both strings are
 * copied.
 *
 * @return GS_OK, or GS_ERR_USAGE for an empty key or one holding '=' or
 *         white space.
 * Thread safety: call it before starting runs, as with GDAL.
 */
int gs_set_config_option(const char *key, const char *value);

/**
 * A copy of `text` with passwords replaced by "***": the value of a
 * `password` key in a connection string ("PG:dbname=grid password=x"),
 * the password of a URI's user:password@, and the PGPASSWORD variable's
 * value and the passwords of libpq's service and password files wherever
 * they appear. The library applies this same rule to every message,
 * report, metadata value, ledger row and report footer it writes; a front
 * end applies it to what it prints or keeps of its own (a command line).
 * The caller frees the copy with free(); NULL when out of memory.
 * Thread safety: may be called from any thread.
 */
char *gs_redact(const char *text);

/* ------------------------------------------------------------------------
 * Context
 * ------------------------------------------------------------------------ */

/** The context handle: error state, hooks and per-thread library handles. */
typedef struct gs_ctx gs_ctx;

/**
 * Progress hook: `phase` names the running phase ("read grids", "assign
 * households"...), `fraction` is 0..1, or -1 when unknown.
 */
typedef void (*gs_progress_fn)(void *user, const char *phase, double fraction);

/** What a cancellable progress hook returns. */
enum { GS_PROGRESS_CONTINUE = 0, GS_PROGRESS_CANCEL = 1 };

/**
 * Cancellable progress hook (after GDAL's GDALProgressFunc): as
 * gs_progress_fn, returning GS_PROGRESS_CONTINUE to go on or
 * GS_PROGRESS_CANCEL to stop the run. A cancelled run stops at its next
 * step (reading an input, opening or committing an output) with
 * GS_ERR_CANCELLED; outputs are written atomically, so nothing it would
 * have written is left and earlier outputs are untouched. A running
 * weekly job stops before its next stage and records nothing in the
 * ledger.
 */
typedef int (*gs_progress_cancel_fn)(void *user, const char *phase,
                                     double fraction);

/** Log hook for warnings and notes (level GS_LOG_*), UTF-8 text. */
typedef void (*gs_log_fn)(void *user, int level, const char *msg);

/**
 * Creates a context. Initialises GDAL's drivers on first use.
 *
 * @param out_ctx receives the new context; NULL on failure. Not NULL.
 * @return GS_OK, or GS_ERR_NOMEM.
 * The caller owns the context and frees it with gs_ctx_destroy().
 * Thread safety: may be called from any thread.
 */
int gs_ctx_create(gs_ctx **out_ctx);

/** Frees a context and everything it owns. Accepts NULL. */
void gs_ctx_destroy(gs_ctx *ctx);

/**
 * For a SIGINT or SIGTERM handler: removes the temporary files of every
 * run in progress (outputs being made, never an earlier output or the
 * ledger) and returns 1; the handler then ends the process (e.g. by
 * raising `sig` again with the default action). Returns 0, removing
 * nothing, while a step that must finish or roll back first is running
 * (the ledger's transaction): that step stops at its next row, rolls
 * back and raises `sig` again, calling the handler once more.
 * Thread safety: async-signal-safe.
 */
int gs_interrupted(int sig);

/**
 * The message of the last failure on this context, or "" when none.
 * Borrowed: valid until the next call that takes the context.
 */
const char *gs_ctx_errmsg(const gs_ctx *ctx);

/** The code of the last failure on this context, or GS_OK. */
int gs_ctx_errcode(const gs_ctx *ctx);

/**
 * Sets the progress hook (NULL to remove); see also
 * gs_ctx_set_progress_cancel. `user` is passed back as is and is borrowed
 * for the context's lifetime.
 */
void gs_ctx_set_progress(gs_ctx *ctx, gs_progress_fn fn, void *user);

/**
 * Sets a cancellable progress hook (NULL to remove), in place of any
 * gs_progress_fn hook: the two are one slot, the later call wins. Once the
 * hook has asked to stop, every run on the context fails with
 * GS_ERR_CANCELLED until a progress hook is set again (this call or
 * gs_ctx_set_progress), which clears the request. `user` is borrowed for
 * the context's lifetime.
 */
void gs_ctx_set_progress_cancel(gs_ctx *ctx, gs_progress_cancel_fn fn,
                                void *user);

/** Sets the log hook (NULL to drop warnings). `user` is borrowed. */
void gs_ctx_set_log(gs_ctx *ctx, gs_log_fn fn, void *user);

/**
 * How messages name options. The library's messages speak of an option by
 * its name in the options structs ("week", "trace_crs", "output",
 * "encoding", "field"...), one vocabulary for the API and every front end
 * (after GDAL's GDALVectorTranslateOptionsNew). A front end that offers
 * the options under other names, such as a command line's "--week" or
 * "-o", gives a function that returns the name it shows for `option`, or
 * NULL to keep the option's own name.
 */
typedef const char *(*gs_optname_fn)(void *user, const char *option);

/** Sets the option-name hook (NULL to show the options' own names).
 *  `user` is borrowed for the context's lifetime. */
void gs_ctx_set_optname(gs_ctx *ctx, gs_optname_fn fn, void *user);

/** The most shard prefixes a context takes. */
#define GS_MAX_SHARDS 64

/**
 * Restricts every later run on this context to a shard: the communities
 * whose 12-digit code starts with one of `prefixes` (a district "110108",
 * a street "110108001", a community). Runs then read only the shard's data
 * and the halo its analyses need (a spatial filter on the shard's extent,
 * pushed down to a PG: source), and write only the rows the shard owns:
 * see README "Shards". Shards of one run must not overlap.
 *
 * @param prefixes 1 to GS_MAX_SHARDS strings of 1 to 12 digits, copied;
 *        NULL with n == 0 clears the restriction.
 * @return GS_OK, or GS_ERR_USAGE (naming the bad prefix).
 * Thread safety: as for any call taking the context.
 */
int gs_ctx_set_shards(gs_ctx *ctx, const char *const *prefixes, size_t n);

/**
 * The PostgreSQL schema outputs given as "PG:..." are written into
 * (default "public"); created when absent. `schema` is copied; NULL
 * restores the default.
 *
 * @return GS_OK, or GS_ERR_USAGE for a name that is not a plain lower-case
 *         SQL identifier ([a-z_][a-z0-9_]*, at most 63 bytes).
 */
int gs_ctx_set_schema(gs_ctx *ctx, const char *schema);

/* ------------------------------------------------------------------------
 * Rules: every threshold of docs/design.md, "Rules file"
 * ------------------------------------------------------------------------ */

/** The most event categories with a deadline of their own. */
#define GS_MAX_DEADLINES 32

/** How long an event of one category may stay open, in working days. */
typedef struct gs_deadline {
    char category[64]; /**< UTF-8, as in the events' `category` field */
    int workdays;      /**< 1 or more */
} gs_deadline;

/** What Gi* on grids is computed on (`grid_gi_value`). */
enum {
    GS_GI_COUNT = 0,    /**< events per grid */
    GS_GI_PER_KM2 = 1,  /**< events per km^2 of the grid (the default) */
    GS_GI_PER_100HH = 2 /**< events per 100 households (needs them) */
};

/** The parts of the monthly assessment (`assess`), indexing its weights. */
enum {
    GS_ASSESS_PATROL = 0,       /**< basic work: patrol */
    GS_ASSESS_INFORMATION = 1,  /**< basic work: information collection */
    GS_ASSESS_VISITS = 2,       /**< basic work: service visits */
    GS_ASSESS_EVENTS = 3,       /**< basic work: event reporting */
    GS_ASSESS_SPECIAL = 4,      /**< special work (and training) */
    GS_ASSESS_AWARENESS = 5,    /**< residents: awareness rate */
    GS_ASSESS_SATISFACTION = 6, /**< residents: satisfaction */
    GS_ASSESS_ITEMS = 7
};

/** Households' care types (`care_type`), indexing the visit intervals. */
enum {
    GS_CARE_ELDERLY_ALONE = 0,
    GS_CARE_LEFT_BEHIND_CHILD = 1,
    GS_CARE_LEFT_BEHIND_WOMAN = 2,
    GS_CARE_RELEASED_PRISONER = 3,
    GS_CARE_MENTAL_DISORDER = 4,
    GS_CARE_KEY_YOUTH = 5,
    GS_CARE_TYPES = 6
};

/** Thresholds of the sizing standard and the validate checks. */
typedef struct gs_rules {
    int min_households;   /**< below is `undersize` (300) */
    int max_households;   /**< above is `oversize` (500) */
    int max_persons;      /**< above is `persons_over` (2,500) */
    int exempt_dedicated; /**< 1: `dedicated` grids skip sizing (1) */
    double sliver_m2;     /**< areas at or below are slivers (1.0) */
    double shared_edge_m; /**< a gap's neighbour shares this much (1.0) */
    double edge_snap_m;   /**< tolerance for a shared edge (0.001) */
    /* patrol (docs/design.md, "Patrol time") */
    double max_gap_s;      /**< longer segments are gaps (300) */
    double max_speed_mps;  /**< faster segments are GPS jumps (8) */
    double tolerance_m;    /**< grid buffer for tolerant time (15) */
    double daily_min_s;    /**< daily_ok on a workday (7,200) */
    double weekly_min_s;   /**< weekly_ok for the ISO week (36,000) */
    double coverage_m;     /**< reach of a segment for coverage (15) */
    double reach_m;        /**< households reached within (25) */
    double raster_m;       /**< coverage sampling cell (1) */
    double low_accuracy_m; /**< fixes less accurate are flagged (50) */
    int mock_min_fixes;    /**< identical fixes in a row: mock (30) */
    /* hotspots (docs/design.md, "Hot spots") */
    double hex_size_m;      /**< hexagons, across flats (100) */
    double cluster_eps_m;   /**< DBSCAN radius (50) */
    int cluster_min_events; /**< DBSCAN core, itself included (5) */
    int min_units;          /**< fewer units: counts, no Gi* (30) */
    int grid_gi_value;      /**< GS_GI_* (GS_GI_PER_KM2) */
    double repeat_radius_m; /**< repeat location: events within (30) */
    int repeat_min_events;  /**< ... at least this many (3) */
    int repeat_days;        /**< ... in the days to the period end (28) */
    int min_history_weeks;  /**< emerging and rising need (8) */
    double trend_alpha;     /**< Mann-Kendall p of an emerging trend (0.10) */
    double rising_fdr_q;    /**< BH level for rising grids (0.10) */
    double kde_bandwidth_m; /**< 0: the default rule (stats.h) */
    double kde_cell_m;      /**< 0: from the bandwidth and the extent */
    int deadline_workdays;  /**< categories without a deadline (5) */
    gs_deadline deadlines[GS_MAX_DEADLINES]; /**< per category */
    int n_deadlines;
    /* assess (gs_assess_run); weights are points out of 100 */
    double assess_weight[GS_ASSESS_ITEMS];      /**< 25 10 15 10 20 8 12 */
    double assess_default_pct[GS_ASSESS_ITEMS]; /**< missing input (60) */
    double patrol_daily_share; /**< daily part of the patrol points (0.5) */
    double tier_excellent;     /**< 优秀 at or above (90) */
    double tier_good;          /**< 良好 at or above (80) */
    double tier_pass;          /**< 合格 at or above (60) */
    double visit_radius_m;     /**< a verified visit's fix within (50) */
    double visit_window_s;     /**< ... of the recorded time (1,800) */
    int care_interval_days[GS_CARE_TYPES]; /**< 0: none (7 14 30 30 14 30) */
    /* partition (gs_partition_run) */
    int target_households; /**< preferred grid size (400) */
    int target_persons;    /**< "about 1,500 people" (1,500) */
    int partition_policy;  /**< GS_POLICY_*: no whole number of grids
                                fits (GS_POLICY_PERSONS) */
} gs_rules;

/** What partition does with a community where no whole number of grids
 *  fits the household bounds (501-599 households with the defaults). */
enum {
    GS_POLICY_PERSONS = 0, /**< divide by persons, about target_persons */
    GS_POLICY_OVERSIZE = 1 /**< allow one oversize grid */
};

/** Fills `rules` with the defaults above. Never fails. */
void gs_rules_init(gs_rules *rules);

/**
 * Reads thresholds from an INI file (parsed by inih), over the values
 * already in `rules`. Sections and keys:
 *
 *     [sizing]   min_households, max_households, max_persons,
 *                exempt_dedicated (true/false)
 *     [topology] sliver_m2, shared_edge_m, edge_snap_m
 *     [patrol]   max_gap_s, max_speed_mps, tolerance_m, daily_min_s,
 *                weekly_min_s, coverage_m, reach_m, raster_m,
 *                low_accuracy_m, mock_min_fixes
 *     [hotspots] hex_size_m, cluster_eps_m, cluster_min_events, min_units,
 *                grid_gi_value (count, per_km2, per_100hh),
 *                repeat_radius_m, repeat_min_events, repeat_days,
 *                min_history_weeks, trend_alpha, rising_fdr_q,
 *                kde_bandwidth_m, kde_cell_m, deadline_workdays, and
 *                deadline.CATEGORY = N (working days; e.g.
 *                deadline.环境卫生 = 3) replacing or adding a category's
 *                deadline in the default table
 *     [assess]   weight.ITEM (points) and default.ITEM (percent of the
 *                item's points for a member without that input), ITEM one
 *                of patrol, information, visits, events, special,
 *                awareness, satisfaction; patrol_daily_share,
 *                tier_excellent, tier_good, tier_pass, visit_radius_m,
 *                visit_window_s, and interval.CARE_TYPE = DAYS (0 to 31;
 *                0: no required visits; e.g. interval.elderly_alone = 7)
 *     [partition] target_households, target_persons,
 *                infeasible = persons | oversize
 *
 * @return GS_OK; GS_ERR_CONFIG for an unreadable file, a syntax error, an
 *         unknown section or key, or a bad value (the message names the
 *         file, line and key). `rules` is unchanged on failure.
 */
int gs_rules_load(gs_ctx *ctx, gs_rules *rules, const char *path);

/* ------------------------------------------------------------------------
 * Inputs
 * ------------------------------------------------------------------------ */

/**
 * How the inputs are read: layer names, field mappings and text encoding.
 * Caller-allocated; fill with gs_input_opts_init() and free nothing: every
 * string is borrowed and must outlive the call that uses the options.
 */
typedef struct gs_input_opts {
    /** "ROLE=LAYER" (e.g. "grids=wangge"): the layer to read for a role. */
    const char *const *layers;
    size_t n_layers;
    /** "ROLE.FIELD=SOURCE" (e.g. "households.persons=renkou"). */
    const char *const *fields;
    size_t n_fields;
    /** Encoding of CSV and Shapefile text (e.g. "GB18030"), or NULL. */
    const char *encoding;
    /** CRS for inputs that declare none (e.g. "EPSG:4490"), or NULL. */
    const char *assume_crs;
    /** GS_ON_ERROR_FAIL (default) or GS_ON_ERROR_SKIP. */
    int on_error;
} gs_input_opts;

/** Fills `opts` with the defaults (no mappings, fail on bad features). */
void gs_input_opts_init(gs_input_opts *opts);

/* ------------------------------------------------------------------------
 * Options every command shares
 * ------------------------------------------------------------------------ */

/**
 * The version of the options structs this header describes. Each
 * command's options start with `version`, which its _init function sets;
 * a library built for another version refuses them (GS_ERR_USAGE), so a
 * program compiled against an older header never has fields misread
 * (after libgit2's GIT_CLONE_OPTIONS_VERSION).
 */
#define GS_OPTS_VERSION 1

/**
 * What every command's options share, embedded in each as `common` (as
 * libgit2's git_clone_options embeds git_checkout_options). Strings are
 * borrowed and must outlive the call that uses the options.
 */
typedef struct gs_common_opts {
    /** The output: a GeoPackage path, or "PG:..." where a command writes
     *  PostgreSQL/PostGIS (required unless a command says otherwise). */
    const char *output;
    const gs_input_opts *input; /**< NULL for the defaults */
    const gs_rules *rules;      /**< NULL for the defaults */
    /** The command line as the user typed it, for the run metadata, or
     *  NULL. */
    const char *command_line;
    int threads; /**< worker threads, 1 or more (default 1) */
} gs_common_opts;

/** Fills `opts` with NULLs and one thread. Never fails. */
void gs_common_opts_init(gs_common_opts *opts);

/* ------------------------------------------------------------------------
 * Reports: what a run found, for the CLI and for --json
 * ------------------------------------------------------------------------ */

/** The outcome of a run: counts, findings and per-phase measurements. */
typedef struct gs_report gs_report;

/** Frees a report. Accepts NULL. */
void gs_report_destroy(gs_report *report);

/**
 * The report as a JSON document (UTF-8). Borrowed: valid until the report
 * is destroyed. Never NULL.
 */
const char *gs_report_json(const gs_report *report);

/**
 * A short human-readable summary (UTF-8, several lines, ending in a
 * newline). Borrowed: valid until the report is destroyed. Never NULL.
 */
const char *gs_report_text(const gs_report *report);

/** The number of findings (issues) of the run; --strict exits 1 on any. */
long gs_report_findings(const gs_report *report);

/* ------------------------------------------------------------------------
 * validate
 * ------------------------------------------------------------------------ */

/** What `gridsmith validate` reads and writes. Strings are borrowed. */
typedef struct gs_validate_opts {
    unsigned int version;    /**< GS_OPTS_VERSION (the _init function) */
    gs_common_opts common;   /**< output, input, rules, command line, threads */
    const char *communities; /**< communities source (required) */
    const char *grids;       /**< grids source (required) */
    const char *households;  /**< households source (required) */
    const char *members;     /**< roster source, or NULL */
} gs_validate_opts;

/** Fills `opts` with NULLs and one thread. */
void gs_validate_opts_init(gs_validate_opts *opts);

/**
 * Checks every grid against the sizing standard, the roster and the
 * coverage topology (docs/design.md, "Sizing" and "Validate issue kinds") and
 * writes the layers `grids`, `issues`, `issue_points`, `summary` and
 * `run_metadata` to opts->output, through a temporary file renamed into place,
 * so that a failed run leaves any earlier output untouched.
 *
 * @param out_report receives the report on GS_OK; NULL on failure.
 * @return GS_OK; GS_ERR_USAGE for missing options; GS_ERR_INPUT_* for bad
 *         input (message names file, layer, feature or line, and field);
 *         GS_ERR_IO when the output cannot be written; GS_ERR_NOMEM.
 * The caller owns the report (gs_report_destroy()).
 */
int gs_validate_run(gs_ctx *ctx, const gs_validate_opts *opts,
                    gs_report **out_report);

/* ------------------------------------------------------------------------
 * patrol
 * ------------------------------------------------------------------------ */

/** What `gridsmith patrol` reads and writes. Strings are borrowed. */
typedef struct gs_patrol_opts {
    unsigned int version;   /**< GS_OPTS_VERSION (the _init function) */
    gs_common_opts common;  /**< output, input, rules, command line, threads */
    const char *grids;      /**< grids source (required) */
    const char *members;    /**< roster (required) */
    const char *traces;     /**< GPS traces: CSV, GPX or a point layer */
    const char *households; /**< households source, or NULL */
    const char *calendar;   /**< workday overrides CSV, or NULL */
    const char *week;       /**< "2026-W47", or NULL with from/to */
    const char *from, *to;  /**< "YYYY-MM-DD", inclusive, or NULL */
    const char *trace_crs;  /**< "wgs84" (NULL), "gcj02", "bd09", "EPSG:n" */
    const char *tz;         /**< zone of times without offset; NULL:
                                 Asia/Shanghai */
} gs_patrol_opts;

/** Fills `opts` with NULLs and one thread. */
void gs_patrol_opts_init(gs_patrol_opts *opts);

/**
 * Verifies patrols from GPS traces (docs/design.md, "Patrol time") for a week
 * or a span of days and writes the layers member_day, member_week, tracks,
 * gaps, gps_issues, bad_rows, uncovered, households_unreached, summary and
 * run_metadata to opts->output (atomically, as gs_validate_run does).
 *
 * @return GS_OK; GS_ERR_USAGE (missing or bad options); GS_ERR_INPUT_*
 *         (unreadable inputs, missing fields, empty traces...); GS_ERR_IO;
 *         GS_ERR_NOMEM. Rows of the traces that cannot be used are not
 *         errors: they are counted and listed in `bad_rows`.
 * The caller owns *out_report.
 */
int gs_patrol_run(gs_ctx *ctx, const gs_patrol_opts *opts,
                  gs_report **out_report);

/* ------------------------------------------------------------------------
 * run: the weekly job
 * ------------------------------------------------------------------------ */

/** What `gridsmith run JOB` needs. Strings are borrowed. */
typedef struct gs_run_opts {
    unsigned int version;  /**< GS_OPTS_VERSION (the _init function) */
    gs_common_opts common; /**< output, input, rules, command line, threads */
    /* common.output is not used: the job file names the output directory
     * (or `database` below). */
    const char *job;  /**< the job file (INI) */
    const char *week; /**< overrides the job's week, or NULL */
    /** "PG:..." to write the stages and the ledger into PostgreSQL/PostGIS
     *  instead of the job's output directory (schemas from the context's
     *  gs_ctx_set_schema, default "gridsmith"), or NULL. */
    const char *database;
} gs_run_opts;

/** Fills `opts` with NULLs and one thread. */
void gs_run_opts_init(gs_run_opts *opts);

/**
 * Runs the weekly job a job file describes: validate, patrol (when traces
 * are given), then records the week in the ledger in one transaction, so
 * re-running a week replaces it and a killed run leaves the ledger as it
 * was. Paths in the job file are relative to it; outputs go to its output
 * directory and nowhere else.
 *
 * @return GS_OK; GS_ERR_CONFIG for a bad job file (file, line, key);
 *         the codes of the stages otherwise. The caller owns *out_report.
 */
int gs_run_job(gs_ctx *ctx, const gs_run_opts *opts, gs_report **out_report);

/* ------------------------------------------------------------------------
 * hotspots
 * ------------------------------------------------------------------------ */

/** What `gridsmith hotspots` reads and writes. Strings are borrowed. */
typedef struct gs_hotspots_opts {
    unsigned int version;  /**< GS_OPTS_VERSION (the _init function) */
    gs_common_opts common; /**< output, input, rules, command line, threads */
    /* common.output: the GeoPackage to write; the density raster goes
     * beside it as OUT_kde.tif. */
    const char *grids;       /**< grids source (required) */
    const char *events;      /**< events source (required): a point layer
                                  or a CSV with lon/lat */
    const char *communities; /**< communities, which the hexagons are
                                  clipped to; NULL: the grids */
    const char *households;  /**< households, for events_per_100hh; or NULL */
    const char *calendar;    /**< workday overrides CSV (deadlines), or NULL */
    const char *week;        /**< "2026-W47", or NULL */
    const char *month;       /**< "2026-11", or NULL */
    const char *from, *to;   /**< "YYYY-MM-DD", inclusive, or NULL; no
                                  period at all: every event */
    const char *tz;          /**< zone of times without offset; NULL:
                                  Asia/Shanghai */
    double hex_size_m;       /**< > 0: overrides rules->hex_size_m */
    /** The reduce step of sharded runs: n_merge > 0 outputs of
     *  `hotspots --shard` runs (GeoPackages, or PG: connection strings
     *  with active_schema=SCHEMA) to merge into `output` instead of
     *  reading grids and events; see gs_hotspots_run. */
    const char *const *merge;
    size_t n_merge;
    /** How the events' coordinates are to be read, as trace_crs for
     *  traces: "wgs84" (NULL), "gcj02", "bd09", or a CRS ("EPSG:n")
     *  that overrides the layer's. A CSV's lon/lat columns are WGS84
     *  unless this says otherwise; {assume_crs} never applies to them. */
    const char *event_crs;
} gs_hotspots_opts;

/** Fills `opts` with NULLs, no hexagon override and one thread. */
void gs_hotspots_opts_init(gs_hotspots_opts *opts);

/**
 * Sums up reported events (docs/design.md, "Hot spots"): counts per grid and
 * category, Getis-Ord Gi* hot and cold spots on the grids (queen
 * contiguity, self included) and on a hexagon lattice clipped to the
 * communities (ring-1), DBSCAN clusters, a quartic kernel density raster,
 * trouble spots (repeat locations, overdue open events, grids whose weekly
 * counts rise), emerging hot spot classes over the weekly history, and
 * weekly and monthly summaries per community and street. Gi_Bin is
 * +/-3, 2, 1 when the unit passes Benjamini-Hochberg at 0.01, 0.05, 0.10
 * (per-level FDR, ESRI's rule), so |gi_bin| >= 2 is exactly "passes BH at
 * 0.05". With fewer than rules->min_units units, or no events in the
 * period, Gi* is not computed (its fields are NULL) and the report says
 * why; with fewer than rules->min_history_weeks weeks of history the
 * emerging class is `insufficient_history`.
 *
 * Writes the layers grid_events, hex_hotspots, emerging, clusters,
 * trouble_spots, weekly_summary, monthly_summary, categories,
 * event_issues, bad_rows and run_metadata to opts->output, and the
 * density GeoTIFF beside it (both through temporary files renamed into
 * place, the GeoTIFF after the GeoPackage), so a failed run leaves
 * earlier outputs untouched.
 *
 * @return GS_OK; GS_ERR_USAGE (missing or bad options); GS_ERR_INPUT_*
 *         (unreadable inputs, missing fields, no usable event...);
 *         GS_ERR_IO; GS_ERR_NOMEM. Event rows that cannot be used (no
 *         point, a bad time, an unknown status, a duplicate event_id) are
 *         not errors: they are counted and listed in `bad_rows`.
 * With opts->n_merge > 0 the run reads no grids or events: it merges
 * the outputs of shard runs (`--shard`, disjoint by community code) and
 * writes grid_events, hex_hotspots, categories and run_metadata as one
 * run over the union writes them, with the categories ordered and Gi*
 * (grids and hexagons) recomputed over all the shards' units. The other
 * layers stay in the shards' outputs (README "Shards"). Sources that
 * overlap, lack a layer or disagree on the period or rules are bad input.
 *
 * The caller owns *out_report (gs_report_destroy()).
 * Thread safety: as every call, one thread per context; starts workers.
 */
int gs_hotspots_run(gs_ctx *ctx, const gs_hotspots_opts *opts,
                    gs_report **out_report);

/* ------------------------------------------------------------------------
 * assess: the monthly assessment
 * ------------------------------------------------------------------------ */

/** What `gridsmith assess` reads and writes. Strings are borrowed. */
typedef struct gs_assess_opts {
    unsigned int version;   /**< GS_OPTS_VERSION (the _init function) */
    gs_common_opts common;  /**< output, input, rules, command line, threads */
    const char *ledger;     /**< the ledger of `gridsmith run` (required) */
    const char *month;      /**< "2026-11" (required) */
    const char *offline;    /**< CSV member_id,item,score, or NULL */
    const char *visits;     /**< CSV member_id,household_id,time,kind, or
                                 NULL; needs traces and households */
    const char *traces;     /**< GPS traces covering the month, or NULL */
    const char *households; /**< household points with care_type, or NULL */
    const char *trace_crs;  /**< as gs_patrol_opts.trace_crs */
    const char *tz;         /**< zone of times without offset; NULL:
                                 Asia/Shanghai */
} gs_assess_opts;

/** Fills `opts` with NULLs and one thread. */
void gs_assess_opts_init(gs_assess_opts *opts);

/**
 * Assesses every member the ledger holds for a month. The month's period
 * is its ISO weeks, a week belonging to the month of its Thursday (so
 * every week is assessed once). Per member, in points (weights in rules):
 *
 *  - patrol = weight x (s x D + (1 - s) x W), s = patrol_daily_share,
 *    D = member_day rows of the period with daily_ok / those on workdays,
 *    W = member_week rows with weekly_ok / member_week rows;
 *  - visits = weight x met / due care windows, when the member has care
 *    targets (households in their grid whose care_type has an interval of
 *    N days: the period is cut into max(1, days / N) windows of N days,
 *    the last taking the rest, each needing a verified visit), else
 *    weight x verified / recorded visits, when any;
 *  - information, events, special (the mean of its `special` and
 *    `training` rows), awareness, satisfaction, and visits otherwise =
 *    weight x the member's mean offline score (0-100) / 100.
 *
 * A visit is verified when a fix of the member's trace (not one less
 * accurate than rules->low_accuracy_m) lies within visit_radius_m of the
 * household and within visit_window_s of the recorded time (point to fix
 * distance, in metres in the metric CRS). An input a member lacks counts
 * at assess_default_pct and is named in the row's `defaults_used`. Tiers:
 * 优秀, 良好, 合格 at or above tier_excellent, tier_good, tier_pass, else
 * 不合格.
 *
 * Writes the layers assessment (one row per member, with the grid shape
 * from the ledger), visits and care_overdue (with opts->visits), bad_rows
 * (with GS_ON_ERROR_SKIP) and run_metadata to opts->output, atomically.
 *
 * @return GS_OK; GS_ERR_USAGE (missing or bad options); GS_ERR_CONFIG
 *         (weights not adding up to 100, tiers out of order);
 *         GS_ERR_INPUT_* (no ledger, no data for the month, a bad row of
 *         the offline or visits CSV: file, line and field); GS_ERR_IO;
 *         GS_ERR_NOMEM.
 * The caller owns *out_report (gs_report_destroy()); NULL on failure.
 * Thread safety: one thread per context; may start worker threads.
 */
int gs_assess_run(gs_ctx *ctx, const gs_assess_opts *opts,
                  gs_report **out_report);

/* ------------------------------------------------------------------------
 * report: the weekly HTML report from the ledger
 * ------------------------------------------------------------------------ */

/** What `gridsmith report` reads and writes. Strings are borrowed. */
typedef struct gs_report_html_opts {
    unsigned int version;  /**< GS_OPTS_VERSION (the _init function) */
    gs_common_opts common; /**< output, input, rules, command line, threads */
    /* common.output: the HTML file to write; common.rules: the patrol
     * standard the page quotes (daily_min_s, weekly_min_s, tolerance_m,
     * coverage_m). */
    const char *ledger; /**< the ledger GeoPackage (required) */
    const char *week;   /**< "2026-W47", or NULL: the latest in the ledger */
} gs_report_html_opts;

/** Fills `opts` with NULLs. */
void gs_report_html_opts_init(gs_report_html_opts *opts);

/**
 * Writes the week's report for a street office: one self-contained HTML
 * file (inline CSS and SVG, nothing fetched from the network), in Chinese
 * with English labels. Per street (the first 9 digits of community_code)
 * and community: the patrol compliance table, the members below standard
 * and the workdays they missed, a coverage map and a Gi* hot spot map of
 * the grids (a note when the ledger has no grid_events for the week), the
 * overdue events, and the trend of the compliant share and mean hours over
 * the 8 previous weeks. Everything is read from the ledger that
 * gs_run_job() keeps; the file is written atomically.
 *
 * @param ctx the context; not NULL.
 * @param opts what to read and write; not NULL.
 * @param out_report receives the report on GS_OK (its findings: the members
 *        below standard); NULL on failure. Not NULL.
 * @return GS_OK; GS_ERR_USAGE (missing options, a malformed week);
 *         GS_ERR_INPUT_OPEN (no ledger, or not one); GS_ERR_INPUT_EMPTY (the
 *         week is not in the ledger: the message lists those that are);
 *         GS_ERR_IO; GS_ERR_NOMEM.
 * The caller owns *out_report (gs_report_destroy()). Thread safety: as
 * every call, one context per thread.
 */
int gs_report_html_run(gs_ctx *ctx, const gs_report_html_opts *opts,
                       gs_report **out_report);

/* ------------------------------------------------------------------------
 * partition: dividing communities into grids
 * ------------------------------------------------------------------------ */

/** What `gridsmith partition` reads and writes. Strings are borrowed. */
typedef struct gs_partition_opts {
    unsigned int version;    /**< GS_OPTS_VERSION (the _init function) */
    gs_common_opts common;   /**< output, input, rules, command line, threads */
    const char *communities; /**< communities source (required) */
    const char *households;  /**< households source (required) */
    const char *barriers;    /**< barrier lines source, or NULL */
    /** Re-division: the existing grids (with --layer grids=NAME), or NULL
     *  for a fresh division. */
    const char *existing;
    const char *const *lock; /**< re-division: grid codes never touched */
    size_t n_lock;
    unsigned long long seed; /**< the random trees' seed (0) */
} gs_partition_opts;

/** Fills `opts` with NULLs. */
void gs_partition_opts_init(gs_partition_opts *opts);

/**
 * Divides each community into grids of rules->min_households to
 * rules->max_households households (and at most rules->max_persons
 * persons), unions of the community's faces cut by the barriers (and, where
 * needed, of its buildings' Voronoi cells), with the households of one
 * building kept together, and writes the layers `grids`, `summary` and
 * `run_metadata` to opts->output through a temporary file renamed into
 * place. A community under the minimum becomes one grid with a note; where
 * no whole number of grids fits, rules->partition_policy applies; grids
 * that miss the bounds carry a note. The result depends on opts->seed,
 * never on opts->threads.
 *
 * With opts->existing, re-divides those grids instead: compliant,
 * `dedicated` and locked grids are written as stored; each grid missing
 * the bounds is split, merged with a neighbour, has a boundary shifted or
 * its cluster redesigned, the first that works; the layer `changes` tells
 * each old grid's fate.
 *
 * @param out_report receives the report on GS_OK; NULL on failure.
 * @return GS_OK; GS_ERR_USAGE for missing options; GS_ERR_INPUT_* for bad
 *         input; GS_ERR_IO when the output cannot be written; GS_ERR_NOMEM;
 *         GS_ERR_INTERNAL when GEOS fails.
 * The caller owns the report (gs_report_destroy()). Thread safety: as
 * every call, one context per thread.
 */
int gs_partition_run(gs_ctx *ctx, const gs_partition_opts *opts,
                     gs_report **out_report);

#ifdef __cplusplus
}
#endif

#endif /* GRIDSMITH_H */
