#!/bin/sh
# Benchmark: `gridsmith partition` on the 1,000,000-household city.
# Generates the city once under $GS_BENCH_DIR (default /tmp/gs_city_1m),
# and its building footprints (scripts/city_footprints.py: a 10 x 9 m
# footprint per building, its households spread over it), then divides
# it twice with the footprints given: with all its barriers, and with a
# sparser road network (about 40 % of the barrier lines kept), where
# roads alone do not give the sizes and the engine has to cut blocks. For
# each it prints wall time, CPU time (user + system) and peak memory of
# the process and per phase, the communities, feasible communities and
# compliance, grids, median Polsby-Popper, the share of grid boundary
# within 1 m of a barrier, grids straddling a major barrier, and
# `validate`'s counts on the output (overlap, gap, outside_community,
# multipart, community_mismatch, undersize, oversize), checked against
# the households the partition itself counted.
# Environment: GS_BENCH_DIR, GS_THREADS (2), GS_BUILD_DIR (build).
set -eu
cd "$(dirname "$0")/.."
dir=${GS_BENCH_DIR:-/tmp/gs_city_1m}
threads=${GS_THREADS:-2}
build=${GS_BUILD_DIR:-build}
./scripts/deps.sh build
./scripts/build.sh "$build" >/dev/null
if [ ! -f "$dir/city.gpkg" ]; then
    echo "generating the 1,000,000-household city in $dir (once)..." >&2
    /usr/bin/python3 scripts/gen_city.py --households 1000000 --out "$dir" \
        --no-traces
fi
if [ ! -f "$dir/footprints.gpkg" ]; then
    echo "building footprints in $dir (once)..." >&2
    /usr/bin/python3 scripts/city_footprints.py "$dir/city.gpkg" \
        "$dir/footprints.tmp.gpkg" && \
        mv "$dir/footprints.tmp.gpkg" "$dir/footprints.gpkg"
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# The sparse network: a deterministic ~40 % of the barrier lines.
ogr2ogr -f GPKG "$out/sparse.gpkg" "$dir/city.gpkg" -nln barriers \
    -dialect SQLite \
    -sql "select * from barriers where (fid * 7919) % 10 < 4"

bench() { # name barriers-source
    name=$1
    barriers=$2
    /usr/bin/time -f '%e %M %U %S' -o "$out/$name.time" ./"$build"/gridsmith \
        partition --communities "$dir/city.gpkg" \
        --households "$dir/footprints.gpkg" \
        --buildings "$dir/footprints.gpkg" --barriers "$barriers" \
        -o "$out/$name.gpkg" --json --threads "$threads" \
        > "$out/$name.json" 2> "$out/$name.err"
    ./"$build"/gridsmith validate --communities "$dir/city.gpkg" \
        --grids "$out/$name.gpkg" --households "$dir/footprints.gpkg" \
        -o "$out/$name.validate.gpkg" --json --threads "$threads" \
        > "$out/$name.validate.json" || {
        st=$?
        # 1 is findings with --strict only; anything else is a failure.
        echo "validate exit $st on $name" >&2
        exit "$st"
    }
    nb=$(ogrinfo -ro -q -sql "select count(*) from barriers" "$barriers" |
        sed -n 's/.*= *\([0-9][0-9]*\)$/\1/p' | tail -1)
    /usr/bin/python3 - "$name" "$nb" "$out/$name.json" "$out/$name.time" \
        "$out/$name.validate.json" "$out/$name.gpkg" \
        "$out/$name.validate.gpkg" <<'PY'
import json, sys
from osgeo import ogr
name, nb, rep, tm, val, pgpkg, vgpkg = sys.argv[1:]
r = json.load(open(rep))
wall, rss_kb, user, syst = open(tm).read().split()
v = json.load(open(val))["by_kind"]
print("== partition, %s (%s barrier lines): %d households" %
      (name, nb, r["households"]))
print("%-10s %10s %14s" % ("phase", "wall s", "peak RSS MiB"))
for p in r["phases"]:
    print("%-10s %10.2f %14.0f" % (p["phase"], p["wall_s"], p["peak_rss_mb"]))
print("%-10s %10.2f %14.0f" % ("process", float(wall), int(rss_kb) / 1024))
print("CPU time %.2f s (user %.2f, system %.2f) for %.2f s wall" %
      (float(user) + float(syst), float(user), float(syst), float(wall)))
print("communities %d, feasible %d, feasible and compliant %d (%s)" %
      (r["communities"], r["feasible_communities"], r["feasible_compliant"],
       "%.1f %%" % r["compliance_pct"] if r["compliance_pct"] is not None
       else "no feasible community"))
print("grids %d, compliant %d; median Polsby-Popper %.3f; boundary within "
      "%g m of a barrier %.1f %%; straddling a major barrier %d; unplaced "
      "households %d" %
      (r["grids"], r["compliant_grids"], r["median_polsby_popper"] or 0.0,
       r["barrier_tolerance_m"], 100.0 * (r["barrier_share"] or 0.0),
       r["straddling_grids"], r.get("unplaced_households", 0)))
# validate's count of each grid against the partition's own
pds = ogr.Open(pgpkg)
mine = {f["grid_code"]: (f["households"], f["status"])
        for f in pds.GetLayerByName("grids")}
vds = ogr.Open(vgpkg)
differ = named = 0
for f in vds.GetLayerByName("grids"):
    hh, st = mine[f["grid_code"]]
    differ += f["households"] != hh
    kinds = set((f["issues"] or "").split(";"))
    if kinds & {"undersize", "oversize"} and st == "ok":
        named += 1
print("validate and partition: %d grids counted differently, %d undersize "
      "or oversize grids partition called ok" % (differ, named))
print("validate: overlap %d, gap %d, outside_community %d, multipart %d, "
      "community_mismatch %d, undersize %d, oversize %d" %
      (v["overlap"], v["gap"], v["outside_community"], v["multipart"],
       v["community_mismatch"], v["undersize"], v["oversize"]))
PY
}

bench all-barriers "$dir/city.gpkg"
bench sparse-roads "$out/sparse.gpkg"
