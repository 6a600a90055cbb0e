#!/bin/sh
# Benchmark: `gridsmith validate` on the 1,000,000-household city.
# Generates the city once under $GS_BENCH_DIR (default /tmp/gs_city_1m),
# runs $GS_BENCH_RUNS times (default 2) and prints, per run, wall time, CPU
# time and peak memory per phase and per step (scripts/bench_report.py)
# and for the whole process, with the machine's load before the run.
# Target: < 1.5 s wall and < 1 GiB on 2 cores.
#
# GS_BENCH_BEFORE=/path/to/old/gridsmith also runs that binary (once) and
# compares the layers and the report the two wrote
# (scripts/compare_layers.py): a speed-up must not change a result.
set -eu
cd "$(dirname "$0")/.."
dir=${GS_BENCH_DIR:-/tmp/gs_city_1m}
threads=${GS_THREADS:-2}
runs=${GS_BENCH_RUNS:-2}
./scripts/deps.sh build
./scripts/build.sh build >/dev/null
if [ ! -f "$dir/city.gpkg" ]; then
    echo "generating the 1,000,000-household city in $dir (once)..." >&2
    /usr/bin/python3 scripts/gen_city.py --households 1000000 --out "$dir" \
        --no-traces
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run() {  # run BINARY NAME
    /usr/bin/time -f '%e %U %S %M' -o "$out/$2.time" "$1" validate \
        --communities "$dir/city.gpkg" --grids "$dir/city.gpkg" \
        --households "$dir/city.gpkg" --members "$dir/members.csv" \
        -o "$out/$2.gpkg" --json --threads "$threads" > "$out/$2.json"
}
i=1
while [ "$i" -le "$runs" ]; do
    echo "run $i of $runs; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    run ./build/gridsmith "new$i"
    /usr/bin/python3 scripts/bench_report.py "$out/new$i.json" "$out/new$i.time"
    i=$((i + 1))
done
/usr/bin/python3 - "$out/new1.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("validate, %d households, %d grids, %d communities: "
      "%d violations, %d issues" % (r["households"], r["grids"],
                                   r["communities"], r["violations"],
                                   r["issues"]))
PY
if [ -n "${GS_BENCH_BEFORE:-}" ]; then
    echo "the binary before ($GS_BENCH_BEFORE); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    run "$GS_BENCH_BEFORE" old
    /usr/bin/python3 scripts/bench_report.py "$out/old.json" "$out/old.time"
    echo "layers and report, before and after:"
    /usr/bin/python3 scripts/compare_layers.py "$out/old.gpkg" \
        "$out/new1.gpkg" "$out/old.json" "$out/new1.json"
fi
