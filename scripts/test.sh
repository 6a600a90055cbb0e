#!/bin/sh
# Installs what is missing, builds, and runs every test twice: a plain
# build, then one with AddressSanitizer and UndefinedBehaviorSanitizer;
# then valgrind memcheck over the plain test build and a short fuzzing run of
# every parser. A throwaway PostgreSQL + PostGIS server
# (scripts/pg_scratch.sh, unix socket only) serves the tests labelled
# "postgis" and is stopped at the end, also when a test fails.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh test
./scripts/check_format.sh
# The tests' builds compile in the test hooks (crash points, allocation
# failures), which a user's build (build/, scripts/demo.sh) leaves out.
./scripts/build.sh build-test -DGS_TEST_HOOKS=ON -DGS_WERROR=ON
pgdir=$(mktemp -d /tmp/gs_test_pg.XXXXXX)
trap './scripts/pg_scratch.sh stop "$pgdir"' EXIT INT TERM
GS_TEST_PG=$(./scripts/pg_scratch.sh start "$pgdir")
export GS_TEST_PG
(cd build-test && ctest --output-on-failure -j2)
./scripts/build.sh build-asan -DGS_SANITIZE=ON -DGS_TEST_HOOKS=ON \
    -DGS_WERROR=ON
# LeakSanitizer: GDAL's drivers and PROJ keep process-lifetime caches.
export ASAN_OPTIONS=detect_leaks=1
export LSAN_OPTIONS=suppressions=$(pwd)/tests/lsan.supp
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure -j2)
# valgrind memcheck: unit tests, fuzz seeds and CLI runs, a few minutes
# (77: valgrind missing, skipped with a message).
rc=0
./scripts/valgrind.sh build-test || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || exit "$rc"
# A few seconds of libFuzzer on every parser (scripts/fuzz.sh; 77: clang
# or libFuzzer missing, skipped with a message). Longer runs: fuzz.sh 600.
rc=0
./scripts/fuzz.sh 3 || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || exit "$rc"
