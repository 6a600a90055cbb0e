#!/bin/sh
# The QGIS projects gridsmith writes open in QGIS with every layer valid
# and styled: the weekly job's .qgz and the one in the ledger (two weeks
# recorded, so the Temporal Controller has weeks to step through), and the
# project in each command's GeoPackage (validate, patrol, hotspots with
# its density raster, partition, assess). Pictures of the job's and
# validate's projects go to $GS_RENDER_DIR when set (else a temporary
# folder) for a human look.
# Usage: qgis_projects.sh GRIDSMITH_BINARY SOURCE_DIR
set -eu
bin=$1
src=$(cd "$2" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pics=${GS_RENDER_DIR:-$tmp}
demo=$src/datasets/demo
check="/usr/bin/python3 $src/tests/qgis/qgis_project_check.py"
export QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=$tmp
# The demo job into $tmp/out, for two weeks.
sed -e "s|^communities = |communities = $demo/|" \
    -e "s|^grids = |grids = $demo/|" -e "s|^households = |households = $demo/|" \
    -e "s|^members = |members = $demo/|" -e "s|^traces = |traces = $demo/|" \
    -e "s|^calendar = |calendar = $demo/|" -e "s|^events = |events = $demo/|" \
    -e "s|^dir = .*|dir = out|" "$demo/job.ini" > "$tmp/job.ini"
"$bin" run "$tmp/job.ini" --week 2026-W46 --quiet
"$bin" run "$tmp/job.ini" --week 2026-W47 --quiet
out=$tmp/out
fail=0
$check "$out/gridsmith-2026-W47.qgz" \
    --groups 网格检查 巡查核验 事件热点 台账 \
    --temporal grid_status member_week member_day grid_events runs tracks \
    gps_issues \
    --weeks grid_status=2 member_week=2 grid_events=2 --raster \
    --render "$pics/job-2026-W47.png" || fail=1
# The same project as stored in the ledger, and the one of the week before.
$check "geopackage:$out/ledger.gpkg?projectName=2026-W47" \
    --weeks member_week=2 || fail=1
$check "geopackage:$out/ledger.gpkg?projectName=2026-W46" || fail=1
# Moved elsewhere, the folder still opens: every path is relative.
mv "$out" "$tmp/moved"
out=$tmp/moved
$check "$out/gridsmith-2026-W47.qgz" || fail=1
for stage in validate patrol hotspots; do
    extra=""
    [ $stage = hotspots ] && extra=--raster
    [ $stage = validate ] && extra="--render $pics/validate-2026-W47.png"
    # shellcheck disable=SC2086
    $check "geopackage:$out/$stage-2026-W47.gpkg?projectName=$stage-2026-W47" \
        --gpkg "$out/$stage-2026-W47.gpkg" $extra || fail=1
done
"$bin" partition --communities "$demo/city.gpkg" --households "$demo/city.gpkg" \
    --barriers "$demo/city.gpkg" -o "$tmp/partition.gpkg" --quiet
$check "geopackage:$tmp/partition.gpkg?projectName=partition" \
    --gpkg "$tmp/partition.gpkg" || fail=1
"$bin" assess --ledger "$out/ledger.gpkg" --month 2026-11 \
    -o "$tmp/assess.gpkg" --quiet
$check "geopackage:$tmp/assess.gpkg?projectName=assess" \
    --gpkg "$tmp/assess.gpkg" || fail=1
exit $fail
