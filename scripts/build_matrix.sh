#!/bin/sh
# Builds gridsmith with GCC and Clang, each as Debug, Release and Debug
# with AddressSanitizer + UBSan, all with -Werror (GS_WERROR=ON), into
# build-matrix/COMPILER-KIND, and says which of the six compiled cleanly.
# Warnings are errors here (as in CI and scripts/test.sh), never in a
# default build. Exits 1 when any failed; their logs stay in
# build-matrix/COMPILER-KIND.log.
#   scripts/build_matrix.sh [JOBS [TARGET]]
# JOBS defaults to 2 (the machine is shared); TARGET (e.g. gridsmith, the
# command alone) to everything, the tests included. GS_MATRIX limits the
# builds, e.g. GS_MATRIX="gcc-asan clang-Release".
set -u
cd "$(dirname "$0")/.."
jobs=${1:-2}
target=${2:-all}
only=${GS_MATRIX:-}
failed=0
for cc in gcc clang; do
    command -v "$cc" >/dev/null 2>&1 || {
        echo "build_matrix: $cc not installed; skipped" >&2
        continue
    }
    for kind in Debug Release asan; do
        if [ -n "$only" ]; then
            case " $only " in *" $cc-$kind "*) ;; *) continue ;; esac
        fi
        dir=build-matrix/$cc-$kind
        log=build-matrix/$cc-$kind.log
        mkdir -p build-matrix
        case $kind in
            asan) args="-DCMAKE_BUILD_TYPE=Debug -DGS_SANITIZE=ON" ;;
            *) args="-DCMAKE_BUILD_TYPE=$kind" ;;
        esac
        # shellcheck disable=SC2086
        if CC=$cc cmake -S . -B "$dir" $args -DGS_WERROR=ON \
                -DGS_TEST_HOOKS=ON >"$log" 2>&1 &&
            cmake --build "$dir" -j"$jobs" --target "$target" >>"$log" 2>&1
        then
            echo "build_matrix: $cc $kind: ok"
        else
            echo "build_matrix: $cc $kind: FAILED (see $log)"
            grep -m 5 -E "error|warning" "$log" >&2 || true
            failed=1
        fi
    done
done
exit $failed
