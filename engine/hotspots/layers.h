/*
 * layers.h - the hotspots layers a run (write_units.c) and the merge of
 * shard outputs (merge_write.c) both write, so that their fields, order and
 * QGIS aliases cannot drift apart (layers.c).
 */
#ifndef GS_HS_LAYERS_H
#define GS_HS_LAYERS_H

#include "writer.h"

/* The most categories that get a field of their own; the rest are summed
 * in cat_other (a GeoPackage layer of gridsmith has at most 64 fields). */
#define GS__HS_MAX_CAT_FIELDS 40

/* How many of the `present` categories (those with events in the
 * period) get a field of their own (*ncat_fields), and whether cat_other
 * sums the rest (*cat_other): all of them when they fit, else the first
 * GS__HS_MAX_CAT_FIELDS - 1 and cat_other. */
void gs__hs_cat_fields(size_t present, size_t *ncat_fields, int *cat_other);

/* The field of grid_events that holds category k (in a run's order) with
 * `events` in the period: names[k] for the first ncat_fields, cat_other
 * for the others with events when there is one, else "". names as
 * gs__hs_grid_layer fills them. */
const char *gs__hs_cat_field(size_t k, size_t ncat_fields, int cat_other,
                             char (*names)[32], long events);

/* The grid_events layer: its fixed head, the counts, cat_1..cat_N for the
 * first ncat_fields categories (labels[k] is the alias of cat_{k+1}),
 * cat_other when cat_other is set, the tail. names receives the cat field
 * names (at least ncat_fields entries). The layer belongs to the writer. */
int gs__hs_grid_layer(gs__out *o, const char *const *labels, size_t ncat_fields,
                      int cat_other, char (*names)[32], gs__olayer **out_layer);

/* The hex_hotspots layer (hex_id, q, r, community_code, area_m2, events,
 * gi_z, gi_p, gi_bin). */
int gs__hs_hex_layer(gs__out *o, gs__olayer **out_layer);

/* The categories layer (field, category, events). */
int gs__hs_categories_layer(gs__out *o, gs__olayer **out_layer);

/* The rules that shape the results, as the JSON text run_metadata holds
 * under "rules" (hex_size_m is the run's). malloc'ed; NULL when out of
 * memory. */
char *gs__hs_rules_json(const gs_rules *r, double hex_size_m);

/* The fields of a gs__hs_counts (events, resolved, resolution_rate,
 * self_resolved, self_resolved_share, mean_resolve_h, open, overdue), as
 * grid_events and the summaries write them. */
#define GS__HS_N_COUNT_DEFS 8
extern const gs__fdef gs__hs_count_defs[GS__HS_N_COUNT_DEFS];

/* Appends n field definitions to defs[*nd]. */
void gs__hs_add_defs(gs__fdef *defs, size_t *nd, const gs__fdef *more,
                     size_t n);

#endif /* GS_HS_LAYERS_H */
