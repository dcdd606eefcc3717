#!/usr/bin/env bash
# One command for a fresh Debian 12 machine: install what is missing, build (warnings are errors)
# and run the whole test suite offscreen. CI (.ci/run) calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh dev
export QT_QPA_PLATFORM=offscreen
ctest --preset dev "$@"
