#!/usr/bin/env bash
# One command for a fresh Debian 12 machine: install what is missing, build (Release), launch the
# app on its default experiment. Extra arguments go to the app (e.g. --preset cpu-quick --run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh release
app=build/release/bin/concurrency-lab
# Without arguments: the built-in default experiment, whatever the last session left open.
[ $# -eq 0 ] && set -- --preset cpu-seed
if [ ! -x "$app" ]; then
  echo "run: the GUI was not built" >&2
  exit 1
fi
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "run: no display found; starting the app under xvfb-run (export DISPLAY to see the window)" >&2
  exec xvfb-run -a "$app" "$@"
fi
exec "$app" "$@"
