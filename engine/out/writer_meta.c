/*
 * writer_meta.c - the run metadata every output carries (run_metadata).
 *
 * Key/value rows (schema.c: out.run_metadata): engine and version, the
 * command and its line, start and finish times, the rules as JSON, the
 * metric CRS, the libraries' versions, and each input with its layer,
 * feature count and SHA-256, so that an output says how it was made.
 */
#define _POSIX_C_SOURCE 200809L
#include <gdal.h>
#include <geos_c.h>
#include <json-c/json.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>

#include "bulk.h"
#include "provenance.h"
#include "redact.h"
#include "writer_int.h"

int gs__out_meta(gs__out *o, const char *key, const char *value) {
    OGRFeatureH f;
    char *clean;
    if (!o->meta) {
        int rc = gs__out_layer_schema(o, GS__LS_RUN_METADATA, &o->meta);
        if (rc) return rc;
    }
    f = gs__out_feature(o->meta);
    if (!f) return gs__err(o->ctx, GS_ERR_NOMEM, "out of memory");
    /* The command line and the inputs' paths may hold a password. */
    clean = gs__redact(value ? value : "");
    if (!clean) {
        OGR_F_Destroy(f);
        return gs__err(o->ctx, GS_ERR_NOMEM, "out of memory");
    }
    OGR_F_SetFieldString(f, GS__RM_KEY, key);
    OGR_F_SetFieldString(f, GS__RM_VALUE, clean);
    free(clean);
    return gs__out_put(o, o->meta, f);
}

int gs__out_meta_run(gs__out *o, const char *command, const char *command_line,
                     const char *started, const char *rules_json,
                     const char *metric_crs, const gs__inputs *info) {
    char buf[512], finished[32];
    int rc;
    gs__utc_now(finished, sizeof finished);
    snprintf(buf, sizeof buf, "GDAL %s, GEOS %s, PROJ %d.%d.%d",
             GDALVersionInfo("RELEASE_NAME"), GEOSversion(), PROJ_VERSION_MAJOR,
             PROJ_VERSION_MINOR, PROJ_VERSION_PATCH);
    if ((rc = gs__out_meta(o, "engine", "gridsmith")) ||
        (rc = gs__out_meta(o, "engine_version", GS_VERSION_STRING)) ||
        (rc = gs__out_meta(o, "command", command)) ||
        (rc = gs__out_meta(o, "command_line",
                           command_line ? command_line : "")) ||
        (rc = gs__out_meta(o, "started_at", started)) ||
        (rc = gs__out_meta(o, "finished_at", finished)) ||
        (rc = gs__out_meta(o, "rules", rules_json)) ||
        (rc = gs__out_meta(o, "metric_crs", metric_crs)) ||
        (rc = gs__out_meta(o, "coordinate_rule", GS__BULK_RULE)) ||
        (rc = gs__out_meta(o, "libraries", buf)))
        return rc;
    for (int i = 0; info && i < info->n; i++) {
        const gs__input_info *ii = &info->items[i];
        json_object *j = json_object_new_object();
        char key[64];
        if (!j) return gs__err(o->ctx, GS_ERR_NOMEM, "out of memory");
        json_object_object_add(j, "path", json_object_new_string(ii->path));
        json_object_object_add(j, "layer", json_object_new_string(ii->layer));
        json_object_object_add(j, "features",
                               json_object_new_int64(ii->features));
        json_object_object_add(j, "sha256", json_object_new_string(ii->sha256));
        if (ii->checked) {
            /* The coordinate check (geo/bulk.h): the bulk's box in the
             * layer's CRS, the margin, and the features left out or
             * measured without a far coordinate. */
            json_object *c = json_object_new_object(), *box;
            box = json_object_new_array();
            for (int k = 0; k < 4; k++)
                json_object_array_add(box, json_object_new_double(ii->bulk[k]));
            json_object_object_add(c, "bulk", box);
            json_object_object_add(c, "margin_m",
                                   json_object_new_double(ii->margin_m));
            json_object_object_add(c, "far", json_object_new_int64(ii->far));
            json_object_object_add(j, "coordinates", c);
        }
        snprintf(key, sizeof key, "input.%s", ii->role);
        rc = gs__out_meta(
            o, key,
            json_object_to_json_string_ext(
                j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
        if (rc) return rc;
    }
    return GS_OK;
}
