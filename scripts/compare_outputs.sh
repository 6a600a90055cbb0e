#!/bin/sh
# compare_outputs.sh OLD_BINARY NEW_BINARY
# compare_outputs.sh --dirs OLD_SNAPSHOT_DIR NEW_BINARY
#
# Proves that two gridsmith binaries give the same outputs on the demo city:
# takes a snapshot (scripts/snapshot.sh) with each binary, or compares a
# snapshot taken earlier (OLD_SNAPSHOT_DIR, the OUTDIR given to snapshot.sh)
# with a new one, and diffs the canonical dumps (diff -r). Prints a verdict
# line per output (a GeoPackage, the density raster, a report, a command's
# console output): "identical", or the first differing lines, truncated.
# Exit status: 0 all identical; 1 some output differs; 2 usage error or a
# snapshot that could not be taken. The snapshots are removed when all is
# identical and kept (their place is printed) otherwise.
set -eu

usage() {
    echo "usage: $0 OLD_BINARY NEW_BINARY" >&2
    echo "       $0 --dirs OLD_SNAPSHOT_DIR NEW_BINARY" >&2
    exit 2
}
HERE=$(cd "$(dirname "$0")" && pwd)
LINES=6      # differing lines shown per output
WIDTH=150    # characters shown per line

case ${1-} in
    --dirs)
        [ $# -eq 3 ] || usage
        OLD=$2
        [ -d "$OLD/dump" ] || OLD=$(dirname "$OLD")  # OUTDIR/dump given
        [ -d "$OLD/dump" ] || { echo "$0: no snapshot (no dump/) in $2" >&2
                                exit 2; }
        OLD=$(cd "$OLD" && pwd)
        NEW_BIN=$3
        ;;
    -*|'') usage ;;
    *)
        [ $# -eq 2 ] || usage
        OLD=
        OLD_BIN=$1
        NEW_BIN=$2
        ;;
esac

TMP=$(mktemp -d "${TMPDIR:-/tmp}/gs_compare.XXXXXX")
snap() {  # snap BINARY DIR
    echo "snapshot of $1 into $2" >&2
    if ! "$HERE/snapshot.sh" "$1" "$2" >&2; then
        echo "$0: the snapshot of $1 failed (kept in $TMP)" >&2
        exit 2
    fi
}
if [ -z "$OLD" ]; then
    OLD=$TMP/old
    snap "$OLD_BIN" "$OLD"
fi
snap "$NEW_BIN" "$TMP/new"
A=$OLD/dump
B=$TMP/new/dump

# One verdict per output: the entries two levels down (console/run.txt,
# job/ledger.gpkg, cmd/report.html, ...), in either snapshot.
units=$( (cd "$A" && find . -mindepth 2 -maxdepth 2; \
          cd "$B" && find . -mindepth 2 -maxdepth 2) | sed 's|^\./||' | sort -u)
bad=0
for u in $units; do
    if [ ! -e "$A/$u" ]; then
        echo "$u: only in the new snapshot"
        bad=$((bad + 1))
    elif [ ! -e "$B/$u" ]; then
        echo "$u: only in the old snapshot"
        bad=$((bad + 1))
    elif diff -r "$A/$u" "$B/$u" >"$TMP/diff" 2>&1; then
        echo "$u: identical"
    else
        n=$(grep -c '^\([<>]\|Only in\)' "$TMP/diff" || true)
        echo "$u: DIFFERS ($n lines differ):"
        # "diff -r OLD/x/t.txt NEW/x/t.txt" headers shortened to "in t.txt:"
        awk '/^diff -r /{ n = split($3, p, "/"); print "in " p[n] ":"; next }
             !/^---$/' "$TMP/diff" | head -n "$LINES" | cut -c "1-$WIDTH" |
            sed 's/^/    /'
        bad=$((bad + 1))
    fi
done

# The whole tree once more, so that nothing outside the units slips by.
if [ "$bad" -eq 0 ] && diff -r "$A" "$B" >"$TMP/diff" 2>&1; then
    echo "verdict: all outputs identical"
    rm -rf "$TMP"
    exit 0
fi
[ "$bad" -gt 0 ] || { echo "differences outside the outputs:"; head -n 20 "$TMP/diff"; }
echo "verdict: $bad output(s) differ; full diff: diff -r $A $B"
echo "(snapshots kept in $TMP)"
exit 1
