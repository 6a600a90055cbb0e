/*
 * merge_write.c - the layers a merge writes (grid_events, hex_hotspots,
 * categories, run_metadata) and its report.
 *
 * A source's feature is copied field by field into the layer a run
 * defines (layers.c), but for what the merge recomputed: the cat_ fields,
 * re-mapped through the source's categories to the merged order, the top
 * category, and Gi*. A category the source summed in cat_other cannot be
 * split again: its count stays in cat_other, and a top category summed
 * there keeps the source's choice.
 */
#define _POSIX_C_SOURCE 200809L
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "merge_state.h"
#include "report.h"

static void set_gi(OGRFeatureH f, const gs__hs_gi *g, size_t i) {
    int iz = OGR_F_GetFieldIndex(f, "gi_z"),
        ip = OGR_F_GetFieldIndex(f, "gi_p"),
        ib = OGR_F_GetFieldIndex(f, "gi_bin");
    if (g->done && isfinite(g->z[i])) {
        OGR_F_SetFieldDouble(f, iz, g->z[i]);
        OGR_F_SetFieldDouble(f, ip, g->p[i]);
        OGR_F_SetFieldInteger64(f, ib, g->bin[i]);
    } else {
        OGR_F_SetFieldNull(f, iz);
        OGR_F_SetFieldNull(f, ip);
        OGR_F_SetFieldNull(f, ib);
    }
}

/* Copies the fields of `from` that `to` has by name, but those named in
 * skip (prefix match when the entry ends in '*'). */
static void copy_fields(OGRFeatureH to, OGRFeatureH from,
                        const char *const *skip, size_t nskip) {
    for (int j = 0; j < OGR_F_GetFieldCount(to); j++) {
        OGRFieldDefnH d = OGR_F_GetFieldDefnRef(to, j);
        const char *name = OGR_Fld_GetNameRef(d);
        int k = OGR_F_GetFieldIndex(from, name), skipped = 0;
        for (size_t q = 0; q < nskip && !skipped; q++) {
            size_t len = strlen(skip[q]);
            skipped = skip[q][len - 1] == '*' ? !strncmp(name, skip[q], len - 1)
                                              : !strcmp(name, skip[q]);
        }
        if (skipped || k < 0) continue;
        if (!OGR_F_IsFieldSetAndNotNull(from, k)) {
            OGR_F_SetFieldNull(to, j);
            continue;
        }
        switch (OGR_Fld_GetType(d)) {
            case OFTInteger:
            case OFTInteger64:
                OGR_F_SetFieldInteger64(to, j,
                                        OGR_F_GetFieldAsInteger64(from, k));
                break;
            case OFTReal:
                OGR_F_SetFieldDouble(to, j, OGR_F_GetFieldAsDouble(from, k));
                break;
            default:
                OGR_F_SetFieldString(to, j, OGR_F_GetFieldAsString(from, k));
        }
    }
}

/* The counts of grid g in the merged order (cnt, ncats of them), what its
 * source summed in cat_other (*lumped), and whether the source's top
 * category had a field of its own there (*top_known). */
static void source_counts(const gs__hs_merge *M, const gs__hs_mgrid *g,
                          const char *top_label, long *cnt, long *lumped,
                          int *top_known) {
    const gs__hs_msrc *s = &M->s[g->src];
    memset(cnt, 0, M->ncats * sizeof *cnt);
    *top_known = 0;
    for (size_t k = 0; k < s->ncats; k++) {
        const gs__hs_scat *c = &s->cats[k];
        if (!strncmp(c->field, "cat_", 4) && strcmp(c->field, "cat_other"))
            cnt[c->global] = (long)gs__hs_fint(g->f, c->field);
        if (!strcmp(c->label, top_label))
            *top_known = strcmp(c->field, "cat_other") != 0;
    }
    *lumped = (long)gs__hs_fint(g->f, "cat_other");
}

/* The merge's category fields of grid g into f: top_category, cat_1..
 * and cat_other; cnt is work space of ncats counts. */
static void set_categories(const gs__hs_merge *M, const gs__hs_mgrid *g,
                           OGRFeatureH f, long *cnt) {
    const char *top_label = gs__hs_fstr(g->f, "top_category");
    long lumped, other = 0;
    int top, top_known;
    source_counts(M, g, top_label, cnt, &lumped, &top_known);
    /* The most frequent category, as a run picks it; a top summed in the
     * source's cat_other keeps the source's choice. */
    top = gs__hs_top_category(cnt, M->ncats);
    for (size_t k = M->nf; k < M->ncats; k++) other += cnt[k];
    OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "top_category"),
                         lumped > 0 && top_label[0] && !top_known ? top_label
                         : top >= 0 ? M->cats[top].label
                                    : "");
    for (size_t k = 0; k < M->nf; k++)
        OGR_F_SetFieldInteger64(f, OGR_F_GetFieldIndex(f, M->names[k]), cnt[k]);
    if (M->other)
        OGR_F_SetFieldInteger64(f, OGR_F_GetFieldIndex(f, "cat_other"),
                                other + lumped);
}

static int write_grids(gs__hs_merge *M, gs__out *o) {
    static const char *const skip[] = {"cat_*", "top_category", "gi_z",
                                       "gi_p",  "gi_bin",       "shard"};
    const char *labels[GS__HS_MAX_CAT_FIELDS];
    long *cnt = gs__malloc((M->ncats ? M->ncats : 1) * sizeof *cnt);
    gs__olayer *l;
    int rc;
    if (!cnt) return gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < M->nf; k++) labels[k] = M->cats[k].label;
    rc = gs__hs_grid_layer(o, labels, M->nf, M->other, M->names, &l);
    for (size_t i = 0; !rc && i < M->ngrids; i++) {
        const gs__hs_mgrid *g = &M->grids[i];
        OGRFeatureH f = gs__out_feature(l);
        if (!f) {
            rc = gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
            break;
        }
        copy_fields(f, g->f, skip, sizeof skip / sizeof skip[0]);
        set_categories(M, g, f, cnt);
        set_gi(f, &M->grid_gi, i);
        if ((rc = gs__out_wkb(o, f, g->g->src_wkb, g->g->src_wkb_len))) {
            OGR_F_Destroy(f);
            break;
        }
        rc = gs__out_put(o, l, f);
    }
    free(cnt);
    return rc;
}

static int write_categories(gs__hs_merge *M, gs__out *o) {
    gs__olayer *l;
    int rc = gs__hs_categories_layer(o, &l);
    for (size_t k = 0; !rc && k < M->ncats; k++) {
        OGRFeatureH f = gs__out_feature(l);
        if (!f) return gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
        OGR_F_SetFieldString(
            f, 0,
            gs__hs_cat_field(k, M->nf, M->other, M->names, M->cats[k].events));
        OGR_F_SetFieldString(f, 1, M->cats[k].label);
        OGR_F_SetFieldInteger64(f, 2, M->cats[k].events);
        rc = gs__out_put(o, l, f);
    }
    return rc;
}

static int write_hexes(gs__hs_merge *M, gs__out *o) {
    static const char *const skip[] = {"gi_z", "gi_p", "gi_bin", "shard"};
    gs__olayer *l;
    int rc = gs__hs_hex_layer(o, &l);
    for (size_t k = 0; !rc && k < M->nhex; k++) {
        OGRFeatureH f = gs__out_feature(l);
        OGRGeometryH g = OGR_F_GetGeometryRef(M->hex[k].f);
        unsigned char *wkb = NULL;
        size_t n = g ? (size_t)OGR_G_WkbSize(g) : 0;
        if (!f || (g && !(wkb = gs__malloc(n ? n : 1)))) {
            if (f) OGR_F_Destroy(f);
            return gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
        }
        copy_fields(f, M->hex[k].f, skip, sizeof skip / sizeof skip[0]);
        set_gi(f, &M->hex_gi, k);
        if (g) OGR_G_ExportToWkb(g, wkbNDR, wkb);
        rc = g ? gs__out_wkb(o, f, wkb, n) : GS_OK;
        free(wkb);
        if (rc) {
            OGR_F_Destroy(f);
            break;
        }
        rc = gs__out_put(o, l, f);
    }
    return rc;
}

static int write_meta(gs__hs_merge *M, gs__out *o) {
    json_object *a = json_object_new_array();
    int rc = gs__out_meta_run(o, "hotspots", M->opts->common.command_line,
                              M->started, M->rules, M->crs.metric_name, NULL);
    for (size_t k = 0; !rc && k + 1 < GS__HS_N_SAME; k++) /* rules: written */
        rc = gs__out_meta(o, gs__hs_same_keys[k], M->s[0].meta[k]);
    if (!rc)
        rc = gs__out_meta(o, "grid_gi",
                          M->grid_gi.done ? "computed" : M->grid_gi.note);
    if (!rc)
        rc = gs__out_meta(o, "hex_gi",
                          M->hex_gi.done ? "computed" : M->hex_gi.note);
    for (size_t i = 0; i < M->ns; i++)
        json_object_array_add(a, json_object_new_string(M->s[i].name));
    if (!rc)
        rc = gs__out_meta(
            o, "merged_from",
            json_object_to_json_string_ext(
                a, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(a);
    if (!rc)
        rc = gs__out_meta(o, "merged_layers",
                          "grid_events, hex_hotspots, categories (emerging, "
                          "clusters, trouble_spots, summaries, event_issues, "
                          "bad_rows and the density stay in the sources)");
    return rc;
}

int gs__hs_merge_write(gs__hs_merge *M, gs__out *o) {
    int rc;
    if ((rc = write_grids(M, o)) || (rc = write_hexes(M, o)) ||
        (rc = write_categories(M, o)))
        return rc;
    return write_meta(M, o);
}

/* ---- the report ---------------------------------------------------------- */

/* A Gi* object under the key `what` of the JSON, and its line of the
 * text, labelled `label` (`what` in the user's language). */
static void gi_line(gs__buf *t, json_object *o, const gs__hs_gi *g, size_t n,
                    const char *what, const char *label) {
    long b[7];
    json_object *j = json_object_new_object();
    gs__hs_gi_count_bins(g, n, b);
    json_object_object_add(j, "units", json_object_new_int64((int64_t)n));
    json_object_object_add(j, "computed", json_object_new_boolean(g->done));
    json_object_object_add(j, "note",
                           g->done ? NULL : json_object_new_string(g->note));
    json_object_object_add(j, "hot_95", json_object_new_int64(b[5] + b[6]));
    json_object_object_add(j, "cold_95", json_object_new_int64(b[0] + b[1]));
    json_object_object_add(o, what, j);
    if (!g->done)
        gs__buf_printf(t, gs__tr("  %s: %s\n"), label, g->text);
    else
        gs__buf_printf(t,
                       /* TRANSLATORS: the first %s is "grids" or "hexagons". */
                       gs__tr("  %s: %zu; %ld hot spots (%ld at 99%%), %ld "
                              "cold, passing FDR 0.05\n"),
                       label, n, b[5] + b[6], b[6], b[0] + b[1]);
}

gs_report *gs__hs_merge_report(gs__hs_merge *M) {
    json_object *o = json_object_new_object();
    gs__buf t;
    if (!o) return NULL;
    json_object_object_add(o, "command", json_object_new_string("hotspots"));
    json_object_object_add(o, "output",
                           json_object_new_string(M->opts->common.output));
    json_object_object_add(o, "merged_sources",
                           json_object_new_int64((int64_t)M->ns));
    json_object_object_add(o, "events_in_period",
                           json_object_new_int64(M->events));
    gs__buf_init(&t, 0);
    /* The console text in the user's language (gs__tr); the JSON keys and
     * layer names stay. */
    gs__buf_printf(&t,
                   gs__tr("hotspots, merged: %zu shard outputs, %s to %s, %ld "
                          "events in the period, %zu categories\n"),
                   M->ns, M->s[0].meta[0], M->s[0].meta[1], M->events,
                   M->ncats);
    gi_line(&t, o, &M->grid_gi, M->ngrids, "grids", gs__tr("grids"));
    gi_line(&t, o, &M->hex_gi, M->nhex, "hexagons", gs__tr("hexagons"));
    gs__buf_printf(&t,
                   gs__tr("  wrote %s (grid_events, hex_hotspots, categories, "
                          "run_metadata; the other layers stay per shard)\n"),
                   M->opts->common.output);
    return gs__report_from_buf(M->ctx, o, &t, 0);
}
