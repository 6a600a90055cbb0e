/*
 * source.h - what the layer readers of this folder share: an open source
 * and the steps every reader takes (source.c, fields.c, geometry.c,
 * shard_extent.c, pick_crs.c).
 *
 * Any OGR-readable source works (GeoPackage, Shapefile, GeoJSON, CSV,
 * PostGIS). A reader opens the source, picks the layer for its role (the
 * one named with {layers} ROLE=NAME, else the layer named like the role,
 * else the only layer), finds each field by our name or by the user's
 * mapping ({fields} ROLE.FIELD=SOURCE), and reads every feature:
 *
 *   OGR feature -> checked strings (UTF-8, or recoded from {encoding})
 *               -> geometry checked (present, right type, finite)
 *               -> projected to the metric CRS -> GEOS (polygons) or x/y
 *
 * Setup problems (cannot open, no such layer, missing field, no CRS, empty
 * layer, text in another encoding) stop the run with a message naming the
 * file, layer, feature or line, and field. Per-feature problems (no
 * geometry, NaN coordinates) stop it too, unless {on_error}=skip, which
 * records them in the model for the outputs to report.
 *
 * CSV sources are read with every column as text (so codes keep their
 * leading zeros) and point geometry from lon/lat-style columns; a CSV's
 * line number is its feature id plus one (the header line).
 *
 * io.h is the interface of the readers; this header is for the files of
 * the folder only.
 */
#ifndef GS_IO_SOURCE_H
#define GS_IO_SOURCE_H

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "bulk.h"
#include "io.h"

/* An open source: the dataset, the layer of the role, its CRS. */
typedef struct gs__src {
    gs_ctx *ctx;
    const gs_input_opts *opts;
    const char *role;
    const char *path;
    GDALDatasetH ds;
    OGRLayerH lyr;
    char layer[256];
    int is_csv;
    int recode;               /* text is recoded from opts->encoding */
    OGRSpatialReferenceH srs; /* GIS axis order, owned; NULL if none */
    gs__arena *arena;
    int lines; /* gs__src_read_polys reads (Multi)LineStrings, not polygons */
    char tmp[512];
} gs__src;

/* ---- source.c: opening and naming places -------------------------------- */

/* Opens `path` for `role` and picks its layer. With `want_geom`, the layer
 * must have geometry and a CRS (its own, {assume_crs}, or WGS84 for a
 * CSV), and with a shard the shard's extent becomes its spatial filter.
 * With `info`, records the input (path, layer, feature count, SHA-256) and
 * fails on an empty layer. Strings read later go to `arena`. On failure
 * the source is closed and the context's error names the file and role.
 * The caller closes `s` with gs__src_close() after GS_OK. */
int gs__src_open(gs_ctx *ctx, const gs_input_opts *opts, const char *role,
                 const char *path, int want_geom, gs__arena *arena, gs__src *s,
                 gs__inputs *info);

/* Closes the dataset and frees the CRS; `s` may be closed twice. */
void gs__src_close(gs__src *s);

/* The user's source name of the role's `field`, or NULL. */
const char *gs__src_mapped(const gs__src *s, const char *field);

/* Where feature `f` came from: its feature id, and its line for a CSV. */
gs__origin gs__src_origin(const gs__src *s, OGRFeatureH f);

/* "file, line N" for CSV, "file, layer L, feature N" otherwise; in s->tmp,
 * valid until the next call. */
const char *gs__src_where(gs__src *s, gs__origin o);

/* ---- fields.c: fields and their values ---------------------------------- */

/* Finds the field `name` of the role, through the user's mapping if any;
 * *out_idx is -1 for an optional field that is absent. GS_ERR_INPUT_FIELD
 * naming the file, layer, field and the fields present when a required
 * or mapped one is missing. */
int gs__src_field(gs__src *s, const char *name, int required, int *out_idx);

/* Reads field `idx` as trimmed UTF-8 text into the arena ("" when absent or
 * null). GS_ERR_INPUT_ENCODING naming the place and field when the text
 * is not UTF-8 (or not in {encoding}); GS_ERR_NOMEM. */
int gs__src_str(gs__src *s, OGRFeatureH f, int idx, const char *field,
                const char **out);

/* gs__src_str for text `raw` read from the source by other means (NULL
 * for a null), at the place `o`: checked UTF-8 (never recoded), trimmed,
 * into the arena. */
int gs__src_text(gs__src *s, const char *raw, gs__origin o, const char *field,
                 const char **out);

/* gs__src_persons for the value of a field of OGR type `type` as text
 * (NULL for a null), as PostgreSQL gives it: the same values are the
 * same persons. */
void gs__src_persons_raw(OGRFieldType type, const char *raw, long *value,
                         int *ok);

/* 1 when field `idx` of the layer (or an absent one, idx < 0) is one a
 * reader that bypasses OGR's feature API takes verbatim: text, or with
 * `ints` an integer or integer64, with `reals` a real; never a subtype
 * (boolean, JSON, UUID...), which OGR would read differently. */
int gs__src_field_plain(OGRFeatureDefnH fd, int idx, int ints, int reals);

/* persons: an integer >= 0. *ok is 0 for missing, negative, non-integer or
 * unparsable values (the `bad_persons` rule), never an error. */
void gs__src_persons(OGRFeatureH f, int idx, long *value, int *ok);

/* The persons rule on a value already read: an integer, a real, or text
 * (surrounding spaces allowed). Shared by the OGR and the direct
 * GeoPackage reads so that both judge a value alike. */
void gs__persons_int(long long v, long *value, int *ok);
void gs__persons_real(double v, long *value, int *ok);
void gs__persons_text(const char *raw, long *value, int *ok);

/* Copies `raw` without its leading and trailing white space into the
 * arena. GS_ERR_NOMEM (with *out "") when out of memory. */
int gs__src_keep_text(gs__src *s, const char *raw, const char **out);

/* ---- geometry.c: geometry checks and projection ------------------------- */

/* A feature kept for a second pass, with its origin. */
typedef struct gs__rawfeat {
    OGRFeatureH f;
    gs__origin origin;
} gs__rawfeat;

/* Reads every feature of a polygon layer (a line layer with s->lines),
 * checking geometry, and the envelope of those kept; features with
 * problems are skipped (recorded in `m`) or fail, as gs__src_report.
 * GS_ERR_INPUT_EMPTY when none is usable. Free with gs__rawfeats_free. */
int gs__src_read_polys(gs__src *s, gs__model *m, gs__rawfeat **out,
                       size_t *out_n, OGREnvelope *env);
void gs__rawfeats_free(gs__rawfeat *v, size_t n);

/* A feature that cannot be used: GS_ERR_INPUT_GEOMETRY naming it and the
 * problem, or with {on_error}=skip recorded in `m` (GS_ERR_NOMEM). */
int gs__src_report(gs__src *s, gs__model *m, gs__origin o, const char *problem);

/* OGR geometry in the source CRS -> GEOS geometry in metres, 2D, curves
 * made linear. NULL on failure with the context's error set. */
GEOSGeometry *gs__src_to_metric(gs__src *s, OGRGeometryH g,
                                OGRCoordinateTransformationH ct, gs__origin o);

/* GS_ERR_INPUT_CRS when the layer's CRS is geographic but envelope `e`
 * is not within longitudes and latitudes (projected data labelled
 * wrongly). */
int gs__src_check_geographic(gs__src *s, const OGREnvelope *e);

/* NULL and the point's coordinates (source CRS) when the feature has a
 * usable point, else why not (in buf, or static). */
const char *gs__src_point_problem(gs__src *s, OGRFeatureH f, double *x,
                                  double *y, char *buf, size_t size);

/* 1 when `name` is one of the coordinate column names a CSV's points are
 * read from (lon, lng, x, 经度, lat...). */
int gs__is_coord_name(const char *name);

/* ---- coords.c: coordinates far outside their layer ---------------------- */

/* A feature's vertices far outside its layer's bulk or outside its CRS's
 * range: how many, the first (source CRS) and how far outside it lies
 * (metres; INFINITY outside the CRS). */
typedef struct gs__far {
    long n;
    double x, y;
    double dist_m;
} gs__far;

/* Describes the vertices of features raw[0..n) (bulk.h) into *b, finds
 * each feature's bad vertices (far[i], n of them), and sets *env to the
 * envelope of the good vertices, from which the metric CRS is picked. The
 * bulk goes into the role's entry of `info` (may be NULL).
 * GS_ERR_INPUT_CRS when most vertices are not longitudes and latitudes in
 * a geographic layer (projected data labelled wrongly), or none is
 * usable; GS_ERR_NOMEM. */
int gs__src_poly_bulk(gs__src *s, const gs__rawfeat *raw, size_t n, gs__bulk *b,
                      gs__far *far, OGREnvelope *env, gs__inputs *info);

/* Records bulk b of s's layer (geographic or not) and how many of its
 * features (or points) lie far outside it in the role's entry of `info`
 * (may be NULL), for the run's metadata. */
void gs__src_bulk_record(const gs__src *s, gs__inputs *info, const gs__bulk *b,
                         int geographic, size_t n_far);

/* A new geometry: g (curves made linear) without its bad vertices (a ring
 * left with fewer than 4 points, a line with fewer than 2, is dropped;
 * an empty polygon or line when nothing is left). */
OGRGeometryH gs__geom_without_far(OGRGeometryH g, const gs__bulk *b);

/* "1 vertex far outside the layer's other coordinates, the first at
 * (0, 0), 12613 km outside (most lie within ...)" into buf. */
void gs__far_text(const gs__src *s, const gs__bulk *b, const gs__far *f,
                  char *buf, size_t size);

/* ---- gpkg_points.c: a GeoPackage point layer read through SQLite ------- */

/* A direct read of a GeoPackage point layer's rows (gpkg_points.c tells
 * which layers and rows it takes). */
typedef struct gs__gpkg_points gs__gpkg_points;

/* One row: its FID, and with `direct` its point (source CRS), its texts
 * (UTF-8, untrimmed, "" for NULL; valid until the next row) and its
 * count judged by the persons rule. Without `direct` the row is to be
 * read through OGR. */
typedef struct gs__gpkg_row {
    long fid;
    int direct;
    double x, y;
    const char *text[8];
    long count;
    int count_ok;
} gs__gpkg_row;

/* Opens the direct read of s's layer for the text fields text[0..n_text)
 * (OGR field indices, -1 for absent; names[] for messages; n_text <= 8)
 * and the count field `count` (-1 for none). *out is NULL (GS_OK) when
 * the layer is not one to read directly: the caller reads it through
 * OGR. GS_ERR_NOMEM. */
int gs__gpkg_points_open(gs__src *s, const int *text, const char *const *names,
                         int n_text, int count, gs__gpkg_points **out);

/* The next row into *r, *more 0 at the end. GS_ERR_INPUT_OPEN naming the
 * file and layer when SQLite fails. */
int gs__gpkg_points_next(gs__src *s, gs__gpkg_points *p, gs__gpkg_row *r,
                         int *more);

void gs__gpkg_points_close(gs__gpkg_points *p);

/* How many rows the process has decoded directly so far (closed reads):
 * lets a test see which path read a file. */
size_t gs__gpkg_rows_direct(void);

/* 1 and the point when blob b[0..n) is a standard GeoPackage geometry
 * (any envelope, either byte order) holding exactly one 2D WKB Point
 * with finite coordinates, not flagged empty; else 0. */
int gs__gpkg_point_blob(const unsigned char *b, size_t n, double *x, double *y);

/* ---- shard_extent.c, pick_crs.c ----------------------------------------- */

/* Sets the shard's extent (with its halo) as the layer's spatial filter,
 * transformed into the layer's CRS when it differs. GS_ERR_INPUT_CRS when
 * it cannot be, GS_ERR_NOMEM. */
int gs__src_shard_filter(gs__src *s);

/* Picks the metric CRS from the centre of `env` (in the source's CRS) and
 * makes the source's CRS the output one. */
int gs__src_pick_crs(gs__src *s, const OGREnvelope *env, gs__crsinfo *crs);

#endif /* GS_IO_SOURCE_H */
