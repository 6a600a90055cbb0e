/*
 * calendar.h - which days are workdays (calendar.c).
 */
#ifndef GS_CALENDAR_H
#define GS_CALENDAR_H

#include <stdint.h>

#include "ctx.h"

/* Monday-Friday with overrides from a calendar CSV. Opaque. */
typedef struct gs__calendar gs__calendar;

/*
 * Reads a calendar CSV with the columns `date` (YYYY-MM-DD) and `workday`
 * (1 or 0), in any order, other columns ignored: the days that differ from
 * Monday-Friday, i.e. public holidays (0) and make-up workdays on a
 * weekend (调休, 1). A UTF-8 BOM, CRLF and blank lines are fine.
 * GS_ERR_INPUT_OPEN, GS_ERR_INPUT_EMPTY (no header), GS_ERR_INPUT_FIELD (a
 * column missing), GS_ERR_INPUT_VALUE (a bad date or workday, a wrong
 * number of fields, a date given twice: the message names the file, line
 * and field), GS_ERR_NOMEM. The caller frees *out_cal with
 * gs__calendar_free(); NULL on failure.
 */
int gs__calendar_load(gs_ctx *ctx, const char *path, gs__calendar **out_cal);

/* 1 when `day` (days since 1970-01-01) is a workday, else 0. A NULL
 * calendar means Monday to Friday. */
int gs__calendar_is_workday(const gs__calendar *cal, int32_t day);

/* Frees the calendar. Accepts NULL. */
void gs__calendar_free(gs__calendar *cal);

#endif /* GS_CALENDAR_H */
