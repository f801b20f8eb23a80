#!/usr/bin/env bash
# pouchd --userns-remap=default, driven with the docker CLI:
#  - start-up: refuses a data root a remapped root cannot walk to (dockerd's
#    message), creates dockremap and its /etc/subuid, /etc/subgid range if
#    missing (removed again at the end only if this test created them);
#  - a remapped container: uid 0 inside, uid_map "0 <start> <len>", its
#    processes run as <start> on the host, / owned by root inside, files it
#    writes land as <start> on the host (rootfs upper dir and bind mounts),
#    exec joins its user namespace;
#  - --userns=host: the host's ids; --privileged, --network host, --pid host
#    refused without it (dockerd 20.10's messages), accepted with it;
#  - image snapshots are never chowned: a non-remapped container on the same
#    daemon still sees root-owned files.
# Needs its own daemon flags, so it does not run against POUCH_TEST_AGAINST.
source "$(dirname "$0")/containers-lib.sh"

[ "$CT_REF" = 0 ] || skip "needs a pouchd started with --userns-remap; the shared reference dockerd runs without it"
[ "$(id -u)" = 0 ] || skip "user namespaces with remapping need root"
[ -e /proc/self/ns/user ] || skip "this kernel has no user namespaces"
[ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 0)" -gt 0 ] || skip "user.max_user_namespaces is 0"
command -v useradd >/dev/null || skip "useradd (passwd package) is missing; --userns-remap=default needs it"

# What exists before us, so clean-up removes only what this test created.
HAD_USER=0; getent passwd dockremap >/dev/null && HAD_USER=1
HAD_GROUP=0; getent group dockremap >/dev/null && HAD_GROUP=1
HAD_SUBUID=0; grep -q '^dockremap:' /etc/subuid 2>/dev/null && HAD_SUBUID=1
HAD_SUBGID=0; grep -q '^dockremap:' /etc/subgid 2>/dev/null && HAD_SUBGID=1
userns_cleanup() {
  [ "$HAD_SUBUID" = 1 ] || sed -i '/^dockremap:/d' /etc/subuid 2>/dev/null
  [ "$HAD_SUBGID" = 1 ] || sed -i '/^dockremap:/d' /etc/subgid 2>/dev/null
  [ "$HAD_USER" = 1 ] || ! getent passwd dockremap >/dev/null || userdel dockremap 2>/dev/null
  [ "$HAD_GROUP" = 1 ] || ! getent group dockremap >/dev/null || groupdel dockremap 2>/dev/null
  true
}
CT_EXTRA_CLEANUP=userns_cleanup

ct_client "${1:-28}"

# ------------------------------------------------ start-up
# mktemp made $T_DIR 0700: the remapped root could not reach the rootfs.
chmod 0700 "$T_DIR"
mkdir -p "$T_DIR/closed" && echo '{}' >"$T_DIR/closed.json"
pouchd_spawn closed --plugin-dir "$POUCH_PLUGIN_DIR" --config-file "$T_DIR/closed.json" --plugins=moby-api \
  --data-root "$T_DIR/closed/root" --exec-root "$T_DIR/closed/exec" -H "unix://$T_DIR/closed.sock" \
  --pidfile "$T_DIR/closed.pid" --userns-remap=default
wait_exit "$SPAWN_PID" 60
check_ne 124 "$WAIT_RC" "pouchd with an unreachable data root exits"
check_contains "$(cat "$T_DIR/closed.log")" "restricts access to the remapped root uid/gid; please fix by allowing 'o+x'" \
  "start-up with a 0700 parent of the data root"
check_true "dockremap was created (or existed)" getent passwd dockremap
check_true "dockremap has a subuid range" grep -q '^dockremap:' /etc/subuid
check_true "dockremap has a subgid range" grep -q '^dockremap:' /etc/subgid
chmod 0711 "$T_DIR"
# a user without subordinate ranges: dockerd 20.10's message
if ! grep -qE '^(nobody|65534):' /etc/subuid /etc/subgid 2>/dev/null && getent group nogroup >/dev/null; then
  pouchd_spawn noranges --plugin-dir "$POUCH_PLUGIN_DIR" --config-file "$T_DIR/closed.json" --plugins=moby-api \
    --data-root "$T_DIR/closed/root" --exec-root "$T_DIR/closed/exec" -H "unix://$T_DIR/closed.sock" \
    --pidfile "$T_DIR/closed.pid" --userns-remap=nobody:nogroup
  wait_exit "$SPAWN_PID" 60
  check_ne 0 "$WAIT_RC" "--userns-remap=nobody:nogroup (no ranges): pouchd exits with an error"
  check_contains "$(cat "$T_DIR/noranges.log")" "Can't create ID mappings: no subuid ranges found for user \\\"nobody\\\"" \
    "--userns-remap=nobody:nogroup: dockerd's message"
fi

# The maps pouchd must use: dockremap's ranges sorted, container ids from 0.
read -r SUB_START SUB_LEN < <(awk -F: '$1 == "dockremap" { print $2, $3 }' /etc/subuid | sort -n | head -n1)
read -r GSUB_START _ < <(awk -F: '$1 == "dockremap" { print $2, $3 }' /etc/subgid | sort -n | head -n1)
log "dockremap: uids from $SUB_START ($SUB_LEN), gids from $GSUB_START"
if [ "$HAD_SUBUID" = 0 ]; then
  check_eq 65536 "$SUB_LEN" "the range pouchd added is 65536 ids"
  check_true "the range pouchd added starts at 100000 or above" test "$SUB_START" -ge 100000
fi

# the daemon under test takes it from its config file (the first one took the flag)
echo '{"userns-remap": "default"}' >"$T_DIR/pouchd.json"
ct_engine
ct_images busybox
P=$CT_PFX

info=$(D info --format '{{json .SecurityOptions}} {{.DockerRootDir}}' 2>&1)
check_contains "$info" '"name=userns"' "docker info SecurityOptions"
check_contains "$info" " $POUCH_ROOT" "docker info DockerRootDir stays the data root"

# ------------------------------------------------ a remapped container
check_eq "0 0" "$(drun --rm busybox sh -c 'echo $(id -u) $(id -g)' 2>&1)" "id -u, id -g inside"
out=$(drun --rm busybox cat /proc/self/uid_map /proc/self/gid_map 2>&1 | awk '{ print $1, $2, $3 }' | head -n2 | tr '\n' '|')
check_eq "0 $SUB_START $SUB_LEN|0 $GSUB_START $SUB_LEN|" "$out" "uid_map|gid_map inside"
check_eq "0 0" "$(drun --rm busybox sh -c 'ls -lnd /bin /etc/passwd /' 2>&1 | awk '{ print $3, $4 }' | sort -u | tr '\n' ' ' | sed 's/ $//')" \
  "/, /bin and /etc/passwd are root's inside"
check_eq "0 0" "$(drun --rm busybox ls -ln /etc/hosts 2>&1 | awk '{ print $3, $4 }')" "/etc/hosts is root's inside"
check_eq "c ok lo" "$(drun --rm busybox sh -c 'ls -l /dev/null | cut -c1; echo x > /dev/null && echo ok; ls /sys/class/net' 2>&1 | tr '\n' ' ' | sed 's/ $//')" \
  "/dev/null (bound from the host: no mknod in a user namespace) and /sys (own network namespace)"
check_eq "1000 1000" "$(drun --rm -u 1000:1000 busybox sh -c 'echo $(id -u) $(id -g)' 2>&1)" "-u 1000:1000 inside a user namespace"
check_eq "ok" "$(drun --rm busybox sh -c 'echo 10.0.0.1 x >> /etc/hosts && echo ok' 2>&1)" "root inside may edit /etc/hosts"

# the rootfs: a file root writes lands as the mapped uid in the upper dir;
# started again, the container prints how it sees the file it made
id=$(drun -d --name "${P}top" busybox sh -c '[ -e /newfile ] && ls -ln /newfile; touch /newfile; mkdir -p /newdir; exec sleep 300' 2>&1)
check_true "docker run -d of a remapped container ($id)" wait_state "${P}top" running 30
pid=$(host_pid "${P}top")
check_eq "$SUB_START" "$(ps -o uid= -p "$pid" | tr -d ' ')" "its init runs as the mapped uid on the host"
wait_until 10 "/newdir in the upper dir" test -e "$POUCH_ROOT/containers/$id/upper/newdir"
check_eq "$SUB_START:$GSUB_START" "$(stat -c %u:%g "$POUCH_ROOT/containers/$id/upper/newfile" 2>&1)" \
  "touch /newfile: owned by the mapped ids on the host"

# exec joins the container's user namespace
run_capture out err rc D exec "${P}top" cat /proc/self/uid_map
if grep -qiE 'not (yet )?supported|not implemented|page not found|cannot run extra processes' <<<"$out$err"; then
  log "SKIP exec checks: docker exec is not supported by this pouchd's runtime yet ($err)"
else
  check_eq "0 $SUB_START $SUB_LEN" "$(awk '{ print $1, $2, $3 }' <<<"$out" | head -n1)" "exec: uid_map (stderr: $err)"
  check_eq "0 0" "$(D exec "${P}top" ls -ln /newfile 2>&1 | awk '{ print $3, $4 }')" "exec: /newfile is root's inside"
  D exec -d "${P}top" sleep 4242 >/dev/null 2>&1
  wait_until 10 "the exec'd sleep 4242" pgrep -f '^sleep 4242'
  check_eq "$SUB_START" "$(ps -o uid= -p "$(pgrep -f '^sleep 4242' | head -n1)" 2>&1 | tr -d ' ')" \
    "exec: the process runs as the mapped uid on the host"
fi

# stop and start again: the idmapped layers come back
dq stop -t 1 "${P}top"
lower_mounts() { grep -c " $T_DIR/exec/containers/$id/lower/" /proc/self/mountinfo; }
no_lower_mounts() { [ "$(lower_mounts)" = 0 ]; }
wait_until 20 "the idmapped layer mounts to go once stopped" no_lower_mounts
check_eq 0 "$(lower_mounts)" "no idmapped layer mount left once stopped"
dq start "${P}top"
check_true "restart of a remapped container" wait_state "${P}top" running 30
wait_until 10 "the restarted container's output" sh -c "'$DOCKER' logs '${P}top' 2>&1 | grep -q newfile"
check_eq "0 0" "$(D logs "${P}top" 2>&1 | awk '/newfile/ { print $3, $4 }')" "/newfile is root's inside (seen after a restart)"
dq rm -f "${P}top"
check_eq 0 "$(grep -c " $T_DIR/exec/" /proc/self/mountinfo)" "no mount left under the exec root once removed"

# --ipc container:X between remapped containers: the same IPC namespace
drun -d --name "${P}ipc" --ipc shareable busybox sleep 300 >/dev/null 2>&1
wait_state "${P}ipc" running 30 || true
check_eq "$(readlink "/proc/$(host_pid "${P}ipc")/ns/ipc")" "$(drun --rm --ipc "container:${P}ipc" busybox readlink /proc/self/ns/ipc 2>&1)" \
  "--ipc container:X joins X's IPC namespace"

# live restore: pouchd restarts under a running remapped container
pouchd_stop
ct_engine
check_eq "running" "$(finspect "${P}ipc" '{{.State.Status}}')" "a remapped container outlives a pouchd restart"
dq rm -f "${P}ipc"
check_eq 0 "$(grep -c " $T_DIR/exec/containers/" /proc/self/mountinfo)" "its mounts are gone once removed after the restart"

# bind mounts are not idmapped (as dockerd): root's writes land as the mapped uid
mkdir -p "$T_DIR/vol" && chmod 1777 "$T_DIR/vol"
drun --rm -v "$T_DIR/vol:/v" busybox sh -c 'echo hi > /v/f' >/dev/null 2>&1
check_eq "$SUB_START:$GSUB_START" "$(stat -c %u:%g "$T_DIR/vol/f" 2>&1)" "a file written to a bind mount is owned by the mapped ids"

# ------------------------------------------------ --userns=host and refusals
check_eq "0 0 4294967295" "$(drun --rm --userns=host busybox cat /proc/self/uid_map 2>&1 | awk '{ print $1, $2, $3 }')" \
  "--userns=host: the host's uid_map"
drun -d --name "${P}host" --userns=host busybox sleep 300 >/dev/null 2>&1
wait_state "${P}host" running 30 || true
check_eq 0 "$(ps -o uid= -p "$(host_pid "${P}host")" | tr -d ' ')" "--userns=host: runs as uid 0 on the host"
dq rm -f "${P}host"
# snapshots untouched: a container without remapping sees root's files
check_eq "0 0" "$(drun --rm --userns=host busybox ls -ln /bin/busybox 2>&1 | awk '{ print $3, $4 }')" \
  "--userns=host: image files are still root's (snapshots never chowned)"

run_capture out err rc drun --rm --privileged busybox true
check_ne 0 "$rc" "--privileged without --userns=host fails"
check_contains "$err" "privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode" "--privileged: dockerd's message"
run_capture out err rc drun --rm --network host busybox true
check_contains "$err" "cannot share the host's network namespace when user namespaces are enabled" "--network host: dockerd's message"
run_capture out err rc drun --rm --pid host busybox true
check_contains "$err" "cannot share the host PID namespace when user namespaces are enabled" "--pid host: dockerd's message"
run_capture out err rc drun --rm --privileged --userns=host busybox true
check_eq 0 "$rc" "--privileged --userns=host works (stderr: $err)"
run_capture out err rc drun --rm --network host --pid host --userns=host busybox true
check_eq 0 "$rc" "--network host --pid host --userns=host works (stderr: $err)"
# --ipc host: the host's mqueue cannot be mounted from the container's user
# namespace; the shim mounts it for the container (runc binds the host's
# /dev/mqueue, which this host may not have)
check_eq "mqueue" "$(drun --rm --ipc host busybox sh -c "awk '\$2 == \"/dev/mqueue\" { print \$3 }' /proc/mounts" 2>&1)" \
  "--ipc host in a user namespace: /dev/mqueue is an mqueue mount"
check_eq "ok" "$(drun --rm -t busybox sh -c 'test -t 0 && echo ok' 2>&1 | tr -d '\r')" "-t: the pty works in a user namespace"

ct_done
