/*
 * read_households.c - reading the households into the model, and the
 * check that no household is counted twice.
 *
 * A city has hundreds of thousands of households, so this reader reads
 * only the fields it uses and projects the points in batches of 4096
 * (one PROJ call per batch, not per point). A point is kept in the
 * source's CRS while reading, checked for lon/lat range when the CRS is
 * geographic, then projected; one PROJ cannot project is a bad feature.
 */
#include <cpl_error.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crs.h"
#include "memo.h"
#include "pgcopy.h"
#include "source.h"

/* The fields of a household, in the order of `names`. */
enum { F_ID, F_PERSONS, F_BUILDING, F_CARE, F_COUNT };
static const char *const names[F_COUNT] = {"household_id", "persons",
                                           "building_id", "care_type"};

/* Tells OGR to read only the fields we use: much faster on wide layers.
 * A CSV's coordinate columns are kept for messages. Best effort: without
 * memory every field is read. */
static void ignore_unused(gs__src *s, const int fi[F_COUNT]) {
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(s->lyr);
    int nf = OGR_FD_GetFieldCount(fd), k = 0;
    const char **ignored = gs__calloc((size_t)nf + 2, sizeof *ignored);
    if (!ignored) return;
    for (int i = 0; i < nf; i++) {
        const char *fn = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, i));
        if (i == fi[F_ID] || i == fi[F_PERSONS] || i == fi[F_BUILDING] ||
            i == fi[F_CARE])
            continue;
        if (s->is_csv && gs__is_coord_name(fn)) continue;
        ignored[k++] = fn;
    }
    ignored[k++] = "OGR_STYLE";
    ignored[k] = NULL;
    OGR_L_SetIgnoredFields(s->lyr, ignored);
    free(ignored);
}

/* The households read so far: m->households[0..n) of cap, and how many
 * points lie outside lon/lat bounds in a geographic CRS. */
typedef struct hh_reader {
    gs__src *s;
    gs__model *m;
    const int *fi;
    int geographic;
    size_t n, cap, out_of_range;
} hh_reader;

/* A new household at the end of the array (zeroed), or NULL with
 * GS_ERR_NOMEM set. */
static gs__household *next_slot(hh_reader *r) {
    gs__household *hh;
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 1024;
        gs__household *nv = gs__realloc(r->m->households, nc * sizeof *nv);
        if (!nv) {
            gs__err(r->s->ctx, GS_ERR_NOMEM, "out of memory");
            return NULL;
        }
        r->m->households = nv;
        r->cap = nc;
    }
    hh = &r->m->households[r->n];
    memset(hh, 0, sizeof *hh);
    return hh;
}

/* Takes an OGR feature (and destroys it): a household, or a reported
 * feature without a usable point. Errors as read_points. */
static int take_feature(hh_reader *r, OGRFeatureH f) {
    gs__src *s = r->s;
    const int *fi = r->fi;
    gs__household *hh;
    gs__origin o = gs__src_origin(s, f);
    char problem_buf[300];
    double x = 0, y = 0;
    const char *problem =
        gs__src_point_problem(s, f, &x, &y, problem_buf, sizeof problem_buf);
    int rc;
    if (problem) {
        OGR_F_Destroy(f);
        return gs__src_report(s, r->m, o, problem);
    }
    if (!(hh = next_slot(r))) {
        OGR_F_Destroy(f);
        return GS_ERR_NOMEM;
    }
    hh->origin = o;
    hh->x = x;
    hh->y = y;
    rc = gs__src_str(s, f, fi[F_ID], "household_id", &hh->id);
    if (!rc)
        rc = gs__src_str(s, f, fi[F_BUILDING], "building_id", &hh->building_id);
    if (!rc) rc = gs__src_str(s, f, fi[F_CARE], "care_type", &hh->care_type);
    gs__src_persons(f, fi[F_PERSONS], &hh->persons, &hh->persons_ok);
    OGR_F_Destroy(f);
    if (rc) return rc;
    if (r->geographic && (x < -180 || x > 360 || y < -90 || y > 90))
        r->out_of_range++;
    r->n++;
    return GS_OK;
}

/* Takes a row the direct GeoPackage read decoded: exactly what
 * take_feature makes of the same feature. */
static int take_row(hh_reader *r, const gs__gpkg_row *row) {
    gs__src *s = r->s;
    gs__household *hh = next_slot(r);
    int rc;
    if (!hh) return GS_ERR_NOMEM;
    hh->origin.fid = row->fid;
    hh->origin.line = 0;
    hh->x = row->x;
    hh->y = row->y;
    if ((rc = gs__src_keep_text(s, row->text[0], &hh->id)) ||
        (rc = gs__src_keep_text(s, row->text[1], &hh->building_id)) ||
        (rc = gs__src_keep_text(s, row->text[2], &hh->care_type)))
        return rc;
    hh->persons = row->count;
    hh->persons_ok = row->count_ok;
    if (r->geographic &&
        (row->x < -180 || row->x > 360 || row->y < -90 || row->y > 90))
        r->out_of_range++;
    r->n++;
    return GS_OK;
}

/* Reads the layer's rows through SQLite (gpkg_points.c); a row it leaves
 * to OGR is fetched by its FID and taken as the OGR path takes it. */
static int read_rows(hh_reader *r, gs__gpkg_points *p, long total) {
    gs__src *s = r->s;
    gs__gpkg_row row;
    size_t rows = 0;
    int more, rc;
    for (;;) {
        if ((rc = gs__gpkg_points_next(s, p, &row, &more))) return rc;
        if (!more) break;
        if (row.direct) {
            rc = take_row(r, &row);
        } else {
            OGRFeatureH f;
            gs__libmsg_clear(s->ctx);
            f = OGR_L_GetFeature(s->lyr, (GIntBig)row.fid);
            if (!f)
                return gs__err_lib(s->ctx, GS_ERR_INPUT_OPEN,
                                   "%s, layer %s: reading stopped after %zu "
                                   "features",
                                   s->path, s->layer, r->n);
            rc = take_feature(r, f);
        }
        if (rc) return rc;
        if ((++rows & 0xffff) == 0 && total > 0)
            gs__progress(s->ctx, "read households",
                         (double)rows / (double)total);
    }
    return GS_OK;
}

/* Reads every feature's point (in the source's CRS) and fields into
 * m->households (*out_n and m->n_households of them); a feature without a
 * usable point is reported (gs__src_report). *out_of_range counts points
 * outside lon/lat bounds in a geographic CRS. A GeoPackage point layer is
 * read through SQLite (gpkg_points.c), any other through OGR, with the
 * same result. GS_ERR_INPUT_OPEN when reading stops on an error,
 * GS_ERR_INPUT_ENCODING, GS_ERR_NOMEM. */
static int read_points(gs__src *s, gs__model *m, const int fi[F_COUNT],
                       size_t *out_n, size_t *out_of_range) {
    gs_ctx *ctx = s->ctx;
    OGRFeatureH f;
    long total = (long)OGR_L_GetFeatureCount(s->lyr, 0);
    hh_reader r = {s, m, fi, s->srs && OSRIsGeographic(s->srs), 0, 0, 0};
    const int text[3] = {fi[F_ID], fi[F_BUILDING], fi[F_CARE]};
    static const char *const text_names[3] = {"household_id", "building_id",
                                              "care_type"};
    gs__gpkg_points *p = NULL;
    int rc;
    *out_n = *out_of_range = 0;
    r.cap = total > 0 ? (size_t)total : 1024;
    m->households = gs__malloc(r.cap * sizeof *m->households);
    if (!m->households) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    if ((rc = gs__gpkg_points_open(s, text, text_names, 3, fi[F_PERSONS], &p)))
        return rc;
    if (p) {
        rc = read_rows(&r, p, total);
        gs__gpkg_points_close(p);
        m->n_households = r.n;
        if (rc) return rc;
        *out_n = r.n;
        *out_of_range = r.out_of_range;
        return GS_OK;
    }
    OGR_L_ResetReading(s->lyr);
    while ((f = OGR_L_GetNextFeature(s->lyr)) != NULL) {
        size_t before = r.n;
        if ((rc = take_feature(&r, f))) {
            m->n_households = r.n;
            return rc;
        }
        if (r.n != before && (r.n & 0xffff) == 0 && total > 0)
            gs__progress(ctx, "read households", (double)r.n / (double)total);
    }
    *out_n = m->n_households = r.n;
    *out_of_range = r.out_of_range;
    if (CPLGetLastErrorType() >= CE_Failure && ctx->libmsg[0])
        return gs__err_lib(ctx, GS_ERR_INPUT_OPEN,
                           "%s, layer %s: reading stopped after %zu features",
                           s->path, s->layer, r.n);
    return GS_OK;
}

/* ---- PostGIS: the rows in bulk ------------------------------------------ */

/* What the rows of a binary COPY are read into. */
typedef struct pg_read {
    gs__src *s;
    gs__model *m;
    size_t n, cap, out_of_range;
    OGRFieldType persons_type;
    int geographic, filter;
    OGREnvelope env; /* the shard's rectangle, with `filter` */
    long total, last_fid;
    int unordered; /* the rows came in another order than their ids */
    size_t skipped0;
} pg_read;

static int64_t be_int(const char *p, int n) {
    uint64_t u = (signed char)p[0] < 0 ? UINT64_MAX : 0;
    for (int i = 0; i < n; i++) u = u << 8 | (unsigned char)p[i];
    return (int64_t)u;
}

/* What WKB `w` (n bytes) holds, as gs__src_point_problem sees the
 * geometry OGR would make of it: NULL and the point, or the problem. An
 * empty geometry (a point of two NaNs, as PostGIS writes POINT EMPTY, or
 * a collection, line or polygon of no parts) has no point. */
static const char *wkb_point(const unsigned char *w, int32_t n, double *x,
                             double *y) {
    uint32_t type, count;
    int le;
    if (!w || n < 5) return "has no point geometry";
    le = w[0] == 1;
    type = le ? (uint32_t)w[1] | (uint32_t)w[2] << 8 | (uint32_t)w[3] << 16 |
                    (uint32_t)w[4] << 24
              : (uint32_t)w[1] << 24 | (uint32_t)w[2] << 16 |
                    (uint32_t)w[3] << 8 | w[4];
    type %= 1000; /* ISO WKB: 1001 Z, 2001 M, 3001 ZM */
    if (type == 1 && n >= 21) {
        uint64_t ux = 0, uy = 0;
        for (int i = 0; i < 8; i++) {
            int k = le ? 7 - i : i;
            ux = ux << 8 | w[5 + k];
            uy = uy << 8 | w[13 + k];
        }
        memcpy(x, &ux, sizeof *x);
        memcpy(y, &uy, sizeof *y);
        if (isnan(*x) && isnan(*y)) return "has no point geometry";
        if (!isfinite(*x) || !isfinite(*y))
            return "point has a NaN or infinite coordinate";
        return NULL;
    }
    if (n >= 9) {
        count = le ? (uint32_t)w[5] | (uint32_t)w[6] << 8 |
                         (uint32_t)w[7] << 16 | (uint32_t)w[8] << 24
                   : (uint32_t)w[5] << 24 | (uint32_t)w[6] << 16 |
                         (uint32_t)w[7] << 8 | w[8];
        if (count == 0) return "has no point geometry";
    }
    return "geometry is not a point";
}

/* One row: fid, the geometry as WKB, household_id, persons, building_id,
 * care_type; as read_points reads a feature. */
static int pg_row(void *user, int nc, const char *const *v,
                  const int32_t *len) {
    pg_read *P = user;
    gs__src *s = P->s;
    gs__model *m = P->m;
    gs__household *hh;
    gs__origin o;
    double x = 0, y = 0;
    const char *problem;
    int rc;
    if (nc != 6 || !v[0] || len[0] != 8)
        return gs__err(s->ctx, GS_ERR_INPUT_OPEN,
                       "%s, layer %s: unexpected row from the server", s->path,
                       s->layer);
    o.fid = (long)be_int(v[0], 8);
    o.line = 0;
    if (o.fid < P->last_fid) P->unordered = 1;
    P->last_fid = o.fid;
    problem = wkb_point((const unsigned char *)v[1], v[1] ? len[1] : 0, &x, &y);
    /* OGR's own test of a rectangle filter on the exact point: the index
     * compares rounded boxes. */
    if (P->filter && !problem &&
        !(x >= P->env.MinX && x <= P->env.MaxX && y >= P->env.MinY &&
          y <= P->env.MaxY))
        return GS_OK;
    if (problem) return gs__src_report(s, m, o, problem);
    if (P->n == P->cap) {
        size_t nc2 = P->cap * 2;
        gs__household *nv = gs__realloc(m->households, nc2 * sizeof *nv);
        if (!nv) return gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
        m->households = nv;
        P->cap = nc2;
    }
    hh = &m->households[P->n];
    memset(hh, 0, sizeof *hh);
    hh->origin = o;
    hh->x = x;
    hh->y = y;
    if (P->geographic && (x < -180 || x > 360 || y < -90 || y > 90))
        P->out_of_range++;
    rc = gs__src_text(s, v[2], o, "household_id", &hh->id);
    if (!rc) rc = gs__src_text(s, v[4], o, "building_id", &hh->building_id);
    if (!rc) rc = gs__src_text(s, v[5], o, "care_type", &hh->care_type);
    if (rc) return rc;
    gs__src_persons_raw(P->persons_type, v[3], &hh->persons, &hh->persons_ok);
    P->n++;
    if ((P->n & 0xffff) == 0 && P->total > 0)
        gs__progress(s->ctx, "read households", (double)P->n / P->total);
    return GS_OK;
}

/* Feature ids are unique in a table with a primary key: the orders are
 * total. */
static int cmp_hh_fid(const void *a, const void *b) {
    long x = ((const gs__household *)a)->origin.fid;
    long y = ((const gs__household *)b)->origin.fid;
    return x < y ? -1 : x > y;
}

static int cmp_skip_fid(const void *a, const void *b) {
    long x = ((const gs__skipped *)a)->origin.fid;
    long y = ((const gs__skipped *)b)->origin.fid;
    return x < y ? -1 : x > y;
}

/* A PostGIS table of households read in bulk: one binary COPY of the
 * columns read_points uses, the geometry as WKB (the shard's rectangle a
 * WHERE clause the server answers from its index), put in feature-id
 * order (as a file gives them) and into the same
 * checks, messages and model as read_points. *out_used is 0 when the
 * layer is not a plain table with a feature id and a geometry column, or
 * a field's type reads differently as text (or GS_PG_OGR is set): the
 * caller then reads through OGR. Errors as read_points. */
static int read_points_pg(gs__src *s, gs__model *m, const int fi[F_COUNT],
                          size_t *out_n, size_t *out_of_range, int *out_used) {
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(s->lyr);
    const char *fid = OGR_L_GetFIDColumn(s->lyr);
    const char *geom = OGR_L_GetGeometryColumn(s->lyr);
    OGRGeometryH filter = OGR_L_GetSpatialFilter(s->lyr);
    pg_read P;
    gs__buf sql;
    char what[600];
    int rc;

    *out_used = 0;
    *out_n = *out_of_range = 0;
    /* Fields that read the same as text from the server as through OGR:
     * text and plain integers (and for persons, reals). */
    if (strncmp(s->path, "PG:", 3) != 0 || getenv("GS_PG_OGR") || !fid ||
        !fid[0] || !geom || !geom[0] || OGR_FD_GetGeomFieldCount(fd) != 1 ||
        !gs__src_field_plain(fd, fi[F_ID], 1, 0) ||
        !gs__src_field_plain(fd, fi[F_PERSONS], 1, 1) ||
        !gs__src_field_plain(fd, fi[F_BUILDING], 1, 0) ||
        !gs__src_field_plain(fd, fi[F_CARE], 1, 0))
        return GS_OK;
    *out_used = 1;
    memset(&P, 0, sizeof P);
    P.s = s;
    P.m = m;
    P.geographic = s->srs && OSRIsGeographic(s->srs);
    P.persons_type =
        fi[F_PERSONS] >= 0
            ? OGR_Fld_GetType(OGR_FD_GetFieldDefn(fd, fi[F_PERSONS]))
            : OFTString;
    P.total = (long)OGR_L_GetFeatureCount(s->lyr, 0);
    P.cap = P.total > 0 ? (size_t)P.total : 1024;
    m->households = gs__malloc(P.cap * sizeof *m->households);
    if (!m->households) return gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");

    gs__buf_init(&sql, 0);
    gs__buf_puts(&sql, "SELECT t.");
    gs__pg_ident(&sql, fid, 0);
    gs__buf_puts(&sql, "::int8, ST_AsBinary(t.");
    gs__pg_ident(&sql, geom, 0);
    gs__buf_puts(&sql, "), ");
    for (int k = 0; k < F_COUNT; k++) {
        if (fi[k] < 0) {
            gs__buf_puts(&sql, "NULL::text");
        } else {
            gs__buf_puts(&sql, "t.");
            gs__pg_ident(&sql,
                         OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, fi[k])), 0);
            gs__buf_puts(&sql, "::text");
        }
        gs__buf_puts(&sql, k + 1 < F_COUNT ? ", " : "");
    }
    gs__buf_puts(&sql, " FROM ");
    gs__pg_ident(&sql, s->layer, strchr(s->layer, '.') != NULL);
    gs__buf_puts(&sql, " t");
    if (filter) {
        /* The shard's rectangle, in the column's SRID (found once). */
        OGR_G_GetEnvelope(filter, &P.env);
        P.filter = 1;
        gs__buf_puts(&sql, " WHERE t.");
        gs__pg_ident(&sql, geom, 0);
        gs__buf_printf(&sql,
                       " && ST_MakeEnvelope(%.17g, %.17g, %.17g, %.17g, "
                       "(SELECT ST_SRID(u.",
                       P.env.MinX, P.env.MinY, P.env.MaxX, P.env.MaxY);
        gs__pg_ident(&sql, geom, 0);
        gs__buf_puts(&sql, ") FROM ");
        gs__pg_ident(&sql, s->layer, strchr(s->layer, '.') != NULL);
        gs__buf_puts(&sql, " u WHERE u.");
        gs__pg_ident(&sql, geom, 0);
        gs__buf_puts(&sql, " IS NOT NULL LIMIT 1))");
    }
    if (sql.failed) {
        gs__buf_free(&sql);
        return gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
    }
    snprintf(what, sizeof what, "%s, layer %s (households)", s->path, s->layer);
    P.last_fid = LONG_MIN;
    P.skipped0 = m->n_skipped;
    rc = gs__pg_copy_rows(s->ctx, s->path, sql.data, pg_row, &P, what);
    gs__buf_free(&sql);
    /* In the order of their ids, as a file gives them, whatever order
     * the server's scan found them in. */
    if (!rc && P.unordered) {
        qsort(m->households, P.n, sizeof *m->households, cmp_hh_fid);
        if (m->n_skipped > P.skipped0)
            qsort(m->skipped + P.skipped0, m->n_skipped - P.skipped0,
                  sizeof *m->skipped, cmp_skip_fid);
    }
    *out_n = m->n_households = P.n;
    *out_of_range = P.out_of_range;
    return rc;
}

/* Leaves out the households whose point lies far outside the others or
 * outside the CRS's range (bulk.h): each is recorded as skipped with its
 * place and the reason, never stopping the run, and one warning says how
 * many; m->n_households is what is left. The bulk goes into the run's
 * metadata. GS_ERR_NOMEM. */
static int drop_far(gs__src *s, gs__model *m, gs__inputs *info) {
    gs__bulk b;
    size_t n = m->n_households, w = 0, n_far = 0;
    int geographic = s->srs && OSRIsGeographic(s->srs), rc;
    double unit = geographic || !s->srs ? 1.0 : OSRGetLinearUnits(s->srs, NULL);
    char first[600] = "", bulk[200];
    if (n == 0) return GS_OK;
    rc = gs__bulk_describe(&m->households[0].x, &m->households[0].y,
                           sizeof *m->households, n, geographic, unit, &b);
    if (rc) return gs__err(s->ctx, rc, "out of memory");
    for (size_t i = 0; i < n; i++) {
        gs__household *hh = &m->households[i];
        double d = gs__bulk_outside_crs(&b, hh->x, hh->y)
                       ? INFINITY
                       : gs__bulk_far_m(&b, hh->x, hh->y);
        char why[400];
        if (d == 0) {
            m->households[w++] = *hh;
            continue;
        }
        if (isinf(d))
            snprintf(why, sizeof why,
                     "point (%.6g, %.6g) is outside the range of the "
                     "layer's CRS",
                     hh->x, hh->y);
        else
            snprintf(why, sizeof why,
                     "point (%.6g, %.6g) lies %.0f km outside the other "
                     "households (%s)",
                     hh->x, hh->y, d / 1000,
                     gs__bulk_describe_text(&b, bulk, sizeof bulk));
        if (!n_far++)
            snprintf(first, sizeof first, "%s: %s",
                     gs__src_where(s, hh->origin), why);
        if (gs__model_skip(m, "households", why, hh->origin, NAN, NAN))
            return gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
    }
    m->n_households = w;
    if (n_far)
        gs__warn(s->ctx,
                 "%zu household%s left out, their point far outside the "
                 "others; the first: %s",
                 n_far, n_far == 1 ? "" : "s", first);
    gs__src_bulk_record(s, info, &b, geographic, n_far);
    return GS_OK;
}

/* Projects the n households read to the metric CRS in batches (one PROJ
 * call per batch, not per point) and sets m->n_households; a point that
 * cannot be projected is reported (gs__src_report) and left out. */
static int project(gs__src *s, gs__model *m, size_t n,
                   OGRCoordinateTransformationH ct) {
    double xs[4096], ys[4096];
    size_t w = 0;
    int *ok = gs__malloc(4096 * sizeof *ok), rc = GS_OK;
    if (!ok) return gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i += 4096) {
        size_t k = n - i < 4096 ? n - i : 4096;
        for (size_t j = 0; j < k; j++) {
            xs[j] = m->households[i + j].x;
            ys[j] = m->households[i + j].y;
        }
        OCTTransformEx(ct, (int)k, xs, ys, NULL, ok);
        for (size_t j = 0; j < k; j++) {
            gs__household hh = m->households[i + j];
            if (!ok[j] || !isfinite(xs[j]) || !isfinite(ys[j])) {
                rc = gs__src_report(s, m, hh.origin,
                                    "point cannot be projected to the "
                                    "metric CRS (outside its range)");
                if (rc) goto done;
                continue;
            }
            hh.x = xs[j];
            hh.y = ys[j];
            m->households[w++] = hh;
        }
    }
    m->n_households = w;
done:
    free(ok);
    return rc;
}

/* Reads the households of `path` (gs__io_read_households without the
 * job's memo). */
static int read_households(gs_ctx *ctx, const gs_input_opts *opts,
                           const char *path, gs__model *m,
                           const gs__crsinfo *crs, gs__inputs *info) {
    gs__src s;
    OGRCoordinateTransformationH ct = NULL;
    int rc, fi[F_COUNT], bulk = 0;
    size_t n = 0, out_of_range = 0;

    rc = gs__src_open(ctx, opts, "households", path, 1, &m->strings, &s, info);
    if (rc) return rc;
    for (int k = 0; k < F_COUNT; k++)
        if ((rc = gs__src_field(&s, names[k], k == F_PERSONS, &fi[k])))
            goto done;
    ignore_unused(&s, fi);
    rc = gs__crs_transform(ctx, s.srs, crs->metric, &ct);
    if (rc) goto done;
    rc = read_points_pg(&s, m, fi, &n, &out_of_range, &bulk);
    if (!rc && !bulk) rc = read_points(&s, m, fi, &n, &out_of_range);
    if (rc) goto done;
    if (n == 0) {
        rc = gs__err(ctx, GS_ERR_INPUT_EMPTY,
                     "%s, layer %s (households): no feature has a usable "
                     "point",
                     path, s.layer);
        goto done;
    }
    if (out_of_range * 2 > n) {
        rc = gs__err(ctx, GS_ERR_INPUT_CRS,
                     "%s, layer %s (households): %zu of %zu points are not "
                     "longitudes and latitudes, yet the layer's CRS is "
                     "geographic; the data is probably projected and its "
                     "CRS declared wrongly",
                     path, s.layer, out_of_range, n);
        goto done;
    }
    if ((rc = drop_far(&s, m, info))) goto done;
    rc = project(&s, m, m->n_households, ct);
done:
    if (ct) OCTDestroyCoordinateTransformation(ct);
    gs__src_close(&s);
    return rc;
}

/* In a job, the first step reads and the later ones take a copy of what
 * it read (memo.c). */
int gs__io_read_households(gs_ctx *ctx, const gs_input_opts *opts,
                           const char *path, gs__model *m,
                           const gs__crsinfo *crs, gs__inputs *info) {
    gs__memo_rec rec;
    int rc, hit;
    rc = gs__io_memo_take(ctx, "households", path, opts, crs, m, info, &hit);
    if (rc || hit) return rc;
    gs__io_memo_rec_begin(ctx, &rec, m, info);
    rc = read_households(ctx, opts, path, m, crs, info);
    gs__io_memo_rec_end(ctx, &rec, rc, "households", path, opts, crs, m, info);
    return rc;
}

/* ---- duplicate household ids -------------------------------------------- */

typedef struct id_ix {
    const char *id;
    size_t i;
} id_ix;

static int cmp_id_ix(const void *a, const void *b) {
    const id_ix *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    if (c) return c;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* 1 when no two households share a non-empty id, 0 when some may (or
 * when there is no memory to tell): one pass over a hash table sized for
 * them, where sorting a million ids took several times as long. Only
 * when it answers 0 are the ids sorted to find and name the duplicates. */
static int ids_unique(const gs__model *m) {
    size_t n = m->n_households, ns = 64, mask;
    struct {
        uint32_t h;
        uint32_t i; /* household + 1; 0 is empty */
    } * t;
    int unique = 1;
    if (n >= UINT32_MAX) return 0;
    while (ns < 2 * n) ns *= 2;
    mask = ns - 1;
    t = gs__calloc(ns, sizeof *t);
    if (!t) return 0;
    for (size_t k = 0; k < n && unique; k++) {
        const char *id = m->households[k].id;
        uint32_t h = 2166136261u;
        size_t j;
        if (!id[0]) continue;
        for (const unsigned char *q = (const unsigned char *)id; *q; q++)
            h = (h ^ *q) * 16777619u;
        for (j = h & mask; t[j].i; j = (j + 1) & mask)
            if (t[j].h == h && !strcmp(m->households[t[j].i - 1].id, id)) {
                unique = 0;
                break;
            }
        t[j].h = h;
        t[j].i = (uint32_t)k + 1;
    }
    free(t);
    return unique;
}

int gs__io_check_household_ids(gs_ctx *ctx, const gs_input_opts *in,
                               gs__model *m, const gs__inputs *info) {
    size_t n = m->n_households, w = 0;
    id_ix *v;
    unsigned char *drop;
    int rc = GS_OK;
    if (n < 2 || ids_unique(m)) return GS_OK;
    v = gs__malloc(n * sizeof *v);
    drop = gs__calloc(n, 1);
    if (!v || !drop) {
        free(v);
        free(drop);
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        v[i].id = m->households[i].id;
        v[i].i = i;
    }
    qsort(v, n, sizeof *v, cmp_id_ix);
    for (size_t k = 1; k < n; k++) {
        char where[600], first[600];
        if (!v[k].id[0] || strcmp(v[k].id, v[k - 1].id) != 0) continue;
        gs__io_where(info, "households", m->households[v[k].i].origin, where,
                     sizeof where);
        if (!in || in->on_error != GS_ON_ERROR_SKIP) {
            size_t f = k - 1;
            while (f > 0 && strcmp(v[f - 1].id, v[k].id) == 0) f--;
            gs__io_where(info, "households", m->households[v[f].i].origin,
                         first, sizeof first);
            rc = gs__err(ctx, GS_ERR_INPUT_VALUE,
                         "%s, field household_id: '%s' is duplicated (first "
                         "at %s); use {on_error}=skip to keep the first",
                         where, v[k].id, first);
            goto done;
        }
        drop[v[k].i] = 1;
        if (gs__model_skip(m, "households", "duplicate household_id",
                           m->households[v[k].i].origin,
                           m->households[v[k].i].x, m->households[v[k].i].y)) {
            rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
            goto done;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (!drop[i]) m->households[w++] = m->households[i];
    m->n_households = w;
done:
    free(v);
    free(drop);
    return rc;
}
