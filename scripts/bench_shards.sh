#!/bin/sh
# Benchmark of the scale-out: a province in miniature in PostGIS, the weekly
# analyses as district shards with GNU parallel, all writing into one
# database.
#
#   scripts/bench_shards.sh [--cities N] [--jobs J] [--pg CONNECTION]
#                           [--keep] [--reuse]
#
#   --cities N   districts of 1,000,000 households each (default 10: 10
#                million households, ~25,000 grids, ~110 million fixes)
#   --jobs J     shards at once on this machine (default 2)
#   --pg CONN    use this PostGIS database ("PG:dbname=... host=...")
#                instead of a throwaway server (scripts/pg_scratch.sh)
#   --keep       keep the throwaway server and print its connection
#   --reuse      with --pg: keep the districts an earlier run made there
#                (schema prov with N cities) and go straight to step 3
#   --load-only  stop after step 2 (with --pg, for a later --reuse)
#
# 1. Generates the 1,000,000-household city (scripts/gen_city.py, one week
#    of 11 million GPS fixes for its 2,525 members) and 100,000 events over
#    12 weeks (scripts/gen_events.py) once under /tmp, shared with the other
#    benchmarks.
# 2. Loads them into PostGIS (ogr2ogr with COPY; psql \copy for the CSVs)
#    and makes N districts of them in schema `prov`: city k gets district
#    code DISTRICTS[k] (the first is the original 110108), ids prefixed,
#    and is moved 0.15 degrees north per k, so districts do not overlap.
#    Indexes: GiST on every geometry, btree on the codes and member ids.
# 3. Runs the weekly job (gridsmith run: validate, patrol, hotspots, the
#    ledger) for the week 2026-W47 as N shards (scripts/shards.sh, GNU
#    parallel --jobs J), reading from `prov` and writing into one
#    database: stages into bench_validate, bench_patrol and
#    bench_hotspots_<district>, the ledger into schema bench. Then
#    `gridsmith hotspots --merge` makes the province's hot spots
#    (bench_hotspots) from the shards' outputs.
# 4. Runs the same job once on the original files of district 110108 and
#    checks the shard's rows of the PostGIS ledger (and the merged hot
#    spots' counts) equal that single run.
# 5. Prints wall times, rows written, per-shard cost, a shard's cost over
#    its district's single run from files, and the projected wall time for
#    a province (100 districts of 1,000,000 households) on M machines.
#    scripts/bench_pg.sh compares one district from PostGIS and from files
#    per command (validate, patrol, the weekly job), CPU of client and
#    server included.
set -eu
cd "$(dirname "$0")/.."
cities=10
jobs=2
pg=""
keep=0
reuse=0
load_only=0
while [ $# -gt 0 ]; do
    case $1 in
        --cities) cities=$2; shift 2 ;;
        --jobs) jobs=$2; shift 2 ;;
        --pg) pg=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        --reuse) reuse=1; shift ;;
        --load-only) load_only=1; shift ;;
        *) echo "usage: $0 [--cities N] [--jobs J] [--pg CONN] [--keep]" \
               "[--reuse] [--load-only]" >&2
           exit 2 ;;
    esac
done
if [ "$cities" -lt 1 ] || [ "$cities" -gt 10 ]; then
    echo "bench_shards.sh: --cities takes 1 to 10" >&2
    exit 2
fi
city=${GS_BENCH_DIR:-/tmp/gs_city_1m}
events=${GS_BENCH_EVENTS:-/tmp/gs_hotspots_bench/events.gpkg}
build=${GS_BUILD_DIR:-build}
bin=$(pwd)/$build/gridsmith
./scripts/deps.sh test
./scripts/build.sh "$build" >/dev/null

now() { date +%s.%N; }
since() { echo "$(now) $1" | awk '{printf "%.1f", $1 - $2}'; }

t0=$(now)
./scripts/bench_data.sh "$city" "$events"
t_gen=$(since "$t0")

tmp=$(mktemp -d /tmp/gs_bench_shards.XXXXXX)
pgdir=""
cleanup() {
    if [ -n "$pgdir" ] && [ "$keep" -eq 0 ]; then
        ./scripts/pg_scratch.sh stop "$pgdir"
    elif [ -n "$pgdir" ]; then
        echo "kept the server: $pg (stop it with: scripts/pg_scratch.sh" \
            "stop $pgdir)" >&2
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
if [ -z "$pg" ]; then
    pgdir=$(mktemp -d /tmp/gs_bench_shards_pg.XXXXXX)
    pg=$(PG_SCRATCH_OPTS="-c shared_buffers=1GB -c maintenance_work_mem=1GB \
-c max_wal_size=8GB -c wal_level=minimal -c max_wal_senders=0 \
-c work_mem=64MB" ./scripts/pg_scratch.sh start "$pgdir")
fi
# libpq's keywords from the OGR connection string, for psql.
conninfo=${pg#PG:}
psql_() { psql -X -q -v ON_ERROR_STOP=1 "$conninfo" "$@"; }

have=0
if [ "$reuse" -eq 1 ]; then
    have=$(psql_ -At -c "SELECT count(*) FROM prov.cities" 2>/dev/null ||
        echo 0)
fi
t_load=0
t_make=0
if [ "$have" -ne "$cities" ]; then
echo "== loading the city into PostGIS and making $cities districts" >&2
t0=$(now)
psql_ -c "DROP SCHEMA IF EXISTS stage CASCADE; CREATE SCHEMA stage;
          DROP SCHEMA IF EXISTS prov CASCADE; CREATE SCHEMA prov;"
PG_USE_COPY=YES ogr2ogr -f PostgreSQL "$pg" "$city/city.gpkg" \
    communities grids households -lco SCHEMA=stage -lco GEOMETRY_NAME=geom \
    -lco SPATIAL_INDEX=NONE -lco FID=fid
PG_USE_COPY=YES ogr2ogr -f PostgreSQL "$pg" "$events" events \
    -lco SCHEMA=stage -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=NONE \
    -lco FID=fid
psql_ -c "CREATE TABLE stage.members (member_id text, grid_code text,
                                       name text);
          CREATE TABLE stage.traces (member_id text, time text, lon text,
                                      lat text, accuracy_m text);"
psql_ -c "\\copy stage.members FROM '$city/members.csv' CSV HEADER"
psql_ -c "\\copy stage.traces FROM '$city/traces.csv' CSV HEADER"
t_load=$(since "$t0")

t0=$(now)
districts="110108 110101 110102 110105 110106 110107 110109 110111 110112 110113"
values=""
k=0
for d in $districts; do
    [ "$k" -lt "$cities" ] || break
    values="$values${values:+,}($k, '$d', $k * 0.15, '$(
        [ "$k" -eq 0 ] || printf 'C%d-' "$k")')"
    k=$((k + 1))
done
psql_ <<SQL
CREATE TABLE prov.cities (k int, district text, dy float8, idp text);
INSERT INTO prov.cities VALUES $values;
-- A code of city k: its district instead of 110108; a code that does not
-- start with 110108 (a planted bad or unknown code) stays unique per city
-- and still bad. City 0 keeps its codes.
CREATE FUNCTION prov.recode(code text, k int, district text) RETURNS text
  LANGUAGE sql IMMUTABLE AS \$\$
    SELECT CASE WHEN k = 0 OR code IS NULL OR code = '' THEN code
                WHEN left(code, 6) = '110108' THEN district || substr(code, 7)
                ELSE code || '-' || k END \$\$;
CREATE TABLE prov.communities AS
  SELECT prov.recode(s.community_code, c.k, c.district) AS community_code,
         s.name,
         ST_Translate(s.geom, 0, c.dy)::geometry(Polygon, 4490) AS geom
    FROM prov.cities c, stage.communities s ORDER BY c.k, s.fid;
CREATE TABLE prov.grids AS
  SELECT prov.recode(s.grid_code, c.k, c.district) AS grid_code,
         prov.recode(s.community_code, c.k, c.district) AS community_code,
         s.grid_type, s.name,
         ST_Translate(s.geom, 0, c.dy)::geometry(MultiPolygon, 4490) AS geom
    FROM prov.cities c, stage.grids s ORDER BY c.k, s.fid;
CREATE TABLE prov.households AS
  SELECT c.idp || s.household_id AS household_id, s.persons,
         c.idp || s.building_id AS building_id, s.care_type,
         ST_Translate(s.geom, 0, c.dy)::geometry(Point, 4490) AS geom
    FROM prov.cities c, stage.households s ORDER BY c.k, s.fid;
CREATE TABLE prov.events AS
  SELECT c.idp || s.event_id AS event_id, s.category, s.reported_at,
         s.resolved_at, s.status,
         prov.recode(s.grid_code, c.k, c.district) AS grid_code,
         ST_Translate(s.geom, 0, c.dy)::geometry(Point, 4490) AS geom
    FROM prov.cities c, stage.events s ORDER BY c.k, s.fid;
CREATE TABLE prov.members AS
  SELECT c.idp || s.member_id AS member_id,
         prov.recode(s.grid_code, c.k, c.district) AS grid_code, s.name
    FROM prov.cities c, stage.members s ORDER BY c.k;
CREATE TABLE prov.traces (member_id text, time text, accuracy_m float8,
                          geom geometry(Point, 4326));
SQL
# One statement per district, so each district's fixes lie together on
# disk and a shard's index scan reads only its own pages. A coordinate
# that is not a number becomes no geometry (a bad row, as in the CSV).
for k in $(seq 0 $((cities - 1))); do
    psql_ -c "INSERT INTO prov.traces
      SELECT c.idp || s.member_id, s.time,
             CASE WHEN s.accuracy_m ~ '^[0-9.]+\$' THEN s.accuracy_m::float8
             END,
             CASE WHEN s.lon ~ '^-?[0-9]+(\\.[0-9]+)?\$' AND
                       s.lat ~ '^-?[0-9]+(\\.[0-9]+)?\$'
                  THEN ST_SetSRID(ST_MakePoint(s.lon::float8,
                                               s.lat::float8 + c.dy), 4326)
             END
        FROM prov.cities c, stage.traces s WHERE c.k = $k"
done
psql_ <<SQL
ALTER TABLE prov.communities ADD COLUMN fid serial PRIMARY KEY;
ALTER TABLE prov.grids ADD COLUMN fid serial PRIMARY KEY;
ALTER TABLE prov.households ADD COLUMN fid serial PRIMARY KEY;
ALTER TABLE prov.events ADD COLUMN fid serial PRIMARY KEY;
CREATE INDEX ON prov.communities USING gist (geom);
CREATE INDEX ON prov.grids USING gist (geom);
CREATE INDEX ON prov.households USING gist (geom);
CREATE INDEX ON prov.events USING gist (geom);
CREATE INDEX ON prov.communities (community_code text_pattern_ops);
CREATE INDEX ON prov.grids (community_code text_pattern_ops);
CREATE INDEX ON prov.members (grid_code text_pattern_ops);
CREATE INDEX ON prov.traces (member_id);
ANALYZE;
DROP SCHEMA stage CASCADE;
SQL
t_make=$(since "$t0")
fi
if [ "$load_only" -eq 1 ]; then
    echo "loaded $cities districts into schema prov (load $t_load s," \
        "districts and indexes $t_make s)"
    exit 0
fi
counts=$(psql_ -At -F' ' -c "SELECT (SELECT count(*) FROM prov.households),
    (SELECT count(*) FROM prov.grids), (SELECT count(*) FROM prov.members),
    (SELECT count(*) FROM prov.traces), (SELECT count(*) FROM prov.events)")

src="$pg active_schema=prov"
shards=$(./scripts/shards.sh --list-from "$src" --list | tr '\n' ' ')
echo "== shards: $shards" >&2
# Each shard's CPU time (user + system) besides its wall time: on a
# shared machine wall time also counts waiting for a core.
cat > "$tmp/timed" <<TIMED
#!/bin/sh
for a; do shard=\$a; done
exec /usr/bin/time -a -o "$tmp/cpu" -f "\$1 \$shard %U %S %e" "$bin" "\$@"
TIMED
chmod +x "$tmp/timed"
# The weekly job, every input from schema prov; the calendar is a file.
cat > "$tmp/job.ini" <<JOB
[inputs]
communities = $src
grids = $src
households = $src
members = $src
traces = $src
events = $src
calendar = $city/calendar.csv
[run]
week = 2026-W47
JOB
psql_ -c "DROP SCHEMA IF EXISTS bench CASCADE;
          DROP SCHEMA IF EXISTS bench_validate CASCADE;
          DROP SCHEMA IF EXISTS bench_patrol CASCADE;
          DROP SCHEMA IF EXISTS bench_hotspots CASCADE;" 2>/dev/null
for d in $shards; do
    psql_ -c "DROP SCHEMA IF EXISTS bench_hotspots_$d CASCADE" 2>/dev/null
done
echo "== the weekly job as shards ($jobs at a time)" >&2
t0=$(now)
./scripts/shards.sh --shards "$shards" --jobs "$jobs" \
    --gridsmith "$tmp/timed" --joblog "$tmp/run.joblog" \
    --results "$tmp/run.results" -- \
    run "$tmp/job.ini" -o "$pg" --schema bench --json --quiet \
    --threads 1 >/dev/null
t_run=$(since "$t0")
# Hot spots of the whole province from the shards' outputs (the statistics
# over all grids and hexagons: docs/design.md, Shards and PostGIS outputs).
t_merge=0
if "$bin" hotspots --help | grep -q -- "--merge"; then
    echo "== hotspots --merge of the shards" >&2
    t0=$(now)
    set --
    for d in $shards; do set -- "$@" --merge "bench_hotspots_$d"; done
    "$bin" hotspots "$@" -o "$pg" --schema bench_hotspots --quiet
    t_merge=$(since "$t0")
fi

echo "== the single run of district 110108 from its original files" >&2
mkdir -p "$tmp/single"
./scripts/bench_data.sh "$city" "$events" "$tmp/single/job.ini"
t0=$(now)
"$bin" run "$tmp/single/job.ini" --quiet
t_single=$(since "$t0")

/usr/bin/python3 - "$pg" "$tmp" "$cities" "$jobs" "$counts" \
    "$t_gen" "$t_load" "$t_make" "$t_run" "$t_merge" "$t_single" <<'PY'
import collections, glob, json, math, os, re, sys
from osgeo import gdal
gdal.UseExceptions()
pg, tmp, cities, jobs, counts = sys.argv[1:6]
cities, jobs = int(cities), int(jobs)
t_gen, t_load, t_make, t_run, t_merge, t_single = map(float, sys.argv[6:12])
hh, grids, members, fixes, events = map(int, counts.split())

# Provenance in a message (a CSV line, a feature number) names where the
# input came from: the files here, the PostGIS tables in the shard.
WHERE = re.compile(r"\((roster )?line \d+\)|feature \d+")

def rows(src, layer, fields, where=None):
    ds = gdal.OpenEx(src, gdal.OF_VECTOR)
    lyr = ds.GetLayerByName(layer)
    if where:
        lyr.SetAttributeFilter(where)
    c = collections.Counter()
    for f in lyr:
        vals = [f.GetField(n) for n in fields]
        vals = [round(v, 6) if isinstance(v, float) else
                WHERE.sub("(where)", v) if isinstance(v, str) else v
                for v in vals]
        c[tuple(vals)] += 1
    del ds
    return c

# The ledger of the single run (a GeoPackage) against the shard's rows of
# the PostGIS ledger: what the street office reads back.
ledger = os.path.join(tmp, "single", "out", "ledger.gpkg")
checks = [
    ("grid_status", ["week", "grid_code", "community_code", "households",
                     "persons", "members", "area_m2", "status", "issues"]),
    ("member_day", ["week", "member_id", "grid_code", "date", "fixes",
                    "tracked_s", "in_grid_s", "in_grid_tolerant_s",
                    "daily_ok"]),
    ("member_week", ["week", "member_id", "grid_code", "in_grid_tolerant_s",
                     "coverage_pct", "households_reached", "compliant",
                     "note"]),
    ("grid_events", ["week", "grid_code", "community_code", "events", "open",
                     "overdue", "events_per_km2"]),
]
ok = True
print("check: district 110108's rows in the PostGIS ledger vs its single run")
for table, fields in checks:
    try:
        want = rows(ledger, table, fields)
        got = rows(pg, "bench." + table, fields, "shard = '110108'")
        same = want == got and sum(want.values()) > 0
    except Exception as e:  # a missing field or table is a failure
        same, want, got = False, {}, {}
        print("  %s: %s" % (table, e))
    ok &= same
    print("  %-12s %8d rows  %s" % (table, sum(want.values()),
                                    "identical" if same else "DIFFERENT"))
    if not same and (want or got):
        for tag, d in (("only in the single run", want - got),
                       ("only in the shard", got - want)):
            for row in list(d)[:3]:
                print("      %s: %s" % (tag, row))
hs = os.path.join(tmp, "single", "out", "hotspots-2026-W47.gpkg")
if t_merge > 0:
    # The province's hot spots from the merged shards: district 110108's
    # grids get the Gi* of the province, not of its own single run, so
    # only the counts compare here (tests/test_shards.py compares the
    # statistics on a province that is one run).
    fields = ["grid_code", "events", "open", "overdue", "cat_1"]
    want = rows(hs, "grid_events", fields)
    got = rows(pg, "bench_hotspots.grid_events", fields,
               "community_code LIKE '110108%'")
    same = want == got
    ok &= same
    print("  %-12s %8d rows  %s" % ("merged hotspots grid_events",
                                    sum(want.values()),
                                    "identical" if same else "DIFFERENT"))

# Rows written, per output schema.
ds = gdal.OpenEx(pg, gdal.OF_VECTOR)
res = ds.ExecuteSQL(
    "SELECT table_schema, table_name FROM information_schema.tables "
    "WHERE table_schema LIKE 'bench%' ORDER BY 1, 2")
tables = [(f.GetField(0), f.GetField(1)) for f in res]
ds.ReleaseResultSet(res)
written = collections.Counter()
for sch, tab in tables:
    r = ds.ExecuteSQL('SELECT count(*) FROM "%s"."%s"' % (sch, tab))
    n = r.GetNextFeature().GetField(0)
    ds.ReleaseResultSet(r)
    key = sch if not sch.startswith("bench_hotspots_") else "bench_hotspots_*"
    written[key] += n
del ds

# Per-shard cost from GNU parallel's job log, and each stage's mean wall
# time and phases from the shards' JSON reports.
per = {}
for line in open(os.path.join(tmp, "run.joblog")).read().splitlines()[1:]:
    col = line.split("\t")
    per[col[-1].split()[-1]] = float(col[3])
stage_wall = collections.defaultdict(list)
phase = collections.defaultdict(list)  # (stage, phase) -> seconds
for p in glob.glob(os.path.join(tmp, "run.results", "1", "*", "stdout")):
    try:
        r = json.load(open(p))
    except ValueError:
        continue
    for st in r.get("stages", []):
        stage_wall[st["stage"]].append(st["wall_s"])
        for x in (st.get("report") or {}).get("phases", []):
            phase[(st["stage"], x["phase"])].append(x["wall_s"])

print()
print("province in miniature: %d districts, %d households, %d grids, "
      "%d members, %d GPS fixes, %d events" % (cities, hh, grids, members,
                                               fixes, events))
print("generate (once, cached)  %8.1f s" % t_gen)
print("load into PostGIS        %8.1f s" % t_load)
print("make districts, index    %8.1f s" % t_make)
print("weekly job (gridsmith run) as %d shards, %d at a time (GNU "
      "parallel): %.1f s wall" % (cities, jobs, t_run))
for stg in ("validate", "patrol", "hotspots", "ledger"):
    v = stage_wall.get(stg)
    if not v:
        continue
    parts = ", ".join("%s %.1f" % (k, sum(x) / len(x))
                      for (c, k), x in sorted(phase.items()) if c == stg)
    print("  %-9s mean per shard %6.1f s%s" % (stg, sum(v) / len(v),
                                               "  (" + parts + ")"
                                               if parts else ""))
if t_merge > 0:
    print("hotspots --merge of the %d shards: %.1f s" % (cities, t_merge))
print("single run of one district from files: %.1f s" % t_single)
print("rows written:")
for k in sorted(written):
    print("  %-22s %10d" % (k, written[k]))
print("  %-22s %10d" % ("total", sum(written.values())))
cpu = collections.defaultdict(float)
for line in open(os.path.join(tmp, "cpu")):
    f = line.split()
    if len(f) == 5:
        cpu[f[1]] += float(f[2]) + float(f[3])
costs = sorted(per.values())
mean = sum(costs) / len(costs)
print("per-shard cost (the weekly job, %d at a time on this machine): "
      "mean %.1f s, max %.1f s" % (jobs, mean, costs[-1]))
cmean = sum(cpu.values()) / max(len(cpu), 1)
print("per-shard CPU time (user + system): mean %.1f s, max %.1f s"
      % (cmean, max(cpu.values() or [0])))
prov = 100  # ~100 million households: 100 districts of 1,000,000
print("projected weekly job for a province (%d districts of 1,000,000 "
      "households), %d shards at a time per machine like this one, plus "
      "the merge:" % (prov, jobs))
print("  (as measured: wall per shard here; CPU-bound: had each shard a "
      "core of its own; the database server's own load is not modelled)")
for m in (1, 10, 25, 50, 100):
    rounds = math.ceil(prov / (m * jobs))
    t = rounds * mean + t_merge * prov / cities
    c = rounds * cmean + t_merge * prov / cities
    print("  %3d machines: %7.0f s (%5.1f min) as measured, %7.0f s "
          "(%5.1f min) CPU-bound" % (m, t, t / 60, c, c / 60))
# The same district from PostGIS (a shard) against from files (the single
# run): the time a shard costs over the time its files cost. With more
# shards than cores the shards also wait for each other: compare with
# --jobs 1, or per command with scripts/bench_pg.sh.
print("one district from PostGIS (mean shard) against from files (single "
      "run): %.2fx wall%s" % (mean / t_single,
                              "" if jobs == 1 else
                              " (%d shards at a time)" % jobs))
print("merged shard results equal the single run: %s" % ("yes" if ok else "NO"))
sys.exit(0 if ok else 1)
PY
