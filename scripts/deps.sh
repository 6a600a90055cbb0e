#!/bin/sh
# Installs what gridsmith needs on Debian 12, only when something is missing.
#   scripts/deps.sh build   compilers and libraries to build the engine,
#                           help2man for the man pages, gettext for the
#                           message catalogues (msgfmt, xgettext) and the
#                           zh_CN.UTF-8 locale (locales, locale-gen), so
#                           that LANG=zh_CN.UTF-8 gives Chinese messages
#   scripts/deps.sh test    the above plus GDAL's Python tools and QGIS,
#                           which the tests use to open outputs the way
#                           analysts do, clang with libFuzzer
#                           (scripts/fuzz.sh), lld (scripts/test.sh
#                           links its builds' many test programs with
#                           it) and valgrind (scripts/valgrind.sh),
#                           bash-completion (the
#                           install test completes with it), lintian and
#                           dpkg-dev (scripts/package.sh), matplotlib
#                           (scripts/render_partition.py); Chromium, a CJK
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
 libssl-dev libicu-dev libcsv-dev libpq-dev gdal-bin python3-gdal help2man
 gettext locales"
test_pkgs="qgis python3-qgis xauth chromium fonts-noto-cjk python3-pil clang
 clang-format libclang-rt-14-dev lld valgrind postgresql-15
 postgresql-15-postgis-3 postgis parallel bash-completion lintian dpkg-dev python3-matplotlib"

case $mode in
    build) pkgs=$build_pkgs ;;
    test) pkgs="$build_pkgs $test_pkgs" ;;
    *) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
            grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
if [ -n "$missing" ]; then
    echo "Installing:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# The zh_CN.UTF-8 locale, for Chinese messages and help: Debian generates
# the locales listed in /etc/locale.gen. Without root (and no sudo that
# needs no password) this is skipped: gridsmith then still speaks Chinese
# under LANG=zh_CN.UTF-8, through C.UTF-8 and LANGUAGE.
if ! locale -a 2>/dev/null | grep -qix 'zh_CN\.utf-\?8'; then
    if [ -n "$SUDO" ] && ! sudo -n true 2>/dev/null; then
        echo "deps.sh: no zh_CN.UTF-8 locale and no root to generate it;" \
             "skipped" >&2
    elif [ ! -w /etc/locale.gen ] && [ -z "$SUDO" ] ||
            ! command -v locale-gen >/dev/null 2>&1; then
        echo "deps.sh: cannot generate the zh_CN.UTF-8 locale here" \
             "(no locale-gen or /etc/locale.gen); skipped" >&2
    else
        echo "Generating the zh_CN.UTF-8 locale" >&2
        if grep -q '^# *zh_CN.UTF-8 UTF-8' /etc/locale.gen; then
            $SUDO sed -i 's/^# *\(zh_CN.UTF-8 UTF-8\)/\1/' /etc/locale.gen
        elif ! grep -q '^zh_CN.UTF-8 UTF-8' /etc/locale.gen; then
            echo 'zh_CN.UTF-8 UTF-8' | $SUDO tee -a /etc/locale.gen >/dev/null
        fi
        $SUDO locale-gen >/dev/null
    fi
fi
