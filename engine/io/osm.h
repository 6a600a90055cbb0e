/*
 * osm.h - OpenStreetMap sources read directly (osm.c): which layer of an
 * .osm/.pbf file a role reads, the tags GDAL's OSM driver leaves in
 * other_tags, and how OSM's highway, waterway, railway and barrier values
 * map to barrier classes.
 */
#ifndef GS_IO_OSM_H
#define GS_IO_OSM_H

#include <stddef.h>

#include "gridsmith/gridsmith.h"

/* 1 when `path` names an OSM file GDAL's OSM driver reads (.osm, .pbf). */
int gs__osm_path(const char *path);

/* The input options to read `role` from `path`: `in` itself, or, for an
 * OSM file whose layer for the role the user did not choose, a copy in
 * *tmp naming `layer` (the copy borrows from `in` and from `spec`, a
 * buffer of at least 64 bytes that must outlive the copy). */
const gs_input_opts *gs__osm_opts(const gs_input_opts *in, const char *path,
                                  const char *role, const char *layer,
                                  gs_input_opts *tmp, const char **list,
                                  size_t list_cap, char *spec);

/* The value of `key` in an other_tags string ("k"=>"v","k2"=>"v2") into
 * out (size > 0); 1 when found. */
int gs__osm_tag(const char *other_tags, const char *key, char *out,
                size_t size);

/* The barrier class (model.h GS__BARRIER_*) of OSM tags, 0 when the line
 * is no barrier (footways, paths, tunnels, kerbs, abandoned rails...).
 * Any argument may be NULL or "". */
int gs__osm_barrier_class(const char *highway, const char *waterway,
                          const char *railway, const char *barrier,
                          const char *other_tags);

/* A class from a user's `class` value: 1-3, major/medium/minor,
 * arterial/collector/local, 主干/次干/支路; 0 when not one of them. */
int gs__barrier_class_parse(const char *v);

/* 1 when an OSM building=* value is a home (residential, apartments,
 * house, dormitory, yes...), 0 for schools, offices, shops and the like. */
int gs__osm_residential(const char *building);

#endif /* GS_IO_OSM_H */
