#!/bin/sh
# The benchmarks' generated data, made once under /tmp and shared:
#   scripts/bench_data.sh CITY_DIR [EVENTS_GPKG [JOB_INI]]
# CITY_DIR gets the 1,000,000-household city with one week (2026-W47) of
# 11 million GPS fixes for its 2,525 members (scripts/gen_city.py);
# EVENTS_GPKG, when given, 100,000 events over the 12 weeks to 2026-W47
# (scripts/gen_events.py). Whatever exists already is kept. JOB_INI, when
# given, is written: the weekly job of the city for 2026-W47, writing into
# `out` beside it.
set -eu
cd "$(dirname "$0")/.."
city=$1
events=${2:-}
if [ ! -f "$city/traces.csv" ]; then
    echo "generating the city and 11 million fixes in $city (once)..." >&2
    /usr/bin/python3 scripts/gen_city.py --households 1000000 --out "$city" \
        --trace-fixes 11000000 --trace-weeks 1
fi
if [ -n "$events" ] && [ ! -f "$events" ]; then
    echo "generating 100,000 events over 12 weeks in $events (once)..." >&2
    mkdir -p "$(dirname "$events")"
    /usr/bin/python3 scripts/gen_events.py --city "$city/city.gpkg" \
        --out "$events" --events 100000 --weeks 12 --last-week 2026-W47
fi
if [ $# -ge 3 ]; then
    cat > "$3" <<INI
[inputs]
communities = $city/city.gpkg
grids = $city/city.gpkg
households = $city/city.gpkg
members = $city/members.csv
traces = $city/traces.csv
calendar = $city/calendar.csv
events = $events
[run]
week = 2026-W47
[outputs]
dir = out
INI
fi
