#!/usr/bin/env bash
# docker run and friends through the docker CLI (28, or Debian's 20.10 with
# argument "20", which runs a smoke subset: run, ps, logs, rm):
#  - run with/without -d, --rm, --name, -e/--env-file, -w, -u, --entrypoint,
#    --hostname, --label, --init; the image's ENTRYPOINT/CMD/ENV/WORKDIR;
#    stdout/stderr kept apart; the exit status of `docker run` (the
#    container's, 125/126/127, 128+N);
#  - ps: -a -q -n -l -s, the filters, --format '{{json .}}' key set;
#  - logs: json-file lines on disk, -f, --tail, --since, --until, -t,
#    stream separation, rotation (max-size/max-file), the none driver;
#  - root filesystem and namespaces: --read-only, --tmpfs, -v, --mount,
#    /etc/hostname|hosts|resolv.conf, read-only /sys and /proc/sys,
#    --shm-size, --network none|host, --pid/--ipc/--uts=host.
# Runs against a private pouchd, or POUCH_TEST_AGAINST=unix://... (dockerd).
source "$(dirname "$0")/containers-lib.sh"

GEN=${1:-28}
ct_client "$GEN"
ct_engine
ct_images busybox
[ "$GEN" = 28 ] && ct_images cfg

# ---------------------------------------------------------------- run basics
run_capture out err rc drun --rm busybox sh -c 'echo out; echo err >&2'
check_eq 0 "$rc" "docker run --rm busybox sh -c 'echo out; echo err >&2': exit status (stderr: $err)"
check_eq out "$out" "foreground run: stdout carries only stdout"
check_eq err "$err" "foreground run: stderr carries only stderr"

# a reader that falls behind slows the container down; it loses nothing
check_eq 20000000 "$(drun --rm busybox sh -c 'head -c 20000000 /dev/zero' | (sleep 3; wc -c))" \
  "20 MB to a client that reads only after 3 s: every byte arrives"

run_capture out err rc drun --name "${CT_PFX}fg" busybox echo hello
check_eq "0 hello" "$rc $out" "docker run --name ${CT_PFX}fg busybox echo hello (stderr: $err)"
check_eq "exited 0" "$(finspect "${CT_PFX}fg" '{{.State.Status}} {{.State.ExitCode}}')" "state of a finished foreground container"
check_eq "/${CT_PFX}fg" "$(finspect "${CT_PFX}fg" '{{.Name}}')" "inspect .Name"

run_capture out err rc drun --rm --name "${CT_PFX}rm" busybox true
check_eq 0 "$rc" "docker run --rm ... true (stderr: $err)"
# --rm removal happens right after the exit; give it a moment.
for _ in $(seq 50); do dq inspect "${CT_PFX}rm" || break; sleep 0.1; done
check_true "--rm container ${CT_PFX}rm is gone after it exits" bash -c "! timeout 10 $DOCKER inspect ${CT_PFX}rm >/dev/null 2>&1"

run_capture out err rc drun -d --name "${CT_PFX}d" busybox sleep 300
check_eq 0 "$rc" "docker run -d (stderr: $err)"
check_match '^[0-9a-f]{64}$' "$out" "docker run -d prints the full container id"
DID=$out
check_eq "running true" "$(finspect "$DID" '{{.State.Status}} {{.State.Running}}')" "state of a detached container"
check_eq "$DID" "$(finspect "${CT_PFX}d" '{{.Id}}')" "inspect by name gives the id"
check_eq "$DID" "$(finspect "${DID:0:12}" '{{.Id}}')" "inspect by short id gives the id"

if [ "$GEN" = 28 ]; then
  printf 'FROMFILE=yes\n# a comment\nSPACED=a b\n' >"$T_DIR/envfile"
  out=$(drun --rm -e A=1 -e "B=two words" --env-file "$T_DIR/envfile" busybox env 2>&1) || true
  check_contains "$out" "A=1" "-e A=1"
  check_contains "$out" "B=two words" "-e 'B=two words'"
  check_contains "$out" "FROMFILE=yes" "--env-file"
  check_contains "$out" "SPACED=a b" "--env-file value with a space"
  check_contains "$out" "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "image ENV PATH"
  check_contains "$out" "HOME=/root" "HOME for root"
  check_match '^HOSTNAME=[0-9a-f]{12}$' "$out" "HOSTNAME is the short id"

  check_eq "/var/log" "$(drun --rm -w /var/log busybox pwd 2>&1)" "-w /var/log"
  check_eq "/new/dir" "$(drun --rm -w /new/dir busybox pwd 2>&1)" "-w creates a missing dir"
  check_eq "uid=1000(app) gid=1000(app) groups=1000(app)" "$(drun --rm -u app busybox id 2>&1)" "-u app"
  check_eq "uid=1000(app) gid=1000(app) groups=1000(app)" "$(drun --rm -u 1000:1000 busybox id 2>&1)" "-u 1000:1000"
  check_eq "uid=4242 gid=4343 groups=4343" "$(drun --rm -u 4242:4343 busybox id 2>&1)" "-u 4242:4343 (no passwd entry)"
  check_eq "/home/app" "$(drun --rm -u app busybox sh -c 'echo $HOME' 2>&1)" "HOME of -u app"
  check_eq "via-stdout" "$(drun --rm -u 1000 busybox sh -c 'echo via-stdout > /dev/stdout' 2>&1)" \
    "-u 1000 may reopen its own stdout (the pipe belongs to its uid)"
  check_eq "/dev/pts/0" "$(drun --rm -t busybox tty 2>&1 | tr -d '\r')" "run -t: the tty is the container's own /dev/pts/0"
  check_match "^crw--w---- +1 app " "$(drun --rm -t -u app busybox sh -c 'ls -l $(tty)' 2>&1)" \
    "run -t -u app: the tty belongs to the process's user"
  run_capture out err rc drun --rm -u nosuchuser busybox id
  check_eq 125 "$rc" "-u nosuchuser: exit status"
  check_contains "$err" "unable to find user nosuchuser" "-u nosuchuser: error"
  # numbers too large for an id are names (none found) or out of range, never root
  run_capture out err rc drun --rm -u 99999999999999999999 busybox id
  check_contains "$rc $err" "125 " "-u 99999999999999999999: refused"
  check_contains "$err" "unable to find user 99999999999999999999" "-u 99999999999999999999: no such user"
  run_capture out err rc drun --rm -u 3000000000 busybox id
  check_contains "$err" "uids and gids must be in range 0-2147483647" "-u 3000000000: out of range"
  run_capture out err rc drun --rm -u 1000:nosuchgroup busybox id
  check_contains "$err" "unable to find group nosuchgroup" "-u 1000:nosuchgroup: no such group"
  check_eq "a b" "$(drun --rm --entrypoint /bin/echo busybox a b 2>&1)" "--entrypoint /bin/echo"
  check_eq "hh" "$(drun --rm --hostname hh busybox hostname 2>&1)" "--hostname hh: hostname"
  check_eq "hh" "$(drun --rm --hostname hh busybox cat /etc/hostname 2>&1)" "--hostname hh: /etc/hostname"
  check_match '127\.0\.0\.1[[:space:]]+localhost' "$(drun --rm busybox cat /etc/hosts 2>&1)" "/etc/hosts has localhost"

  drun -d --name "${CT_PFX}lbl" --label a=1 --label b=two busybox sleep 300 >/dev/null
  check_eq "1 two" "$(finspect "${CT_PFX}lbl" '{{index .Config.Labels "a"}} {{index .Config.Labels "b"}}')" "--label a=1 --label b=two"

  # image config: ENTRYPOINT + CMD + ENV + WORKDIR
  out=$(drun --rm "$CFG_IMG" 2>&1) || true
  check_eq $'ep:c1:c2\nenv:bar\n/tmp\n0' "$out" "image ENTRYPOINT/CMD/ENV/WORKDIR honoured"
  out=$(drun --rm "$CFG_IMG" x y 2>&1 | sed -n 1p) || true
  check_eq "ep:x:y" "$out" "arguments replace the image CMD, not its ENTRYPOINT"
  out=$(drun --rm -e FOO=over -w / "$CFG_IMG" 2>&1 | sed -n 2,3p | tr '\n' ' ') || true
  check_eq "env:over / " "$out" "-e and -w override image ENV and WORKDIR"

  # --init: PID 1 is docker-init, orphans are reaped.
  out=$(drun --rm --init busybox sh -c 'cat /proc/1/comm; sh -c "sleep 0.2 &"; sleep 1; ps -o stat | grep -c Z' 2>&1) || true
  check_eq $'docker-init\n0' "$out" "--init: PID 1 comm, zombies left"
  check_eq "sh" "$(drun --rm busybox sh -c 'cat /proc/1/comm; true' 2>&1)" "without --init PID 1 is the command"
fi

# ------------------------------------------------------- exit status of run
run_capture out err rc drun --rm busybox sh -c 'exit 3'
check_eq 3 "$rc" "docker run ... sh -c 'exit 3': exit status"
run_capture out err rc drun --rm --label rmfail=1 busybox /etc/passwd
check_eq 126 "$rc" "docker run busybox /etc/passwd (not executable): exit status"
check_contains "$err" "permission denied" "docker run busybox /etc/passwd: error"
run_capture out err rc drun --rm --label rmfail=1 busybox nosuchcmd
check_eq 127 "$rc" "docker run busybox nosuchcmd: exit status"
check_contains "$err" "executable file not found" "docker run busybox nosuchcmd: error"
# --rm containers whose start failed are removed too
for _ in $(seq 30); do [ -z "$(D ps -aq --filter "label=$CT_LABEL" --filter status=created --filter ancestor=busybox --filter label=rmfail)" ] && break; sleep 0.1; done
check_eq "" "$(D ps -a --filter "label=$CT_LABEL" --filter label=rmfail --format '{{.Names}} {{.Status}} {{.Command}}')" "--rm containers left after a failed start"
run_capture out err rc drun --rm -m notasize busybox true
check_eq 125 "$rc" "docker run -m notasize (bad flag value): exit status"
run_capture out err rc drun --rm --pull never nosuchimage:pt true
check_eq 125 "$rc" "docker run --pull never nosuchimage:pt: exit status"
check_contains "$err" "No such image" "docker run of a missing image: error"
run_capture out err rc drun --rm --init busybox sh -c 'kill -9 $$'
check_eq 137 "$rc" "docker run --init ... sh -c 'kill -9 \$\$': exit status 128+9"
# PID 1 of a PID namespace cannot be SIGKILLed from inside: dockerd gives 0.
run_capture out err rc drun --rm busybox sh -c 'kill -9 $$; exit 7'
check_eq 7 "$rc" "docker run ... sh -c 'kill -9 \$\$; exit 7' (PID 1 ignores its own SIGKILL)"
run_capture out err rc drun --rm busybox sh -c 'sh -c "kill -TERM \$\$"; exit $?'
check_eq 143 "$rc" "a child killed by SIGTERM: status 128+15 passed through"

# ------------------------------------------------------------------- ps
# Scope every list to this run's label: the engine may be shared.
F=(--filter "label=$CT_LABEL")
for c in c1 c2 c3; do dcreate --name "${CT_PFX}ps-$c" --label "ps=$c" busybox sleep 300 >/dev/null; sleep 1.1; done
D start "${CT_PFX}ps-c2" >/dev/null
drun --name "${CT_PFX}ps-x5" --label ps=x5 busybox sh -c 'exit 5' >/dev/null 2>&1 || true
ids() { D ps "$@" --format '{{.Names}}' | sort | tr '\n' ' '; }
P=$CT_PFX
check_contains "$(ids "${F[@]}")" "${P}ps-c2 " "ps lists the running container"
check_not_contains "$(ids "${F[@]}")" "${P}ps-c1 " "ps without -a omits created ones"
check_contains "$(ids -a "${F[@]}")" "${P}ps-c1 ${P}ps-c2 ${P}ps-c3 ${P}ps-x5" "ps -a lists created and exited"
check_eq "${P}ps-x5" "$(D ps -l "${F[@]}" --format '{{.Names}}')" "ps -l (latest)"
check_eq "${P}ps-x5 ${P}ps-c3 " "$(D ps -n 2 "${F[@]}" --format '{{.Names}}' | tr '\n' ' ')" "ps -n 2 (newest first)"
q=$(D ps -aq "${F[@]}" --filter label=ps=c1) || true
check_match '^[0-9a-f]{12}$' "$q" "ps -q prints short ids"
check_eq "$(finspect "${P}ps-c1" '{{.Id}}' | cut -c1-12)" "$q" "ps -aq --filter label=ps=c1"
check_eq "${P}ps-c1 " "$(ids -a "${F[@]}" --filter "id=$(finspect "${P}ps-c1" '{{.Id}}' | cut -c1-10)")" "ps --filter id=<prefix>"
check_eq "${P}ps-c3 " "$(ids -a "${F[@]}" --filter "name=${P}ps-c3")" "ps --filter name="
check_eq "${P}ps-c1 ${P}ps-c3 " "$(ids -a "${F[@]}" --filter status=created)" "ps --filter status=created"
check_eq "${P}ps-c2 " "$(ids -a "${F[@]}" --filter status=running --filter label=ps)" "ps --filter status=running"
check_eq "${P}ps-x5 " "$(ids -a "${F[@]}" --filter exited=5)" "ps --filter exited=5"
check_eq "" "$(ids -a "${F[@]}" --filter exited=6)" "ps --filter exited=6"
check_eq "${P}ps-c1 ${P}ps-c2 ${P}ps-c3 ${P}ps-x5 " "$(ids -a "${F[@]}" --filter ancestor=busybox --filter label=ps)" "ps --filter ancestor=busybox"
check_eq "${P}ps-c1 " "$(ids -a "${F[@]}" --filter "before=${P}ps-c2" --filter label=ps)" "ps --filter before="
check_eq "${P}ps-c3 ${P}ps-x5 " "$(ids -a "${F[@]}" --filter "since=${P}ps-c2" --filter label=ps)" "ps --filter since="
out=$(D ps -a -s "${F[@]}" --filter label=ps=c2 --format '{{.Size}}') || true
check_match '^[0-9.]+[kMG]?B \(virtual [0-9.]+[kMG]?B\)$' "$out" "ps -s size column"
out=$(D ps -a "${F[@]}" --filter label=ps=x5 --format '{{.Status}}|{{.Command}}|{{.Image}}') || true
check_match '^Exited \(5\) .*ago\|"sh -c '"'"'exit 5'"'"'"\|busybox$' "$out" "ps Status/Command/Image of an exited container"
out=$(D ps "${F[@]}" --filter label=ps=c2 --format '{{.Status}}|{{.State}}') || true
check_match '^Up .*\|running$' "$out" "ps Status/State of a running container"
if [ "$GEN" = 28 ]; then
  out=$(D ps -a "${F[@]}" --filter label=ps=c2 --format '{{json .}}') || true
  diff=$(python3 "$T_SRC/keyset.py" --top --compare "$T_SRC/golden/ps-keys.docker28.txt" <<<"$out") \
    || defect "docker ps --format '{{json .}}' key set differs from dockerd's: ${diff//$'\n'/; }"
  [ -n "$diff" ] || pass "docker ps --format '{{json .}}' has dockerd's key set"
fi

# ------------------------------------------------------------------ logs
drun -d --name "${CT_PFX}lg" busybox sh -c 'echo o1; sleep 0.3; echo e1 >&2; sleep 2; echo o2; sleep 0.3; echo e2 >&2' >/dev/null
D wait "${CT_PFX}lg" >/dev/null
run_capture out err rc D logs "${CT_PFX}lg"
check_eq "0|o1 o2|e1 e2" "$rc|$(tr '\n' ' ' <<<"$out" | sed 's/ $//')|$(tr '\n' ' ' <<<"$err" | sed 's/ $//')" "docker logs: rc|stdout|stderr"
# --tail counts lines of both streams together
check_eq "" "$(D logs --tail 1 "${CT_PFX}lg" 2>/dev/null)" "docker logs --tail 1 (stdout)"
check_eq "e2" "$(D logs --tail 1 "${CT_PFX}lg" 2>&1 >/dev/null)" "docker logs --tail 1 (stderr)"
check_eq "o2" "$(D logs --tail 2 "${CT_PFX}lg" 2>/dev/null)" "docker logs --tail 2 (stdout)"
check_eq "e2" "$(D logs --tail 2 "${CT_PFX}lg" 2>&1 >/dev/null)" "docker logs --tail 2 (stderr)"
tout=$(D logs -t "${CT_PFX}lg" 2>&1) || true
check_match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z o1$' "$tout" "docker logs -t: RFC3339Nano prefix"
# --since/--until: the middle of the 2 s gap, from the -t timestamps.
mid=$(python3 -c '
import sys, datetime
ts = {}
for l in sys.stdin.read().splitlines():
    t, m = l.split(" ", 1)
    ts[m] = datetime.datetime.strptime(t[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc).timestamp()
print("%.3f" % ((ts["e1"] + ts["o2"]) / 2))' <<<"$tout")
check_eq "o2 e2 " "$(D logs --since "$mid" "${CT_PFX}lg" 2>&1 | tr '\n' ' ')" "docker logs --since <mid>"
check_eq "o1 e1 " "$(D logs --until "$mid" "${CT_PFX}lg" 2>&1 | tr '\n' ' ')" "docker logs --until <mid>"
# json-file lines on disk
lp=$(finspect "${CT_PFX}lg" '{{.LogPath}}') || true
check_eq "json-file" "$(finspect "${CT_PFX}lg" '{{.HostConfig.LogConfig.Type}}')" "default log driver"
if [ -f "$lp" ]; then
  out=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    print("%s|%s|%s" % (",".join(sorted(d)), d["stream"], d["log"].rstrip("\n")))' "$lp" 2>&1)
  check_eq $'log,stream,time|stdout|o1\nlog,stream,time|stderr|e1\nlog,stream,time|stdout|o2\nlog,stream,time|stderr|e2' "$out" "json-file lines in $lp"
  check_match '"time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]+Z"' "$(head -n1 "$lp")" "json-file time field"
else
  defect "LogPath '$lp' is not a file"
fi
# logs -f follows until the container exits
drun -d --name "${CT_PFX}lf" busybox sh -c 'for i in 1 2 3 4 5; do echo n$i; sleep 0.3; done' >/dev/null
run_capture out err rc timeout -k 5 20 "$DOCKER" logs -f "${CT_PFX}lf"
check_eq "0|n1 n2 n3 n4 n5 " "$rc|$(tr '\n' ' ' <<<"$out")" "docker logs -f ends with the container, all lines"
# rotation
drun --name "${CT_PFX}rot" --log-opt max-size=1k --log-opt max-file=2 busybox \
  sh -c 'i=0; while [ $i -lt 300 ]; do echo "line $i of the rotation test"; i=$((i+1)); done' >/dev/null 2>&1
lp=$(finspect "${CT_PFX}rot" '{{.LogPath}}') || true
check_true "rotation: $lp.1 exists" test -f "$lp.1"
check_true "rotation: $lp.2 does not (max-file=2)" test ! -e "$lp.2"
sz=$(stat -c %s "$lp" 2>/dev/null || echo 0) || true
check_true "rotation: $lp size $sz <= 1024 + one line" test "$sz" -le 1200
out=$(D logs "${CT_PFX}rot" 2>&1) || true
check_eq "line 299 of the rotation test" "$(tail -n1 <<<"$out")" "rotated logs: last line"
n=$(wc -l <<<"$out") || true
ondisk=$(cat "$lp" "$lp.1" 2>/dev/null | wc -l)
check_true "rotated logs: fewer than 300 lines kept ($n)" test "$n" -lt 300
check_eq "$ondisk" "$n" "docker logs reads both rotated files (lines on disk)"
check_true "rotated logs: more than the current file's lines ($n)" test "$n" -gt "$(wc -l <"$lp" 2>/dev/null || echo 0)"
# --log-driver none
drun --name "${CT_PFX}none" --log-driver none busybox echo hidden >/dev/null 2>&1
run_capture out err rc D logs "${CT_PFX}none"
check_ne 0 "$rc" "docker logs of a --log-driver none container fails"
check_contains "$err" "configured logging driver does not support reading" "docker logs with the none driver: error"

if [ "$GEN" = 20 ]; then
  D rm -f "${CT_PFX}lg" "${CT_PFX}lf" >/dev/null
  check_eq "" "$(ids -a "${F[@]}" --filter "name=${CT_PFX}lg")" "docker rm -f removes it"
  ct_done
  exit 0
fi

# ----------------------------------------------------- rootfs and mounts
run_capture out err rc drun --rm --read-only busybox touch /x
check_ne 0 "$rc" "--read-only: touch /x fails"
check_contains "$err" "Read-only file system" "--read-only: error"
check_eq "ok" "$(drun --rm --read-only --tmpfs /run busybox sh -c 'touch /run/x && echo ok' 2>&1)" "--read-only --tmpfs /run: /run writable"
out=$(drun --rm --tmpfs /run busybox sh -c 'grep " /run " /proc/mounts' 2>&1) || true
check_match '^tmpfs /run tmpfs rw,nosuid,nodev,noexec' "$out" "--tmpfs /run mount options"
HV=$T_DIR/hostvol; mkdir -p "$HV"; echo fromhost >"$HV/f"
check_eq "fromhost" "$(drun --rm -v "$HV:/data" busybox sh -c 'cat /data/f; echo fromctr >/data/g' 2>&1)" "-v host:/data reads"
check_eq "fromctr" "$(cat "$HV/g" 2>&1)" "-v host:/data writes reach the host"
run_capture out err rc drun --rm -v "$HV:/data:ro" busybox touch /data/h
check_ne 0 "$rc" "-v host:/data:ro: writes fail"
check_eq "fromhost" "$(drun --rm --mount "type=bind,source=$HV,target=/m,readonly" busybox cat /m/f 2>&1)" "--mount type=bind"
out=$(drun --rm --mount type=tmpfs,target=/tm,tmpfs-size=1m busybox sh -c 'grep " /tm " /proc/mounts' 2>&1) || true
check_match '^tmpfs /tm tmpfs rw.*size=1024k' "$out" "--mount type=tmpfs,tmpfs-size=1m"
mnt=$(drun --rm busybox cat /proc/mounts 2>&1) || true
for f in /etc/hostname /etc/hosts /etc/resolv.conf; do
  check_match " $f " "$mnt" "$f is a bind mount"
done
check_match '^sysfs /sys sysfs ro,' "$mnt" "/sys is read-only"
check_match '^proc /proc proc rw,' "$mnt" "/proc is read-write"
check_match '^proc /proc/sys proc ro,' "$mnt" "/proc/sys is read-only"
for p in /proc/bus /proc/fs /proc/irq /proc/sysrq-trigger; do
  [ -e "$p" ] || continue            # runc skips read-only paths the kernel lacks
  check_match "^proc $p proc ro," "$mnt" "$p is read-only"
done
check_match '^tmpfs /proc/acpi tmpfs ro' "$mnt" "/proc/acpi masked by a read-only tmpfs"
check_match '^tmpfs /sys/firmware tmpfs ro' "$mnt" "/sys/firmware masked by a read-only tmpfs"
check_match '^shm /dev/shm tmpfs rw,nosuid,nodev,noexec,relatime,size=65536k' "$mnt" "/dev/shm default 64m"
check_match '^mqueue /dev/mqueue mqueue' "$mnt" "/dev/mqueue"
check_match '^devpts /dev/pts devpts' "$mnt" "/dev/pts"
out=$(drun --rm --shm-size 32m busybox sh -c 'grep " /dev/shm " /proc/mounts' 2>&1) || true
check_match 'size=32768k' "$out" "--shm-size 32m"
check_eq "lo" "$(drun --rm --network none busybox ls /sys/class/net 2>&1 | tr '\n' ' ' | sed 's/ $//')" "--network none: only lo"
hostnet=$(awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' /proc/net/dev | sort | tr '\n' ' ')
check_eq "$hostnet" "$(drun --rm --network host busybox cat /proc/net/dev 2>&1 | awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' | sort | tr '\n' ' ')" "--network host: the host's interfaces"
check_eq "$(cat /proc/1/comm)" "$(drun --rm --pid host busybox cat /proc/1/comm 2>&1)" "--pid host: PID 1 is the host's"
check_eq "$(readlink /proc/self/ns/ipc)" "$(drun --rm --ipc host busybox readlink /proc/self/ns/ipc 2>&1)" "--ipc host"
check_ne "$(readlink /proc/self/ns/ipc)" "$(drun --rm busybox readlink /proc/self/ns/ipc 2>&1)" "default ipc namespace is private"
# --uts host must not set the host's hostname (to the container id): keep
# it, compare, and put it back should the engine change it.
HN0=$(cat /proc/sys/kernel/hostname)
CT_EXTRA_CLEANUP='[ "$(cat /proc/sys/kernel/hostname)" = "$HN0" ] || echo "$HN0" >/proc/sys/kernel/hostname'
check_eq "$HN0" "$(drun --rm --uts host busybox hostname 2>&1)" "--uts host"
HN1=$(cat /proc/sys/kernel/hostname)
if [ "$HN1" != "$HN0" ]; then
  defect "docker run --uts host changed the HOST's hostname from '$HN0' to '$HN1' (restored)"
  echo "$HN0" >/proc/sys/kernel/hostname
fi
run_capture out err rc drun --rm --uts host --hostname other busybox hostname
check_eq 125 "$rc" "--uts host --hostname other: exit status"
check_contains "$err" "conflicting options: hostname and the UTS mode" "--uts host --hostname other: error"
check_eq "$HN0" "$(cat /proc/sys/kernel/hostname)" "the host's hostname after --uts host --hostname other"
echo "$HN0" >/proc/sys/kernel/hostname
check_eq "$(readlink /proc/self/ns/net)" "$(drun --rm --network host busybox readlink /proc/self/ns/net 2>&1)" "--network host: the host's net ns"

ct_done
