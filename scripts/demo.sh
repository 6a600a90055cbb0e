#!/bin/sh
# Installs what is missing, builds, and runs the weekly job on the bundled
# demo city (datasets/demo/job.ini) into out/: validate, patrol, ledger.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh build
./scripts/build.sh build
mkdir -p out
./build/gridsmith run datasets/demo/job.ini
echo
echo "Open out/*.gpkg in QGIS: every layer comes styled. The ledger"
echo "out/ledger.gpkg keeps every week; see 'gridsmith run --help' for queries."
