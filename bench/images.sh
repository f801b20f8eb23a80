#!/usr/bin/env bash
# Image store speed: pouchd against Debian's dockerd + containerd, both on
# private dirs and sockets, driven by the same docker CLI: `docker load` of a
# ~300 MB 6-layer image, `docker save` of it to a file, and `docker images`
# (and GET /images/json) with 300 images present. N runs each, alternating
# engines; medians and ratios dockerd/pouchd against the targets (load and
# save >= 2x faster, images >= 5x faster). Run as root on a machine you may
# install docker.io on; never in CI. dockerd runs with --bridge=none
# --iptables=false --ip6tables=false --ip-forward=false: no host network change.
#   bench/images.sh [-n RUNS] [--size-mb MB] [--count IMAGES] [--pouchd PATH] [--plugin-dir DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lib/private-dockerd.sh
RUNS=5; SIZE_MB=300; COUNT=300
POUCHD=${POUCHD:-$PWD/build/pouchd}
PLUGIN_DIR=${POUCH_PLUGIN_DIR:-$PWD/build/plugins}
while [ $# -gt 0 ]; do
  case "$1" in
    -n) RUNS=$2; shift 2 ;;
    --size-mb) SIZE_MB=$2; shift 2 ;;
    --count) COUNT=$2; shift 2 ;;
    --pouchd) POUCHD=$2; shift 2 ;;
    --plugin-dir) PLUGIN_DIR=$2; shift 2 ;;
    *) sed -n '2,10p' "$0"; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "images.sh: run as root" >&2; exit 1; }
[ -x "$POUCHD" ] || { echo "images.sh: no pouchd at $POUCHD (build first)" >&2; exit 1; }
if ! command -v dockerd >/dev/null || ! command -v containerd >/dev/null; then
  echo "images.sh: installing Debian's docker.io for the comparison"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io containerd runc >/dev/null
fi
DOCKER=$(command -v /usr/local/bin/docker || command -v docker)

W=$(mktemp -d /tmp/pouch-bench-images.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true
  done
  { grep -o " $W/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount "$m" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT
ping_ok() { curl -sf --max-time 2 --unix-socket "$1" http://d/_ping >/dev/null 2>&1; }
wait_ping() { for _ in $(seq 600); do ping_ok "$1" && return 0; sleep 0.1; done; echo "no answer on $1" >&2; exit 1; }

echo '{}' >"$W/pouchd.json"
"$POUCHD" --plugin-dir "$PLUGIN_DIR" --config-file "$W/pouchd.json" --data-root "$W/pouch/root" \
  --exec-root "$W/pouch/exec" -H "unix://$W/pouchd.sock" --pidfile "$W/pouchd.pid" </dev/null >"$W/pouchd.log" 2>&1 &
PIDS+=($!)
D=$W/docker
private_dockerd_start "$D"
PIDS+=("$PRIVATE_DOCKERD_PID" "$PRIVATE_CONTAINERD_PID")   # dockerd stops before containerd
wait_ping "$W/pouchd.sock"; wait_ping "$D/docker.sock"
declare -A SOCK=([pouchd]="$W/pouchd.sock" [dockerd]="$D/docker.sock")
dk() { local e=$1; shift; "$DOCKER" -H "unix://${SOCK[$e]}" "$@"; }

echo "pouchd: $POUCHD ($("$POUCHD" --version 2>/dev/null | head -n1 || true)); dockerd: $(dockerd --version); client: $("$DOCKER" --version)"
echo "generating a ${SIZE_MB} MB 6-layer image and ${COUNT} small images ..."
/usr/bin/python3 tests/images/mkimage.py big -o "$W/big.tar" --size-mb "$SIZE_MB" --layers 6 --tag big:latest
/usr/bin/python3 tests/images/mkimage.py many -o "$W/many.tar" --count "$COUNT"
echo "big.tar: $(du -m "$W/big.tar" | cut -f1) MB"
sync

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
declare -A T
run() {  # run NAME ENGINE cmd...: time one command, keep the figure
  local name=$1 e=$2; shift 2
  local t0; t0=$(date +%s%N)
  "$@" >/dev/null
  T[$name.$e]+="$(ms "$t0") "
}
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

for ((i = 1; i <= RUNS; i++)); do
  for e in pouchd dockerd; do
    run load "$e" dk "$e" load -i "$W/big.tar"
    run save "$e" dk "$e" save -o "$W/out-$e.tar" big:latest
    rm -f "$W/out-$e.tar"
    dk "$e" rmi big:latest >/dev/null
  done
  last() { awk '{print $NF}' <<<"$1"; }
  echo "run $i: load pouchd $(last "${T[load.pouchd]}") ms, dockerd $(last "${T[load.dockerd]}") ms | save pouchd $(last "${T[save.pouchd]}") ms, dockerd $(last "${T[save.dockerd]}") ms"
done
for e in pouchd dockerd; do dk "$e" load -i "$W/many.tar" >/dev/null; done
for e in pouchd dockerd; do
  n=$(dk "$e" images -q | wc -l); [ "$n" -ge "$COUNT" ] || { echo "$e lists only $n images" >&2; exit 1; }
done
for ((i = 1; i <= RUNS * 2; i++)); do
  for e in pouchd dockerd; do
    run images "$e" dk "$e" images
  done
done
# The engine's own time for GET /images/json, without a client's start-up:
# one Python process, a fresh unix connection per request, 20 requests.
api_ms() {
  python3 - "$1" <<'PY'
import socket, sys, time
def get(path):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
    s.sendall(b"GET /v1.41/images/json HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n")
    while s.recv(1 << 16): pass
    s.close()
out = []
for _ in range(20):
    t0 = time.perf_counter(); get("/v1.41/images/json"); out.append((time.perf_counter() - t0) * 1000)
print(" ".join("%.2f" % x for x in out))
PY
}
for e in pouchd dockerd; do T[api.$e]=$(api_ms "${SOCK[$e]}"); done

printf '\n%-34s %12s %12s %10s %s\n' "" "pouchd ms" "dockerd ms" "ratio" "target"
for k in load save images api; do
  case $k in
    load) what="docker load (${SIZE_MB} MB, 6 layers)"; tgt=2 ;;
    save) what="docker save -o file"; tgt=2 ;;
    images) what="docker images (${COUNT}+ images)"; tgt=5 ;;
    api) what="GET /images/json, server (${COUNT}+)"; tgt=5 ;;
  esac
  p=$(median "${T[$k.pouchd]}"); dd=$(median "${T[$k.dockerd]}")
  r=$(awk -v a="$dd" -v b="$p" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}')
  ok=$(awk -v r="$r" -v t="$tgt" 'BEGIN {print (r >= t) ? "met" : "MISSED"}')
  printf '%-34s %12s %12s %9sx  >= %sx %s\n' "$what" "$p" "$dd" "$r" "$tgt" "$ok"
done
echo
for k in load save images api; do echo "raw $k: pouchd [${T[$k.pouchd]}] dockerd [${T[$k.dockerd]}]"; done
