/*
 * test_osm.c - OpenStreetMap tags read as a planner reads them: barrier
 * classes of highway, waterway, railway and barrier values, tunnels left
 * out, other_tags parsed, user class values, homes among building types.
 */
#include <string.h>

#include "harness.h"
#include "model.h"
#include "osm.h"

TEST(highway_classes) {
    CHECK(gs__osm_barrier_class("motorway", "", "", "", "") ==
          GS__BARRIER_MAJOR);
    CHECK(gs__osm_barrier_class("secondary_link", NULL, NULL, NULL, NULL) ==
          GS__BARRIER_MAJOR);
    CHECK(gs__osm_barrier_class("tertiary", "", "", "", "") ==
          GS__BARRIER_MEDIUM);
    CHECK(gs__osm_barrier_class("residential", "", "", "", "") ==
          GS__BARRIER_MINOR);
    CHECK(gs__osm_barrier_class("service", "", "", "", "") ==
          GS__BARRIER_MINOR);
    CHECK(gs__osm_barrier_class("footway", "", "", "", "") == 0);
    CHECK(gs__osm_barrier_class("path", "", "", "", "") == 0);
    CHECK(gs__osm_barrier_class("", "", "", "", "") == 0);
}

TEST(rivers_rails_walls_as_strong_as_arterials) {
    CHECK(gs__osm_barrier_class("", "river", "", "", "") == GS__BARRIER_MAJOR);
    CHECK(gs__osm_barrier_class("", "canal", "", "", "") == GS__BARRIER_MAJOR);
    CHECK(gs__osm_barrier_class("", "stream", "", "", "") == GS__BARRIER_MINOR);
    CHECK(gs__osm_barrier_class("", "", "rail", "", "") == GS__BARRIER_MAJOR);
    CHECK(gs__osm_barrier_class("", "", "", "wall", "") == GS__BARRIER_MAJOR);
    CHECK(gs__osm_barrier_class("", "", "", "fence", "") == GS__BARRIER_MINOR);
    CHECK(gs__osm_barrier_class("", "", "", "kerb", "") == 0);
    CHECK(gs__osm_barrier_class("", "", "abandoned", "", "") == 0);
    /* the stronger of two tags */
    CHECK(gs__osm_barrier_class("service", "", "", "wall", "") ==
          GS__BARRIER_MAJOR);
}

TEST(tunnels_are_no_barrier) {
    CHECK(gs__osm_barrier_class("primary", "", "", "",
                                "\"layer\"=>\"-1\",\"tunnel\"=>\"yes\"") == 0);
    CHECK(gs__osm_barrier_class("", "", "subway", "", "\"tunnel\"=>\"yes\"") ==
          0);
    CHECK(gs__osm_barrier_class("", "river", "", "",
                                "\"tunnel\"=>\"culvert\"") == 0);
    CHECK(gs__osm_barrier_class("primary", "", "", "", "\"tunnel\"=>\"no\"") ==
          GS__BARRIER_MAJOR);
    CHECK(gs__osm_barrier_class("primary", "", "", "", "\"bridge\"=>\"yes\"") ==
          GS__BARRIER_MAJOR);
}

TEST(other_tags) {
    char v[32];
    const char *t =
        "\"building:levels\"=>\"14\",\"name:zh\"=>\"学生公寓\","
        "\"levels\"=>\"3\"";
    CHECK(gs__osm_tag(t, "building:levels", v, sizeof v) && !strcmp(v, "14"));
    CHECK(gs__osm_tag(t, "levels", v, sizeof v) && !strcmp(v, "3"));
    CHECK(gs__osm_tag(t, "name:zh", v, sizeof v) && !strcmp(v, "学生公寓"));
    CHECK(!gs__osm_tag(t, "height", v, sizeof v) && v[0] == '\0');
    CHECK(!gs__osm_tag(NULL, "height", v, sizeof v));
}

TEST(user_classes_and_homes) {
    CHECK(gs__barrier_class_parse("1") == GS__BARRIER_MAJOR);
    CHECK(gs__barrier_class_parse("Major") == GS__BARRIER_MAJOR);
    CHECK(gs__barrier_class_parse("主干路") == GS__BARRIER_MAJOR);
    CHECK(gs__barrier_class_parse("次干") == GS__BARRIER_MEDIUM);
    CHECK(gs__barrier_class_parse("local") == GS__BARRIER_MINOR);
    CHECK(gs__barrier_class_parse("4") == 0);
    CHECK(gs__osm_residential("apartments") && gs__osm_residential("yes") &&
          gs__osm_residential("dormitory"));
    CHECK(!gs__osm_residential("school") && !gs__osm_residential("office") &&
          !gs__osm_residential("shop=mall") && !gs__osm_residential(""));
    CHECK(gs__osm_path("map.osm") && gs__osm_path("x.OSM") &&
          gs__osm_path("beijing.osm.pbf") && !gs__osm_path("map.gpkg"));
}

int main(void) {
    RUN(highway_classes);
    RUN(rivers_rails_walls_as_strong_as_arterials);
    RUN(tunnels_are_no_barrier);
    RUN(other_tags);
    RUN(user_classes_and_homes);
    return HARNESS_END();
}
