#!/bin/sh
# Installs what gridsmith needs on Debian 12, only when something is missing.
#   scripts/deps.sh build   compilers and libraries to build the engine,
#                           and help2man for the man pages
#   scripts/deps.sh test    the above plus GDAL's Python tools and QGIS,
#                           which the tests use to open outputs the way
#                           analysts do, clang with libFuzzer
#                           (scripts/fuzz.sh) and valgrind
#                           (scripts/valgrind.sh), bash-completion (the
#                           install test completes with it), lintian and
#                           dpkg-dev (scripts/package.sh); Chromium, a CJK
#                           font (Noto Sans CJK SC) and Pillow, with which
#                           the report's test and
#                           scripts/report_screenshots.sh render the report
#                           as a director sees it (a Debian desktop without
#                           a CJK font shows every Chinese character as a
#                           box)
set -eu
mode=${1:-build}

build_pkgs="build-essential cmake pkg-config libgdal-dev libgeos-dev
 libproj-dev libsqlite3-dev libspatialite-dev libjson-c-dev libinih-dev
 libssl-dev libicu-dev libcsv-dev libpq-dev gdal-bin python3-gdal help2man"
test_pkgs="qgis python3-qgis xauth chromium fonts-noto-cjk python3-pil clang
 clang-format libclang-rt-14-dev valgrind postgresql-15 postgresql-15-postgis-3
 postgis parallel bash-completion lintian dpkg-dev"

case $mode in
    build) pkgs=$build_pkgs ;;
    test) pkgs="$build_pkgs $test_pkgs" ;;
    *) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
            grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "Installing:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
