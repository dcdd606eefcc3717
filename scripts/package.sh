#!/usr/bin/env bash
# Builds the Debian package: scripts/package.sh [OUT_DIR] (default: build/). Installs what it needs
# (scripts/deps.sh plus the packaging tools), builds a release tree (build/package), runs CPack's
# DEB generator (cmake/labpackage.cmake), then lintian, whose report it prints. Exit status 0 when
# the package was built and lintian found no error. Install it with
#   sudo apt-get install ./build/concurrency-lab_<version>_<arch>.deb
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
out=$(mkdir -p "${1:-$src/build}" && cd "${1:-$src/build}" && pwd)

scripts/deps.sh
# Packaging tools, only those missing (as deps.sh does for the build).
scripts/deps.sh dpkg-dev fakeroot file lintian

# A release tree of its own with Debian's hardening flags (as dpkg-buildpackage passes them, all
# of them, without -g: CPack strips the programs): Release (-O3), no tests or benches.
export DEB_BUILD_MAINT_OPTIONS=hardening=+all DEB_CXXFLAGS_MAINT_STRIP=-g
bt=build/package
mkdir -p build
cmake --preset release -B "$bt" -DLAB_BUILD_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CXXFLAGS)" \
  -DCMAKE_EXE_LINKER_FLAGS="$(dpkg-buildflags --get LDFLAGS)" >"$bt.configure.log" 2>&1 \
  || { cat "$bt.configure.log" >&2; exit 1; }
rm -f "$bt.configure.log"
cmake --build "$bt" -j"${LAB_JOBS:-$(nproc)}"
# CPack stages and packs in its own folder; the .deb is moved to OUT_DIR.
stage=$bt/_cpack
rm -rf "$stage"
(cd "$bt" && cpack -G DEB -B "$src/$stage") >"$stage.log" 2>&1 || { cat "$stage.log" >&2; exit 1; }
deb=$(ls "$stage"/concurrency-lab_*.deb)
mv -f "$deb" "$out/"
deb=$out/${deb##*/}
rm -rf "$stage" "$stage.log"
echo "package: $deb"
dpkg-deb --field "$deb" Package Version Architecture Depends Recommends Section Priority Maintainer

echo "package: lintian $(lintian --version | awk '{print $2}'):"
report=$(lintian --info --display-info --fail-on none "$deb" 2>&1) || { echo "$report" >&2; exit 1; }
echo "${report:-(no tags)}"
errors=$(grep -c '^E:' <<<"$report" || true)
warnings=$(grep -c '^W:' <<<"$report" || true)
echo "package: lintian: $errors error(s), $warnings warning(s)"
[ "$errors" -eq 0 ]
