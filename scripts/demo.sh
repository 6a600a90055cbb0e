#!/bin/sh
# Installs what is missing, builds, and runs the weekly job on the bundled
# demo city (datasets/demo/job.ini) into out/ for each of its eight weeks,
# 2026-W40 to 2026-W47, oldest first (run --since, as a street office
# catches up on the weeks it has data for): validate, patrol, hotspots,
# the ledger and each week's report. Then the monthly assessment of
# October 2026 (2026-W40 to W44, all in the ledger) with the offline
# scores.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh build
./scripts/build.sh build
mkdir -p out
./build/gridsmith run datasets/demo/job.ini --since 2026-W40
echo
./build/gridsmith assess --ledger out/ledger.gpkg --month 2026-10 \
    --offline datasets/demo/scores.csv -o out/assess-2026-10.gpkg
echo
echo "Open out/report-2026-W47.html in a browser: the week's report for the"
echo "street office, with the seven weeks before it in its trends."
echo "Open out/*.gpkg in QGIS: every layer comes styled. The ledger"
echo "out/ledger.gpkg keeps every week; see 'gridsmith run --help' for queries."
