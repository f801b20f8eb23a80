# Shared helpers for the container tests (containers*.sh), on top of lib.sh.
#
# Every container test runs against a private pouchd (the default), or, with
#   POUCH_TEST_AGAINST=unix:///tmp/reference-dockerd/docker.sock
# against an engine that is already running (the reference dockerd), to
# check that the test itself expects what dockerd does. On a shared engine
# the tests touch only what they create: every container carries the label
# pouch.test.run=<this run's id> and a name starting with $CT_PFX, clean-up
# removes exactly those, and list/prune checks are scoped by that label.
#
# Sourced by each script instead of lib.sh:  source "$(dirname "$0")/containers-lib.sh"

if [ -n "${POUCH_TEST_AGAINST:-}" ]; then
  # lib.sh insists on a pouchd binary; against another engine none is needed.
  export POUCHD=${POUCHD:-/bin/true} POUCH_PLUGIN_DIR=${POUCH_PLUGIN_DIR:-/nonexistent}
fi
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CT_PLUGINS=${POUCH_TEST_PLUGINS:-moby-api,runtime-ns,log-json-file,log-none}
CT_RUN="$$-$(date +%s%N | tail -c 7)"
CT_PFX="pt${CT_RUN//-/}-"            # container name prefix of this run
CT_LABEL="pouch.test.run=$CT_RUN"
CT_REF=0                              # 1: running against POUCH_TEST_AGAINST
[ -n "${POUCH_TEST_AGAINST:-}" ] && CT_REF=1
CT_TO=${POUCH_TEST_CMD_SECS:-60}      # bound on every client command
DEFECTS=()
CFG_IMG="pt-cfg:$CT_RUN"
CT_RMI=()                             # images to remove at exit

# --- engine ----------------------------------------------------------------

# ct_engine [EXTRA POUCHD ARGS...]: the engine under test. Exports DOCKER_HOST.
ct_engine() {
  if [ "$CT_REF" = 1 ]; then
    export DOCKER_HOST=$POUCH_TEST_AGAINST
    ENGINE_SOCK=${POUCH_TEST_AGAINST#unix://}
    POUCH_SOCK=$ENGINE_SOCK           # curl_unix talks to it too
    ping_unix "$ENGINE_SOCK" || skip "POUCH_TEST_AGAINST=$POUCH_TEST_AGAINST does not answer /_ping"
    log "against the engine at $POUCH_TEST_AGAINST (run id $CT_RUN)"
  else
    [ "$(id -u)" = 0 ] || skip "containers need root"
    [ -f "$POUCH_PLUGIN_DIR/runtime-ns.so" ] || [ -n "${POUCH_TEST_PLUGINS:-}" ] \
      || skip "runtime-ns plugin not built ($POUCH_PLUGIN_DIR/runtime-ns.so)"
    pouchd_start --plugins="$CT_PLUGINS" "$@"
    ENGINE_SOCK=$POUCH_SOCK
  fi
}

# ct_client [28|20]: sets DOCKER to the docker CLI of that generation.
ct_client() {
  case "${1:-28}" in
    28) DOCKER=$(find_docker28)
        [ -n "$DOCKER" ] || skip "no docker CLI >= 23 (looked for /usr/local/bin/docker and docker on PATH; set POUCH_TEST_DOCKER28)" ;;
    20) DOCKER=$(find_docker20)
        [ -n "$DOCKER" ] || skip "no docker 20.10 CLI (packaging/deps.sh extracts Debian's docker.io into /var/cache/pouch-test/docker-20.10; set POUCH_TEST_DOCKER20)" ;;
    *) fail "unknown client generation '$1' (28 or 20)" ;;
  esac
  log "client: $DOCKER ($("$DOCKER" --version))"
}

# ct_images [busybox] [multi] [cfg]: load the test images built by mkimage.py
# (busybox:latest, multi:latest), and "cfg": $CFG_IMG (pt-cfg:<run id>, removed
# at exit), an import of the busybox rootfs with ENTRYPOINT/CMD/ENV/WORKDIR/
# set (import refuses STOPSIGNAL): run with no arguments it prints "ep:c1:c2", "env:bar",
# "/tmp", its uid; with argument "wait" it then waits for SIGUSR1 (exit 5).
ct_images() {
  [ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is missing"
  [ -x /bin/busybox ] || skip "busybox-static (/bin/busybox) is not installed; mkimage.py builds test images from it"
  local k mk=("/usr/bin/python3" "$T_SRC/../images/mkimage.py")
  mkdir -p "$T_DIR/img"
  for k in "${@:-busybox}"; do
    case "$k" in
      busybox) "${mk[@]}" busybox -o "$T_DIR/img/bb.tar"
               D load -i "$T_DIR/img/bb.tar" >/dev/null || fail "docker load of busybox failed" ;;
      multi)   "${mk[@]}" multilayer -o "$T_DIR/img/ml.tar"
               D load -i "$T_DIR/img/ml.tar" >/dev/null || fail "docker load of multi failed" ;;
      cfg)     "${mk[@]}" rootfs -o "$T_DIR/img/rootfs.tar"
               D import \
                 --change 'ENTRYPOINT ["/bin/sh", "-c", "echo ep:$0:$*; echo env:$FOO; pwd; id -u; trap \"echo got-usr1; exit 5\" USR1; [ \"$0\" = wait ] && { sleep 60 & wait; }; true"]' \
                 --change 'CMD ["c1", "c2"]' --change 'ENV FOO=bar' --change 'WORKDIR /tmp' \
                 "$T_DIR/img/rootfs.tar" "$CFG_IMG" >/dev/null || fail "docker import of $CFG_IMG failed"
               CT_RMI+=("$CFG_IMG") ;;
      *) fail "ct_images: unknown image $k" ;;
    esac
  done
}

# --- clients ---------------------------------------------------------------

# -k: the CLI forwards SIGTERM to the container (sig-proxy) and keeps waiting
D() { timeout -k 5 "$CT_TO" "$DOCKER" "$@"; }
# drun/dcreate: docker run/create with this run's label (so clean-up finds it)
# and --network none unless a network is given (pouch has no bridge yet, and
# the reference dockerd on these machines runs without docker0).
_ct_net() { local a; for a in "$@"; do case "$a" in --net|--net=*|--network|--network=*) return 0 ;; esac; done; echo "--network=none"; }
drun() { D run --label "$CT_LABEL" $(_ct_net "$@") "$@"; }
dcreate() { D create --label "$CT_LABEL" $(_ct_net "$@") "$@"; }
# dq: quiet status-only docker call
dq() { D "$@" >/dev/null 2>&1; }

# finspect ID FORMAT: docker inspect -f
finspect() { D inspect -f "$2" "$1" 2>&1; }

# wait_state ID STATUS SECS: poll .State.Status
wait_state() {
  local id=$1 want=$2 secs=$3 deadline=$(( $(date +%s%N) + $3 * 1000000000 ))
  while [ "$(D inspect -f '{{.State.Status}}' "$id" 2>/dev/null)" != "$want" ]; do
    [ "$(date +%s%N)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# host_pid ID: the container's init pid as the host sees it.
host_pid() { D inspect -f '{{.State.Pid}}' "$1"; }

# cgroup_dir PID SUBSYS: the host path of PID's cgroup for a v1 controller.
cgroup_dir() {
  local rel
  rel=$(awk -F: -v s="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == s) print $3 }' "/proc/$1/cgroup" | head -n1)
  [ -n "$rel" ] || return 1
  local base=/sys/fs/cgroup/$2
  [ -d "$base" ] || base=$(awk -v s="$2" '$9 == "cgroup" && $NF ~ s { print $5; exit }' /proc/self/mountinfo)
  echo "$base$rel"
}

# --- checks that collect defects (the script goes on, fails at the end) -----

defect() {
  printf 'DEFECT [%s]: %s\n' "$T_NAME" "$1" >&2
  DEFECTS+=("$1")
}
check_eq() {
  if [ "$1" == "$2" ]; then pass "$3 = '$2'"; return 0; fi
  defect "$3: expected '${1//$'\n'/\\n}', got '${2//$'\n'/\\n}'"; return 0
}
check_ne() {
  if [ "$1" != "$2" ]; then pass "$3 != '$1'"; return 0; fi
  defect "$3: expected anything but '$1'"; return 0
}
check_contains() {
  case "$1" in
    *"$2"*) pass "$3 contains '$2'"; return 0 ;;
  esac
  defect "$3: expected to contain '$2', got '${1//$'\n'/\\n}'"; return 0
}
check_not_contains() {
  case "$1" in
    *"$2"*) defect "$3: expected not to contain '$2', got '${1//$'\n'/\\n}'"; return 0 ;;
  esac
  pass "$3 does not contain '$2'"
}
check_match() {
  if grep -Eq -- "$1" <<<"$2"; then pass "$3 matches /$1/"; return 0; fi
  defect "$3: expected a line matching /$1/, got '${2//$'\n'/\\n}'"; return 0
}
check_true() {  # check_true WHAT cmd...
  local what=$1; shift
  if "$@"; then pass "$what"; return 0; fi
  defect "$what: '$*' is false"; return 0
}

# ct_done: end of a script; fail listing every defect.
ct_done() {
  if [ ${#DEFECTS[@]} -gt 0 ]; then
    local msg="" d
    for d in "${DEFECTS[@]}"; do msg+=$'\n  - '"$d"; done
    fail "${#DEFECTS[@]} defect(s):$msg"
  fi
  pass "all checks passed"
}

# --- clean-up --------------------------------------------------------------

# ct_rm_all: remove every container of this run (by label, and by name prefix
# for those created without the label).
ct_rm_all() {
  [ -n "${DOCKER:-}" ] && [ -n "${DOCKER_HOST:-}" ] || return 0
  local ids
  ids=$( { timeout -k 5 30 "$DOCKER" ps -aq --filter "label=$CT_LABEL" 2>/dev/null
           timeout -k 5 30 "$DOCKER" ps -aq --filter "name=^$CT_PFX" 2>/dev/null; } | sort -u)
  [ -z "$ids" ] || timeout -k 5 120 "$DOCKER" rm -f -v $ids >/dev/null 2>&1 || true
  [ ${#CT_RMI[@]} = 0 ] || timeout -k 5 60 "$DOCKER" rmi "${CT_RMI[@]}" >/dev/null 2>&1 || true
}
# ct_reap_leftovers: after pouchd stopped, remove what a broken run left on
# the host (this test's shims by pid, mounts under $T_DIR, cgroups of its
# containers), saying so, so that rm -rf $T_DIR works and nothing leaks.
ct_reap_leftovers() {
  local p ids="" id m d n=0
  [ "$CT_REF" = 0 ] || return 0
  for d in "$T_DIR/root/containers" "$T_DIR/exec/containers"; do
    [ -d "$d" ] && ids+=" $(ls "$d" 2>/dev/null | tr '\n' ' ')"
  done
  for p in /proc/[0-9]*; do
    case "$(readlink "$p/exe" 2>/dev/null)" in */pouch-shim) ;; *) continue ;; esac
    grep -qaF "$T_DIR/" "$p/cmdline" 2>/dev/null || continue
    log "leftover pouch-shim pid ${p#/proc/} after pouchd stopped; killing it"
    kill -KILL "${p#/proc/}" 2>/dev/null; n=$((n + 1))
  done
  [ $n = 0 ] || sleep 0.5
  awk -v r="$T_DIR/" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do
    log "leftover mount $m; unmounting it"; umount -l "$m" 2>/dev/null
  done
  for id in $ids; do
    for d in /sys/fs/cgroup/*/pouch/"$id" /sys/fs/cgroup/pouch/"$id"; do
      [ -d "$d" ] || continue
      log "leftover cgroup $d; removing it"; rmdir "$d" 2>/dev/null
    done
  done
}
_ct_exit() {
  local rc=$?
  set +e
  ct_rm_all
  [ -z "${CT_EXTRA_CLEANUP:-}" ] || eval "$CT_EXTRA_CLEANUP"
  if [ "$CT_REF" = 0 ] && [ -n "${POUCHD_PID:-}" ] && alive "$POUCHD_PID"; then
    local pid=$POUCHD_PID
    stop_pid "$pid"; POUCHD_PID=
    if [ "$STOP_RC" != 0 ]; then
      printf 'FAIL [%s]: pouchd (pid %s) exited with status %s on SIGTERM at clean-up; its log:\n%s\n' \
        "$T_NAME" "$pid" "$STOP_RC" "$(tail -n 30 "$POUCH_LOG")" >&2
      [ "$rc" = 0 ] && rc=1
    fi
  fi
  ct_reap_leftovers
  (exit "$rc")
  _t_cleanup
}
trap _ct_exit EXIT
