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
echo "用浏览器打开 out/report-2026-W47.html：本周给街道办的周报，趋势图含前七周。"
echo "  Open out/report-2026-W47.html in a browser: the week's report for the"
echo "  street office, with the seven weeks before it in its trends."
echo "用 QGIS 打开 out/gridsmith-2026-W47.qgz：各图层已分组并配好样式；台账"
echo "out/ledger.gpkg 保存每一周的结果（查询方法见 'gridsmith run --help'）。"
echo "  Open out/gridsmith-2026-W47.qgz in QGIS: every layer grouped and styled."
echo "  The ledger out/ledger.gpkg keeps every week; see 'gridsmith run --help'."
