#!/bin/sh
# Installs what is missing, builds, and runs the tests.
#
#   scripts/test.sh          the developer's loop (a few minutes on 2 cores)
#   scripts/test.sh --full   everything; what CI runs (.ci/run)
#
# Both: the clang-format check; a plain build with the test hooks and
# -Werror, where every test runs; a build with AddressSanitizer and
# UndefinedBehaviorSanitizer, where every test that runs the engine runs
# again; valgrind memcheck. Each configuration is built once.
#
# The loop leaves out of the sanitized run the checks that look at files
# rather than at the engine's memory (docs, QGIS, install, file circles)
# and the few long runs whose code paths the other tests cover (QUICK_SKIP
# below), and runs valgrind on a selected set (scripts/valgrind.sh
# --quick). --full runs the whole suite sanitized, valgrind over every
# unit test, fuzz replay and CLI run, and 60 seconds of libFuzzer on every
# parser (scripts/fuzz.sh).
#
# A throwaway PostgreSQL + PostGIS server (scripts/pg_scratch.sh, unix
# socket only) serves the tests labelled "postgis" and is stopped at the
# end, also when a test fails.
set -eu
cd "$(dirname "$0")/.."
full=0
case "${1:-}" in
--full) full=1 ;;
"") ;;
*)
    echo "usage: scripts/test.sh [--full]" >&2
    exit 2
    ;;
esac
jobs=$(nproc)
# The tests read the English messages (cli_i18n sets its own languages),
# whatever the developer's locale is.
export LC_ALL=C.UTF-8
unset LANGUAGE
# Not sanitized in the loop: file checks, and long runs covered elsewhere.
QUICK_SKIP='^(docs_.*|no_file_circles|install|qgis_.*|shards|determinism|taipei_partition|patrol_independent)$'

./scripts/deps.sh test
./scripts/check_format.sh
# The tests' builds compile in the test hooks (crash points, allocation
# failures), which a user's build (build/, scripts/demo.sh) leaves out.
./scripts/build.sh build-test -DGS_TEST_HOOKS=ON -DGS_WERROR=ON
./scripts/build.sh build-asan -DGS_SANITIZE=ON -DGS_TEST_HOOKS=ON \
    -DGS_WERROR=ON
pgdir=$(mktemp -d /tmp/gs_test_pg.XXXXXX)
trap './scripts/pg_scratch.sh stop "$pgdir"' EXIT INT TERM
GS_TEST_PG=$(./scripts/pg_scratch.sh start "$pgdir")
export GS_TEST_PG

(cd build-test && ctest --output-on-failure -j"$jobs")

# LeakSanitizer: GDAL's drivers and PROJ keep process-lifetime caches.
if [ "$full" -eq 1 ]; then skip='^$'; else skip=$QUICK_SKIP; fi
(
    export ASAN_OPTIONS=detect_leaks=1
    export LSAN_OPTIONS=suppressions=$(pwd)/tests/lsan.supp
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    cd build-asan && ctest --output-on-failure -j"$jobs" -E "$skip"
)

# valgrind memcheck (77: valgrind missing, skipped with a message).
rc=0
if [ "$full" -eq 1 ]; then
    ./scripts/valgrind.sh build-test || rc=$?
else
    ./scripts/valgrind.sh --quick build-test || rc=$?
fi
[ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || exit "$rc"

# libFuzzer on every parser (77: clang or libFuzzer missing, skipped with
# a message). Each past crash is also replayed by ctest in every build.
if [ "$full" -eq 1 ]; then
    rc=0
    ./scripts/fuzz.sh 60 || rc=$?
    [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || exit "$rc"
fi
echo "test.sh: all passed" >&2
