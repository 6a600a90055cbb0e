/*
 * schema.c - the table of output layer schemas (schema.h).
 *
 * One entry per layer: its fields with their aliases (arrays indexed by
 * the field enums of schema.h, so a field and its position cannot drift
 * apart), its style, and the ledger table it becomes. The aliases are
 * what an analyst reads in QGIS's attribute table and forms; a field with
 * none shows its name. Layers of commands not yet moved here (partition,
 * most of hotspots) keep their fields at their writers and their styles
 * and aliases in style.c's tables.
 */
#include "schema.h"

#include <string.h>

#include "gridsmith/gridsmith.h"

#define NF(a) (sizeof(a) / sizeof((a)[0]))

/* The n_<kind> count of validate's summary, with the kind's name. */
#define N_KIND(k) \
    { "n_" #k, GS__F_INT, GS__ISSUE_ZH_##k "问题数" }

/* ---- fields ------------------------------------------------------------ */

static const gs__field validate_grids[GS__VG_N] = {
    [GS__VG_GRID_CODE] = {"grid_code", GS__F_STR, "网格编码"},
    [GS__VG_COMMUNITY_CODE] = {"community_code", GS__F_STR, "社区编码"},
    [GS__VG_GRID_TYPE] = {"grid_type", GS__F_STR, "网格类型"},
    [GS__VG_NAME] = {"name", GS__F_STR, "名称"},
    [GS__VG_HOUSEHOLDS] = {"households", GS__F_INT, "户数"},
    [GS__VG_PERSONS] = {"persons", GS__F_INT, "人数"},
    [GS__VG_MEMBERS] = {"members", GS__F_INT, "网格员数"},
    [GS__VG_AREA_M2] = {"area_m2", GS__F_REAL, "面积(平方米)"},
    [GS__VG_POLSBY_POPPER] = {"polsby_popper", GS__F_REAL,
                              "紧凑度(Polsby-Popper)"},
    [GS__VG_STATUS] = {"status", GS__F_STR, "状态"},
    [GS__VG_ISSUES] = {"issues", GS__F_STR, "问题"},
};

static const gs__field validate_issues[GS__VI_N] = {
    [GS__VI_KIND] = {"kind", GS__F_STR, "类型"},
    [GS__VI_GRID_CODE] = {"grid_code", GS__F_STR, "网格编码"},
    [GS__VI_DETAIL] = {"detail", GS__F_STR, "说明"},
};

static const gs__field validate_summary[GS__VS_N] = {
    [GS__VS_COMMUNITY_CODE] = {"community_code", GS__F_STR, "社区编码"},
    [GS__VS_NAME] = {"name", GS__F_STR, "名称"},
    [GS__VS_GRIDS] = {"grids", GS__F_INT, "网格数"},
    [GS__VS_HOUSEHOLDS] = {"households", GS__F_INT, "户数"},
    [GS__VS_PERSONS] = {"persons", GS__F_INT, "人数"},
    [GS__VS_VIOLATIONS] = {"violations", GS__F_INT, "违规网格数"},
    [GS__VS_N_KIND + 0] = N_KIND(bad_code),
    [GS__VS_N_KIND + 1] = N_KIND(bad_persons),
    [GS__VS_N_KIND + 2] = N_KIND(community_mismatch),
    [GS__VS_N_KIND + 3] = N_KIND(duplicate_code),
    [GS__VS_N_KIND + 4] = N_KIND(far_coordinate),
    [GS__VS_N_KIND + 5] = N_KIND(gap),
    [GS__VS_N_KIND + 6] = N_KIND(invalid_geometry),
    [GS__VS_N_KIND + 7] = N_KIND(member_multiple_grids),
    [GS__VS_N_KIND + 8] = N_KIND(member_unknown_grid),
    [GS__VS_N_KIND + 9] = N_KIND(multipart),
    [GS__VS_N_KIND + 10] = N_KIND(multiple_members),
    [GS__VS_N_KIND + 11] = N_KIND(no_member),
    [GS__VS_N_KIND + 12] = N_KIND(orphan_household),
    [GS__VS_N_KIND + 13] = N_KIND(outside_community),
    [GS__VS_N_KIND + 14] = N_KIND(overlap),
    [GS__VS_N_KIND + 15] = N_KIND(oversize),
    [GS__VS_N_KIND + 16] = N_KIND(persons_over),
    [GS__VS_N_KIND + 17] = N_KIND(undersize),
    [GS__VS_N_KIND + 18] = {"n_skipped_feature", GS__F_INT, NULL},
};

static const gs__field patrol_member_day[GS__MD_N] = {
    [GS__MD_MEMBER_ID] = {"member_id", GS__F_STR, "网格员编号"},
    [GS__MD_GRID_CODE] = {"grid_code", GS__F_STR, "网格编码"},
    [GS__MD_DATE] = {"date", GS__F_STR, "日期"},
    [GS__MD_WORKDAY] = {"workday", GS__F_INT, "工作日"},
    [GS__MD_IN_GRID_S] = {"in_grid_s", GS__F_REAL, "网格内时长(秒)"},
    [GS__MD_IN_GRID_TOLERANT_S] = {"in_grid_tolerant_s", GS__F_REAL,
                                   "网格内时长(含15米容差,秒)"},
    [GS__MD_TRACKED_S] = {"tracked_s", GS__F_REAL, "有效轨迹时长(秒)"},
    [GS__MD_GAP_S] = {"gap_s", GS__F_REAL, "断点时长(秒)"},
    [GS__MD_OUT_GRID_S] = {"out_grid_s", GS__F_REAL, "网格外时长(秒)"},
    [GS__MD_DISTANCE_M] = {"distance_m", GS__F_REAL, "里程(米)"},
    [GS__MD_FIXES] = {"fixes", GS__F_INT, "定位点数"},
    [GS__MD_BAD_FIXES] = {"bad_fixes", GS__F_INT, "异常点数"},
    [GS__MD_DAILY_OK] = {"daily_ok", GS__F_INT, "当日达标"},
    [GS__MD_NOTE] = {"note", GS__F_STR, "备注"},
};

static const gs__field patrol_member_week[GS__MW_N] = {
    [GS__MW_MEMBER_ID] = {"member_id", GS__F_STR, "网格员编号"},
    [GS__MW_GRID_CODE] = {"grid_code", GS__F_STR, "网格编码"},
    [GS__MW_WEEK] = {"week", GS__F_STR, "周"},
    [GS__MW_IN_GRID_TOLERANT_S] = {"in_grid_tolerant_s", GS__F_REAL,
                                   "网格内时长(含15米容差,秒)"},
    [GS__MW_WORKDAYS] = {"workdays", GS__F_INT, "工作日数"},
    [GS__MW_WORKDAYS_OK] = {"workdays_ok", GS__F_INT, "达标工作日数"},
    [GS__MW_WEEKLY_OK] = {"weekly_ok", GS__F_INT, "本周达标"},
    [GS__MW_COVERAGE_PCT] = {"coverage_pct", GS__F_REAL, "覆盖率(%)"},
    [GS__MW_HOUSEHOLDS] = {"households", GS__F_INT, "户数"},
    [GS__MW_HOUSEHOLDS_REACHED] = {"households_reached", GS__F_INT,
                                   "已走访户数"},
    [GS__MW_CARE_HOUSEHOLDS] = {"care_households", GS__F_INT, "关爱对象户数"},
    [GS__MW_CARE_REACHED] = {"care_reached", GS__F_INT, "已到达关爱对象户数"},
    [GS__MW_COMPLIANT] = {"compliant", GS__F_INT, "合规"},
    [GS__MW_NOTE] = {"note", GS__F_STR, "备注"},
};

static const gs__field patrol_tracks[GS__PT_N] = {
    [GS__PT_MEMBER_ID] = {"member_id", GS__F_STR, "网格员编号"},
    [GS__PT_GRID_CODE] = {"grid_code", GS__F_STR, "网格编码"},
    [GS__PT_DATE] = {"date", GS__F_STR, "日期"},
    [GS__PT_TRACKED_S] = {"tracked_s", GS__F_REAL, "有效轨迹时长(秒)"},
    [GS__PT_DISTANCE_M] = {"distance_m", GS__F_REAL, "里程(米)"},
};

static const gs__field patrol_gaps[GS__PG_N] = {
    [GS__PG_MEMBER_ID] = {"member_id", GS__F_STR, "网格员编号"},
    [GS__PG_DATE] = {"date", GS__F_STR, "日期"},
    [GS__PG_START_TIME] = {"start_time", GS__F_STR, NULL},
    [GS__PG_END_TIME] = {"end_time", GS__F_STR, NULL},
    [GS__PG_DURATION_S] = {"duration_s", GS__F_REAL, NULL},
    [GS__PG_DISTANCE_M] = {"distance_m", GS__F_REAL, "里程(米)"},
};

static const gs__field patrol_gps_issues[GS__PI_N] = {
    [GS__PI_MEMBER_ID] = {"member_id", GS__F_STR, "网格员编号"},
    [GS__PI_KIND] = {"kind", GS__F_STR, "类型"},
    [GS__PI_TIME] = {"time", GS__F_STR, "时间"},
    [GS__PI_DATE] = {"date", GS__F_STR, "日期"},
    [GS__PI_LINE] = {"line", GS__F_INT, "行号"},
    [GS__PI_DETAIL] = {"detail", GS__F_STR, "说明"},
};

static const gs__field patrol_bad_rows[GS__PB_N] = {
    [GS__PB_LINE] = {"line", GS__F_INT, "行号"},
    [GS__PB_MEMBER_ID] = {"member_id", GS__F_STR, "网格员编号"},
    [GS__PB_FIELD] = {"field", GS__F_STR, "字段"},
    [GS__PB_REASON] = {"reason", GS__F_STR, "原因"},
};

static const gs__field patrol_uncovered[GS__PU_N] = {
    [GS__PU_MEMBER_ID] = {"member_id", GS__F_STR, "网格员编号"},
    [GS__PU_GRID_CODE] = {"grid_code", GS__F_STR, "网格编码"},
    [GS__PU_WEEK] = {"week", GS__F_STR, "周"},
    [GS__PU_AREA_M2] = {"area_m2", GS__F_REAL, "面积(平方米)"},
};

static const gs__field patrol_unreached[GS__PH_N] = {
    [GS__PH_MEMBER_ID] = {"member_id", GS__F_STR, "网格员编号"},
    [GS__PH_GRID_CODE] = {"grid_code", GS__F_STR, "网格编码"},
    [GS__PH_WEEK] = {"week", GS__F_STR, "周"},
    [GS__PH_HOUSEHOLD_ID] = {"household_id", GS__F_STR, "户编号"},
    [GS__PH_BUILDING_ID] = {"building_id", GS__F_STR, "楼栋编号"},
    [GS__PH_CARE_TYPE] = {"care_type", GS__F_STR, "关爱类型"},
};

static const gs__field patrol_summary[GS__PS_N] = {
    [GS__PS_COMMUNITY_CODE] = {"community_code", GS__F_STR, "社区编码"},
    [GS__PS_WEEK] = {"week", GS__F_STR, "周"},
    [GS__PS_MEMBERS] = {"members", GS__F_INT, "网格员数"},
    [GS__PS_COMPLIANT] = {"compliant", GS__F_INT, "合规"},
    [GS__PS_MEAN_HOURS] = {"mean_hours", GS__F_REAL, NULL},
    [GS__PS_MEAN_COVERAGE_PCT] = {"mean_coverage_pct", GS__F_REAL, NULL},
    [GS__PS_WORKDAYS_MISSED] = {"workdays_missed", GS__F_INT, NULL},
};

static const gs__field assess_assessment[GS__AA_N] = {
    [GS__AA_MONTH] = {"month", GS__F_STR, "月份"},
    [GS__AA_PERIOD_FROM] = {"period_from", GS__F_STR, "考核期起"},
    [GS__AA_PERIOD_TO] = {"period_to", GS__F_STR, "考核期止"},
    [GS__AA_MEMBER_ID] = {"member_id", GS__F_STR, "网格员编号"},
    [GS__AA_GRID_CODE] = {"grid_code", GS__F_STR, "网格编码"},
    [GS__AA_WORKDAYS] = {"workdays", GS__F_INT, "工作日数"},
    [GS__AA_WORKDAYS_OK] = {"workdays_ok", GS__F_INT, "达标工作日数"},
    [GS__AA_WEEKS] = {"weeks", GS__F_INT, "周数"},
    [GS__AA_WEEKS_OK] = {"weeks_ok", GS__F_INT, "达标周数"},
    [GS__AA_SCORE +
        GS_ASSESS_PATROL] = {"score_patrol", GS__F_REAL, "巡查得分"},
    [GS__AA_SCORE + GS_ASSESS_INFORMATION] = {"score_information", GS__F_REAL,
                                              "信息采集得分"},
    [GS__AA_SCORE +
        GS_ASSESS_VISITS] = {"score_visits", GS__F_REAL, "走访服务得分"},
    [GS__AA_SCORE +
        GS_ASSESS_EVENTS] = {"score_events", GS__F_REAL, "事件上报得分"},
    [GS__AA_SCORE +
        GS_ASSESS_SPECIAL] = {"score_special", GS__F_REAL, "专项工作得分"},
    [GS__AA_SCORE +
        GS_ASSESS_AWARENESS] = {"score_awareness", GS__F_REAL, "知晓率得分"},
    [GS__AA_SCORE + GS_ASSESS_SATISFACTION] = {"score_satisfaction", GS__F_REAL,
                                               "满意度得分"},
    [GS__AA_SCORE_BASIC] = {"score_basic", GS__F_REAL, "基础工作得分"},
    [GS__AA_SCORE_RESIDENTS] = {"score_residents", GS__F_REAL, "群众评价得分"},
    [GS__AA_TOTAL] = {"total", GS__F_REAL, "总分"},
    [GS__AA_TIER] = {"tier", GS__F_STR, "等级"},
    [GS__AA_CARE_TARGETS] = {"care_targets", GS__F_INT, "关爱对象数"},
    [GS__AA_CARE_WINDOWS_DUE] = {"care_windows_due", GS__F_INT, "应走访周期数"},
    [GS__AA_CARE_WINDOWS_MET] = {"care_windows_met", GS__F_INT, "已走访周期数"},
    [GS__AA_VISITS_RECORDED] = {"visits_recorded", GS__F_INT, "登记走访次数"},
    [GS__AA_VISITS_VERIFIED] = {"visits_verified", GS__F_INT, "核实走访次数"},
    [GS__AA_DEFAULTS_USED] = {"defaults_used", GS__F_STR, "采用默认值"},
    [GS__AA_NOTE] = {"note", GS__F_STR, "备注"},
};

static const gs__field assess_visits[GS__AV_N] = {
    [GS__AV_MEMBER_ID] = {"member_id", GS__F_STR, "网格员编号"},
    [GS__AV_HOUSEHOLD_ID] = {"household_id", GS__F_STR, "户编号"},
    [GS__AV_KIND] = {"kind", GS__F_STR, "类型"},
    [GS__AV_TIME] = {"time", GS__F_STR, "时间"},
    [GS__AV_DATE] = {"date", GS__F_STR, "日期"},
    [GS__AV_CARE_TYPE] = {"care_type", GS__F_STR, "关爱类型"},
    [GS__AV_VERIFIED] = {"verified", GS__F_INT, "已核实"},
    [GS__AV_FIX_DISTANCE_M] = {"fix_distance_m", GS__F_REAL,
                               "最近定位点距离(米)"},
    [GS__AV_FIX_TIME] = {"fix_time", GS__F_STR, "最近定位点时间"},
    [GS__AV_FIX_OFFSET_S] = {"fix_offset_s", GS__F_REAL, "定位点时差(秒)"},
    [GS__AV_DETAIL] = {"detail", GS__F_STR, "说明"},
    [GS__AV_LINE] = {"line", GS__F_INT, "行号"},
};

static const gs__field assess_care_overdue[GS__AO_N] = {
    [GS__AO_MEMBER_ID] = {"member_id", GS__F_STR, "网格员编号"},
    [GS__AO_GRID_CODE] = {"grid_code", GS__F_STR, "网格编码"},
    [GS__AO_HOUSEHOLD_ID] = {"household_id", GS__F_STR, "户编号"},
    [GS__AO_CARE_TYPE] = {"care_type", GS__F_STR, "关爱类型"},
    [GS__AO_INTERVAL_DAYS] = {"interval_days", GS__F_INT, "走访周期(天)"},
    [GS__AO_WINDOWS_DUE] = {"windows_due", GS__F_INT, "应走访周期数"},
    [GS__AO_WINDOWS_MET] = {"windows_met", GS__F_INT, "已走访周期数"},
    [GS__AO_VISITS_VERIFIED] = {"visits_verified", GS__F_INT, "核实走访次数"},
    [GS__AO_LAST_VISIT] = {"last_visit", GS__F_STR, "最近核实走访时间"},
    [GS__AO_FIRST_MISSED_FROM] = {"first_missed_from", GS__F_STR,
                                  "首个漏访周期起"},
    [GS__AO_FIRST_MISSED_TO] = {"first_missed_to", GS__F_STR, "首个漏访周期止"},
};

static const gs__field assess_bad_rows[GS__AB_N] = {
    [GS__AB_SOURCE] = {"source", GS__F_STR, "来源"},
    [GS__AB_PATH] = {"path", GS__F_STR, "文件"},
    [GS__AB_LINE] = {"line", GS__F_INT, "行号"},
    [GS__AB_MEMBER_ID] = {"member_id", GS__F_STR, "网格员编号"},
    [GS__AB_FIELD] = {"field", GS__F_STR, "字段"},
    [GS__AB_REASON] = {"reason", GS__F_STR, "原因"},
};

static const gs__field hotspots_grid_events[GS__GE_N] = {
    [GS__GE_GRID_CODE] = {"grid_code", GS__F_STR, "网格编码"},
    [GS__GE_COMMUNITY_CODE] = {"community_code", GS__F_STR, "社区编码"},
    [GS__GE_NAME] = {"name", GS__F_STR, "名称"},
    [GS__GE_TOP_CATEGORY] = {"top_category", GS__F_STR, "主要类别"},
    [GS__GE_EVENTS] = {"events", GS__F_INT, "事件数"},
    [GS__GE_RESOLVED] = {"resolved", GS__F_INT, "已办结"},
    [GS__GE_RESOLUTION_RATE] = {"resolution_rate", GS__F_REAL, "办结率"},
    [GS__GE_SELF_RESOLVED] = {"self_resolved", GS__F_INT, "自行处置"},
    [GS__GE_SELF_RESOLVED_SHARE] = {"self_resolved_share", GS__F_REAL,
                                    "自行处置占比"},
    [GS__GE_MEAN_RESOLVE_H] = {"mean_resolve_h", GS__F_REAL,
                               "平均办结时长(小时)"},
    [GS__GE_OPEN] = {"open", GS__F_INT, "未办结"},
    [GS__GE_OVERDUE] = {"overdue", GS__F_INT, "超期未办结"},
    [GS__GE_EVENTS_PER_KM2] = {"events_per_km2", GS__F_REAL,
                               "每平方公里事件数"},
    [GS__GE_HOUSEHOLDS] = {"households", GS__F_INT, "户数"},
    [GS__GE_EVENTS_PER_100HH] = {"events_per_100hh", GS__F_REAL,
                                 "每百户事件数"},
    [GS__GE_GRID_MISMATCH] = {"grid_mismatch", GS__F_INT, "网格编码与位置不符"},
    [GS__GE_GI_Z] = {"gi_z", GS__F_REAL, "热点 z 值"},
    [GS__GE_GI_P] = {"gi_p", GS__F_REAL, "热点 p 值"},
    [GS__GE_GI_BIN] = {"gi_bin", GS__F_INT, "热冷点分级"},
};

static const gs__field ledger_runs[GS__LR_N] = {
    [GS__LR_WEEK] = {"week", GS__F_STR, "周"},
    [GS__LR_STARTED_AT] = {"started_at", GS__F_STR, "开始时间"},
    [GS__LR_FINISHED_AT] = {"finished_at", GS__F_STR, "结束时间"},
    [GS__LR_ENGINE_VERSION] = {"engine_version", GS__F_STR, "引擎版本"},
    [GS__LR_COMMAND_LINE] = {"command_line", GS__F_STR, "命令行"},
    [GS__LR_RUN] = {"run", GS__F_STR, "运行参数"},
};

static const gs__field run_metadata[GS__RM_N] = {
    [GS__RM_KEY] = {"key", GS__F_STR, "键"},
    [GS__RM_VALUE] = {"value", GS__F_STR, "值"},
};

/* ---- styles ------------------------------------------------------------ */

static const gs__style_spec style_grids = {.attr = "status",
                                           .cats = &gs__cats_status,
                                           .color = {51, 160, 44},
                                           .look = GS__LOOK_AREA,
                                           .label_field = "grid_code"};
static const gs__style_spec style_issues = {.attr = "kind",
                                            .cats = &gs__cats_issue,
                                            .color = {227, 26, 28},
                                            .look = GS__LOOK_ISSUE};
static const gs__style_spec style_member_week = {.attr = "compliant",
                                                 .cats = &gs__cats_compliant,
                                                 .color = {51, 160, 44},
                                                 .look = GS__LOOK_AREA,
                                                 .label_field = "member_id"};
static const gs__style_spec style_member_day = {.attr = "daily_ok",
                                                .cats = &gs__cats_compliant,
                                                .color = {51, 160, 44},
                                                .look = GS__LOOK_AREA};
static const gs__style_spec style_gps_issues = {
    .attr = "kind",
    .cats = &gs__cats_gps,
    .color = {228, 26, 28},
    .look = {160, "solid", "0.4", "solid", "triangle", "2.6"}};
static const gs__style_spec style_unreached = {
    .color = {217, 95, 2},
    .look = {160, "solid", "0.4", "solid", "circle", "2"}};
/* Tracks by the day of the week, so that a member's days can be told
 * apart where they cross; labelled with the member. */
static const gs__style_spec style_tracks = {
    .attr = "date",
    .attr_expr = "day_of_week(to_date(\"date\"))",
    .cats = &gs__cats_weekday,
    .color = {31, 120, 180},
    .look = {160, "solid", "0.6", "solid", "circle", "1.6"},
    .label_field = "member_id"};
static const gs__style_spec style_gaps = {
    .color = {120, 120, 120},
    .look = {160, "solid", "0.4", "dash", "circle", "1.6"}};
static const gs__style_spec style_uncovered = {
    .color = {255, 127, 0},
    .look = {255, "b_diagonal", "0.4", "solid", "circle", "2"}};
static const gs__style_spec style_grid_events = {.attr = "gi_bin",
                                                 .cats = &gs__cats_gi,
                                                 .color = {224, 224, 224},
                                                 .look = GS__LOOK_HOT,
                                                 .label_field = "events"};
static const gs__style_spec style_assessment = {.attr = "tier",
                                                .cats = &gs__cats_tier,
                                                .color = {253, 174, 97},
                                                .look = GS__LOOK_AREA,
                                                .label_field = "member_id"};
static const gs__style_spec style_visits = {
    .attr = "verified",
    .cats = &gs__cats_verified,
    .color = {51, 160, 44},
    .look = {200, "solid", "0.4", "solid", "circle", "2.4"}};
static const gs__style_spec style_care_overdue = {
    .color = {215, 25, 28},
    .look = {200, "solid", "0.4", "solid", "diamond", "3"}};

/* ---- the table ----------------------------------------------------------- */

#define FIELDS(a) .fields = a, .nfields = NF(a)
#define BY_DAY(f) \
    { f, GS__TIME_DAY }
#define BY_WEEK(f) \
    { f, GS__TIME_WEEK }

static const gs__layer_schema SCHEMAS[GS__LS_COUNT] = {
    [GS__LS_RUN_METADATA] = {"out.run_metadata", "run_metadata", GS__GEOM_NONE,
                             FIELDS(run_metadata)},
    [GS__LS_VALIDATE_GRIDS] = {"validate.grids", "grids", GS__GEOM_POLYGON,
                               FIELDS(validate_grids), .style = &style_grids,
                               .ledger_table = "grid_status",
                               .ledger_time = BY_WEEK("week")},
    [GS__LS_VALIDATE_ISSUES] = {"validate.issues", "issues", GS__GEOM_POLYGON,
                                FIELDS(validate_issues),
                                .style = &style_issues},
    [GS__LS_VALIDATE_ISSUE_POINTS] = {"validate.issue_points", "issue_points",
                                      GS__GEOM_POINT, FIELDS(validate_issues),
                                      .style = &style_issues},
    [GS__LS_VALIDATE_SUMMARY] = {"validate.summary", "summary", GS__GEOM_NONE,
                                 FIELDS(validate_summary)},
    [GS__LS_PATROL_MEMBER_DAY] = {"patrol.member_day", "member_day",
                                  GS__GEOM_NONE, FIELDS(patrol_member_day),
                                  .style = &style_member_day,
                                  .ledger_table = "member_day",
                                  .time = BY_DAY("date"),
                                  .ledger_time = BY_DAY("date")},
    [GS__LS_PATROL_MEMBER_WEEK] = {"patrol.member_week", "member_week",
                                   GS__GEOM_POLYGON, FIELDS(patrol_member_week),
                                   .style = &style_member_week,
                                   .ledger_table = "member_week",
                                   .time = BY_WEEK("week"),
                                   .ledger_time = BY_WEEK("week")},
    [GS__LS_PATROL_TRACKS] = {"patrol.tracks", "tracks", GS__GEOM_LINE,
                              FIELDS(patrol_tracks), .style = &style_tracks,
                              .time = BY_DAY("date")},
    [GS__LS_PATROL_GAPS] = {"patrol.gaps", "gaps", GS__GEOM_LINE,
                            FIELDS(patrol_gaps), .style = &style_gaps,
                            .time = BY_DAY("date")},
    [GS__LS_PATROL_GPS_ISSUES] = {"patrol.gps_issues", "gps_issues",
                                  GS__GEOM_POINT, FIELDS(patrol_gps_issues),
                                  .style = &style_gps_issues,
                                  .time = BY_DAY("date")},
    [GS__LS_PATROL_BAD_ROWS] = {"patrol.bad_rows", "bad_rows", GS__GEOM_NONE,
                                FIELDS(patrol_bad_rows)},
    [GS__LS_PATROL_UNCOVERED] = {"patrol.uncovered", "uncovered",
                                 GS__GEOM_POLYGON, FIELDS(patrol_uncovered),
                                 .style = &style_uncovered,
                                 .time = BY_WEEK("week")},
    [GS__LS_PATROL_HOUSEHOLDS_UNREACHED] = {"patrol.households_unreached",
                                            "households_unreached",
                                            GS__GEOM_POINT,
                                            FIELDS(patrol_unreached),
                                            .style = &style_unreached,
                                            .time = BY_WEEK("week")},
    [GS__LS_PATROL_SUMMARY] = {"patrol.summary", "summary", GS__GEOM_NONE,
                               FIELDS(patrol_summary)},
    [GS__LS_HOTSPOTS_GRID_EVENTS] =
        {"hotspots.grid_events", "grid_events", GS__GEOM_POLYGON,
         FIELDS(hotspots_grid_events), .dyn_prefix = "cat_",
         .dyn_at = GS__GE_EVENTS_PER_KM2, .dyn_type = GS__F_INT,
         .style = &style_grid_events, .ledger_table = "grid_events",
         .ledger_time = BY_WEEK("week")},
    [GS__LS_ASSESS_ASSESSMENT] = {"assess.assessment", "assessment",
                                  GS__GEOM_POLYGON, FIELDS(assess_assessment),
                                  .style = &style_assessment},
    [GS__LS_ASSESS_VISITS] = {"assess.visits", "visits", GS__GEOM_POINT,
                              FIELDS(assess_visits), .style = &style_visits,
                              .time = BY_DAY("date")},
    [GS__LS_ASSESS_CARE_OVERDUE] = {"assess.care_overdue", "care_overdue",
                                    GS__GEOM_POINT, FIELDS(assess_care_overdue),
                                    .style = &style_care_overdue},
    [GS__LS_ASSESS_BAD_ROWS] = {"assess.bad_rows", "bad_rows", GS__GEOM_NONE,
                                FIELDS(assess_bad_rows)},
    [GS__LS_LEDGER_RUNS] = {"ledger.runs", "runs", GS__GEOM_NONE,
                            FIELDS(ledger_runs), .time = BY_WEEK("week")},
};

_Static_assert(GS__AA_SCORE_BASIC - GS__AA_SCORE == GS_ASSESS_ITEMS,
               "one score field per assessment item");

const gs__layer_schema *gs__schema(gs__layer_id id) { return &SCHEMAS[id]; }

const gs__layer_schema *gs__schema_find(const char *name) {
    for (size_t i = 0; name && i < GS__LS_COUNT; i++)
        if (!strcmp(SCHEMAS[i].name, name)) return &SCHEMAS[i];
    return NULL;
}

const gs__layer_schema *gs__schema_styled(const char *layer) {
    for (size_t i = 0; layer && i < GS__LS_COUNT; i++)
        if (SCHEMAS[i].style && !strcmp(SCHEMAS[i].layer, layer))
            return &SCHEMAS[i];
    return NULL;
}

const gs__layer_schema *gs__schema_ledger(const char *table) {
    for (size_t i = 0; table && i < GS__LS_COUNT; i++)
        if (SCHEMAS[i].ledger_table && !strcmp(SCHEMAS[i].ledger_table, table))
            return &SCHEMAS[i];
    return NULL;
}

const char *gs__schema_alias(const char *field) {
    for (size_t i = 0; field && i < GS__LS_COUNT; i++) {
        int k = gs__schema_field(&SCHEMAS[i], field);
        if (k >= 0 && SCHEMAS[i].fields[k].alias)
            return SCHEMAS[i].fields[k].alias;
    }
    return NULL;
}

int gs__schema_field(const gs__layer_schema *s, const char *name) {
    for (size_t k = 0; name && k < s->nfields; k++)
        if (!strcmp(s->fields[k].name, name)) return (int)k;
    return -1;
}

int gs__schema_is_dynamic(const gs__layer_schema *s, const char *name) {
    return s->dyn_prefix && name &&
           !strncmp(name, s->dyn_prefix, strlen(s->dyn_prefix)) &&
           gs__schema_field(s, name) < 0;
}
