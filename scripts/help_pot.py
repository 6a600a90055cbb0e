#!/usr/bin/python3
"""The paragraphs of the command's --help texts as a gettext template.

usage: help_pot.py GRIDSMITH OUT.pot

The help texts are concatenated from macros (engine/cli/cli.h), which
xgettext cannot follow, and the command translates them paragraph by
paragraph (engine/cli/lang.c, cli_help). So the paragraphs are taken from
the built command's English help, exactly as it prints them: `gridsmith
--help` (without its first line, "gridsmith VERSION - " and the tagline,
which xgettext finds in main.c) and `gridsmith COMMAND --help` for every
command. scripts/update_po.sh merges the result with xgettext's.
"""
import os
import subprocess
import sys

COMMANDS = ["validate", "patrol", "hotspots", "run", "assess", "report",
            "partition"]


def help_text(binary, args):
    env = dict(os.environ, LC_ALL="C", LANGUAGE="")
    return subprocess.run([binary] + args + ["--help"], env=env, check=True,
                          capture_output=True, text=True).stdout


def paragraphs(text):
    """Splits as cli_help does: each paragraph keeps its final newline."""
    out = []
    while text:
        end = text.find("\n\n")
        n = end + 1 if end >= 0 else len(text)
        out.append(text[:n])
        text = text[n:].lstrip("\n")
    return out


def po_string(s):
    esc = (s.replace("\\", "\\\\").replace('"', '\\"')
           .replace("\t", "\\t"))
    lines = esc.split("\n")
    parts = [ln + "\\n" for ln in lines[:-1]]
    if lines[-1]:
        parts.append(lines[-1])
    if len(parts) == 1:
        return '"%s"' % parts[0]
    return '""\n' + "\n".join('"%s"' % p for p in parts)


def main():
    binary, out = sys.argv[1], sys.argv[2]
    entries = {}  # paragraph -> [source files], in first-seen order
    main_help = help_text(binary, [])
    main_help = main_help[main_help.index("\n\n") + 2:]
    sources = [("engine/cli/main.c", main_help)]
    for c in COMMANDS:
        sources.append(("engine/cli/cmd_%s.c" % c, help_text(binary, [c])))
    for src, text in sources:
        for p in paragraphs(text):
            entries.setdefault(p, [])
            if src not in entries[p]:
                entries[p].append(src)
    with open(out, "w", encoding="utf-8") as f:
        f.write('msgid ""\nmsgstr ""\n'
                '"Content-Type: text/plain; charset=UTF-8\\n"\n\n')
        for p, srcs in entries.items():
            f.write("#. --help paragraph\n")
            f.write("#: %s\n" % " ".join(srcs))
            f.write("#, no-c-format\n")
            f.write("msgid %s\nmsgstr \"\"\n\n" % po_string(p))


if __name__ == "__main__":
    main()
