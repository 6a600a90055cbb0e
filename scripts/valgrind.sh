#!/bin/sh
# Runs the C unit tests, the fuzz targets over their seeds and regression
# inputs, and a few CLI runs (validate on tests/data/mini, an input that
# fails, a small patrol) under valgrind memcheck, on the plain build in
# build/ (valgrind cannot run AddressSanitizer binaries).
#
#   scripts/valgrind.sh [--quick] [BUILD_DIR]
#
# --quick (what scripts/test.sh runs): the unit tests and the CLI runs;
# without it (scripts/test.sh --full) also every fuzz target's seeds and
# regression inputs. The allocation-failure loop (test_alloc_fail), which
# reruns whole commands once per allocation, is left to the sanitized
# build, where every run of scripts/test.sh runs it: under valgrind it
# would take most of an hour.
#
# Fails on any memory error and on definite or indirect leaks; memory
# that GDAL, PROJ, ICU and SQLite keep for the life of the process is
# "still reachable" and not counted. Exits 77 when valgrind is missing
# (scripts/deps.sh test installs it). Takes a few minutes.
set -eu
cd "$(dirname "$0")/.."
quick=0
if [ "${1:-}" = --quick ]; then
    quick=1
    shift
fi
dir=${1:-build}
if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind: not installed; skipped (scripts/deps.sh test)" >&2
    exit 77
fi
./scripts/build.sh "$dir"

log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
failed=""
elapsed() { echo $(($(date +%s) - start)); }
vg() {
    name=$1
    shift
    start=$(date +%s)
    if valgrind --tool=memcheck --leak-check=full \
            --errors-for-leak-kinds=definite,indirect \
            --show-leak-kinds=definite,indirect --error-exitcode=99 \
            --num-callers=30 -q "$@" >"$log/$name.out" 2>"$log/$name.err"
    then
        echo "valgrind: $name ok ($(elapsed)s)" >&2
    else
        rc=$?
        # 99 is ours: valgrind found something. Anything else is the
        # program's own exit status, which the callers below expect.
        if [ "$rc" -eq 99 ] || [ "${expect_rc:-0}" -ne "$rc" ]; then
            echo "valgrind: $name FAILED (status $rc)" >&2
            cat "$log/$name.err" >&2
            failed="$failed $name"
        else
            echo "valgrind: $name ok (status $rc, as expected)" >&2
        fi
    fi
}

for t in "$dir"/tests/unit/test_*; do
    [ -x "$t" ] || continue
    [ "${t##*/}" != test_alloc_fail ] || continue
    vg "$(basename "$t")" "$t"
done
for t in "$dir"/tests/fuzz/replay_*; do
    [ "$quick" -eq 0 ] || break
    name=${t##*/replay_}
    vg "fuzz_$name" "$t" "tests/fuzz/seeds/$name" "tests/fuzz/regress/$name"
done

mini=tests/data/mini
vg cli_validate "$dir/gridsmith" validate --communities \
    "$mini/communities.geojson" --grids "$mini/grids.geojson" \
    --households "$mini/households.geojson" --members "$mini/members.csv" \
    --rules "$mini/rules.ini" -o "$log/validate.gpkg" --json
expect_rc=3 vg cli_validate_bad_input "$dir/gridsmith" validate \
    --communities "$mini/communities.geojson" --grids "$mini/missing.geojson" \
    --households "$mini/households.geojson" -o "$log/bad.gpkg"
# A small patrol: the demo grids and the first 2,000 fixes of its traces.
head -n 2001 datasets/demo/traces.csv >"$log/traces.csv"
vg cli_patrol "$dir/gridsmith" patrol --grids datasets/demo/city.gpkg \
    --members datasets/demo/members.csv --traces "$log/traces.csv" \
    --week 2026-W47 -o "$log/patrol.gpkg"

if [ -n "$failed" ]; then
    echo "valgrind: failed:$failed" >&2
    exit 1
fi
echo "valgrind: no memory errors, no leaks" >&2
