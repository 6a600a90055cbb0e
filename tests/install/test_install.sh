#!/bin/bash
# test_install.sh BUILD_DIR SOURCE_DIR - installs the build into a
# temporary prefix the way a user does (cmake --install) and uses what was
# installed: the command, the shared library with its SONAME and public
# symbols only, a C program built with the pkg-config file and one with the
# CMake package (both validate the mini city through the API), the man
# pages, the bash completion and the QGIS plugin. One line per check; the
# last line is "N passed, N failed".
set -u
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
passed=0
failed=0
check() { # check WHAT COMMAND...: runs it; ok when it exits 0
    local what=$1
    shift
    if "$@" > "$tmp/out" 2>&1; then
        passed=$((passed + 1))
        echo "ok   $what"
    else
        failed=$((failed + 1))
        echo "FAIL $what"
        sed 's/^/     /' "$tmp/out" | head -20
    fi
}

# A sanitizer build's library needs the sanitizer runtime loaded first,
# which a user's program does not do: nothing to learn from installing it.
if ldd "$build/libgridsmith.so.0" | grep -q 'libasan'; then
    echo "skip: a sanitizer build (-DGS_SANITIZE=ON) is not for installing"
    exit 77
fi
check "cmake --install into $prefix" cmake --install "$build" --prefix "$prefix"
libdir=$(dirname "$(find "$prefix" -name 'libgridsmith.so.0' | head -1)")
pcdir=$(dirname "$(find "$prefix" -name gridsmith.pc | head -1)")
cmakedir=$(dirname "$(find "$prefix" -name gridsmithConfig.cmake | head -1)")

check "the command runs from the prefix" \
    sh -c "'$prefix/bin/gridsmith' --version | grep -qx 'gridsmith [0-9.]*'"
# uses_lib PROGRAM: the libgridsmith.so.0 it loads is the installed one.
uses_lib() {
    local got
    got=$(ldd "$1" | sed -n 's/.*libgridsmith.so.0 => \([^ ]*\).*/\1/p')
    [ -n "$got" ] &&
        [ "$(readlink -f "$got")" = "$(readlink -f "$libdir/libgridsmith.so.0")" ]
}
check "the command uses the installed library" uses_lib "$prefix/bin/gridsmith"
check "libgridsmith.so.0 has SONAME libgridsmith.so.0" \
    sh -c "readelf -d '$libdir/libgridsmith.so.0' |
           grep -q 'Library soname: \[libgridsmith.so.0\]'"
check "libgridsmith.so is the development link to it" \
    test "$(readlink "$libdir/libgridsmith.so")" = libgridsmith.so.0
check "only the public API is exported (gs_*, no gs__*)" \
    sh -c "nm -D --defined-only '$libdir/libgridsmith.so.0' > '$tmp/syms' &&
           grep -q ' T gs_validate_run@@GRIDSMITH_0$' '$tmp/syms' &&
           ! grep -q ' gs__' '$tmp/syms'"
check "the public header is installed" \
    test -f "$prefix/include/gridsmith/gridsmith.h"
check "no static library is installed" \
    sh -c "! find '$prefix' -name '*.a' | grep -q ."

# A C program built with the installed pkg-config file.
export PKG_CONFIG_PATH=$pcdir
check "pkg-config knows gridsmith" pkg-config --exists gridsmith
check "pkg-config's version is the library's" \
    sh -c "test \"\$(pkg-config --modversion gridsmith)\" = \
        \"\$('$prefix/bin/gridsmith' --version | cut -d' ' -f2)\""
# shellcheck disable=SC2046
check "a C program builds and links with pkg-config" \
    cc -std=c11 -Wall -Wextra -Werror "$src/tests/install/hello_gridsmith.c" \
    $(pkg-config --cflags --libs gridsmith) -Wl,-rpath,"$libdir" \
    -o "$tmp/hello_pc"
check "it validates the mini city through the installed library" \
    sh -c "'$tmp/hello_pc' '$src/tests/data/mini' '$tmp/pc.gpkg' > '$tmp/pc.txt' &&
           grep -q '^findings [1-9]' '$tmp/pc.txt' && test -s '$tmp/pc.gpkg'"
check "... and runs against the installed copy" uses_lib "$tmp/hello_pc"

# The same program with the CMake package.
check "find_package(gridsmith) builds it (gridsmith::gridsmith)" \
    sh -c "cmake -S '$src/tests/install/consumer' -B '$tmp/consumer' \
             -Dgridsmith_DIR='$cmakedir' -DCMAKE_BUILD_TYPE=Release \
             -DCMAKE_BUILD_RPATH='$libdir' &&
           cmake --build '$tmp/consumer'"
check "... and it runs" \
    sh -c "'$tmp/consumer/hello_gridsmith' '$src/tests/data/mini' \
             '$tmp/cm.gpkg' | grep -q '^findings [1-9]'"

# Man pages from the help, one per command.
for page in gridsmith gridsmith-validate gridsmith-patrol gridsmith-hotspots \
    gridsmith-run gridsmith-assess gridsmith-report gridsmith-partition; do
    check "man page $page(1)" \
        test -s "$prefix/share/man/man1/$page.1.gz"
done
check "gridsmith-validate(1) renders and lists --communities" \
    sh -c "MANWIDTH=80 man -l '$prefix/share/man/man1/gridsmith-validate.1.gz' \
             2>/dev/null | grep -q -- '--communities'"

# Bash completion: commands, then a command's options from its help.
comp=$prefix/share/bash-completion/completions/gridsmith
check "bash completion installed" test -f "$comp"
if [ -f /usr/share/bash-completion/bash_completion ]; then
    cat > "$tmp/comp.bash" <<EOT
source /usr/share/bash-completion/bash_completion
source "$comp"
complete_line() { # the words, the last one being completed
    COMP_WORDS=("\$@"); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1))
    COMP_LINE="\$*"; COMP_POINT=\${#COMP_LINE}
    COMPREPLY=(); _gridsmith; printf '%s\n' "\${COMPREPLY[@]}"
}
EOT
    check "completion: 'gridsmith va' -> validate" bash -c "
        source '$tmp/comp.bash'; complete_line '$prefix/bin/gridsmith' va |
        grep -qx validate"
    check "completion: 'gridsmith validate --comm' -> --communities" bash -c "
        source '$tmp/comp.bash'
        complete_line '$prefix/bin/gridsmith' validate --comm |
        grep -qx -- --communities"
    check "completion: 'gridsmith patrol --on-error s' -> skip" bash -c "
        source '$tmp/comp.bash'
        complete_line '$prefix/bin/gridsmith' patrol --on-error s |
        grep -qx skip"
else
    failed=$((failed + 1))
    echo "FAIL bash completion: bash-completion is not installed"
fi

check "the QGIS plugin is installed where QGIS looks" \
    test -f "$prefix/share/qgis/python/plugins/gridsmith/metadata.txt"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
