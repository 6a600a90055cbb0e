/*
 * rules.c - the rules, their names, and their INI file.
 *
 * Thresholds default to docs/design.md's values and may be overridden by an INI
 * file. The file is parsed by inih (Debian's libinih), a small, well-kept
 * parser; this file only maps [section] key = value onto gs_rules and
 * rejects what it does not know, so a misspelt key is an error rather than
 * a silently ignored setting. Values are parsed strictly (the whole value
 * must be a number in range).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "rules.h"

const char *const gs__assess_items[GS_ASSESS_ITEMS] = {
    "patrol",  "information", "visits",      "events",
    "special", "awareness",   "satisfaction"};

const char *const gs__care_types[GS_CARE_TYPES] = {
    "elderly_alone",     "left_behind_child", "left_behind_woman",
    "released_prisoner", "mental_disorder",   "key_youth"};

static int find_name(const char *const *names, int n, const char *s) {
    for (int k = 0; k < n; k++)
        if (!strcmp(names[k], s)) return k;
    return -1;
}

int gs__assess_item_find(const char *name) {
    return find_name(gs__assess_items, GS_ASSESS_ITEMS, name);
}

int gs__care_type_find(const char *name) {
    return find_name(gs__care_types, GS_CARE_TYPES, name);
}

/* The assessment's defaults: the standard's weights (basic work 60, special
 * work 20, residents' evaluation 20), a missing input at the pass mark, and
 * illustrative visit intervals in days per care type (assess.h order). */
static void assess_rules_init(gs_rules *r) {
    static const double w[GS_ASSESS_ITEMS] = {25, 10, 15, 10, 20, 8, 12};
    static const int days[GS_CARE_TYPES] = {7, 14, 30, 30, 14, 30};
    for (int k = 0; k < GS_ASSESS_ITEMS; k++) {
        r->assess_weight[k] = w[k];
        r->assess_default_pct[k] = 60;
    }
    memcpy(r->care_interval_days, days, sizeof days);
    r->patrol_daily_share = 0.5;
    r->tier_excellent = 90;
    r->tier_good = 80;
    r->tier_pass = 60;
    r->visit_radius_m = 50;
    r->visit_window_s = 1800;
}

static void partition_rules_init(gs_rules *r) {
    r->target_households = 400;
    r->target_persons = 1500;
    r->partition_policy = GS_POLICY_PERSONS;
    r->m2_per_household = 90;
    r->default_levels = 6;
    r->persons_per_household = 2.5;
    r->barrier_tolerance_m = 1;
}

void gs_rules_init(gs_rules *r) {
    assess_rules_init(r);
    partition_rules_init(r);
    r->min_households = 300;
    r->max_households = 500;
    r->max_persons = 2500;
    r->exempt_dedicated = 1;
    r->sliver_m2 = 1.0;
    r->shared_edge_m = 1.0;
    r->edge_snap_m = 0.001;
    r->max_gap_s = 300;
    r->max_speed_mps = 8;
    r->tolerance_m = 15;
    r->daily_min_s = 7200;
    r->weekly_min_s = 36000;
    r->coverage_m = 15;
    r->reach_m = 25;
    r->raster_m = 1;
    r->low_accuracy_m = 50;
    r->mock_min_fixes = 30;
    r->hex_size_m = 100;
    r->cluster_eps_m = 50;
    r->cluster_min_events = 5;
    r->min_units = 30;
    r->grid_gi_value = GS_GI_PER_KM2;
    r->repeat_radius_m = 30;
    r->repeat_min_events = 3;
    r->repeat_days = 28;
    r->min_history_weeks = 8;
    r->trend_alpha = 0.10;
    r->rising_fdr_q = 0.10;
    r->kde_bandwidth_m = 0;
    r->kde_cell_m = 0;
    r->deadline_workdays = 5;
    /* Illustrative deadlines in working days: urgent safety hazards first,
     * building violations last. Each office sets its own in [hotspots]. */
    {
        static const gs_deadline table[] = {
            {"安全隐患", 2}, {"环境卫生", 3}, {"占道经营", 3}, {"噪音扰民", 3},
            {"设施损坏", 5}, {"矛盾纠纷", 5}, {"违章搭建", 10}};
        r->n_deadlines = (int)(sizeof table / sizeof table[0]);
        memcpy(r->deadlines, table, sizeof table);
    }
}

void gs_input_opts_init(gs_input_opts *o) {
    memset(o, 0, sizeof *o);
    o->on_error = GS_ON_ERROR_FAIL;
}

void gs_common_opts_init(gs_common_opts *o) {
    memset(o, 0, sizeof *o);
    o->threads = 1;
}

int gs__opts_check_version(gs_ctx *ctx, unsigned int version) {
    if (version == GS_OPTS_VERSION) return GS_OK;
    return gs__err(ctx, GS_ERR_USAGE,
                   "options of version %u given to a library of version %d "
                   "(fill them with the _init function of this version)",
                   version, GS_OPTS_VERSION);
}

typedef struct load_state {
    gs_rules r;
    char err[400];
} load_state;

static int parse_int(const char *v, int lo, int hi, int *out) {
    char *end;
    long x;
    errno = 0;
    x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) return 0;
    *out = (int)x;
    return 1;
}

static int parse_real(const char *v, double lo, double hi, double *out) {
    char *end;
    double x;
    errno = 0;
    x = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(x) || x < lo || x > hi) return 0;
    *out = x;
    return 1;
}

static int parse_bool(const char *v, int *out) {
    if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1") ||
        !strcasecmp(v, "on")) {
        *out = 1;
        return 1;
    }
    if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcmp(v, "0") ||
        !strcasecmp(v, "off")) {
        *out = 0;
        return 1;
    }
    return 0;
}

/* A numeric key of a section: where it goes in gs_rules and its range. */
typedef struct num_key {
    const char *key;
    size_t off;
    int is_int;
    double lo, hi;
} num_key;

/* Sets `name` from the table: 1 set, 0 a bad value, -1 not in it. */
static int set_num(load_state *s, const num_key *t, size_t n, const char *name,
                   const char *value) {
    for (size_t i = 0; i < n; i++) {
        char *dst = (char *)&s->r + t[i].off;
        if (strcmp(name, t[i].key) != 0) continue;
        if (t[i].is_int)
            return parse_int(value, (int)t[i].lo, (int)t[i].hi, (int *)dst);
        return parse_real(value, t[i].lo, t[i].hi, (double *)dst);
    }
    return -1;
}

/* [hotspots]: 1 set, 0 a bad value, -1 an unknown key. deadline.CATEGORY
 * replaces that category's deadline or adds one. */
static int on_hotspots(load_state *s, const char *name, const char *value) {
#define R(k, lo, hi) \
    { #k, offsetof(gs_rules, k), 0, lo, hi }
#define I(k, lo, hi) \
    { #k, offsetof(gs_rules, k), 1, lo, hi }
    static const num_key keys[] = {
        R(hex_size_m, 1, 100000),        R(cluster_eps_m, 0.1, 100000),
        R(repeat_radius_m, 0.1, 100000), R(trend_alpha, 1e-6, 0.5),
        R(rising_fdr_q, 1e-6, 0.5),      R(kde_bandwidth_m, 0, 1e6),
        R(kde_cell_m, 0, 1e5),           I(cluster_min_events, 1, 1000000),
        I(min_units, 3, 1000000),        I(repeat_min_events, 2, 1000000),
        I(repeat_days, 1, 3660),         I(min_history_weeks, 2, 520),
        I(deadline_workdays, 1, 1000)};
#undef R
#undef I
    int ok = set_num(s, keys, sizeof keys / sizeof keys[0], name, value);
    if (ok >= 0) return ok;
    if (!strcmp(name, "grid_gi_value")) {
        static const char *const names[] = {"count", "per_km2", "per_100hh"};
        for (int k = 0; k < 3; k++)
            if (!strcmp(value, names[k])) {
                s->r.grid_gi_value = k;
                return 1;
            }
        return 0;
    }
    if (!strncmp(name, "deadline.", 9) && name[9]) {
        const char *cat = name + 9;
        int days, k;
        if (strlen(cat) >= sizeof s->r.deadlines[0].category ||
            !parse_int(value, 1, 1000, &days))
            return 0;
        for (k = 0; k < s->r.n_deadlines; k++)
            if (!strcmp(s->r.deadlines[k].category, cat)) break;
        if (k == GS_MAX_DEADLINES) return 0;
        if (k == s->r.n_deadlines) s->r.n_deadlines++;
        snprintf(s->r.deadlines[k].category, sizeof s->r.deadlines[k].category,
                 "%s", cat);
        s->r.deadlines[k].workdays = days;
        return 1;
    }
    return -1;
}

/* [assess]: 1 set, 0 a bad value, -1 an unknown key. weight.ITEM and
 * default.ITEM name an assessment item, interval.TYPE a care type. */
static int on_assess(load_state *s, const char *name, const char *value) {
    gs_rules *r = &s->r;
    const char *dot = strchr(name, '.');
    int k;
    if (!strcmp(name, "patrol_daily_share"))
        return parse_real(value, 0, 1, &r->patrol_daily_share);
    if (!strcmp(name, "tier_excellent"))
        return parse_real(value, 0, 100, &r->tier_excellent);
    if (!strcmp(name, "tier_good"))
        return parse_real(value, 0, 100, &r->tier_good);
    if (!strcmp(name, "tier_pass"))
        return parse_real(value, 0, 100, &r->tier_pass);
    if (!strcmp(name, "visit_radius_m"))
        return parse_real(value, 0.1, 10000, &r->visit_radius_m);
    if (!strcmp(name, "visit_window_s"))
        return parse_real(value, 1, 86400, &r->visit_window_s);
    if (!dot) return -1;
    if (!strncmp(name, "interval.", 9)) {
        k = gs__care_type_find(dot + 1);
        return k < 0 ? -1 : parse_int(value, 0, 31, &r->care_interval_days[k]);
    }
    k = gs__assess_item_find(dot + 1);
    if (k < 0) return -1;
    if (!strncmp(name, "weight.", 7))
        return parse_real(value, 0, 100, &r->assess_weight[k]);
    if (!strncmp(name, "default.", 8))
        return parse_real(value, 0, 100, &r->assess_default_pct[k]);
    return -1;
}

static int on_partition(gs_rules *r, const char *name, const char *value) {
    if (!strcmp(name, "target_households"))
        return parse_int(value, 1, 1000000, &r->target_households);
    if (!strcmp(name, "target_persons"))
        return parse_int(value, 1, 100000000, &r->target_persons);
    if (!strcmp(name, "m2_per_household"))
        return parse_real(value, 1, 100000, &r->m2_per_household);
    if (!strcmp(name, "default_levels"))
        return parse_real(value, 1, 200, &r->default_levels);
    if (!strcmp(name, "persons_per_household"))
        return parse_real(value, 0, 100, &r->persons_per_household);
    if (!strcmp(name, "barrier_tolerance_m"))
        return parse_real(value, 0, 1000, &r->barrier_tolerance_m);
    if (!strcmp(name, "infeasible")) {
        if (!strcmp(value, "persons"))
            r->partition_policy = GS_POLICY_PERSONS;
        else if (!strcmp(value, "oversize"))
            r->partition_policy = GS_POLICY_OVERSIZE;
        else
            return 0;
        return 1;
    }
    return -1;
}

static int on_pair(void *user, const char *section, const char *name,
                   const char *value) {
    load_state *s = user;
    int ok;
    if (s->err[0]) return 0;
    if (!strcmp(section, "sizing")) {
        if (!strcmp(name, "min_households"))
            ok = parse_int(value, 0, 1000000, &s->r.min_households);
        else if (!strcmp(name, "max_households"))
            ok = parse_int(value, 0, 1000000, &s->r.max_households);
        else if (!strcmp(name, "max_persons"))
            ok = parse_int(value, 0, 100000000, &s->r.max_persons);
        else if (!strcmp(name, "exempt_dedicated"))
            ok = parse_bool(value, &s->r.exempt_dedicated);
        else
            goto unknown;
    } else if (!strcmp(section, "topology")) {
        if (!strcmp(name, "sliver_m2"))
            ok = parse_real(value, 0, 1e9, &s->r.sliver_m2);
        else if (!strcmp(name, "shared_edge_m"))
            ok = parse_real(value, 0, 1e6, &s->r.shared_edge_m);
        else if (!strcmp(name, "edge_snap_m"))
            ok = parse_real(value, 0, 10, &s->r.edge_snap_m);
        else
            goto unknown;
    } else if (!strcmp(section, "patrol")) {
        static const num_key keys[] = {
            {"max_gap_s", offsetof(gs_rules, max_gap_s), 0, 1, 86400},
            {"max_speed_mps", offsetof(gs_rules, max_speed_mps), 0, 0.1, 1000},
            {"tolerance_m", offsetof(gs_rules, tolerance_m), 0, 0, 1000},
            {"daily_min_s", offsetof(gs_rules, daily_min_s), 0, 0, 86400},
            {"weekly_min_s", offsetof(gs_rules, weekly_min_s), 0, 0, 604800},
            {"coverage_m", offsetof(gs_rules, coverage_m), 0, 0.1, 1000},
            {"reach_m", offsetof(gs_rules, reach_m), 0, 0, 1000},
            {"raster_m", offsetof(gs_rules, raster_m), 0, 0.1, 10},
            {"low_accuracy_m", offsetof(gs_rules, low_accuracy_m), 0, 0, 1e6},
            {"mock_min_fixes", offsetof(gs_rules, mock_min_fixes), 1, 2,
             1000000}};
        ok = set_num(s, keys, sizeof keys / sizeof keys[0], name, value);
        if (ok < 0) goto unknown;
    } else if (!strcmp(section, "hotspots")) {
        ok = on_hotspots(s, name, value);
        if (ok < 0) goto unknown;
    } else if (!strcmp(section, "assess")) {
        ok = on_assess(s, name, value);
        if (ok < 0) goto unknown;
    } else if (!strcmp(section, "partition")) {
        ok = on_partition(&s->r, name, value);
        if (ok < 0) goto unknown;
    } else {
        snprintf(s->err, sizeof s->err,
                 "unknown section [%s] (known: [sizing], [topology], "
                 "[patrol], [hotspots], [assess], [partition])",
                 section);
        return 0;
    }
    if (!ok) {
        snprintf(s->err, sizeof s->err, "[%s] %s = '%s' is not a valid value",
                 section, name, value);
        return 0;
    }
    return 1;
unknown:
    snprintf(s->err, sizeof s->err, "unknown key '%s' in [%s]", name, section);
    return 0;
}

const char *gs__ini_syntax_error(const char *path, int *line) {
    FILE *fp = fopen(path, "rb");
    long at = 1, len = 0;
    int c;
    if (!fp) return "syntax error";
    /* inih reads a line into a buffer of INI_MAX_LINE bytes and parses the
     * rest of a longer one as a line of its own, so it counts such a line
     * more than once: the culprit is the first long line up to there. */
    while ((c = getc(fp)) != EOF && at <= *line) {
        if (c != '\n') {
            len++;
            continue;
        }
        if (len >= INI_MAX_LINE - 1) break;
        at++;
        len = 0;
    }
    fclose(fp);
    if (len < INI_MAX_LINE - 1) return "syntax error";
    *line = (int)at;
    return "line too long (an INI line holds at most 198 characters)";
}

int gs_rules_load(gs_ctx *ctx, gs_rules *rules, const char *path) {
    load_state s;
    struct stat st;
    int line;
    if (!ctx || !rules || !path) return GS_ERR_USAGE;
    if (stat(path, &st) != 0)
        return gs__err(ctx, GS_ERR_CONFIG, "%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return gs__err(ctx, GS_ERR_CONFIG, "%s: is a directory, not a file",
                       path);
    s.r = *rules;
    s.err[0] = '\0';
    line = ini_parse(path, on_pair, &s);
    if (line < 0)
        return gs__err(ctx, GS_ERR_CONFIG, "%s: cannot read the file", path);
    if (line > 0) {
        const char *why = s.err[0] ? s.err : gs__ini_syntax_error(path, &line);
        return gs__err(ctx, GS_ERR_CONFIG, "%s, line %d: %s", path, line, why);
    }
    if (s.r.min_households > s.r.max_households)
        return gs__err(ctx, GS_ERR_CONFIG,
                       "%s: min_households (%d) is above max_households (%d)",
                       path, s.r.min_households, s.r.max_households);
    *rules = s.r;
    return GS_OK;
}
