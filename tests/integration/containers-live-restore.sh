#!/usr/bin/env bash
# Containers outlive pouchd (live restore): 20 containers (half of them
# printing a counter every 0.1 s) keep running through a kill -9 of pouchd
# and a restart on the same dirs; docker ps lists them, their logs have no
# gap, docker stop and docker logs -f work on them afterwards. A container
# that exited while pouchd was down reports its exit code; one with
# --restart always that exited meanwhile runs again. Then the same through a
# clean SIGTERM of pouchd. pouchd only: skipped with POUCH_TEST_AGAINST.
source "$(dirname "$0")/containers-lib.sh"
[ "$CT_REF" = 0 ] || skip "live restore is about pouchd restarting; not run against $POUCH_TEST_AGAINST"

ct_client 28
ct_engine
ct_images busybox
P=$CT_PFX
N=20

PRINT='i=0; while :; do echo $i; i=$((i+1)); sleep 0.1; done'
for i in $(seq 1 $N); do
  if [ $((i % 2)) = 0 ]; then drun -d --name "${P}p$i" busybox sh -c "$PRINT" >/dev/null
  else drun -d --name "${P}s$i" busybox sleep 1000 >/dev/null; fi || fail "docker run of container $i failed"
done
NAMES=$(D ps --filter "label=$CT_LABEL" --format '{{.Names}}' | sort)
[ "$(wc -l <<<"$NAMES")" = $N ] || fail "expected $N running containers before the kill, got: $NAMES"
declare -A PID0
for n in $NAMES; do PID0[$n]=$(finspect "$n" '{{.State.Pid}}'); done
shim_exe=$(readlink -f "$POUCH_PLUGIN_DIR/pouch-shim")
count_shims() {
  local p n=0
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/exe" 2>/dev/null)" = "$shim_exe" ] && grep -qaF "$T_DIR" "$p/cmdline" 2>/dev/null && n=$((n + 1))
  done
  echo $n
}
shims0=$(count_shims)
log "$N containers running, $shims0 shims"

# exits while pouchd is down: one with code 3, one --restart always
drun -d --name "${P}x3" busybox sh -c 'sleep 2; exit 3' >/dev/null
drun -d --name "${P}al" --restart always busybox sh -c 'sleep 2; exit 0' >/dev/null
al_pid0=$(finspect "${P}al" '{{.State.Pid}}')
last_before=$(D logs --tail 1 "${P}p2" 2>/dev/null)

kill -9 "$POUCHD_PID"
wait "$POUCHD_PID" 2>/dev/null || true
log "pouchd (pid $POUCHD_PID) killed with SIGKILL; waiting 4 s"
POUCHD_PID=
sleep 4
for n in $NAMES; do
  alive "${PID0[$n]}" || defect "container $n (pid ${PID0[$n]}) died with pouchd"
done
cp "$POUCH_LOG" "$T_DIR/pouchd.1.log"
pouchd_start --plugins="$CT_PLUGINS"

# everything is back
got=$(D ps --filter "label=$CT_LABEL" --format '{{.Names}}' | sort | grep -v "^${P}al$" || true)
check_eq "$(echo $NAMES)" "$(echo $got)" "docker ps after the restart lists the $N containers"
for n in $NAMES; do
  check_eq "running ${PID0[$n]}" "$(finspect "$n" '{{.State.Status}} {{.State.Pid}}')" "$n: status and pid after the restart"
done
check_eq "exited 3" "$(finspect "${P}x3" '{{.State.Status}} {{.State.ExitCode}}')" "a container that exited while pouchd was down"
check_ne "0001-01-01T00:00:00Z" "$(finspect "${P}x3" '{{.State.FinishedAt}}')" "its FinishedAt"
if wait_state "${P}al" running 10 && [ "$(finspect "${P}al" '{{.State.Pid}}')" != "$al_pid0" ]; then
  pass "--restart always container that exited while pouchd was down runs again"
else
  defect "--restart always container that exited while down: expected running with a new pid, got $(finspect "${P}al" '{{.State.Status}} {{.State.Pid}} RestartCount={{.RestartCount}}') (pid before $al_pid0)"
fi
check_true "RestartCount of that container >= 1" test "$(finspect "${P}al" '{{.RestartCount}}')" -ge 1

# the printers' logs have no gap across the outage
sleep 1
for n in $(grep "${P}p" <<<"$NAMES"); do
  D logs "$n" >"$T_DIR/$n.log" 2>&1 || true
  r=$(python3 -c '
import sys
xs = [l.strip() for l in open(sys.argv[1])]
try:
    v = [int(x) for x in xs]
except ValueError as e:
    print("non-numeric line: %s" % e); sys.exit()
bad = [i for i in range(len(v)) if v[i] != i]
print("ok %d" % len(v) if not bad else "gap at line %d: %r" % (bad[0], v[max(0, bad[0]-2):bad[0]+3]))' "$T_DIR/$n.log")
  case "$r" in
    ok*) cnt=${r#ok }
         check_true "$n: contiguous log of $cnt lines, more than 60 (4 s outage at 10 lines/s)" test "$cnt" -gt 60 ;;
    *) defect "$n: log not contiguous: $r" ;;
  esac
done
check_true "the printer's counter went on past '$last_before'" test "$(D logs --tail 1 "${P}p2" 2>/dev/null)" -gt "${last_before:-0}"

# docker logs -f and docker stop work on restored containers
D logs -f --tail 0 "${P}p4" >"$T_DIR/follow.out" 2>&1 &
fpid=$!; bg_track "$fpid"
sleep 1.5
kill "$fpid" 2>/dev/null; wait "$fpid" 2>/dev/null || true
n=$(wc -l <"$T_DIR/follow.out")
check_true "docker logs -f of a restored container streams new lines ($n in 1.5 s)" test "$n" -ge 5
run_capture out err rc D stop -t 1 "${P}s1"
check_eq "0 ${P}s1" "$rc $out" "docker stop of a restored container (stderr: $err)"
check_eq "exited 137" "$(finspect "${P}s1" '{{.State.Status}} {{.State.ExitCode}}')" "state after that stop"
check_true "its process is gone" bash -c "! kill -0 ${PID0[${P}s1]} 2>/dev/null"
run_capture out err rc D stop -t 5 "${P}p2"
check_eq 0 "$rc" "docker stop of a restored printer (stderr: $err)"
run_capture out err rc D rm -f "${P}s3"
check_eq 0 "$rc" "docker rm -f of a restored container (stderr: $err)"
run_capture out err rc drun --rm busybox echo after
check_eq "0 after" "$rc $out" "new containers run after the restart (stderr: $err)"

# a clean SIGTERM of pouchd leaves them running too
running=$(D ps --filter "label=$CT_LABEL" --format '{{.Names}}' | sort)
pouchd_stop
sleep 1
for n in $running; do
  p=${PID0[$n]:-}
  [ -z "$p" ] || alive "$p" || defect "container $n died on a clean pouchd stop"
done
cp "$POUCH_LOG" "$T_DIR/pouchd.2.log"
pouchd_start --plugins="$CT_PLUGINS"
check_eq "$(echo $running)" "$(D ps --filter "label=$CT_LABEL" --format '{{.Names}}' | sort | xargs)" "docker ps after a clean restart"
# A container between an exit and its restart may briefly have its old shim
# or none: settle (bounded) before comparing.
for _ in $(seq 50); do
  shims=$(count_shims)
  nrun=$(D ps -q --filter "label=$CT_LABEL" --filter status=running | wc -l)
  [ "$nrun" = "$shims" ] && break
  sleep 0.2
done
check_eq "$nrun" "$shims" "one shim per running container after two restarts"

ct_done
