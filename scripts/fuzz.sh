#!/bin/sh
# Builds the libFuzzer targets (clang, -fsanitize=fuzzer,address,undefined)
# into build-fuzz/ and runs each for a bounded time.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 60); TARGETs default to all of them (names
# as in tests/fuzz/CMakeLists.txt: traces_csv, time, validate...). Each
# run starts from tests/fuzz/seeds/TARGET and tests/fuzz/regress/TARGET and
# keeps what it learns in build-fuzz/corpus/TARGET (not committed). A crash
# leaves its input in build-fuzz/artifacts/TARGET/; after fixing the bug,
# copy that file into tests/fuzz/regress/TARGET/, where ctest replays it in
# every build. Exits 1 when any target found a crash, 77 when clang or the
# libFuzzer runtime is missing (scripts/deps.sh test installs them).
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-"traces_csv traces_gpx time config job fields coord validate gpkg"}

if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz: clang not found; skipped (scripts/deps.sh test installs it)" >&2
    exit 77
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) {
    (void)d; (void)n; return 0; }' >"$probe/p.c"
if ! clang -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" \
        2>/dev/null; then
    echo "fuzz: clang cannot link libFuzzer; skipped (libclang-rt-14-dev)" >&2
    exit 77
fi

CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DGS_FUZZ=ON >/dev/null
# Two cores at most: the machine is shared.
cmake --build build-fuzz -j2 >/dev/null

# Use after return too: a pointer to a dead stack frame that outlives an
# inlined scope is all the default mode catches.
export ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1
export LSAN_OPTIONS=suppressions=$(pwd)/tests/lsan.supp
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The targets write their inputs to files (the readers take paths); keep
# that off the disk when there is a RAM disk.
[ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm

failed=""
for t in $targets; do
    corpus=build-fuzz/corpus/$t
    art=build-fuzz/artifacts/$t
    mkdir -p "$corpus" "$art"
    dirs="$corpus tests/fuzz/seeds/$t"
    [ -d "tests/fuzz/regress/$t" ] && dirs="$dirs tests/fuzz/regress/$t"
    echo "fuzz: $t for ${secs}s" >&2
    # shellcheck disable=SC2086
    if ! build-fuzz/tests/fuzz/fuzz_$t -max_total_time="$secs" -timeout=20 \
            -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="$art/" $dirs >"build-fuzz/fuzz_$t.log" 2>&1
    then
        echo "fuzz: $t FAILED; see build-fuzz/fuzz_$t.log and $art/" >&2
        failed="$failed $t"
    fi
    grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" \
        "build-fuzz/fuzz_$t.log" | tail -2 >&2 || true
done
if [ -n "$failed" ]; then
    echo "fuzz: crashes in:$failed" >&2
    exit 1
fi
echo "fuzz: no crash in $secs s per target" >&2
