#!/usr/bin/env bash
# Container speed and memory: pouchd (moby-api, runtime-ns, log-json-file,
# log-none) against Debian's dockerd + containerd + runc, both on private
# dirs and sockets, same busybox image, same docker CLI, in the same run:
#   - `docker run --rm --network none busybox true`, N runs alternating;
#   - create+start+wait+rm of 100 containers (sequential);
#   - `docker ps -a` with 500 created (not started) containers;
#   - `docker logs` of a container that printed 1M lines;
#   - RSS with 100 running containers: the daemon(s) and the per-container
#     monitor (pouch-shim vs containerd-shim-runc-v2), VmRSS and PSS.
# Medians and ratios pouchd/dockerd against the targets: run --rm < 1/4,
# per-container overhead < 1/10 of containerd-shim's, ps < 1/5.
# Run as root on a machine you may install docker.io on; never in CI.
# dockerd runs with --bridge=none --iptables=false --ip6tables=false
# --ip-forward=false: no host network change. Run it under a subreaper
# (`tini -s -- bench/containers.sh`) on hosts whose PID 1 reaps late.
#   bench/containers.sh [-n RUNS] [--pouchd PATH] [--plugin-dir DIR] [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lib/private-dockerd.sh
RUNS=20; CYCLES=100; PSN=500; LOGN=1000000; MEMN=100
POUCHD=${POUCHD:-$PWD/build/pouchd}
PLUGIN_DIR=${POUCH_PLUGIN_DIR:-$PWD/build/plugins}
while [ $# -gt 0 ]; do
  case "$1" in
    -n) RUNS=$2; shift 2 ;;
    --pouchd) POUCHD=$2; shift 2 ;;
    --plugin-dir) PLUGIN_DIR=$2; shift 2 ;;
    --quick) RUNS=5; CYCLES=20; PSN=100; LOGN=100000; MEMN=20; shift ;;
    *) sed -n '2,19p' "$0"; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "containers.sh: run as root" >&2; exit 1; }
[ -x "$POUCHD" ] || { echo "containers.sh: no pouchd at $POUCHD (build first)" >&2; exit 1; }
[ -f "$PLUGIN_DIR/runtime-ns.so" ] || { echo "containers.sh: no runtime-ns plugin in $PLUGIN_DIR" >&2; exit 1; }
if ! command -v dockerd >/dev/null || ! command -v containerd >/dev/null; then
  echo "containers.sh: installing Debian's docker.io for the comparison"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io containerd runc >/dev/null
fi
DOCKER=$(command -v /usr/local/bin/docker || command -v docker)

W=$(mktemp -d /tmp/pouch-bench-ctr.XXXXXX)
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
  # monitors a broken engine left behind (this run's only: their command line names $W)
  for p in /proc/[0-9]*; do
    grep -qaF "$W/" "$p/cmdline" 2>/dev/null && { echo "killing leftover ${p#/proc/}: $(tr '\0' ' ' <"$p/cmdline" | cut -c1-80)"; kill -KILL "${p#/proc/}" 2>/dev/null; }
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
POUCHD_PID=$!; PIDS+=($!)
D=$W/docker
private_dockerd_start "$D"
DPID=$PRIVATE_DOCKERD_PID; CPID=$PRIVATE_CONTAINERD_PID
PIDS+=("$DPID" "$CPID")   # dockerd stops before containerd
SOCK=([pouchd]="$W/pouchd.sock" [dockerd]="$D/docker.sock")
wait_ping "${SOCK[pouchd]}"; wait_ping "${SOCK[dockerd]}"

/usr/bin/python3 tests/images/mkimage.py busybox -o "$W/bb.tar"
dk() { local e=$1; shift; DOCKER_HOST="unix://${SOCK[$e]}" timeout 600 "$DOCKER" "$@"; }
for e in pouchd dockerd; do dk $e load -i "$W/bb.tar" >/dev/null; done
dk pouchd run --rm --network none busybox true >/dev/null || { echo "pouchd cannot run a container; its log:"; tail -n 20 "$W/pouchd.log"; exit 1; }

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000 ))e-3; }       # ns interval -> ms as a float string
declare -A T                                   # T[engine.metric] = space-separated samples (ms)
add() { T[$1.$2]="${T[$1.$2]:-} $3"; }

echo "== docker run --rm --network none busybox true  ($RUNS runs each, alternating)"
for e in pouchd dockerd; do dk $e run --rm --network none busybox true >/dev/null; done   # warm-up
for i in $(seq "$RUNS"); do
  for e in pouchd dockerd; do
    t0=$(now); dk $e run --rm --network none busybox true >/dev/null; t1=$(now)
    add $e run "$(ms $t0 $t1)"
  done
done

echo "== create+start+wait+rm of $CYCLES containers"
for e in pouchd dockerd; do
  t0=$(now)
  for i in $(seq "$CYCLES"); do
    c=$(dk $e create --network none busybox true); dk $e start "$c" >/dev/null
    DOCKER_HOST="unix://${SOCK[$e]}" timeout -k 5 60 "$DOCKER" wait "$c" >/dev/null \
      || { echo "$e: docker wait $c did not return within 60 s (cycle $i); the figures would be meaningless"; exit 1; }
    dk $e rm "$c" >/dev/null
  done
  t1=$(now); add $e cycle "$(ms $t0 $t1)"
done

echo "== docker ps -a with $PSN created containers"
for e in pouchd dockerd; do
  seq "$PSN" | xargs -P 8 -I{} env DOCKER_HOST="unix://${SOCK[$e]}" "$DOCKER" create --network none --name "ps{}" busybox true >/dev/null
  n=$(dk $e ps -aq | wc -l); [ "$n" -ge "$PSN" ] || { echo "$e: only $n containers"; exit 1; }
done
for i in $(seq 10); do
  for e in pouchd dockerd; do
    t0=$(now); dk $e ps -a >/dev/null; t1=$(now); add $e ps "$(ms $t0 $t1)"
    t0=$(now); curl -s --unix-socket "${SOCK[$e]}" "http://d/v1.41/containers/json?all=1" >/dev/null; t1=$(now); add $e psapi "$(ms $t0 $t1)"
  done
done
for e in pouchd dockerd; do rm_all "${SOCK[$e]}"; done

echo "== docker logs of $LOGN lines"
for e in pouchd dockerd; do
  dk $e run --name logs --network none busybox seq 1 "$LOGN" >/dev/null
  n=$(dk $e logs logs | wc -l); [ "$n" = "$LOGN" ] || echo "$e: docker logs gave $n lines, expected $LOGN"
done
for i in 1 2 3; do
  for e in pouchd dockerd; do t0=$(now); dk $e logs logs >/dev/null 2>&1; t1=$(now); add $e logs "$(ms $t0 $t1)"; done
done
for e in pouchd dockerd; do dk $e rm -f logs >/dev/null; done

echo "== memory with $MEMN running containers"
desc() {  # desc PID: PID and all its descendants
  python3 - "$1" <<'PY'
import os, sys
kids = {}
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            pp = int(open("/proc/%s/stat" % p).read().rsplit(")", 1)[1].split()[1])
        except Exception:
            continue
        kids.setdefault(pp, []).append(int(p))
out, todo = [], [int(sys.argv[1])]
while todo:
    p = todo.pop(); out.append(p); todo.extend(kids.get(p, []))
print(" ".join(map(str, out)))
PY
}
memof() {  # memof PID...: "VmRSS_KiB PSS_KiB"
  local rss=0 pss=0 p r s
  for p in "$@"; do
    r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)
    s=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
    rss=$((rss + ${r:-0})); pss=$((pss + ${s:-0}))
  done
  echo "$rss $pss"
}
exe_pids() {  # exe_pids EXE-PATH SUBSTRING-OF-CMDLINE
  local p
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/exe" 2>/dev/null)" = "$1" ] || continue
    grep -qaF "$2" "$p/cmdline" 2>/dev/null && echo "${p#/proc/}"
  done
  return 0
}
declare -A M
M[pouchd.idle]=$(memof "$POUCHD_PID"); M[dockerd.idle]=$(memof "$DPID" "$CPID")
for e in pouchd dockerd; do
  seq "$MEMN" | xargs -P 8 -I{} env DOCKER_HOST="unix://${SOCK[$e]}" "$DOCKER" run -d --network none --name "m{}" busybox sleep 3600 >/dev/null
done
sleep 2
SHIM=$(readlink -f "$PLUGIN_DIR/pouch-shim")
CSHIM=$(readlink -f "$(command -v containerd-shim-runc-v2)")
pshims=$(exe_pids "$SHIM" "$W/pouch")
cshims=$(exe_pids "$CSHIM" "$D/containerd")
M[pouchd.daemon]=$(memof "$POUCHD_PID"); M[dockerd.daemon]=$(memof "$DPID" "$CPID")
M[pouchd.shims]=$(memof $pshims); M[dockerd.shims]=$(memof $cshims)
M[pouchd.nshims]=$(wc -w <<<"$pshims"); M[dockerd.nshims]=$(wc -w <<<"$cshims")
for e in pouchd dockerd; do rm_all "${SOCK[$e]}"; done

python3 - <<PY
import statistics as st
T = {$(for k in "${!T[@]}"; do printf '"%s": [%s],' "$k" "$(echo ${T[$k]} | tr ' ' ',')"; done)}
M = {$(for k in "${!M[@]}"; do printf '"%s": "%s",' "$k" "${M[$k]}"; done)}
med = lambda k: st.median(T[k])
def row(name, key, target=None):
    p, d = med("pouchd." + key), med("dockerd." + key)
    r = p / d
    tgt = "" if target is None else "  (target < 1/%d = %.3f)  %s" % (target, 1 / target, "MET" if r < 1 / target else "NOT MET")
    print("  %-34s pouchd %9.1f ms   dockerd %9.1f ms   ratio %.3f (1/%.1f)%s" % (name, p, d, r, 1 / r, tgt))
print("\nmedians")
row("run --rm busybox true", "run", 4)
row("create+start+wait+rm x $CYCLES", "cycle")
print("  %-34s pouchd %9.1f ms   dockerd %9.1f ms   (per container)" % ("  per container", med("pouchd.cycle") / $CYCLES, med("dockerd.cycle") / $CYCLES))
row("docker ps -a, $PSN containers", "ps", 5)
row("GET /containers/json?all=1, $PSN", "psapi")
row("docker logs, $LOGN lines", "logs")
rp = lambda k: [int(x) for x in M[k].split()]
print("\nmemory (KiB, VmRSS / PSS)")
for e in ("pouchd", "dockerd"):
    i, d, s = rp(e + ".idle"), rp(e + ".daemon"), rp(e + ".shims")
    n = int(M[e + ".nshims"]) or 1
    print("  %-8s daemon before %7d / %7d   with $MEMN running %7d / %7d   monitors %s x: total %8d / %8d  per container %6d / %6d"
          % (e, i[0], i[1], d[0], d[1], M[e + ".nshims"], s[0], s[1], s[0] / n, s[1] / n))
pp, dp = rp("pouchd.shims"), rp("dockerd.shims")
np_, nd = int(M["pouchd.nshims"]) or 1, int(M["dockerd.nshims"]) or 1
for label, idx in (("VmRSS", 0), ("PSS", 1)):
    r = (pp[idx] / np_) / (dp[idx] / nd) if dp[idx] else float("nan")
    print("  per-container monitor %-5s ratio pouch-shim/containerd-shim %.3f (1/%.1f)  (target < 1/10)  %s" % (label, r, 1 / r if r else 0, "MET" if r < 0.1 else "NOT MET"))
pd = rp("pouchd.daemon")[0] - rp("pouchd.idle")[0]
dd = rp("dockerd.daemon")[0] - rp("dockerd.idle")[0]
print("  daemon growth for $MEMN containers: pouchd %d KiB, dockerd+containerd %d KiB" % (pd, dd))
PY
