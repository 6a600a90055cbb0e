#!/usr/bin/python3
"""Shards and PostGIS outputs: merged shard results equal a single run.

Usage: test_shards.py GRIDSMITH_BINARY DEMO_DIR

The demo city has two streets (110108001, 110108002) whose grids meet,
overlap and leave gaps along their common edge, so each street is a shard
whose checks need the other's data (the halo). validate, patrol and
hotspots run once over the whole city and once per street; the union of
the shards' rows must equal the single run's, feature by feature
(attributes and geometry). For hotspots the shards' own rows match in the
counts of grid_events; `hotspots --merge` of the shards' outputs must then
equal the single run in every field of grid_events (cat_N, top_category,
Gi*), categories and hex_hotspots (README "Shards").

The PostGIS cases need a server: GS_TEST_PG="PG:dbname=... host=..."
(scripts/test.sh starts a throwaway one). Without it they are skipped.
The last line is "N passed, N failed".
"""
import atexit
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from osgeo import gdal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402
from cli_harness import case, expect, run  # noqa: E402

gdal.UseExceptions()

BIN = os.path.abspath(sys.argv[1])
h.BIN = BIN
DEMO = os.path.abspath(sys.argv[2])
CITY = os.path.join(DEMO, "city.gpkg")
MEMBERS = os.path.join(DEMO, "members.csv")
TRACES = os.path.join(DEMO, "traces.csv")
CALENDAR = os.path.join(DEMO, "calendar.csv")
SHARDS = ["110108001", "110108002"]
PG = os.environ.get("GS_TEST_PG", "")
TMP = tempfile.mkdtemp(prefix="gs_shards_")
atexit.register(shutil.rmtree, TMP, True)

COMMANDS = {
    "validate": ["validate", "--communities", CITY, "--grids", CITY,
                 "--households", CITY, "--members", MEMBERS],
    "patrol": ["patrol", "--grids", CITY, "--members", MEMBERS,
               "--traces", TRACES, "--households", CITY,
               "--calendar", CALENDAR, "--week", "2026-W47"],
    "partition": ["partition", "--communities", CITY, "--households", CITY],
    "hotspots": ["hotspots", "--grids", CITY, "--events", CITY,
                 "--communities", CITY, "--households", CITY,
                 "--week", "2026-W47"],
}

# The layers each command's shards partition, and the fields compared
# (None: every field but the shard key).
LAYERS = {
    "validate": {"grids": None, "issues": None, "issue_points": None},
    "partition": {"grids": None, "summary": None},
    "patrol": {"member_day": None, "member_week": None, "tracks": None,
               "gaps": None, "gps_issues": None, "uncovered": None,
               "households_unreached": None},
    "hotspots": {"grid_events": ["grid_code", "community_code", "name",
                                 "events", "open", "overdue",
                                 "households", "events_per_km2"]},
}


def gridsmith(cmd, out, *extra):
    st, so, se = run(*(COMMANDS[cmd] + ["-o", out, "--quiet"] + list(extra)))
    expect(st == 0, "%s %s: exit %d: %s" % (cmd, " ".join(extra), st, se))


def rows(path, layer, fields, where=None):
    """The layer's features as a multiset of (field values..., WKT)."""
    ds = gdal.OpenEx(path, gdal.OF_VECTOR)
    lyr = ds.GetLayerByName(layer)
    expect(lyr is not None, "%s: no layer %s" % (path, layer))
    if where:
        lyr.SetAttributeFilter(where)
    defn = lyr.GetLayerDefn()
    names = [defn.GetFieldDefn(i).GetName()
             for i in range(defn.GetFieldCount())]
    names = [n for n in names if n != "shard"] if fields is None else fields
    out = collections.Counter()
    for f in lyr:
        vals = []
        for n in names:
            v = f.GetField(n)
            vals.append(round(v, 6) if isinstance(v, float) else v)
        g = f.GetGeometryRef()
        if g is not None:
            g = g.Clone()
            g.FlattenTo2D()
            vals.append(g.Normalize().ExportToIsoWkt()
                        if hasattr(g, "Normalize") else g.ExportToIsoWkt())
        out[tuple(vals)] += 1
    del ds
    return out


def check_merged(cmd, *extra):
    tag = "-cfg" if extra else ""
    whole = os.path.join(TMP, cmd + tag + "-whole.gpkg")
    gridsmith(cmd, whole, *extra)
    parts = []
    for s in SHARDS:
        p = os.path.join(TMP, "%s%s-%s.gpkg" % (cmd, tag, s))
        gridsmith(cmd, p, "--shard", s, *extra)
        parts.append(p)
    for layer, fields in LAYERS[cmd].items():
        want = rows(whole, layer, fields)
        got = collections.Counter()
        for p in parts:
            got.update(rows(p, layer, fields))
        expect(sum(want.values()) > 0, "%s: %s is empty" % (cmd, layer))
        expect(got == want,
               "%s.%s: shards differ from the single run: missing %s, "
               "extra %s" % (cmd, layer, list((want - got).items())[:3],
                             list((got - want).items())[:3]))
    return whole, parts


@case
def validate_shards_merge_to_the_single_run():
    whole, parts = check_merged("validate")
    # Summary: the communities' rows partition; the totals add up.
    want = rows(whole, "summary", None, "community_code <> 'total'")
    got = collections.Counter()
    for p in parts:
        got.update(rows(p, "summary", None, "community_code <> 'total'"))
    expect(got == want, "validate.summary per community differs")
    tot = rows(whole, "summary", None, "community_code = 'total'")
    (t,) = tot.keys()
    sums = [0] * len(t)
    for p in parts:
        (pt,) = rows(p, "summary", None, "community_code = 'total'").keys()
        for i, v in enumerate(pt):
            if isinstance(v, int):
                sums[i] += v
    for i, v in enumerate(t):
        if isinstance(v, int):
            expect(sums[i] == v, "validate total field %d: %d != %d"
                   % (i, sums[i], v))


@case
def partition_shards_merge_to_the_single_run():
    # Each community is divided on its own (its households, the barriers
    # crossing it, a seed from its code): a street's shard divides only
    # its communities, as the single run divides them.
    whole, parts = check_merged("partition")
    for p in parts:
        codes = {k[0] for k in rows(p, "summary", ["community_code"])}
        shard = [s for s in SHARDS if s in p][0]
        expect(codes and all(c.startswith(shard) for c in codes),
               "%s: communities of other shards: %s" % (p, sorted(codes)))


@case
def patrol_shards_merge_to_the_single_run():
    check_merged("patrol")


@case
def hotspots_shard_counts_merge_to_the_single_run():
    check_merged("hotspots")


# Rules under which the demo's 22 grids get Gi* (30 units by default), so
# that merging has grid z-scores, p-values and bins to get right.
RULES = os.path.join(TMP, "rules.ini")
with open(RULES, "w") as fp:
    fp.write("[hotspots]\nmin_units = 5\n")

# The layers `hotspots --merge` makes identical to a single run: every
# field but the shard key.
MERGED = ["grid_events", "categories", "hex_hotspots"]


def merge(out, *sources, extra=()):
    args = ["hotspots", "-o", out, "--quiet", "--config", RULES]
    for s in sources:
        args += ["--merge", s]
    return run(*(args + list(extra)))


def check_same(whole, merged, label):
    for layer in MERGED:
        want = rows(whole, layer, None)
        got = rows(merged, layer, None)
        expect(sum(want.values()) > 0, "%s: %s is empty" % (label, layer))
        expect(got == want,
               "%s.%s: the merge differs from the single run: missing %s, "
               "extra %s" % (label, layer, list((want - got).items())[:2],
                             list((got - want).items())[:2]))


@case
def hotspots_merged_shards_equal_the_single_run():
    whole, parts = check_merged("hotspots", "--config", RULES)
    # The test must be able to fail: the single run has grid and hexagon
    # hot spots, and the shards on their own get them wrong.
    gi = rows(whole, "grid_events", ["gi_bin"])
    expect(sum(n for (b, _), n in gi.items() if b is not None) == 22,
           "grid Gi* not computed in the single run: %s" % gi)
    expect(any(b == 3 for (b, _) in gi), "no hot grid: %s" % gi)
    # The demo city fits in one shard's 1 km halo, so each shard's own Gi*
    # already equals the single run's; to prove the merge recomputes
    # rather than copies, it merges copies whose Gi* and top_category are
    # blanked. The categories' counts are each shard's own share.
    alone = collections.Counter()
    for p in parts:
        alone.update(rows(p, "categories", None))
    expect(alone != rows(whole, "categories", None),
           "the shards' categories already equal the single run's")
    blank = []
    for p in parts:
        q = p.replace(".gpkg", "-blank.gpkg")
        shutil.copyfile(p, q)
        ds = gdal.OpenEx(q, gdal.OF_VECTOR | gdal.OF_UPDATE)
        for layer in ("grid_events", "hex_hotspots"):
            ds.ExecuteSQL("UPDATE %s SET gi_z = NULL, gi_p = NULL, "
                          "gi_bin = NULL" % layer)
        ds.ExecuteSQL("UPDATE grid_events SET top_category = ''")
        del ds
        blank.append(q)
    # Hexagons: a shard writes the hexagons of its own communities only.
    n = sum(sum(rows(p, "hex_hotspots", ["hex_id"]).values()) for p in parts)
    expect(n == sum(rows(whole, "hex_hotspots", ["hex_id"]).values()),
           "shards' hexagons %d overlap or miss some" % n)
    out = os.path.join(TMP, "hotspots-merged.gpkg")
    st, _, se = merge(out, *blank)
    expect(st == 0, "merge: exit %d: %s" % (st, se))
    check_same(whole, out, "gpkg")
    # The other order of the sources: the same rows.
    st, _, se = merge(out, *reversed(parts))
    expect(st == 0, "merge: exit %d: %s" % (st, se))
    check_same(whole, out, "gpkg, sources reversed")


@case
def hotspots_merge_refuses_bad_sources():
    parts = [os.path.join(TMP, "hotspots-cfg-%s.gpkg" % s) for s in SHARDS]
    if not all(os.path.exists(p) for p in parts):
        for s, p in zip(SHARDS, parts):
            gridsmith("hotspots", p, "--shard", s, "--config", RULES)
    out = os.path.join(TMP, "bad-merge.gpkg")
    st, _, se = merge(out, parts[0], os.path.join(TMP, "nope.gpkg"))
    expect(st == 3 and "--merge %s: no such file" % os.path.join(
        TMP, "nope.gpkg") in se, "missing: exit %d: %s" % (st, se))
    st, _, se = merge(out, parts[0], parts[0])
    expect(st == 3 and "overlap" in se and "110108001" in se,
           "twice: exit %d: %s" % (st, se))
    st, _, se = run("hotspots", "--merge", parts[0], "--merge", parts[1],
                    "-o", out, "--quiet")
    expect(st == 3 and "rules" in se and "--rules" in se,
           "other rules: exit %d: %s" % (st, se))
    whole = os.path.join(TMP, "hotspots-cfg-whole.gpkg")
    st, _, se = merge(out, parts[0], whole)
    expect(st == 3 and "overlap" in se, "whole + shard: exit %d: %s"
           % (st, se))
    st, _, se = merge(out, parts[0], CITY)
    expect(st == 3 and "no layer" in se, "not an output: exit %d: %s"
           % (st, se))
    st, _, se = run("hotspots", "--merge", parts[0], "--grids", CITY,
                    "-o", out)
    expect(st == 2 and "--merge" in se, "with --grids: exit %d: %s"
           % (st, se))
    expect(not os.path.exists(out), "a failed merge wrote %s" % out)


@case
def a_bad_shard_or_schema_is_a_usage_error():
    st, _, se = run(*(COMMANDS["validate"] +
                      ["-o", os.path.join(TMP, "x.gpkg"), "--shard",
                       "11a"]))
    expect(st == 2 and "--shard '11a'" in se, "exit %d: %s" % (st, se))
    st, _, se = run(*(COMMANDS["validate"] +
                      ["-o", os.path.join(TMP, "x.gpkg"), "--schema",
                       "s1"]))
    expect(st == 2 and "--schema goes with" in se, "exit %d: %s" % (st, se))
    st, _, se = run(*(COMMANDS["validate"] +
                      ["-o", "PG:dbname=x", "--schema", "Bad-Name"]))
    expect(st == 2 and "--schema 'Bad-Name'" in se, "exit %d: %s" % (st, se))
    st, _, se = run(*(COMMANDS["validate"] +
                      ["-o", os.path.join(TMP, "x.gpkg"), "--shard",
                       "999"]))
    expect(st == 3 and "no grid or community" in se,
           "exit %d: %s" % (st, se))


def pg_available():
    if not PG:
        return False
    try:
        ds = gdal.OpenEx(PG, gdal.OF_VECTOR)
        return ds is not None
    except RuntimeError:
        return False


def psql_rows(sql):
    ds = gdal.OpenEx(PG, gdal.OF_VECTOR)
    res = ds.ExecuteSQL(sql)
    if res is None:
        return []
    out = [tuple(f.GetField(i) for i in range(f.GetFieldCount()))
           for f in res]
    ds.ReleaseResultSet(res)
    return out


if not pg_available():
    h.skip("postgis_cases", "no PostgreSQL server (set GS_TEST_PG)")
else:
    @case
    def shards_write_concurrently_into_one_postgis_schema():
        # A schema is one output, as a GeoPackage is: one per command.
        for cmd in ("validate", "patrol"):
            schema = "t_shards_" + cmd
            psql_rows("DROP SCHEMA IF EXISTS %s CASCADE" % schema)
            procs = [subprocess.Popen(
                [BIN] + COMMANDS[cmd] + ["-o", PG, "--schema", schema,
                                         "--shard", s, "--quiet"],
                stderr=subprocess.PIPE, text=True) for s in SHARDS]
            for p in procs:
                _, err = p.communicate()
                expect(p.returncode == 0, "%s: %s" % (cmd, err))
            whole = os.path.join(TMP, cmd + "-whole.gpkg")
            if not os.path.exists(whole):
                gridsmith(cmd, whole)
            for layer, fields in LAYERS[cmd].items():
                want = rows(whole, layer, fields)
                got = rows(PG, "%s.%s" % (schema, layer), fields)
                expect(got == want, "PG %s.%s differs from the single run"
                       % (cmd, layer))
        # Re-running a shard replaces exactly its rows.
        schema = "t_shards_validate"
        before = psql_rows("SELECT shard, count(*) FROM %s.grids GROUP BY "
                           "shard ORDER BY shard" % schema)
        gridsmith("validate", PG, "--schema", schema, "--shard", SHARDS[0])
        after = psql_rows("SELECT shard, count(*) FROM %s.grids GROUP BY "
                          "shard ORDER BY shard" % schema)
        expect(before == after and len(after) == 2,
               "re-run: %s -> %s" % (before, after))
        styles = psql_rows("SELECT count(*) FROM public.layer_styles WHERE "
                           "f_table_schema = '%s' AND f_table_name = "
                           "'grids'" % schema)
        expect(styles == [(1,)], "styles of grids: %s" % styles)

    @case
    def a_failed_run_leaves_nothing_in_postgis():
        schema = "t_failed"
        psql_rows("DROP SCHEMA IF EXISTS %s CASCADE" % schema)
        psql_rows("CREATE SCHEMA %s" % schema)
        # A summary table of another shape: the run fails at its third
        # layer, after creating grids, issues and issue_points.
        psql_rows("CREATE TABLE %s.summary (x integer)" % schema)
        st, _, se = run(*(COMMANDS["validate"] +
                          ["-o", PG, "--schema", schema]))
        expect(st == 4 and "other columns" in se, "exit %d: %s" % (st, se))
        left = psql_rows("SELECT table_name FROM information_schema.tables "
                         "WHERE table_schema = '%s' ORDER BY 1" % schema)
        expect(left == [("summary",)], "left behind: %s" % left)

    @case
    def hotspots_shards_merge_in_postgis():
        # One schema per shard, then the merge into its own schema, from
        # the shards' schemas named bare (the output's database).
        schemas = ["t_hs_" + s for s in SHARDS]
        for sc in schemas + ["t_hs_merged"]:
            psql_rows("DROP SCHEMA IF EXISTS %s CASCADE" % sc)
        for s, sc in zip(SHARDS, schemas):
            gridsmith("hotspots", PG, "--schema", sc, "--shard", s,
                      "--config", RULES)
        st, _, se = merge(PG, *schemas, extra=("--schema", "t_hs_merged"))
        expect(st == 0, "merge: exit %d: %s" % (st, se))
        whole = os.path.join(TMP, "hotspots-cfg-whole.gpkg")
        if not os.path.exists(whole):
            gridsmith("hotspots", whole, "--config", RULES)
        for layer in MERGED:
            want = rows(whole, layer, None)
            got = rows(PG, "t_hs_merged." + layer, None)
            expect(got == want, "PG merged %s differs from the single run: "
                   "missing %s, extra %s" % (
                       layer, list((want - got).items())[:2],
                       list((got - want).items())[:2]))
        keys = psql_rows("SELECT DISTINCT shard FROM t_hs_merged.grid_events")
        expect(keys == [("",)], "shard key of the merge: %s" % keys)

    @case
    def shards_read_their_inputs_from_postgis():
        schema = "t_in"
        psql_rows("DROP SCHEMA IF EXISTS %s CASCADE" % schema)
        psql_rows("CREATE SCHEMA %s" % schema)
        gdal.VectorTranslate(PG, CITY, format="PostgreSQL",
                             layerCreationOptions=["SCHEMA=" + schema])
        src = "PG:%s active_schema=%s" % (PG[3:], schema)
        out = os.path.join(TMP, "v-pg-in.gpkg")
        st, _, se = run("validate", "--communities", src, "--grids", src,
                        "--households", src, "--members", MEMBERS,
                        "--shard", SHARDS[1], "-o", out, "--quiet")
        expect(st == 0, "exit %d: %s" % (st, se))
        want = rows(os.path.join(TMP, "validate-%s.gpkg" % SHARDS[1]),
                    "grids", None)
        got = rows(out, "grids", None)
        expect(got == want, "grids read from PostGIS differ")

    @case
    def traces_copied_out_of_postgis_read_as_through_ogr():
        # Traces in PostGIS are fetched with COPY into the CSV reader; the
        # same table read feature by feature through OGR (the reader's
        # escape hatch) must give the same patrol, bad rows included. The
        # table has timestamptz times, a missing time, a missing point and
        # a line where a point belongs.
        schema = "t_tr"
        psql_rows("DROP SCHEMA IF EXISTS %s CASCADE" % schema)
        psql_rows("CREATE SCHEMA %s" % schema)
        csv = gdal.OpenEx(TRACES, gdal.OF_VECTOR,
                          open_options=["X_POSSIBLE_NAMES=lon",
                                        "Y_POSSIBLE_NAMES=lat"])
        gdal.VectorTranslate(
            PG, csv, format="PostgreSQL", layerName="traces",
            srcSRS="EPSG:4326", dstSRS="EPSG:4326",
            layerCreationOptions=["SCHEMA=" + schema])
        del csv
        psql_rows("ALTER TABLE t_tr.traces ALTER COLUMN time TYPE "
                  "timestamptz USING time::timestamptz, ALTER COLUMN "
                  "accuracy_m TYPE float8 USING NULLIF(accuracy_m, '')::"
                  "float8, ALTER COLUMN wkb_geometry TYPE "
                  "geometry(Geometry, 4326)")
        psql_rows("UPDATE t_tr.traces SET time = NULL WHERE ogc_fid = 10")
        psql_rows("UPDATE t_tr.traces SET wkb_geometry = NULL "
                  "WHERE ogc_fid = 20")
        psql_rows("UPDATE t_tr.traces SET wkb_geometry = ST_MakeLine("
                  "wkb_geometry, wkb_geometry) WHERE ogc_fid = 30")
        src = "PG:%s active_schema=%s" % (PG[3:], schema)
        args = ["patrol", "--grids", CITY, "--members", MEMBERS,
                "--traces", src, "--households", CITY, "--calendar",
                CALENDAR, "--week", "2026-W47", "--quiet"]
        out_copy = os.path.join(TMP, "tr-copy.gpkg")
        out_ogr = os.path.join(TMP, "tr-ogr.gpkg")
        st, _, se = run(*(args + ["-o", out_copy]))
        expect(st == 0, "COPY: exit %d: %s" % (st, se))
        env = dict(os.environ, GS_PG_TRACES_OGR="1")
        p = subprocess.run([BIN] + args + ["-o", out_ogr], env=env,
                           capture_output=True, text=True)
        expect(p.returncode == 0, "OGR: %s" % p.stderr)
        for layer in list(LAYERS["patrol"]) + ["bad_rows"]:
            a, b = rows(out_copy, layer, None), rows(out_ogr, layer, None)
            expect(a == b, "%s: COPY and OGR differ: %s / %s"
                   % (layer, list((a - b).items())[:2],
                      list((b - a).items())[:2]))
        # Lines count rows as OGR does for this table (its ids are the
        # rows' places): the feature with ogc_fid 10 is line 11.
        bad = rows(out_copy, "bad_rows", ["line"])
        expect(sorted(k[0] for k in bad) == [11, 21, 31],
               "bad rows: %s" % sorted(bad))

    def layer_fields(path, layer):
        ds = gdal.OpenEx(path, gdal.OF_VECTOR)
        defn = ds.GetLayerByName(layer).GetLayerDefn()
        names = [defn.GetFieldDefn(i).GetName()
                 for i in range(defn.GetFieldCount())]
        del ds
        return [n for n in names if n != "shard"]

    def pg_src(schema):
        return "PG:%s active_schema=%s" % (PG[3:], schema)

    def same_outputs(a, b, layers, label):
        for layer in layers:
            x, y = rows(a, layer, None), rows(b, layer, None)
            expect(sum(x.values()) > 0 or layer == "issue_points",
                   "%s: %s is empty" % (label, layer))
            expect(x == y, "%s %s: differ: %s / %s"
                   % (label, layer, list((x - y).items())[:2],
                      list((y - x).items())[:2]))

    @case
    def households_copied_out_of_postgis_read_as_through_ogr():
        # Households in PostGIS come in one binary COPY (geometry as WKB);
        # the same tables read feature by feature through OGR (GS_PG_OGR)
        # must give the same validate, every skipped row included, in
        # three CRSes (CGCS2000 4490, WGS84 4326, a projected one) and with
        # the rows an office's table really has: no geometry, an empty
        # point, a stray point at (0, 0), a multipolygon and a line where
        # a point belongs, and a table whose physical order is not its
        # ids'. A shard's rectangle goes to the server as a WHERE clause.
        schema = "t_hh"
        psql_rows("DROP SCHEMA IF EXISTS %s CASCADE" % schema)
        psql_rows("CREATE SCHEMA %s" % schema)
        for srid in (4490, 4326, 4548):
            gdal.VectorTranslate(
                PG, CITY, format="PostgreSQL", layers=["households"],
                layerName="households_%d" % srid, dstSRS="EPSG:%d" % srid,
                layerCreationOptions=["SCHEMA=" + schema, "FID=fid",
                                      "GEOMETRY_NAME=geom"])
            t = "%s.households_%d" % (schema, srid)
            psql_rows("ALTER TABLE %s ALTER COLUMN geom TYPE "
                      "geometry(Geometry, %d)" % (t, srid))
            psql_rows("UPDATE %s SET geom = NULL WHERE fid = 5" % t)
            psql_rows("UPDATE %s SET geom = 'SRID=%d;POINT EMPTY' "
                      "WHERE fid = 6" % (t, srid))
            psql_rows("UPDATE %s SET geom = ST_SetSRID("
                      "ST_MakePoint(0, 0), %d) WHERE fid = 7" % (t, srid))
            psql_rows("UPDATE %s SET geom = ST_Multi(ST_Buffer("
                      "geom, 0.0001)) WHERE fid = 8" % t)
            psql_rows("UPDATE %s SET geom = ST_MakeLine("
                      "geom, geom) WHERE fid = 9" % t)
            # Rewritten rows move to the table's end: ids out of order.
            psql_rows("UPDATE %s SET persons = persons WHERE fid < 40" % t)
        for srid in (4490, 4326, 4548):
            src = pg_src(schema)
            for shard in ([], ["--shard", SHARDS[1]]):
                args = ["validate", "--communities", CITY, "--grids", CITY,
                        "--households", src, "--layer",
                        "households=households_%d" % srid,
                        "--members", MEMBERS, "--on-error=skip",
                        "--quiet"] + shard
                tag = "%d%s" % (srid, "-shard" if shard else "")
                out_copy = os.path.join(TMP, "hh-copy-%s.gpkg" % tag)
                out_ogr = os.path.join(TMP, "hh-ogr-%s.gpkg" % tag)
                st, _, se = run(*(args + ["-o", out_copy]))
                expect(st == 0, "COPY %s: exit %d: %s" % (tag, st, se))
                env = dict(os.environ, GS_PG_OGR="1")
                p = subprocess.run([BIN] + args + ["-o", out_ogr], env=env,
                                   capture_output=True, text=True)
                expect(p.returncode == 0, "OGR %s: %s" % (tag, p.stderr))
                same_outputs(out_copy, out_ogr,
                             ["grids", "issues", "issue_points", "summary"],
                             "households %s COPY vs OGR" % tag)
                if shard:
                    continue
                # Every awkward row is named by its id, as OGR names it.
                text = " ".join(
                    str(k[0]) for layer in ("issues", "issue_points")
                    for k in rows(out_copy, layer, ["detail"]))
                for fid in (5, 6, 7, 8, 9):
                    expect("feature %d" % fid in text,
                           "%s: feature %d not reported: %s"
                           % (tag, fid, text[:300]))

    @case
    def traces_from_a_lon_lat_table_read_as_the_csv():
        # Fixes kept in a table with lon and lat columns and no geometry
        # (as fleets keep them): patrol reads them as it reads the CSV,
        # columns found by the same names, the same mapping ({fields}).
        schema = "t_ll"
        psql_rows("DROP SCHEMA IF EXISTS %s CASCADE" % schema)
        psql_rows("CREATE SCHEMA %s" % schema)
        psql_rows("CREATE TABLE t_ll.fixes (fid serial PRIMARY KEY, "
                  "who text, time text, lng text, lat text, "
                  "accuracy_m text)")
        with open(TRACES, encoding="utf-8") as f:
            head = f.readline().strip().split(",")
            rows_in = [line.rstrip("\n").split(",") for line in f]
        idx = {n: i for i, n in enumerate(head)}
        values = []
        for r in rows_in:
            def q(n):
                v = r[idx[n]] if n in idx and idx[n] < len(r) else ""
                return "'" + v.replace("'", "''") + "'"
            values.append("(%s, %s, %s, %s, %s)" % (
                q("member_id"), q("time"), q("lon"), q("lat"),
                q("accuracy_m")))
        for i in range(0, len(values), 2000):
            psql_rows("INSERT INTO t_ll.fixes (who, time, lng, lat, "
                      "accuracy_m) VALUES " + ", ".join(values[i:i + 2000]))
        src = pg_src(schema)
        base = ["patrol", "--grids", CITY, "--members", MEMBERS,
                "--households", CITY, "--calendar", CALENDAR,
                "--week", "2026-W47", "--quiet"]
        out_csv = os.path.join(TMP, "ll-csv.gpkg")
        out_pg = os.path.join(TMP, "ll-pg.gpkg")
        st, _, se = run(*(base + ["--traces", TRACES, "-o", out_csv]))
        expect(st == 0, "CSV: exit %d: %s" % (st, se))
        st, _, se = run(*(base + ["--traces", src, "--layer",
                                  "traces=fixes", "--field",
                                  "traces.member_id=who", "-o", out_pg]))
        expect(st == 0 and "no geometry" not in se,
               "lon/lat table: exit %d: %s" % (st, se))
        # A row's line is its place in the table's rows plus one (the CSV
        # counts its own lines): the places are left out of the compare.
        line = re.compile(r"\bline \d+")

        def masked(path, layer):
            names = layer_fields(path, layer)
            out = collections.Counter()
            for key, n in rows(path, layer, names).items():
                out[tuple(line.sub("line N", v) if isinstance(v, str) else v
                          for k, v in zip(names + ["geom"], key)
                          if k != "line")] += n
            return out
        for layer in LAYERS["patrol"]:
            x, y = masked(out_csv, layer), masked(out_pg, layer)
            expect(sum(x.values()) > 0 or layer == "gps_issues",
                   "lon/lat traces: %s is empty" % layer)
            expect(x == y, "lon/lat traces %s: differ: %s / %s"
                   % (layer, list((x - y).items())[:2],
                      list((y - x).items())[:2]))

    @case
    def the_weekly_job_reads_the_households_once():
        # validate, patrol and hotspots of a job read the same households:
        # the job reads them once (its memo) and each step gives what its
        # own read would have, the stray point it leaves out included. The
        # table's sequential scans count the reads.
        schema = "t_once"
        psql_rows("DROP SCHEMA IF EXISTS %s CASCADE" % schema)
        psql_rows("CREATE SCHEMA %s" % schema)
        gdal.VectorTranslate(PG, CITY, format="PostgreSQL",
                             layers=["households"],
                             layerCreationOptions=["SCHEMA=" + schema,
                                                   "FID=fid",
                                                   "GEOMETRY_NAME=geom"])
        psql_rows("UPDATE t_once.households SET geom = ST_SetSRID("
                  "ST_MakePoint(0, 0), ST_SRID(geom)) WHERE fid = 7")
        src = pg_src(schema)

        def scans():
            # Statistics reach the view when a backend reports them.
            import time
            time.sleep(1.5)
            return psql_rows("SELECT seq_scan FROM pg_stat_user_tables "
                             "WHERE schemaname = 't_once' AND relname = "
                             "'households'")[0][0]
        out = os.path.join(TMP, "once")
        job = os.path.join(TMP, "once.ini")
        with open(job, "w", encoding="utf-8") as f:
            f.write("[inputs]\ncommunities = %s\ngrids = %s\n"
                    "households = %s\nmembers = %s\ntraces = %s\n"
                    "calendar = %s\nevents = %s\ntrace_crs = wgs84\n"
                    "[run]\nweek = 2026-W47\n[outputs]\ndir = %s\n"
                    % (CITY, CITY, src, MEMBERS, TRACES, CALENDAR, CITY,
                       out))
        s0 = scans()
        st, _, se_job = run("run", job)
        s1 = scans()
        expect(st == 0, "job: exit %d: %s" % (st, se_job))
        lone = os.path.join(TMP, "once-validate.gpkg")
        st, _, se_v = run("validate", "--communities", CITY, "--grids", CITY,
                          "--households", src, "--members", MEMBERS,
                          "-o", lone)
        s2 = scans()
        expect(st == 0, "validate: exit %d: %s" % (st, se_v))
        expect(s2 - s1 > 0 and s1 - s0 == s2 - s1,
               "the job scanned the households %d times, one validate %d"
               % (s1 - s0, s2 - s1))
        # Each step tells of the stray point as its own read would.
        warn = "left out, their point far outside"
        expect(se_v.count(warn) == 1 and se_job.count(warn) == 3,
               "warnings: validate %d, job %d" % (se_v.count(warn),
                                                   se_job.count(warn)))
        same_outputs(lone, os.path.join(out, "validate-2026-W47.gpkg"),
                     ["grids", "issues", "issue_points", "summary"],
                     "the job's validate vs validate alone")

    @case
    def the_weekly_job_as_shards_fills_one_postgis_ledger():
        # The demo job once into a GeoPackage ledger, and as two shards at
        # once into PostGIS: the shards' ledger rows are the single run's.
        job = os.path.join(TMP, "job.ini")
        with open(os.path.join(DEMO, "job.ini"), encoding="utf-8") as f:
            text = f.read()
        for name in ("city.gpkg", "members.csv", "traces.csv",
                     "calendar.csv"):
            text = text.replace("= " + name, "= " + os.path.join(DEMO, name))
        text = text.replace("../../out", os.path.join(TMP, "jobout"))
        with open(job, "w", encoding="utf-8") as f:
            f.write(text)
        st, _, se = run("run", job, "--quiet")
        expect(st == 0, "single run: exit %d: %s" % (st, se))
        ledger = os.path.join(TMP, "jobout", "ledger.gpkg")
        psql_rows("DROP SCHEMA IF EXISTS t_job CASCADE")
        procs = [subprocess.Popen(
            [BIN, "run", job, "-o", PG, "--schema", "t_job", "--shard", s,
             "--quiet"], stderr=subprocess.PIPE, text=True) for s in SHARDS]
        for p in procs:
            _, err = p.communicate()
            expect(p.returncode == 0, "shard run: %s" % err)
        for table, fields in (("grid_status", None), ("member_day", None),
                              ("member_week", None),
                              ("grid_events", ["week"] +
                               LAYERS["hotspots"]["grid_events"])):
            want = rows(ledger, table, fields)
            got = rows(PG, "t_job." + table, fields)
            expect(sum(want.values()) > 0, "%s is empty" % table)
            expect(got == want,
                   "ledger %s: shards differ from the single run: missing "
                   "%s, extra %s" % (table, list((want - got).items())[:2],
                                     list((got - want).items())[:2]))
        runs = psql_rows("SELECT week, shard FROM t_job.runs ORDER BY shard")
        expect(runs == [("2026-W47", s) for s in SHARDS], "runs: %s" % runs)
        # Each shard wrote its street office's report, read back from the
        # PostGIS ledger; the reports' figures add up to the single run's.
        keys = ("grids", "members", "compliant", "below_standard",
                "on_no_grid")

        def report(src, *extra):
            out = os.path.join(TMP, "report-%d.html" % len(extra))
            st, so, se = run(*(["report", "--ledger", src, "--week",
                                "2026-W47", "-o", out, "--json"] +
                               list(extra)))
            expect(st == 0, "report %s: exit %d: %s" % (extra, st, se))
            return json.loads(so)
        pg_ledger = "PG:%s active_schema=t_job" % PG[3:]
        whole = report(ledger)
        expect(all(whole[k] == report(pg_ledger)[k] for k in keys),
               "the report of the PostGIS ledger differs")
        for k in keys:
            parts = [report(pg_ledger, "--shard", sh)[k] for sh in SHARDS]
            expect(sum(parts) == whole[k], "report %s: shards %s, whole %d"
                   % (k, parts, whole[k]))
        for sh in SHARDS:
            page = os.path.join(TMP, "jobout", "report-2026-W47-%s.html" % sh)
            expect(os.path.getsize(page) > 1000, "no report for " + sh)
        # The monthly assessment reads the PostGIS ledger as the file one,
        # and per shard gives the shard's members.
        outs = {}
        for name, src, extra in (("file", ledger, []), ("pg", pg_ledger, []),
                                 (SHARDS[0], pg_ledger,
                                  ["--shard", SHARDS[0]]),
                                 (SHARDS[1], pg_ledger,
                                  ["--shard", SHARDS[1]])):
            outs[name] = os.path.join(TMP, "assess-%s.gpkg" % name)
            st, _, se = run(*(["assess", "--ledger", src, "--month",
                               "2026-11", "-o", outs[name], "--quiet"] +
                              extra))
            expect(st == 0, "assess %s: exit %d: %s" % (name, st, se))
        want = rows(outs["file"], "assessment", None)
        expect(sum(want.values()) > 0, "no assessment rows")
        expect(rows(outs["pg"], "assessment", None) == want,
               "assess of the PostGIS ledger differs from the file ledger's")
        got = collections.Counter()
        for sh in SHARDS:
            got.update(rows(outs[sh], "assessment", None))
        expect(got == want, "assess per shard differs from the whole")
        # Re-running a shard replaces its rows of the week, and a run whose
        # ledger step fails (a hand-altered column the rows do not fit)
        # leaves the ledger as it was.
        count = ("SELECT shard, count(*) FROM t_job.member_week "
                 "GROUP BY shard ORDER BY shard")
        before = psql_rows(count)
        st, _, se = run("run", job, "-o", PG, "--schema", "t_job",
                        "--shard", SHARDS[0], "--quiet")
        expect(st == 0, "re-run: exit %d: %s" % (st, se))
        expect(psql_rows(count) == before, "re-run changed the counts")
        psql_rows("ALTER TABLE t_job.member_week ALTER COLUMN note TYPE "
                  "integer USING NULL")
        st, _, se = run("run", job, "-o", PG, "--schema", "t_job",
                        "--shard", SHARDS[1], "--quiet")
        expect(st == 4 and "member_week" in se, "exit %d: %s" % (st, se))
        expect(psql_rows(count) == before, "a failed run changed the ledger")
        expect(len(psql_rows("SELECT * FROM t_job.runs")) == 3,
               "runs after a re-run and a failure")

h.finish()
