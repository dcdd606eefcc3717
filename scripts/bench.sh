#!/usr/bin/env bash
# Builds (Release) and runs every benchmark, printing the ratios each measures in one run.
# Run it on an idle machine: the figures are only as quiet as the box. scripts/bench.sh [core|dispatch|gil|io|gui|sync|queues|costs]...
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh release
export QT_QPA_PLATFORM=offscreen
benches=("$@")
[ ${#benches[@]} -eq 0 ] && benches=(core dispatch gil io gui sync queues costs)
for b in "${benches[@]}"; do
  echo "=== $b-bench ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg)) ==="
  if [ "$b" = gui ] && [ -z "${DISPLAY:-}" ] && command -v xvfb-run >/dev/null; then
    # gui-bench also starts the real app to measure its idle CPU: under a 1920x1080 X server.
    xvfb-run -a -s "-screen 0 1920x1080x24" "build/release/bin/$b-bench"
  else
    "build/release/bin/$b-bench"
  fi
done
