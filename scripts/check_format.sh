#!/bin/sh
# Fails when clang-format (the repository's .clang-format) would change a
# C file of the engine, the public header or the tests: the tree is kept
# formatted, so a diff never mixes layout with meaning. Prints the files
# and the first lines of what would change. Exits 77 when clang-format is
# missing (scripts/deps.sh test installs it).
#
#   scripts/check_format.sh        check
#   scripts/check_format.sh --fix  reformat the files in place
set -eu
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null 2>&1; then
    echo "check_format: clang-format not installed; skipped" >&2
    exit 77
fi
files=$(git ls-files 'engine/*.c' 'engine/*.h' 'include/*.h' 'tests/*.c' \
    'tests/*.h')
if [ "${1:-}" = "--fix" ]; then
    # shellcheck disable=SC2086
    clang-format -i $files
    exit 0
fi
# One clang-format for every file (a process per file takes minutes on a
# busy machine); only when one is off, file by file to name it.
# shellcheck disable=SC2086
if clang-format --dry-run -Werror $files >/dev/null 2>&1; then
    echo "check_format: $(echo "$files" | wc -w) files formatted" >&2
    exit 0
fi
bad=0
for f in $files; do
    if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
        echo "check_format: $f is not formatted (scripts/check_format.sh --fix):" >&2
        clang-format "$f" | diff -u "$f" - | sed -n '3,12p' >&2 || true
        bad=1
    fi
done
[ "$bad" -eq 0 ] && echo "check_format: $(echo "$files" | wc -w) files formatted" >&2
exit "$bad"
