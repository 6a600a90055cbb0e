/*
 * style.c - QGIS styles (QML) for gridsmith's output layers.
 *
 * What. Analysts open gridsmith's GeoPackages in QGIS and expect them to look
 * right at once: grids green or red by status, issues coloured by kind, hot
 * spots from deep blue to deep red, legends readable in Chinese and English,
 * and Chinese field aliases (网格编码 for grid_code). QGIS reads such a style
 * from the GeoPackage's `layer_styles` table when it opens a layer; this file
 * builds the QML documents that go there. The writer (io) stores them.
 *
 * How data flows. A layer created from its schema (schema.c) brings its
 * style spec (renderer attribute, categories with colour and bilingual
 * legend label, look of the symbols, label field; palette.c) and its
 * fields' aliases: gs__style_qml_schema. A layer written without one is
 * looked up by name, first among the schemas, then in this file's table
 * of the layers not yet in them, and its aliases by field name in this
 * file's table, then among the schemas' fields. The symbol type follows
 * the geometry kind, so one spec serves points, lines and polygons. A
 * categorized renderer is used only when its attribute is among the
 * layer's fields; otherwise (and for unknown layers) the layer gets a
 * single symbol of its geometry kind. Attribute tables get no renderer. Then
 * come the aliases of the fields that have one, and a display expression for
 * the identify panel. Everything is appended to a growable buffer with a hard
 * maximum, whose failure is sticky: the first failed append turns the whole
 * result into NULL, so the writing code needs no error checks of its own.
 *
 * Why this way. QML is what QGIS itself writes and reads; SLD would lose the
 * aliases and labels. The document is a minimal subset of what QGIS 3.22
 * writes (QGIS fills in defaults for every element left out), with symbol
 * properties in both the current <Option> form and the older <prop> form, as
 * QGIS 3.22 itself writes them. <layerGeometryType> is deliberately left
 * out: QGIS refuses the whole style (aliases too) when that element names a
 * geometry type other than the layer's, which happens when a layer of mixed
 * geometry is opened as its point or polygon part. Aliases carry
 * index = position + 1 because QGIS's GeoPackage provider shows the FID
 * column as field 0; QGIS matches aliases by name, the index is informative.
 * Numbers are written from string constants or as integers, never with %f,
 * so a locale with a decimal comma cannot corrupt the document.
 */
#include "style.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The QGIS version written into the document: Debian 12's QGIS. */
#define QGIS_VERSION "3.22.16-Białowieża"

/* Hard maximum of a document. Real styles are a few tens of KiB; only an
 * absurd field list can come near this, and then we give up (NULL). */
#define STYLE_MAX_BYTES ((size_t)4 * 1024 * 1024)

/* ------------------------------------------------------------------------ */
/* Growable buffer with a hard maximum and sticky failure.                  */

typedef struct sbuf {
    char *p;
    size_t len;
    size_t cap;
    int failed;
} sbuf;

/* Appends n bytes. On allocation failure or when the document would exceed
 * STYLE_MAX_BYTES, marks the buffer failed; later appends do nothing. */
static void sb_add(sbuf *b, const char *s, size_t n) {
    if (b->failed) return;
    if (n >= STYLE_MAX_BYTES - b->len) {
        b->failed = 1;
        return;
    }
    size_t need = b->len + n + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        while (cap < need) cap *= 2;
        if (cap > STYLE_MAX_BYTES) cap = STYLE_MAX_BYTES;
        char *p = gs__realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static void sb_uint(sbuf *b, unsigned long v) {
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%lu", v);
    if (n > 0 && (size_t)n < sizeof tmp) sb_add(b, tmp, (size_t)n);
}

/* Returns the length (2..4) of the well-formed UTF-8 sequence at s that
 * encodes an XML 1.0 character, or 0 when it is malformed, overlong, a
 * surrogate, or U+FFFE/U+FFFF. s is NUL-terminated, so a truncated sequence
 * stops at the NUL (which is no continuation byte). */
static size_t utf8_len(const unsigned char *s) {
    unsigned c = s[0];
#define CONT(x) ((x) >= 0x80 && (x) <= 0xBF)
    if (c >= 0xC2 && c <= 0xDF) return CONT(s[1]) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        if (s[1] < lo || s[1] > hi || !CONT(s[2])) return 0;
        if (c == 0xEF && s[1] == 0xBF && (s[2] == 0xBE || s[2] == 0xBF))
            return 0; /* U+FFFE, U+FFFF: not XML characters */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        if (s[1] < lo || s[1] > hi || !CONT(s[2]) || !CONT(s[3])) return 0;
        return 4;
    }
    return 0;
#undef CONT
}

/* Appends the n bytes at s escaped for XML text and attribute values alike:
 * the five special characters as entities, tab/LF/CR as character references
 * (so attribute normalisation keeps them), other control characters and
 * invalid UTF-8 as U+FFFD. s must be NUL-terminated at or after s + n. */
static void sb_esc_n(sbuf *b, const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s, *end = u + n;
    while (u < end) {
        const unsigned char *run = u;
        /* Copy the longest run that needs no escaping in one go. */
        while (u < end && *u >= 0x20 && *u < 0x80 && *u != '&' && *u != '<' &&
               *u != '>' && *u != '"' && *u != '\'')
            u++;
        if (u > run) sb_add(b, (const char *)run, (size_t)(u - run));
        if (u == end) break;
        const char *rep;
        size_t len = 1;
        switch (*u) {
            case '&': rep = "&amp;"; break;
            case '<': rep = "&lt;"; break;
            case '>': rep = "&gt;"; break;
            case '"': rep = "&quot;"; break;
            case '\'': rep = "&apos;"; break;
            case '\t': rep = "&#9;"; break;
            case '\n': rep = "&#10;"; break;
            case '\r': rep = "&#13;"; break;
            default:
                len = *u >= 0x80 ? utf8_len(u) : 0;
                if (len > 0 && len <= (size_t)(end - u)) {
                    sb_add(b, (const char *)u, len);
                    u += len;
                    continue;
                }
                len = 1;
                rep = "\xEF\xBF\xBD"; /* U+FFFD REPLACEMENT CHARACTER */
                break;
        }
        sb_puts(b, rep);
        u += len;
    }
}

/* As sb_esc_n for a whole string; NULL appends nothing. */
static void sb_esc(sbuf *b, const char *s) {
    if (s) sb_esc_n(b, s, strlen(s));
}

/* ------------------------------------------------------------------------ */
/* Field aliases of the layers not created from their schema (partition,  */
/* hotspots): the schemas hold the others'.                                 */

typedef struct alias {
    const char *field;
    const char *zh;
} alias;

static const alias ALIASES[] = {
    /* validate / partition */
    {"grid_code", "网格编码"},
    {"community_code", "社区编码"},
    {"grid_type", "网格类型"},
    {"name", "名称"},
    {"households", "户数"},
    {"persons", "人数"},
    {"area_m2", "面积(平方米)"},
    {"polsby_popper", "紧凑度(Polsby-Popper)"},
    {"status", "状态"},
    {"kind", "类型"},
    {"detail", "说明"},
    {"community", "社区"},
    {"grids", "网格数"},
    /* partition */
    {"deviation", "与目标户数之差"},
    {"barrier_share", "边界沿道路河流比例"},
    {"feasible", "可划分"},
    {"units", "划分单元数"},
    {"median_polsby_popper", "紧凑度中位数"},
    {"mean_abs_deviation", "平均户数偏差"},
    {"reassigned", "调整户数"},
    {"changed", "变动网格数"},
    {"old_code", "原网格编码"},
    {"change", "调整方式"},
    {"households_before", "调整前户数"},
    {"households_after", "调整后户数"},
    {"moved", "迁出户数"},
    {"new_codes", "新网格编码"},
    {"repairs", "修复项"},
    {"straddling", "跨主干路网格数"},
    {"cut_footprints", "跨社区边界建筑数"},
    /* patrol */
    {"date", "日期"},
    {"week", "周"},
    {"compliant", "合规"},
    {"lon", "经度"},
    {"lat", "纬度"},
    {"accuracy_m", "定位精度(米)"},
    /* hotspots */
    {"event_id", "事件编号"},
    {"category", "类别"},
    {"events", "事件数"},
    {"reported_at", "上报时间"},
    {"resolved_at", "办结时间"},
    {"gi_z", "热点 z 值"},
    {"gi_p", "热点 p 值"},
    {"gi_bin", "热冷点分级"},
    {"cluster_id", "聚类编号"},
    {"top_category", "主要类别"},
    {"events_per_km2", "每平方公里事件数"},
    {"events_per_100hh", "每百户事件数"},
    {"open", "未办结"},
    {"overdue", "超期未办结"},
    {"resolved", "已办结"},
    {"self_resolved", "自行处置"},
    {"mean_resolve_h", "平均办结时长(小时)"},
    {"grid_mismatch", "网格编码与位置不符"},
    {"hex_id", "六边形编号"},
    {"q", "六边形轴坐标q"},
    {"r", "六边形轴坐标r"},
    {"class", "时空热点类型"},
    {"weeks", "周数"},
    {"hot_weeks", "热点周数"},
    {"cold_weeks", "冷点周数"},
    {"trend_z", "趋势 z 值"},
    {"trend_p", "趋势 p 值"},
    {"trend_tau", "趋势 tau"},
    {"core_events", "核心事件数"},
    {"category_events", "主要类别事件数"},
    {"first_at", "首次上报时间"},
    {"last_at", "最近上报时间"},
    {"first_date", "首次上报日期"},
    {"last_date", "最近上报日期"},
    {"deadline", "办结期限"},
    {"deadline_workdays", "期限(工作日)"},
    {"workdays_overdue", "超期工作日数"},
    {"level", "层级"},
    {"code", "编码"},
    {"top_categories", "主要类别"},
    {"hot_hexes", "热点六边形数"},
    {"resolution_rate", "办结率"},
    {"self_resolved_share", "自行处置占比"},
    {"prev_events", "上期事件数"},
    {"change", "环比变化"},
    {"change_pct", "环比变化(%)"},
    {"location_grid_code", "位置所在网格"},
    {"field", "字段"},
    {"reason", "原因"},
    {"line", "行号"},
    {"feature", "要素号"},
    /* assess */
    {"month", "月份"},
    {"score", "得分"},
    {"period_from", "考核期起"},
    {"period_to", "考核期止"},
    {"total", "总分"},
    {"note", "备注"},
    {"path", "文件"},
    /* inputs carried into outputs, summary tables */
    {"key", "键"},
    {"value", "值"},
};

const char *gs__style_alias(const char *field) {
    if (!field) return NULL;
    for (size_t i = 0; i < NELEM(ALIASES); i++)
        if (strcmp(ALIASES[i].field, field) == 0) return ALIASES[i].zh;
    return gs__schema_alias(field);
}

/* ------------------------------------------------------------------------ */
/* Layer specs.                                                              */

/* The style of a layer not created from its schema, by layer name. */
typedef struct layer_spec {
    const char *layer;
    gs__style_spec spec;
} layer_spec;

/* Layers whose writers do not take them from their schema yet
 * (partition's changes, hotspots' clusters); the others'
 * styles are in their schemas (schema.c). */
static const layer_spec SPECS[] = {
    /* partition */
    {"changes",
     {.attr = "change",
      .cats = &gs__cats_change,
      .color = {189, 189, 189},
      .look = GS__LOOK_AREA,
      .label_field = "old_code"}},
    /* hotspots */
    {"clusters", {.color = {106, 61, 154}, .look = GS__LOOK_AREA}},
};

/* Unknown layers: steel blue, a light translucent fill for areas. */
static const gs__style_spec DEFAULT_SPEC = {.color = {70, 130, 180},
                                            .look = GS__LOOK_DEFAULT};

/* Fields that name a feature best, in order of preference, for the display
 * expression (identify panel, feature form titles). */
static const char *const DISPLAY_FIELDS[] = {
    "member_id",      "grid_code", "event_id", "household_id",
    "community_code", "kind",      "key",      "name",
};

/* The style of layer `layer` written without its schema: its schema's
 * when a layer of that name has one, else this file's, else the default. */
static const gs__style_spec *find_spec(const char *layer) {
    const gs__layer_schema *s = gs__schema_styled(layer);
    if (s) return s->style;
    if (layer)
        for (size_t i = 0; i < NELEM(SPECS); i++)
            if (strcmp(SPECS[i].layer, layer) == 0) return &SPECS[i].spec;
    return &DEFAULT_SPEC;
}

/* Returns the position of field name in fields, or -1. NULL entries never
 * match. */
static long find_field(const char *const *fields, size_t nfields,
                       const char *name) {
    for (size_t i = 0; i < nfields; i++)
        if (fields[i] && strcmp(fields[i], name) == 0) return (long)i;
    return -1;
}

/* ------------------------------------------------------------------------ */
/* Writing symbols.                                                          */

typedef struct kv {
    const char *k;
    const char *v;
} kv;

/* Writes "r,g,b,a" into out (at least 20 bytes). */
static void fmt_color(char *out, size_t n, gs__rgb c, unsigned alpha) {
    snprintf(out, n, "%u,%u,%u,%u", (unsigned)c.r, (unsigned)c.g, (unsigned)c.b,
             alpha);
}

/* The outline of a fill or marker: the colour at 60 % brightness. */
static gs__rgb darker(gs__rgb c) {
    gs__rgb d = {(unsigned char)(c.r * 3 / 5), (unsigned char)(c.g * 3 / 5),
                 (unsigned char)(c.b * 3 / 5)};
    return d;
}

/* Writes one symbol layer with its properties in both forms QGIS 3.22
 * writes: the <Option> map it reads first, and the older <prop> list. */
static void put_symbol_layer(sbuf *b, const char *cls, const kv *props,
                             size_t n, const char *ind) {
    sb_puts(b, ind);
    sb_puts(b, "<layer class=\"");
    sb_esc(b, cls);
    sb_puts(b, "\" enabled=\"1\" locked=\"0\" pass=\"0\">\n");
    sb_puts(b, ind);
    sb_puts(b, "  <Option type=\"Map\">\n");
    for (size_t i = 0; i < n; i++) {
        sb_puts(b, ind);
        sb_puts(b, "    <Option type=\"QString\" name=\"");
        sb_esc(b, props[i].k);
        sb_puts(b, "\" value=\"");
        sb_esc(b, props[i].v);
        sb_puts(b, "\"/>\n");
    }
    sb_puts(b, ind);
    sb_puts(b, "  </Option>\n");
    for (size_t i = 0; i < n; i++) {
        sb_puts(b, ind);
        sb_puts(b, "  <prop k=\"");
        sb_esc(b, props[i].k);
        sb_puts(b, "\" v=\"");
        sb_esc(b, props[i].v);
        sb_puts(b, "\"/>\n");
    }
    sb_puts(b, ind);
    sb_puts(b, "</layer>\n");
}

/* Writes a <symbol> named name of the type of geom in colour c. geom must
 * not be GS__GEOM_NONE. */
static void put_symbol(sbuf *b, const char *elem, const char *name,
                       gs__geom_kind geom, gs__rgb c, const gs__style_look *lk,
                       const char *ind) {
    char fill[24], line[24];
    char ind2[32];
    snprintf(ind2, sizeof ind2, "%s  ", ind);
    sb_puts(b, ind);
    sb_puts(b, "<");
    sb_puts(b, elem);
    sb_puts(b, " type=\"");
    sb_puts(b, geom == GS__GEOM_POINT  ? "marker"
               : geom == GS__GEOM_LINE ? "line"
                                       : "fill");
    sb_puts(b, "\" name=\"");
    sb_esc(b, name);
    sb_puts(b, "\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\n");
    if (geom == GS__GEOM_POINT) {
        fmt_color(fill, sizeof fill, c, 255);
        fmt_color(line, sizeof line, darker(c), 255);
        const kv p[] = {
            {"name", lk->marker},
            {"color", fill},
            {"outline_color", line},
            {"outline_style", "solid"},
            {"outline_width", "0.2"},
            {"outline_width_unit", "MM"},
            {"size", lk->marker_size},
            {"size_unit", "MM"},
            {"angle", "0"},
            {"scale_method", "diameter"},
            {"joinstyle", "bevel"},
            {"horizontal_anchor_point", "1"},
            {"vertical_anchor_point", "1"},
        };
        put_symbol_layer(b, "SimpleMarker", p, NELEM(p), ind2);
    } else if (geom == GS__GEOM_LINE) {
        fmt_color(line, sizeof line, c, 255);
        const kv p[] = {
            {"line_color", line},      {"line_width", lk->width},
            {"line_width_unit", "MM"}, {"line_style", lk->line_style},
            {"capstyle", "round"},     {"joinstyle", "round"},
            {"offset", "0"},           {"offset_unit", "MM"},
        };
        put_symbol_layer(b, "SimpleLine", p, NELEM(p), ind2);
    } else {
        fmt_color(fill, sizeof fill, c, lk->fill_alpha);
        /* A hatch is drawn in the colour itself; a fill gets a darker rim. */
        int hatched = strcmp(lk->brush, "solid") != 0;
        fmt_color(line, sizeof line, hatched ? c : darker(c), 255);
        const kv p[] = {
            {"color", fill},
            {"style", lk->brush},
            {"outline_color", line},
            {"outline_style", "solid"},
            {"outline_width", lk->width},
            {"outline_width_unit", "MM"},
            {"joinstyle", "bevel"},
            {"offset", "0,0"},
            {"offset_unit", "MM"},
        };
        put_symbol_layer(b, "SimpleFill", p, NELEM(p), ind2);
    }
    sb_puts(b, ind);
    sb_puts(b, "</");
    sb_puts(b, elem);
    sb_puts(b, ">\n");
}

/* Writes the renderer: categorized on spec->attr when the layer has that
 * field, else a single symbol. */
static void put_renderer(sbuf *b, const gs__style_spec *spec,
                         gs__geom_kind geom, const char *const *fields,
                         size_t nfields) {
    const char *common =
        " symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\""
        " referencescale=\"-1\">\n";
    if (spec->attr && find_field(fields, nfields, spec->attr) >= 0) {
        sb_puts(b, "  <renderer-v2 type=\"categorizedSymbol\" attr=\"");
        sb_esc(b, spec->attr_expr ? spec->attr_expr : spec->attr);
        sb_puts(b, "\"");
        sb_puts(b, common);
        sb_puts(b, "    <categories>\n");
        for (size_t i = 0; i < spec->cats->n; i++) {
            sb_puts(b, "      <category render=\"true\" symbol=\"");
            sb_uint(b, (unsigned long)i);
            sb_puts(b, "\" value=\"");
            sb_esc(b, spec->cats->v[i].value);
            sb_puts(b, "\" label=\"");
            sb_esc(b, spec->cats->v[i].label);
            sb_puts(b, "\"/>\n");
        }
        sb_puts(b, "    </categories>\n    <symbols>\n");
        for (size_t i = 0; i < spec->cats->n; i++) {
            char name[24];
            snprintf(name, sizeof name, "%lu", (unsigned long)i);
            put_symbol(b, "symbol", name, geom, spec->cats->v[i].color,
                       &spec->look, "      ");
        }
        sb_puts(b, "    </symbols>\n");
        put_symbol(b, "source-symbol", "0", geom, spec->color, &spec->look,
                   "    ");
        sb_puts(b, "    <rotation/>\n    <sizescale/>\n");
    } else {
        sb_puts(b, "  <renderer-v2 type=\"singleSymbol\"");
        sb_puts(b, common);
        sb_puts(b, "    <symbols>\n");
        put_symbol(b, "symbol", "0", geom, spec->color, &spec->look, "      ");
        sb_puts(b, "    </symbols>\n    <rotation/>\n    <sizescale/>\n");
    }
    sb_puts(b, "  </renderer-v2>\n");
}

/* Writes simple labels on field: dark text with a white halo, placed over
 * the centroid (inside the polygon), shown from 1:50,000 inwards so that a
 * whole city's 2,500 grid codes do not clutter the map. */
static void put_labeling(sbuf *b, const char *field, gs__geom_kind geom) {
    sb_puts(b,
            "  <labeling type=\"simple\">\n"
            "    <settings calloutType=\"simple\">\n"
            "      <text-style fieldName=\"");
    sb_esc(b, field);
    sb_puts(
        b,
        "\" isExpression=\"0\" fontSize=\"8\" fontSizeUnit=\"Point\""
        " fontWeight=\"50\" fontItalic=\"0\" textColor=\"30,30,30,255\""
        " textOpacity=\"1\" namedStyle=\"Regular\" allowHtml=\"0\""
        " multilineHeight=\"1\">\n"
        "        <text-buffer bufferDraw=\"1\" bufferSize=\"0.8\""
        " bufferSizeUnits=\"MM\" bufferColor=\"255,255,255,255\""
        " bufferOpacity=\"0.8\" bufferNoFill=\"1\" bufferJoinStyle=\"128\""
        " bufferBlendMode=\"0\"/>\n"
        "      </text-style>\n"
        "      <text-format multilineAlign=\"3\" formatNumbers=\"0\""
        " plussign=\"0\" decimals=\"3\" wrapChar=\"\" autoWrapLength=\"0\"/>\n"
        "      <placement placement=\"");
    /* 1 = OverPoint (around the centroid) for areas and points; 2 = Line. */
    sb_puts(b, geom == GS__GEOM_LINE ? "2" : "1");
    sb_puts(b,
            "\" centroidInside=\"1\" centroidWhole=\"0\" fitInPolygonOnly=\"0\""
            " quadOffset=\"4\" dist=\"0\" distUnits=\"MM\" xOffset=\"0\""
            " yOffset=\"0\" offsetUnits=\"MM\" placementFlags=\"10\""
            " polygonPlacementFlags=\"2\" priority=\"5\"/>\n"
            "      <rendering drawLabels=\"1\" scaleVisibility=\"1\""
            " scaleMin=\"0\" scaleMax=\"50000\" obstacle=\"1\""
            " obstacleFactor=\"1\" obstacleType=\"1\" labelPerPart=\"0\""
            " mergeLines=\"0\" displayAll=\"0\" upsidedownLabels=\"0\""
            " limitNumLabels=\"0\" maxNumLabels=\"2000\" minFeatureSize=\"0\""
            " fontLimitPixelSize=\"0\" zIndex=\"0\"/>\n"
            "    </settings>\n"
            "  </labeling>\n");
}

/* Writes the display expression: the best naming field, quoted as a QGIS
 * expression identifier (a double quote doubled), then XML-escaped. */
static void put_display(sbuf *b, const char *const *fields, size_t nfields) {
    const char *best = NULL;
    for (size_t i = 0; i < NELEM(DISPLAY_FIELDS) && !best; i++)
        if (find_field(fields, nfields, DISPLAY_FIELDS[i]) >= 0)
            best = DISPLAY_FIELDS[i];
    for (size_t i = 0; i < nfields && !best; i++)
        if (fields[i] && fields[i][0]) best = fields[i];
    if (!best) return;
    sb_puts(b, "  <previewExpression>&quot;");
    for (const char *s = best;;) {
        const char *q = strchr(s, '"');
        sb_esc_n(b, s, q ? (size_t)(q - s) : strlen(s));
        if (!q) break;
        sb_puts(b, "&quot;&quot;");
        s = q + 1;
    }
    sb_puts(b, "&quot;</previewExpression>\n");
}

/* Writes the QGIS expression of the start (midnight) of the first day of
 * the text field `f` (t->kind: a date "2026-11-16", or an ISO week
 * "2026-W47", whose Monday is the Monday on or before 4 January plus the
 * weeks), then `tail`, as attribute text. A date-time, not a date: QGIS
 * compares a date with the Temporal Controller's date-times as text. */
static void put_day_expr(sbuf *b, const gs__temporal *t, const char *tail) {
    char q[80];
    snprintf(q, sizeof q, "\"%s\"", t->field);
    sb_puts(b, "to_datetime(");
    if (t->kind == GS__TIME_DAY) {
        sb_puts(b, "to_date(");
        sb_esc(b, q);
        sb_puts(b, ")");
    } else {
        sb_puts(b, "to_date(make_date(to_int(left(");
        sb_esc(b, q);
        sb_puts(b,
                ",4)),1,4) - make_interval(days:=(day_of_week(make_date("
                "to_int(left(");
        sb_esc(b, q);
        sb_puts(b, ",4)),1,4))+6)%7) + make_interval(weeks:=to_int(right(");
        sb_esc(b, q);
        sb_puts(b, ",2))-1))");
    }
    sb_puts(b, ")");
    sb_puts(b, tail);
}

/* Writes the temporal settings: each row lasts from the start of its day or
 * week to the start of the next (begin included, end excluded), computed
 * from the text field by expressions, so the Temporal Controller steps
 * through days or weeks. Nothing when the layer lacks the field. */
static void put_temporal(sbuf *b, const gs__temporal *t,
                         const char *const *fields, size_t nfields) {
    if (!t || !t->field || t->kind == GS__TIME_NONE ||
        find_field(fields, nfields, t->field) < 0)
        return;
    sb_puts(b,
            "  <temporal enabled=\"1\" mode=\"4\" limitMode=\"0\""
            " accumulate=\"0\" startField=\"\" endField=\"\""
            " durationField=\"\" durationUnit=\"min\" fixedDuration=\"0\""
            " startExpression=\"");
    put_day_expr(b, t, "");
    sb_puts(b, "\" endExpression=\"");
    put_day_expr(b, t,
                 t->kind == GS__TIME_DAY ? " + make_interval(days:=1)"
                                         : " + make_interval(days:=7)");
    sb_puts(b,
            "\">\n"
            "    <fixedRange>\n      <start></start>\n      <end></end>\n"
            "    </fixedRange>\n"
            "  </temporal>\n");
}

/* The document for `spec`; aliases[i] names field i, or, when NULL and
 * `fallback`, the field's alias by name (gs__style_alias); with `t`, the
 * temporal settings. */
static char *qml(const gs__style_spec *spec, gs__geom_kind geom,
                 const char *const *fields, const char *const *aliases,
                 size_t nfields, int fallback, const gs__temporal *t) {
    sbuf b = {NULL, 0, 0, 0};
    if (!fields) nfields = 0;
    if (geom != GS__GEOM_POINT && geom != GS__GEOM_LINE &&
        geom != GS__GEOM_POLYGON)
        geom = GS__GEOM_NONE;
    int labels = geom != GS__GEOM_NONE && spec->label_field &&
                 find_field(fields, nfields, spec->label_field) >= 0;

    sb_puts(&b,
            "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            "<qgis version=\"" QGIS_VERSION
            "\""
            " styleCategories=\"AllStyleCategories\""
            " hasScaleBasedVisibilityFlag=\"0\" minScale=\"100000000\""
            " maxScale=\"0\" readOnly=\"0\" labelsEnabled=\"");
    sb_puts(&b, labels ? "1" : "0");
    sb_puts(&b, "\">\n");
    if (geom != GS__GEOM_NONE) {
        put_renderer(&b, spec, geom, fields, nfields);
        if (labels) put_labeling(&b, spec->label_field, geom);
        sb_puts(&b,
                "  <blendMode>0</blendMode>\n"
                "  <featureBlendMode>0</featureBlendMode>\n"
                "  <layerOpacity>1</layerOpacity>\n");
    }
    put_temporal(&b, t, fields, nfields);
    sb_puts(&b, "  <aliases>\n");
    for (size_t i = 0; i < nfields; i++) {
        const char *zh = aliases && aliases[i] ? aliases[i]
                         : fallback            ? gs__style_alias(fields[i])
                                               : NULL;
        if (!zh) continue;
        sb_puts(&b, "    <alias field=\"");
        sb_esc(&b, fields[i]);
        sb_puts(&b, "\" index=\"");
        sb_uint(&b, (unsigned long)i + 1); /* field 0 is the FID column */
        sb_puts(&b, "\" name=\"");
        sb_esc(&b, zh);
        sb_puts(&b, "\"/>\n");
    }
    sb_puts(&b, "  </aliases>\n");
    put_display(&b, fields, nfields);
    sb_puts(&b, "</qgis>\n");

    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

char *gs__style_qml(const char *layer, gs__geom_kind geom,
                    const char *const *fields, size_t nfields) {
    return qml(find_spec(layer), geom, fields, NULL, nfields, 1, NULL);
}

char *gs__style_qml_aliased(const char *layer, gs__geom_kind geom,
                            const char *const *fields,
                            const char *const *aliases, size_t nfields) {
    return qml(find_spec(layer), geom, fields, aliases, nfields, 1, NULL);
}

char *gs__style_qml_schema(const gs__layer_schema *s, const char *const *fields,
                           const char *const *aliases, size_t nfields) {
    return qml(s->style ? s->style : &DEFAULT_SPEC, s->geom, fields, aliases,
               nfields, 0, &s->time);
}

char *gs__style_qml_ledger(const gs__layer_schema *s, gs__geom_kind geom,
                           const char *const *fields, size_t nfields) {
    const char **aliases = gs__calloc(nfields ? nfields : 1, sizeof *aliases);
    char *doc;
    if (!aliases) return NULL;
    for (size_t i = 0; i < nfields; i++) {
        int k = fields[i] ? gs__schema_field(s, fields[i]) : -1;
        if (fields[i] && !strcmp(fields[i], "week"))
            aliases[i] = "周";
        else if (k >= 0)
            aliases[i] = s->fields[k].alias;
    }
    /* The ledger's own tables (runs) are in time as they are. */
    doc = qml(s->style ? s->style : &DEFAULT_SPEC, geom, fields, aliases,
              nfields, 0, s->ledger_table ? &s->ledger_time : &s->time);
    free(aliases);
    return doc;
}
