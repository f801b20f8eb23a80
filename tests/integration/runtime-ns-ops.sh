#!/bin/bash
# runtime-ns ABI 1.1 integration: exec (output, exit codes, stdin, tty, user,
# errors, dying with the container), pause/resume, update, stats and pids,
# through runtime-ns.so (hosted by ctypes) and pouch-shim, without pouchd.
# Cleans up its containers, cgroups and dirs (see runtime-ns-lib.sh).
set -euo pipefail

T_NAME=runtime-ns-ops
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/runtime-ns-lib.sh"

P() { $HP host "$PLUGIN" "$RUN" "$@" 2>/dev/null; }
# jq-like field access on a JSON text: J 'expr on v' JSON
J() { python3 -c 'import json,sys; v=json.loads(sys.argv[2]); print(eval(sys.argv[1]))' "$1" "$2"; }
EX() { P exec x "$@"; }

# A running container whose init counts in a file (to see it freeze).
# (written aside and renamed, so that a reader never sees it half-written)
B=$(bundle x '["sh","-c","i=0; while :; do i=$((i+1)); echo $i > /tmp/count-'$$'.new; mv /tmp/count-'$$'.new /tmp/count-'$$'; usleep 20000; done"]' \
  "{\"cgpath\":\"/$CGP/x\",\"hostname\":\"exec-host\"}")
assert_contains "$(create x "$B")" '"ok":true' "create x"
assert_eq '{"ok":true}' "$(ctl x '{"op":"start"}')" "start x"
XPID=$(J 'v["pid"]' "$(ctl x '{"op":"state"}')")
COUNT=$ROOTFS/tmp/count-$$

# --- exec: output split by stream, exit code, the container's namespaces
R=$(EX e1 '["sh","-c","echo out-$(hostname); echo err-line >&2; cat /proc/1/cmdline | tr \"\\0\" \" \"; exit 7"]')
assert_eq "[0, []]" "$(J 'v["start"]' "$R")" "exec_start e1"
assert_contains "$(J 'v["stdout"]' "$R")" "out-exec-host" "exec stdout, in the container's UTS namespace"
assert_contains "$(J 'v["stdout"]' "$R")" "sh -c i=0" "exec sees the container's init as pid 1"
assert_eq "err-line" "$(J 'v["stderr"].strip()' "$R")" "exec stderr on its own stream"
assert_eq "stopped 7" "$(J 'v["state"][1]["status"]+" "+str(v["state"][1]["exit_code"])' "$R")" "exec e1 state"

# stdin, then EOF from the client's shutdown(SHUT_WR)
R=$(EX e2 '["sh","-c","read a; echo got=$a; cat; echo eof-seen"]' '{"stdin_data":"line1\nrest\n"}')
assert_contains "$(J 'v["stdout"]' "$R")" "got=line1" "exec stdin"
assert_contains "$(J 'v["stdout"]' "$R")" "eof-seen" "exec stdin closed by the client's half-close"

# tty: raw stream, a terminal on stdin
R=$(EX e3 '["sh","-c","[ -t 0 ] && [ -t 1 ] && echo is-a-tty; stty size"]' '{"tty":true}')
assert_contains "$(J 'v["stdout"]' "$R")" "is-a-tty" "exec with tty"
assert_eq "0" "$(J 'v["state"][1]["exit_code"]' "$R")" "exec tty exit code"

# user and cwd
R=$(EX e4 '["sh","-c","echo $(id -u):$(id -g) $(pwd)"]' '{"uid":1000,"gid":1000,"cwd":"/tmp"}')
assert_eq "1000:1000 /tmp" "$(J 'v["stdout"].strip()' "$R")" "exec user and cwd"
# errors: dockerd's messages and exit code 126
R=$(EX e6 '["nope"]')
assert_contains "$(J 'v["start"][1][0]' "$R")" 'OCI runtime exec failed: exec failed: unable to start container process: exec: "nope": executable file not found in $PATH: unknown' "exec of a missing binary"
assert_eq "stopped 126" "$(J 'v["state"][1]["status"]+" "+str(v["state"][1]["exit_code"])' "$R")" "failed exec state"
R=$(EX e7 '["/etc/passwd"]')
assert_contains "$(J 'v["start"][1][0]' "$R")" 'exec: "/etc/passwd": permission denied' "exec of a non-executable"
R=$(EX e8 '["pwd"]' '{"cwd":"/nonexist"}')
assert_contains "$(J 'v["start"][1][0]' "$R")" 'chdir to cwd ("/nonexist") set in config.json failed: no such file or directory' "exec with a missing cwd"
R=$(EX e9 '["sh","-c","kill -9 $$"]')
assert_eq "137" "$(J 'v["state"][1]["exit_code"]' "$R")" "exec killed by a signal: 128+9"
assert_contains "$(P exec_state x nosuch)" "No such exec instance" "exec_state of an unknown exec"
assert_contains "$(P exec_start x e1)" "already" "exec_start twice"

# speed: median of sequential `true` execs through the plugin
MS=$(P exec-bench x 20)
log "exec of true: median ${MS} ms (create+attach+start+exit+state through the plugin)"

# --- pids, stats
R=$(EX s1 '["sleep","1000"]' '{"attach":false}')
SPID=$(J 'v["state"][1]["pid"]' "$R")
PIDS_JSON=$(P pids x)
assert_contains "$PIDS_JSON" "$XPID" "pids lists the init"
assert_contains "$PIDS_JSON" "$SPID" "pids lists a running exec"
ST=$(P stats x)
assert_eq "True" "$(J 'v[1]["cpu_stats"]["cpu_usage"]["total_usage"] > 0' "$ST")" "stats: cpu total_usage > 0"
assert_eq "True" "$(J 'v[1]["memory_stats"]["usage"] > 0' "$ST")" "stats: memory usage > 0"
assert_eq "True" "$(J 'v[1]["pids_stats"]["current"] >= 2' "$ST")" "stats: pids current >= 2"
assert_eq "True" "$(J '"io_service_bytes_recursive" in v[1]["blkio_stats"]' "$ST")" "stats: blkio_stats keys"
if [ -d /sys/fs/cgroup/cpuacct ]; then
  assert_eq "True" "$(J 'len(v[1]["cpu_stats"]["cpu_usage"]["percpu_usage"]) >= 1' "$ST")" "stats: percpu_usage (v1)"
  assert_eq "True" "$(J 'v[1]["cpu_stats"]["cpu_usage"]["usage_in_usermode"] + v[1]["cpu_stats"]["cpu_usage"]["usage_in_kernelmode"] > 0' "$ST")" "stats: user+kernel ns"
fi

# --- update: the new limits land in the live cgroup
assert_eq "[0, []]" "$(P update x '{"memory":{"limit":104857600},"cpu":{"shares":512},"pids":{"limit":77}}')" "update"
if [ -d /sys/fs/cgroup/memory/$CGP/x ]; then
  assert_eq 104857600 "$(cat /sys/fs/cgroup/memory/$CGP/x/memory.limit_in_bytes)" "memory.limit_in_bytes after update"
  assert_eq 512 "$(cat /sys/fs/cgroup/cpu/$CGP/x/cpu.shares)" "cpu.shares after update"
  assert_eq 77 "$(cat /sys/fs/cgroup/pids/$CGP/x/pids.max)" "pids.max after update"
  assert_eq "True" "$(J 'v[1]["memory_stats"]["limit"] == 104857600 and v[1]["pids_stats"]["limit"] == 77' "$(P stats x)")" "stats show the new limits"
  R=$(P update x '{"memory":{"limit":4096}}')
  assert_contains "$R" "memory" "a memory limit below usage is refused"
  assert_eq 104857600 "$(cat /sys/fs/cgroup/memory/$CGP/x/memory.limit_in_bytes)" "limit unchanged after a refused update"
fi

# --- pause / resume
assert_eq "[0, []]" "$(P pause x)" "pause"
assert_eq "paused" "$(J 'v[1]["status"]' "$(P state x)")" "state paused"
[ -f /sys/fs/cgroup/freezer/$CGP/x/freezer.state ] && assert_eq FROZEN "$(cat /sys/fs/cgroup/freezer/$CGP/x/freezer.state)" "freezer.state"
C1=$(cat "$COUNT"); sleep 0.5; C2=$(cat "$COUNT")
[ -n "$C1" ] || fail "no counter value in $COUNT"
assert_eq "$C1" "$C2" "the counter stands still while paused"
assert_contains "$(P exec_create x ep '{"args":["true"],"cwd":"/"}' '{}')" "is paused, unpause the container before exec" "exec into a paused container"
assert_eq "[0, []]" "$(P resume x)" "resume"
assert_eq "running" "$(J 'v[1]["status"]' "$(P state x)")" "state running after resume"
sleep 0.5
C3=$(cat "$COUNT")
[ "$C3" -gt "$C2" ] || fail "the counter did not advance after resume ($C2 -> $C3)"
pass "the counter advances after resume ($C2 -> $C3)"

# --- kill of a paused container works; execs die with their container
assert_eq "[0, []]" "$(P pause x)" "pause again"
ctl x '{"op":"kill","signal":9}' >/dev/null
assert_contains "$(ctl x '{"op":"watch"}')" '"exit_code":137' "SIGKILL of a paused container"
for _ in $(seq 50); do
  [ "$(J 'v[1]["status"]' "$(P exec_state x s1)")" = stopped ] && break; sleep 0.1
done
assert_eq "stopped 137" "$(J 'v[1]["status"]+" "+str(v[1]["exit_code"])' "$(P exec_state x s1)")" "an exec ends with its container"
assert_contains "$(P exec_create x late '{"args":["true"],"cwd":"/"}' '{}')" "is not running" "exec into a stopped container"
ST=$(P stats x)
assert_eq "0" "$(J 'v[1]["cpu_stats"]["cpu_usage"]["total_usage"]' "$ST")" "stats of a stopped container are zeros"
assert_eq "[0, []]" "$(P pids x)" "pids of a stopped container"
ctl x '{"op":"delete"}' >/dev/null
log "all checks passed"
