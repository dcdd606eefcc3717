#!/usr/bin/env bash
# One command for a fresh Debian 12 machine: install what is missing, build (Release), launch the
# app on its default experiment. Extra arguments go to the app (e.g. --preset cpu-quick --run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh release
app=build/release/bin/concurrency-lab
if [ ! -x "$app" ]; then
  echo "run: the GUI is not built yet; running the CLI on the default preset" >&2
  exec build/release/bin/concurrency-lab-cli run cpu-seed "$@"
fi
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "run: no display found; starting the app under xvfb-run (export DISPLAY to see the window)" >&2
  exec xvfb-run -a "$app" "$@"
fi
exec "$app" "$@"
