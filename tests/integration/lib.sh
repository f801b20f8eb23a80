# Shared helpers for the integration tests: a private pouchd per test, real
# clients against it, assertions that print expected vs got.
# Never touches /run/pouchd.sock, /var/lib/pouch or any non-loopback address.
# Sourced by each test script; CTest passes POUCHD and POUCH_PLUGIN_DIR.

set -euo pipefail

T_NAME=$(basename "$0" .sh)
T_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${POUCHD:?POUCHD must name the pouchd binary (set by CTest)}"
: "${POUCH_PLUGIN_DIR:?POUCH_PLUGIN_DIR must name the build plugin directory (set by CTest)}"
[ -x "$POUCHD" ] || { echo "SKIP [$T_NAME]: pouchd not built at $POUCHD" >&2; exit 77; }

# Ready-wait bound: sanitizer builds start slower.
T_READY_SECS=${POUCH_TEST_READY_SECS:-20}
T_STOP_SECS=${POUCH_TEST_STOP_SECS:-15}

T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pouch-it.XXXXXX")
T_DIR=$(cd "$T_DIR" && pwd -P)
T_FAILED=0
T_BG_PIDS=()          # helper processes (clients) to kill at exit
T_DAEMON_PIDS=()      # pouchd processes started by this test

# Keep the docker CLI away from the user's contexts, config and env.
export DOCKER_CONFIG="$T_DIR/docker-config"
mkdir -p "$DOCKER_CONFIG"
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION || true

log()  { printf '[%s] %s\n' "$T_NAME" "$*" >&2; }
fail() { printf 'FAIL [%s]: %s\n' "$T_NAME" "$*" >&2; T_FAILED=1; exit 1; }
skip() { printf 'SKIP [%s]: %s\n' "$T_NAME" "$*" >&2; exit 77; }
pass() { printf 'ok   [%s] %s\n' "$T_NAME" "$*" >&2; }

# assert_eq EXPECTED GOT WHAT
assert_eq() {
  [ "$1" == "$2" ] || fail "$3: expected '$1', got '$2'"
  pass "$3 = '$2'"
}
# assert_ne UNEXPECTED GOT WHAT
assert_ne() {
  [ "$1" != "$2" ] || fail "$3: expected anything but '$1', got it"
  pass "$3 != '$1'"
}
# assert_contains HAYSTACK NEEDLE WHAT
assert_contains() {
  case "$1" in
    *"$2"*) pass "$3 contains '$2'" ;;
    *) fail "$3: expected to contain '$2', got:
$1" ;;
  esac
}
assert_not_contains() {
  case "$1" in
    *"$2"*) fail "$3: expected not to contain '$2', got:
$1" ;;
    *) pass "$3 does not contain '$2'" ;;
  esac
}
# assert_match REGEX GOT WHAT  (grep -E on each line; one matching line suffices)
assert_match() {
  grep -Eq -- "$1" <<<"$2" || fail "$3: expected a line matching /$1/, got:
$2"
  pass "$3 matches /$1/"
}
assert_file_absent() {
  [ ! -e "$1" ] || fail "$2: expected $1 to be gone, it still exists"
  pass "$2: $1 is gone"
}

# run_capture VAR_OUT VAR_ERR VAR_RC cmd...: run cmd, keep stdout/stderr/rc.
run_capture() {
  local __o=$1 __e=$2 __r=$3; shift 3
  local __rc=0
  "$@" >"$T_DIR/.out" 2>"$T_DIR/.err" || __rc=$?
  printf -v "$__o" '%s' "$(cat "$T_DIR/.out")"
  printf -v "$__e" '%s' "$(cat "$T_DIR/.err")"
  printf -v "$__r" '%s' "$__rc"
}

# wait_until SECS DESCRIPTION cmd...: poll cmd every 0.1 s, fail after SECS.
wait_until() {
  local secs=$1 what=$2; shift 2
  local deadline=$(( $(date +%s%N) + secs * 1000000000 ))
  while ! "$@" >/dev/null 2>&1; do
    [ "$(date +%s%N)" -lt "$deadline" ] || fail "timed out after ${secs}s waiting for: $what"
    sleep 0.1
  done
}

alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# wait_exit PID SECS: wait for a child of this shell to exit; sets WAIT_RC to
# its status, or 124 if it is still running after SECS. Runs in this shell
# (never in $(...)): only the parent can collect a child's status.
wait_exit() {
  local pid=$1 secs=$2 i
  WAIT_RC=124
  for ((i = 0; i < secs * 10; i++)); do
    if ! alive "$pid"; then
      WAIT_RC=0; wait "$pid" 2>/dev/null || WAIT_RC=$?
      return 0
    fi
    sleep 0.1
  done
}

# stop_pid PID [SECS]: SIGTERM, then SIGKILL after SECS; sets STOP_RC.
stop_pid() {
  local pid=$1 secs=${2:-$T_STOP_SECS}
  kill -TERM "$pid" 2>/dev/null || true
  wait_exit "$pid" "$secs"
  STOP_RC=$WAIT_RC
  if [ "$STOP_RC" = 124 ]; then
    log "pid $pid ignored SIGTERM for ${secs}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
}

ping_unix() { curl -sf --max-time 2 --unix-socket "$1" http://d/_ping 2>/dev/null | grep -qx OK; }

# pouchd_spawn NAME ARGS...: start pouchd in the background (as this shell's
# child, so the script reaps it), stderr to $T_DIR/NAME.log; sets SPAWN_PID.
pouchd_spawn() {
  local name=$1; shift
  "$POUCHD" "$@" </dev/null >"$T_DIR/$name.log" 2>&1 &
  SPAWN_PID=$!
  T_DAEMON_PIDS+=("$SPAWN_PID")
}

# pouchd_start [EXTRA ARGS...]: the test's main daemon on private dirs.
# Sets POUCHD_PID, POUCH_SOCK, POUCH_ROOT, POUCH_LOG, POUCH_CONFIG; exports DOCKER_HOST.
pouchd_start() {
  POUCH_SOCK="$T_DIR/pouchd.sock"
  POUCH_ROOT="$T_DIR/root"
  POUCH_LOG="$T_DIR/pouchd.log"
  POUCH_CONFIG=${POUCH_CONFIG:-$T_DIR/pouchd.json}
  [ -f "$POUCH_CONFIG" ] || echo '{}' >"$POUCH_CONFIG"
  T_START_SECS=$(date +%s)
  pouchd_spawn pouchd --plugin-dir "$POUCH_PLUGIN_DIR" --config-file "$POUCH_CONFIG" \
    --data-root "$POUCH_ROOT" --exec-root "$T_DIR/exec" \
    -H "unix://$POUCH_SOCK" --pidfile "$T_DIR/pouchd.pid" "$@"
  POUCHD_PID=$SPAWN_PID
  pouchd_wait_ready "$POUCHD_PID" "$POUCH_SOCK" "$POUCH_LOG"
  export DOCKER_HOST="unix://$POUCH_SOCK"
  log "pouchd pid $POUCHD_PID ready on $POUCH_SOCK"
}

# pouchd_wait_ready PID SOCK LOG: bounded wait for /_ping; fails early if it died.
pouchd_wait_ready() {
  local pid=$1 sock=$2 logf=$3 i
  for ((i = 0; i < T_READY_SECS * 10; i++)); do
    ping_unix "$sock" && return 0
    if ! alive "$pid"; then
      local rc=0; wait "$pid" 2>/dev/null || rc=$?
      fail "pouchd exited with status $rc before it was ready; its log:
$(tail -n 40 "$logf")"
    fi
    sleep 0.1
  done
  fail "pouchd (pid $pid) did not answer GET /_ping on $sock within ${T_READY_SECS}s; its log:
$(tail -n 40 "$logf")"
}

# pouchd_stop: stop the main daemon, fail unless it exits 0 (sanitizer
# reports and leaks show up here as a non-zero status).
pouchd_stop() {
  [ -n "${POUCHD_PID:-}" ] || return 0
  local pid=$POUCHD_PID
  stop_pid "$pid"; POUCHD_PID=
  [ "$STOP_RC" = 0 ] || fail "pouchd (pid $pid) exited with status $STOP_RC on SIGTERM (expected 0); its log:
$(tail -n 60 "$POUCH_LOG")"
}

# Background client bookkeeping.
bg_track() { T_BG_PIDS+=("$@"); }

_t_cleanup() {
  local rc=$? pid
  set +e
  for pid in "${T_BG_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${T_BG_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  if [ -n "${POUCHD_PID:-}" ] && alive "$POUCHD_PID"; then
    stop_pid "$POUCHD_PID"
    if [ "$STOP_RC" != 0 ] && [ "$rc" = 0 ]; then
      printf 'FAIL [%s]: pouchd exited with status %s on SIGTERM at clean-up; its log:\n%s\n' \
        "$T_NAME" "$STOP_RC" "$(tail -n 60 "$POUCH_LOG")" >&2
      rc=1
    fi
  fi
  for pid in "${T_DAEMON_PIDS[@]}"; do
    alive "$pid" && stop_pid "$pid"
  done
  if [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ -n "${POUCH_LOG:-}" ] && [ -f "$POUCH_LOG" ]; then
    printf -- '--- last lines of %s ---\n%s\n' "$POUCH_LOG" "$(tail -n 30 "$POUCH_LOG")" >&2
  fi
  if [ -n "${POUCH_TEST_KEEP:-}" ]; then
    log "keeping $T_DIR"
  else
    rm -rf "$T_DIR"
  fi
  exit "$rc"
}
trap _t_cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# --- clients ---------------------------------------------------------------

# docker28: the current docker CLI (Docker 28); empty if this machine has none.
find_docker28() {
  local c
  for c in "${POUCH_TEST_DOCKER28:-}" /usr/local/bin/docker "$(command -v docker 2>/dev/null || true)"; do
    [ -n "$c" ] && [ -x "$c" ] || continue
    local v; v=$("$c" --version 2>/dev/null | sed -n 's/^Docker version \([0-9]*\)\..*/\1/p')
    [ -n "$v" ] && [ "$v" -ge 23 ] && { echo "$c"; return 0; }
  done
  return 0
}
# docker20: Debian's docker.io 20.10 CLI, extracted by packaging/deps.sh.
find_docker20() {
  local c
  for c in "${POUCH_TEST_DOCKER20:-}" /var/cache/pouch-test/docker-20.10/usr/bin/docker /usr/bin/docker; do
    [ -n "$c" ] && [ -x "$c" ] || continue
    "$c" --version 2>/dev/null | grep -q '^Docker version 20\.10\.' && { echo "$c"; return 0; }
  done
  return 0
}
need_docker28() {
  DOCKER=$(find_docker28)
  [ -n "$DOCKER" ] || skip "no docker CLI >= 23 (looked for /usr/local/bin/docker and docker on PATH; set POUCH_TEST_DOCKER28)"
}

# curl_unix PATH [curl args...]: body of a request to the main daemon.
curl_unix() { local p=$1; shift; curl -s --max-time 10 --unix-socket "$POUCH_SOCK" "$@" "http://d$p"; }

# json_get EXPR: evaluate a python expression on the JSON document on stdin (as d).
json_get() { python3 -c 'import json,sys; d=json.load(sys.stdin); v=eval(sys.argv[1]); print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$1"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

need_cmd() { command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed (packaging/deps.sh installs it)"; }
need_cmd curl
need_cmd python3
