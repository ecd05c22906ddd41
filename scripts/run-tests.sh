#!/usr/bin/env bash
# Every test of the project, as `make test` and CI run it:
#   1. a clang build with ASan+UBSan and -Werror: unit tests, golden tests, the lab captures,
#      every file of the shared corpus, fuzz corpus replay (no lab: it needs the plain build's
#      timing and root);
#   2. the plain build with -Werror: the same tests plus the lab of real gateways in network
#      namespaces (skipped, not failed, without root).
# Ends with one line "N passed, N failed" over both runs (ctest's own summaries above it).
set -u -o pipefail
cd "$(dirname "$0")/.." || exit 2
JOBS=${JOBS:-2}
ASAN_BUILD=${ASAN_BUILD:-build-asan}
BUILD=${BUILD:-build}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0

run_ctest() { # dir
  (cd "$1" && ctest --output-on-failure -j"$JOBS" --timeout 900) 2>&1 | tee -a "$log"
}

if CC=clang cmake -S . -B "$ASAN_BUILD" -DCMAKE_BUILD_TYPE=Debug -DWHY_SANITIZE=ON -DWHY_WERROR=ON \
     -DWHY_LAB=OFF >/dev/null && cmake --build "$ASAN_BUILD" -j"$JOBS"; then
  run_ctest "$ASAN_BUILD" || rc=1
else
  echo "run-tests: the sanitized build failed"; echo "0% tests passed, 1 tests failed out of 1" >>"$log"; rc=1
fi
if cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWHY_WERROR=ON -DWHY_LAB=ON \
     -DWHY_SANITIZE=OFF >/dev/null &&
   cmake --build "$BUILD" -j"$JOBS"; then
  run_ctest "$BUILD" || rc=1
else
  echo "run-tests: the build failed"; echo "0% tests passed, 1 tests failed out of 1" >>"$log"; rc=1
fi
# "100% tests passed, 0 tests failed out of 17" per run
summary=$(awk '/tests passed, [0-9]+ tests failed out of/ { f += $4; n += $NF }
               END { printf "%d passed, %d failed\n", n - f, f }' "$log")
mkdir -p "$BUILD" && echo "$summary" > "$BUILD/test-summary.txt" # .ci/run repeats it last
echo "$summary"
exit $rc
