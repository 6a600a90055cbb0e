/*
 * rules.h - the names the rules and their INI file share (rules.c).
 *
 * gs_rules_init and gs_rules_load are public (gridsmith.h); this header
 * holds what the library's own files need besides: the names of the
 * assessment items and care types, which the [assess] keys, the offline
 * scores CSV and households' care_type all use, and the reason inih gave
 * for refusing a file, which the job file reader reports too.
 */
#ifndef GS_RULES_H
#define GS_RULES_H

#include "ctx.h"

/* Names of the assessment items (GS_ASSESS_*), as in the offline CSV's
 * `item` and the [assess] keys: "patrol", "information", "visits",
 * "events", "special", "awareness", "satisfaction". */
extern const char *const gs__assess_items[GS_ASSESS_ITEMS];

/* Names of the care types (GS_CARE_*), as in households' care_type. */
extern const char *const gs__care_types[GS_CARE_TYPES];

/* The index of an item or care type name, or -1. */
int gs__assess_item_find(const char *name);
int gs__care_type_find(const char *name);

/* Why inih refused the INI file `path` at *line (its count): "syntax
 * error", or that a line is too long for inih, *line then set to that
 * line's real number. */
const char *gs__ini_syntax_error(const char *path, int *line);

/* GS_OK when a command's options have this library's version
 * (GS_OPTS_VERSION), else GS_ERR_USAGE saying so. Every public run
 * function checks first. */
int gs__opts_check_version(gs_ctx *ctx, unsigned int version);

#endif /* GS_RULES_H */
