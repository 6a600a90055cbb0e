#!/usr/bin/env python3
"""gen_docs_architecture.py - the file lists of docs/architecture.md.

"What each folder holds" lists every source file of the engine with what
it holds. That text is taken from the comment each file opens with (its
first sentence after "NAME - "), so the list cannot drift from the tree:
this script rewrites the lines between the markers

    <!-- BEGIN GENERATED files -->  ...  <!-- END GENERATED files -->

and, with --check, exits 1 when docs/architecture.md is out of date (the
test suite runs it), or when a source file does not open with such a
comment.

    scripts/gen_docs_architecture.py [--check]
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "architecture.md")
BEGIN = "<!-- BEGIN GENERATED files -->"
END = "<!-- END GENERATED files -->"

# Bottom to top, as the layers stack; each with what the folder is for.
FOLDERS = [
    ("include/gridsmith", "the public API"),
    ("engine/core", "what every layer needs"),
    ("engine/geo", "geometry and coordinates"),
    ("engine/time", "instants, days and calendars"),
    ("engine/io", "readers"),
    ("engine/out", "writers, styles, the ledger and the report"),
    ("engine/validate", "checking grids against the standard"),
    ("engine/patrol", "patrol time, coverage and compliance"),
    ("engine/hotspots", "events, hot spots and their summaries"),
    ("engine/partition", "dividing communities into grids"),
    ("engine/assess", "the monthly assessment"),
    ("engine/job", "the weekly job"),
    ("engine/cli", "the gridsmith command"),
]


def summary(path):
    """The first sentence of the comment a file opens with, after
    'NAME - ' (or 'NAME: '); None when there is none."""
    with open(path, encoding="utf-8") as f:
        text = f.read(40000)
    m = re.match(r"\s*/\*+(.*?)\*/", text, re.S)
    if not m:
        return None
    body = " ".join(line.strip().lstrip("*").strip()
                    for line in m.group(1).splitlines())
    body = re.sub(r"\s+", " ", body).strip()
    name = os.path.basename(path)
    m = re.match(re.escape(name) + r"\s*[-:]\s*(.*)", body)
    if not m:
        return None
    rest = m.group(1)
    # The first sentence: up to a full stop followed by a space or the end
    # (not the one in "e.g." or a file name such as "run.c").
    m = re.match(r"(.*?[^.]\.)(\s|$)", rest + " ")
    sentence = m.group(1) if m else rest
    while re.search(r"\b(e\.g|i\.e|\w+\.[ch])\.$", sentence):
        more = re.match(re.escape(sentence) + r"\s*(.*?[^.]\.)(\s|$)",
                        rest + " ")
        if not more:
            break
        sentence = sentence + " " + more.group(1)
    return sentence.rstrip(".")


def generate():
    out, missing = [], []
    for folder, what in FOLDERS:
        d = os.path.join(ROOT, folder)
        files = sorted(f for f in os.listdir(d) if f.endswith((".c", ".h")))
        out.append("**`%s/`** — %s." % (folder, what))
        out.append("")
        for f in files:
            s = summary(os.path.join(d, f))
            if s is None:
                missing.append(os.path.join(folder, f))
                s = "(no opening comment)"
            out.append("- `%s` — %s." % (f, s))
        out.append("")
    return "\n".join(out).rstrip() + "\n", missing


def main():
    check = "--check" in sys.argv[1:]
    with open(DOC, encoding="utf-8") as f:
        doc = f.read()
    if BEGIN not in doc or END not in doc:
        print("%s: the markers %s and %s are missing" % (DOC, BEGIN, END),
              file=sys.stderr)
        return 1
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    body, missing = generate()
    new = head + BEGIN + "\n" + body + END + tail
    for m in missing:
        print("%s: does not open with a comment 'NAME - what it holds'" % m,
              file=sys.stderr)
    if check:
        if new != doc:
            print("docs/architecture.md is out of date: run "
                  "scripts/gen_docs_architecture.py", file=sys.stderr)
            return 1
        return 1 if missing else 0
    with open(DOC, "w", encoding="utf-8") as f:
        f.write(new)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
