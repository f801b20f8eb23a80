#!/usr/bin/env bash
# Restart policies: on-failure:N (RestartCount reaches N, then it stays
# exited), on-failure after a clean exit (no restart), always (restarts
# after every exit; docker stop stops it for good), unless-stopped, no, and
# the policy in inspect. Waits are bounded with dockerd's back-off in mind
# (100 ms doubling, reset after 10 s of running).
# Runs against a private pouchd, or POUCH_TEST_AGAINST=unix://... (dockerd).
source "$(dirname "$0")/containers-lib.sh"

ct_client 28
ct_engine
ct_images busybox
P=$CT_PFX

# wait_for SECS ID GO-TEMPLATE WANT: poll inspect until it prints WANT.
wait_for() {
  local secs=$1 id=$2 tpl=$3 want=$4 got deadline=$(( $(date +%s%N) + $1 * 1000000000 ))
  while :; do
    got=$(D inspect -f "$tpl" "$id" 2>&1 || true)
    [ "$got" = "$want" ] && return 0
    [ "$(date +%s%N)" -lt "$deadline" ] || { WAIT_GOT=$got; return 1; }
    sleep 0.1
  done
}

# --- on-failure:2
drun -d --name "${P}of" --restart on-failure:2 busybox sh -c 'sleep 0.3; exit 3' >/dev/null
check_eq "on-failure 2" "$(finspect "${P}of" '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}')" "inspect RestartPolicy"
if wait_for 20 "${P}of" '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}' "2 exited 3"; then
  pass "on-failure:2: RestartCount 2, then exited with 3"
else
  defect "on-failure:2: expected '2 exited 3' (RestartCount Status ExitCode) within 20 s, got '$WAIT_GOT'"
fi
sleep 1.5
check_eq "2 exited" "$(finspect "${P}of" '{{.RestartCount}} {{.State.Status}}')" "on-failure:2: no third restart"
out=$(D logs "${P}of" 2>&1 | wc -l) || true
check_eq 0 "$out" "logs of a silent restarted container"

# on-failure after exit 0: no restart
drun -d --name "${P}of0" --restart on-failure busybox sh -c 'sleep 0.2; exit 0' >/dev/null
D wait "${P}of0" >/dev/null || true
sleep 1.5
check_eq "0 exited 0" "$(finspect "${P}of0" '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}')" "on-failure: a clean exit is not restarted"

# --- always
drun -d --name "${P}al" --restart always busybox sh -c 'echo run; sleep 0.5; exit 0' >/dev/null
if wait_for 20 "${P}al" '{{if ge .RestartCount 2}}ok{{end}}' "ok"; then
  pass "always: restarted at least twice"
else
  defect "always: RestartCount did not reach 2 within 20 s (got $(finspect "${P}al" '{{.RestartCount}} {{.State.Status}}'))"
fi
# each run appends to the same log
n=$(D logs "${P}al" 2>&1 | grep -c '^run$') || true
check_true "always: every run logs to the same file ($n lines >= 2)" test "$n" -ge 2
run_capture out err rc D stop -t 2 "${P}al"
check_eq 0 "$rc" "docker stop of an always container (stderr: $err)"
rc1=$(finspect "${P}al" '{{.RestartCount}}')
check_eq "exited" "$(finspect "${P}al" '{{.State.Status}}')" "always: stopped after docker stop"
sleep 2.5
check_eq "exited $rc1" "$(finspect "${P}al" '{{.State.Status}} {{.RestartCount}}')" "always: docker stop stops it for good"
D start "${P}al" >/dev/null
check_eq "running" "$(finspect "${P}al" '{{.State.Status}}')" "always: docker start runs it again"
check_eq "0" "$(finspect "${P}al" '{{.RestartCount}}')" "docker start resets RestartCount"
D rm -f "${P}al" >/dev/null

# always with a crashing command: kill -9 of the process counts as an exit
drun -d --name "${P}alk" --restart always busybox sleep 300 >/dev/null
pid=$(finspect "${P}alk" '{{.State.Pid}}')
kill -9 "$pid"
if wait_for 15 "${P}alk" '{{.RestartCount}} {{.State.Status}}' "1 running"; then
  pass "always: a process killed from the host is restarted"
else
  defect "always: after kill -9 of the container's process expected '1 running', got '$WAIT_GOT'"
fi
check_ne "$pid" "$(finspect "${P}alk" '{{.State.Pid}}')" "always: the restarted process is a new one"
D rm -f "${P}alk" >/dev/null

# --- unless-stopped
drun -d --name "${P}us" --restart unless-stopped busybox sh -c 'sleep 0.3; exit 1' >/dev/null
if wait_for 20 "${P}us" '{{if ge .RestartCount 1}}ok{{end}}' "ok"; then
  pass "unless-stopped: restarted"
else
  defect "unless-stopped: RestartCount did not reach 1 within 20 s"
fi
D stop -t 2 "${P}us" >/dev/null
rc1=$(finspect "${P}us" '{{.RestartCount}}')
sleep 2
check_eq "exited $rc1" "$(finspect "${P}us" '{{.State.Status}} {{.RestartCount}}')" "unless-stopped: docker stop stops it for good"

# --- no (default)
drun -d --name "${P}no" busybox sh -c 'exit 1' >/dev/null
D wait "${P}no" >/dev/null || true
sleep 1
check_eq "no 0 exited" "$(finspect "${P}no" '{{.HostConfig.RestartPolicy.Name}} {{.RestartCount}} {{.State.Status}}')" "default policy: no restart"

# --- invalid combinations and values
run_capture out err rc drun --rm --restart always busybox true
check_eq 125 "$rc" "--rm with --restart always: exit status"
check_contains "$err" "onflicting options" "--rm with --restart always: error"
run_capture out err rc drun -d --restart bogus busybox true
check_eq 125 "$rc" "--restart bogus: exit status"
run_capture out err rc drun -d --restart always:3 busybox true
check_eq 125 "$rc" "--restart always:3 (a count only for on-failure): exit status"
check_contains "$err" "maximum retry count cannot be used with restart policy" "--restart always:3: error"

# docker update changes the policy of a live container
drun -d --name "${P}up" busybox sleep 300 >/dev/null
run_capture out err rc D update --restart on-failure:5 "${P}up"
check_eq 0 "$rc" "docker update --restart on-failure:5 (stderr: $err)"
check_eq "on-failure 5" "$(finspect "${P}up" '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}')" "policy after docker update"

ct_done
