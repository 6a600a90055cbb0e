/*
 * read_members.c - reading the roster of grid members into the model.
 *
 * The roster has no geometry: one row per member and grid (a member on
 * two grids has two rows). A blank row is skipped; a row without a
 * member_id is a bad feature (gs__src_report).
 */
#include <cpl_error.h>
#include <stdlib.h>
#include <string.h>

#include "shard.h"
#include "source.h"

/* Sets an attribute filter keeping the rows whose grid_code (field
 * `i_grid`) has a shard prefix, pushed down to a PG: source.
 * GS_ERR_INPUT_FIELD when OGR refuses it, GS_ERR_NOMEM. */
static int select_shard_rows(gs__src *s, int i_grid) {
    gs_ctx *ctx = s->ctx;
    char *q = gs__shard_filter(ctx, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(
                                        OGR_L_GetLayerDefn(s->lyr), i_grid)));
    OGRErr e;
    if (!q) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    gs__libmsg_clear(ctx);
    e = OGR_L_SetAttributeFilter(s->lyr, q);
    free(q);
    if (e != OGRERR_NONE)
        return gs__err_lib(ctx, GS_ERR_INPUT_FIELD,
                           "%s, layer %s (members): cannot select the "
                           "shard's rows",
                           s->path, s->layer);
    return GS_OK;
}

int gs__io_read_members(gs_ctx *ctx, const gs_input_opts *opts,
                        const char *path, int shard_rows, gs__model *m,
                        gs__inputs *info) {
    gs__src s;
    OGRFeatureH f;
    int rc, i_id, i_grid, i_name;
    size_t cap = 0;

    rc = gs__src_open(ctx, opts, "members", path, 0, &m->strings, &s, info);
    if (rc) return rc;
    if ((rc = gs__src_field(&s, "member_id", 1, &i_id)) ||
        (rc = gs__src_field(&s, "grid_code", 1, &i_grid)) ||
        (rc = gs__src_field(&s, "name", 0, &i_name)))
        goto done;
    if (shard_rows && gs__shard_active(ctx) &&
        (rc = select_shard_rows(&s, i_grid)))
        goto done;
    m->have_members = 1;
    OGR_L_ResetReading(s.lyr);
    while ((f = OGR_L_GetNextFeature(s.lyr)) != NULL) {
        gs__member *mb;
        if (m->n_members == cap) {
            size_t nc = cap ? cap * 2 : 256;
            gs__member *nv = gs__realloc(m->members, nc * sizeof *nv);
            if (!nv) {
                OGR_F_Destroy(f);
                rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
                goto done;
            }
            m->members = nv;
            cap = nc;
        }
        mb = &m->members[m->n_members];
        memset(mb, 0, sizeof *mb);
        mb->origin = gs__src_origin(&s, f);
        rc = gs__src_str(&s, f, i_id, "member_id", &mb->member_id);
        if (!rc) rc = gs__src_str(&s, f, i_grid, "grid_code", &mb->grid_code);
        if (!rc) rc = gs__src_str(&s, f, i_name, "name", &mb->name);
        OGR_F_Destroy(f);
        if (rc) goto done;
        if (!mb->member_id[0] && !mb->grid_code[0]) continue; /* blank */
        if (!mb->member_id[0]) {
            rc = gs__src_report(&s, m, mb->origin, "member_id is empty");
            if (rc) goto done;
            continue;
        }
        m->n_members++;
    }
    if (CPLGetLastErrorType() >= CE_Failure && ctx->libmsg[0]) {
        rc = gs__err_lib(ctx, GS_ERR_INPUT_OPEN,
                         "%s, layer %s: reading stopped after %zu rows", path,
                         s.layer, m->n_members);
        goto done;
    }
done:
    gs__src_close(&s);
    return rc;
}
