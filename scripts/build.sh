#!/bin/sh
# Configures and builds gridsmith into build/ (or $1), optionally with
# extra CMake arguments: scripts/build.sh build-asan -DGS_SANITIZE=ON
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build}
[ $# -gt 0 ] && shift
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
