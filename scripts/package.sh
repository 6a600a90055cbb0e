#!/bin/sh
# Builds the Debian packages (cmake/package.cmake) into build-deb/ and
# checks them: dpkg-deb --info and --contents of each, then lintian.
#   scripts/package.sh            build, package, show, lintian
# The packages: libgridsmith0, libgridsmith-dev, gridsmith and
# qgis-plugin-gridsmith, installed with
#   apt-get install ./build-deb/*.deb
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh build
b=build-deb
cmake -S . -B $b -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build $b -j"$(nproc)" --target gridsmith gridsmith_shared man
rm -f $b/*.deb
(cd $b && cpack -G DEB)
for deb in $b/*.deb; do
    echo "== $deb"
    dpkg-deb --info "$deb"
    dpkg-deb --contents "$deb"
done
if command -v lintian >/dev/null; then
    # Tags of a package built outside a Debian source package (no
    # changelog, not uploaded) are expected; everything else is shown.
    lintian --no-tag-display-limit --suppress-tags \
        no-changelog,debian-changelog-file-missing \
        $b/*.deb || true
else
    echo "lintian is not installed (apt-get install lintian)" >&2
fi
