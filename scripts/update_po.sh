#!/bin/sh
# Regenerates the message template po/gridsmith.pot from the sources and
# the built command's --help, and merges it into every po/LANG.po.
#
#   scripts/update_po.sh [BUILD_DIR]          regenerate and merge
#   scripts/update_po.sh --check [BUILD_DIR]  fail when the template is
#                                             out of date or a catalogue
#                                             has untranslated or fuzzy
#                                             entries (the po_catalogue
#                                             test)
#
# BUILD_DIR (default: build) holds a built gridsmith: the help texts are
# taken from its output (scripts/help_pot.py). Messages are found where the
# library and the command translate them: the format of gs__err,
# gs__err_lib, gs__warn, gs__optfmt, gs__hs_note, gs__partition_note and
# cli_usage_error, and strings in gs__tr(), _() and N_(). After a merge,
# translate the entries it lists (new ones are empty, changed ones
# "fuzzy": fix the translation and delete the fuzzy flag), then rebuild;
# docs/development.md, Translations.
# Needs gettext (scripts/deps.sh build).
set -eu
check=0
if [ "${1:-}" = "--check" ]; then
    check=1
    shift
fi
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
cd "$root"

for tool in xgettext msgmerge msgcat msgfmt msgattrib; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "update_po.sh: $tool missing (apt-get install gettext)" >&2
        [ $check = 1 ] && exit 77
        exit 1
    fi
done
if [ ! -x "$build/gridsmith" ]; then
    echo "update_po.sh: no built $build/gridsmith (build first)" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Only file names in the references, no line numbers: moving code does not
# make the template stale, a new or changed message does.
find engine -name '*.c' | LC_ALL=C sort >"$tmp/files"
xgettext --from-code=UTF-8 --language=C --add-location=file \
    --sort-by-file --add-comments=TRANSLATORS: \
    --package-name=gridsmith \
    --msgid-bugs-address="the gridsmith developers" \
    --keyword= --keyword=_ --keyword=N_ --keyword=gs__tr \
    --keyword=gs__err:3 --keyword=gs__err_lib:3 --keyword=gs__warn:2 \
    --keyword=gs__optfmt:2 --keyword=cli_usage_error:2 \
    --keyword=gs__hs_note:5 --flag=gs__hs_note:5:c-format \
    --keyword=gs__partition_note:3 --flag=gs__partition_note:3:c-format \
    --flag=gs__err:3:c-format --flag=gs__err_lib:3:c-format \
    --flag=gs__warn:2:c-format --flag=gs__optfmt:2:c-format \
    --flag=cli_usage_error:2:c-format \
    --files-from="$tmp/files" -o "$tmp/src.pot"
# Formats with nothing to translate ("%s", "%s: %s") stay out; an
# indented console line ("  %s: %s\n", a label and its text) stays in:
# its colon is the language's.
msggrep --invert-match --msgid -E \
    -e '^ ?([%][-.0-9]*[a-z]+|[:;,.()/=-])([%][-.0-9]*[a-z]+|[ :;,.()/=-])*$' \
    "$tmp/src.pot" -o "$tmp/src2.pot"
/usr/bin/python3 scripts/help_pot.py "$build/gridsmith" "$tmp/help.pot"
msgcat --use-first --add-location=file "$tmp/src2.pot" "$tmp/help.pot" \
    -o "$tmp/all.pot"
# A stable header: no creation date, so the check compares content.
sed -e '/^"POT-Creation-Date:/d' "$tmp/all.pot" >"$tmp/gridsmith.pot"

if [ $check = 1 ]; then
    rc=0
    if ! cmp -s "$tmp/gridsmith.pot" po/gridsmith.pot; then
        echo "po/gridsmith.pot is out of date with the sources; run" \
             "scripts/update_po.sh and translate:" >&2
        diff -u po/gridsmith.pot "$tmp/gridsmith.pot" | head -40 >&2 || true
        rc=1
    fi
    for po in po/*.po; do
        msgmerge --quiet --no-fuzzy-matching "$po" po/gridsmith.pot \
            -o "$tmp/merged.po"
        stats=$(msgfmt --check --statistics -o /dev/null "$tmp/merged.po" 2>&1)
        echo "$po: $stats"
        case $stats in
            *untranslated* | *fuzzy*)
                echo "$po has untranslated or fuzzy entries" >&2
                rc=1 ;;
        esac
        if ! msgfmt --check -o /dev/null "$po"; then rc=1; fi
    done
    exit $rc
fi

cp "$tmp/gridsmith.pot" po/gridsmith.pot
for po in po/*.po; do
    [ -e "$po" ] || continue
    msgmerge --quiet --update --backup=none "$po" po/gridsmith.pot
    msgattrib --no-obsolete -o "$po" "$po"
    echo "$po: $(msgfmt --check --statistics -o /dev/null "$po" 2>&1)"
    todo=$(msgattrib --untranslated "$po" 2>/dev/null | grep -c '^msgid ' || true)
    fuzzy=$(msgattrib --only-fuzzy "$po" 2>/dev/null | grep -c '^msgid ' || true)
    if [ "$todo" -gt 1 ] || [ "$fuzzy" -gt 1 ]; then
        echo "  to translate: msgattrib --untranslated $po;" \
             "to review: msgattrib --only-fuzzy $po" >&2
    fi
done
