#!/bin/sh
# Installs what is missing, builds, and runs every test twice: a plain
# build, then one with AddressSanitizer and UndefinedBehaviorSanitizer.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh test
./scripts/build.sh build
(cd build && ctest --output-on-failure -j2)
./scripts/build.sh build-asan -DGS_SANITIZE=ON
# LeakSanitizer: GDAL's drivers and PROJ keep process-lifetime caches.
export ASAN_OPTIONS=detect_leaks=1
export LSAN_OPTIONS=suppressions=$(pwd)/tests/lsan.supp
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure -j2)
