#!/bin/sh
# gen_man.sh HELP2MAN GRIDSMITH OUTDIR VERSION - the man pages gridsmith(1)
# and gridsmith-COMMAND(1), made by help2man from the command's --help, so
# they say what the help says. Run by the build (cmake/install.cmake).
set -eu
help2man=$1
bin=$2
out=$3
version=$4
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/see_also" <<'EOT'
[SEE ALSO]
.BR gridsmith (1),
.BR gridsmith-validate (1),
.BR gridsmith-patrol (1),
.BR gridsmith-hotspots (1),
.BR gridsmith-run (1),
.BR gridsmith-assess (1),
.BR gridsmith-report (1),
.BR gridsmith-partition (1)
.PP
The definitions of every rule and output field are in
/usr/share/doc/gridsmith/design.md and outputs.md.

[REPORTING BUGS]
Report bugs to the gridsmith authors.
EOT

# The help's usage lines continued on indented lines become one line, which
# help2man takes as the synopsis.
cat > "$tmp/join.awk" <<'EOT'
/^Usage:/ { held = $0; next }
held != "" && /^        +[^ ]/ { sub(/^ +/, " "); held = held $0; next }
held != "" { print held; held = "" }
{ print }
END { if (held != "") print held }
EOT

# page NAME DESCRIPTION [COMMAND]: one page; a command's help is reached
# through a wrapper named gridsmith-COMMAND, the name help2man gives it.
page() {
    name=$1
    desc=$2
    cmd=${3-}
    prog="$tmp/$name"
    cat > "$prog" <<EOT
#!/bin/sh
if [ "\$1" = --help ]; then
    "$bin" $cmd --help | awk -f "$tmp/join.awk"
else
    exec "$bin" $cmd "\$@"
fi
EOT
    chmod +x "$prog"
    "$help2man" --no-info --no-discard-stderr --section 1 \
        --name "$desc" --version-string "$version" \
        --source "gridsmith $version" --manual "gridsmith manual" \
        --include "$tmp/see_also" --output "$out/$name.1" "$prog"
    # Installed compressed, as Debian wants man pages.
    gzip -9n -c "$out/$name.1" > "$out/$name.1.gz"
}

page gridsmith "GIS batch engine for community grid management"
page gridsmith-validate "check grids against the grid standard" validate
page gridsmith-patrol "verify a week's patrols from GPS traces" patrol
page gridsmith-hotspots "event counts, hot spots, clusters and trends" hotspots
page gridsmith-run "the weekly job: validate, patrol, hotspots, ledger, report" run
page gridsmith-assess "the monthly assessment of grid members" assess
page gridsmith-report "the week's HTML report from the ledger" report
page gridsmith-partition "divide communities into grids along barriers" partition
