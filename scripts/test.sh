#!/bin/sh
# Installs what is missing, builds, and runs the tests.
#
#   scripts/test.sh          the developer's loop (about 8 minutes on 2 cores)
#   scripts/test.sh --full   everything; what CI runs (.ci/run)
#
# Both: the clang-format check; a plain build with the test hooks and
# -Werror; a build with AddressSanitizer and UndefinedBehaviorSanitizer;
# valgrind memcheck. Each configuration is built once (incrementally: an
# existing build-test/ or build-asan/ is only brought up to date).
#
# --full (CI) runs every test in both builds, valgrind over every unit
# test, fuzz replay and CLI run, and 60 seconds of libFuzzer on every
# parser (scripts/fuzz.sh).
#
# The loop runs each test once: in the sanitized build every test that
# runs the engine, in the plain build only what the sanitized run leaves
# out (SANITIZED_SKIP: checks that look at files rather than at the
# engine's memory, and a few long runs whose code paths the other tests
# cover); valgrind on a selected set (scripts/valgrind.sh --quick) for what
# AddressSanitizer cannot see, uninitialised reads. ctest runs the longest
# tests first (their COST, then ctest's own record of the last run).
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
# Not sanitized in the loop, run plain instead: file checks; long runs
# whose code paths the other tests cover (the examples and the languages
# compare printed text, crash_safety SIGKILLs the runs it starts, where no
# sanitizer reports anything, the partitions of real places); and the
# case the sanitized build skips (a 12 MB line).
SANITIZED_SKIP='^(docs_.*|no_file_circles|install|qgis_.*|shards|determinism|taipei_partition|haidian_partition|patrol_independent|crash_safety|examples|cli_i18n|bad_input_huge_line)$'

# Each step's wall time, on stderr, to see where the loop's time goes.
t0=$(date +%s)
step() {
    t=$(date +%s)
    echo "test.sh: $1 took $((t - t0)) s" >&2
    t0=$t
}

./scripts/deps.sh test
./scripts/check_format.sh
step "deps and format"
# The tests' builds compile in the test hooks (crash points, allocation
# failures), which a user's build (build/, scripts/demo.sh) leaves out.
# Each build links some 35 executables after any change to the engine:
# lld (scripts/deps.sh test) does that in a fifth of GNU ld's time.
lld="-DCMAKE_EXE_LINKER_FLAGS= -DCMAKE_SHARED_LINKER_FLAGS="
if command -v ld.lld >/dev/null 2>&1; then
    lld="-DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld"
    lld="$lld -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld"
fi
# shellcheck disable=SC2086
./scripts/build.sh build-test -DGS_TEST_HOOKS=ON -DGS_WERROR=ON $lld
# shellcheck disable=SC2086
./scripts/build.sh build-asan -DGS_SANITIZE=ON -DGS_TEST_HOOKS=ON \
    -DGS_WERROR=ON $lld
step "builds"
pgdir=$(mktemp -d /tmp/gs_test_pg.XXXXXX)
trap './scripts/pg_scratch.sh stop "$pgdir"' EXIT INT TERM
GS_TEST_PG=$(./scripts/pg_scratch.sh start "$pgdir")
export GS_TEST_PG

# Plain: everything (--full), or what the sanitized run leaves out.
if [ "$full" -eq 1 ]; then
    (cd build-test && ctest --output-on-failure -j"$jobs")
else
    (cd build-test && ctest --output-on-failure -j"$jobs" -R "$SANITIZED_SKIP")
fi
step "plain tests"

# LeakSanitizer: GDAL's drivers and PROJ keep process-lifetime caches.
if [ "$full" -eq 1 ]; then skip='^$'; else skip=$SANITIZED_SKIP; fi
(
    export ASAN_OPTIONS=detect_leaks=1
    export LSAN_OPTIONS=suppressions=$(pwd)/tests/lsan.supp
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    cd build-asan && ctest --output-on-failure -j"$jobs" -E "$skip"
)
step "sanitized tests"

# valgrind memcheck (77: valgrind missing, skipped with a message).
rc=0
if [ "$full" -eq 1 ]; then
    ./scripts/valgrind.sh build-test || rc=$?
else
    ./scripts/valgrind.sh --quick build-test || rc=$?
fi
[ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || exit "$rc"
step valgrind

# libFuzzer on every parser (77: clang or libFuzzer missing, skipped with
# a message). Each past crash is also replayed by ctest in every build.
if [ "$full" -eq 1 ]; then
    rc=0
    ./scripts/fuzz.sh 60 || rc=$?
    [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || exit "$rc"
    step fuzzing
fi
echo "test.sh: all passed" >&2
