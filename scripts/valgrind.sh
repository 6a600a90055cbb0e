#!/bin/sh
# Runs the C unit tests, the fuzz targets over their seeds and regression
# inputs, and a few CLI runs (validate on tests/data/mini, an input that
# fails, a small patrol) under valgrind memcheck, on the plain build in
# build/ (valgrind cannot run AddressSanitizer binaries), as many at once
# as there are cores, the longest first.
#
#   scripts/valgrind.sh [--quick] [BUILD_DIR]
#
# --quick (what scripts/test.sh runs): what AddressSanitizer cannot see,
# reads of uninitialised memory, on a selected set: the fast unit tests of
# the engine's main paths (QUICK_UNITS: reading, validate, patrol,
# hotspots, assess, the writers) and the CLI runs.
# Without it (scripts/test.sh --full): every unit test and every fuzz
# target's seeds and regression inputs. The allocation-failure loop
# (test_alloc_fail), which reruns whole commands once per allocation, is
# left to the sanitized build, where every run of scripts/test.sh runs it:
# under valgrind it would take most of an hour.
#
# Fails on any memory error and on definite or indirect leaks; memory
# that GDAL, PROJ, ICU and SQLite keep for the life of the process is
# "still reachable" and not counted. Exits 77 when valgrind is missing
# (scripts/deps.sh test installs it). Takes a minute (--quick) to several.
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

# The unit tests --quick runs: each under 15 s in valgrind, together
# through every layer's main path.
QUICK_UNITS="test_traces test_io test_out test_validate test_hotspots
 test_core test_patrol test_assess"
# Run first, being the longest (the rest in any order).
LONG_FIRST="test_clip test_real_city test_api_run test_partition
 fuzz_validate fuzz_traces_gpx"

log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
mkdir "$log/jobs"
n=0
# job NAME EXPECTED_STATUS COMMAND...: one run, as a script in $log/jobs
# that leaves its verdict in $log/NAME.verdict.
job() {
    name=$1
    expect=$2
    shift 2
    n=$((n + 1))
    {
        printf 'start=$(date +%%s)\n'
        printf 'valgrind --tool=memcheck --leak-check=full'
        printf ' --errors-for-leak-kinds=definite,indirect'
        printf ' --show-leak-kinds=definite,indirect --error-exitcode=99'
        printf ' --num-callers=30 -q'
        for a in "$@"; do
            printf " '%s'" "$(printf '%s' "$a" | sed "s/'/'\\\\''/g")"
        done
        printf ' >"%s/%s.out" 2>"%s/%s.err"\n' "$log" "$name" "$log" "$name"
        printf 'rc=$?\n'
        printf 'echo "$rc $(($(date +%%s) - start))" >"%s/%s.verdict"\n' \
            "$log" "$name"
    } >"$log/jobs/$(printf '%03d' "$n")-$name.sh"
    echo "$expect" >"$log/$name.expect"
}

units=""
for t in "$dir"/tests/unit/test_*; do
    [ -x "$t" ] || continue
    name=${t##*/}
    [ "$name" != test_alloc_fail ] || continue
    if [ "$quick" -eq 1 ]; then
        case " $(echo $QUICK_UNITS) " in *" $name "*) ;; *) continue ;; esac
    fi
    units="$units $name"
done
fuzz=""
for t in "$dir"/tests/fuzz/replay_*; do
    [ "$quick" -eq 0 ] || break
    fuzz="$fuzz fuzz_${t##*/replay_}"
done
# The long ones first, then the others.
for name in $LONG_FIRST $units $fuzz; do
    case " $units $fuzz " in *" $name "*) ;; *) continue ;; esac
    [ ! -e "$log/$name.expect" ] || continue
    case $name in
    fuzz_*)
        t=${name#fuzz_}
        job "$name" 0 "$dir/tests/fuzz/replay_$t" "tests/fuzz/seeds/$t" \
            "tests/fuzz/regress/$t"
        ;;
    *) job "$name" 0 "$dir/tests/unit/$name" ;;
    esac
done

mini=tests/data/mini
job cli_validate 0 "$dir/gridsmith" validate --communities \
    "$mini/communities.geojson" --grids "$mini/grids.geojson" \
    --households "$mini/households.geojson" --members "$mini/members.csv" \
    --rules "$mini/rules.ini" -o "$log/validate.gpkg" --json
job cli_validate_bad_input 3 "$dir/gridsmith" validate \
    --communities "$mini/communities.geojson" --grids "$mini/missing.geojson" \
    --households "$mini/households.geojson" -o "$log/bad.gpkg"
# A small patrol: the demo grids and the first 2,000 fixes of its traces.
head -n 2001 datasets/demo/traces.csv >"$log/traces.csv"
job cli_patrol 0 "$dir/gridsmith" patrol --grids datasets/demo/city.gpkg \
    --members datasets/demo/members.csv --traces "$log/traces.csv" \
    --week 2026-W47 -o "$log/patrol.gpkg"

ls "$log"/jobs/*.sh | xargs -P "$(nproc)" -n 1 sh

failed=""
for j in "$log"/jobs/*.sh; do
    name=${j##*/}
    name=${name#*-}
    name=${name%.sh}
    expect=$(cat "$log/$name.expect")
    if [ -e "$log/$name.verdict" ]; then
        read -r rc secs <"$log/$name.verdict"
    else
        rc=none
        secs=?
    fi
    # 99 is ours: valgrind found something. Anything else is the
    # program's own exit status, which must be the one expected.
    if [ "$rc" = "$expect" ]; then
        if [ "$rc" -eq 0 ]; then
            echo "valgrind: $name ok (${secs}s)" >&2
        else
            echo "valgrind: $name ok (status $rc, as expected; ${secs}s)" >&2
        fi
    else
        echo "valgrind: $name FAILED (status $rc)" >&2
        cat "$log/$name.err" >&2
        failed="$failed $name"
    fi
done

if [ -n "$failed" ]; then
    echo "valgrind: failed:$failed" >&2
    exit 1
fi
echo "valgrind: no memory errors, no leaks" >&2
