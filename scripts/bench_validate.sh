#!/bin/sh
# Benchmark: `gridsmith validate` on the 1,000,000-household city.
# Generates the city once under $GS_BENCH_DIR (default /tmp/gs_city_1m),
# then prints wall time and peak memory per phase (read, index, analyse,
# write) and for the whole process. Target: < 5 s and < 1 GiB on 2 cores.
set -eu
cd "$(dirname "$0")/.."
dir=${GS_BENCH_DIR:-/tmp/gs_city_1m}
threads=${GS_THREADS:-2}
./scripts/deps.sh build
./scripts/build.sh build >/dev/null
if [ ! -f "$dir/city.gpkg" ]; then
    echo "generating the 1,000,000-household city in $dir (once)..." >&2
    /usr/bin/python3 scripts/gen_city.py --households 1000000 --out "$dir" \
        --no-traces
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
/usr/bin/time -f '%e %M' -o "$out/time" ./build/gridsmith validate \
    --communities "$dir/city.gpkg" --grids "$dir/city.gpkg" \
    --households "$dir/city.gpkg" --members "$dir/members.csv" \
    -o "$out/validate.gpkg" --json --threads "$threads" > "$out/report.json"
/usr/bin/python3 - "$out/report.json" "$out/time" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
wall, rss_kb = open(sys.argv[2]).read().split()
print("validate, %d households, %d grids, %d communities" %
      (r["households"], r["grids"], r["communities"]))
print("%-10s %10s %14s" % ("phase", "wall s", "peak RSS MiB"))
for p in r["phases"]:
    print("%-10s %10.2f %14.0f" % (p["phase"], p["wall_s"], p["peak_rss_mb"]))
print("%-10s %10.2f %14.0f" % ("process", float(wall), int(rss_kb) / 1024))
print("violations %d, issues %d" % (r["violations"], r["issues"]))
PY
