/*
 * options.c - the roles the readers know, their fields, and the user's
 * layer and field mappings.
 *
 * Every input has a role (grids, households, traces...) with fields under
 * our names; a user whose data names them otherwise maps them with
 * {fields} ROLE.FIELD=SOURCE, and picks a layer with {layers} ROLE=LAYER.
 * The mappings, the encoding and the assumed CRS are checked here, once,
 * before any work: a misspelt one must not pass unnoticed because this run
 * happened not to need it. The readers then only look the mappings up.
 */
#include <iconv.h>
#include <string.h>

#include "crs.h"
#include "io.h"

/* ---- roles and their fields -------------------------------------------- */

typedef struct field_spec {
    const char *name;
    int required;
} field_spec;

typedef struct role_spec {
    const char *role;
    const field_spec *fields;
} role_spec;

static const field_spec community_fields[] = {
    {"community_code", 1}, {"name", 0}, {NULL, 0}};
static const field_spec grid_fields[] = {{"grid_code", 1},
                                         {"community_code", 1},
                                         {"grid_type", 0},
                                         {"name", 0},
                                         {NULL, 0}};
static const field_spec household_fields[] = {{"household_id", 0},
                                              {"persons", 1},
                                              {"building_id", 0},
                                              {"care_type", 0},
                                              {NULL, 0}};
static const field_spec member_fields[] = {
    {"member_id", 1}, {"grid_code", 1}, {"name", 0}, {NULL, 0}};
/* Read by the trace reader (traces_fields.c), not through a gs__src. */
static const field_spec trace_fields[] = {{"member_id", 1},  {"time", 1},
                                          {"lon", 1},        {"lat", 1},
                                          {"accuracy_m", 0}, {NULL, 0}};

/* Read by gs__io_read_events; grid_code optional (joined by location). */
static const field_spec event_fields[] = {
    {"event_id", 1}, {"category", 1},  {"reported_at", 1}, {"resolved_at", 0},
    {"status", 0},   {"grid_code", 0}, {NULL, 0}};

/* Read by gs__io_read_barriers: the roads, rivers, walls and rails that
 * partition follows. */
static const field_spec barrier_fields[] = {
    {"kind", 0},     {"name", 0},    {"class", 0},   {"highway", 0},
    {"waterway", 0}, {"railway", 0}, {"barrier", 0}, {NULL, 0}};

/* Read by gs__io_read_buildings: footprints that partition keeps whole. */
static const field_spec building_fields[] = {
    {"building_id", 0}, {"name", 0},     {"households", 0}, {"persons", 0},
    {"levels", 0},      {"building", 0}, {NULL, 0}};

static const role_spec roles[] = {{"communities", community_fields},
                                  {"grids", grid_fields},
                                  {"households", household_fields},
                                  {"members", member_fields},
                                  {"traces", trace_fields},
                                  {"events", event_fields},
                                  {"barriers", barrier_fields},
                                  {"buildings", building_fields},
                                  {NULL, NULL}};

static const role_spec *find_role(const char *name, size_t len) {
    for (const role_spec *r = roles; r->role; r++)
        if (strlen(r->role) == len && strncmp(r->role, name, len) == 0)
            return r;
    return NULL;
}

/* A {layers} spec: ROLE=LAYER with a known role. GS_ERR_USAGE. */
static int check_layer_spec(gs_ctx *ctx, const char *s) {
    const char *eq = s ? strchr(s, '=') : NULL;
    if (!eq || eq == s || !eq[1])
        return gs__err(ctx, GS_ERR_USAGE,
                       "{layers} '%s': expected ROLE=LAYER, e.g. "
                       "grids=wangge",
                       s ? s : "");
    if (!find_role(s, (size_t)(eq - s)))
        return gs__err(ctx, GS_ERR_USAGE,
                       "{layers} '%s': unknown role '%.*s' (known: "
                       "communities, grids, households, members, "
                       "traces, events, barriers)",
                       s, (int)(eq - s), s);
    return GS_OK;
}

/* A {fields} spec: ROLE.FIELD=SOURCE with a known role and one of its
 * fields. GS_ERR_USAGE. */
static int check_field_spec(gs_ctx *ctx, const char *s) {
    const char *dot = s ? strchr(s, '.') : NULL;
    const char *eq = s ? strchr(s, '=') : NULL;
    const role_spec *r;
    const field_spec *f;
    size_t flen;
    if (!dot || !eq || dot > eq || dot == s || eq == dot + 1 || !eq[1])
        return gs__err(ctx, GS_ERR_USAGE,
                       "{fields} '%s': expected ROLE.FIELD=SOURCE, e.g. "
                       "households.persons=renkou",
                       s ? s : "");
    r = find_role(s, (size_t)(dot - s));
    if (!r)
        return gs__err(ctx, GS_ERR_USAGE,
                       "{fields} '%s': unknown role '%.*s' (known: "
                       "communities, grids, households, members, "
                       "traces, events, barriers)",
                       s, (int)(dot - s), s);
    flen = (size_t)(eq - dot - 1);
    for (f = r->fields; f->name; f++)
        if (strlen(f->name) == flen && !strncmp(f->name, dot + 1, flen)) break;
    if (!f->name)
        return gs__err(ctx, GS_ERR_USAGE,
                       "{fields} '%s': %s has no field '%.*s'", s, r->role,
                       (int)flen, dot + 1);
    return GS_OK;
}

int gs__io_check_opts(gs_ctx *ctx, const gs_input_opts *opts) {
    int rc;
    if (!opts) return GS_OK;
    /* Checked here, before any work, not when an input first needs them:
     * a misspelt encoding or CRS must not pass unnoticed because this run
     * happened not to use it. */
    if (opts->encoding) {
        iconv_t cd = iconv_open("UTF-8", opts->encoding);
        if (cd == (iconv_t)-1)
            return gs__err(ctx, GS_ERR_USAGE,
                           "{encoding} '%s': unknown encoding (e.g. GB18030, "
                           "GBK, UTF-8)",
                           opts->encoding);
        iconv_close(cd);
    }
    if (opts->assume_crs) {
        OGRSpatialReferenceH srs;
        rc = gs__srs_from_user(ctx, opts->assume_crs, &srs);
        if (rc) return rc;
        OSRDestroySpatialReference(srs);
    }
    for (size_t i = 0; i < opts->n_layers; i++)
        if ((rc = check_layer_spec(ctx, opts->layers[i]))) return rc;
    for (size_t i = 0; i < opts->n_fields; i++)
        if ((rc = check_field_spec(ctx, opts->fields[i]))) return rc;
    return GS_OK;
}

const char *gs__io_mapped_field(const gs_input_opts *opts, const char *role,
                                const char *field) {
    size_t rl = strlen(role), fl = strlen(field);
    if (!opts) return NULL;
    for (size_t i = 0; i < opts->n_fields; i++) {
        const char *spec = opts->fields[i];
        if (strncmp(spec, role, rl) == 0 && spec[rl] == '.' &&
            strncmp(spec + rl + 1, field, fl) == 0 && spec[rl + 1 + fl] == '=')
            return spec + rl + 1 + fl + 1;
    }
    return NULL;
}

const char *gs__io_mapped_layer(const gs_input_opts *opts, const char *role) {
    size_t rl = strlen(role);
    if (!opts) return NULL;
    for (size_t i = 0; i < opts->n_layers; i++) {
        const char *spec = opts->layers[i];
        if (strncmp(spec, role, rl) == 0 && spec[rl] == '=')
            return spec + rl + 1;
    }
    return NULL;
}
