#!/bin/sh
# Opens the patrol output of the demo week the way an analyst does: GDAL's
# GeoPackage validator, then QGIS (every layer valid, its style loaded from
# layer_styles, feature counts right).
# Usage: qgis_patrol.sh GRIDSMITH_BINARY TESTS_DIR
#
# The counts, each worked out from the demo data (datasets/demo/README.md):
#   member_day 161        23 roster (member, grid) pairs x 7 days
#   member_week 23        one per roster pair
#   tracks 112            member-days with credited segments (M0016's two
#                         grids share one track per day)
#   gaps 240              consecutive fixes of a member > 300 s apart,
#                         duplicates dropped, overnight gaps included (218),
#                         and for each of the 22 members with traces the
#                         gap from their last fix of 2026-W46 into the week
#   gps_issues 9          M0003 2 jumps, M0006 5 duplicates, M0010
#                         2 out_of_order (the first row, and the total)
#   bad_rows 0            the demo traces have no bad row
#   uncovered 10          member-weeks with coverage_pct < 100
#   households_unreached 816   sum of households - households_reached
#                         (M0020 and M0021 on the duplicated code 004)
#   summary 5             4 communities + total
# run_metadata is a key/value table: its count is not a data fact.
set -eu
bin=$1
tests=$2
demo=$tests/../datasets/demo
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" patrol --grids "$demo/city.gpkg" --members "$demo/members.csv" \
    --traces "$demo/traces.csv" --households "$demo/city.gpkg" \
    --calendar "$demo/calendar.csv" --week 2026-W47 \
    -o "$tmp/patrol.gpkg" --quiet
QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=$tmp /usr/bin/python3 \
    "$tests/qgis/qgis_check.py" "$tmp/patrol.gpkg" \
    --expect member_day=161 member_week=23 tracks=112 gaps=240 \
             gps_issues=9 bad_rows=0 uncovered=10 \
             households_unreached=816 summary=5 \
    --styled-all
