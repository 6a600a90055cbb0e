/*
 * palette.h - the colours, categories and symbol looks of the QGIS styles
 * (palette.c).
 *
 * A layer's style spec (gs__style_spec) says which field it is coloured by,
 * which categories that field has, in which colours and with which
 * bilingual legend labels, how its symbols look, and which field labels
 * it. The layer schemas (schema.c) and the styles of layers not yet in
 * them (style.c) both draw on the category lists and looks here, so that a
 * palette shared by several layers (the Gi* bins of grid_events and
 * hex_hotspots, say) is written once.
 */
#ifndef GS_PALETTE_H
#define GS_PALETTE_H

#include <stddef.h>

/** An sRGB colour. */
typedef struct gs__rgb {
    unsigned char r, g, b;
} gs__rgb;

/** One category of a categorized renderer. */
typedef struct gs__style_cat {
    const char *value; /* attribute value as QGIS compares it (as text) */
    const char *label; /* legend label, Chinese then English */
    gs__rgb color;
} gs__style_cat;

/** A list of categories. */
typedef struct gs__style_cats {
    const gs__style_cat *v;
    size_t n;
} gs__style_cats;

/* How a layer's symbols look, for each geometry kind. Widths and sizes are
 * millimetres, as strings so that no locale can touch them. */
typedef struct gs__style_look {
    unsigned char fill_alpha; /* polygons: fill opacity 0..255 */
    const char *brush;        /* polygons: Qt brush ("solid", "b_diagonal") */
    const char *width;        /* polygon outline / line width */
    const char *line_style;   /* lines: "solid", "dash" */
    const char *marker;       /* points: QGIS marker shape */
    const char *marker_size;  /* points */
} gs__style_look;

/* A layer's style: categorized on `attr` (when the layer has that field)
 * with `cats`, else a single symbol of `color`; labels on `label_field`
 * (NULL: none). With `attr_expr`, the categories are those of that QGIS
 * expression (on `attr`), e.g. the weekday of a date. */
typedef struct gs__style_spec {
    const char *attr; /* NULL: single symbol */
    const gs__style_cats *cats;
    const char *attr_expr; /* NULL: the field `attr` itself */
    gs__rgb color;         /* single symbol (and source symbol) colour */
    gs__style_look look;
    const char *label_field;
} gs__style_spec;

/* Looks: area layers that sit on each other are half transparent; issue
 * areas are hatched outlines, so the grid status colours under them stay
 * readable. */
#define GS__LOOK_AREA \
    { 102, "solid", "0.4", "solid", "circle", "2.4" }
#define GS__LOOK_ISSUE \
    { 255, "b_diagonal", "0.8", "solid", "diamond", "3" }
#define GS__LOOK_HOT \
    { 200, "solid", "0.2", "solid", "circle", "2.4" }
#define GS__LOOK_DEFAULT \
    { 90, "solid", "0.4", "solid", "circle", "2" }

/* The Chinese name of each issue kind of validate: the legend of the
 * issues layers and the aliases of the summary's n_<kind> counts. */
#define GS__ISSUE_ZH_undersize "户数不足"
#define GS__ISSUE_ZH_oversize "户数超标"
#define GS__ISSUE_ZH_persons_over "人数超标"
#define GS__ISSUE_ZH_bad_persons "人数无效"
#define GS__ISSUE_ZH_no_member "无网格员"
#define GS__ISSUE_ZH_multiple_members "多名网格员"
#define GS__ISSUE_ZH_member_multiple_grids "网格员兼多格"
#define GS__ISSUE_ZH_member_unknown_grid "网格员所属网格不存在"
#define GS__ISSUE_ZH_invalid_geometry "几何无效"
#define GS__ISSUE_ZH_far_coordinate "坐标远离其余要素"
#define GS__ISSUE_ZH_multipart "多部件网格"
#define GS__ISSUE_ZH_overlap "网格重叠"
#define GS__ISSUE_ZH_gap "覆盖缝隙"
#define GS__ISSUE_ZH_community_mismatch "社区编码不符"
#define GS__ISSUE_ZH_outside_community "超出社区边界"
#define GS__ISSUE_ZH_duplicate_code "网格编码重复"
#define GS__ISSUE_ZH_bad_code "网格编码无效"
#define GS__ISSUE_ZH_orphan_household "无网格归属住户"

/* Categories (palette.c). */
extern const gs__style_cats gs__cats_issue;     /* issue kinds */
extern const gs__style_cats gs__cats_status;    /* ok / violation */
extern const gs__style_cats gs__cats_change;    /* what a re-division did */
extern const gs__style_cats gs__cats_compliant; /* 1 / 0 */
extern const gs__style_cats gs__cats_tier;      /* the assessment's tiers */
extern const gs__style_cats gs__cats_verified;  /* a visit checked: 1 / 0 */
extern const gs__style_cats gs__cats_gi;        /* Gi* bins -3..3, none */
extern const gs__style_cats gs__cats_trouble;   /* trouble spot kinds */
extern const gs__style_cats gs__cats_ehsa;      /* emerging hot spots */
extern const gs__style_cats gs__cats_gps;       /* GPS issue kinds */
extern const gs__style_cats gs__cats_weekday;   /* QGIS day_of_week */

#endif /* GS_PALETTE_H */
