/*
 * report.h - building the public gs_report (report.c).
 */
#ifndef GS_REPORT_H
#define GS_REPORT_H

#include <json-c/json.h>

#include "ctx.h"

/* Makes a report from a JSON object (taken) and a text summary (copied);
 * the context's phases are added to the JSON as "phases". NULL when out of
 * memory. */
gs_report *gs__report_create(gs_ctx *ctx, json_object *obj, const char *text,
                             long findings);

/* The same, with the text from a buffer, which it frees. A buffer whose
 * appends failed (out of memory) gives NULL, never a truncated summary; the
 * JSON object is taken either way. */
gs_report *gs__report_from_buf(gs_ctx *ctx, json_object *obj, gs__buf *text,
                               long findings);

#endif /* GS_REPORT_H */
