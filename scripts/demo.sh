#!/bin/sh
# Installs what is missing, builds, and runs gridsmith on the bundled demo
# city (datasets/demo) into out/.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh build
./scripts/build.sh build
mkdir -p out
demo=datasets/demo
echo "== gridsmith validate: grids against the standard =="
status=0
./build/gridsmith validate --communities "$demo/city.gpkg" \
    --grids "$demo/city.gpkg" --households "$demo/city.gpkg" \
    --members "$demo/members.csv" -o out/validate.gpkg || status=$?
echo
echo "== gridsmith patrol: week 2026-W47 from the members' GPS traces =="
./build/gridsmith patrol --grids "$demo/city.gpkg" \
    --members "$demo/members.csv" --traces "$demo/traces.csv" \
    --households "$demo/city.gpkg" --calendar "$demo/calendar.csv" \
    --week 2026-W47 -o out/patrol.gpkg || status=$?
echo
echo "Open out/*.gpkg in QGIS: every layer comes styled."
exit $status
