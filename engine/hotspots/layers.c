/*
 * layers.c - the hotspots layers that a run (write_units.c) and the merge
 * of shard outputs (merge_write.c) both write, defined once so that their
 * fields, order and aliases cannot drift apart: which categories get a
 * field of their own, and the rules both record.
 */
#define _POSIX_C_SOURCE 200809L
#include "layers.h"

#include <assert.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#define NF(a) (sizeof(a) / sizeof((a)[0]))

/* The fields of a gs__hs_counts, as grid_events and the summaries write
 * them (write_units.c: write_counts). */
const gs__fdef gs__hs_count_defs[GS__HS_N_COUNT_DEFS] = {
    {"events", GS__F_INT},
    {"resolved", GS__F_INT},
    {"resolution_rate", GS__F_REAL},
    {"self_resolved", GS__F_INT},
    {"self_resolved_share", GS__F_REAL},
    {"mean_resolve_h", GS__F_REAL},
    {"open", GS__F_INT},
    {"overdue", GS__F_INT}};

/* Appends n field definitions to defs[*nd]. */
void gs__hs_add_defs(gs__fdef *defs, size_t *nd, const gs__fdef *more,
                     size_t n) {
    memcpy(defs + *nd, more, n * sizeof *more);
    *nd += n;
}

static const gs__fdef grid_head[] = {{"grid_code", GS__F_STR},
                                     {"community_code", GS__F_STR},
                                     {"name", GS__F_STR},
                                     {"top_category", GS__F_STR}};
static const gs__fdef grid_tail[] = {{"events_per_km2", GS__F_REAL},
                                     {"households", GS__F_INT},
                                     {"events_per_100hh", GS__F_REAL},
                                     {"grid_mismatch", GS__F_INT},
                                     {"gi_z", GS__F_REAL},
                                     {"gi_p", GS__F_REAL},
                                     {"gi_bin", GS__F_INT}};

void gs__hs_cat_fields(size_t present, size_t *ncat_fields, int *cat_other) {
    *cat_other = present > GS__HS_MAX_CAT_FIELDS;
    *ncat_fields = *cat_other ? GS__HS_MAX_CAT_FIELDS - 1 : present;
}

const char *gs__hs_cat_field(size_t k, size_t ncat_fields, int cat_other,
                             char (*names)[32], long events) {
    if (k < ncat_fields) return names[k];
    return cat_other && events > 0 ? "cat_other" : "";
}

int gs__hs_grid_layer(gs__out *o, const char *const *labels, size_t ncat_fields,
                      int cat_other, char (*names)[32], gs__olayer **out) {
    gs__fdef defs[64];
    size_t nd = 0;
    int rc;
    assert(ncat_fields <= GS__HS_MAX_CAT_FIELDS);
    gs__hs_add_defs(defs, &nd, grid_head, NF(grid_head));
    gs__hs_add_defs(defs, &nd, gs__hs_count_defs, GS__HS_N_COUNT_DEFS);
    for (size_t k = 0; k < ncat_fields; k++) {
        snprintf(names[k], 32, "cat_%zu", k + 1);
        defs[nd++] = (gs__fdef){names[k], GS__F_INT};
    }
    if (cat_other) defs[nd++] = (gs__fdef){"cat_other", GS__F_INT};
    gs__hs_add_defs(defs, &nd, grid_tail, NF(grid_tail));
    if ((rc = gs__out_layer(o, "grid_events", GS__GEOM_POLYGON, defs, nd, out)))
        return rc;
    for (size_t k = 0; !rc && k < ncat_fields; k++)
        rc = gs__out_alias(o, *out, names[k], labels[k]);
    if (!rc && cat_other)
        rc = gs__out_alias(o, *out, "cat_other", "其他类别合计");
    return rc;
}

int gs__hs_categories_layer(gs__out *o, gs__olayer **out) {
    static const gs__fdef defs[] = {
        {"field", GS__F_STR}, {"category", GS__F_STR}, {"events", GS__F_INT}};
    return gs__out_layer(o, "categories", GS__GEOM_NONE, defs, NF(defs), out);
}

int gs__hs_hex_layer(gs__out *o, gs__olayer **out) {
    return gs__out_layer_schema(o, GS__LS_HOTSPOTS_HEX_HOTSPOTS, out);
}

char *gs__hs_rules_json(const gs_rules *r, double hex) {
    static const char *const gi_values[] = {"count", "per_km2", "per_100hh"};
    json_object *o = json_object_new_object(), *d = json_object_new_object();
    char *s;
    json_object_object_add(o, "hex_size_m", json_object_new_double(hex));
    json_object_object_add(o, "cluster_eps_m",
                           json_object_new_double(r->cluster_eps_m));
    json_object_object_add(o, "cluster_min_events",
                           json_object_new_int(r->cluster_min_events));
    json_object_object_add(o, "min_units", json_object_new_int(r->min_units));
    json_object_object_add(
        o, "grid_gi_value",
        json_object_new_string(gi_values[r->grid_gi_value % 3]));
    json_object_object_add(o, "repeat_radius_m",
                           json_object_new_double(r->repeat_radius_m));
    json_object_object_add(o, "repeat_min_events",
                           json_object_new_int(r->repeat_min_events));
    json_object_object_add(o, "repeat_days",
                           json_object_new_int(r->repeat_days));
    json_object_object_add(o, "min_history_weeks",
                           json_object_new_int(r->min_history_weeks));
    json_object_object_add(o, "trend_alpha",
                           json_object_new_double(r->trend_alpha));
    json_object_object_add(o, "rising_fdr_q",
                           json_object_new_double(r->rising_fdr_q));
    json_object_object_add(o, "edge_snap_m",
                           json_object_new_double(r->edge_snap_m));
    json_object_object_add(o, "deadline_workdays",
                           json_object_new_int(r->deadline_workdays));
    for (int k = 0; k < r->n_deadlines; k++)
        json_object_object_add(d, r->deadlines[k].category,
                               json_object_new_int(r->deadlines[k].workdays));
    json_object_object_add(o, "deadlines", d);
    s = gs__strdup(json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return s;
}
