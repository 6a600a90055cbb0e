/*
 * schema.h - every output layer's contract, defined once (schema.c).
 *
 * A layer schema says what a layer is: the name it is written under, its
 * geometry kind, its fields in order with their types and Chinese aliases,
 * its QGIS style, and, for the layers the weekly job keeps, the ledger
 * table it becomes. The writer creates layers from it
 * (gs__out_layer_schema), the styles take their renderer and aliases from
 * it (style.c), the ledger creates its tables from it (ledger.c) and the
 * ledger's readers find their fields by its names (ledger_read.c), so a
 * field renamed or added here changes all of them at once.
 *
 * Writers address fields by the per-layer enums below, which are the
 * fields' positions: OGR_F_SetFieldString(f, GS__MW_WEEK, week). A layer
 * may have a dynamic middle (grid_events' cat_1..cat_N, one per event
 * category present): its fixed fields are a head, fields[0..dyn_at), and
 * a tail, fields[dyn_at..nfields), and the middle is given when the layer
 * is created; gs__out_index maps a tail field to its written position.
 *
 * Names are "command.layer" ("patrol.summary"), because a layer name such
 * as summary, bad_rows or grids is written by more than one command with
 * other fields.
 */
#ifndef GS_SCHEMA_H
#define GS_SCHEMA_H

#include <stddef.h>

#include "palette.h"

/** The geometry kind of an output layer, which picks the symbol type. */
typedef enum gs__geom_kind {
    GS__GEOM_NONE = 0, /* attribute table */
    GS__GEOM_POINT,
    GS__GEOM_LINE,
    GS__GEOM_POLYGON
} gs__geom_kind;

/** The type of an output field: text, 64-bit integer or double. */
typedef enum gs__ftype { GS__F_STR, GS__F_INT, GS__F_REAL } gs__ftype;

/** One field of a layer. */
typedef struct gs__field {
    const char *name; /* ASCII snake_case, as written */
    gs__ftype type;
    const char *alias; /* Chinese alias in the QGIS style, or NULL */
} gs__field;

/** How a layer's rows sit in time, for QGIS's Temporal Controller: by a
 *  text field holding a day ("2026-11-16") or an ISO week ("2026-W47");
 *  the style turns it into a date range with a QGIS expression. */
typedef enum gs__time_kind {
    GS__TIME_NONE = 0,
    GS__TIME_DAY,
    GS__TIME_WEEK
} gs__time_kind;

typedef struct gs__temporal {
    const char *field; /* NULL: not in time */
    gs__time_kind kind;
} gs__temporal;

/** One output layer's contract. */
typedef struct gs__layer_schema {
    const char *name;  /* "command.layer", unique */
    const char *layer; /* the layer's name in the output */
    gs__geom_kind geom;
    const gs__field *fields; /* the fixed fields, in order */
    size_t nfields;
    /* The dynamic middle, when dyn_prefix is not NULL: fields named
     * dyn_prefix + anything, of type dyn_type, between fields[dyn_at - 1]
     * and fields[dyn_at]. */
    const char *dyn_prefix;
    size_t dyn_at;
    gs__ftype dyn_type;
    const gs__style_spec *style; /* NULL: the default look */
    /* The ledger table the layer becomes (a leading `week` and the
     * layer's fields, less a `week` of its own), or NULL. */
    const char *ledger_table;
    /* Where the layer's rows sit in time (its QGIS style's temporal
     * settings), and where its ledger table's rows do; the ledger table
     * takes the layer's style otherwise, with a week alias. */
    gs__temporal time;
    gs__temporal ledger_time;
} gs__layer_schema;

/** The layers in the table. */
typedef enum gs__layer_id {
    GS__LS_RUN_METADATA = 0, /* every output's run metadata */
    GS__LS_VALIDATE_GRIDS,
    GS__LS_VALIDATE_ISSUES,
    GS__LS_VALIDATE_ISSUE_POINTS,
    GS__LS_VALIDATE_SUMMARY,
    GS__LS_PATROL_MEMBER_DAY,
    GS__LS_PATROL_MEMBER_WEEK,
    GS__LS_PATROL_TRACKS,
    GS__LS_PATROL_GAPS,
    GS__LS_PATROL_GPS_ISSUES,
    GS__LS_PATROL_BAD_ROWS,
    GS__LS_PATROL_UNCOVERED,
    GS__LS_PATROL_HOUSEHOLDS_UNREACHED,
    GS__LS_PATROL_SUMMARY,
    GS__LS_HOTSPOTS_GRID_EVENTS,
    GS__LS_ASSESS_ASSESSMENT,
    GS__LS_ASSESS_VISITS,
    GS__LS_ASSESS_CARE_OVERDUE,
    GS__LS_ASSESS_BAD_ROWS,
    GS__LS_LEDGER_RUNS,
    GS__LS_COUNT
} gs__layer_id;

/* ---- the fields of each layer, by position -------------------------- */

enum { GS__RM_KEY, GS__RM_VALUE, GS__RM_N }; /* run_metadata */

/* validate.grids (-> ledger grid_status) */
enum {
    GS__VG_GRID_CODE,
    GS__VG_COMMUNITY_CODE,
    GS__VG_GRID_TYPE,
    GS__VG_NAME,
    GS__VG_HOUSEHOLDS,
    GS__VG_PERSONS,
    GS__VG_MEMBERS,
    GS__VG_AREA_M2,
    GS__VG_POLSBY_POPPER,
    GS__VG_STATUS,
    GS__VG_ISSUES,
    GS__VG_N
};

/* validate.issues and validate.issue_points */
enum { GS__VI_KIND, GS__VI_GRID_CODE, GS__VI_DETAIL, GS__VI_N };

/* validate.summary: the counts, then n_<kind> per issue kind in the order
 * of validate's gs__kind (GS__VS_N_KIND + kind). */
enum {
    GS__VS_COMMUNITY_CODE,
    GS__VS_NAME,
    GS__VS_GRIDS,
    GS__VS_HOUSEHOLDS,
    GS__VS_PERSONS,
    GS__VS_VIOLATIONS,
    GS__VS_N_KIND,
    GS__VS_N = GS__VS_N_KIND + 19
};

/* patrol.member_day (-> ledger member_day) */
enum {
    GS__MD_MEMBER_ID,
    GS__MD_GRID_CODE,
    GS__MD_DATE,
    GS__MD_WORKDAY,
    GS__MD_IN_GRID_S,
    GS__MD_IN_GRID_TOLERANT_S,
    GS__MD_TRACKED_S,
    GS__MD_GAP_S,
    GS__MD_OUT_GRID_S,
    GS__MD_DISTANCE_M,
    GS__MD_FIXES,
    GS__MD_BAD_FIXES,
    GS__MD_DAILY_OK,
    GS__MD_NOTE,
    GS__MD_N
};

/* patrol.member_week (-> ledger member_week) */
enum {
    GS__MW_MEMBER_ID,
    GS__MW_GRID_CODE,
    GS__MW_WEEK,
    GS__MW_IN_GRID_TOLERANT_S,
    GS__MW_WORKDAYS,
    GS__MW_WORKDAYS_OK,
    GS__MW_WEEKLY_OK,
    GS__MW_COVERAGE_PCT,
    GS__MW_HOUSEHOLDS,
    GS__MW_HOUSEHOLDS_REACHED,
    GS__MW_CARE_HOUSEHOLDS,
    GS__MW_CARE_REACHED,
    GS__MW_COMPLIANT,
    GS__MW_NOTE,
    GS__MW_N
};

/* patrol.tracks */
enum {
    GS__PT_MEMBER_ID,
    GS__PT_GRID_CODE,
    GS__PT_DATE,
    GS__PT_TRACKED_S,
    GS__PT_DISTANCE_M,
    GS__PT_N
};

/* patrol.gaps */
enum {
    GS__PG_MEMBER_ID,
    GS__PG_DATE,
    GS__PG_START_TIME,
    GS__PG_END_TIME,
    GS__PG_DURATION_S,
    GS__PG_DISTANCE_M,
    GS__PG_N
};

/* patrol.gps_issues */
enum {
    GS__PI_MEMBER_ID,
    GS__PI_KIND,
    GS__PI_TIME,
    GS__PI_DATE,
    GS__PI_LINE,
    GS__PI_DETAIL,
    GS__PI_N
};

/* patrol.bad_rows */
enum { GS__PB_LINE, GS__PB_MEMBER_ID, GS__PB_FIELD, GS__PB_REASON, GS__PB_N };

/* patrol.uncovered */
enum {
    GS__PU_MEMBER_ID,
    GS__PU_GRID_CODE,
    GS__PU_WEEK,
    GS__PU_AREA_M2,
    GS__PU_N
};

/* patrol.households_unreached */
enum {
    GS__PH_MEMBER_ID,
    GS__PH_GRID_CODE,
    GS__PH_WEEK,
    GS__PH_HOUSEHOLD_ID,
    GS__PH_BUILDING_ID,
    GS__PH_CARE_TYPE,
    GS__PH_N
};

/* patrol.summary */
enum {
    GS__PS_COMMUNITY_CODE,
    GS__PS_WEEK,
    GS__PS_MEMBERS,
    GS__PS_COMPLIANT,
    GS__PS_MEAN_HOURS,
    GS__PS_MEAN_COVERAGE_PCT,
    GS__PS_WORKDAYS_MISSED,
    GS__PS_N
};

/* hotspots.grid_events (-> ledger grid_events): a head up to
 * GS__GE_OVERDUE, the categories' cat_* fields, then the tail. */
enum {
    GS__GE_GRID_CODE,
    GS__GE_COMMUNITY_CODE,
    GS__GE_NAME,
    GS__GE_TOP_CATEGORY,
    GS__GE_EVENTS,
    GS__GE_RESOLVED,
    GS__GE_RESOLUTION_RATE,
    GS__GE_SELF_RESOLVED,
    GS__GE_SELF_RESOLVED_SHARE,
    GS__GE_MEAN_RESOLVE_H,
    GS__GE_OPEN,
    GS__GE_OVERDUE,
    GS__GE_EVENTS_PER_KM2, /* the tail's first: the middle goes before */
    GS__GE_HOUSEHOLDS,
    GS__GE_EVENTS_PER_100HH,
    GS__GE_GRID_MISMATCH,
    GS__GE_GI_Z,
    GS__GE_GI_P,
    GS__GE_GI_BIN,
    GS__GE_N
};

/* assess.assessment: score_<item> per item in the order of
 * gs__assess_items (GS__AA_SCORE + item). */
enum {
    GS__AA_MONTH,
    GS__AA_PERIOD_FROM,
    GS__AA_PERIOD_TO,
    GS__AA_MEMBER_ID,
    GS__AA_GRID_CODE,
    GS__AA_WORKDAYS,
    GS__AA_WORKDAYS_OK,
    GS__AA_WEEKS,
    GS__AA_WEEKS_OK,
    GS__AA_SCORE,
    GS__AA_SCORE_BASIC = GS__AA_SCORE + 7,
    GS__AA_SCORE_RESIDENTS,
    GS__AA_TOTAL,
    GS__AA_TIER,
    GS__AA_CARE_TARGETS,
    GS__AA_CARE_WINDOWS_DUE,
    GS__AA_CARE_WINDOWS_MET,
    GS__AA_VISITS_RECORDED,
    GS__AA_VISITS_VERIFIED,
    GS__AA_DEFAULTS_USED,
    GS__AA_NOTE,
    GS__AA_N
};

/* assess.visits */
enum {
    GS__AV_MEMBER_ID,
    GS__AV_HOUSEHOLD_ID,
    GS__AV_KIND,
    GS__AV_TIME,
    GS__AV_DATE,
    GS__AV_CARE_TYPE,
    GS__AV_VERIFIED,
    GS__AV_FIX_DISTANCE_M,
    GS__AV_FIX_TIME,
    GS__AV_FIX_OFFSET_S,
    GS__AV_DETAIL,
    GS__AV_LINE,
    GS__AV_N
};

/* assess.care_overdue */
enum {
    GS__AO_MEMBER_ID,
    GS__AO_GRID_CODE,
    GS__AO_HOUSEHOLD_ID,
    GS__AO_CARE_TYPE,
    GS__AO_INTERVAL_DAYS,
    GS__AO_WINDOWS_DUE,
    GS__AO_WINDOWS_MET,
    GS__AO_VISITS_VERIFIED,
    GS__AO_LAST_VISIT,
    GS__AO_FIRST_MISSED_FROM,
    GS__AO_FIRST_MISSED_TO,
    GS__AO_N
};

/* assess.bad_rows */
enum {
    GS__AB_SOURCE,
    GS__AB_PATH,
    GS__AB_LINE,
    GS__AB_MEMBER_ID,
    GS__AB_FIELD,
    GS__AB_REASON,
    GS__AB_N
};

/* ledger.runs: one row per recorded run */
enum {
    GS__LR_WEEK,
    GS__LR_STARTED_AT,
    GS__LR_FINISHED_AT,
    GS__LR_ENGINE_VERSION,
    GS__LR_COMMAND_LINE,
    GS__LR_RUN,
    GS__LR_N
};

/* ---- looking schemas up ------------------------------------------------ */

/* The schema of layer `id` (< GS__LS_COUNT); never NULL. */
const gs__layer_schema *gs__schema(gs__layer_id id);

/* The schema named `name` ("patrol.member_week"), or NULL. */
const gs__layer_schema *gs__schema_find(const char *name);

/* The first schema written under layer name `layer` that has a style of
 * its own, or NULL: the style of a layer not created from its schema
 * (style.c). */
const gs__layer_schema *gs__schema_styled(const char *layer);

/* The schema whose layer becomes ledger table `table`, or NULL. */
const gs__layer_schema *gs__schema_ledger(const char *table);

/* The alias of the first field named `field` in any schema that has one,
 * or NULL: the fallback of gs__style_alias for a field by name alone. */
const char *gs__schema_alias(const char *field);

/* The position of the fixed field `name` in s->fields, or -1. */
int gs__schema_field(const gs__layer_schema *s, const char *name);

/* 1 when `name` is a field of s's dynamic middle. */
int gs__schema_is_dynamic(const gs__layer_schema *s, const char *name);

#endif /* GS_SCHEMA_H */
