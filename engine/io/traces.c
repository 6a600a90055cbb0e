/*
 * traces.c - reading GPS traces: the entry, and merging the parts.
 *
 * gs__traces_read checks the options, hands the source to the reader of
 * its kind (a CSV to traces_csv.c, a PG: source to traces_pg.c, anything
 * else to traces_ogr.c), each of which fills one or more parts
 * (traces_int.h), then merges the parts in file order: member tables are
 * unified (first-seen order of usable fixes, as one pass would give),
 * line numbers made absolute (each part counts its line breaks, including
 * those inside quoted fields), arrays concatenated. The fixes are then
 * converted to WGS84 and checked (traces_convert.c).
 *
 * Memory: a fix is 40 bytes and nothing else is kept per row. The parts'
 * arrays are sized from the byte count (untouched capacity costs no
 * memory) and merged into the first part's array, each part's fixes by
 * its own thread, giving each copied stretch of the others back to the
 * system at once, so the peak stays near the final array's size.
 */
#define _GNU_SOURCE /* madvise, sysconf, strcasecmp with -std=c11 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crs.h"
#include "pool.h"
#include "text.h"
#include "traces_int.h"
#include "vsi.h"

/* Unifies the parts' member tables, decides an undecided encoding from the
 * distinct ids, decodes them and numbers the members in first-seen order
 * of usable fixes. */
static int merge_members(gs__tr_reader *r, gs__tr_merged *mg) {
    gs__traces *out = r->out;
    size_t cap = 0;
    mg->map = gs__calloc((size_t)r->n_parts, sizeof *mg->map);
    if (!mg->map) return gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
    mg->n_map = r->n_parts;
    for (int k = 0; k < r->n_parts; k++) {
        gs__tr_part *p = &r->parts[k];
        mg->map[k] = gs__malloc((p->members.n + 1) * sizeof **mg->map);
        if (!mg->map[k]) return gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
        for (size_t e = 0; e < p->members.n; e++)
            if (gs__mtab_intern(&mg->g, NULL, p->members.e[e].raw,
                                p->members.e[e].len, &mg->map[k][e]))
                return gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
    }
    if (r->enc == ENC_UNDECIDED) {
        int rc = gs__tr_settle_encoding(r, &mg->g);
        if (rc) return rc;
    }
    for (size_t i = 0; i < mg->g.n; i++) {
        int nomem = 0;
        mg->g.e[i].text =
            gs__tr_decode(r, mg->g.e[i].raw, mg->g.e[i].len, &nomem);
        if (nomem) return gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
    }
    for (int k = 0; k < r->n_parts; k++) {
        gs__tr_part *p = &r->parts[k];
        for (size_t j = 0; j < p->n_good; j++) {
            gs__mentry *e = &mg->g.e[mg->map[k][p->good[j]]];
            if (e->order != NO_ENTRY || !e->text) continue;
            if (out->n_members == cap) {
                const char **nv = gs__grow_array((void *)out->member_ids, &cap,
                                                 sizeof *nv, 256);
                if (!nv) return gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
                out->member_ids = nv;
            }
            e->order = (uint32_t)out->n_members;
            out->member_ids[out->n_members++] = e->text;
        }
    }
    return GS_OK;
}

/* Gives the pages of the first `bytes` of a large array back to the
 * system once they are copied, so that merging the parts does not double
 * the memory for a moment. Only whole pages past the block's first (which
 * holds malloc's header) are released; the array is freed afterwards. */
static void release_copied(void *base, size_t bytes) {
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t a = ((uintptr_t)base + page) & ~(page - 1);
    uintptr_t b = ((uintptr_t)base + bytes) & ~(page - 1);
    if (b > a) madvise((void *)a, b - a, MADV_DONTNEED);
}

/* One part's fixes to renumber and move into the result. */
typedef struct merge_job {
    gs__tr_reader *r;
    const gs__tr_merged *mg;
    int k;         /* the part */
    size_t at;     /* where its fixes go in r->out->fixes */
    uint64_t base; /* absolute line of its relative line 1 */
} merge_job;

/* Renumbers one part's fixes (absolute lines, global members) into their
 * place in the result, the first part's in place, and gives each copied
 * stretch of another part's array back at once; a gs__parallel job (the
 * parts write disjoint stretches). Fixes of members whose id cannot be
 * decoded keep BAD_MEMBER_FLAG | global entry. */
static void *merge_fix_run(void *arg) {
    const merge_job *j = arg;
    gs__tr_part *p = &j->r->parts[j->k];
    gs__fix *dst = j->r->out->fixes + j->at;
    const gs__fix *src = j->k == 0 ? dst : p->fix;
    const uint32_t *map = j->mg->map[j->k];
    const gs__mentry *g = j->mg->g.e;
    for (size_t i = 0; i < p->n_fix; i++) {
        gs__fix f = src[i];
        const gs__mentry *e = &g[map[f.member]];
        f.member = e->text ? e->order : (BAD_MEMBER_FLAG | map[f.member]);
        f.line = (uint32_t)(j->base + f.line - 1);
        dst[i] = f;
        if (j->k > 0 && (i & 0xfffff) == 0xfffff)
            release_copied(p->fix, (i + 1) * sizeof *p->fix);
    }
    if (j->k > 0) {
        free(p->fix); /* copied: give the memory back now */
        p->fix = NULL;
    }
    return NULL;
}

/* Concatenates the parts' fixes (each part on its own thread) and bad
 * rows with absolute lines and global members. */
static int merge_rows(gs__tr_reader *r, gs__tr_merged *mg) {
    gs__traces *out = r->out;
    size_t n_fix = 0, n_bad = 0;
    uint64_t base = r->first_line;
    merge_job jobs[MAX_PARTS];
    for (int k = 0; k < r->n_parts; k++) {
        jobs[k].r = r;
        jobs[k].mg = mg;
        jobs[k].k = k;
        jobs[k].at = n_fix;
        jobs[k].base = base;
        n_fix += r->parts[k].n_fix;
        n_bad += r->parts[k].n_bad;
        base += r->parts[k].breaks;
        if (base > UINT32_MAX)
            return gs__err(r->ctx, GS_ERR_INPUT, "%s: more than %u lines",
                           r->o->path, UINT32_MAX);
    }
    /* The first part's array becomes the result: realloc moves pages
     * without copying them. */
    out->fixes = r->parts[0].fix;
    r->parts[0].fix = NULL;
    if (n_fix > r->parts[0].cap_fix || n_fix == 0) {
        gs__fix *nv = gs__realloc(out->fixes, (n_fix ? n_fix : 1) * sizeof *nv);
        if (!nv) return gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
        out->fixes = nv;
    }
    out->bad = gs__malloc((n_bad ? n_bad : 1) * sizeof *out->bad);
    if (!out->bad) return gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
    gs__parallel(merge_fix_run, jobs, sizeof *jobs, r->n_parts);
    for (int k = 0; k < r->n_parts; k++) {
        gs__tr_part *p = &r->parts[k];
        for (size_t i = 0; i < p->n_bad; i++) {
            const gs__tr_rawbad *b = &p->bad[i];
            gs__badrow *o = &out->bad[out->n_bad++];
            o->line = (uint32_t)(jobs[k].base + b->line - 1);
            o->member_id =
                b->entry == NO_ENTRY
                    ? ""
                    : gs__tr_member_text(r, &mg->g.e[mg->map[k][b->entry]]);
            o->field = b->field;
            o->reason = gs__arena_strdup(&out->strings, b->reason);
            o->t_ms = b->t_ms;
            if (!o->reason)
                return gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
        }
        out->n_blank += p->n_blank;
    }
    out->n_fixes = n_fix;
    return GS_OK;
}

/* How {trace_crs} converts the coordinates: wgs84 (none given), gcj02,
 * bd09, or a CRS OGR understands (r->srs). GS_ERR_USAGE naming it. */
static int parse_trace_crs(gs__tr_reader *r) {
    const char *c = r->o->trace_crs;
    if (!c || !strcasecmp(c, "wgs84") || !strcasecmp(c, "wgs-84")) {
        r->crs_mode = CRS_WGS84;
    } else if (!strcasecmp(c, "gcj02") || !strcasecmp(c, "gcj-02")) {
        r->crs_mode = CRS_GCJ02;
    } else if (!strcasecmp(c, "bd09") || !strcasecmp(c, "bd-09")) {
        r->crs_mode = CRS_BD09;
    } else {
        r->srs = OSRNewSpatialReference(NULL);
        if (!r->srs) return gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
        gs__libmsg_clear(r->ctx);
        if (OSRSetFromUserInput(r->srs, c) != OGRERR_NONE)
            return gs__err_lib(r->ctx, GS_ERR_USAGE,
                               "{trace_crs} '%s': not wgs84, gcj02, bd09 or "
                               "a CRS such as EPSG:4490",
                               c);
        OSRSetAxisMappingStrategy(r->srs, OAMS_TRADITIONAL_GIS_ORDER);
        r->crs_mode = CRS_OGR;
    }
    return GS_OK;
}

/* The path exists and is a file: a folder would open as a set of CSV
 * layers, so say what it is. A PG: source is left to its reader. */
static int check_path(gs_ctx *ctx, const char *path) {
    struct stat st;
    int rc;
    if ((rc = gs__check_cancel(ctx))) return rc;
    if (strncmp(path, "PG:", 3) == 0) return GS_OK;
    if (gs__is_vsi(path)) return gs__vsi_check(ctx, path, "traces");
    if (stat(path, &st) != 0)
        return gs__err(ctx, GS_ERR_INPUT_OPEN, "%s (traces): %s", path,
                       strerror(errno));
    if (S_ISDIR(st.st_mode))
        return gs__err(ctx, GS_ERR_INPUT_OPEN,
                       "%s (traces): is a directory, not a file", path);
    return GS_OK;
}

/* Reads the source into r->parts with the reader of its kind: a CSV, a
 * PG: source (through OGR when GS_PG_TRACES_OGR is set), anything else
 * through OGR. GS_ERR_INPUT_EMPTY when it has no row. */
static int read_source(gs__tr_reader *r) {
    const char *path = r->o->path;
    size_t rows = 0;
    int rc;
    if (gs__is_csv_path(path))
        rc = gs__tr_read_csv(r);
    else if (!strncmp(path, "PG:", 3) && !getenv("GS_PG_TRACES_OGR"))
        rc = gs__tr_read_pg(r);
    else
        rc = gs__tr_read_ogr(r);
    if (rc) return rc;
    for (int k = 0; k < r->n_parts; k++)
        rows += r->parts[k].n_fix + r->parts[k].n_bad;
    if (rows == 0)
        return gs__err(r->ctx, GS_ERR_INPUT_EMPTY, "%s%s%s (traces): no rows%s",
                       path, r->out->layer[0] ? ", layer " : "", r->out->layer,
                       r->out->is_csv ? " after the header" : "");
    return GS_OK;
}

int gs__traces_read(gs_ctx *ctx, const gs__trace_opts *o, gs__traces *out) {
    gs__tr_reader r;
    gs__tr_merged mg;
    int rc;

    memset(out, 0, sizeof *out);
    gs__arena_init(&out->strings);
    memset(&r, 0, sizeof r);
    memset(&mg, 0, sizeof mg);
    r.ctx = ctx;
    r.o = o;
    r.out = out;
    r.cd = (iconv_t)-1;
    if (!o || !o->path || !o->tz) {
        rc = gs__err(ctx, GS_ERR_USAGE, "traces: no path or time zone");
        goto done;
    }
    if ((rc = parse_trace_crs(&r)) || (rc = check_path(ctx, o->path)) ||
        (rc = read_source(&r)) || (rc = merge_members(&r, &mg)) ||
        (rc = merge_rows(&r, &mg)))
        goto done;
    if (r.srs) rc = gs__tr_transform_fixes(&r);
    if (!rc) rc = gs__tr_check_fixes(&r, &mg);
    if (rc) goto done;
    if (r.crs_mode == CRS_GCJ02 || r.crs_mode == CRS_BD09)
        gs__tr_invert_fixes(&r);
    if (out->n_fixes + out->n_bad == 0) {
        rc = gs__err(ctx, GS_ERR_INPUT_EMPTY, "%s (traces): no rows", o->path);
        goto done;
    }
    {
        /* Give back the capacity estimated for the parts. */
        gs__fix *nv = gs__realloc(
            out->fixes, (out->n_fixes ? out->n_fixes : 1) * sizeof *nv);
        if (nv) out->fixes = nv;
    }
done:
    gs__tr_free_parts(&r);
    for (int k = 0; k < mg.n_map; k++) free(mg.map[k]);
    free(mg.map);
    gs__mtab_free(&mg.g);
    if (r.srs) OSRDestroySpatialReference(r.srs);
    if (r.cd != (iconv_t)-1) iconv_close(r.cd);
    if (rc) gs__traces_free(out);
    return rc;
}

void gs__traces_free(gs__traces *t) {
    if (!t) return;
    free(t->fixes);
    free((void *)t->member_ids);
    free(t->bad);
    gs__arena_free(&t->strings);
    memset(t, 0, sizeof *t);
}
