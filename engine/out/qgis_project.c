/*
 * qgis_project.c - QGIS projects of gridsmith's outputs (qgis_project.h).
 *
 * What. An analyst who opens an output should not add layers one by one:
 * each GeoPackage carries a project, in the `qgis_projects` table where
 * QGIS keeps projects stored in a GeoPackage, and the weekly job leaves a
 * .qgz for its week. A project lists the layers in groups (a command's map
 * layers, drawn points over lines over areas, its attribute tables in a
 * sub-group), each with the style of its `layer_styles` row, the density
 * raster with its QML, and, for the ledger, the tables the Temporal
 * Controller steps through week by week.
 *
 * How. The project is QGIS project XML (.qgs) of the subset QGIS 3.22
 * writes and reads back, built as text: the project CRS and map extent,
 * the layer tree, one <maplayer> per layer (its source relative to the
 * project's folder, CRS, extent, and the body of its QML style, which is
 * the same XML a <maplayer> holds), the drawing order, relative paths and
 * the time settings. A text `week` ("2026-W47") or `date` field gets a
 * date twin as a QGIS virtual field (week_start, day), so the attribute
 * table can sort and filter by real dates without changing what the
 * tables hold. The XML is zipped through GDAL's /vsizip/ (a .qgz is a zip
 * holding the .qgs) and stored as QGIS stores it: hex text in
 * qgis_projects(name, metadata, content), or as a file.
 *
 * Why so. QGIS has no C API to write projects, and running QGIS to make
 * one would make a Debian server need a desktop stack; the XML subset is
 * small, stable across 3.x and checked by opening every project in PyQGIS
 * (tests/qgis). Numbers go through CPLsnprintf, which ignores the locale.
 */
#define _POSIX_C_SOURCE 200809L
#define _LARGEFILE64_SOURCE /* VSIStatBufL */
#include "qgis_project.h"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <libgen.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datetime.h"
#include "ledger_lock.h"
#include "schema.h"
#include "style.h"
#include "writer.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The QGIS version the XML is written as: Debian 12's QGIS. */
#define QGIS_VERSION "3.22.16-Białowieża"

/* The hard maximum of a project's XML (64 MiB: thousands of layers). */
#define QGS_MAX ((size_t)64 * 1024 * 1024)

/* ---- what each layer is called and where it goes --------------------- */

/* The Chinese name of each output layer (the layer tree shows "中文
 * layer_name"), its drawing rank (lower is drawn on top) and whether it
 * starts ticked. Layers not listed keep their name, with a rank from
 * their geometry. */
static const struct {
    const char *layer, *zh;
    int rank, shown;
} LAYERS[] = {
    /* points */
    {"issue_points", "问题点", 10, 1},
    {"gps_issues", "定位问题", 10, 1},
    {"trouble_spots", "重点问题点", 10, 1},
    {"care_overdue", "关爱对象超期未访", 10, 1},
    {"visits", "走访记录", 11, 1},
    {"households_unreached", "未走到住户", 12, 0},
    /* lines */
    {"tracks", "巡查轨迹", 20, 1},
    {"gaps", "轨迹断点", 21, 1},
    /* areas drawn over others: outlines and hatching */
    {"issues", "问题区域", 30, 1},
    {"uncovered", "未覆盖区域", 30, 1},
    {"clusters", "事件聚集区", 31, 1},
    {"changes", "调整情况", 32, 1},
    /* areas */
    {"grids", "网格", 40, 1},
    {"grid_status", "网格状态", 40, 1},
    {"member_week", "网格员每周巡查", 40, 1},
    {"assessment", "月度考核", 40, 1},
    {"hex_hotspots", "六边形冷热点", 41, 1},
    {"grid_events", "网格事件", 42, 0},
    {"emerging", "时空热点", 43, 0},
    /* tables */
    {"summary", "汇总", 100, 1},
    {"member_day", "网格员每日巡查", 100, 1},
    {"weekly_summary", "周汇总", 100, 1},
    {"monthly_summary", "月汇总", 100, 1},
    {"categories", "事件类别", 100, 1},
    {"event_issues", "事件数据问题", 12, 1},
    {"bad_rows", "无效行", 100, 1},
    {"runs", "运行记录", 100, 1},
    {"run_metadata", "运行信息", 101, 1},
};

/* Tables that are not layers of an output. */
static int internal_table(const char *name) {
    return !strcmp(name, "layer_styles") || !strcmp(name, "qgis_projects");
}

/* ---- the project -------------------------------------------------------- */

typedef struct qlayer {
    char *id, *title, *source, *provider, *body, *srs_wkt, *authid, *extra;
    const char *wkb, *geometry; /* QGIS's names of the geometry type */
    int raster, table, shown, rank, group;
    size_t order; /* the order added, to keep ties stable */
    int has_extent;
    double ext[4];
} qlayer;

struct gs__qgs {
    gs_ctx *ctx;
    char *title;
    qlayer *v;
    size_t n, cap;
    char *groups[16];
    int ngroups;
    int has_time, weekly;
    int32_t t0, t1;
    /* The project's CRS: the first map layer's; the map extent: the union
     * of the extents of the layers in it. */
    char *crs_wkt, *crs_authid;
    int has_ext;
    double ext[4];
};

int gs__qgs_create(gs_ctx *ctx, const char *title, gs__qgs **out) {
    gs__qgs *p = gs__calloc(1, sizeof *p);
    *out = NULL;
    if (!p || !(p->title = gs__strdup(title))) {
        free(p);
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    }
    p->ctx = ctx;
    *out = p;
    return GS_OK;
}

static void layer_free(qlayer *l) {
    free(l->id);
    free(l->title);
    free(l->source);
    free(l->provider);
    free(l->body);
    free(l->srs_wkt);
    free(l->authid);
    free(l->extra);
}

void gs__qgs_destroy(gs__qgs *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n; i++) layer_free(&p->v[i]);
    for (int i = 0; i < p->ngroups; i++) free(p->groups[i]);
    free(p->v);
    free(p->title);
    free(p->crs_wkt);
    free(p->crs_authid);
    free(p);
}

void gs__qgs_time(gs__qgs *p, int32_t first, int32_t last, int weekly) {
    if (p->has_time) {
        if (first < p->t0) p->t0 = first;
        if (last > p->t1) p->t1 = last;
        p->weekly |= weekly;
        return;
    }
    p->has_time = 1;
    p->t0 = first;
    p->t1 = last;
    p->weekly = weekly;
}

/* The index of group `name`, added when new; -1 when there are too many. */
static int group_index(gs__qgs *p, const char *name) {
    for (int i = 0; i < p->ngroups; i++)
        if (!strcmp(p->groups[i], name)) return i;
    if (p->ngroups >= (int)NELEM(p->groups)) return -1;
    if (!(p->groups[p->ngroups] = gs__strdup(name))) return -1;
    return p->ngroups++;
}

/* A new layer slot, zeroed; NULL when out of memory. */
static qlayer *new_layer(gs__qgs *p) {
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        qlayer *v = gs__realloc(p->v, cap * sizeof *v);
        if (!v) return NULL;
        p->v = v;
        p->cap = cap;
    }
    memset(&p->v[p->n], 0, sizeof p->v[p->n]);
    p->v[p->n].order = p->n;
    return &p->v[p->n++];
}

/* The layer's id: unique in the project, stable from run to run, and
 * longer than 10 characters (QGIS replaces shorter ids with new ones,
 * which breaks the layer tree's references to them). */
static char *layer_id(gs__qgs *p, const char *name) {
    char buf[160];
    size_t k = 0;
    snprintf(buf, sizeof buf, "gridsmith_%zu_", p->n);
    k = strlen(buf);
    for (const char *s = name; *s && k + 1 < sizeof buf; s++)
        buf[k++] = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                           (*s >= '0' && *s <= '9')
                       ? *s
                       : '_';
    buf[k] = '\0';
    return gs__strdup(buf);
}

/* The body of a QML document: what lies between <qgis ...> and </qgis>,
 * which is what a <maplayer> holds; NULL when it is not one. */
static char *qml_body(const char *qml) {
    const char *start = qml ? strstr(qml, "<qgis") : NULL, *end;
    if (!start || !(start = strchr(start, '>'))) return NULL;
    start++;
    end = strstr(start, "</qgis>");
    if (!end) return NULL;
    {
        size_t n = (size_t)(end - start);
        char *s = gs__malloc(n + 1);
        if (!s) return NULL;
        memcpy(s, start, n);
        s[n] = '\0';
        return s;
    }
}

/* The CRS as WKT (WKT2) and "AUTH:CODE" (or ""). 0, or -1 when out of
 * memory; both NULL for a NULL CRS. */
static int srs_texts(OGRSpatialReferenceH srs, char **wkt, char **authid) {
    const char *const opts[] = {"FORMAT=WKT2_2019", NULL};
    char *w = NULL;
    *wkt = *authid = NULL;
    if (!srs) return 0;
    if (OSRExportToWktEx(srs, &w, opts) != OGRERR_NONE || !w) {
        CPLFree(w);
        w = NULL;
    }
    *wkt = gs__strdup(w ? w : "");
    CPLFree(w);
    {
        const char *an = OSRGetAuthorityName(srs, NULL);
        const char *ac = OSRGetAuthorityCode(srs, NULL);
        char buf[64] = "";
        if (an && ac) snprintf(buf, sizeof buf, "%s:%s", an, ac);
        *authid = gs__strdup(buf);
    }
    return *wkt && *authid ? 0 : -1;
}

/* QGIS's names of an OGR geometry type: the wkbType attribute and the
 * geometry attribute of a <maplayer>. */
static void geom_names(OGRwkbGeometryType t, const char **wkb,
                       const char **geometry) {
    switch (wkbFlatten(t)) {
        case wkbPoint: *wkb = "Point", *geometry = "Point"; break;
        case wkbMultiPoint: *wkb = "MultiPoint", *geometry = "Point"; break;
        case wkbLineString: *wkb = "LineString", *geometry = "Line"; break;
        case wkbMultiLineString:
            *wkb = "MultiLineString", *geometry = "Line";
            break;
        case wkbPolygon: *wkb = "Polygon", *geometry = "Polygon"; break;
        case wkbMultiPolygon:
            *wkb = "MultiPolygon", *geometry = "Polygon";
            break;
        case wkbNone: *wkb = "NoGeometry", *geometry = "No geometry"; break;
        default: *wkb = "Unknown", *geometry = "Unknown geometry"; break;
    }
}

/* The default style row of table `name` in `ds`, or NULL. */
static char *style_of(GDALDatasetH ds, const char *name) {
    char *sql = sqlite3_mprintf(
        "SELECT styleQML FROM layer_styles WHERE f_table_name = '%q' "
        "ORDER BY useAsDefault DESC, id DESC LIMIT 1",
        name);
    OGRLayerH rs;
    char *qml = NULL;
    if (!sql) return NULL;
    CPLPushErrorHandler(CPLQuietErrorHandler);
    rs = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    CPLPopErrorHandler();
    CPLErrorReset();
    sqlite3_free(sql);
    if (rs) {
        OGRFeatureH f = OGR_L_GetNextFeature(rs);
        if (f) {
            if (OGR_F_IsFieldSetAndNotNull(f, 0))
                qml = gs__strdup(OGR_F_GetFieldAsString(f, 0));
            OGR_F_Destroy(f);
        }
        GDALDatasetReleaseResultSet(ds, rs);
    }
    return qml;
}

/* Appends `s` escaped for XML text and attributes. */
static void esc(gs__buf *b, const char *s) {
    const char *run = s;
    for (; s && *s; s++) {
        const char *rep = NULL;
        switch (*s) {
            case '&': rep = "&amp;"; break;
            case '<': rep = "&lt;"; break;
            case '>': rep = "&gt;"; break;
            case '"': rep = "&quot;"; break;
            case '\'': rep = "&apos;"; break;
            default: break;
        }
        if (!rep) continue;
        gs__buf_add(b, run, (size_t)(s - run));
        gs__buf_puts(b, rep);
        run = s + 1;
    }
    if (run) gs__buf_puts(b, run);
}

/* Appends a double exactly enough and without the locale's comma. */
static void num(gs__buf *b, double v) {
    char tmp[40];
    CPLsnprintf(tmp, sizeof tmp, "%.15g", v);
    gs__buf_puts(b, tmp);
}

/* The virtual date fields of a layer whose fields include a text `week`
 * or `date` (the same expressions as the styles' temporal settings): an
 * <expressionfields> element, or NULL. */
static char *date_twins(OGRFeatureDefnH fd) {
    static const char *const week_expr =
        "to_date(make_date(to_int(left(&quot;week&quot;,4)),1,4) - "
        "make_interval(days:=(day_of_week(make_date(to_int(left(&quot;week&"
        "quot;,4)),1,4))+6)%7) + "
        "make_interval(weeks:=to_int(right(&quot;week&quot;,2))-1))";
    int wi = OGR_FD_GetFieldIndex(fd, "week"),
        di = OGR_FD_GetFieldIndex(fd, "date");
    gs__buf b;
    if (wi >= 0 && OGR_Fld_GetType(OGR_FD_GetFieldDefn(fd, wi)) != OFTString)
        wi = -1;
    if (di >= 0 && OGR_Fld_GetType(OGR_FD_GetFieldDefn(fd, di)) != OFTString)
        di = -1;
    if (wi < 0 && di < 0) return NULL;
    gs__buf_init(&b, 0);
    gs__buf_puts(&b, "      <expressionfields>\n");
    if (wi >= 0) {
        gs__buf_puts(&b,
                     "        <field name=\"week_start\" type=\"14\" "
                     "typeName=\"date\" length=\"0\" precision=\"0\" "
                     "subType=\"0\" comment=\"周一日期 the week's Monday\" "
                     "expression=\"");
        gs__buf_puts(&b, week_expr);
        gs__buf_puts(&b, "\"/>\n");
    }
    if (di >= 0)
        gs__buf_puts(&b,
                     "        <field name=\"day\" type=\"14\" "
                     "typeName=\"date\" length=\"0\" precision=\"0\" "
                     "subType=\"0\" comment=\"日期 the date as a date\" "
                     "expression=\"to_date(&quot;date&quot;)\"/>\n");
    gs__buf_puts(&b, "      </expressionfields>\n");
    return gs__buf_steal(&b);
}

/* Adds the twins' aliases into a style body's <aliases> element. */
static char *alias_twins(char *body, const char *extra) {
    const char *at;
    gs__buf b;
    if (!body || !extra || !(at = strstr(body, "</aliases>"))) return body;
    gs__buf_init(&b, 0);
    gs__buf_add(&b, body, (size_t)(at - body));
    if (strstr(extra, "\"week_start\""))
        gs__buf_puts(&b,
                     "    <alias field=\"week_start\" index=\"-1\" "
                     "name=\"周起始日\"/>\n");
    if (strstr(extra, "\"day\""))
        gs__buf_puts(
            &b, "    <alias field=\"day\" index=\"-1\" name=\"日期(日)\"/>\n");
    gs__buf_puts(&b, at);
    {
        char *s = gs__buf_steal(&b);
        if (!s) return body;
        free(body);
        return s;
    }
}

int gs__qgs_add_gpkg(gs__qgs *p, GDALDatasetH ds, const char *source,
                     const char *group, int flags) {
    int gi = group_index(p, group);
    if (gi < 0) return gs__err(p->ctx, GS_ERR_NOMEM, "out of memory");
    for (int i = 0; i < GDALDatasetGetLayerCount(ds); i++) {
        OGRLayerH lyr = GDALDatasetGetLayer(ds, i);
        const char *name = OGR_L_GetName(lyr);
        OGRwkbGeometryType gt = OGR_L_GetGeomType(lyr);
        OGREnvelope env;
        qlayer *l;
        char src[4096], title[256], *qml;
        int known = -1;
        if (internal_table(name)) continue;
        for (size_t k = 0; k < NELEM(LAYERS); k++)
            if (!strcmp(LAYERS[k].layer, name)) known = (int)k;
        if (!(l = new_layer(p)))
            return gs__err(p->ctx, GS_ERR_NOMEM, "out of memory");
        l->group = gi;
        l->table = gt == wkbNone;
        geom_names(gt, &l->wkb, &l->geometry);
        l->rank =
            known >= 0 ? LAYERS[known].rank
            : l->table ? 100
            : wkbFlatten(gt) == wkbPoint || wkbFlatten(gt) == wkbMultiPoint ? 10
            : wkbFlatten(gt) == wkbLineString ||
                    wkbFlatten(gt) == wkbMultiLineString
                ? 20
                : 40;
        l->shown = known >= 0 ? LAYERS[known].shown : 1;
        if (flags == GS__QGS_HIDE_ALL ||
            (flags == GS__QGS_HIDE_AREAS && l->rank >= 20 && !l->table))
            l->shown = 0;
        if (known >= 0)
            snprintf(title, sizeof title, "%s %s", LAYERS[known].zh, name);
        else
            snprintf(title, sizeof title, "%s", name);
        snprintf(src, sizeof src, "%s|layername=%s", source, name);
        qml = style_of(ds, name);
        l->id = layer_id(p, name);
        l->title = gs__strdup(title);
        l->source = gs__strdup(src);
        l->provider = gs__strdup("ogr");
        l->body = qml_body(qml);
        free(qml);
        l->extra = date_twins(OGR_L_GetLayerDefn(lyr));
        l->body = alias_twins(l->body, l->extra);
        if (!l->id || !l->title || !l->source || !l->provider ||
            srs_texts(l->table ? NULL : OGR_L_GetSpatialRef(lyr), &l->srs_wkt,
                      &l->authid))
            return gs__err(p->ctx, GS_ERR_NOMEM, "out of memory");
        if (!l->table && OGR_L_GetFeatureCount(lyr, 0) != 0 &&
            OGR_L_GetExtent(lyr, &env, 1) == OGRERR_NONE) {
            l->has_extent = 1;
            l->ext[0] = env.MinX;
            l->ext[1] = env.MinY;
            l->ext[2] = env.MaxX;
            l->ext[3] = env.MaxY;
        }
        if (!l->table && !p->crs_wkt && l->srs_wkt) {
            p->crs_wkt = gs__strdup(l->srs_wkt);
            p->crs_authid = gs__strdup(l->authid);
            if (!p->crs_wkt || !p->crs_authid)
                return gs__err(p->ctx, GS_ERR_NOMEM, "out of memory");
        }
        if (l->has_extent && p->crs_wkt && l->srs_wkt &&
            !strcmp(p->crs_wkt, l->srs_wkt)) {
            if (!p->has_ext) {
                memcpy(p->ext, l->ext, sizeof p->ext);
                p->has_ext = 1;
            } else {
                if (l->ext[0] < p->ext[0]) p->ext[0] = l->ext[0];
                if (l->ext[1] < p->ext[1]) p->ext[1] = l->ext[1];
                if (l->ext[2] > p->ext[2]) p->ext[2] = l->ext[2];
                if (l->ext[3] > p->ext[3]) p->ext[3] = l->ext[3];
            }
        }
    }
    return GS_OK;
}

int gs__qgs_add_raster(gs__qgs *p, const char *read_path, const char *source,
                       const char *qml_path, const char *title,
                       const char *group, int visible) {
    int gi = group_index(p, group);
    GDALDatasetH ds;
    double gt[6];
    qlayer *l;
    char *qml = NULL;
    if (gi < 0) return gs__err(p->ctx, GS_ERR_NOMEM, "out of memory");
    CPLPushErrorHandler(CPLQuietErrorHandler);
    ds = GDALOpenEx(read_path, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL,
                    NULL);
    CPLPopErrorHandler();
    if (!ds)
        return gs__err(p->ctx, GS_ERR_INPUT_OPEN,
                       "%s: cannot open the raster for the QGIS project",
                       read_path);
    if (!(l = new_layer(p))) {
        GDALClose(ds);
        return gs__err(p->ctx, GS_ERR_NOMEM, "out of memory");
    }
    l->group = gi;
    l->raster = 1;
    l->rank = 60;
    l->shown = visible;
    l->wkb = l->geometry = NULL;
    if (GDALGetGeoTransform(ds, gt) == CE_None) {
        int w = GDALGetRasterXSize(ds), h = GDALGetRasterYSize(ds);
        l->has_extent = 1;
        l->ext[0] = gt[0];
        l->ext[2] = gt[0] + gt[1] * w;
        l->ext[3] = gt[3];
        l->ext[1] = gt[3] + gt[5] * h;
        if (l->ext[1] > l->ext[3]) {
            double t = l->ext[1];
            l->ext[1] = l->ext[3];
            l->ext[3] = t;
        }
    }
    {
        OGRSpatialReferenceH srs = GDALGetSpatialRef(ds);
        int bad = srs_texts(srs, &l->srs_wkt, &l->authid);
        GDALClose(ds);
        if (bad) return gs__err(p->ctx, GS_ERR_NOMEM, "out of memory");
    }
    if (qml_path) {
        VSILFILE *fp = VSIFOpenL(qml_path, "rb");
        if (fp) {
            vsi_l_offset size;
            VSIFSeekL(fp, 0, SEEK_END);
            size = VSIFTellL(fp);
            VSIFSeekL(fp, 0, SEEK_SET);
            if (size < QGS_MAX && (qml = gs__malloc((size_t)size + 1))) {
                qml[VSIFReadL(qml, 1, (size_t)size, fp)] = '\0';
            }
            VSIFCloseL(fp);
        }
    }
    l->body = qml_body(qml);
    free(qml);
    l->id = layer_id(p, title);
    l->title = gs__strdup(title);
    l->source = gs__strdup(source);
    l->provider = gs__strdup("gdal");
    if (!l->id || !l->title || !l->source || !l->provider)
        return gs__err(p->ctx, GS_ERR_NOMEM, "out of memory");
    return GS_OK;
}

void gs__qgs_time_from(gs__qgs *p, GDALDatasetH ds) {
    for (int i = 0; i < GDALDatasetGetLayerCount(ds); i++) {
        OGRLayerH lyr = GDALDatasetGetLayer(ds, i);
        const char *name = OGR_L_GetName(lyr);
        OGRFeatureDefnH fd = OGR_L_GetLayerDefn(lyr);
        int weekly = OGR_FD_GetFieldIndex(fd, "week") >= 0;
        const char *field = weekly ? "week" : "date";
        char *sql;
        OGRLayerH rs;
        if (internal_table(name) || OGR_FD_GetFieldIndex(fd, field) < 0)
            continue;
        sql = sqlite3_mprintf("SELECT min(\"%w\"), max(\"%w\") FROM \"%w\"",
                              field, field, name);
        if (!sql) return;
        CPLPushErrorHandler(CPLQuietErrorHandler);
        rs = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
        CPLPopErrorHandler();
        CPLErrorReset();
        sqlite3_free(sql);
        if (!rs) continue;
        {
            OGRFeatureH f = OGR_L_GetNextFeature(rs);
            int32_t a, b;
            if (f && OGR_F_IsFieldSetAndNotNull(f, 0) &&
                OGR_F_IsFieldSetAndNotNull(f, 1)) {
                const char *lo = OGR_F_GetFieldAsString(f, 0);
                const char *hi = OGR_F_GetFieldAsString(f, 1);
                if (weekly && !gs__isoweek_parse(lo, &a) &&
                    !gs__isoweek_parse(hi, &b))
                    gs__qgs_time(p, a, b + 6, 1);
                else if (!weekly && !gs__date_parse(lo, &a) &&
                         !gs__date_parse(hi, &b))
                    gs__qgs_time(p, a, b, 0);
            }
            OGR_F_Destroy(f);
            GDALDatasetReleaseResultSet(ds, rs);
        }
    }
}

/* ---- the XML --------------------------------------------------------------
 */

static void put_srs(gs__buf *b, const char *wkt, const char *authid,
                    const char *ind) {
    gs__buf_printf(b, "%s<spatialrefsys>\n%s  <wkt>", ind, ind);
    esc(b, wkt ? wkt : "");
    gs__buf_printf(b, "</wkt>\n%s  <authid>", ind);
    esc(b, authid ? authid : "");
    gs__buf_printf(b, "</authid>\n%s</spatialrefsys>\n", ind);
}

static void put_extent(gs__buf *b, const char *tag, const double e[4],
                       const char *ind) {
    static const char *const names[] = {"xmin", "ymin", "xmax", "ymax"};
    gs__buf_printf(b, "%s<%s>\n", ind, tag);
    for (int i = 0; i < 4; i++) {
        gs__buf_printf(b, "%s  <%s>", ind, names[i]);
        num(b, e[i]);
        gs__buf_printf(b, "</%s>\n", names[i]);
    }
    gs__buf_printf(b, "%s</%s>\n", ind, tag);
}

/* The layers in drawing order: by group, then rank, then as added. */
static int by_draw(const void *a, const void *b) {
    const qlayer *x = *(const qlayer *const *)a, *y = *(const qlayer *const *)b;
    if (x->group != y->group) return x->group < y->group ? -1 : 1;
    if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static void put_tree_layer(gs__buf *b, const qlayer *l, const char *ind) {
    gs__buf_printf(b, "%s<layer-tree-layer id=\"", ind);
    esc(b, l->id);
    gs__buf_puts(b, "\" name=\"");
    esc(b, l->title);
    gs__buf_puts(b, "\" source=\"");
    esc(b, l->source);
    gs__buf_puts(b, "\" providerKey=\"");
    esc(b, l->provider);
    gs__buf_printf(b,
                   "\" checked=\"%s\" expanded=\"%d\" legend_exp=\"\" "
                   "patch_size=\"-1,-1\" legend_split_behavior=\"0\">\n"
                   "%s  <customproperties>\n%s    <Option/>\n"
                   "%s  </customproperties>\n%s</layer-tree-layer>\n",
                   l->shown ? "Qt::Checked" : "Qt::Unchecked",
                   l->raster || l->table ? 0 : 1, ind, ind, ind, ind);
}

static void put_maplayer(gs__buf *b, const qlayer *l) {
    if (l->raster)
        gs__buf_puts(
            b,
            "    <maplayer type=\"raster\" hasScaleBasedVisibilityFlag="
            "\"0\" minScale=\"1e+08\" maxScale=\"0\" "
            "styleCategories=\"AllStyleCategories\">\n");
    else
        gs__buf_printf(b,
                       "    <maplayer type=\"vector\" geometry=\"%s\" "
                       "wkbType=\"%s\" hasScaleBasedVisibilityFlag=\"0\" "
                       "minScale=\"1e+08\" maxScale=\"0\" readOnly=\"0\" "
                       "styleCategories=\"AllStyleCategories\">\n",
                       l->geometry, l->wkb);
    if (l->has_extent) put_extent(b, "extent", l->ext, "      ");
    gs__buf_puts(b, "      <id>");
    esc(b, l->id);
    gs__buf_puts(b, "</id>\n      <datasource>");
    esc(b, l->source);
    gs__buf_puts(b, "</datasource>\n      <layername>");
    esc(b, l->title);
    gs__buf_puts(b, "</layername>\n");
    if (l->srs_wkt) {
        gs__buf_puts(b, "      <srs>\n");
        put_srs(b, l->srs_wkt, l->authid, "        ");
        gs__buf_puts(b, "      </srs>\n");
    }
    gs__buf_puts(b, "      <provider encoding=\"UTF-8\">");
    esc(b, l->provider);
    gs__buf_puts(b, "</provider>\n");
    if (l->extra) gs__buf_puts(b, l->extra);
    if (l->body) gs__buf_puts(b, l->body);
    gs__buf_puts(b, "    </maplayer>\n");
}

/* "2026-11-16T00:00:00Z" for day `d`. */
static void put_day(gs__buf *b, int32_t d) {
    char s[11];
    gs__date_format(d, s);
    gs__buf_printf(b, "%sT00:00:00Z", s);
}

char *gs__qgs_xml(gs__qgs *p) {
    gs__buf b;
    const qlayer **order;
    double ext[4];
    gs__buf_init(&b, QGS_MAX);
    order = gs__calloc(p->n ? p->n : 1, sizeof *order);
    if (!order) return NULL;
    for (size_t i = 0; i < p->n; i++) order[i] = &p->v[i];
    qsort(order, p->n, sizeof *order, by_draw);

    gs__buf_puts(&b,
                 "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
                 "<qgis version=\"" QGIS_VERSION "\" projectname=\"");
    esc(&b, p->title);
    gs__buf_puts(&b, "\">\n  <homePath path=\"\"/>\n  <title>");
    esc(&b, p->title);
    gs__buf_puts(&b, "</title>\n  <projectCrs>\n");
    put_srs(&b, p->crs_wkt, p->crs_authid, "    ");
    gs__buf_puts(&b, "  </projectCrs>\n");

    /* The layer tree: a group per stage, its tables in a sub-group. */
    gs__buf_puts(&b,
                 "  <layer-tree-group>\n    <customproperties>\n"
                 "      <Option/>\n    </customproperties>\n");
    for (int g = 0; g < p->ngroups; g++) {
        int tables = 0, shown = 0;
        for (size_t i = 0; i < p->n; i++)
            if (order[i]->group == g) {
                tables += order[i]->table;
                shown |= order[i]->shown;
            }
        gs__buf_puts(&b, "    <layer-tree-group name=\"");
        esc(&b, p->groups[g]);
        gs__buf_printf(&b,
                       "\" checked=\"%s\" expanded=\"1\">\n"
                       "      <customproperties>\n        <Option/>\n"
                       "      </customproperties>\n",
                       shown ? "Qt::Checked" : "Qt::Unchecked");
        for (size_t i = 0; i < p->n; i++)
            if (order[i]->group == g && !order[i]->table)
                put_tree_layer(&b, order[i], "      ");
        if (tables) {
            gs__buf_puts(&b,
                         "      <layer-tree-group name=\"表格 tables\" "
                         "checked=\"Qt::Checked\" expanded=\"0\">\n"
                         "        <customproperties>\n          <Option/>\n"
                         "        </customproperties>\n");
            for (size_t i = 0; i < p->n; i++)
                if (order[i]->group == g && order[i]->table)
                    put_tree_layer(&b, order[i], "        ");
            gs__buf_puts(&b, "      </layer-tree-group>\n");
        }
        gs__buf_puts(&b, "    </layer-tree-group>\n");
    }
    gs__buf_puts(&b, "  </layer-tree-group>\n");

    gs__buf_puts(&b, "  <projectlayers>\n");
    for (size_t i = 0; i < p->n; i++) put_maplayer(&b, order[i]);
    gs__buf_puts(&b, "  </projectlayers>\n  <layerorder>\n");
    for (size_t i = 0; i < p->n; i++) {
        gs__buf_puts(&b, "    <layer id=\"");
        esc(&b, order[i]->id);
        gs__buf_puts(&b, "\"/>\n");
    }
    gs__buf_puts(&b, "  </layerorder>\n");

    /* The map: the layers' extent with a margin, in the project's CRS. */
    if (p->has_ext && p->crs_wkt) {
        double mx = (p->ext[2] - p->ext[0]) * 0.05 + 1e-6;
        double my = (p->ext[3] - p->ext[1]) * 0.05 + 1e-6;
        ext[0] = p->ext[0] - mx;
        ext[1] = p->ext[1] - my;
        ext[2] = p->ext[2] + mx;
        ext[3] = p->ext[3] + my;
        gs__buf_puts(&b,
                     "  <mapcanvas name=\"theMapCanvas\" "
                     "annotationsVisible=\"1\">\n    <units>");
        gs__buf_puts(&b, strstr(p->crs_wkt, "GEOGCRS") == p->crs_wkt ||
                                 strstr(p->crs_wkt, "GEOGCS") == p->crs_wkt
                             ? "degrees"
                             : "meters");
        gs__buf_puts(&b, "</units>\n");
        put_extent(&b, "extent", ext, "    ");
        gs__buf_puts(&b, "    <rotation>0</rotation>\n    <destinationsrs>\n");
        put_srs(&b, p->crs_wkt, p->crs_authid, "      ");
        gs__buf_puts(&b,
                     "    </destinationsrs>\n"
                     "    <rendermaptile>0</rendermaptile>\n"
                     "  </mapcanvas>\n");
    }
    /* Relative paths; and QGIS reads <projectCrs> only when the project
     * says it uses one. */
    gs__buf_puts(
        &b,
        "  <properties>\n    <Paths>\n"
        "      <Absolute type=\"bool\">false</Absolute>\n"
        "    </Paths>\n    <SpatialRefSys>\n"
        "      <ProjectionsEnabled type=\"int\">1</ProjectionsEnabled>\n"
        "    </SpatialRefSys>\n  </properties>\n");
    if (p->has_time) {
        gs__buf_printf(&b,
                       "  <ProjectTimeSettings cumulativeTemporalRange=\"0\" "
                       "frameRate=\"1\" timeStepUnit=\"%s\" timeStep=\"1\">\n"
                       "    <TemporalRange>\n      <start>",
                       p->weekly ? "wk" : "d");
        put_day(&b, p->t0);
        gs__buf_puts(&b, "</start>\n      <end>");
        put_day(&b, p->t1 + 1);
        gs__buf_puts(&b,
                     "</end>\n    </TemporalRange>\n"
                     "  </ProjectTimeSettings>\n");
    }
    gs__buf_puts(&b, "</qgis>\n");
    free(order);
    return gs__buf_steal(&b);
}

/* The project zipped as a .qgz (a zip holding project.qgs), in memory:
 * *out (CPLFree) and *out_len. GS_ERR_NOMEM, GS_ERR_IO. */
static int zipped(gs__qgs *p, GByte **out, vsi_l_offset *out_len) {
    char mem[96], member[128];
    char *xml = gs__qgs_xml(p);
    VSILFILE *fp;
    size_t n;
    int ok;
    *out = NULL;
    *out_len = 0;
    if (!xml) return gs__err(p->ctx, GS_ERR_NOMEM, "out of memory");
    snprintf(mem, sizeof mem, "/vsimem/gridsmith_qgs_%p.zip", (void *)p);
    snprintf(member, sizeof member, "/vsizip/%s/project.qgs", mem);
    fp = VSIFOpenL(member, "wb");
    n = strlen(xml);
    ok = fp && VSIFWriteL(xml, 1, n, fp) == n;
    if (fp && VSIFCloseL(fp) != 0) ok = 0;
    free(xml);
    if (ok)
        *out = VSIGetMemFileBuffer(mem, out_len, TRUE);
    else
        VSIUnlink(mem);
    if (!*out) return gs__err(p->ctx, GS_ERR_IO, "cannot zip the QGIS project");
    return GS_OK;
}

int gs__qgs_store(gs__qgs *p, GDALDatasetH ds, const char *name,
                  const char *where) {
    static const char hex[] = "0123456789abcdef";
    GByte *zip = NULL;
    vsi_l_offset len = 0;
    char *hexed, *sql, now[32], meta[96];
    int rc = zipped(p, &zip, &len);
    if (rc) return rc;
    hexed = gs__malloc((size_t)len * 2 + 1);
    if (!hexed) {
        CPLFree(zip);
        return gs__err(p->ctx, GS_ERR_NOMEM, "out of memory");
    }
    for (vsi_l_offset i = 0; i < len; i++) {
        hexed[2 * i] = hex[zip[i] >> 4];
        hexed[2 * i + 1] = hex[zip[i] & 15];
    }
    hexed[2 * len] = '\0';
    CPLFree(zip);
    gs__utc_now(now, sizeof now);
    now[19] = '\0'; /* QGIS writes the time without a zone */
    snprintf(meta, sizeof meta,
             "{\"last_modified_time\": \"%s\", \"last_modified_user\": "
             "\"gridsmith\" }",
             now);
    /* The table exactly as QGIS creates it: QGIS saves into it with
     * INSERT ... VALUES (name, metadata, content). */
    gs__libmsg_clear(p->ctx);
    CPLErrorReset();
    GDALDatasetReleaseResultSet(
        ds, GDALDatasetExecuteSQL(ds,
                                  "CREATE TABLE IF NOT EXISTS qgis_projects("
                                  "name TEXT PRIMARY KEY, metadata BLOB, "
                                  "content BLOB)",
                                  NULL, NULL));
    sql = CPLGetLastErrorType() >= CE_Failure
              ? NULL
              : sqlite3_mprintf(
                    "INSERT OR REPLACE INTO qgis_projects "
                    "VALUES ('%q', '%q', '%q')",
                    name, meta, hexed);
    free(hexed);
    if (sql) {
        GDALDatasetReleaseResultSet(ds,
                                    GDALDatasetExecuteSQL(ds, sql, NULL, NULL));
        sqlite3_free(sql);
        if (CPLGetLastErrorType() < CE_Failure) return GS_OK;
    }
    return gs__err_lib(p->ctx, GS_ERR_IO,
                       "%s: cannot store the QGIS project %s", where, name);
}

int gs__qgs_write(gs__qgs *p, const char *path) {
    GByte *zip = NULL;
    vsi_l_offset len = 0;
    int rc = zipped(p, &zip, &len);
    if (rc) return rc;
    rc = gs__out_file(p->ctx, path, (const char *)zip, (size_t)len);
    CPLFree(zip);
    return rc;
}

/* ---- the projects gridsmith writes ----------------------------------------
 */

/* "./NAME" for the file `path`, NAME its base name. */
static void rel_source(const char *path, char *out, size_t size) {
    const char *slash = strrchr(path, '/');
    snprintf(out, size, "./%s", slash ? slash + 1 : path);
}

/* The command that wrote the GeoPackage `ds`, from its run metadata. */
static void command_of(GDALDatasetH ds, char *out, size_t size) {
    OGRLayerH rs;
    out[0] = '\0';
    CPLPushErrorHandler(CPLQuietErrorHandler);
    rs = GDALDatasetExecuteSQL(
        ds, "SELECT value FROM run_metadata WHERE key = 'command' LIMIT 1",
        NULL, NULL);
    CPLPopErrorHandler();
    CPLErrorReset();
    if (!rs) return;
    {
        OGRFeatureH f = OGR_L_GetNextFeature(rs);
        if (f) {
            snprintf(out, size, "%s", OGR_F_GetFieldAsString(f, 0));
            OGR_F_Destroy(f);
        }
    }
    GDALDatasetReleaseResultSet(ds, rs);
}

/* The group of a command's layers: its Chinese name, then the command. */
static void group_of(const char *command, char *out, size_t size) {
    static const struct {
        const char *cmd, *zh;
    } names[] = {{"validate", "网格检查"},  {"patrol", "巡查核验"},
                 {"hotspots", "事件热点"},  {"assess", "月度考核"},
                 {"partition", "网格划分"}, {"run", "每周任务"}};
    for (size_t i = 0; i < NELEM(names); i++)
        if (!strcmp(command, names[i].cmd)) {
            snprintf(out, size, "%s %s", names[i].zh, command);
            return;
        }
    snprintf(out, size, "%s", *command ? command : "gridsmith");
}

int gs__qgs_output_project(gs_ctx *ctx, GDALDatasetH ds, const char *path,
                           const gs__qgs_raster *rasters, size_t n) {
    char src[4096], cmd[64], group[128], title[512], name[256];
    const char *base = strrchr(path, '/');
    gs__qgs *p = NULL;
    int rc, maps = 0;
    for (int i = 0; i < GDALDatasetGetLayerCount(ds); i++)
        if (OGR_L_GetGeomType(GDALDatasetGetLayer(ds, i)) != wkbNone) maps++;
    if (!maps) return GS_OK; /* nothing to see on a map */
    base = base ? base + 1 : path;
    snprintf(name, sizeof name, "%s", base);
    if (gs__gpkg_name(name)) name[strlen(name) - 5] = '\0';
    command_of(ds, cmd, sizeof cmd);
    group_of(cmd, group, sizeof group);
    snprintf(title, sizeof title, "gridsmith %s", name);
    rel_source(path, src, sizeof src);
    if ((rc = gs__qgs_create(ctx, title, &p)) ||
        (rc = gs__qgs_add_gpkg(p, ds, src, group, GS__QGS_SHOWN)))
        goto done;
    for (size_t i = 0; i < n; i++) {
        VSIStatBufL st;
        if (VSIStatL(rasters[i].read_path, &st) != 0) continue; /* none made */
        rel_source(rasters[i].path, src, sizeof src);
        if ((rc = gs__qgs_add_raster(p, rasters[i].read_path, src,
                                     rasters[i].qml_path, rasters[i].title,
                                     group, 0)))
            goto done;
    }
    gs__qgs_time_from(p, ds);
    rc = gs__qgs_store(p, ds, name, path);
done:
    gs__qgs_destroy(p);
    return rc;
}

/* Replaces the default style row of table `name` with `qml`. */
static int put_style(gs_ctx *ctx, GDALDatasetH ds, const char *path,
                     const char *name, const char *geom_col, const char *qml) {
    char now[32];
    char *sql[2];
    int failed = 0;
    gs__utc_now(now, sizeof now);
    /* One statement per call: GDAL runs the first of several only. */
    sql[0] = sqlite3_mprintf(
        "DELETE FROM layer_styles WHERE f_table_name = "
        "'%q'",
        name);
    sql[1] = sqlite3_mprintf(
        "INSERT INTO layer_styles (f_table_catalog, f_table_schema, "
        "f_table_name, f_geometry_column, styleName, styleQML, styleSLD, "
        "useAsDefault, description, owner, ui, update_time) VALUES ('', '', "
        "'%q', '%q', '%q', '%q', '', 1, 'gridsmith " GS_VERSION_STRING
        "', '', NULL, '%q')",
        name, geom_col, name, qml, now);
    gs__libmsg_clear(ctx);
    CPLErrorReset();
    for (int i = 0; i < 2; i++) {
        if (!sql[i]) {
            failed = 1;
            continue;
        }
        if (!failed)
            GDALDatasetReleaseResultSet(
                ds, GDALDatasetExecuteSQL(ds, sql[i], NULL, NULL));
        sqlite3_free(sql[i]);
        if (CPLGetLastErrorType() >= CE_Failure) failed = 1;
    }
    if (failed)
        return gs__err_lib(ctx, GS_ERR_IO,
                           "%s: cannot write the QGIS style of table %s", path,
                           name);
    return GS_OK;
}

int gs__qgs_ledger_styles(gs_ctx *ctx, GDALDatasetH ds, const char *path) {
    for (int id = 0; id < GS__LS_COUNT; id++) {
        const gs__layer_schema *s = gs__schema((gs__layer_id)id);
        const char *table = s->ledger_table            ? s->ledger_table
                            : id == GS__LS_LEDGER_RUNS ? s->layer
                                                       : NULL;
        OGRLayerH lyr = table ? GDALDatasetGetLayerByName(ds, table) : NULL;
        OGRFeatureDefnH fd;
        const char **names;
        char *qml;
        int nf, rc;
        gs__geom_kind geom;
        if (!lyr) continue;
        fd = OGR_L_GetLayerDefn(lyr);
        nf = OGR_FD_GetFieldCount(fd);
        names = gs__calloc((size_t)(nf ? nf : 1), sizeof *names);
        if (!names) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        for (int k = 0; k < nf; k++)
            names[k] = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, k));
        geom = OGR_L_GetGeomType(lyr) == wkbNone ? GS__GEOM_NONE : s->geom;
        qml = gs__style_qml_ledger(s, geom, names, (size_t)nf);
        free(names);
        if (!qml) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        rc = put_style(
            ctx, ds, path, table,
            geom == GS__GEOM_NONE ? "" : OGR_L_GetGeometryColumn(lyr), qml);
        free(qml);
        if (rc) return rc;
    }
    return GS_OK;
}

int gs__qgs_job_project(gs_ctx *ctx, const char *week,
                        const char *const *stages, size_t n, const char *kde,
                        const char *ledger, const char *qgz) {
    char title[128], src[4096], cmd[64], group[160], qml[4096];
    gs__qgs *p = NULL;
    GDALDatasetH ds = NULL;
    int rc, shown = 0, lock_fd = -1;
    snprintf(title, sizeof title, "gridsmith 每周任务 weekly job %s", week);
    if ((rc = gs__qgs_create(ctx, title, &p))) return rc;
    /* The week's stages, the first one's areas on top, the others' areas
     * unticked: they cover each other. */
    for (size_t i = 0; i < n; i++) {
        ds = GDALOpenEx(stages[i], GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL,
                        NULL, NULL);
        if (!ds) {
            rc = gs__err_lib(ctx, GS_ERR_INPUT_OPEN, "%s: cannot open",
                             stages[i]);
            goto done;
        }
        command_of(ds, cmd, sizeof cmd);
        group_of(cmd, group, sizeof group);
        snprintf(group + strlen(group), sizeof group - strlen(group), " %s",
                 week);
        rel_source(stages[i], src, sizeof src);
        rc = gs__qgs_add_gpkg(p, ds, src, group,
                              shown ? GS__QGS_HIDE_AREAS : GS__QGS_SHOWN);
        shown = 1;
        GDALClose(ds);
        ds = NULL;
        if (rc) goto done;
        if (kde && !strcmp(cmd, "hotspots")) {
            VSIStatBufL st;
            size_t len = strlen(kde);
            snprintf(qml, sizeof qml, "%.*s.qml",
                     (int)(len > 4 ? len - 4 : len), kde);
            rel_source(kde, src, sizeof src);
            if (VSIStatL(kde, &st) == 0 &&
                (rc = gs__qgs_add_raster(
                     p, kde, src, VSIStatL(qml, &st) == 0 ? qml : NULL,
                     "核密度 density (events/km²)", group, 0)))
                goto done;
        }
    }
    /* The ledger: its tables styled for the Temporal Controller, every
     * week in them, unticked under the week's layers; the project stored
     * in it under the week's name, in one transaction. */
    /* Another run recording its week into the ledger meanwhile takes its
     * turn first (the lock), and the transaction holds the write lock
     * from its start: reading the tables and then writing the styles
     * would otherwise fail at once on meeting another writer. */
    if ((rc = gs__ledger_lock(ctx, ledger, &lock_fd))) goto done;
    gs__libmsg_clear(ctx);
    ds = GDALOpenEx(ledger, GDAL_OF_VECTOR | GDAL_OF_UPDATE, NULL, NULL, NULL);
    if (!ds) {
        rc = gs__err_lib(ctx, GS_ERR_IO,
                         "%s: cannot open the ledger to "
                         "store its QGIS project",
                         ledger);
        goto done;
    }
    if (gs__ledger_begin(ctx, ds)) {
        rc = gs__err_lib(ctx, GS_ERR_IO,
                         "%s: cannot open the ledger to "
                         "store its QGIS project",
                         ledger);
        goto done;
    }
    rel_source(ledger, src, sizeof src);
    if ((rc = gs__qgs_ledger_styles(ctx, ds, ledger)) ||
        (rc = gs__qgs_add_gpkg(p, ds, src,
                               "台账 ledger (时间轴 Temporal Controller)",
                               GS__QGS_HIDE_ALL)))
        goto rollback;
    gs__qgs_time_from(p, ds);
    if ((rc = gs__qgs_store(p, ds, week, ledger))) goto rollback;
    if (GDALDatasetCommitTransaction(ds) != OGRERR_NONE) {
        rc = gs__err_lib(ctx, GS_ERR_IO, "%s: cannot commit", ledger);
        goto done;
    }
    GDALClose(ds);
    ds = NULL;
    gs__ledger_unlock(lock_fd);
    lock_fd = -1;
    rc = gs__qgs_write(p, qgz);
    goto done;
rollback:
    GDALDatasetRollbackTransaction(ds);
done:
    if (ds) GDALClose(ds);
    gs__ledger_unlock(lock_fd);
    gs__qgs_destroy(p);
    return rc;
}
