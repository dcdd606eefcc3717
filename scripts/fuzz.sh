#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` CMake preset: clang 14, ASan + UBSan; packages clang-14
# and libclang-rt-14-dev, installed here when missing) and runs each for SECONDS (default 600),
# JOBS targets at a time (default 1), niced so the machine stays usable.
#   scripts/fuzz.sh [-t SECONDS] [-j JOBS] [TARGET...]     TARGET: spec, frame, result (default: all)
# Each target starts from its seed corpus tests/data/fuzz/<target>/ (left untouched) and grows a
# working corpus in build/fuzz/corpus/<target>/. Crash, leak, timeout and out-of-memory inputs
# land in build/fuzz/artifacts/<target>/; keep each one as tests/data/fuzz/<target>/crash-<what>
# after fixing it: the CTest fuzz-replay-<target> of the normal build replays them all.
# Ends with a table: target, executions, seconds, corpus size, artifacts. Exit 1 if any target
# left an artifact.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=600
jobs=1
while getopts "t:j:" opt; do
  case $opt in
    t) seconds=$OPTARG ;;
    j) jobs=$OPTARG ;;
    *) echo "usage: scripts/fuzz.sh [-t SECONDS] [-j JOBS] [TARGET...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))

scripts/deps.sh clang-14 libclang-rt-14-dev
scripts/deps.sh

cmake --preset fuzz >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=()
  for d in tests/data/fuzz/*/; do targets+=("$(basename "$d")"); done
fi
cmake --build build/fuzz -j2 --target "${targets[@]/#/fuzz-}"

run_one() {
  local t=$1
  local corpus=build/fuzz/corpus/$t artifacts=build/fuzz/artifacts/$t
  mkdir -p "$corpus" "$artifacts"
  # Both folders as corpus: new inputs go to the first, the seeds are only read.
  nice -n 10 build/fuzz/bin/fuzz-"$t" "$corpus" "tests/data/fuzz/$t" \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 >"build/fuzz/$t.log" 2>&1 || true
}

running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

status=0
printf '%-10s %14s %8s %8s  %s\n' target executions seconds corpus artifacts
for t in "${targets[@]}"; do
  log=build/fuzz/$t.log
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  corpus=$(find "build/fuzz/corpus/$t" -type f | wc -l)
  found=$(find "build/fuzz/artifacts/$t" -type f -printf '%f ' 2>/dev/null)
  [ -n "$found" ] && status=1
  printf '%-10s %14s %8s %8s  %s\n' "$t" "${execs:-?}" "${secs:-?}" "$corpus" "${found:-none}"
done
exit $status
