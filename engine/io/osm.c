/*
 * osm.c - reading OpenStreetMap extracts directly through GDAL's OSM
 * driver (see osm.h).
 *
 * The driver gives an .osm or .pbf file as layers points, lines,
 * multilinestrings, multipolygons and other_relations; barriers are read
 * from `lines` and buildings from `multipolygons` unless the user names
 * another layer. Tags without a column of their own are in other_tags as
 * "key"=>"value" pairs.
 *
 * Barrier classes follow what a street office calls a road: motorways,
 * trunk, primary and secondary roads (and their links), rivers and
 * canals, railways and walls are major (a grid should not straddle
 * them); tertiary roads are medium; streets, service roads, streams,
 * ditches, fences and hedges are minor. Footways, paths, steps, cycleways,
 * tunnels, culverts, kerbs, gates and disused rails are no barrier.
 */
#define _DEFAULT_SOURCE /* strcasecmp */
#include "osm.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "model.h"

int gs__osm_path(const char *path) {
    size_t n = path ? strlen(path) : 0;
    return (n > 4 && !strcasecmp(path + n - 4, ".osm")) ||
           (n > 4 && !strcasecmp(path + n - 4, ".pbf"));
}

const gs_input_opts *gs__osm_opts(const gs_input_opts *in, const char *path,
                                  const char *role, const char *layer,
                                  gs_input_opts *tmp, const char **list,
                                  size_t list_cap, char *spec) {
    size_t n = 0;
    if (!gs__osm_path(path)) return in;
    for (size_t i = 0; i < in->n_layers; i++) {
        size_t rl = strlen(role);
        if (!strncmp(in->layers[i], role, rl) && in->layers[i][rl] == '=')
            return in; /* the user chose */
    }
    if (in->n_layers + 1 > list_cap) return in;
    *tmp = *in;
    for (size_t i = 0; i < in->n_layers; i++) list[n++] = in->layers[i];
    snprintf(spec, 64, "%s=%s", role, layer);
    list[n++] = spec;
    tmp->layers = list;
    tmp->n_layers = n;
    return tmp;
}

int gs__osm_tag(const char *t, const char *key, char *out, size_t size) {
    size_t kl = strlen(key);
    out[0] = '\0';
    if (!t) return 0;
    for (const char *p = t; (p = strchr(p, '"')) != NULL;) {
        const char *v, *e;
        p++;
        if (strncmp(p, key, kl) || p[kl] != '"' ||
            strncmp(p + kl, "\"=>\"", 4)) {
            /* skip this key and its value */
            const char *q = strstr(p, "\"=>\"");
            if (!q) return 0;
            q = strchr(q + 4, '"');
            if (!q) return 0;
            p = q + 1;
            continue;
        }
        v = p + kl + 4;
        e = strchr(v, '"');
        if (!e) return 0;
        snprintf(out, size, "%.*s", (int)(e - v), v);
        return 1;
    }
    return 0;
}

static int in_list(const char *v, const char *const *list) {
    for (size_t i = 0; list[i]; i++)
        if (!strcmp(v, list[i])) return 1;
    return 0;
}

/* The stronger of `cls` and the class `val` has in the lists (0: none). */
static int take(int cls, const char *val, const char *const *maj,
                const char *const *med, const char *const *min) {
    int c = 0;
    if (!val || !*val) return cls;
    if (maj && in_list(val, maj))
        c = GS__BARRIER_MAJOR;
    else if (med && in_list(val, med))
        c = GS__BARRIER_MEDIUM;
    else if (min && in_list(val, min))
        c = GS__BARRIER_MINOR;
    return c && (!cls || c < cls) ? c : cls;
}

int gs__osm_barrier_class(const char *highway, const char *waterway,
                          const char *railway, const char *barrier,
                          const char *other_tags) {
    static const char *const hw_major[] = {
        "motorway",   "motorway_link",  "trunk",
        "trunk_link", "primary",        "primary_link",
        "secondary",  "secondary_link", NULL};
    static const char *const hw_medium[] = {"tertiary", "tertiary_link", NULL};
    static const char *const hw_minor[] = {
        "residential", "unclassified", "living_street", "service",
        "pedestrian",  "road",         "busway",        NULL};
    static const char *const ww_major[] = {"river", "canal", NULL};
    static const char *const ww_minor[] = {"stream", "drain", "ditch", NULL};
    static const char *const rw_major[] = {"rail", "light_rail", "narrow_gauge",
                                           "monorail", NULL};
    static const char *const rw_minor[] = {"tram", NULL};
    static const char *const bw_major[] = {"wall", "city_wall",
                                           "retaining_wall", NULL};
    static const char *const bw_minor[] = {"fence", "hedge", NULL};
    char v[64];
    int cls = 0;
    if (gs__osm_tag(other_tags, "tunnel", v, sizeof v) && strcmp(v, "no"))
        return 0;
    if (gs__osm_tag(other_tags, "covered", v, sizeof v) && !strcmp(v, "yes"))
        return 0;
    if (gs__osm_tag(other_tags, "location", v, sizeof v) &&
        !strcmp(v, "underground"))
        return 0;
    cls = take(cls, highway, hw_major, hw_medium, hw_minor);
    cls = take(cls, waterway, ww_major, NULL, ww_minor);
    cls = take(cls, railway, rw_major, NULL, rw_minor);
    cls = take(cls, barrier, bw_major, NULL, bw_minor);
    return cls;
}

int gs__barrier_class_parse(const char *v) {
    if (!v || !*v) return 0;
    if (!strcmp(v, "1") || !strcasecmp(v, "major") ||
        !strcasecmp(v, "arterial") || !strcmp(v, "主干") ||
        !strcmp(v, "主干路"))
        return GS__BARRIER_MAJOR;
    if (!strcmp(v, "2") || !strcasecmp(v, "medium") ||
        !strcasecmp(v, "collector") || !strcmp(v, "次干") ||
        !strcmp(v, "次干路"))
        return GS__BARRIER_MEDIUM;
    if (!strcmp(v, "3") || !strcasecmp(v, "minor") || !strcasecmp(v, "local") ||
        !strcmp(v, "支路"))
        return GS__BARRIER_MINOR;
    return 0;
}

int gs__osm_residential(const char *b) {
    static const char *const homes[] = {
        "yes",     "residential", "apartments",
        "house",   "detached",    "semidetached_house",
        "terrace", "dormitory",   "bungalow",
        "farm",    "houseboat",   "static_caravan",
        "hut",     NULL};
    return b && *b && in_list(b, homes);
}
