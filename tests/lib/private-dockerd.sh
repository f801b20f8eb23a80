# Debian's dockerd + containerd on private directories and sockets, for the
# benchmarks and interoperability tests that compare pouch with dockerd. It
# never touches /var/lib/docker, /run/docker.sock or the host's network
# (no bridge, no iptables, no ip_forward). Sourced; bash.
#
#   private_dockerd_start DIR   start both under DIR; sets PRIVATE_DOCKERD_SOCK,
#                               PRIVATE_DOCKERD_PID and PRIVATE_CONTAINERD_PID
#                               (stop dockerd before containerd, by PID).

private_dockerd_start() {
  local D=$1
  mkdir -p "$D/containerd" "$D/docker"
  cat >"$D/containerd/config.toml" <<T
version = 2
root = "$D/containerd/root"
state = "$D/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$D/containerd/containerd.sock"
[ttrpc]
  address = "$D/containerd/containerd.sock.ttrpc"
[debug]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$D/containerd/opt"
T
  containerd --config "$D/containerd/config.toml" </dev/null >"$D/containerd.log" 2>&1 &
  PRIVATE_CONTAINERD_PID=$!
  local i
  for ((i = 0; i < 200; i++)); do [ -S "$D/containerd/containerd.sock" ] && break; sleep 0.1; done
  echo '{}' >"$D/docker/daemon.json"
  dockerd --config-file "$D/docker/daemon.json" --data-root "$D/docker/root" --exec-root "$D/docker/exec" \
    --pidfile "$D/docker/docker.pid" -H "unix://$D/docker.sock" --containerd "$D/containerd/containerd.sock" \
    --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    </dev/null >"$D/dockerd.log" 2>&1 &
  PRIVATE_DOCKERD_PID=$!
  PRIVATE_DOCKERD_SOCK=$D/docker.sock
}
