#!/usr/bin/env bash
# One command for a fresh Debian 12 machine: install what is missing, build (warnings are errors)
# and run the whole test suite offscreen. CI (.ci/run) calls exactly this. Arguments go to ctest
# (e.g. -R tst_gil). Ends with every skipped test function and its reason, read from the Qt Test
# logs each test writes to build/dev/test-logs/ (tests/CMakeLists.txt), so a skip is seen even
# when CTest says 100 % passed. Exit status: ctest's.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh dev
export QT_QPA_PLATFORM=offscreen
logs=build/dev/test-logs
mkdir -p "$logs"
rm -f "$logs"/*.txt  # only this run's tests are listed
status=0
ctest --preset dev "$@" || status=$?

skips=()
for log in "$logs"/*.txt; do
  [ -e "$log" ] || continue
  while IFS= read -r line; do
    skips+=("${line#SKIP   : }")
  done < <(grep '^SKIP   : ' "$log" || true)
done
echo
if [ ${#skips[@]} -eq 0 ]; then
  echo "no test skipped"
else
  echo "${#skips[@]} test function(s) skipped:"
  printf '  %s\n' "${skips[@]}"
fi
exit "$status"
