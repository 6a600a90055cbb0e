#!/bin/sh
# The QGIS plugin headless, as an administrator checks it: qgis_process
# enables it, lists its gridsmith algorithms and runs validate on the demo
# city (the same 17 of 22 grids in violation as the command), then the
# PyQGIS checks of progress, styled outputs, Cancel and failures
# (test_qgis_plugin.py). A fresh QGIS profile in a temporary HOME.
# Usage: qgis_plugin.sh GRIDSMITH_BINARY SOURCE_DIR
set -eu
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 700 "$tmp"
export HOME=$tmp XDG_RUNTIME_DIR=$tmp QT_QPA_PLATFORM=offscreen
export QGIS_PLUGINPATH=$src/qgis_plugin GRIDSMITH_BIN=$bin
city=$src/datasets/demo/city.gpkg
passed=0
failed=0
check() {
    if [ "$1" = 0 ]; then
        passed=$((passed + 1))
        echo "ok   $2"
    else
        failed=$((failed + 1))
        echo "FAIL $2"
    fi
}
qgis_process.bin plugins enable gridsmith > "$tmp/enable.txt" 2>&1
check $? "qgis_process plugins enable gridsmith"
qgis_process.bin list > "$tmp/list.txt" 2>/dev/null
n=$(grep -c '^	gridsmith:' "$tmp/list.txt" || true)
[ "$n" = 5 ]
check $? "qgis_process list shows the 5 gridsmith algorithms ($n)"
qgis_process.bin --json run gridsmith:validate -- \
    "COMMUNITIES=$city|layername=communities" \
    "GRIDS=$city|layername=grids" "HOUSEHOLDS=$city|layername=households" \
    "MEMBERS=$src/datasets/demo/members.csv" "OUTPUT=$tmp/validate.gpkg" \
    > "$tmp/run.json" 2> "$tmp/run.err"
check $? "qgis_process run gridsmith:validate"
/usr/bin/python3 - "$tmp/run.json" "$tmp/validate.gpkg" <<'EOT'
import json, sqlite3, sys
doc = json.load(open(sys.argv[1]))
summary = json.loads(doc["results"]["SUMMARY"])
con = sqlite3.connect(sys.argv[2])
bad = con.execute("SELECT count(*) FROM grids WHERE status = 'violation'")
n = bad.fetchone()[0]
assert doc["results"]["OUTPUT"] == sys.argv[2], doc["results"]
assert summary["violations"] == n == 17, (summary["violations"], n)
EOT
check $? "its output: 17 grids in violation, as its summary says"
/usr/bin/python3 "$src/tests/qgis/test_qgis_plugin.py" "$bin" "$src" \
    2>/dev/null | grep -v '^[0-9]* passed' | tee "$tmp/py.txt"
! grep -q '^FAIL' "$tmp/py.txt"
check $? "the provider inside QGIS (PyQGIS)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
