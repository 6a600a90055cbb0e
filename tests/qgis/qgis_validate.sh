#!/bin/sh
# Runs `gridsmith validate` on the mini city and opens the result the way an
# analyst does: GDAL's GeoPackage validator, then QGIS (every layer valid,
# its style loaded from layer_styles, feature counts right).
# Usage: qgis_validate.sh GRIDSMITH_BINARY TESTS_DIR
set -eu
bin=$1
tests=$2
mini=$tests/data/mini
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" validate --communities "$mini/communities.geojson" \
    --grids "$mini/grids.geojson" --households "$mini/households.geojson" \
    --members "$mini/members.csv" --config "$mini/rules.ini" \
    -o "$tmp/mini.gpkg" --quiet
QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=$tmp /usr/bin/python3 \
    "$tests/qgis/qgis_check.py" "$tmp/mini.gpkg" \
    --expect grids=5 issues=16 issue_points=2 summary=3 \
    --styled-all
