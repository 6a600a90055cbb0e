#!/usr/bin/python3
"""bench_report.py REPORT.json TIME_FILE [LABEL]

Prints a benchmark run's figures per phase and per step, from the
command's --json report ("phases": wall and CPU seconds, peak memory, and
each phase's "steps") and from /usr/bin/time -f '%e %U %S %M' (the whole
process). CPU seconds count every thread: a phase that keeps both cores
busy shows about twice its wall time. Peak memory is the process's peak
so far, at the end of the phase or step. "other" is the process's wall
time outside the phases: start-up, checking the options, the commit of
the output (styles, transaction, rename) and exit.
"""
import json
import sys


def main():
    r = json.load(open(sys.argv[1]))
    wall, user, sys_s, rss_kb = open(sys.argv[2]).read().split()[-4:]
    label = sys.argv[3] if len(sys.argv) > 3 else ""
    fmt = "%-46s %8s %8s %10s"
    print(fmt % ("phase / step " + label, "wall s", "CPU s", "peak MiB"))
    total = 0.0
    for p in r["phases"]:
        total += p["wall_s"]
        print(fmt % (p["phase"], "%.2f" % p["wall_s"],
                     "%.2f" % p.get("cpu_s", float("nan")),
                     "%.0f" % p["peak_rss_mb"]))
        for s in p.get("steps", []):
            name = "  " + s["step"] + (" (own thread)" if s.get("thread")
                                       else "")
            print(fmt % (name, "%.2f" % s["wall_s"], "%.2f" % s["cpu_s"],
                         "%.0f" % s["peak_rss_mb"]))
    print(fmt % ("other (start, commit, exit)",
                 "%.2f" % (float(wall) - total), "", ""))
    print(fmt % ("process", "%.2f" % float(wall),
                 "%.2f" % (float(user) + float(sys_s)),
                 "%.0f" % (int(rss_kb) / 1024)))


main()
