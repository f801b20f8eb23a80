#!/usr/bin/env bash
# The container life cycle through the docker CLI: create, start, stop (-t,
# --stop-signal), kill (-s), restart, wait, rm (-f, -v), rename, container
# prune, name conflicts; then a bounded leak check: POUCH_TEST_CYCLES
# (default 100) create/start/rm cycles leave no mount under the data/exec
# roots, no cgroup, no shim, no state dir, and pouchd's fd count and RSS
# stay within a small bound.
# Runs against a private pouchd, or POUCH_TEST_AGAINST=unix://... (dockerd).
source "$(dirname "$0")/containers-lib.sh"

CYCLES=${POUCH_TEST_CYCLES:-100}
ct_client 28
ct_engine
ct_images busybox
P=$CT_PFX

# ------------------------------------------------------- create / start
run_capture id err rc dcreate --name "${P}a" busybox sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done'
check_eq 0 "$rc" "docker create (stderr: $err)"
check_match '^[0-9a-f]{64}$' "$id" "docker create prints the full id"
check_eq "created false 0" "$(finspect "${P}a" '{{.State.Status}} {{.State.Running}} {{.State.Pid}}')" "state after create"
check_eq "0001-01-01T00:00:00Z" "$(finspect "${P}a" '{{.State.StartedAt}}')" "StartedAt before start"
run_capture out err rc dcreate --name "${P}a" busybox true
check_eq 1 "$rc" "docker create with a name in use: exit status"
check_contains "$err" "is already in use" "docker create with a name in use: error"
run_capture out err rc drun --name "${P}a" busybox true
check_eq 125 "$rc" "docker run with a name in use: exit status"
run_capture out err rc D start "${P}a"
check_eq "0 ${P}a" "$rc $out" "docker start prints its argument (stderr: $err)"
check_eq "running true" "$(finspect "${P}a" '{{.State.Status}} {{.State.Running}}')" "state after start"
pid=$(finspect "${P}a" '{{.State.Pid}}')
check_true "State.Pid $pid is a live host process" kill -0 "$pid"
check_ne "0001-01-01T00:00:00Z" "$(finspect "${P}a" '{{.State.StartedAt}}')" "StartedAt after start"
run_capture out err rc D start "${P}a"
check_eq 0 "$rc" "docker start of a running container is a no-op (stderr: $err)"

# ------------------------------------------------------- stop
t0=$(date +%s%N)
run_capture out err rc D stop "${P}a"
t1=$(( ($(date +%s%N) - t0) / 1000000 ))
check_eq "0 ${P}a" "$rc $out" "docker stop (SIGTERM trapped: exit 7) (stderr: $err)"
check_true "docker stop of a TERM-obeying container is quick (${t1} ms < 5000)" test "$t1" -lt 5000
check_eq "exited 7 false" "$(finspect "${P}a" '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}')" "state after stop"
check_ne "0001-01-01T00:00:00Z" "$(finspect "${P}a" '{{.State.FinishedAt}}')" "FinishedAt after stop"
run_capture out err rc D stop "${P}a"
check_eq 0 "$rc" "docker stop of a stopped container (stderr: $err)"

drun -d --name "${P}ign" busybox sleep 300 >/dev/null
t0=$(date +%s%N)
D stop -t 1 "${P}ign" >/dev/null
t1=$(( ($(date +%s%N) - t0) / 1000000 ))
check_eq "exited 137" "$(finspect "${P}ign" '{{.State.Status}} {{.State.ExitCode}}')" "stop -t 1 of PID 1 ignoring SIGTERM: SIGKILL"
check_true "stop -t 1 took ${t1} ms (>= 900, < 6000)" test "$t1" -ge 900 -a "$t1" -lt 6000

drun -d --name "${P}sig" --stop-signal SIGUSR1 busybox sh -c 'trap "exit 9" USR1; while :; do sleep 0.1; done' >/dev/null
check_eq "SIGUSR1" "$(finspect "${P}sig" '{{.Config.StopSignal}}')" "Config.StopSignal"
D stop -t 10 "${P}sig" >/dev/null
check_eq "exited 9" "$(finspect "${P}sig" '{{.State.Status}} {{.State.ExitCode}}')" "--stop-signal SIGUSR1: stop sends it"

# ------------------------------------------------------- kill
drun -d --name "${P}k" busybox sh -c 'trap "exit 3" USR2; while :; do sleep 0.1; done' >/dev/null
run_capture out err rc D kill -s USR2 "${P}k"
check_eq "0 ${P}k" "$rc $out" "docker kill -s USR2 (stderr: $err)"
D wait "${P}k" >/dev/null 2>&1 || true
check_eq "exited 3" "$(finspect "${P}k" '{{.State.Status}} {{.State.ExitCode}}')" "kill -s USR2 reached the trap"
D start "${P}k" >/dev/null
run_capture out err rc D kill "${P}k"
check_eq 0 "$rc" "docker kill (stderr: $err)"
D wait "${P}k" >/dev/null 2>&1 || true
check_eq "exited 137 false" "$(finspect "${P}k" '{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}')" "docker kill: SIGKILL, 137"
run_capture out err rc D kill "${P}k"
check_eq 1 "$rc" "docker kill of a stopped container: exit status"
check_contains "$err" "is not running" "docker kill of a stopped container: error"
run_capture out err rc D kill -s NOSUCHSIG "${P}k"
check_ne 0 "$rc" "docker kill -s NOSUCHSIG fails"

# ------------------------------------------------------- restart
drun -d --name "${P}r" busybox sleep 300 >/dev/null
s1=$(finspect "${P}r" '{{.State.StartedAt}}'); p1=$(finspect "${P}r" '{{.State.Pid}}')
run_capture out err rc D restart -t 1 "${P}r"
check_eq "0 ${P}r" "$rc $out" "docker restart (stderr: $err)"
check_eq "running" "$(finspect "${P}r" '{{.State.Status}}')" "state after restart"
check_ne "$s1" "$(finspect "${P}r" '{{.State.StartedAt}}')" "StartedAt changes on restart"
check_ne "$p1" "$(finspect "${P}r" '{{.State.Pid}}')" "Pid changes on restart"
check_eq "0" "$(finspect "${P}r" '{{.RestartCount}}')" "docker restart does not count in RestartCount"
dcreate --name "${P}rc" busybox sleep 300 >/dev/null
D restart -t 1 "${P}rc" >/dev/null
check_eq "running" "$(finspect "${P}rc" '{{.State.Status}}')" "docker restart starts a created container"

# ------------------------------------------------------- wait
drun -d --name "${P}w" busybox sh -c 'sleep 1; exit 42' >/dev/null
run_capture out err rc D wait "${P}w"
check_eq "0 42" "$rc $out" "docker wait prints the exit code (stderr: $err)"
run_capture out err rc D wait "${P}w"
check_eq "0 42" "$rc $out" "docker wait of an exited container"
drun -d --name "${P}w2" busybox sleep 300 >/dev/null
D wait "${P}w2" >"$T_DIR/wait.out" 2>&1 &
wpid=$!; bg_track "$wpid"
sleep 0.5
D kill "${P}w2" >/dev/null
wait_exit "$wpid" 20
check_eq "0 137" "$WAIT_RC $(cat "$T_DIR/wait.out")" "docker wait returns when the container is killed"
run_capture out err rc D wait "${P}nosuch"
check_eq 1 "$rc" "docker wait of a missing container: exit status"
check_contains "$err" "No such container" "docker wait of a missing container: error"

# ------------------------------------------------------- rm
drun -d --name "${P}rm" busybox sleep 300 >/dev/null
run_capture out err rc D rm "${P}rm"
check_eq 1 "$rc" "docker rm of a running container: exit status"
check_contains "$err" "cannot remove" "docker rm of a running container: error"
check_contains "$err" "force" "docker rm of a running container: error mentions force"
rmpid=$(finspect "${P}rm" '{{.State.Pid}}')
run_capture out err rc D rm -f "${P}rm"
check_eq "0 ${P}rm" "$rc $out" "docker rm -f of a running container (stderr: $err)"
run_capture out err rc D inspect "${P}rm"
check_eq 1 "$rc" "inspect after rm -f: exit status"
for _ in $(seq 50); do kill -0 "$rmpid" 2>/dev/null || break; sleep 0.1; done
check_true "the process of a force-removed container is gone" bash -c "! kill -0 $rmpid 2>/dev/null"
run_capture out err rc D rm "${P}nosuch"
check_eq 1 "$rc" "docker rm of a missing container: exit status"
check_contains "$err" "No such container" "docker rm of a missing container: error"
# -v removes anonymous volumes. pouch has no volumes yet (they come with the
# volume plugin issue): checked against the reference engine only.
if [ "$CT_REF" = 1 ]; then
  dcreate --name "${P}vol" -v /anon busybox true >/dev/null
  vol=$(finspect "${P}vol" '{{range .Mounts}}{{.Name}}{{end}}')
  check_match '^[0-9a-f]{64}$' "$vol" "an anonymous volume for -v /anon"
  D rm -v "${P}vol" >/dev/null 2>&1 || defect "docker rm -v ${P}vol failed"
  run_capture out err rc D volume inspect "$vol"
  check_ne 0 "$rc" "docker rm -v removed the anonymous volume"
  [ "$rc" = 0 ] && D volume rm "$vol" >/dev/null 2>&1
else
  log "skipped for pouch: anonymous volumes (-v /anon) arrive with volume support"
fi

# ------------------------------------------------------- rename
dcreate --name "${P}old" busybox true >/dev/null
dcreate --name "${P}taken" busybox true >/dev/null
run_capture out err rc D rename "${P}old" "${P}new"
check_eq 0 "$rc" "docker rename (stderr: $err)"
check_eq "/${P}new" "$(finspect "${P}new" '{{.Name}}')" "renamed container's name"
run_capture out err rc D inspect "${P}old"
check_eq 1 "$rc" "the old name is free after rename"
run_capture out err rc D rename "${P}new" "${P}taken"
check_ne 0 "$rc" "rename to a name in use fails"
check_contains "$err" "is already in use" "rename to a name in use: error"
dcreate --name "${P}old" busybox true >/dev/null || defect "the old name cannot be reused after rename"

# ------------------------------------------------------- prune
drun -d --name "${P}keep" busybox sleep 300 >/dev/null
run_capture out err rc D container prune -f --filter "label=$CT_LABEL"
check_eq 0 "$rc" "docker container prune -f --filter label=... (stderr: $err)"
check_contains "$out" "Deleted Containers:" "container prune output"
check_contains "$out" "Total reclaimed space:" "container prune output"
left=$(D ps -a --filter "label=$CT_LABEL" --format '{{.Names}}' | sort | tr '\n' ' ')
check_eq "$(printf '%s\n' "${P}keep" "${P}r" "${P}rc" | sort | tr '\n' ' ')" "$left" "prune keeps only the running containers"
run_capture out err rc D container prune -f --filter "label=$CT_LABEL"
check_eq "Total reclaimed space: 0B" "$out" "a second prune removes nothing"
D rm -f "${P}keep" "${P}r" "${P}rc" >/dev/null

# ------------------------------------------------------- leak check
# What the engine keeps per container, to look for after removal.
if [ "$CT_REF" = 1 ]; then
  CG_PARENT=docker; ROOTS=()
else
  CG_PARENT=pouch; ROOTS=("$POUCH_ROOT" "$T_DIR/exec")
fi
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
nfd() { ls "/proc/$1/fd" | wc -l; }
mounts_under() {
  local r n=0
  for r in "${ROOTS[@]}"; do n=$(( n + $(awk -v r="$r/" 'index($5, r) == 1' /proc/self/mountinfo | wc -l) )); done
  echo "$n"
}
# warm up (allocator arenas, caches), then measure
for i in $(seq 10); do c=$(dcreate busybox true) && D start "$c" >/dev/null && D wait "$c" >/dev/null && D rm "$c" >/dev/null; done
m0=$(mounts_under)
if [ "$CT_REF" = 0 ]; then fd0=$(nfd "$POUCHD_PID"); rss0=$(rss "$POUCHD_PID"); fi
IDS=()
t0=$(date +%s)
for i in $(seq "$CYCLES"); do
  c=$(dcreate busybox true) || { defect "cycle $i: docker create failed"; break; }
  IDS+=("$c")
  D start "$c" >/dev/null || { defect "cycle $i: docker start failed"; break; }
  D wait "$c" >/dev/null || true
  D rm "$c" >/dev/null || { defect "cycle $i: docker rm failed"; break; }
done
log "$CYCLES create/start/wait/rm cycles in $(( $(date +%s) - t0 )) s"
check_eq "$m0" "$(mounts_under)" "mounts under the data/exec roots after $CYCLES cycles"
printf '%s\n' "${IDS[@]}" >"$T_DIR/ids"
cgleft=$(find /sys/fs/cgroup/*/"$CG_PARENT" -maxdepth 1 -type d 2>/dev/null | grep -F -f "$T_DIR/ids" || true)
check_eq "" "$cgleft" "cgroup dirs of removed containers under /sys/fs/cgroup/*/$CG_PARENT"
procs=$(grep -l -a -F -f "$T_DIR/ids" /proc/[0-9]*/cmdline 2>/dev/null | grep -v "/proc/$$/" || true)
check_eq "" "$procs" "processes (shims) naming a removed container"
if [ "${#ROOTS[@]}" -gt 0 ]; then
  left=$(find "${ROOTS[@]}" 2>/dev/null | grep -F -f "$T_DIR/ids" | head -n 5 || true)
  check_eq "" "$left" "state files/dirs of removed containers under the data/exec roots"
fi
if [ "$CT_REF" = 0 ]; then
  fd1=$(nfd "$POUCHD_PID"); rss1=$(rss "$POUCHD_PID")
  log "pouchd fds $fd0 -> $fd1, RSS $rss0 -> $rss1 KiB"
  check_true "pouchd fd count $fd0 -> $fd1 (growth <= 5)" test "$fd1" -le $(( fd0 + 5 ))
  if grep -q libasan "/proc/$POUCHD_PID/maps" 2>/dev/null; then
    # AddressSanitizer keeps freed memory in quarantine (up to 256 MiB), so
    # RSS says nothing about leaks there; LeakSanitizer checks at exit instead.
    log "pouchd runs under AddressSanitizer: RSS growth not checked (LeakSanitizer checks at exit)"
  else
    check_true "pouchd RSS $rss0 -> $rss1 KiB (growth <= 4096 KiB)" test "$rss1" -le $(( rss0 + 4096 ))
  fi
  # no shim at all is left for this daemon
  shim_exe=$(readlink -f "$POUCH_PLUGIN_DIR/pouch-shim")
  shims=$(for p in /proc/[0-9]*; do
            [ "$(readlink "$p/exe" 2>/dev/null)" = "$shim_exe" ] || continue
            grep -qaF "$T_DIR" "$p/cmdline" 2>/dev/null && echo "${p#/proc/}"; done || true)
  check_eq "" "$shims" "pouch-shim processes of this daemon with no container"
fi

ct_done
