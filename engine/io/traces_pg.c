/*
 * traces_pg.c - reading traces from PostgreSQL: COPY into the CSV reader.
 *
 * OGR reads a PostGIS table feature by feature, ten times slower than
 * COPY streams it; so a table of points is fetched with COPY (pgcopy.c)
 * as CSV into an unlinked temporary file and parsed by traces_csv.c.
 */
#define _GNU_SOURCE /* mkstemp */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crs.h"
#include "pgcopy.h"
#include "traces_int.h"

/* The query of the rows as the CSV reader wants them: member_id, time,
 * lon, lat[, accuracy_m] from the layer's columns `names` at `idx`,
 * filtered by the attribute filter `where` (may be NULL). Times are cast
 * to text (a timestamptz in UTC, see pgcopy.c); a point of geometry
 * column `geom` gives its coordinates, anything else in place of a point
 * none (a bad row, as through OGR). Without `geom`, the lon and lat
 * columns at idx give them, as text, as a CSV's would. A failure shows in
 * sql->failed. */
static void build_select(gs__buf *sql, const char **names,
                         const int idx[R_COUNT], const char *layer,
                         const char *geom, const char *where) {
    gs__buf_puts(sql, "SELECT ");
    gs__pg_ident(sql, names[idx[R_MEMBER]], 0);
    gs__buf_puts(sql, "::text AS member_id, ");
    gs__pg_ident(sql, names[idx[R_TIME]], 0);
    gs__buf_puts(sql, "::text AS time, ");
    if (!geom) { /* a table of lon and lat columns */
        gs__pg_ident(sql, names[idx[R_LON]], 0);
        gs__buf_puts(sql, "::text AS lon, ");
        gs__pg_ident(sql, names[idx[R_LAT]], 0);
        gs__buf_puts(sql, "::text AS lat");
    } else {
        gs__buf_puts(sql, "ST_X(p.gs__pt) AS lon, ST_Y(p.gs__pt) AS lat");
    }
    if (idx[R_ACC] >= 0) {
        gs__buf_puts(sql, ", ");
        gs__pg_ident(sql, names[idx[R_ACC]], 0);
        gs__buf_puts(sql, "::text AS accuracy_m");
    }
    gs__buf_puts(sql, " FROM ");
    /* OGR names a table outside the search path "schema.table". */
    gs__pg_ident(sql, layer, strchr(layer, '.') != NULL);
    gs__buf_puts(sql, " t");
    if (geom) {
        gs__buf_puts(sql, ", LATERAL (SELECT CASE WHEN GeometryType(t.");
        gs__pg_ident(sql, geom, 0);
        gs__buf_puts(sql, ") = 'POINT' THEN t.");
        gs__pg_ident(sql, geom, 0);
        gs__buf_puts(sql, " END AS gs__pt) p");
    }
    if (where) gs__buf_printf(sql, " WHERE %s", where);
}

/* A PostGIS table of points in a geographic CRS (or none), or a table
 * with lon and lat columns and no geometry (read as a CSV's columns are:
 * WGS84 unless {trace_crs} says otherwise): its columns are found
 * through OGR as for any layer, then the rows are fetched with COPY
 * (pgcopy.c) as member_id,time,lon,lat[,accuracy_m] CSV into an unlinked
 * temporary file, which gs__tr_read_csv parses. A layer OGR shows with another
 * geometry or a projected CRS is read through OGR instead. A bad row's
 * line is its place in the query's result plus one, which is OGR's line
 * (feature id + 1) for a table whose ids number its rows. GS_PG_TRACES_OGR
 * in the environment reads through OGR instead (tests compare the two). */
int gs__tr_read_pg(gs__tr_reader *r) {
    gs_ctx *ctx = r->ctx;
    const gs__trace_opts *o = r->o;
    gs__trace_opts csv = *o;
    GDALDatasetH ds;
    OGRLayerH lyr = NULL;
    OGRSpatialReferenceH lsrs;
    gs__buf sql;
    const char **names = NULL, *geom;
    char where[600], fdpath[64], tmpl[4096];
    const char *tmpdir = getenv("TMPDIR");
    int rc, nf, idx[R_COUNT], fd_tmp = -1, lonlat;

    gs__buf_init(&sql, 0);
    gs__libmsg_clear(ctx);
    ds = GDALOpenEx(o->path,
                    GDAL_OF_VECTOR | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR,
                    (const char *const[]){"PostgreSQL", NULL}, NULL, NULL);
    if (!ds) return gs__tr_read_ogr(r); /* which says why */
    rc = gs__tr_pick_layer(r, ds, 0, &lyr);
    if (rc) goto done;
    geom = OGR_L_GetGeometryColumn(lyr);
    lsrs = OGR_L_GetSpatialRef(lyr);
    lonlat = OGR_L_GetGeomType(lyr) == wkbNone;
    if (!lonlat && (wkbFlatten(OGR_L_GetGeomType(lyr)) != wkbPoint || !geom ||
                    !geom[0] || (lsrs && !OSRIsGeographic(lsrs)))) {
        GDALClose(ds);
        return gs__tr_read_ogr(r);
    }
    snprintf(r->out->layer, sizeof r->out->layer, "%s", OGR_L_GetName(lyr));
    snprintf(where, sizeof where, "%s, layer %s", o->path, r->out->layer);
    if (lonlat) {
        /* A table of fixes with lon and lat columns (as fleets keep
         * them): the columns found as a CSV's are, read as a CSV's. */
        OGRFeatureDefnH fd = OGR_L_GetLayerDefn(lyr);
        nf = OGR_FD_GetFieldCount(fd);
        names = gs__calloc((size_t)nf + 1, sizeof *names);
        if (!names) {
            rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (int i = 0; i < nf; i++)
            names[i] = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, i));
        rc = gs__tr_resolve_cols(r, where, "field", names, (size_t)nf, 1, 1,
                                 idx);
        geom = NULL;
    } else {
        rc = gs__tr_layer_cols(r, lyr, where, 1, &names, &nf, idx);
    }
    if (rc) goto done;
    /* The layer's CRS, unless {trace_crs} names one, as traces_ogr.c. */
    if (r->crs_mode != CRS_OGR && lsrs) r->srs = gs__srs_clone_gis(lsrs);

    build_select(&sql, names, idx, r->out->layer, geom, o->where);
    if (sql.failed) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    GDALClose(ds);
    ds = NULL;

    /* Unlinked at once: the rows vanish with the process, however it
     * ends. */
    snprintf(tmpl, sizeof tmpl, "%s/gridsmith-traces-XXXXXX",
             tmpdir && tmpdir[0] ? tmpdir : "/tmp");
    fd_tmp = mkstemp(tmpl);
    if (fd_tmp < 0) {
        rc = gs__err(ctx, GS_ERR_IO, "%s: cannot make a temporary file: %s",
                     tmpl, strerror(errno));
        goto done;
    }
    unlink(tmpl);
    rc = gs__pg_copy_csv(ctx, o->path, sql.data, fd_tmp, where);
    if (rc) goto done;
    snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd_tmp);
    csv.path = fdpath;
    csv.input = NULL; /* the columns carry their role's names now */
    r->o = &csv;
    rc = gs__tr_read_csv(r);
    r->o = o;
    r->out->is_csv = 0;
    r->first_line = 1; /* the header is not counted: row k is line k + 1 */
done:
    free((void *)names);
    if (ds) GDALClose(ds);
    if (fd_tmp >= 0) close(fd_tmp);
    gs__buf_free(&sql);
    return rc;
}
