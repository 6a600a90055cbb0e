/*
 * traces_fields.c - finding the trace fields among a CSV's columns or a
 * layer's fields.
 *
 * Traces come from phones, platforms and spreadsheets that name their
 * columns as they like, so each field is found through the user's
 * {fields} mapping, else through a list of common aliases (English and
 * Chinese), compared case-insensitively; the first alias present wins.
 */
#define _DEFAULT_SOURCE /* strcasecmp */
#include <stdlib.h>
#include <strings.h>

#include "io.h"
#include "text.h"
#include "traces_int.h"

const char *const gs__tr_role_field[R_COUNT] = {
    "", "member_id", "time", "lon", "lat", "accuracy_m"};

/* The aliases each field is found by when not mapped with {fields}; the
 * first present wins. Compared case-insensitively. */
static const char *const role_alias[R_COUNT][8] = {
    {NULL},
    {"member_id", "member", "memberid", "网格员编号", NULL},
    {"time", "timestamp", "datetime", "gps_time", "时间", "定位时间", NULL},
    {"lon", "lng", "longitude", "x", "经度", NULL},
    {"lat", "latitude", "y", "纬度", NULL},
    {"accuracy_m", "accuracy", "精度", NULL}};

/* Finds the column of each field among `names` (case-insensitive): the
 * {fields} mapping, else the aliases. Missing required ones are
 * GS_ERR_INPUT_FIELD naming `where`, the field and the columns present. */
int gs__tr_resolve_cols(gs__tr_reader *r, const char *where, const char *what,
                        const char *const *names, size_t n, int need_member,
                        int need_lonlat, int idx[R_COUNT]) {
    const gs_input_opts *in = r->o->input;
    for (int role = R_MEMBER; role < R_COUNT; role++) {
        const char *mapped =
            gs__io_mapped_field(in, "traces", gs__tr_role_field[role]);
        int required = role == R_TIME || (role == R_MEMBER && need_member) ||
                       ((role == R_LON || role == R_LAT) && need_lonlat);
        idx[role] = -1;
        if (!need_lonlat && (role == R_LON || role == R_LAT)) continue;
        if (mapped) {
            for (size_t i = 0; i < n && idx[role] < 0; i++)
                if (!strcasecmp(names[i], mapped)) idx[role] = (int)i;
        } else {
            for (int a = 0; role_alias[role][a] && idx[role] < 0; a++)
                for (size_t i = 0; i < n && idx[role] < 0; i++)
                    if (!strcasecmp(names[i], role_alias[role][a]))
                        idx[role] = (int)i;
        }
        if (idx[role] >= 0)
            for (size_t i = 0; i < n; i++)
                if ((int)i != idx[role] &&
                    !strcasecmp(names[i], names[idx[role]]))
                    /* Which of the two holds the values is not for us to
                     * guess: the first is not silently taken. */
                    return gs__err(r->ctx, GS_ERR_INPUT_FIELD,
                                   "%s: %s '%s' (traces.%s) appears twice "
                                   "(%ss %d and %zu): rename or remove one "
                                   "of them",
                                   where, what, names[idx[role]],
                                   gs__tr_role_field[role], what, idx[role] + 1,
                                   i + 1);
        if (idx[role] < 0 && (required || mapped)) {
            char list[600], looked[160];
            size_t n_alias = 0;
            gs__join_names(list, sizeof list, names, n);
            if (mapped)
                return gs__err(r->ctx, GS_ERR_INPUT_FIELD,
                               "%s: %s '%s' (mapped to traces.%s with "
                               "{fields}) does not exist (%ss: %s)",
                               where, what, mapped, gs__tr_role_field[role],
                               what, list);
            while (role_alias[role][n_alias + 1]) n_alias++;
            gs__join_names(looked, sizeof looked, role_alias[role] + 1,
                           n_alias);
            return gs__err(r->ctx, GS_ERR_INPUT_FIELD,
                           "%s: missing required %s '%s' of traces (also "
                           "looked for %s; %ss: %s); map yours with {fields} "
                           "traces.%s=NAME",
                           where, what, gs__tr_role_field[role], looked, what,
                           list, gs__tr_role_field[role]);
        }
    }
    return GS_OK;
}

/* The field names of layer `lyr` (*out_names, NULL-terminated, borrowed
 * from the layer; free the array) and the columns of the roles (idx), as
 * resolve_cols finds them. */
int gs__tr_layer_cols(gs__tr_reader *r, OGRLayerH lyr, const char *where,
                      int need_member, const char ***out_names, int *out_n,
                      int idx[R_COUNT]) {
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(lyr);
    int nf = OGR_FD_GetFieldCount(fd);
    const char **names = gs__calloc((size_t)nf + 1, sizeof *names);
    *out_names = names;
    *out_n = nf;
    if (!names) return gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
    for (int i = 0; i < nf; i++)
        names[i] = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, i));
    return gs__tr_resolve_cols(r, where, "field", names, (size_t)nf,
                               need_member, 0, idx);
}
