#!/bin/sh
# A re-division of the demo city opens styled in QGIS: grids (by status),
# summary and changes (by change) with their Chinese aliases, and the
# GeoPackage passes GDAL's validator.
# Usage: qgis_partition.sh GRIDSMITH_BINARY SOURCE_DIR
set -eu
bin=$1
src=$2
city=$src/datasets/demo/city.gpkg
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" partition --existing "$city" --communities "$city" \
    --households "$city" --barriers "$city" -o "$tmp/redivide.gpkg" --quiet
QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=$tmp /usr/bin/python3 \
    "$src/tests/qgis/qgis_check.py" "$tmp/redivide.gpkg" \
    --expect summary=4 changes=22 --styled-all
