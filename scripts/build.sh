#!/usr/bin/env bash
# Configures (once) and builds one CMake preset: scripts/build.sh [release|dev|asan|tsan]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
if [ ! -f "build/$preset/CMakeCache.txt" ]; then
  cmake --preset "$preset" >/dev/null
fi
cmake --build --preset "$preset" -j"$(nproc)"
