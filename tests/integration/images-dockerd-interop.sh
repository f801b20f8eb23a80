#!/usr/bin/env bash
# Archives cross between pouchd and Debian's dockerd both ways: pouchd's
# `docker save` loads into dockerd with the same image IDs and layers (and a
# container runs from it there when dockerd can run containers here), and
# dockerd's `docker save` loads into pouchd with the same IDs. dockerd runs
# privately (own dirs and socket, no bridge, no iptables, no ip forwarding),
# so the host's network state is untouched; both daemons stop by PID.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../lib/private-dockerd.sh"

command -v dockerd >/dev/null || skip "dockerd is not installed (Debian's docker.io provides it)"
command -v containerd >/dev/null || skip "containerd is not installed (docker.io depends on it)"
DOCKER=$(find_docker28)
[ -n "$DOCKER" ] || DOCKER=$(find_docker20)
[ -n "$DOCKER" ] || skip "no docker CLI (28 or Debian's 20.10)"
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is missing"
[ -x /bin/busybox ] || skip "busybox-static (/bin/busybox) is not installed"
[ "$(id -u)" = 0 ] || skip "dockerd needs root"

# dockerd_private_start DIR: containerd + dockerd on DIR; sets DOCKERD_SOCK.
dockerd_private_start() {
  local D=$1
  private_dockerd_start "$D"
  CONTAINERD_PID=$PRIVATE_CONTAINERD_PID
  DOCKERD_PID=$PRIVATE_DOCKERD_PID
  T_DAEMON_PIDS+=("$CONTAINERD_PID" "$DOCKERD_PID")
  DOCKERD_SOCK=$D/docker.sock
  local i
  for ((i = 0; i < 600; i++)); do
    ping_unix "$DOCKERD_SOCK" && return 0
    alive "$DOCKERD_PID" || fail "dockerd exited before it was ready: $(tail -n 20 "$D/dockerd.log")"
    sleep 0.1
  done
  fail "dockerd did not answer on $DOCKERD_SOCK within 60 s: $(tail -n 20 "$D/dockerd.log")"
}
dockerd_private_stop() {
  # dockerd first (it holds containerd's socket), then containerd.
  [ -n "${DOCKERD_PID:-}" ] && { stop_pid "$DOCKERD_PID" 30; DOCKERD_PID=; }
  [ -n "${CONTAINERD_PID:-}" ] && { stop_pid "$CONTAINERD_PID" 15; CONTAINERD_PID=; }
  # overlay mounts dockerd may leave under its root
  { grep -o " $T_DIR/dockerd/[^ ]*" /proc/mounts 2>/dev/null || true; } | sort -r | while read -r m; do umount "$m" 2>/dev/null || true; done
  return 0
}
trap 'rc=$?; set +e; dockerd_private_stop; (exit $rc); _t_cleanup' EXIT

W=$T_DIR/work; mkdir -p "$W"
MK=(/usr/bin/python3 "$T_SRC/../images/mkimage.py")
"${MK[@]}" busybox -o "$W/busybox.tar" --tag pouchbox:latest
# dockerd 20.10 reads gzip layers, not zstd
"${MK[@]}" multilayer -o "$W/multi.tar" --format docker25 --compress gzip --tag pouchmulti:latest

pouchd_start
dockerd_private_start "$T_DIR/dockerd"
log "dockerd $(dockerd --version) pid $DOCKERD_PID on $DOCKERD_SOCK"
P() { timeout 120 "$DOCKER" -H "unix://$POUCH_SOCK" "$@"; }
R() { timeout 120 "$DOCKER" -H "unix://$DOCKERD_SOCK" "$@"; }

# --- pouchd save -> dockerd load ---------------------------------------------
P load -i "$W/busybox.tar" >/dev/null
P load -i "$W/multi.tar" >/dev/null
run_capture out err rc P save -o "$W/from-pouch.tar" pouchbox pouchmulti
assert_eq 0 "$rc" "pouchd: docker save (stderr: $err)"
run_capture out err rc R load -i "$W/from-pouch.tar"
assert_eq 0 "$rc" "dockerd: docker load of pouchd's archive (stderr: $err)"
assert_eq "Loaded image: pouchbox:latest
Loaded image: pouchmulti:latest" "$(sort <<<"$out")" "dockerd: docker load output"
for img in pouchbox pouchmulti; do
  assert_eq "$(P image inspect --format '{{.Id}} {{json .RootFS.Layers}} {{.Size}}' $img)" \
    "$(R image inspect --format '{{.Id}} {{json .RootFS.Layers}} {{.Size}}' $img)" "$img: Id, RootFS.Layers and Size in dockerd = in pouchd"
  assert_eq "$(P history --human=false --format '{{.Size}} {{.CreatedBy}}' $img)" \
    "$(R history --human=false --format '{{.Size}} {{.CreatedBy}}' $img)" "$img: docker history in dockerd = in pouchd"
done
run_capture out err rc R run --rm --network none pouchmulti cat /etc/motd
if [ "$rc" = 0 ]; then
  assert_eq "layer three overrides" "$out" "dockerd: docker run --rm pouchmulti cat /etc/motd"
  run_capture out err rc R run --rm --network none pouchmulti sh -c 'ls /etc/remove-me 2>&1; ls /var/cache; cat /etc/motd.link'
  assert_eq "ls: /etc/remove-me: No such file or directory
new.txt
layer two" "$out" "dockerd: whiteouts, opaque dir and hardlink of pouchd's archive"
else
  log "dockerd cannot run containers here (rc=$rc: $err); compared Ids and RootFS only"
fi

# --- dockerd save -> pouchd load ---------------------------------------------
"${MK[@]}" busybox -o "$W/d-busybox.tar" --tag dockerbox:latest --label from=dockerd
"${MK[@]}" multilayer -o "$W/d-multi.tar" --tag dockermulti:latest --label from=dockerd
R load -i "$W/d-busybox.tar" >/dev/null
R load -i "$W/d-multi.tar" >/dev/null
R tag dockermulti dockermulti:second
"${MK[@]}" rootfs -o "$W/rootfs.tar.gz"
R import --change 'CMD ["/bin/sh"]' --change 'ENV A=1' - dockerimp:1 <"$W/rootfs.tar.gz" >/dev/null
run_capture out err rc R save -o "$W/from-dockerd.tar" dockerbox dockermulti:latest dockermulti:second dockerimp:1
assert_eq 0 "$rc" "dockerd: docker save (stderr: $err)"
run_capture out err rc P load -i "$W/from-dockerd.tar"
assert_eq 0 "$rc" "pouchd: docker load of dockerd's archive (stderr: $err)"
assert_eq "Loaded image: dockerbox:latest
Loaded image: dockerimp:1
Loaded image: dockermulti:latest
Loaded image: dockermulti:second" "$(sort <<<"$out")" "pouchd: docker load output"
for img in dockerbox dockermulti:latest dockermulti:second dockerimp:1; do
  assert_eq "$(R image inspect --format '{{.Id}} {{json .RootFS.Layers}} {{.Size}} {{json .Config.Cmd}} {{json .Config.Labels}}' $img)" \
    "$(P image inspect --format '{{.Id}} {{json .RootFS.Layers}} {{.Size}} {{json .Config.Cmd}} {{json .Config.Labels}}' $img)" "$img: Id, layers, size, Cmd, Labels in pouchd = in dockerd"
done
# and back again: pouchd re-saves what dockerd wrote, dockerd reads it.
R rmi dockermulti:latest dockermulti:second >/dev/null
P save -o "$W/roundtrip.tar" dockermulti:latest
run_capture out err rc R load -i "$W/roundtrip.tar"
assert_eq "0 Loaded image: dockermulti:latest" "$rc $out" "dockerd: load of pouchd's re-save of dockerd's image (stderr: $err)"
assert_eq "$(P image inspect --format '{{.Id}}' dockermulti)" "$(R image inspect --format '{{.Id}}' dockermulti)" "dockermulti Id after the round trip"

pouchd_stop
dockerd_private_stop
