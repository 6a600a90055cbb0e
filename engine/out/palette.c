/*
 * palette.c - the category lists of the QGIS styles (palette.h).
 *
 * Colours are ColorBrewer-like palettes chosen to stay distinguishable;
 * legend labels are Chinese then English. Each list is exported with its
 * length as a gs__style_cats, which the layer schemas (schema.c) and the
 * styles of layers not yet in them (style.c) point at.
 */
#include "palette.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define CATS(a) \
    { a, NELEM(a) }

/* Issue kinds in the order of their legend: sizing, roster, geometry,
 * coverage, codes, households. Colours: Paired/Set palettes. */
#define ISSUE_KINDS(X)                    \
    X(undersize, 166, 206, 227)           \
    X(oversize, 31, 120, 180)             \
    X(persons_over, 106, 61, 154)         \
    X(bad_persons, 202, 178, 214)         \
    X(no_member, 227, 26, 28)             \
    X(multiple_members, 251, 154, 153)    \
    X(member_multiple_grids, 255, 127, 0) \
    X(member_unknown_grid, 253, 191, 111) \
    X(invalid_geometry, 64, 64, 64)       \
    X(far_coordinate, 0, 0, 0)            \
    X(multipart, 153, 153, 153)           \
    X(overlap, 240, 2, 127)               \
    X(gap, 255, 230, 0)                   \
    X(community_mismatch, 51, 160, 44)    \
    X(outside_community, 178, 223, 138)   \
    X(duplicate_code, 177, 89, 40)        \
    X(bad_code, 102, 194, 165)            \
    X(orphan_household, 23, 190, 207)

#define ISSUE_CAT(k, r, g, b) {#k, GS__ISSUE_ZH_##k " " #k, {r, g, b}},
static const gs__style_cat ISSUE_CATS[] = {ISSUE_KINDS(ISSUE_CAT)};

static const gs__style_cat STATUS_CATS[] = {
    {"ok", "合规 ok", {51, 160, 44}},
    {"violation", "违规 violation", {227, 26, 28}},
};

/* What a re-division did to an old grid. */
static const gs__style_cat CHANGE_CATS[] = {
    {"unchanged", "未变 unchanged", {189, 189, 189}},
    {"split", "拆分 split", {227, 26, 28}},
    {"merged", "合并 merged", {31, 120, 180}},
    {"shifted", "调界 shifted", {255, 127, 0}},
    {"redesigned", "重划 redesigned", {106, 61, 154}},
};

/* Integer flags written as 1/0; QGIS compares the value's text form. */
static const gs__style_cat COMPLIANT_CATS[] = {
    {"1", "达标 compliant", {51, 160, 44}},
    {"0", "未达标 not compliant", {227, 26, 28}},
};

/* The assessment's tiers, green to red; and a visit checked or not. */
static const gs__style_cat TIER_CATS[] = {
    {"优秀", "优秀 excellent", {26, 150, 65}},
    {"良好", "良好 good", {166, 217, 106}},
    {"合格", "合格 pass", {253, 174, 97}},
    {"不合格", "不合格 fail", {215, 25, 28}},
};

static const gs__style_cat VERIFIED_CATS[] = {
    {"1", "已核实 verified", {51, 160, 44}},
    {"0", "未核实 not verified", {227, 26, 28}},
};

/* Gi* bins as in common GIS practice: ±3 = 99 %, ±2 = 95 %, ±1 = 90 %.
 * Colours: ColorBrewer RdBu, the middle class light grey. */
static const gs__style_cat GI_CATS[] = {
    {"-3", "冷点 99% cold spot 99%", {33, 102, 172}},
    {"-2", "冷点 95% cold spot 95%", {103, 169, 207}},
    {"-1", "冷点 90% cold spot 90%", {209, 229, 240}},
    {"0", "不显著 not significant", {224, 224, 224}},
    {"1", "热点 90% hot spot 90%", {253, 219, 199}},
    {"2", "热点 95% hot spot 95%", {239, 138, 98}},
    {"3", "热点 99% hot spot 99%", {178, 24, 43}},
    /* QGIS's "all other values": NULL, where Gi* was not computed (too few
     * units, no events), so those units still show with their counts. */
    {"", "未计算 not computed", {255, 255, 255}},
};

static const gs__style_cat TROUBLE_CATS[] = {
    {"repeat_location", "重复发生点 repeat location", {227, 26, 28}},
    {"overdue", "超期未办结 overdue", {255, 127, 0}},
    {"rising_grid", "事件上升网格 rising grid", {106, 61, 154}},
};

/* Emerging hot spot classes (stats.h), hot reds and cold blues, fading
 * from new to historical; no pattern and too little history light grey. */
static const gs__style_cat EHSA_CATS[] = {
    {"new_hot_spot", "新增热点 new hot spot", {254, 224, 144}},
    {"consecutive_hot_spot", "连续热点 consecutive hot spot", {253, 174, 97}},
    {"intensifying_hot_spot", "加剧热点 intensifying hot spot", {165, 0, 38}},
    {"persistent_hot_spot", "持续热点 persistent hot spot", {215, 48, 39}},
    {"diminishing_hot_spot", "减弱热点 diminishing hot spot", {244, 109, 67}},
    {"sporadic_hot_spot", "零星热点 sporadic hot spot", {254, 200, 200}},
    {"oscillating_hot_spot", "振荡热点 oscillating hot spot", {214, 96, 77}},
    {"historical_hot_spot", "历史热点 historical hot spot", {230, 160, 140}},
    {"new_cold_spot", "新增冷点 new cold spot", {224, 243, 248}},
    {"consecutive_cold_spot",
     "连续冷点 consecutive cold spot",
     {171, 217, 233}},
    {"intensifying_cold_spot",
     "加剧冷点 intensifying cold spot",
     {49, 54, 149}},
    {"persistent_cold_spot", "持续冷点 persistent cold spot", {69, 117, 180}},
    {"diminishing_cold_spot",
     "减弱冷点 diminishing cold spot",
     {116, 173, 209}},
    {"sporadic_cold_spot", "零星冷点 sporadic cold spot", {200, 215, 240}},
    {"oscillating_cold_spot", "振荡冷点 oscillating cold spot", {67, 147, 195}},
    {"historical_cold_spot", "历史冷点 historical cold spot", {150, 170, 200}},
    {"no_pattern", "无明显模式 no pattern", {224, 224, 224}},
    {"insufficient_history", "历史不足 insufficient history", {245, 245, 245}},
};

/* GPS problems of patrol (patrol.c's gps_names). */
static const gs__style_cat GPS_CATS[] = {
    {"jump", "跳点 GPS jump", {228, 26, 28}},
    {"duplicate", "重复定位 duplicate fix", {152, 78, 163}},
    {"out_of_order", "时间倒序 out of order", {255, 127, 0}},
    {"low_accuracy", "精度不足 low accuracy", {166, 86, 40}},
    {"suspected_mock", "疑似虚拟定位 suspected mock location", {0, 0, 0}},
};

/* Days of the week as QGIS's day_of_week() numbers them (0 = Sunday), in
 * the order of the legend: Monday first; workdays in strong colours. */
static const gs__style_cat WEEKDAY_CATS[] = {
    {"1", "周一 Monday", {31, 120, 180}},
    {"2", "周二 Tuesday", {51, 160, 44}},
    {"3", "周三 Wednesday", {227, 26, 28}},
    {"4", "周四 Thursday", {255, 127, 0}},
    {"5", "周五 Friday", {106, 61, 154}},
    {"6", "周六 Saturday", {166, 206, 227}},
    {"0", "周日 Sunday", {251, 154, 153}},
};

const gs__style_cats gs__cats_issue = CATS(ISSUE_CATS);
const gs__style_cats gs__cats_status = CATS(STATUS_CATS);
const gs__style_cats gs__cats_change = CATS(CHANGE_CATS);
const gs__style_cats gs__cats_compliant = CATS(COMPLIANT_CATS);
const gs__style_cats gs__cats_tier = CATS(TIER_CATS);
const gs__style_cats gs__cats_verified = CATS(VERIFIED_CATS);
const gs__style_cats gs__cats_gi = CATS(GI_CATS);
const gs__style_cats gs__cats_trouble = CATS(TROUBLE_CATS);
const gs__style_cats gs__cats_ehsa = CATS(EHSA_CATS);
const gs__style_cats gs__cats_gps = CATS(GPS_CATS);
const gs__style_cats gs__cats_weekday = CATS(WEEKDAY_CATS);
