#!/usr/bin/env bash
# Start-to-ready time and idle memory: pouchd (default plugins) against
# Debian's dockerd + containerd, both on private dirs, N runs each, medians
# and ratios. Run as root on a machine you may install docker.io on; never
# run in CI. Nothing touches /var/lib/docker, /var/lib/pouch or /run/*.sock.
#   bench/startup.sh [-n RUNS] [--pouchd PATH] [--plugin-dir DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=10
POUCHD=${POUCHD:-$PWD/build/pouchd}
PLUGIN_DIR=${POUCH_PLUGIN_DIR:-$PWD/build/plugins}
while [ $# -gt 0 ]; do
  case "$1" in
    -n) RUNS=$2; shift 2 ;;
    --pouchd) POUCHD=$2; shift 2 ;;
    --plugin-dir) PLUGIN_DIR=$2; shift 2 ;;
    *) sed -n '2,7p' "$0"; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "startup.sh: run as root" >&2; exit 1; }
[ -x "$POUCHD" ] || { echo "startup.sh: no pouchd at $POUCHD (build first: cmake -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build)" >&2; exit 1; }
if ! command -v dockerd >/dev/null || ! command -v containerd >/dev/null; then
  echo "startup.sh: installing Debian's docker.io for the comparison"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io containerd runc iptables >/dev/null
fi

W=$(mktemp -d /tmp/pouch-bench.XXXXXX)
# dockerd changes host networking (docker0, iptables, ip_forward): remember
# it and put it back at exit, as /work/shared/tools/reference-dockerd does.
cat /proc/sys/net/ipv4/ip_forward >"$W/ipfwd.saved"
iptables-save >"$W/iptables.saved" 2>/dev/null || true
had_docker0=0; ip link show docker0 >/dev/null 2>&1 && had_docker0=1
restore() {
  [ $had_docker0 = 1 ] || ip link del docker0 2>/dev/null || true
  [ -s "$W/iptables.saved" ] && iptables-restore <"$W/iptables.saved" 2>/dev/null || true
  cat "$W/ipfwd.saved" >/proc/sys/net/ipv4/ip_forward
  rm -rf "$W"
}
trap restore EXIT

python3 - "$RUNS" "$W" "$POUCHD" "$PLUGIN_DIR" <<'PYEOF'
import os, signal, socket, statistics, subprocess, sys, time

runs, work, pouchd, plugin_dir = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

def ping(path):
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(1)
        s.connect(path)
        s.sendall(b"GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
        s.close()
        return data.startswith(b"HTTP/1.1 200") and data.endswith(b"OK")
    except OSError:
        return False

def wait_ready(path, procs, limit=60):
    t_end = time.monotonic() + limit
    while time.monotonic() < t_end:
        if ping(path):
            return time.monotonic()
        for p in procs:
            if p.poll() is not None:
                raise SystemExit("%s exited with %s" % (p.args[0], p.returncode))
        time.sleep(0.001)
    raise SystemExit("not ready after %ss: %s" % (limit, path))

def wait_sock(path, limit=30):
    t_end = time.monotonic() + limit
    while time.monotonic() < t_end:
        if os.path.exists(path):
            return
        time.sleep(0.001)
    raise SystemExit("no socket %s after %ss" % (path, limit))

def descendants(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            with open("/proc/%d/task/%d/children" % (p, p)) as f:
                todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out

def rss_kib(pids):
    total = 0
    for p in pids:
        try:
            with open("/proc/%d/status" % p) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total

def stop(procs):
    for p in reversed(procs):
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill(); p.wait()

def run_pouchd(i):
    d = os.path.join(work, "p%d" % i); os.makedirs(d)
    sock = os.path.join(d, "pouchd.sock")
    with open(os.path.join(d, "pouchd.json"), "w") as f:
        f.write("{}")
    log = open(os.path.join(d, "pouchd.log"), "w")
    t0 = time.monotonic()
    p = subprocess.Popen([pouchd, "--plugin-dir", plugin_dir, "--config-file", d + "/pouchd.json",
                          "--data-root", d + "/root", "--exec-root", d + "/exec",
                          "-H", "unix://" + sock, "--pidfile", d + "/pouchd.pid"],
                         stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    t1 = wait_ready(sock, [p])
    time.sleep(2)
    pids = descendants(p.pid)
    rss = rss_kib(pids)
    stop([p])
    return t1 - t0, rss, len(pids)

def run_dockerd(i):
    d = os.path.join(work, "d%d" % i); os.makedirs(d + "/containerd"); os.makedirs(d + "/docker")
    csock = d + "/containerd/containerd.sock"; sock = d + "/docker.sock"
    with open(d + "/containerd/config.toml", "w") as f:
        f.write('version = 2\nroot = "%s/containerd/root"\nstate = "%s/containerd/state"\n'
                'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n[grpc]\n  address = "%s"\n'
                '[plugins."io.containerd.internal.v1.opt"]\n  path = "%s/containerd/opt"\n' % (d, d, csock, d))
    with open(d + "/docker/daemon.json", "w") as f:
        f.write('{"deprecated-key-path": "%s/docker/key.json"}' % d)
    clog = open(d + "/containerd.log", "w"); dlog = open(d + "/dockerd.log", "w")
    t0 = time.monotonic()
    c = subprocess.Popen(["containerd", "--config", d + "/containerd/config.toml"],
                         stdin=subprocess.DEVNULL, stdout=clog, stderr=clog)
    wait_sock(csock)
    t_c = time.monotonic()
    k = subprocess.Popen(["dockerd", "--config-file", d + "/docker/daemon.json", "--data-root", d + "/docker/root",
                          "--exec-root", d + "/docker/exec", "--pidfile", d + "/docker/docker.pid",
                          "-H", "unix://" + sock, "--containerd", csock],
                         stdin=subprocess.DEVNULL, stdout=dlog, stderr=dlog)
    t1 = wait_ready(sock, [c, k])
    time.sleep(2)
    pids = descendants(c.pid) + descendants(k.pid)
    rss = rss_kib(pids)
    stop([c, k])
    return t1 - t0, t1 - t_c, rss, len(pids)

p_t, p_rss, d_t, d_only, d_rss = [], [], [], [], []
for i in range(runs):
    # Interleave so that drift on the machine affects both alike.
    t, rss, n = run_pouchd(i)
    p_t.append(t); p_rss.append(rss)
    t, t_only, rss2, n2 = run_dockerd(i)
    d_t.append(t); d_only.append(t_only); d_rss.append(rss2)
    print("run %2d: pouchd %7.1f ms %7.1f MiB (%d proc) | dockerd+containerd %7.1f ms (dockerd alone %7.1f ms) %7.1f MiB (%d proc)"
          % (i + 1, p_t[-1] * 1e3, rss / 1024, n, d_t[-1] * 1e3, t_only * 1e3, rss2 / 1024, n2), flush=True)

med = statistics.median
mp, md, mdo = med(p_t) * 1e3, med(d_t) * 1e3, med(d_only) * 1e3
rp, rd = med(p_rss) / 1024, med(d_rss) / 1024
print()
print("medians over %d runs" % runs)
print("  start-to-ready   pouchd %8.1f ms   dockerd+containerd %8.1f ms (dockerd alone %.1f ms)" % (mp, md, mdo))
print("  idle RSS (2 s)   pouchd %8.1f MiB  dockerd+containerd %8.1f MiB" % (rp, rd))
print("ratios pouchd/dockerd")
print("  time   %.4f (1/%.0f; target < 1/20 = 0.05)  %s" % (mp / md, md / mp, "MET" if mp / md < 0.05 else "MISSED"))
print("  memory %.4f (1/%.0f; target < 1/10 = 0.10)  %s" % (rp / rd, rd / rp, "MET" if rp / rd < 0.10 else "MISSED"))
PYEOF
