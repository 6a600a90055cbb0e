/*
 * test_style.c - unit tests of the QGIS style subsystem (engine/out/style.c).
 *
 * The QML is checked as text: the pieces QGIS reads (renderer type and
 * attribute, categories, symbol types and colours, labels, aliases, display
 * expression), the escaping of everything inserted, and well-formedness by a
 * small XML checker below. That QGIS 3.22 itself reads these documents the
 * same way is checked end to end by tests/qgis_check.py on real outputs.
 */
#include <stdlib.h>

#include "harness.h"
#include "style.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int contains(const char *hay, const char *needle) {
    return hay && needle && strstr(hay, needle) != NULL;
}

static size_t count(const char *hay, const char *needle) {
    size_t n = 0, len = strlen(needle);
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += len) n++;
    return n;
}

/* Returns 1 when s is valid UTF-8 without C0 controls other than LF. */
static int utf8_clean(const char *s) {
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        size_t n;
        if (*u < 0x80) {
            if (*u < 0x20 && *u != '\n') return 0;
            u++;
            continue;
        }
        if (*u >= 0xC2 && *u <= 0xDF)
            n = 2;
        else if (*u >= 0xE0 && *u <= 0xEF)
            n = 3;
        else if (*u >= 0xF0 && *u <= 0xF4)
            n = 4;
        else
            return 0;
        for (size_t i = 1; i < n; i++)
            if ((u[i] & 0xC0) != 0x80) return 0;
        u += n;
    }
    return 1;
}

/* A small well-formedness checker for what gs__style_qml writes: a DOCTYPE,
 * elements with double-quoted attributes, text, and the entities it uses.
 * Returns 1 when tags nest and close, attribute values hold no raw '<' and
 * every '&' starts a known entity. */
static int entity_ok(const char *p) {
    static const char *const ents[] = {"&amp;",  "&lt;", "&gt;",  "&quot;",
                                       "&apos;", "&#9;", "&#10;", "&#13;"};
    for (size_t i = 0; i < NELEM(ents); i++)
        if (strncmp(p, ents[i], strlen(ents[i])) == 0) return 1;
    return 0;
}

static int xml_well_formed(const char *s) {
    const char *stack[64];
    size_t stack_len[64];
    size_t depth = 0;
    int seen_root = 0;
    const char *p = s;
    if (strncmp(p, "<!DOCTYPE qgis ", 15) != 0) return 0;
    p = strchr(p, '>');
    if (!p) return 0;
    p++;
    while (*p) {
        if (*p == '&') {
            if (!entity_ok(p)) return 0;
            p++;
            continue;
        }
        if (*p != '<') {
            if (*p == '>') return 0;
            if (depth == 0 && *p != '\n' && *p != ' ') return 0;
            p++;
            continue;
        }
        p++;
        int closing = *p == '/';
        if (closing) p++;
        const char *name = p;
        while (*p && *p != ' ' && *p != '>' && *p != '/' && *p != '\n') p++;
        size_t nlen = (size_t)(p - name);
        if (nlen == 0) return 0;
        if (closing) {
            if (depth == 0 || stack_len[depth - 1] != nlen ||
                strncmp(stack[depth - 1], name, nlen) != 0 || *p != '>')
                return 0;
            depth--;
            p++;
            continue;
        }
        /* attributes */
        for (;;) {
            while (*p == ' ') p++;
            if (*p == '>' || (*p == '/' && p[1] == '>')) break;
            const char *an = p;
            while (*p && *p != '=' && *p != ' ' && *p != '>') p++;
            if (p == an || *p != '=' || p[1] != '"') return 0;
            p += 2;
            while (*p && *p != '"') {
                if (*p == '<') return 0;
                if (*p == '&' && !entity_ok(p)) return 0;
                p++;
            }
            if (*p != '"') return 0;
            p++;
        }
        if (depth == 0 && seen_root) return 0; /* a second root */
        if (*p == '/') {
            p += 2;
            if (depth == 0) seen_root = 1;
            continue;
        }
        if (depth == NELEM(stack)) return 0;
        stack[depth] = name;
        stack_len[depth] = nlen;
        depth++;
        seen_root = 1;
        p++;
    }
    return depth == 0 && seen_root;
}

/* Returns the text of the first element that starts with open up to the
 * following close, as a pointer range [*out_b, *out_e), or 0. */
static int section(const char *s, const char *open, const char *close,
                   const char **out_b, const char **out_e) {
    const char *b = strstr(s, open);
    if (!b) return 0;
    const char *e = strstr(b, close);
    if (!e) return 0;
    *out_b = b;
    *out_e = e;
    return 1;
}

/* Returns 1 when needle occurs within [b, e). */
static int contains_in(const char *b, const char *e, const char *needle) {
    const char *p = strstr(b, needle);
    return p && p < e;
}

/* Returns 1 when the <symbol> of that type and name contains needle. */
static int symbol_has(const char *q, const char *type, const char *name,
                      const char *needle) {
    char open[96];
    const char *b, *e;
    snprintf(open, sizeof open, "<symbol type=\"%s\" name=\"%s\"", type, name);
    return section(q, open, "</symbol>", &b, &e) && contains_in(b, e, needle);
}

static const char *const GRID_FIELDS[] = {
    "grid_code",     "community_code", "grid_type", "name",
    "households",    "persons",        "members",   "area_m2",
    "polsby_popper", "status",         "issues",
};

/* ------------------------------------------------------------------------ */

TEST(alias_known_fields) {
    CHECK_STR(gs__style_alias("grid_code"), "网格编码");
    CHECK_STR(gs__style_alias("community_code"), "社区编码");
    CHECK_STR(gs__style_alias("area_m2"), "面积(平方米)");
    CHECK_STR(gs__style_alias("polsby_popper"), "紧凑度(Polsby-Popper)");
    CHECK_STR(gs__style_alias("violations"), "违规网格数");
    CHECK_STR(gs__style_alias("in_grid_tolerant_s"),
              "网格内时长(含15米容差,秒)");
    CHECK_STR(gs__style_alias("coverage_pct"), "覆盖率(%)");
    CHECK_STR(gs__style_alias("care_reached"), "已到达关爱对象户数");
    CHECK_STR(gs__style_alias("building_id"), "楼栋编号");
    CHECK_STR(gs__style_alias("n_gap"), "覆盖缝隙问题数");
    CHECK_STR(gs__style_alias("n_orphan_household"), "无网格归属住户问题数");
}

/* Every output field name the product uses must have a Chinese alias. */
TEST(alias_covers_product_fields) {
    static const char *const names[] = {
        "grid_code",
        "community_code",
        "grid_type",
        "name",
        "households",
        "persons",
        "members",
        "area_m2",
        "polsby_popper",
        "status",
        "issues",
        "kind",
        "detail",
        "community",
        "grids",
        "violations",
        "n_undersize",
        "n_oversize",
        "n_persons_over",
        "n_bad_persons",
        "n_no_member",
        "n_multiple_members",
        "n_member_multiple_grids",
        "n_member_unknown_grid",
        "n_invalid_geometry",
        "n_multipart",
        "n_overlap",
        "n_gap",
        "n_community_mismatch",
        "n_outside_community",
        "n_duplicate_code",
        "n_bad_code",
        "n_orphan_household",
        "member_id",
        "date",
        "workday",
        "in_grid_s",
        "in_grid_tolerant_s",
        "tracked_s",
        "gap_s",
        "out_grid_s",
        "distance_m",
        "fixes",
        "bad_fixes",
        "daily_ok",
        "week",
        "workdays",
        "workdays_ok",
        "weekly_ok",
        "coverage_pct",
        "households_reached",
        "care_households",
        "care_reached",
        "compliant",
        "event_id",
        "category",
        "events",
        "gi_z",
        "gi_p",
        "gi_bin",
        "key",
        "value",
        "household_id",
        "care_type",
        "building_id",
    };
    for (size_t i = 0; i < NELEM(names); i++) {
        const char *a = gs__style_alias(names[i]);
        if (!a || !a[0] || !utf8_clean(a)) {
            printf("  no usable alias for %s\n", names[i]);
            CHECK(0);
        }
    }
}

TEST(alias_unknown_and_null) {
    CHECK(gs__style_alias(NULL) == NULL);
    CHECK(gs__style_alias("") == NULL);
    CHECK(gs__style_alias("no_such_field") == NULL);
    CHECK(gs__style_alias("GRID_CODE") == NULL); /* names are exact */
    CHECK(gs__style_alias("grid_code ") == NULL);
    CHECK(gs__style_alias("n_") == NULL);
}

TEST(grids_categorized_on_status) {
    char *q = gs__style_qml("grids", GS__GEOM_POLYGON, GRID_FIELDS,
                            NELEM(GRID_FIELDS));
    REQUIRE(q != NULL);
    CHECK(xml_well_formed(q));
    CHECK(utf8_clean(q));
    CHECK(contains(q, "<qgis version=\"3.22.16-Białowieża\""));
    CHECK(contains(q, "styleCategories=\"AllStyleCategories\""));
    CHECK(contains(q,
                   "<renderer-v2 type=\"categorizedSymbol\" "
                   "attr=\"status\""));
    CHECK(contains(q,
                   "<category render=\"true\" symbol=\"0\" value=\"ok\" "
                   "label=\"合规 ok\"/>"));
    CHECK(contains(q,
                   "<category render=\"true\" symbol=\"1\" "
                   "value=\"violation\" label=\"违规 violation\"/>"));
    CHECK_NEAR((double)count(q, "<category "), 2, 0);
    /* Symbol 0 (ok) is a semi-transparent green fill, 1 a red one. */
    CHECK(symbol_has(q, "fill", "0", "class=\"SimpleFill\""));
    CHECK(symbol_has(q, "fill", "0", "name=\"color\" value=\"51,160,44,102\""));
    CHECK(
        symbol_has(q, "fill", "0", "<prop k=\"color\" v=\"51,160,44,102\"/>"));
    CHECK(symbol_has(q, "fill", "1", "name=\"color\" value=\"227,26,28,102\""));
    CHECK(!contains(q, "type=\"marker\""));
    CHECK(!contains(q, "type=\"line\""));
    /* Labels with the grid code, enabled on the layer. */
    CHECK(contains(q, "labelsEnabled=\"1\""));
    CHECK(contains(q, "<labeling type=\"simple\">"));
    CHECK(contains(q, "fieldName=\"grid_code\" isExpression=\"0\""));
    CHECK(contains(q,
                   "<previewExpression>&quot;grid_code&quot;"
                   "</previewExpression>"));
    /* Left out on purpose: it makes QGIS refuse the whole style on a
     * layer of another geometry type. */
    CHECK(!contains(q, "layerGeometryType"));
    free(q);
}

/* Without its attribute a categorized renderer would draw nothing: the
 * layer falls back to a single symbol, and without grid_code, to no labels. */
TEST(grids_without_status_get_single_symbol) {
    static const char *const f[] = {"name", "households"};
    char *q = gs__style_qml("grids", GS__GEOM_POLYGON, f, NELEM(f));
    REQUIRE(q != NULL);
    CHECK(xml_well_formed(q));
    CHECK(contains(q, "<renderer-v2 type=\"singleSymbol\""));
    CHECK(!contains(q, "categorizedSymbol"));
    CHECK(!contains(q, "<labeling"));
    CHECK(contains(q, "labelsEnabled=\"0\""));
    free(q);
}

TEST(aliases_with_qgis_index_and_unknown_skipped) {
    static const char *const f[] = {"grid_code", "zzz_unknown", "status",
                                    "n_overlap"};
    char *q = gs__style_qml("grids", GS__GEOM_POLYGON, f, NELEM(f));
    REQUIRE(q != NULL);
    /* index = position + 1: QGIS shows the GeoPackage FID as field 0. */
    CHECK(contains(q,
                   "<alias field=\"grid_code\" index=\"1\" "
                   "name=\"网格编码\"/>"));
    CHECK(contains(q, "<alias field=\"status\" index=\"3\" name=\"状态\"/>"));
    CHECK(contains(q,
                   "<alias field=\"n_overlap\" index=\"4\" "
                   "name=\"网格重叠问题数\"/>"));
    CHECK(!contains(q, "zzz_unknown"));
    CHECK(!contains(q, "index=\"2\""));
    CHECK_NEAR((double)count(q, "<alias "), 3, 0);
    free(q);
}

TEST(xml_special_characters_escaped) {
    /* An unknown layer names its features by its first field, so the name
     * lands in the document: quoted as a QGIS identifier ("" for "), then
     * XML-escaped. */
    static const char *const f[] = {"a<b&\"c'd>e"};
    char *q = gs__style_qml("x&y", GS__GEOM_POINT, f, 1);
    REQUIRE(q != NULL);
    CHECK(xml_well_formed(q));
    CHECK(contains(q,
                   "<previewExpression>&quot;a&lt;b&amp;&quot;&quot;"
                   "c&apos;d&gt;e&quot;</previewExpression>"));
    CHECK(!contains(q, "a<b"));
    CHECK(!contains(q, "x&y"));
    free(q);
}

TEST(control_chars_and_bad_utf8_replaced) {
    static const char *const f[] = {
        "t\tn\nx\x01y\xff z\xe7\xbd\x91"
        "\xed\xa0\x80"};
    char *q = gs__style_qml("whatever", GS__GEOM_LINE, f, 1);
    REQUIRE(q != NULL);
    CHECK(xml_well_formed(q));
    CHECK(utf8_clean(q));
    /* Tab and LF survive as references; U+0001, a stray 0xFF and a
     * surrogate (ED A0 80) become U+FFFD; the valid 网 passes through. */
    CHECK(contains(q,
                   "&quot;t&#9;n&#10;x\xEF\xBF\xBDy\xEF\xBF\xBD z网"
                   "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD&quot;"));
    free(q);
}

TEST(unknown_layer_single_symbol_per_geometry) {
    static const char *const f[] = {"name", "foo"};
    static const struct {
        gs__geom_kind geom;
        const char *symbol;
        const char *cls;
    } cases[] = {
        {GS__GEOM_POINT, "<symbol type=\"marker\"", "\"SimpleMarker\""},
        {GS__GEOM_LINE, "<symbol type=\"line\"", "\"SimpleLine\""},
        {GS__GEOM_POLYGON, "<symbol type=\"fill\"", "\"SimpleFill\""},
    };
    for (size_t i = 0; i < NELEM(cases); i++) {
        char *q = gs__style_qml("some_new_layer", cases[i].geom, f, NELEM(f));
        REQUIRE(q != NULL);
        CHECK(xml_well_formed(q));
        CHECK(contains(q, "<renderer-v2 type=\"singleSymbol\""));
        CHECK_NEAR((double)count(q, "<symbol "), 1, 0);
        CHECK(contains(q, cases[i].symbol));
        CHECK(contains(q, cases[i].cls));
        CHECK(!contains(q, "<labeling"));
        CHECK(contains(q,
                       "<alias field=\"name\" index=\"1\" "
                       "name=\"名称\"/>"));
        free(q);
    }
}

TEST(attribute_table_has_no_renderer) {
    static const char *const f[] = {"key", "value", "grids", "n_gap"};
    char *q = gs__style_qml("summary", GS__GEOM_NONE, f, NELEM(f));
    REQUIRE(q != NULL);
    CHECK(xml_well_formed(q));
    CHECK(!contains(q, "renderer-v2"));
    CHECK(!contains(q, "<labeling"));
    CHECK(!contains(q, "<symbol"));
    CHECK(contains(q, "<alias field=\"key\" index=\"1\" name=\"键\"/>"));
    CHECK(contains(q,
                   "<alias field=\"n_gap\" index=\"4\" "
                   "name=\"覆盖缝隙问题数\"/>"));
    free(q);
    /* A known layer written as a table gets no renderer either. */
    q = gs__style_qml("grids", GS__GEOM_NONE, GRID_FIELDS, NELEM(GRID_FIELDS));
    REQUIRE(q != NULL);
    CHECK(!contains(q, "renderer-v2"));
    CHECK(!contains(q, "<labeling"));
    CHECK(contains(q, "labelsEnabled=\"0\""));
    free(q);
}

TEST(null_safety) {
    char *q = gs__style_qml(NULL, GS__GEOM_POLYGON, NULL, 0);
    REQUIRE(q != NULL);
    CHECK(xml_well_formed(q));
    CHECK(contains(q, "<renderer-v2 type=\"singleSymbol\""));
    CHECK(contains(q, "<aliases>\n  </aliases>"));
    CHECK(!contains(q, "previewExpression"));
    free(q);
    /* A NULL array with a count is no fields. */
    q = gs__style_qml("grids", GS__GEOM_POLYGON, NULL, 5);
    REQUIRE(q != NULL);
    CHECK(contains(q, "singleSymbol"));
    CHECK(!contains(q, "<alias "));
    free(q);
    /* NULL entries are skipped but keep their position. */
    static const char *const f[] = {NULL, "status", NULL, "grid_code"};
    q = gs__style_qml("grids", GS__GEOM_POLYGON, f, NELEM(f));
    REQUIRE(q != NULL);
    CHECK(xml_well_formed(q));
    CHECK(contains(q, "attr=\"status\""));
    CHECK(contains(q, "<alias field=\"status\" index=\"2\""));
    CHECK(contains(q, "<alias field=\"grid_code\" index=\"4\""));
    free(q);
    /* An out-of-range geometry kind is taken as a table. */
    q = gs__style_qml("grids", (gs__geom_kind)42, GRID_FIELDS,
                      NELEM(GRID_FIELDS));
    REQUIRE(q != NULL);
    CHECK(xml_well_formed(q));
    CHECK(!contains(q, "renderer-v2"));
    free(q);
}

TEST(issues_one_category_per_kind) {
    static const char *const kinds[] = {
        "undersize",
        "oversize",
        "persons_over",
        "bad_persons",
        "no_member",
        "multiple_members",
        "member_multiple_grids",
        "member_unknown_grid",
        "invalid_geometry",
        "far_coordinate",
        "multipart",
        "overlap",
        "gap",
        "community_mismatch",
        "outside_community",
        "duplicate_code",
        "bad_code",
        "orphan_household",
    };
    static const char *const f[] = {"grid_code", "kind", "detail"};
    char *q = gs__style_qml("issues", GS__GEOM_POLYGON, f, NELEM(f));
    REQUIRE(q != NULL);
    CHECK(xml_well_formed(q));
    CHECK(contains(q, "type=\"categorizedSymbol\" attr=\"kind\""));
    CHECK_NEAR((double)count(q, "<category "), NELEM(kinds), 0);
    for (size_t i = 0; i < NELEM(kinds); i++) {
        char want[96];
        snprintf(want, sizeof want, "value=\"%s\" label=\"", kinds[i]);
        if (!contains(q, want)) {
            printf("  no category for %s\n", kinds[i]);
            CHECK(0);
        }
    }
    /* Distinct colours: no two category symbols share a fill colour. */
    const char *p = q;
    char colors[NELEM(kinds)][24];
    size_t n = 0;
    while (n < NELEM(kinds) &&
           (p = strstr(p, "<prop k=\"color\" v=\"")) != NULL) {
        p += strlen("<prop k=\"color\" v=\"");
        size_t len = strcspn(p, "\"");
        REQUIRE(len < sizeof colors[0]);
        memcpy(colors[n], p, len);
        colors[n][len] = '\0';
        n++;
    }
    CHECK_NEAR((double)n, NELEM(kinds), 0);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) CHECK(strcmp(colors[i], colors[j]));
    free(q);
    /* Point issues get markers with the same categories. */
    q = gs__style_qml("issue_points", GS__GEOM_POINT, f, NELEM(f));
    REQUIRE(q != NULL);
    CHECK(contains(q, "type=\"categorizedSymbol\" attr=\"kind\""));
    CHECK_NEAR((double)count(q, "<symbol type=\"marker\""), NELEM(kinds), 0);
    CHECK(!contains(q, "type=\"fill\""));
    free(q);
}

TEST(patrol_and_hotspot_renderers) {
    static const char *const mw[] = {"member_id", "grid_code", "week",
                                     "compliant"};
    char *q = gs__style_qml("member_week", GS__GEOM_POLYGON, mw, NELEM(mw));
    REQUIRE(q != NULL);
    CHECK(contains(q, "attr=\"compliant\""));
    CHECK(contains(q, "value=\"1\" label=\"达标 compliant\""));
    CHECK(contains(q, "value=\"0\" label=\"未达标 not compliant\""));
    CHECK(contains(q, "<previewExpression>&quot;member_id&quot;"));
    free(q);

    static const char *const hx[] = {"events", "gi_z", "gi_p", "gi_bin"};
    static const char *const layers[] = {"hex_hotspots", "grid_events"};
    for (size_t i = 0; i < NELEM(layers); i++) {
        q = gs__style_qml(layers[i], GS__GEOM_POLYGON, hx, NELEM(hx));
        REQUIRE(q != NULL);
        CHECK(xml_well_formed(q));
        CHECK(contains(q, "attr=\"gi_bin\""));
        /* 7 bins and NULL ("not computed", QGIS's other values). */
        CHECK_NEAR((double)count(q, "<category "), 8, 0);
        /* -3 deep blue, 0 light grey, 3 deep red. */
        CHECK(contains(q, "symbol=\"0\" value=\"-3\""));
        CHECK(symbol_has(q, "fill", "0", "v=\"33,102,172,200\""));
        CHECK(contains(q, "symbol=\"3\" value=\"0\""));
        CHECK(symbol_has(q, "fill", "3", "v=\"224,224,224,200\""));
        CHECK(contains(q, "symbol=\"6\" value=\"3\""));
        CHECK(symbol_has(q, "fill", "6", "v=\"178,24,43,200\""));
        free(q);
    }

    static const char *const un[] = {"grid_code"};
    q = gs__style_qml("uncovered", GS__GEOM_POLYGON, un, 1);
    REQUIRE(q != NULL);
    CHECK(contains(q, "<prop k=\"style\" v=\"b_diagonal\"/>"));
    CHECK(contains(q, "<prop k=\"color\" v=\"255,127,0,255\"/>"));
    free(q);

    /* Tracks by weekday (an expression on the date), Monday first, in
     * time by their date; labelled with the member. */
    static const char *const tr[] = {"member_id", "date"};
    q = gs__style_qml("tracks", GS__GEOM_LINE, tr, NELEM(tr));
    REQUIRE(q != NULL);
    CHECK(contains(q,
                   "<renderer-v2 type=\"categorizedSymbol\" "
                   "attr=\"day_of_week(to_date(&quot;date&quot;))\""));
    CHECK(contains(q, "symbol=\"0\" value=\"1\" label=\"周一 Monday\""));
    CHECK(contains(q, "symbol=\"6\" value=\"0\" label=\"周日 Sunday\""));
    CHECK(contains(q, "\"SimpleLine\""));
    CHECK(contains(q, "fieldName=\"member_id\""));
    CHECK(!contains(q, "<temporal")); /* by name: no schema, no time */
    free(q);
    q = gs__style_qml_schema(gs__schema(GS__LS_PATROL_TRACKS), tr, NULL,
                             NELEM(tr));
    REQUIRE(q != NULL);
    CHECK(contains(q, "<temporal enabled=\"1\" mode=\"4\""));
    CHECK(contains(q,
                   "startExpression=\"to_datetime(to_date(&quot;date&quot;))"
                   "\""));
    CHECK(contains(q,
                   "endExpression=\"to_datetime(to_date(&quot;date&quot;))"
                   " + make_interval(days:=1)\""));
    free(q);

    /* GPS issues by kind, with the kinds' names. */
    static const char *const gi[] = {"member_id", "kind"};
    q = gs__style_qml("gps_issues", GS__GEOM_POINT, gi, NELEM(gi));
    REQUIRE(q != NULL);
    CHECK(contains(q, "\"SimpleMarker\""));
    CHECK(contains(q, "<renderer-v2 type=\"categorizedSymbol\" attr=\"kind\""));
    CHECK(contains(q, "value=\"jump\" label=\"跳点 GPS jump\""));
    CHECK(contains(q, "value=\"suspected_mock\""));
    CHECK(!contains(q, "value=\"oversize\"")); /* not validate's kinds */
    free(q);

    /* A ledger table: the layer's look, the week's alias, and time by
     * week (the Monday of the ISO week to the next). */
    static const char *const lw[] = {"week", "member_id", "compliant"};
    q = gs__style_qml_ledger(gs__schema(GS__LS_PATROL_MEMBER_WEEK),
                             GS__GEOM_POLYGON, lw, NELEM(lw));
    REQUIRE(q != NULL);
    CHECK(contains(q, "<alias field=\"week\" index=\"1\" name=\"周\"/>"));
    CHECK(contains(q,
                   "<alias field=\"member_id\" index=\"2\" "
                   "name=\"网格员编号\"/>"));
    CHECK(contains(q, "attr=\"compliant\""));
    CHECK(contains(q,
                   "make_interval(weeks:=to_int(right(&quot;week&quot;,"
                   "2))-1))) + make_interval(days:=7)\""));
    free(q);
}

/* Every known layer, for every geometry kind, gives a well-formed document. */
TEST(all_layers_well_formed) {
    static const char *const layers[] = {
        "grids",         "issues",       "issue_points",
        "summary",       "changes",      "member_day",
        "member_week",   "tracks",       "gaps",
        "gps_issues",    "uncovered",    "households_unreached",
        "grid_events",   "hex_hotspots", "clusters",
        "trouble_spots", "assessment",   "",
    };
    static const char *const f[] = {
        "grid_code", "status",    "kind",   "compliant", "daily_ok",
        "gi_bin",    "member_id", "events", "name",
    };
    for (size_t i = 0; i < NELEM(layers); i++)
        for (int g = GS__GEOM_NONE; g <= GS__GEOM_POLYGON; g++) {
            char *q = gs__style_qml(layers[i], (gs__geom_kind)g, f, NELEM(f));
            REQUIRE(q != NULL);
            if (!xml_well_formed(q) || !utf8_clean(q)) {
                printf("  bad document for %s, geom %d\n", layers[i], g);
                CHECK(0);
            }
            CHECK((g == GS__GEOM_NONE) == !contains(q, "renderer-v2"));
            free(q);
        }
}

/* The buffer has a hard maximum: an absurd field list gives NULL (the same
 * path as an allocation failure), without leaking. */
TEST(hard_maximum_gives_null) {
    size_t n = 100000; /* ~60 bytes of alias each: over 4 MiB */
    const char **f = malloc(n * sizeof *f);
    REQUIRE(f != NULL);
    for (size_t i = 0; i < n; i++) f[i] = "grid_code";
    CHECK(gs__style_qml("grids", GS__GEOM_POLYGON, f, n) == NULL);
    /* Below the maximum the buffer grows and all aliases are there. */
    char *q = gs__style_qml("grids", GS__GEOM_POLYGON, f, 20000);
    CHECK(q != NULL);
    if (q) {
        CHECK_NEAR((double)count(q, "<alias "), 20000, 0);
        CHECK(contains(q, "index=\"20000\""));
        CHECK(xml_well_formed(q));
    }
    free(q);
    free(f);
}

TEST(xml_checker_rejects_bad_documents) {
    /* The checker used above must be able to fail. */
    CHECK(xml_well_formed("<!DOCTYPE qgis x>\n<qgis a=\"1\"><b/></qgis>\n"));
    CHECK(!xml_well_formed("<!DOCTYPE qgis x>\n<qgis><b></qgis>\n"));
    CHECK(!xml_well_formed("<!DOCTYPE qgis x>\n<qgis a=\"<\"/>\n"));
    CHECK(!xml_well_formed("<!DOCTYPE qgis x>\n<qgis>a & b</qgis>\n"));
    CHECK(!xml_well_formed("<!DOCTYPE qgis x>\n<qgis/><qgis/>\n"));
    CHECK(!utf8_clean("a\xff"));
    CHECK(!utf8_clean("a\x01"));
}

/* A layer created from its schema takes renderer and aliases from it, and
 * only from it: a field the schema gives no alias gets none, even when
 * the name has one elsewhere. */
TEST(schema_style_and_aliases) {
    const gs__layer_schema *s = gs__schema(GS__LS_ASSESS_VISITS);
    const char *f[] = {"member_id", "verified", "week"};
    const char *a[] = {"网格员编号", "已核实", NULL};
    char *q = gs__style_qml_schema(s, f, a, 3);
    REQUIRE(q);
    CHECK(strstr(q, "type=\"categorizedSymbol\" attr=\"verified\""));
    CHECK(strstr(q, "<symbol type=\"marker\""));
    CHECK(strstr(q, "<alias field=\"verified\" index=\"2\" name=\"已核实\"/>"));
    CHECK(!strstr(q, "field=\"week\""));
    free(q);
    /* By name alone, a field only schema'd layers have is still known. */
    CHECK_STR(gs__style_alias("in_grid_tolerant_s"),
              "网格内时长(含15米容差,秒)");
    CHECK_STR(gs__style_alias("score_satisfaction"), "满意度得分");
    /* A layer written without its schema but of a schema'd name (hotspots'
     * grid_events, for now) gets the schema's renderer. */
    q = gs__style_qml("grid_events", GS__GEOM_POLYGON,
                      (const char *[]){"gi_bin"}, 1);
    CHECK(q && strstr(q, "attr=\"gi_bin\""));
    free(q);
}

int main(void) {
    RUN(alias_known_fields);
    RUN(alias_covers_product_fields);
    RUN(alias_unknown_and_null);
    RUN(grids_categorized_on_status);
    RUN(grids_without_status_get_single_symbol);
    RUN(aliases_with_qgis_index_and_unknown_skipped);
    RUN(xml_special_characters_escaped);
    RUN(control_chars_and_bad_utf8_replaced);
    RUN(unknown_layer_single_symbol_per_geometry);
    RUN(attribute_table_has_no_renderer);
    RUN(null_safety);
    RUN(issues_one_category_per_kind);
    RUN(patrol_and_hotspot_renderers);
    RUN(all_layers_well_formed);
    RUN(hard_maximum_gives_null);
    RUN(xml_checker_rejects_bad_documents);
    RUN(schema_style_and_aliases);
    return HARNESS_END();
}
