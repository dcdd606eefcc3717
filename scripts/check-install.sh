#!/usr/bin/env bash
# Checks an install of a build: scripts/check-install.sh [BUILD_DIR] (default build/dev; CTest's
# install-check test runs it on its own build). Installs the build into a temporary prefix with
# `cmake --install`, then from another folder: the installed CLI runs cpu-quick on every model
# that can run it (the workers must be found), the installed app starts offscreen and quits with
# status 0 on a saved result; desktop-file-validate, appstreamcli validate and the man pages
# (man -l, no warning) must pass. Removes the prefix afterwards. Exit status 0 when all passed.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build/dev}" && pwd)
for tool in cmake desktop-file-validate appstreamcli man; do
  command -v "$tool" >/dev/null || { echo "check-install: $tool not found (run scripts/deps.sh)" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/clab-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/root/usr  # a root tree, so appstreamcli validate-tree can check it as a whole
failures=0
fail() { echo "check-install: FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "check-install: ok: $*"; }

cmake --install "$build" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log" >&2; exit 1; }
ok "installed into a temporary prefix ($(wc -l <"$work/install.log") lines of log)"

# From a folder that has nothing to do with the build or the prefix, with a clean environment
# for the app's settings: the install must stand alone.
elsewhere=$work/elsewhere
mkdir -p "$elsewhere/home"
cd "$elsewhere"
export HOME=$elsewhere/home XDG_CONFIG_HOME=$elsewhere/home/.config XDG_CACHE_HOME=$elsewhere/home/.cache \
       XDG_DATA_HOME=$elsewhere/home/.local/share XDG_RUNTIME_DIR=$elsewhere/run QT_QPA_PLATFORM=offscreen
mkdir -p -m 700 "$XDG_RUNTIME_DIR"

cli=$prefix/bin/concurrency-lab-cli
app=$prefix/bin/concurrency-lab
for f in "$cli" "$app" "$prefix/bin/concurrency-lab-server" "$prefix/libexec/concurrency-lab/concurrency-lab-worker"; do
  [ -x "$f" ] || fail "${f#"$prefix"/} is not installed"
done
[ -e "$prefix/bin/concurrency-lab-worker" ] && fail "the worker is in bin/ (it belongs in libexec/concurrency-lab/)"

# Every model the cpu workload can run ("workloads" lists the ones it cannot, "not on M:").
models=$("$cli" models | awk '{print $1}')
not_cpu=$("$cli" workloads | awk '/^[a-z]/ {w=$1} w=="cpu" && $1=="not" && $2=="on" {sub(":","",$3); print $3}')
run_models=()
for m in $models; do
  if grep -qx "$m" <<<"$not_cpu"; then
    echo "check-install: model $m cannot run the cpu workload (concurrency-lab-cli workloads says why); not run"
  else
    run_models+=("$m")
  fi
done
[ ${#run_models[@]} -ge 4 ] || fail "only ${#run_models[@]} models listed: $models"
list=$(IFS=,; echo "${run_models[*]}")
if "$cli" run cpu-quick --models "$list" --json "$elsewhere/run.clab.json" >"$work/run.txt" 2>&1; then
  ok "installed CLI ran cpu-quick on $list"
  grep -E '^(model  |[a-z-]+ +[0-9]+ )' "$work/run.txt" | sed 's/^/    /'
else
  cat "$work/run.txt" >&2
  fail "installed CLI: cpu-quick on $list"
fi
grep -q "unavailable" "$work/run.txt" && fail "a model was unavailable: $(grep unavailable "$work/run.txt")"
for m in "${run_models[@]}"; do
  grep -Eq "^$m +[0-9]+ .* yes\$" "$work/run.txt" || fail "model $m did not run and verify"
done

# The installed app, offscreen: shows the result the CLI saved (as a double-click would, a file
# argument) and quits with 0; then a scripted run on one model.
if timeout 120 "$app" "$elsewhere/run.clab.json" --quit-when-done >"$work/app.txt" 2>&1; then
  ok "installed app opened the saved result and quit 0"
else
  cat "$work/app.txt" >&2
  fail "installed app with a result file argument"
fi
if timeout 120 "$app" --preset cpu-quick --models sequential,processes --run --quit-when-done >"$work/app2.txt" 2>&1; then
  ok "installed app ran cpu-quick on sequential,processes and quit 0"
else
  cat "$work/app2.txt" >&2
  fail "installed app, --run --quit-when-done"
fi
find "$prefix" -newer "$work/install.log" -type f | grep -q . && fail "files appeared in the prefix: $(find "$prefix" -newer "$work/install.log" -type f)"

share=$prefix/share
desktop=$(ls "$share"/applications/*.desktop)
if desktop-file-validate "$desktop"; then ok "desktop-file-validate ${desktop##*/}"; else fail "desktop-file-validate"; fi
metainfo=$(ls "$share"/metainfo/*.metainfo.xml)
if appstreamcli validate --no-net --explain "$metainfo"; then ok "appstreamcli validate ${metainfo##*/}"; else fail "appstreamcli validate"; fi
# The tree as a whole: the metainfo's launchable names the installed desktop file, icons exist.
if appstreamcli validate-tree --no-net "$work/root" >"$work/tree.txt" 2>&1; then
  ok "appstreamcli validate-tree"
else
  cat "$work/tree.txt" >&2
  fail "appstreamcli validate-tree"
fi
grep -q "^Icon=concurrency-lab$" "$desktop" || fail "the desktop file's icon"
for size in 16 22 24 32 48 64 128 256; do
  [ -s "$share/icons/hicolor/${size}x${size}/apps/concurrency-lab.png" ] || fail "icon ${size}x${size} missing"
done
[ -s "$share/icons/hicolor/scalable/apps/concurrency-lab.svg" ] || fail "scalable icon missing"
[ -s "$share/mime/packages/concurrency-lab.xml" ] || fail "MIME type missing"

for page in concurrency-lab concurrency-lab-cli concurrency-lab-server; do
  f=$share/man/man1/$page.1.gz
  if [ ! -s "$f" ]; then fail "man page $page missing"; continue; fi
  warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=all -l -Tutf8 "$f" 2>&1 >"$work/$page.txt")
  if [ -n "$warnings" ] || [ ! -s "$work/$page.txt" ]; then
    fail "man -l $page: ${warnings:-no output}"
  else
    ok "man -l $page ($(wc -l <"$work/$page.txt") lines, no warning)"
  fi
done

cd /
if [ $failures -ne 0 ]; then
  echo "check-install: $failures check(s) failed" >&2
  exit 1
fi
echo "check-install: all checks passed"
