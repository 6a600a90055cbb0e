/*
 * config.c - rules and their --config file.
 *
 * Thresholds default to DESIGN.md's values and may be overridden by an INI
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

#include "internal.h"

void gs_rules_init(gs_rules *r) {
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
}

void gs_input_opts_init(gs_input_opts *o) {
    memset(o, 0, sizeof *o);
    o->on_error = GS_ON_ERROR_FAIL;
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
    if (errno || end == v || *end || !isfinite(x) || x < lo || x > hi)
        return 0;
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
        static const struct {
            const char *key;
            size_t off;
            double lo, hi;
        } reals[] = {
            {"max_gap_s", offsetof(gs_rules, max_gap_s), 1, 86400},
            {"max_speed_mps", offsetof(gs_rules, max_speed_mps), 0.1, 1000},
            {"tolerance_m", offsetof(gs_rules, tolerance_m), 0, 1000},
            {"daily_min_s", offsetof(gs_rules, daily_min_s), 0, 86400},
            {"weekly_min_s", offsetof(gs_rules, weekly_min_s), 0, 604800},
            {"coverage_m", offsetof(gs_rules, coverage_m), 0.1, 1000},
            {"reach_m", offsetof(gs_rules, reach_m), 0, 1000},
            {"raster_m", offsetof(gs_rules, raster_m), 0.1, 10},
            {"low_accuracy_m", offsetof(gs_rules, low_accuracy_m), 0, 1e6}};
        ok = -1;
        for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++)
            if (!strcmp(name, reals[i].key))
                ok = parse_real(value, reals[i].lo, reals[i].hi,
                                (double *)((char *)&s->r + reals[i].off));
        if (ok < 0 && !strcmp(name, "mock_min_fixes"))
            ok = parse_int(value, 2, 1000000, &s->r.mock_min_fixes);
        if (ok < 0) goto unknown;
    } else {
        snprintf(s->err, sizeof s->err,
                 "unknown section [%s] (known: [sizing], [topology], "
                 "[patrol])",
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
    if (line > 0)
        return gs__err(ctx, GS_ERR_CONFIG, "%s, line %d: %s", path, line,
                       s.err[0] ? s.err : "syntax error");
    if (s.r.min_households > s.r.max_households)
        return gs__err(ctx, GS_ERR_CONFIG,
                       "%s: min_households (%d) is above max_households (%d)",
                       path, s.r.min_households, s.r.max_households);
    *rules = s.r;
    return GS_OK;
}
