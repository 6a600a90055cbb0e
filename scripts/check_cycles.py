#!/usr/bin/env python3
"""check_cycles.py - no two source files need each other.

Reads the symbol tables of the built objects (nm) of the engine's layers
and of the CLI, and fails when a file uses a symbol another file defines
while that file, directly or through others, uses one of its own: a
circle between source files, which the layering by folder cannot see
inside one folder. Prints each circle found.

    scripts/check_cycles.py BUILD_DIR
"""
import collections
import glob
import os
import subprocess
import sys


def symbols(obj):
    out = subprocess.run(["nm", obj], capture_output=True, text=True,
                         check=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TDBRC":
            defined.add(parts[2])
        elif len(parts) == 2 and parts[0] == "U":
            used.add(parts[1])
    return defined, used


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    build = sys.argv[1]
    objs = (glob.glob(os.path.join(build, "CMakeFiles", "gs_*.dir", "**",
                                   "*.o"), recursive=True) +
            glob.glob(os.path.join(build, "CMakeFiles", "gridsmith.dir", "**",
                                   "*.o"), recursive=True))
    if not objs:
        print("check_cycles: no objects under %s" % build, file=sys.stderr)
        return 2
    owner, uses = {}, {}
    for o in objs:
        name = os.path.relpath(o, build).split(".dir" + os.sep, 1)[-1]
        name = name[:-len(".c.o")] if name.endswith(".c.o") else name
        d, u = symbols(o)
        for s in d:
            owner[s] = name
        uses[name] = u
    dep = collections.defaultdict(set)
    for f, u in uses.items():
        for s in u:
            if s in owner and owner[s] != f:
                dep[f].add(owner[s])
    # Tarjan's strongly connected components: each with more than one
    # file is a circle.
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(100000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(dep.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    for v in sorted(uses):
        if v not in index:
            visit(v)
    for c in sccs:
        print("check_cycles: these files need each other: %s" % ", ".join(c),
              file=sys.stderr)
    if not sccs:
        print("check_cycles: %d files, no circle" % len(uses), file=sys.stderr)
    return 1 if sccs else 0


if __name__ == "__main__":
    sys.exit(main())
