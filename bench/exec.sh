#!/usr/bin/env bash
# docker exec and docker stats speed: pouchd (moby-api, runtime-ns,
# log-json-file, log-none) against Debian's dockerd + containerd + runc, both
# on private dirs and sockets, same busybox image, same docker CLI, one
# running container each, in the same run:
#   - `docker exec c true`, N runs alternating the engines;
#   - `docker stats --no-stream c`, N runs alternating;
#   - the bare API round trip of an exec (create, start attached, inspect).
# Medians and ratios pouchd/dockerd; target: exec under 1/4 of dockerd.
# Run as root on a machine you may install docker.io on; never in CI. Use a
# Release build of pouchd. dockerd runs with --bridge=none --iptables=false:
# no host network change. Run it under a subreaper on hosts whose PID 1 reaps
# late (`tini -s -- bench/exec.sh`).
#   bench/exec.sh [-n RUNS] [--pouchd PATH] [--plugin-dir DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lib/private-dockerd.sh
RUNS=20
POUCHD=${POUCHD:-$PWD/build/pouchd}
PLUGIN_DIR=${POUCH_PLUGIN_DIR:-$PWD/build/plugins}
while [ $# -gt 0 ]; do
  case "$1" in
    -n) RUNS=$2; shift 2 ;;
    --pouchd) POUCHD=$2; shift 2 ;;
    --plugin-dir) PLUGIN_DIR=$2; shift 2 ;;
    *) sed -n '2,15p' "$0"; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "exec.sh: run as root" >&2; exit 1; }
[ -x "$POUCHD" ] || { echo "exec.sh: no pouchd at $POUCHD (build first)" >&2; exit 1; }
[ -f "$PLUGIN_DIR/runtime-ns.so" ] || { echo "exec.sh: no runtime-ns plugin in $PLUGIN_DIR" >&2; exit 1; }
if ! command -v dockerd >/dev/null || ! command -v containerd >/dev/null; then
  echo "exec.sh: installing Debian's docker.io for the comparison"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io containerd runc >/dev/null
fi
DOCKER=$(command -v /usr/local/bin/docker || command -v docker)

W=$(mktemp -d /tmp/pouch-bench-exec.XXXXXX)
PIDS=()
declare -A SOCK
rm_all() { local ids; ids=$(DOCKER_HOST=unix://$1 timeout 120 "$DOCKER" ps -aq 2>/dev/null) || true
           [ -z "$ids" ] || DOCKER_HOST=unix://$1 timeout -k 5 300 "$DOCKER" rm -f $ids >/dev/null 2>&1 || true; }
cleanup() {
  local p
  set +e
  for p in "${SOCK[@]}"; do rm_all "$p"; done
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true
  done
  for p in /proc/[0-9]*; do   # monitors a broken engine left behind (this run's only)
    grep -qaF "$W/" "$p/cmdline" 2>/dev/null && kill -KILL "${p#/proc/}" 2>/dev/null
  done
  sleep 0.5
  { grep -o " $W/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount "$m" 2>/dev/null || true; done
  for p in $(ls "$W/pouch/exec/containers" 2>/dev/null); do
    for d in /sys/fs/cgroup/*/pouch/"$p" /sys/fs/cgroup/pouch/"$p"; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
  done
  rm -rf "$W"
}
trap cleanup EXIT
ping_ok() { curl -sf --max-time 2 --unix-socket "$1" http://d/_ping >/dev/null 2>&1; }
wait_ping() { for _ in $(seq 600); do ping_ok "$1" && return 0; sleep 0.1; done; echo "no answer on $1" >&2; exit 1; }

echo '{}' >"$W/pouchd.json"
"$POUCHD" --plugin-dir "$PLUGIN_DIR" --config-file "$W/pouchd.json" --data-root "$W/pouch/root" \
  --exec-root "$W/pouch/exec" -H "unix://$W/pouchd.sock" --pidfile "$W/pouchd.pid" \
  --plugins=moby-api,runtime-ns,log-json-file,log-none </dev/null >"$W/pouchd.log" 2>&1 &
PIDS+=($!)
D=$W/docker
private_dockerd_start "$D"
PIDS+=("$PRIVATE_DOCKERD_PID" "$PRIVATE_CONTAINERD_PID")   # dockerd stops before containerd
SOCK=([pouchd]="$W/pouchd.sock" [dockerd]="$D/docker.sock")
wait_ping "${SOCK[pouchd]}"; wait_ping "${SOCK[dockerd]}"

/usr/bin/python3 tests/images/mkimage.py busybox -o "$W/bb.tar"
dk() { local e=$1; shift; DOCKER_HOST="unix://${SOCK[$e]}" timeout 600 "$DOCKER" "$@"; }
for e in pouchd dockerd; do
  dk $e load -i "$W/bb.tar" >/dev/null
  dk $e run -d --name bench --network none busybox sleep 3600 >/dev/null \
    || { echo "$e cannot run a container"; tail -n 20 "$W/pouchd.log"; exit 1; }
  [ "$(dk $e exec bench echo ok)" = ok ] || { echo "$e: docker exec does not work"; exit 1; }
done

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000 ))e-3; }
declare -A T
add() { T[$1.$2]="${T[$1.$2]:-} $3"; }
# create + start (attached, upgraded) + inspect, as the CLI does, from one Python process
api_exec() {
  python3 - "$1" "$RUNS" <<'PY'
import json, socket, sys, time
path, runs = sys.argv[1], int(sys.argv[2])
def call(method, url, body=None, upgrade=False):
    s = socket.socket(socket.AF_UNIX); s.connect(path)
    data = json.dumps(body).encode() if body is not None else b""
    hdr = "%s %s HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % (method, url, len(data))
    if upgrade:
        hdr += "Connection: Upgrade\r\nUpgrade: tcp\r\n"
    s.sendall(hdr.encode() + b"\r\n" + data)
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
        if not upgrade and b"\r\n\r\n" in out:
            head, _, rest = out.partition(b"\r\n\r\n")
            n = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
            if n and len(rest) >= n[0]:
                break
    s.close()
    return out.partition(b"\r\n\r\n")[2]
out = []
for _ in range(runs):
    t0 = time.monotonic()
    eid = json.loads(call("POST", "/v1.41/containers/bench/exec", {"Cmd": ["true"], "AttachStdout": True, "AttachStderr": True}))["Id"]
    call("POST", "/v1.41/exec/%s/start" % eid, {"Detach": False}, upgrade=True)
    code = json.loads(call("GET", "/v1.41/exec/%s/json" % eid))["ExitCode"]
    assert code == 0, code
    out.append((time.monotonic() - t0) * 1000)
print(" ".join("%.3f" % x for x in out))
PY
}

echo "== docker exec bench true  ($RUNS runs each, alternating)"
for e in pouchd dockerd; do dk $e exec bench true; done   # warm-up
for i in $(seq "$RUNS"); do
  for e in pouchd dockerd; do
    t0=$(now); dk $e exec bench true; t1=$(now); add $e exec "$(ms $t0 $t1)"
  done
done
echo "== docker stats --no-stream bench  ($RUNS runs each, alternating)"
for i in $(seq "$RUNS"); do
  for e in pouchd dockerd; do
    t0=$(now); dk $e stats --no-stream bench >/dev/null; t1=$(now); add $e stats "$(ms $t0 $t1)"
  done
done
echo "== exec create + attached start + inspect over the API  ($RUNS runs each)"
for e in pouchd dockerd; do T[$e.api]=$(api_exec "${SOCK[$e]}"); done
dk pouchd stats --no-stream bench

python3 - <<PY
import statistics as st
T = {$(for k in "${!T[@]}"; do printf '"%s": [%s],' "$k" "$(echo ${T[$k]} | tr ' ' ',')"; done)}
def row(name, key, target=None):
    p, d = st.median(T["pouchd." + key]), st.median(T["dockerd." + key])
    r = p / d
    tgt = "" if target is None else "  (target < 1/%d = %.3f)  %s" % (target, 1 / target, "MET" if r < 1 / target else "NOT MET")
    print("  %-36s pouchd %8.1f ms   dockerd %8.1f ms   ratio %.3f (1/%.1f)%s" % (name, p, d, r, 1 / r, tgt))
print("\nmedians over $RUNS runs")
row("docker exec bench true", "exec", 4)
row("docker stats --no-stream bench", "stats")
row("API: exec create+start+inspect", "api")
PY
