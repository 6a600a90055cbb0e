/*
 * density_raster.c - the density raster of a run: a GeoTIFF beside the
 * GeoPackage (OUT_kde.tif) with its QGIS style (OUT_kde.qml).
 *
 * Not a GeoPackage raster layer: GDAL 3.6 writes Float32 into a GeoPackage
 * only as a tiled "gridded coverage" with a scale and offset, in a
 * separate pass after the vector transaction, and QGIS styles for rasters
 * are not kept in layer_styles; a tiled, DEFLATE compressed GeoTIFF keeps
 * the exact densities and opens everywhere. It is in the metric CRS
 * (densities per km^2 on square metric cells; reprojecting to lon/lat
 * would resample them). It is written to a temporary file first and
 * renamed into place right after the GeoPackage (write_outputs.c), so a
 * failed run leaves both earlier outputs as they were.
 */
#define _POSIX_C_SOURCE 200809L
#include <cpl_conv.h>
#include <cpl_string.h>
#include <errno.h>
#include <fcntl.h>
#include <gdal.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "run_hotspots.h"
#include "tmpfiles.h"

void gs__hs_kde_file_free(gs__hs_kde_file *k) {
    gs__tmp_forget(k->tmp); /* NULL: nothing */
    gs__tmp_forget(k->qml_tmp);
    free(k->path);
    memset(k, 0, sizeof *k);
}

void gs__hs_kde_abort(gs__hs_kde_file *k) {
    if (k->tmp) unlink(k->tmp);
    if (k->qml_tmp) unlink(k->qml_tmp);
}

/* OUT.gpkg -> OUT_kde.tif and OUT_kde.qml, with temporaries beside them
 * (".OUT_kde.tif.<pid>.tmp", same directory so rename() is atomic). */
int gs__hs_kde_paths(const char *output, gs__hs_kde_file *k) {
    size_t n = strlen(output), base = n, size = n + 64;
    const char *slash = strrchr(output, '/');
    int dir = slash ? (int)(slash - output) + 1 : 0, pid = (int)getpid();
    char *s = gs__malloc(4 * size);
    if (!s) return GS_ERR_NOMEM;
    if (n > 5 && !strcasecmp(output + n - 5, ".gpkg")) base = n - 5;
    for (int i = 0; i < 4; i++) {
        const char *ext = i < 2 ? "tif" : "qml";
        if (i % 2 == 0)
            snprintf(s + i * size, size, "%.*s_kde.%s", (int)base, output, ext);
        else
            snprintf(s + i * size, size, "%.*s.%.*s_kde.%s.%d.tmp", dir, output,
                     (int)base - dir, output + dir, ext, pid);
    }
    k->path = s;
    k->tmp = s + size;
    k->qml_path = s + 2 * size;
    k->qml_tmp = s + 3 * size;
    gs__out_sweep(k->path); /* leftovers of earlier killed runs */
    gs__out_sweep(k->qml_path);
    gs__tmp_add(k->tmp); /* removed on SIGINT or SIGTERM */
    gs__tmp_add(k->qml_tmp);
    return GS_OK;
}

static int fsync_file(const char *path) {
    int fd = open(path, O_RDONLY), rc;
    if (fd < 0) return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

/* A number for an XML attribute, with a '.' whatever the locale. */
static void num_text(double v, char *buf, size_t size) {
    snprintf(buf, size, "%.6g", v);
    for (char *p = buf; *p; p++)
        if (*p == ',') *p = '.';
}

/* A QGIS style for the raster: a yellow-orange-red ramp from transparent
 * at 0 to the maximum density. */
static int kde_style(const char *path, double max) {
    static const char *const colors[] = {"#ffffb2", "#fecc5c", "#fd8d3c",
                                         "#f03b20", "#bd0026"};
    char mx[32];
    FILE *fp = fopen(path, "w");
    int ok;
    if (!fp) return -1;
    if (!(max > 0)) max = 1;
    num_text(max, mx, sizeof mx);
    fprintf(fp,
            "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            "<qgis version=\"3.22.16-Białowieża\" "
            "styleCategories=\"AllStyleCategories\">\n"
            "  <pipe>\n"
            "    <rasterrenderer type=\"singlebandpseudocolor\" band=\"1\" "
            "opacity=\"0.75\" alphaBand=\"-1\" classificationMin=\"0\" "
            "classificationMax=\"%s\" nodataColor=\"\">\n"
            "      <rastershader>\n"
            "        <colorrampshader colorRampType=\"INTERPOLATED\" "
            "classificationMode=\"1\" clip=\"0\" minimumValue=\"0\" "
            "maximumValue=\"%s\" labelPrecision=\"1\">\n",
            mx, mx);
    for (int i = 0; i < 5; i++) {
        char v[32];
        num_text(max * i / 4.0, v, sizeof v);
        fprintf(fp,
                "          <item alpha=\"%d\" value=\"%s\" label=\"%s /km²\" "
                "color=\"%s\"/>\n",
                i ? 255 : 0, v, v, colors[i]);
    }
    fputs(
        "        </colorrampshader>\n"
        "      </rastershader>\n"
        "    </rasterrenderer>\n"
        "  </pipe>\n"
        "  <blendMode>0</blendMode>\n"
        "</qgis>\n",
        fp);
    ok = !ferror(fp);
    if (fclose(fp) != 0) ok = 0;
    return ok && fsync_file(path) == 0 ? 0 : -1;
}

int gs__hs_kde_write(gs_ctx *ctx, const gs__hsresult *r, const gs__crsinfo *crs,
                     const gs__hs_kde_file *k) {
    const gs__raster *g = &r->kde_grid;
    double gt[6] = {g->x0, g->cell, 0, g->y0, 0, -g->cell}, max = 0;
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    GDALDatasetH ds;
    GDALRasterBandH band;
    char **co = NULL, *wkt = NULL, buf[64];
    CPLErr e;
    if (!drv)
        return gs__err(ctx, GS_ERR_INTERNAL, "GDAL has no GeoTIFF driver");
    for (size_t i = 0; i < g->nx * g->ny; i++)
        if (r->kde[i] > max) max = r->kde[i];
    co = CSLSetNameValue(co, "COMPRESS", "DEFLATE");
    co = CSLSetNameValue(co, "PREDICTOR", "3");
    co = CSLSetNameValue(co, "TILED", "YES");
    gs__libmsg_clear(ctx);
    ds = GDALCreate(drv, k->tmp, (int)g->nx, (int)g->ny, 1, GDT_Float32, co);
    CSLDestroy(co);
    if (!ds)
        return gs__err_lib(ctx, GS_ERR_IO,
                           "%s: cannot create the density "
                           "raster",
                           k->tmp);
    GDALSetGeoTransform(ds, gt);
    if (OSRExportToWkt(crs->metric, &wkt) == OGRERR_NONE)
        GDALSetProjection(ds, wkt);
    CPLFree(wkt);
    num_text(r->kde_h, buf, sizeof buf);
    GDALSetMetadataItem(ds, "BANDWIDTH_M", buf, NULL);
    GDALSetMetadataItem(ds, "BANDWIDTH_RULE", r->kde_rule, NULL);
    GDALSetMetadataItem(ds, "UNITS", "events per km2", NULL);
    band = GDALGetRasterBand(ds, 1);
    GDALSetDescription(band, "events per km2 (quartic kernel)");
    e = GDALRasterIO(band, GF_Write, 0, 0, (int)g->nx, (int)g->ny, r->kde,
                     (int)g->nx, (int)g->ny, GDT_Float32, 0, 0);
    CPLErrorReset();
    GDALClose(ds);
    if (e != CE_None || CPLGetLastErrorType() >= CE_Failure ||
        fsync_file(k->tmp) != 0)
        return gs__err_lib(ctx, GS_ERR_IO,
                           "%s: cannot write the density "
                           "raster",
                           k->tmp);
    if (kde_style(k->qml_tmp, max) != 0)
        return gs__err(ctx, GS_ERR_IO, "%s: cannot write: %s", k->qml_tmp,
                       strerror(errno));
    return GS_OK;
}

json_object *gs__hs_kde_json(const gs__hsresult *r, const gs__hs_kde_file *k) {
    json_object *kj = json_object_new_object();
    json_object_object_add(kj, "path",
                           k->path ? json_object_new_string(k->path) : NULL);
    json_object_object_add(kj, "bandwidth_m", json_object_new_double(r->kde_h));
    json_object_object_add(kj, "bandwidth_rule",
                           json_object_new_string(r->kde_rule));
    json_object_object_add(kj, "cell_m",
                           json_object_new_double(r->kde_grid.cell));
    return kj;
}
