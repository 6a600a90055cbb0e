/*
 * score.c - the month's period, a member's sub-scores and tier (assess.h).
 *
 * The standard assesses each grid member monthly on basic work (patrol,
 * information collection, service visits, event reporting), special work
 * and residents' evaluation (awareness, satisfaction), as a weighted score
 * out of 100 graded into tiers. The period is whole ISO weeks because the
 * ledger keeps weeks and every week should be assessed in exactly one
 * month; a week belongs to the month of its Thursday (as ISO 8601 assigns
 * weeks to years). An item without an input takes its default, and says
 * so in defaults_used: never a silent zero.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "assess.h"
#include "datetime.h"

int gs__assess_period(const char *month, gs__aperiod *out) {
    int32_t first, next, thu;
    int y, mo;
    memset(out, 0, sizeof *out);
    if (!month || strlen(month) != 7 || month[4] != '-')
        return GS_ERR_INPUT_VALUE;
    for (int i = 0; i < 7; i++)
        if (i != 4 && (month[i] < '0' || month[i] > '9'))
            return GS_ERR_INPUT_VALUE;
    y = (month[0] - '0') * 1000 + (month[1] - '0') * 100 +
        (month[2] - '0') * 10 + (month[3] - '0');
    mo = (month[5] - '0') * 10 + (month[6] - '0');
    if (y < 1 || mo < 1 || mo > 12) return GS_ERR_INPUT_VALUE;
    first = gs__days_from_civil(y, mo, 1);
    next = mo == 12 ? gs__days_from_civil(y + 1, 1, 1)
                    : gs__days_from_civil(y, mo + 1, 1);
    /* The month's first Thursday (weekday 4), then every 7 days. */
    thu = first + (4 - gs__weekday(first) + 7) % 7;
    out->year = y;
    out->month = mo;
    for (; thu < next; thu += 7) out->monday[out->nweeks++] = thu - 3;
    out->day0 = out->monday[0];
    out->day1 = out->monday[out->nweeks - 1] + 6;
    return GS_OK;
}

/* ---- scoring ------------------------------------------------------------- */

const char *gs__assess_tier(const gs_rules *r, double total) {
    /* A hair of tolerance: 89.99999999 from summing thirds is 90. */
    const double eps = 1e-9;
    if (total + eps >= r->tier_excellent) return "优秀";
    if (total + eps >= r->tier_good) return "良好";
    if (total + eps >= r->tier_pass) return "合格";
    return "不合格";
}

/* Records that item k took the default: "NAME=PCT% (why)" appended to
 * the defaults taken. */
static void note_default(gs__ascore *s, int k, const char *name, double pct,
                         const char *why) {
    size_t n = strlen(s->defaults_used);
    s->defaulted[k] = 1;
    snprintf(s->defaults_used + n, sizeof s->defaults_used - n,
             "%s%s=%g%% (%s)", n ? "; " : "", name, pct, why);
}

void gs__assess_score(const gs_rules *r, const gs__ainput *in,
                      gs__ascore *out) {
    const double *def = r->assess_default_pct;
    double daily, weekly, s = r->patrol_daily_share;
    memset(out, 0, sizeof *out);

    /* Patrol: the daily and the weekly share, each defaulted alone. */
    if (in->workdays > 0) {
        daily = 100.0 * (double)in->workdays_ok / (double)in->workdays;
    } else {
        daily = def[GS_ASSESS_PATROL];
        note_default(out, GS_ASSESS_PATROL, "patrol.daily", daily,
                     "no workday in the ledger for the month");
    }
    if (in->weeks > 0) {
        weekly = 100.0 * (double)in->weeks_ok / (double)in->weeks;
    } else {
        weekly = def[GS_ASSESS_PATROL];
        note_default(out, GS_ASSESS_PATROL, "patrol.weekly", weekly,
                     "no week in the ledger for the month");
    }
    out->pct[GS_ASSESS_PATROL] = s * daily + (1.0 - s) * weekly;

    /* Service visits: care windows met, else verified visits, else an
     * offline score, else the default. */
    if (in->have_visits && in->care_due > 0) {
        out->pct[GS_ASSESS_VISITS] =
            100.0 * (double)in->care_met / (double)in->care_due;
    } else if (in->have_visits && in->visits > 0) {
        out->pct[GS_ASSESS_VISITS] =
            100.0 * (double)in->visits_verified / (double)in->visits;
    } else if (isfinite(in->offline_pct[GS_ASSESS_VISITS])) {
        out->pct[GS_ASSESS_VISITS] = in->offline_pct[GS_ASSESS_VISITS];
    } else {
        out->pct[GS_ASSESS_VISITS] = def[GS_ASSESS_VISITS];
        note_default(out, GS_ASSESS_VISITS, "visits", def[GS_ASSESS_VISITS],
                     in->have_visits ? "no care target and no visit recorded"
                                     : "no visit records and no offline score");
    }

    /* The rest come from the offline scores. */
    for (int k = 0; k < GS_ASSESS_ITEMS; k++) {
        if (k == GS_ASSESS_PATROL || k == GS_ASSESS_VISITS) continue;
        if (isfinite(in->offline_pct[k])) {
            out->pct[k] = in->offline_pct[k];
        } else {
            out->pct[k] = def[k];
            note_default(out, k, gs__assess_items[k], def[k],
                         "no offline score");
        }
    }
    for (int k = 0; k < GS_ASSESS_ITEMS; k++)
        out->points[k] = r->assess_weight[k] * out->pct[k] / 100.0;
    out->basic = out->points[GS_ASSESS_PATROL] +
                 out->points[GS_ASSESS_INFORMATION] +
                 out->points[GS_ASSESS_VISITS] + out->points[GS_ASSESS_EVENTS];
    out->residents =
        out->points[GS_ASSESS_AWARENESS] + out->points[GS_ASSESS_SATISFACTION];
    out->total = out->basic + out->points[GS_ASSESS_SPECIAL] + out->residents;
    out->tier = gs__assess_tier(r, out->total);
}
