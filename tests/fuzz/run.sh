#!/usr/bin/env bash
# Runs every libFuzzer target for a while (default 300 s each) in a clang build with ASan and
# UBSan (build-fuzz/). Corpora start from tests/fuzz/corpus/<target>/ (and, for the reader and
# the pipeline, the project's captures and the shared corpus) and grow in build-fuzz/corpus/.
# A crash is written to build-fuzz/crashes/<target>/: reduce it, add it to
# tests/fuzz/corpus/<target>/ (it then replays in every test run) and fix the bug.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-300}
shift || true
targets=("${@:-reader decode dns http1 http2 tls tlsdec pipeline}")
read -r -a targets <<<"${targets[*]}"
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWHY_FUZZ=ON -DWHY_TESTS=OFF \
  -DWHY_LAB=OFF >/dev/null
cmake --build build-fuzz -j2 >/dev/null
for t in "${targets[@]}"; do
  corpus=build-fuzz/corpus/$t crashes=build-fuzz/crashes/$t
  mkdir -p "$corpus" "$crashes"
  seeds=(tests/fuzz/corpus/$t)
  if [ "$t" = reader ] || [ "$t" = pipeline ]; then
    seeds+=(tests/captures/lab)
    [ -d ../shared/corpus ] && seeds+=(../shared/corpus/gateway-failures ../shared/corpus/malformed ../shared/corpus/protocols)
  fi
  existing=()
  for d in "${seeds[@]}"; do [ -d "$d" ] && existing+=("$d"); done
  echo "fuzz $t: ${secs}s"
  build-fuzz/tests/fuzz/fuzz_$t -max_total_time="$secs" -max_len=1048576 -rss_limit_mb=4096 \
    -timeout=20 -print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" "${existing[@]}" \
    2>&1 | grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+.*DONE)|==[0-9]+== ?ERROR|runtime error|^SUMMARY" || true
  echo "fuzz $t: $(ls "$crashes" | wc -l) crash files, corpus $(ls "$corpus" | wc -l) inputs"
done
