#!/usr/bin/env bash
# Kill / stop / orphan scenarios on a built tree: SIGKILL, SIGTERM, SIGHUP and SIGINT of the CLI
# and of the app during `processes` and `python-processes` runs, SIGSTOP and SIGKILL of one pool
# worker. After each: the exit status, orphans (a recorded descendant still running), zombies
# (a recorded descendant not reaped), temporary concurrency-lab-* folders left in the run's own
# TMPDIR, and new entries in /dev/shm. Prints: scenario | expected | observed | ok.
#
#   scripts/fault-scenarios.sh [BUILD_DIR]      (default build/dev; exit 1 if a scenario failed)
set -u
# Job control: background jobs get their own process group and keep SIGINT (a shell without it
# starts them with SIGINT ignored, and the front ends leave an ignored signal ignored).
set -m
cd "$(dirname "$0")/.."
BUILD=${1:-build/dev}
CLI=$BUILD/bin/concurrency-lab-cli
APP=$BUILD/bin/concurrency-lab
[ -x "$CLI" ] || { echo "fault-scenarios: $CLI not built" >&2; exit 2; }
command -v python3 >/dev/null || { echo "fault-scenarios: python3 not found" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fault-scenarios.XXXXXX")
STARTED=()   # every pid this script started or saw under them, for the final clean-up
cleanup() {
    for p in "${STARTED[@]}"; do kill -KILL "$p" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT

spec() {  # NAME MODEL MS [EXTRA]
    printf '{"name":"%s","workload":{"kind":"sleep","tasks":6,"ms":%s},"models":["%s"],"workers":2%s}\n' \
        "$1" "$3" "$2" "${4:-}" > "$WORK/$1.json"
}
spec long-python python-processes 30000
spec long-native processes 30000
spec stop-python python-processes 1500 ',"task_timeout_s":4'
spec stop-native processes 1500 ',"task_timeout_s":4'

children() { ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' '; }
descendants() { local c; for c in $(children "$1"); do echo "$c"; descendants "$c"; done; }
state() { sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$1/stat" 2>/dev/null; }
pcomm() { cat "/proc/$1/comm" 2>/dev/null; }

# Pids of the pool workers under the front end $1 (python: the interpreter's children; native:
# the concurrency-lab-worker children), once there are two; empty after 40 s.
pool_of() {
    local parent=$1 kind=$2 i c w
    for i in $(seq 400); do
        local found=()
        for c in $(children "$parent"); do
            if [ "$kind" = python ] && [[ "$(pcomm "$c")" == python* ]]; then
                for w in $(children "$c"); do [ "$(state "$w")" != Z ] && found+=("$w"); done
            elif [ "$kind" = native ] && [[ "$(pcomm "$c")" == concurrency-lab* ]] && [ "$(state "$c")" != Z ]; then
                found+=("$c")
            fi
        done
        if [ "${#found[@]}" -ge 2 ]; then echo "${found[@]}"; return; fi
        sleep 0.1
    done
}

alive_within() {  # PID SECONDS: 0 if PID still exists after SECONDS
    local i
    for i in $(seq $(($2 * 10))); do kill -0 "$1" 2>/dev/null || return 1; sleep 0.1; done
    return 0
}

ROWS=()
FAILED=0
row() { ROWS+=("$1|$2|$3|$4"); [ "$4" = yes ] || FAILED=1; }

# scenario FRONT(cli|app) KIND(python|native) TARGET(front|worker) SIGNAL EXPECTED_EXIT EXPECT_NOTE
scenario() {
    local front=$1 kind=$2 target=$3 sig=$4 want=$5 note=${6:-}
    local name="$front $sig $( [ "$target" = worker ] && echo "of a pool worker " )during $( [ "$kind" = python ] && echo python-processes || echo processes )"
    local tmp="$WORK/tmp.$RANDOM$RANDOM" log="$WORK/log.$RANDOM" json="$WORK/out.$RANDOM.json"
    mkdir -p "$tmp"
    local shm_before; shm_before=$(ls -A /dev/shm 2>/dev/null | sort)
    local specfile="$WORK/long-$kind.json"
    [ "$target" = worker ] && specfile="$WORK/stop-$kind.json"
    if [ "$front" = cli ]; then
        TMPDIR=$tmp "$CLI" run "$specfile" --quiet --json "$json" >"$log" 2>&1 &
    else
        [ -x "$APP" ] || { row "$name" "-" "app not built" no; return; }
        TMPDIR=$tmp QT_QPA_PLATFORM=offscreen "$APP" --preset "$specfile" --run --no-settings >"$log" 2>&1 &
    fi
    local pid=$!
    STARTED+=("$pid")
    local pool; pool=$(pool_of "$pid" "$kind")
    if [ -z "$pool" ]; then
        row "$name" "$want" "no pool seen: $(tail -c 200 "$log" | tr '\n' ' ')" no
        kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
        return
    fi
    local desc; desc=$(descendants "$pid")
    STARTED+=($desc)
    local leftovers_before; leftovers_before=$(ls -A "$tmp" | grep -c '^concurrency-lab-')
    local hung=""
    if [ "$target" = front ]; then
        kill "-$sig" "$pid"
        alive_within "$pid" 20 && hung="still running 20 s after the signal"
    else
        set -- $pool
        kill "-$sig" "$1"
        alive_within "$pid" 60 && hung="run still going 60 s after the $sig"
    fi
    if [ -n "$hung" ]; then
        kill -KILL "$pid" $desc 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    local code=$?
    # Orphans of a SIGKILLed front end die by their parent-death signal: give them a moment.
    local orphans=0 zombies=0 p i
    for i in $(seq 30); do
        orphans=0; zombies=0
        for p in $desc; do
            local st; st=$(state "$p")
            [ -z "$st" ] && continue
            if [ "$st" = Z ]; then zombies=$((zombies + 1)); else orphans=$((orphans + 1)); fi
        done
        [ $((orphans + zombies)) -eq 0 ] && break
        sleep 0.1
    done
    local tmpleft; tmpleft=$(ls -A "$tmp" | grep -c '^concurrency-lab-')
    local shm_new; shm_new=$(comm -13 <(echo "$shm_before") <(ls -A /dev/shm 2>/dev/null | sort) | grep -c .)
    local categories=""
    if [ "$target" = worker ] && [ -f "$json" ]; then
        categories=" $(grep -o '"error_category": *"[a-z-]*"' "$json" | sed 's/.*"\([a-z-]*\)"$/\1/' | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')"
    fi
    local observed="exit=$code orphans=$orphans zombies=$zombies tmp=$tmpleft/$leftovers_before shm=$shm_new${categories% }"
    [ -n "$hung" ] && observed="HUNG ($hung); $observed"
    local expected="exit=$want orphans=0 zombies=0 tmp=$( [ "$sig" = KILL ] && [ "$target" = front ] && echo "any" || echo 0 ) shm=0${note:+ $note}"
    local ok=yes
    [ -n "$hung" ] && ok=no
    [ "$code" = "$want" ] || ok=no
    [ "$orphans" = 0 ] && [ "$zombies" = 0 ] && [ "$shm_new" = 0 ] || ok=no
    if ! { [ "$sig" = KILL ] && [ "$target" = front ]; }; then [ "$tmpleft" = 0 ] || ok=no; fi
    if [ -n "$note" ]; then [[ "$categories" == *"${note%%=*}"* ]] || ok=no; fi
    row "$name" "$expected" "$observed" "$ok"
}

for kind in python native; do
    scenario cli "$kind" front INT 130
    scenario cli "$kind" front TERM 130
    scenario cli "$kind" front HUP 130
    scenario cli "$kind" front KILL 137
    scenario app "$kind" front TERM 143
    scenario app "$kind" front HUP 129
    scenario app "$kind" front INT 130
    scenario app "$kind" front KILL 137
    scenario cli "$kind" worker STOP 1 "timed-out=1"
    if [ "$kind" = python ]; then
        scenario cli python worker KILL 1 "worker-died=1"
    else
        scenario cli native worker KILL 0   # the native pool retries a task whose worker was killed from outside
    fi
done

{
    echo "scenario|expected|observed|ok"
    printf '%s\n' "${ROWS[@]}"
} | column -t -s '|' -o ' | '
exit $FAILED
