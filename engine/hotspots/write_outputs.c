/*
 * write_outputs.c - the outputs of a run in order: every layer
 * (write_units.c, write_findings.c), the density raster's temporaries
 * (density_raster.c) and run_metadata, then, once the report exists, the
 * GeoPackage and the raster moved into place.
 *
 * Nothing is in place before everything is written: the writer commits
 * the GeoPackage once (out/writer.c), the raster follows it, and a failure
 * at any step removes what was written, so an earlier output stays as it
 * was.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_hotspots.h"

/* run_metadata: the run, the period and clock, the notes of what was not
 * computed, the density raster. */
static int write_meta(gs__hs_wctx *w, const gs_hotspots_opts *opts,
                      const gs__crsinfo *crs, const gs__inputs *info,
                      const char *started, const gs__hs_kde_file *k) {
    const gs__hsresult *r = w->r;
    const gs__hs_params *p = w->p;
    char *rules = gs__hs_rules_json(opts->common.rules, p->hex_size_m), d0[11],
         d1[11], asof[21], buf[600];
    json_object *kj;
    int rc;
    if (!rules) return gs__err(w->ctx, GS_ERR_NOMEM, "out of memory");
    rc = gs__out_meta_run(w->o, "hotspots", opts->common.command_line, started,
                          rules, crs->metric_name, info);
    free(rules);
    gs__date_format(p->day0, d0);
    gs__date_format(p->day1, d1);
    gs__utc_format(p->as_of_ms, asof);
    if (!rc) rc = gs__out_meta(w->o, "period_from", d0);
    if (!rc) rc = gs__out_meta(w->o, "period_to", d1);
    if (!rc) rc = gs__out_meta(w->o, "as_of", asof);
    if (!rc) rc = gs__out_meta(w->o, "time_zone", gs__tz_id(w->tz));
    snprintf(buf, sizeof buf, "%d", p->nweeks);
    if (!rc) rc = gs__out_meta(w->o, "history_weeks", buf);
    if (!rc)
        rc = gs__out_meta(w->o, "grid_gi",
                          r->grid_gi.done ? "computed" : r->grid_gi.note);
    if (!rc)
        rc = gs__out_meta(w->o, "hex_gi",
                          r->hex_gi.done ? "computed" : r->hex_gi.note);
    if (!rc)
        rc = gs__out_meta(w->o, "emerging",
                          r->ehsa_done ? "computed" : r->ehsa_note);
    if (!rc)
        rc = gs__out_meta(w->o, "rising_grids",
                          r->rising_done ? "computed" : r->rising_note);
    kj = gs__hs_kde_json(r, k);
    json_object_object_add(kj, "units",
                           json_object_new_string("events per km2"));
    json_object_object_add(kj, "crs", json_object_new_string(crs->metric_name));
    if (!rc)
        rc = gs__out_meta(
            w->o, "kde",
            json_object_to_json_string_ext(
                kj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(kj);
    return rc;
}

int gs__hs_write_outputs(gs__hs_wctx *w, const gs_hotspots_opts *opts,
                         const gs__crsinfo *crs, const gs__inputs *info,
                         const char *started, gs__hs_kde_file *k) {
    int rc = gs__out_open(w->ctx, opts->common.output, crs->output, crs->metric,
                          &w->o);
    if (rc) return rc;
    if ((rc = gs__hs_write_grids(w)) || (rc = gs__hs_write_hexes(w)) ||
        (rc = gs__hs_write_clusters(w)) || (rc = gs__hs_write_trouble(w)) ||
        (rc = gs__hs_write_backlog(w)) || (rc = gs__hs_write_summaries(w)) ||
        (rc = gs__hs_write_categories(w)) ||
        (rc = gs__hs_write_event_issues(w)) ||
        (rc = gs__hs_write_bad_rows(w)) ||
        (k->tmp && (rc = gs__hs_kde_write(w->ctx, w->r, crs, k))) ||
        (k->tmp && (rc = gs__out_add_raster(w->o, k->tmp, k->path, k->qml_tmp,
                                            "核密度 density (events/km²)"))) ||
        (rc = write_meta(w, opts, crs, info, started, k)))
        goto fail;
    return GS_OK; /* w->o, not yet committed: see gs__hs_place_outputs */
fail:
    gs__out_abort(w->o);
    w->o = NULL;
    gs__hs_kde_abort(k);
    return rc;
}

int gs__hs_place_outputs(gs__hs_wctx *w, const gs_hotspots_opts *opts,
                         gs__hs_kde_file *k, gs_report *report,
                         gs_report **out_report) {
    int rc = gs__out_commit_report(w->ctx, w->o, report, out_report);
    w->o = NULL;
    if (rc) {
        gs__hs_kde_abort(k);
        return rc;
    }
    if (k->tmp && (rename(k->tmp, k->path) != 0 ||
                   rename(k->qml_tmp, k->qml_path) != 0)) {
        rc = gs__err(w->ctx, GS_ERR_IO,
                     "%s: cannot move the density raster into place: %s "
                     "(the GeoPackage %s was written)",
                     k->path, strerror(errno), opts->common.output);
        gs_report_destroy(*out_report);
        *out_report = NULL;
        gs__hs_kde_abort(k);
    }
    return rc;
}
