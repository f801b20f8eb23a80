#!/usr/bin/env bash
# Operations on running containers through the docker CLI 28 (and 20.10 for
# stats/top output): pause/unpause (a counter stops advancing, ps and inspect
# say Paused, dockerd's 409/500s, events, stop/kill/rm -f of a paused one),
# update (the cgroup files follow, inspect shows the stored HostConfig, the
# restart policy takes effect, dockerd's errors and warnings), stats
# (--no-stream, the streamed samples chain precpu, one-shot, a stopped
# container's zeroed sample, the key set) and top (default and -o args, bad
# args, a stopped container).
# Runs against a private pouchd, or POUCH_TEST_AGAINST=unix://... (dockerd).
source "$(dirname "$0")/containers-lib.sh"

ct_client 28
ct_engine
ct_images busybox
D20=$(find_docker20 || true)
sock=$ENGINE_SOCK
api() { local m=$1 p=$2; shift 2; curl -s --max-time 20 --unix-socket "$sock" -X "$m" -H 'Content-Type: application/json' "$@" "http://d/v1.41$p" | tr -d '\n'; }
T0=$(date +%s)

# ------------------------------------------------------------------ pause
P=${CT_PFX}pause
run_capture out err rc drun -d --name "$P" busybox sh -c 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.05; done'
check_eq 0 "$rc" "docker run -d counter (stderr: $err)"
PID=$(finspect "$P" '{{.Id}}')
wait_until 20 "the counter writes" bash -c "[ -n \"\$(timeout 10 $DOCKER logs $P 2>/dev/null | tail -n1)\" ]"
run_capture out err rc D pause "$P"
check_eq 0 "$rc" "docker pause (stderr: $err)"
check_eq "paused true true" "$(finspect "$P" '{{.State.Status}} {{.State.Paused}} {{.State.Running}}')" "inspect of a paused container"
check_match 'Up .* \(Paused\)' "$(D ps --filter "id=$PID" --format '{{.Status}}')" "docker ps shows (Paused)"
check_eq "$PID" "$(D ps -q --no-trunc --filter status=paused --filter "id=$PID")" "docker ps --filter status=paused"
n1=$(D logs "$P" 2>/dev/null | tail -n1)
sleep 1.5
n2=$(D logs "$P" 2>/dev/null | tail -n1)
check_eq "$n1" "$n2" "the counter does not advance while paused"
check_eq "{\"message\":\"Container $PID is already paused\"} 409" "$(api POST "/containers/$P/pause" -w ' %{http_code}')" "pause of a paused container: 409"
run_capture out err rc D unpause "$P"
check_eq 0 "$rc" "docker unpause (stderr: $err)"
check_eq "running false" "$(finspect "$P" '{{.State.Status}} {{.State.Paused}}')" "inspect after unpause"
wait_until 20 "the counter advances after unpause" bash -c "[ \"\$(timeout 10 $DOCKER logs $P 2>/dev/null | tail -n1)\" -gt $n2 ]"
pass "the counter advances again after unpause"
check_eq "{\"message\":\"Container $PID is not paused\"} 500" "$(api POST "/containers/$P/unpause" -w ' %{http_code}')" "unpause of a running container: dockerd's 500"
S=${CT_PFX}stopped
dq create --label "$CT_LABEL" --network none --name "$S" busybox true
SID=$(finspect "$S" '{{.Id}}')
check_eq "{\"message\":\"Container $SID is not running\"} 409" "$(api POST "/containers/$S/pause" -w ' %{http_code}')" "pause of a created container: 409"
check_eq '{"message":"No such container: nosuchctr"} 404' "$(api POST /containers/nosuchctr/pause -w ' %{http_code}')" "pause of an unknown container: 404"
ev=$(D events --since "$T0" --until "$(( $(date +%s) + 1 ))" --filter "container=$P" --format '{{.Action}}' 2>&1 | tr '\n' ' ')
check_match 'pause unpause' "$ev" "events pause then unpause"

# a paused container still stops, dies and goes away
dq pause "$P"
run_capture out err rc D stop -t 1 "$P"
check_eq 0 "$rc" "docker stop -t 1 of a paused container (stderr: $err)"
check_eq "exited false" "$(finspect "$P" '{{.State.Status}} {{.State.Paused}}')" "a stopped paused container is exited, not paused"
K=${CT_PFX}pkill
dq run -d --label "$CT_LABEL" --network none --name "$K" busybox sleep 600
dq pause "$K"
run_capture out err rc D kill "$K"
check_eq 0 "$rc" "docker kill of a paused container (stderr: $err)"
wait_state "$K" exited 20 || defect "a killed paused container did not exit"
check_eq "137" "$(finspect "$K" '{{.State.ExitCode}}')" "a killed paused container's exit code"
dq start "$K"; dq pause "$K"
run_capture out err rc D rm -f "$K"
check_eq 0 "$rc" "docker rm -f of a paused container (stderr: $err)"
check_true "the paused container is gone after rm -f" bash -c "! timeout 10 $DOCKER inspect $K >/dev/null 2>&1"

# ------------------------------------------------------------------ update
U=${CT_PFX}upd
dq run -d --label "$CT_LABEL" --network none --name "$U" busybox sleep 600
run_capture out err rc D update --memory 64m --memory-swap 128m --cpus 0.5 --pids-limit 50 --cpu-shares 512 "$U"
check_eq 0 "$rc" "docker update --memory --memory-swap --cpus --pids-limit --cpu-shares (stderr: $err)"
check_eq "67108864 134217728 500000000 50 512" \
  "$(finspect "$U" '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.CpuShares}}')" \
  "inspect shows the updated HostConfig"
upid=$(host_pid "$U")
if mem=$(cgroup_dir "$upid" memory); then
  check_eq 67108864 "$(cat "$mem/memory.limit_in_bytes")" "memory.limit_in_bytes of the container's cgroup"
fi
if cpu=$(cgroup_dir "$upid" cpu); then
  check_eq "50000 512" "$(cat "$cpu/cpu.cfs_quota_us") $(cat "$cpu/cpu.shares")" "cpu.cfs_quota_us and cpu.shares of the container's cgroup"
fi
if pids=$(cgroup_dir "$upid" pids); then
  check_eq 50 "$(cat "$pids/pids.max")" "pids.max of the container's cgroup"
fi
check_eq 67108864 "$(D exec "$U" cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || D exec "$U" cat /sys/fs/cgroup/memory.max 2>&1)" \
  "the container sees its new memory limit"
run_capture out err rc D update --memory 1000 "$U"
check_ne 0 "$rc" "docker update --memory 1000 fails"
check_contains "$err" "Minimum memory limit allowed is 6MB" "docker update --memory 1000: message"
run_capture out err rc D update --memory 256m "$U"
check_contains "$err" "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time" \
  "raising memory above the set memory-swap: dockerd's conflict"
check_eq '{"message":"Conflicting options: Nano CPUs and CPU Quota cannot both be set"} 400' \
  "$(api POST "/containers/$U/update" -d '{"NanoCpus":500000000,"CpuQuota":10000}' -w ' %{http_code}')" "NanoCpus with CpuQuota: 400"
check_eq '{"message":"invalid restart policy '"'bogus'"'"} 400' \
  "$(api POST "/containers/$U/update" -d '{"RestartPolicy":{"Name":"bogus"}}' -w ' %{http_code}')" "unknown restart policy: 400"
out=$(api POST "/containers/$U/update" -d '{"KernelMemory":67108864}' -w ' %{http_code}')
check_eq '{"Warnings":["Specifying a kernel memory limit is deprecated and will be removed in a future release."]} 200' "$out" \
  "KernelMemory: accepted with dockerd's warning"
run_capture out err rc D update --restart always "$U"
check_eq 0 "$rc" "docker update --restart always (stderr: $err)"
check_eq always "$(finspect "$U" '{{.HostConfig.RestartPolicy.Name}}')" "inspect shows the new restart policy"
kill -9 "$(host_pid "$U")"
wait_until 30 "the container restarts by its new policy" bash -c "[ \"\$(timeout 10 $DOCKER inspect -f '{{.RestartCount}} {{.State.Running}}' $U)\" = '1 true' ]"
pass "the updated restart policy restarts the container"
R=${CT_PFX}rm
dq run -d --rm --label "$CT_LABEL" --network none --name "$R" busybox sleep 600
run_capture out err rc D update --restart always "$R"
check_contains "$err" "Restart policy cannot be updated because AutoRemove is enabled for the container" "docker update --restart on a --rm container"
run_capture out err rc D update --cpu-shares 256 "$S"
check_eq 0 "$rc" "docker update of a created container (stderr: $err)"
check_eq 256 "$(finspect "$S" '{{.HostConfig.CpuShares}}')" "a created container's update is stored"
ev=$(D events --since "$T0" --until "$(( $(date +%s) + 1 ))" --filter "container=$U" --filter event=update --format '{{.Action}}' 2>&1 | sed -n 1p)
check_eq update "$ev" "event update"

# ------------------------------------------------------------------- stats
ST=${CT_PFX}stats
dq run -d --label "$CT_LABEL" --network none --memory 32m --name "$ST" busybox sleep 600
out=$(D stats --no-stream --format '{{.Name}}|{{.MemUsage}}|{{.PIDs}}|{{.CPUPerc}}' "$ST" 2>&1)
check_match "^$ST\|[0-9.]+[KMG]i?B / 32MiB\|1\|[0-9.]+%$" "$out" "docker stats --no-stream: name, memory / limit, pids, cpu"
if [ -n "$D20" ]; then
  out=$(timeout 60 "$D20" stats --no-stream --format '{{.Name}}|{{.MemUsage}}|{{.PIDs}}' "$ST" 2>&1)
  check_match "^$ST\|[0-9.]+[KMG]i?B / 32MiB\|1$" "$out" "docker 20.10 stats --no-stream"
fi
# streaming, as `docker stats` shows it (the CLI ignores SIGTERM here: KILL)
timeout -s KILL 5 "$DOCKER" stats --format '{{.Name}}|{{.MemUsage}}|{{.PIDs}}' "$ST" >"$T_DIR/stats-stream" 2>&1 || true
out=$(tr -d '\033' <"$T_DIR/stats-stream" | grep -Eo "$ST\|[0-9.]+[KMG]i?B / 32MiB\|1" | sed -E 's/\|[0-9.]+[KMG]i?B \/ /|/' | sort -u)
check_eq "$ST|32MiB|1" "$out" "docker stats (streaming): the container's usage, limit and pids"
keys=$(api GET "/containers/$ST/stats?stream=false" | json_get '" ".join(sorted(d))')
check_eq "blkio_stats cpu_stats id memory_stats name num_procs pids_stats precpu_stats preread read storage_stats" "$keys" "stats keys (--network none)"
out=$(api GET "/containers/$ST/stats?stream=false" | json_get 'str(d["preread"] != "0001-01-01T00:00:00Z") + " " + str(d["precpu_stats"].get("system_cpu_usage", 0) > 0) + " " + d["name"]')
check_eq "True True /$ST" "$out" "stream=false: two samples, precpu filled"
out=$(api GET "/containers/$ST/stats?stream=false&one-shot=true" | json_get 'd["preread"] + " " + str(d["cpu_stats"]["online_cpus"] > 0)')
check_eq "0001-01-01T00:00:00Z True" "$out" "one-shot: a single sample"
out=$(api GET "/containers/$S/stats?stream=false" | json_get 'd["read"] + " " + json.dumps(d["memory_stats"]) + " " + json.dumps(d["pids_stats"])')
check_eq "0001-01-01T00:00:00Z {} {}" "$out" "a stopped container's zeroed sample"
curl -s --max-time 3 --unix-socket "$sock" "http://d/v1.41/containers/$ST/stats" >"$T_DIR/stream" || true
out=$(python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ok = len(lines) >= 2 and all(lines[i]["preread"] == lines[i - 1]["read"] for i in range(1, len(lines)))
print(len(lines) >= 2, ok)' "$T_DIR/stream")
check_eq "True True" "$out" "stream: a sample a second, each preread = the previous read"
check_eq '{"message":"No such container: nosuchctr"} 404' "$(api GET '/containers/nosuchctr/stats?stream=false' -w ' %{http_code}')" "stats of an unknown container: 404"
# a container with a network namespace of its own lists its interfaces but lo
# (pouch's default network has none yet; the test adds a veth pair inside it)
if [ "$CT_REF" = 0 ] && command -v ip >/dev/null && command -v nsenter >/dev/null; then
  NS=${CT_PFX}netstats
  dq run -d --label "$CT_LABEL" --name "$NS" busybox sleep 600
  check_eq "{}" "$(api GET "/containers/$NS/stats?stream=false&one-shot=true" | json_get 'json.dumps(d["networks"])')" \
    "stats networks: {} for a network namespace with only lo"
  npid=$(finspect "$NS" '{{.State.Pid}}')
  if nsenter -t "$npid" -n ip link add pt-v0 type veth peer name pt-v1 2>/dev/null; then
    nsenter -t "$npid" -n ip link set pt-v0 up; nsenter -t "$npid" -n ip link set pt-v1 up
    check_eq "pt-v0 pt-v1 rx_bytes rx_dropped rx_errors rx_packets tx_bytes tx_dropped tx_errors tx_packets" \
      "$(api GET "/containers/$NS/stats?stream=false&one-shot=true" | json_get '" ".join(sorted(d["networks"])) + " " + " ".join(sorted(d["networks"]["pt-v0"]))')" \
      "stats networks: the container's interfaces with dockerd's counters"
  else
    log "no veth support: the interface listing check is skipped"
  fi
  dq rm -f "$NS"   # the veth pair goes with the container's network namespace
fi

# -------------------------------------------------------------------- top
out=$(D top "$ST" 2>&1)
check_match '^UID +PID +PPID +C +STIME +TTY +TIME +CMD' "$out" "docker top: ps -ef titles"
check_match 'sleep 600$' "$out" "docker top: the container's process"
check_eq 2 "$(wc -l <<<"$out")" "docker top lists only the container's processes"
out=$(D top "$ST" -o pid,comm 2>&1)
check_match '^PID +COMMAND' "$out" "docker top -o pid,comm: titles"
check_match "^$(host_pid "$ST") +sleep$" "$out" "docker top -o pid,comm: the init's host pid and name"
if [ -n "$D20" ]; then
  check_match 'sleep 600$' "$(timeout 60 "$D20" top "$ST" 2>&1)" "docker 20.10 top"
fi
run_capture out err rc D top "$ST" -o comm
check_contains "$err" "Couldn't find PID field in ps output" "docker top -o comm: no PID column"
out=$(api GET "/containers/$ST/top?ps_args=--bogus" -w ' %{http_code}')
check_match 'unknown gnu long option.* 500$' "$out" "top with bad ps args: ps's complaint, 500"
check_eq "{\"message\":\"Container $SID is not running\"} 409" "$(api GET "/containers/$S/top" -w ' %{http_code}')" "top of a created container: 409"
ct_done
