#!/usr/bin/env bash
# docker exec through the docker CLI (28, or Debian's 20.10 with argument
# "20", which runs a subset): output and exit codes (0, 3, 126, 127), -i with
# stdin closed at EOF, -d, -u (name, uid:gid, unknown), -e over the
# container's env, -w and the container's default, --privileged (CapEff),
# -it under a pty, namespaces and cgroup shared with the container's init, an
# exec whose container stops, the /exec API (ExitCode null until exit, 404,
# 409s) and the exec_create/exec_start/exec_die events.
# Runs against a private pouchd, or POUCH_TEST_AGAINST=unix://... (dockerd).
source "$(dirname "$0")/containers-lib.sh"

GEN=${1:-28}
ct_client "$GEN"
ct_engine
ct_images busybox

C=${CT_PFX}ex
run_capture out err rc drun -d --name "$C" --hostname exhost -e CENV=fromrun -w /etc busybox sleep 600
check_eq 0 "$rc" "docker run -d $C (stderr: $err)"
T0=$(date +%s)
# an exec's reader that falls behind loses nothing either
check_eq 20000000 "$(D exec "$C" sh -c 'head -c 20000000 /dev/zero' | (sleep 3; wc -c))" \
  "exec: 20 MB to a client that reads only after 3 s: every byte arrives"

# ------------------------------------------------------------ output, codes
run_capture out err rc D exec "$C" sh -c 'echo out; echo err >&2'
check_eq "0 out err" "$rc $out $err" "docker exec: status, stdout and stderr kept apart"
run_capture out err rc D exec "$C" sh -c 'exit 3'
check_eq 3 "$rc" "docker exec sh -c 'exit 3': exit status"
run_capture out err rc D exec "$C" nonexistent-cmd
check_eq 126 "$rc" "docker exec of a missing executable: exit status (dockerd: 126)"
check_contains "$out$err" "nonexistent-cmd" "the start failure names the command"
run_capture out err rc D exec "$C" sh -c 'nonexistent-cmd'
check_eq 127 "$rc" "docker exec sh -c missing-cmd: the shell's 127"
run_capture out err rc D exec "$C" /etc/passwd
check_eq 126 "$rc" "docker exec of a non-executable file: exit status"

# ------------------------------------------------------------------- stdin
out=$(printf 'l1\nl2\n' | D exec -i "$C" sh -c 'cat; echo done' 2>&1)
check_eq $'l1\nl2\ndone' "$out" "docker exec -i: stdin reaches the process and its EOF ends cat"
out=$(printf 'ignored\n' | D exec "$C" sh -c 'cat; echo end' 2>&1)
check_eq "end" "$out" "docker exec without -i: the process gets no stdin"

# ------------------------------------------------------------------ detach
run_capture out err rc D exec -d "$C" sh -c 'sleep 0.5; echo detached >/tmp/dmark'
check_eq "0" "$rc$out" "docker exec -d: status 0 and no output (stderr: $err)"
wait_until 20 "the detached exec wrote /tmp/dmark" bash -c "timeout 10 $DOCKER exec $C cat /tmp/dmark 2>/dev/null | grep -qx detached"
check_eq "detached" "$(D exec "$C" cat /tmp/dmark 2>&1)" "docker exec -d ran its command in the background"

# ----------------------------------------------------- user, env, workdir
check_eq "65534 65534 /nonexistent" "$(D exec -u nobody "$C" sh -c 'echo $(id -u) $(id -g) $HOME' 2>&1)" \
  "docker exec -u nobody: uid, gid and HOME from the container's /etc/passwd"
check_eq "1000 2000" "$(D exec -u 1000:2000 "$C" sh -c 'echo $(id -u) $(id -g)' 2>&1)" "docker exec -u 1000:2000"
check_eq "1000 65534" "$(D exec -u app:nogroup "$C" sh -c 'echo $(id -u) $(id -g)' 2>&1)" "docker exec -u app:nogroup (names)"
run_capture out err rc D exec -u nosuchuser "$C" id
check_eq 126 "$rc" "docker exec -u nosuchuser: exit status"
check_contains "$out$err" "unable to find user nosuchuser: no matching entries in passwd file" "docker exec -u nosuchuser: message"
check_eq "0" "$(D exec "$C" id -u 2>&1)" "docker exec without -u runs as the container's user"
out=$(D exec -e A=b -e CENV=fromexec "$C" sh -c 'echo $A $CENV $HOSTNAME' 2>&1)
check_eq "b fromexec exhost" "$out" "docker exec -e: added, overriding the container's, HOSTNAME kept"
check_eq "fromrun" "$(D exec "$C" sh -c 'echo $CENV' 2>&1)" "docker exec sees the container's env"
check_eq "/tmp" "$(D exec -w /tmp "$C" pwd 2>&1)" "docker exec -w /tmp"
check_eq "/etc" "$(D exec "$C" pwd 2>&1)" "docker exec defaults to the container's working dir"

# ---------------------------------------------------------------- privileges
def_eff=$(D exec "$C" awk '/^CapEff/ {print $2}' /proc/self/status 2>&1)
check_eq "00000000a80425fb" "$def_eff" "docker exec: CapEff is docker's default set"
if [ "$CT_REF" = 1 ]; then
  log "--privileged exec: skipped against dockerd (runc cannot apply caps this host's root lacks)"
else
  want=$(awk '/^CapBnd/ {print $2}' /proc/self/status)
  check_eq "$want" "$(D exec --privileged "$C" awk '/^CapEff/ {print $2}' /proc/self/status 2>&1)" \
    "docker exec --privileged: CapEff is the daemon's whole bounding set"
fi

# --------------------------------------------------------------- namespaces
check_eq "exhost" "$(D exec "$C" hostname 2>&1)" "exec shares the container's UTS namespace"
check_eq "sleep600" "$(D exec "$C" sh -c "tr -d '\\0' </proc/1/cmdline" 2>&1)" \
  "exec shares the PID namespace: /proc/1 is the container's init"
out=$(D exec "$C" sh -c 'if [ "$(cat /proc/self/cgroup)" = "$(cat /proc/1/cgroup)" ]; then echo same; else cat /proc/self/cgroup /proc/1/cgroup; fi' 2>&1)
check_eq "same" "$out" "exec joins the cgroups of the container's init"
hostns=$(readlink /proc/self/ns/net)
ctrns=$(readlink "/proc/$(host_pid "$C")/ns/net" 2>/dev/null || echo none)
execns=$(D exec "$C" readlink /proc/self/ns/net 2>&1)
check_eq "$ctrns" "$execns" "exec shares the container's network namespace"
check_ne "$hostns" "$execns" "the exec's network namespace is not the host's"

# --------------------------------------------------------------- -it (pty)
if command -v script >/dev/null 2>&1; then
  rc=0
  # the terminal's input stays open while the process runs, as a user's does
  out=$(timeout -k 5 60 script -qec "$DOCKER exec -it $C sh -c 'tty; echo pty-ok; exit 4'" /dev/null < <(sleep 10) 2>&1) || rc=$?
  check_eq 4 "$rc" "docker exec -it under a pty: exit status"
  check_contains "$out" "/dev/pts/" "docker exec -it: the process has a terminal"
  check_contains "$out" "pty-ok" "docker exec -it: output"
else
  log "script (util-linux) missing: -it checks skipped"
fi
# the detach keys (ctrl-p ctrl-q) end the session; the process goes on
out=$(timeout -k 5 60 python3 - "$DOCKER" "$C" <<'PY' 2>&1
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "exec", "-it", sys.argv[2], "sh", "-c", "echo started; sleep 5; echo late"])
out, sent, t0 = b"", False, time.time()
while time.time() - t0 < 30:
    if select.select([fd], [], [], 0.1)[0]:
        try:
            d = os.read(fd, 1024)
        except OSError:
            break
        if not d:
            break
        out += d
    if b"started" in out and not sent:
        os.write(fd, b"\x10\x11")
        sent = True
os.waitpid(pid, 0)
print("late" not in out.decode(), "%.0f" % (time.time() - t0) if time.time() - t0 > 4 else "quick")
PY
)
check_eq "True quick" "$out" "docker exec -it: ctrl-p ctrl-q detaches at once, before the process ends"

# ------------------------------------------------------------- the /exec API
if [ "$GEN" = 28 ]; then
  sock=${ENGINE_SOCK}
  api() { local m=$1 p=$2; shift 2; curl -s --max-time 20 --unix-socket "$sock" -X "$m" -H 'Content-Type: application/json' "$@" "http://d/v1.41$p" | tr -d '\n'; }
  eid=$(api POST "/containers/$C/exec" -d '{"Cmd":["sh","-c","sleep 0.3; exit 3"],"AttachStdout":true}' | json_get 'd["Id"]')
  check_match '^[0-9a-f]{64}$' "$eid" "POST /containers/{id}/exec gives an Id"
  check_eq "None False" "$(api GET "/exec/$eid/json" | json_get 'str(d["ExitCode"]) + " " + str(d["Running"])')" \
    "a created exec: ExitCode null, not running"
  check_eq "sh [\"-c\", \"sleep 0.3; exit 3\"]" "$(api GET "/exec/$eid/json" | json_get 'd["ProcessConfig"]["entrypoint"] + " " + json.dumps(d["ProcessConfig"]["arguments"])')" \
    "exec inspect: ProcessConfig entrypoint and arguments"
  code=$(api POST "/exec/$eid/start" -d '{"Detach":true}' -o /dev/null -w '%{http_code}')
  check_eq 200 "$code" "POST /exec/{id}/start Detach: status"
  code=$(api POST "/exec/$eid/start" -d '{"Detach":true}' -w ' %{http_code}')
  check_contains "$code" "is already running\"} 409" "starting a running exec: 409"
  wait_until 20 "exec $eid ends" bash -c "curl -s --unix-socket $sock http://d/exec/$eid/json | grep -q '\"Running\":false'"
  check_eq "3 False" "$(api GET "/exec/$eid/json" | json_get 'str(d["ExitCode"]) + " " + str(d["Running"])')" \
    "after exit: ExitCode 3, not running"
  code=$(api POST "/exec/$eid/start" -d '{"Detach":true}' -w ' %{http_code}')
  check_contains "$code" "has already run\"} 409" "starting a finished exec: 409"
  check_eq '{"message":"No such exec instance: nosuchexec"} 404' "$(api GET /exec/nosuchexec/json -w ' %{http_code}')" \
    "GET /exec/{unknown}/json: 404 and dockerd's message"
  check_eq '{"message":"No exec command specified"} 400' "$(api POST "/containers/$C/exec" -d '{}' -w ' %{http_code}')" \
    "exec create without Cmd: 400"
  check_eq '{"message":"No such container: nosuchctr"} 404' "$(api POST /containers/nosuchctr/exec -d '{"Cmd":["true"]}' -w ' %{http_code}')" \
    "exec create in an unknown container: 404"
  S=${CT_PFX}stopped
  dq create --label "$CT_LABEL" --network none --name "$S" busybox true
  sid=$(finspect "$S" '{{.Id}}')
  check_eq "{\"message\":\"Container $sid is not running\"} 409" "$(api POST "/containers/$S/exec" -d '{"Cmd":["true"]}' -w ' %{http_code}')" \
    "exec create in a stopped container: 409"
  dq pause "$C"
  check_eq "{\"message\":\"Container $C is paused, unpause the container before exec\"} 409" \
    "$(api POST "/containers/$C/exec" -d '{"Cmd":["true"]}' -w ' %{http_code}')" "exec create in a paused container: 409"
  dq unpause "$C"
  # the detached "sleep 5" exec of the ctrl-p ctrl-q check may still run
  wait_until 30 "the detached exec of the detach-keys check ends" \
    bash -c "[ \"\$($DOCKER inspect -f '{{json .ExecIDs}}' $C)\" = null ]"
  ids=$(finspect "$C" '{{json .ExecIDs}}')
  check_eq "null" "$ids" "inspect ExecIDs: null when no exec is pending"
  pid=$(api POST "/containers/$C/exec" -d '{"Cmd":["true"]}' | json_get 'd["Id"]')
  check_contains "$(finspect "$C" '{{json .ExecIDs}}')" "$pid" "inspect ExecIDs lists a created exec"
fi

# ------------------------------------------ an exec whose container stops
K=${CT_PFX}kill
dq run -d --label "$CT_LABEL" --network none --name "$K" busybox sleep 600
( sleep 2; timeout 30 "$DOCKER" kill "$K" >/dev/null 2>&1 ) &
bg_track $!
run_capture out err rc timeout -k 5 60 "$DOCKER" exec "$K" sleep 300
check_ne 0 "$rc" "docker exec ends with a nonzero status when its container is killed"
check_true "docker exec ended by the container's death, not by a timeout" test "$rc" -lt 124 -o "$rc" -gt 125
log "exec in a killed container ended with $rc (dockerd: 137)"

# ------------------------------------------------------------------ events
if [ "$GEN" = 28 ]; then
  ev=$(D events --since "$T0" --until "$(( $(date +%s) + 1 ))" --filter "container=$C" --format '{{.Action}}|{{index .Actor.Attributes "execID"}}|{{index .Actor.Attributes "exitCode"}}' 2>&1)
  check_match '^exec_create: sh -c exit 3\|[0-9a-f]{64}\|$' "$ev" "event exec_create: <cmd> with execID"
  check_match '^exec_start: sh -c exit 3\|[0-9a-f]{64}\|$' "$ev" "event exec_start: <cmd> with execID"
  check_match '^exec_die\|[0-9a-f]{64}\|3$' "$ev" "event exec_die with execID and exitCode"
fi
ct_done
