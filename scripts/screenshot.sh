#!/usr/bin/env bash
# Remakes docs/screenshot.png: a scripted comparison run of the app under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh release
out=$(mktemp -d)
xvfb-run -a build/release/bin/concurrency-lab --no-settings --preset "${1:-cpu-quick}" \
  --models sequential,threads,processes,gil-threads --run --size 1600x1000 \
  --export-dir "$out" --screenshot docs/screenshot.png --quit-when-done
echo "screenshot: docs/screenshot.png; charts and data: $out"
