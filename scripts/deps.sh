#!/usr/bin/env bash
# Installs the Debian 12 packages Concurrency Lab needs, only those missing (fast when all are there).
# With arguments, installs those packages instead (the fuzz and package scripts' tools), the same way.
set -euo pipefail
PACKAGES=(
  cmake g++ make pkg-config
  qt6-base-dev qt6-svg-dev libqt6svg6 libqcustomplot-dev
  libcurl4-openssl-dev libcpp-httplib-dev libssl-dev
  libgl-dev
  xvfb xauth fonts-dejavu-core
  python3
  # the install check (scripts/check-install.sh, tests/core/tst_install.cpp)
  desktop-file-utils appstream shared-mime-info man-db groff-base
)
if [ $# -gt 0 ]; then PACKAGES=("$@"); fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "$(basename "$0"): installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# Try from the current package lists first; refresh them only when that fails.
if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
