/*
 * test_validate.c - the validate rules on hand-built models.
 *
 * Each case builds a model from WKT in metres (as the readers would after
 * projection) and checks the analysis against figures computed by hand in
 * the comments. One case per issue kind, the limits of every threshold, and
 * a fully compliant city that must report nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geom.h"
#include "harness.h"
#include "model.h"
#include "pool.h"
#include "schema.h"
#include "validate.h"

static gs_ctx *ctx;

/* ---- model building ------------------------------------------------------ */

static void add_community(gs__model *m, const char *code, const char *wkt) {
    gs__community *c;
    m->communities = realloc(m->communities,
                             (m->n_communities + 1) * sizeof *m->communities);
    c = &m->communities[m->n_communities++];
    memset(c, 0, sizeof *c);
    c->code = gs__arena_strdup(&m->strings, code);
    c->name = gs__arena_strdup(&m->strings, code);
    c->geom = gs__geom_from_wkt(m->geos, wkt);
    c->origin.fid = (long)m->n_communities;
}

/* Adds a grid as the reader would: validity checked, repaired if needed,
 * parts counted as stored. */
static void add_grid_typed(gs__model *m, const char *code, const char *comm,
                           const char *type, const char *wkt) {
    gs__grid *g;
    GEOSGeometry *geom = gs__geom_from_wkt(m->geos, wkt);
    m->grids = realloc(m->grids, (m->n_grids + 1) * sizeof *m->grids);
    g = &m->grids[m->n_grids++];
    memset(g, 0, sizeof *g);
    g->code = gs__arena_strdup(&m->strings, code);
    g->community_code = gs__arena_strdup(&m->strings, comm);
    g->grid_type = gs__arena_strdup(&m->strings, type);
    g->name = "";
    g->nparts = GEOSGeomTypeId_r(m->geos, geom) == GEOS_MULTIPOLYGON
                    ? GEOSGetNumGeometries_r(m->geos, geom)
                    : 1;
    g->geom = gs__geom_check_repair(m->geos, geom, &g->invalid,
                                    g->invalid_reason, sizeof g->invalid_reason,
                                    &g->invalid_x, &g->invalid_y);
    g->origin.fid = (long)m->n_grids;
}

static void add_grid(gs__model *m, const char *code, const char *comm,
                     const char *wkt) {
    add_grid_typed(m, code, comm, "basic", wkt);
}

static void add_household(gs__model *m, double x, double y, long persons,
                          int ok) {
    gs__household *h;
    char id[32];
    m->households =
        realloc(m->households, (m->n_households + 1) * sizeof *m->households);
    h = &m->households[m->n_households++];
    memset(h, 0, sizeof *h);
    snprintf(id, sizeof id, "H%zu", m->n_households);
    h->id = gs__arena_strdup(&m->strings, id);
    h->building_id = "";
    h->care_type = "";
    h->x = x;
    h->y = y;
    h->persons = persons;
    h->persons_ok = ok;
}

/* `n` households spread over the rectangle's interior, `persons` each. */
static void add_households_in(gs__model *m, double x0, double y0, double x1,
                              double y1, int n, long persons) {
    for (int i = 0; i < n; i++) {
        double fx = (i % 20 + 0.5) / 20.0, fy = (i / 20 % 20 + 0.5) / 20.0;
        add_household(m, x0 + (x1 - x0) * fx, y0 + (y1 - y0) * fy, persons, 1);
    }
}

static void add_member(gs__model *m, const char *id, const char *grid) {
    gs__member *mb;
    m->have_members = 1;
    m->members = realloc(m->members, (m->n_members + 1) * sizeof *m->members);
    mb = &m->members[m->n_members++];
    memset(mb, 0, sizeof *mb);
    mb->member_id = gs__arena_strdup(&m->strings, id);
    mb->grid_code = gs__arena_strdup(&m->strings, grid);
    mb->name = "";
    mb->origin.line = (long)m->n_members + 1;
}

/* Community A = [0,200]x[0,100], code 110108001001. */
#define COMM "110108001001"
#define G1 "110108001001001"
#define G2 "110108001001002"
#define G3 "110108001001003"
#define SQ(x0, y0, x1, y1)                                                     \
    "POLYGON((" #x0 " " #y0 ", " #x1 " " #y0 ", " #x1 " " #y1 ", " #x0 " " #y1 \
    ", " #x0 " " #y0 "))"

static void base_city(gs__model *m) {
    gs__model_init(m, ctx->geos);
    add_community(m, COMM, SQ(0, 0, 200, 100));
}

static int count_kind(const gs__vresult *r, gs__kind k, long grid) {
    int n = 0;
    for (size_t i = 0; i < r->n_issues; i++)
        if (r->issues[i].kind == k && (grid < -1 || r->issues[i].grid == grid))
            n++;
    return n;
}

static const gs__issue *find_issue(const gs__vresult *r, gs__kind k,
                                   long grid) {
    for (size_t i = 0; i < r->n_issues; i++)
        if (r->issues[i].kind == k && r->issues[i].grid == grid)
            return &r->issues[i];
    return NULL;
}

static double issue_area(const gs__issue *is) {
    return is ? gs__geom_area(ctx->geos, is->geom) : -1;
}

static int run(const gs__model *m, gs__vresult *r) {
    gs_rules rules;
    gs_rules_init(&rules);
    return gs__validate_analyse(ctx, m, &rules, 1, r);
}

/* ---- cases ------------------------------------------------------------------
 */

/* Two 100x100 grids tiling the community, 400 households of 3 persons
 * each, one member each, well-formed codes: nothing to report. */
TEST(compliant_city_reports_nothing) {
    gs__model m;
    gs__vresult r;
    char buf[256];
    base_city(&m);
    add_grid(&m, G1, COMM, SQ(0, 0, 100, 100));
    add_grid(&m, G2, COMM, SQ(100, 0, 200, 100));
    add_households_in(&m, 0, 0, 100, 100, 400, 3);
    add_households_in(&m, 100, 0, 200, 100, 400, 3);
    add_member(&m, "M1", G1);
    add_member(&m, "M2", G2);
    REQUIRE(run(&m, &r) == GS_OK);
    CHECK(r.n_issues == 0);
    CHECK(r.violations == 0);
    CHECK(r.grids[0].households == 400);
    CHECK(r.grids[0].persons == 1200);
    CHECK(r.grids[1].members == 1);
    CHECK_NEAR(r.grids[0].area_m2, 10000.0, 1e-6);
    /* Square: 4*pi*10000/400^2 = pi/4. */
    CHECK_NEAR(r.grids[0].polsby_popper, 3.14159265358979 / 4, 1e-9);
    gs__vgrid_issues(&r.grids[0], buf, sizeof buf);
    CHECK_STR(buf, "");
    /* Summary: one community row plus the total. */
    CHECK(r.n_sums == 2);
    CHECK_STR(r.sums[1].community_code, "total");
    CHECK(r.sums[1].households == 800);
    CHECK(r.sums[0].grids == 2);
    for (size_t i = 0; i < r.n_issues; i++)
        printf("  unexpected: %s %s\n", gs__kind_name(r.issues[i].kind),
               r.issues[i].detail);
    gs__vresult_free(ctx->geos, &r);
    gs__model_free(&m);
}

/* 300 and 500 households comply; 299 is undersize, 501 oversize; 2,500
 * persons comply, 2,501 is persons_over. */
TEST(sizing_limits_themselves_comply) {
    gs__model m;
    gs__vresult r;
    base_city(&m);
    gs__model_free(&m);
    gs__model_init(&m, ctx->geos);
    add_community(&m, COMM, SQ(0, 0, 400, 100));
    add_grid(&m, G1, COMM, SQ(0, 0, 100, 100));   /* 300 hh x 1 */
    add_grid(&m, G2, COMM, SQ(100, 0, 200, 100)); /* 299 hh */
    add_grid(&m, G3, COMM, SQ(200, 0, 300, 100)); /* 500 hh, 2500 p */
    add_grid(&m, "110108001001004", COMM, SQ(300, 0, 400, 100)); /* 501 */
    add_households_in(&m, 0, 0, 100, 100, 300, 1);
    add_households_in(&m, 100, 0, 200, 100, 299, 1);
    add_households_in(&m, 200, 0, 300, 100, 400, 5); /* 2000 persons */
    add_households_in(&m, 200, 0, 300, 50, 100, 5);  /* +500 = 2500 */
    add_households_in(&m, 300, 0, 400, 100, 400, 5);
    add_households_in(&m, 300, 0, 400, 50, 101, 5); /* 501 hh, 2505 p */
    REQUIRE(run(&m, &r) == GS_OK);
    CHECK(r.grids[0].households == 300);
    CHECK(r.grids[0].kinds == 0);
    CHECK(r.grids[1].households == 299);
    CHECK(r.grids[1].kinds == 1u << GS__K_UNDERSIZE);
    CHECK(r.grids[2].households == 500);
    CHECK(r.grids[2].persons == 2500);
    CHECK(r.grids[2].kinds == 0);
    CHECK(r.grids[3].households == 501);
    CHECK(r.grids[3].persons == 2505);
    CHECK(r.grids[3].kinds ==
          ((1u << GS__K_OVERSIZE) | (1u << GS__K_PERSONS_OVER)));
    /* No roster given: no member checks, members unknown (-1). */
    CHECK(r.grids[0].members == -1);
    gs__vresult_free(ctx->geos, &r);
    gs__model_free(&m);
}

/* A dedicated grid of 10 households is exempt from sizing by default, and
 * flagged when the exemption is switched off. */
TEST(dedicated_grids_are_exempt) {
    gs__model m;
    gs__vresult r;
    gs_rules rules;
    base_city(&m);
    add_grid_typed(&m, G1, COMM, "dedicated", SQ(0, 0, 100, 100));
    add_grid(&m, G2, COMM, SQ(100, 0, 200, 100));
    add_households_in(&m, 0, 0, 100, 100, 10, 2);
    add_households_in(&m, 100, 0, 200, 100, 400, 2);
    REQUIRE(run(&m, &r) == GS_OK);
    CHECK(r.grids[0].kinds == 0);
    gs__vresult_free(ctx->geos, &r);
    gs_rules_init(&rules);
    rules.exempt_dedicated = 0;
    REQUIRE(gs__validate_analyse(ctx, &m, &rules, 1, &r) == GS_OK);
    CHECK(r.grids[0].kinds == 1u << GS__K_UNDERSIZE);
    gs__vresult_free(ctx->geos, &r);
    gs__model_free(&m);
}

/* Households with unusable persons count as households, not persons. */
TEST(bad_persons_counts_household_not_persons) {
    gs__model m;
    gs__vresult r;
    base_city(&m);
    add_grid(&m, G1, COMM, SQ(0, 0, 100, 100));
    add_grid(&m, G2, COMM, SQ(100, 0, 200, 100));
    add_households_in(&m, 0, 0, 100, 100, 398, 2);
    add_household(&m, 10, 10, 0, 0); /* missing */
    add_household(&m, 20, 20, 0, 0); /* negative */
    add_households_in(&m, 100, 0, 200, 100, 400, 2);
    REQUIRE(run(&m, &r) == GS_OK);
    CHECK(r.grids[0].households == 400);
    CHECK(r.grids[0].persons == 796);
    CHECK(r.grids[0].bad_persons == 2);
    CHECK(r.grids[0].kinds == 1u << GS__K_BAD_PERSONS);
    /* The grid's issue, and one point per bad household. */
    CHECK(count_kind(&r, GS__K_BAD_PERSONS, -2) == 3);
    gs__vresult_free(ctx->geos, &r);
    gs__model_free(&m);
}

/* A household on the shared edge, one at the shared vertex, and one in an
 * overlap all go to the lowest grid_code; the grids are given in reverse
 * code order so that input order cannot be what decides. */
TEST(boundary_households_go_to_lowest_code) {
    gs__model m;
    gs__vresult r;
    base_city(&m);
    add_grid(&m, G2, COMM, SQ(100, 0, 200, 100));
    add_grid(&m, G1, COMM, SQ(0, 0, 100, 100));
    add_household(&m, 100, 50, 1, 1);  /* on the shared edge */
    add_household(&m, 100, 100, 1, 1); /* on the shared vertex */
    add_household(&m, 150, 50, 1, 1);  /* inside G2 only */
    add_household(&m, 0, 0, 1, 1);     /* outer corner of G1 */
    REQUIRE(run(&m, &r) == GS_OK);
    CHECK(r.household_grid[0] == 1);
    CHECK(r.household_grid[1] == 1);
    CHECK(r.household_grid[2] == 0);
    CHECK(r.household_grid[3] == 1);
    CHECK(r.grids[1].households == 3);
    CHECK(r.grids[0].households == 1);
    CHECK(r.orphans == 0);
    gs__vresult_free(ctx->geos, &r);
    gs__model_free(&m);
}

/* Same code twice: ties go to input order (the first grid). */
TEST(duplicate_code_ties_by_input_order) {
    gs__model m;
    gs__vresult r;
    base_city(&m);
    add_grid(&m, G1, COMM, SQ(0, 0, 100, 100));
    add_grid(&m, G1, COMM, SQ(100, 0, 200, 100));
    add_household(&m, 100, 50, 1, 1);
    REQUIRE(run(&m, &r) == GS_OK);
    CHECK(r.household_grid[0] == 0);
    CHECK(count_kind(&r, GS__K_DUPLICATE_CODE, 0) == 1);
    CHECK(count_kind(&r, GS__K_DUPLICATE_CODE, 1) == 1);
    gs__vresult_free(ctx->geos, &r);
    gs__model_free(&m);
}

/* A household 1 m outside every grid, still inside the community, is an
 * orphan; its issue is the point itself. */
TEST(orphan_household) {
    gs__model m;
    gs__vresult r;
    const gs__issue *is;
    double x = 0, y = 0;
    base_city(&m);
    add_grid(&m, G1, COMM, SQ(0, 0, 100, 100));
    add_grid(&m, G2, COMM, SQ(100, 0, 195, 100));
    add_household(&m, 197, 50, 2, 1);
    REQUIRE(run(&m, &r) == GS_OK);
    CHECK(r.orphans == 1);
    is = find_issue(&r, GS__K_ORPHAN_HOUSEHOLD, -1);
    REQUIRE(is != NULL);
    REQUIRE(is->geom != NULL);
    GEOSGeomGetX_r(ctx->geos, is->geom, &x);
    GEOSGeomGetY_r(ctx->geos, is->geom, &y);
    CHECK_NEAR(x, 197, 1e-9);
    CHECK_NEAR(y, 50, 1e-9);
    /* The orphan counts in the total, on no grid. */
    CHECK(r.sums[r.n_sums - 1].n[GS__K_ORPHAN_HOUSEHOLD] == 1);
    gs__vresult_free(ctx->geos, &r);
    gs__model_free(&m);
}

/* G1 = [0,110]x[0,100] overlaps G2 = [100,200]x[0,100] by 10x100 =
 * 1,000 m2; a 0.5x1 = 0.5 m2 overlap elsewhere is a sliver and ignored. */
TEST(overlap_and_sliver) {
    gs__model m;
    gs__vresult r;
    const gs__issue *is;
    base_city(&m);
    add_grid(&m, G1, COMM, SQ(0, 0, 110, 100));
    add_grid(&m, G2, COMM, SQ(100, 0, 200, 100));
    REQUIRE(run(&m, &r) == GS_OK);
    is = find_issue(&r, GS__K_OVERLAP, 0);
    REQUIRE(is != NULL);
    CHECK_NEAR(issue_area(is), 1000.0, 1e-6);
    CHECK(strstr(is->detail, G2) != NULL);
    CHECK(count_kind(&r, GS__K_OVERLAP, 1) == 1);
    gs__vresult_free(ctx->geos, &r);
    gs__model_free(&m);

    base_city(&m);
    add_grid(&m, G1, COMM,
             "POLYGON((0 0, 100.5 0, 100.5 1, 100 1, 100 100, 0 100, 0 0))");
    add_grid(&m, G2, COMM, SQ(100, 0, 200, 100));
    REQUIRE(run(&m, &r) == GS_OK);
    CHECK(count_kind(&r, GS__K_OVERLAP, -2) == 0);
    gs__vresult_free(ctx->geos, &r);
    gs__model_free(&m);
}

/* Grids [0,95] and [100,200] leave a 5x100 = 500 m2 gap sharing 100 m of
 * edge with each grid. A gap of 0.1x5 = 0.5 m2 is a sliver. */
TEST(gap_on_every_bordering_grid) {
    gs__model m;
    gs__vresult r;
    const gs__issue *is;
    base_city(&m);
    add_grid(&m, G1, COMM, SQ(0, 0, 95, 100));
    add_grid(&m, G2, COMM, SQ(100, 0, 200, 100));
    REQUIRE(run(&m, &r) == GS_OK);
    is = find_issue(&r, GS__K_GAP, 0);
    REQUIRE(is != NULL);
    CHECK_NEAR(issue_area(is), 500.0, 1e-6);
    CHECK(find_issue(&r, GS__K_GAP, 1) != NULL);
    CHECK(count_kind(&r, GS__K_GAP, -2) == 2);
    gs__vresult_free(ctx->geos, &r);
    gs__model_free(&m);

    base_city(&m);
    add_grid(&m, G1, COMM,
             "POLYGON((0 0, 100 0, 100 95, 99.9 95, 99.9 100, 0 100, 0 0))");
    add_grid(&m, G2, COMM, SQ(100, 0, 200, 100));
    REQUIRE(run(&m, &r) == GS_OK);
    CHECK(count_kind(&r, GS__K_GAP, -2) == 0);
    gs__vresult_free(ctx->geos, &r);
    gs__model_free(&m);
}

/* Corner contact is not a shared edge. Community A = [0,200]x[0,100] with
 * G1 = [0,95]x[0,100] and G2 = [100,200]x[0,100] leaves gap a =
 * [95,100]x[0,100]. Community B = [0,200]x[100,200] with G3 =
 * [100,200]x[100,200] leaves gap b = [0,100]x[100,200]. G3 touches gap a
 * only at the point (100,100): no. Gap b shares 95 m with G1 (y=100, x
 * 0..95), 100 m with G3 (x=100), and only the point (100,100) with G2.
 * So: G1 carries a and b, G2 carries a, G3 carries b. */
TEST(gap_not_on_corner_neighbour) {
    gs__model m;
    gs__vresult r;
    base_city(&m);
    add_community(&m, "110108001002", SQ(0, 100, 200, 200));
    add_grid(&m, G1, COMM, SQ(0, 0, 95, 100));
    add_grid(&m, G2, COMM, SQ(100, 0, 200, 100));
    add_grid(&m, "110108001002001", "110108001002", SQ(100, 100, 200, 200));
    REQUIRE(run(&m, &r) == GS_OK);
    CHECK(count_kind(&r, GS__K_GAP, 0) == 2);
    CHECK(count_kind(&r, GS__K_GAP, 1) == 1);
    CHECK(count_kind(&r, GS__K_GAP, 2) == 1);
    CHECK_NEAR(issue_area(find_issue(&r, GS__K_GAP, 2)), 10000.0, 1e-6);
    CHECK_NEAR(issue_area(find_issue(&r, GS__K_GAP, 1)), 500.0, 1e-6);
    gs__vresult_free(ctx->geos, &r);
    gs__model_free(&m);
}

/* G2 reaches 10 m beyond the community: 10x100 = 1,000 m2 outside. */
TEST(outside_community) {
    gs__model m;
    gs__vresult r;
    const gs__issue *is;
    base_city(&m);
    add_grid(&m, G1, COMM, SQ(0, 0, 100, 100));
    add_grid(&m, G2, COMM, SQ(100, 0, 210, 100));
    REQUIRE(run(&m, &r) == GS_OK);
    is = find_issue(&r, GS__K_OUTSIDE_COMMUNITY, 1);
    REQUIRE(is != NULL);
    CHECK_NEAR(issue_area(is), 1000.0, 1e-6);
    CHECK(count_kind(&r, GS__K_OUTSIDE_COMMUNITY, -2) == 1);
    CHECK(count_kind(&r, GS__K_COMMUNITY_MISMATCH, -2) == 0);
    gs__vresult_free(ctx->geos, &r);
    gs__model_free(&m);
}

/* A grid coded for community B but lying wholly in A: mismatch, and not
 * outside its host (A). */
TEST(community_mismatch) {
    gs__model m;
    gs__vresult r;
    base_city(&m);
    add_community(&m, "110108001002", SQ(0, 100, 200, 200));
    add_grid(&m, G1, COMM, SQ(0, 0, 100, 100));
    add_grid(&m, "110108001002001", "110108001002", SQ(100, 0, 200, 100));
    add_grid(&m, "110108001002002", "110108001002", SQ(0, 100, 200, 200));
    REQUIRE(run(&m, &r) == GS_OK);
    CHECK(r.grids[1].kinds & (1u << GS__K_COMMUNITY_MISMATCH));
    CHECK(!(r.grids[1].kinds & (1u << GS__K_OUTSIDE_COMMUNITY)));
    CHECK(r.grids[1].host == 0);
    CHECK(!(r.grids[0].kinds & (1u << GS__K_COMMUNITY_MISMATCH)));
    CHECK(!(r.grids[2].kinds & (1u << GS__K_COMMUNITY_MISMATCH)));
    gs__vresult_free(ctx->geos, &r);
    gs__model_free(&m);
}

/* A bow-tie is invalid at its self-intersection (50,50); the analysis uses
 * the repaired shape: two triangles of 2,500 m2 each. */
TEST(invalid_bowtie_repaired) {
    gs__model m;
    gs__vresult r;
    const gs__issue *is;
    double x = 0, y = 0;
    base_city(&m);
    add_grid(&m, G1, COMM, "POLYGON((0 0, 100 100, 100 0, 0 100, 0 0))");
    add_grid(&m, G2, COMM, SQ(100, 0, 200, 100));
    REQUIRE(run(&m, &r) == GS_OK);
    is = find_issue(&r, GS__K_INVALID_GEOMETRY, 0);
    REQUIRE(is != NULL);
    REQUIRE(is->geom != NULL);
    GEOSGeomGetX_r(ctx->geos, is->geom, &x);
    GEOSGeomGetY_r(ctx->geos, is->geom, &y);
    CHECK_NEAR(x, 50, 1e-9);
    CHECK_NEAR(y, 50, 1e-9);
    CHECK_NEAR(r.grids[0].area_m2, 5000.0, 1e-6);
    /* The repaired bow-tie leaves two triangles uncovered: a gap. */
    CHECK(r.grids[0].kinds & (1u << GS__K_GAP));
    gs__vresult_free(ctx->geos, &r);
    gs__model_free(&m);
}

/* Two parts as stored: multipart; the issue is the smaller part. */
TEST(multipart) {
    gs__model m;
    gs__vresult r;
    const gs__issue *is;
    base_city(&m);
    add_grid(&m, G1, COMM,
             "MULTIPOLYGON(((0 0, 100 0, 100 100, 0 100, 0 0)),"
             "((150 0, 160 0, 160 10, 150 10, 150 0)))");
    add_grid(&m, G2, COMM,
             "POLYGON((100 0, 150 0, 150 10, 160 10, 160 0, 200 0, 200 100, "
             "100 100, 100 0))");
    REQUIRE(run(&m, &r) == GS_OK);
    is = find_issue(&r, GS__K_MULTIPART, 0);
    REQUIRE(is != NULL);
    CHECK_NEAR(issue_area(is), 100.0, 1e-6);
    CHECK(r.grids[1].kinds == 0 ||
          !(r.grids[1].kinds & (1u << GS__K_MULTIPART)));
    CHECK(count_kind(&r, GS__K_OVERLAP, -2) == 0);
    CHECK(count_kind(&r, GS__K_GAP, -2) == 0);
    gs__vresult_free(ctx->geos, &r);
    gs__model_free(&m);
}

TEST(bad_codes) {
    gs__model m;
    gs__vresult r;
    base_city(&m);
    add_grid(&m, "11010800100101", COMM, SQ(0, 0, 100, 100));    /* 14 digits */
    add_grid(&m, "110108001002001", COMM, SQ(100, 0, 150, 100)); /* prefix */
    add_grid(&m, "11010800100100A", COMM, SQ(150, 0, 200, 100));
    REQUIRE(run(&m, &r) == GS_OK);
    CHECK(r.grids[0].kinds & (1u << GS__K_BAD_CODE));
    CHECK(r.grids[1].kinds & (1u << GS__K_BAD_CODE));
    CHECK(r.grids[2].kinds & (1u << GS__K_BAD_CODE));
    gs__vresult_free(ctx->geos, &r);
    gs__model_free(&m);
}

/* Roster: G1 none, G2 two members (M2 listed twice counts once), M3 on G2
 * and G3, and a row for a grid that does not exist. */
TEST(roster_rules) {
    gs__model m;
    gs__vresult r;
    const gs__issue *is;
    char buf[256];
    base_city(&m);
    add_community(&m, "110108001002", SQ(0, 100, 200, 200));
    add_grid(&m, G1, COMM, SQ(0, 0, 100, 100));
    add_grid(&m, G2, COMM, SQ(100, 0, 200, 100));
    add_grid(&m, "110108001002001", "110108001002", SQ(0, 100, 200, 200));
    add_member(&m, "M2", G2);
    add_member(&m, "M2", G2);
    add_member(&m, "M3", G2);
    add_member(&m, "M3", "110108001002001");
    add_member(&m, "M9", "110108001001099");
    REQUIRE(run(&m, &r) == GS_OK);
    CHECK(r.grids[0].members == 0);
    CHECK(r.grids[1].members == 2);
    CHECK(r.grids[2].members == 1);
    gs__vgrid_issues(&r.grids[0], buf, sizeof buf);
    CHECK_STR(buf, "no_member;undersize");
    gs__vgrid_issues(&r.grids[1], buf, sizeof buf);
    CHECK_STR(buf, "member_multiple_grids;multiple_members;undersize");
    gs__vgrid_issues(&r.grids[2], buf, sizeof buf);
    CHECK_STR(buf, "member_multiple_grids;undersize");
    is = find_issue(&r, GS__K_MEMBER_UNKNOWN_GRID, -1);
    REQUIRE(is != NULL);
    CHECK_STR(is->grid_code, "110108001001099");
    CHECK(is->geom == NULL);
    CHECK(strstr(is->detail, "M9") != NULL);
    gs__vresult_free(ctx->geos, &r);
    gs__model_free(&m);
}

/* More workers give the same assignment as one. */
TEST(threads_same_result) {
    gs__model m;
    gs__vresult r1, r2;
    gs_rules rules;
    int same = 1;
    gs_rules_init(&rules);
    base_city(&m);
    add_grid(&m, G2, COMM, SQ(100, 0, 200, 100));
    add_grid(&m, G1, COMM, SQ(0, 0, 100.5, 100));
    for (int i = 0; i < 5000; i++)
        add_household(&m, (i * 37) % 2010 / 10.0, (i * 53) % 1000 / 10.0, 1, 1);
    REQUIRE(gs__validate_analyse(ctx, &m, &rules, 1, &r1) == GS_OK);
    REQUIRE(gs__validate_analyse(ctx, &m, &rules, 3, &r2) == GS_OK);
    for (size_t k = 0; k < m.n_households; k++)
        if (r1.household_grid[k] != r2.household_grid[k]) same = 0;
    CHECK(same);
    CHECK(r1.grids[0].households == r2.grids[0].households);
    CHECK(r1.orphans == r2.orphans);
    gs__vresult_free(ctx->geos, &r1);
    gs__vresult_free(ctx->geos, &r2);
    gs__model_free(&m);
}

/* Issues as text, in order: kind, grid, detail and the place's WKT. */
static char *issues_text(const gs__vresult *r) {
    gs__buf b;
    gs__buf_init(&b, 0);
    for (size_t i = 0; i < r->n_issues; i++) {
        const gs__issue *is = &r->issues[i];
        char *wkt = is->geom ? GEOSGeomToWKT_r(ctx->geos, is->geom) : NULL;
        gs__buf_printf(&b, "%s %ld %s %s %s\n", gs__kind_name(is->kind),
                       is->grid, is->grid_code, is->detail, wkt ? wkt : "-");
        if (wkt) GEOSFree_r(ctx->geos, wkt);
    }
    for (size_t i = 0; r->grids && i < 200; i++)
        gs__buf_printf(&b, "%u %.6f %.6f %ld\n", r->grids[i].kinds,
                       r->grids[i].area_m2, r->grids[i].polsby_popper,
                       r->grids[i].host);
    return gs__buf_steal(&b);
}

static void *checks_worker(void *arg) {
    gs__validate_checks_work(*(gs__vchecks **)arg);
    return NULL;
}

/* A city of 200 grids in 10 communities with overlaps, gaps, grids
 * outside their community and a wrong community code: the parallel checks
 * give the same issues, in the same order, with one worker, with three,
 * and run ahead (gs__validate_checks, as the households are read) on two. */
TEST(parallel_checks_same_issues_in_same_order) {
    gs__model m;
    gs__vresult r1, r3, rp;
    gs__vchecks *pre = NULL;
    gs_rules rules;
    char *t1, *t3, *tp;
    gs_rules_init(&rules);
    gs__model_init(&m, ctx->geos);
    for (int c = 0; c < 10; c++) {
        char code[16], wkt[200];
        snprintf(code, sizeof code, "1101080010%02d", c);
        snprintf(wkt, sizeof wkt, "POLYGON((%d 0, %d 0, %d 200, %d 200, %d 0))",
                 c * 200, c * 200 + 200, c * 200 + 200, c * 200, c * 200);
        add_community(&m, code, wkt);
    }
    for (int g = 0; g < 200; g++) {
        int c = g / 20, k = g % 20, col = k % 5, row = k / 5;
        double x0 = c * 200 + col * 40, y0 = row * 50, x1 = x0 + 40,
               y1 = y0 + 50;
        char code[20], comm[16], wkt[300];
        if (g % 7 == 0) x1 += 3;  /* overlaps its right neighbour */
        if (g % 11 == 0) y1 -= 4; /* leaves a gap above */
        if (g % 13 == 0) x0 -= 6; /* pokes out of its community */
        snprintf(comm, sizeof comm, "1101080010%02d",
                 g % 29 ? c : (c + 1) % 10);
        snprintf(code, sizeof code, "%s%03d", comm, k + 1);
        snprintf(wkt, sizeof wkt,
                 "POLYGON((%.1f %.1f, %.1f %.1f, %.1f %.1f, %.1f %.1f, "
                 "%.1f %.1f))",
                 x0, y0, x1, y0, x1, y1, x0, y1, x0, y0);
        add_grid(&m, code, comm, wkt);
    }
    REQUIRE(gs__validate_analyse(ctx, &m, &rules, 1, &r1) == GS_OK);
    REQUIRE(gs__validate_analyse(ctx, &m, &rules, 3, &r3) == GS_OK);
    REQUIRE(gs__validate_checks(&m, &rules, 2, &pre) == GS_OK);
    REQUIRE(gs__validate_analyse_pre(ctx, &m, &rules, 2, pre, &rp) == GS_OK);
    t1 = issues_text(&r1);
    t3 = issues_text(&r3);
    tp = issues_text(&rp);
    REQUIRE(t1 && t3 && tp);
    {
        /* In steps, as validate runs them: two workers take the tasks
         * side by side, a third comes when none is left and does
         * nothing; the same issues. */
        gs__vchecks *steps = NULL, *workers[2];
        gs__vresult rs;
        char *ts;
        REQUIRE(gs__validate_checks_begin(&m, &rules, &steps) == GS_OK);
        workers[0] = workers[1] = steps;
        gs__parallel(checks_worker, workers, sizeof workers[0], 2);
        gs__validate_checks_work(steps);
        REQUIRE(gs__validate_checks_end(steps) == GS_OK);
        REQUIRE(gs__validate_analyse_pre(ctx, &m, &rules, 2, steps, &rs) ==
                GS_OK);
        ts = issues_text(&rs);
        REQUIRE(ts);
        CHECK_STR(ts, t1);
        free(ts);
        gs__vresult_free(ctx->geos, &rs);
    }
    CHECK(count_kind(&r1, GS__K_OVERLAP, -2) > 10);
    CHECK(count_kind(&r1, GS__K_GAP, -2) > 5);
    CHECK(count_kind(&r1, GS__K_OUTSIDE_COMMUNITY, -2) > 5);
    CHECK(count_kind(&r1, GS__K_COMMUNITY_MISMATCH, -2) > 3);
    CHECK_STR(t3, t1);
    CHECK_STR(tp, t1);
    free(t1);
    free(t3);
    free(tp);
    gs__vresult_free(ctx->geos, &r1);
    gs__vresult_free(ctx->geos, &r3);
    gs__vresult_free(ctx->geos, &rp);
    gs__model_free(&m);
}

/* The summary's n_<kind> fields (schema.c) are the issue kinds, in the
 * order the writer fills them (GS__VS_N_KIND + kind). */
TEST(summary_schema_has_one_count_per_kind) {
    const gs__layer_schema *s = gs__schema(GS__LS_VALIDATE_SUMMARY);
    REQUIRE(s->nfields == GS__VS_N);
    for (int k = 0; k < GS__K_COUNT; k++) {
        char want[64];
        snprintf(want, sizeof want, "n_%s", gs__kind_name((gs__kind)k));
        CHECK_STR(s->fields[GS__VS_N_KIND + k].name, want);
        CHECK(s->fields[GS__VS_N_KIND + k].type == GS__F_INT);
    }
}

int main(void) {
    if (gs_ctx_create(&ctx) != GS_OK) return 2;
    RUN(compliant_city_reports_nothing);
    RUN(sizing_limits_themselves_comply);
    RUN(dedicated_grids_are_exempt);
    RUN(bad_persons_counts_household_not_persons);
    RUN(boundary_households_go_to_lowest_code);
    RUN(duplicate_code_ties_by_input_order);
    RUN(orphan_household);
    RUN(overlap_and_sliver);
    RUN(gap_on_every_bordering_grid);
    RUN(gap_not_on_corner_neighbour);
    RUN(outside_community);
    RUN(community_mismatch);
    RUN(invalid_bowtie_repaired);
    RUN(multipart);
    RUN(bad_codes);
    RUN(parallel_checks_same_issues_in_same_order);
    RUN(roster_rules);
    RUN(threads_same_result);
    RUN(summary_schema_has_one_count_per_kind);
    gs_ctx_destroy(ctx);
    return HARNESS_END();
}
