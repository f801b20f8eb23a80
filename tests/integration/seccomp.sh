#!/usr/bin/env bash
# seccomp end to end, with the docker CLI 28 (and one check with 20.10):
#  - the default profile: namespaces, mounts, keyrings, kexec, bpf, the
#    clock and clone3 refused, ordinary calls fine, "Seccomp: 2";
#  - it follows the capabilities (--cap-add SYS_ADMIN / SYS_TIME);
#  - seccomp=unconfined and --privileged: no filter;
#  - a custom profile file (the CLI sends its content), errnoRet, unknown
#    syscall names ignored; a bad profile refused, naming the entry;
#  - with no-new-privileges and with a non-root user (two load points).
# A static probe (tests/security/probe, $POUCH_PROBE) makes one system call
# per run inside busybox. POUCH_TEST_AGAINST=unix://... runs it against dockerd.
source "$(dirname "$0")/containers-lib.sh"

PROBE=${POUCH_PROBE:-}
[ -n "$PROBE" ] && [ -x "$PROBE" ] || skip "the static probe is not built (POUCH_PROBE='$PROBE'; target 'probe' in tests/security)"
ct_client 28
ct_engine
ct_images busybox
P=$CT_PFX
PV=(-v "$PROBE:/probe:ro")
# probe [RUN ARGS...] -- SYSCALL [ARGS...]: the probe's one line
probe() {
  local a=() ; while [ "$1" != -- ]; do a+=("$1"); shift; done; shift
  drun --rm "${PV[@]}" "${a[@]}" busybox /probe syscall "$@" 2>&1
}
seccomp_mode() { drun --rm "$@" busybox grep Seccomp: /proc/self/status 2>&1 | awk '{ print $2 }'; }

# ------------------------------------------------------- default profile
check_eq 2 "$(seccomp_mode)" "default: Seccomp mode 2 (filter)"
for sc in unshare mount keyctl add_key kexec_load bpf clock_settime; do
  check_match "^$sc: EPERM" "$(probe -- "$sc")" "default profile refuses $sc"
done
check_match '^clone3: ENOSYS' "$(probe -- clone3)" "default profile: clone3 gives ENOSYS (libcs fall back to clone)"
check_match '^personality: EPERM' "$(probe -- personality 6)" "default profile: personality(PER_BSD) refused"
# calls newer than the profile get ENOSYS (runc's rule), so libcs fall back
check_match '^nr: ENOSYS' "$(probe -- nr 1000)" "default profile: syscall 1000 gives ENOSYS"
if [ "$(uname -m)" = x86_64 ]; then
  check_match '^nr: ENOSYS' "$(probe -- nr 452)" "default profile: fchmodat2 (452, newer than the profile) gives ENOSYS"
  check_match '^nr: EPERM' "$(probe -- nr 246)" "default profile: kexec_load by number (246) gives EPERM"
fi
for sc in getpid read write personality ptrace; do
  check_match "^$sc: ok" "$(probe -- "$sc")" "default profile allows $sc"
done
check_eq "hello" "$(drun --rm busybox sh -c 'mkdir /tmp/d && chmod 700 /tmp/d && echo hello' 2>&1)" "a shell works under the default profile"

# ------------------------------------------------------- capabilities open rules
check_match '^unshare: ok' "$(probe --cap-add SYS_ADMIN -- unshare)" "--cap-add SYS_ADMIN: unshare allowed"
check_match '^mount: ok' "$(probe --cap-add SYS_ADMIN -- mount)" "--cap-add SYS_ADMIN: mount allowed"
check_match '^clone3: E(INVAL|FAULT)' "$(probe --cap-add SYS_ADMIN -- clone3)" "--cap-add SYS_ADMIN: clone3 reaches the kernel"
check_match '^clock_settime: EINVAL' "$(probe --cap-add SYS_TIME -- clock_settime)" "--cap-add SYS_TIME: clock_settime reaches the kernel"

# ------------------------------------------------------- no filter
check_eq 0 "$(seccomp_mode --security-opt seccomp=unconfined)" "seccomp=unconfined: Seccomp mode 0"
# dockerd's runc cannot start --privileged on hosts whose root lacks a
# capability (CAP_SYS_RESOURCE here): only pouch is held to this one
[ "$CT_REF" = 1 ] || check_eq 0 "$(seccomp_mode --privileged)" "--privileged: Seccomp mode 0"
check_match '^clock_settime: EINVAL' "$(probe --security-opt seccomp=unconfined -- clock_settime)" "unconfined: clock_settime reaches the kernel"
check_not_contains "$(probe --security-opt seccomp=unconfined -- keyctl)" "EPERM" "unconfined: keyctl reaches the kernel"
check_match '^clone3: E(INVAL|FAULT)' "$(probe --security-opt seccomp=unconfined -- clone3)" "unconfined: clone3 reaches the kernel"
dq create --label "$CT_LABEL" --network none --name "${P}unc" --security-opt seccomp=unconfined busybox true
check_eq '["seccomp=unconfined"]' "$(finspect "${P}unc" '{{json .HostConfig.SecurityOpt}}')" "inspect: SecurityOpt as given"

# ------------------------------------------------------- the two load points
out=$(drun --rm "${PV[@]}" --security-opt no-new-privileges busybox sh -c 'grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status | tr -s "\t" " "; /probe syscall unshare' 2>&1) || true
check_contains "$out" "NoNewPrivs: 1" "no-new-privileges: no_new_privs set"
check_contains "$out" "Seccomp: 2" "no-new-privileges: filter loaded (just before exec)"
check_contains "$out" "unshare: EPERM" "no-new-privileges: unshare refused"
out=$(drun --rm "${PV[@]}" --user 1000:1000 busybox sh -c 'id -u; grep Seccomp: /proc/self/status | tr -s "\t" " "; /probe syscall keyctl' 2>&1) || true
check_eq $'1000\nSeccomp: 2\nkeyctl: EPERM (Operation not permitted)' "$out" "--user 1000: filter loaded while privileged, then setuid"

# ------------------------------------------------------- docker exec gets the container's filter
dq run -d --label "$CT_LABEL" --network none --name "${P}ex" "${PV[@]}" busybox sleep 300
dq run -d --label "$CT_LABEL" --network none --name "${P}exu" --user 1000 "${PV[@]}" busybox sleep 300
dq run -d --label "$CT_LABEL" --network none --name "${P}exn" --security-opt no-new-privileges "${PV[@]}" busybox sleep 300
dq run -d --label "$CT_LABEL" --network none --name "${P}exc" --security-opt seccomp=unconfined "${PV[@]}" busybox sleep 300
for c in ex exu exn; do
  check_eq 2 "$(D exec "${P}$c" grep Seccomp: /proc/self/status 2>&1 | awk '{ print $2 }')" "docker exec ($c): Seccomp mode 2"
  check_match '^unshare: EPERM' "$(D exec "${P}$c" /probe syscall unshare 2>&1)" "docker exec ($c): unshare refused"
done
check_eq 0 "$(D exec "${P}exc" grep Seccomp: /proc/self/status 2>&1 | awk '{ print $2 }')" "docker exec (unconfined): Seccomp mode 0"
dq rm -f "${P}ex" "${P}exu" "${P}exn" "${P}exc"

# ------------------------------------------------------- custom profiles
cat >"$T_DIR/deny-mkdir.json" <<'EOF'
{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    {"names": ["mkdir", "mkdirat", "no_such_syscall_at_all"], "action": "SCMP_ACT_ERRNO"},
    {"name": "chmod", "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
    {"names": ["fchmodat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}
  ]
}
EOF
CUSTOM=(--security-opt "seccomp=$T_DIR/deny-mkdir.json")
check_match '^mkdir: EPERM' "$(probe "${CUSTOM[@]}" -- mkdir /tmp/x)" "custom profile: mkdir refused (unknown names ignored)"
check_match '^chmod: EACCES' "$(probe "${CUSTOM[@]}" -- chmod /tmp)" "custom profile: \"name\" and errnoRet 13"
check_match '^unshare: EPERM' "$(probe "${CUSTOM[@]}" -- unshare)" "custom profile: unshare reaches the capability check (EPERM, no CAP_SYS_ADMIN)"
check_match '^keyctl: (ok|E[A-Z]+)' "$(probe "${CUSTOM[@]}" -- keyctl)" "custom profile: keyctl not filtered"
run_capture out err rc drun --rm "${CUSTOM[@]}" busybox mkdir /tmp/y
check_ne 0 "$rc" "custom profile: busybox mkdir fails"
check_contains "$err" "Operation not permitted" "custom profile: busybox mkdir says EPERM"
dq create --label "$CT_LABEL" --network none --name "${P}cust" "${CUSTOM[@]}" busybox true
check_match '^\["seccomp=\{' "$(finspect "${P}cust" '{{json .HostConfig.SecurityOpt}}')" "inspect: the CLI sent the profile's content"

# a bad action in syscalls[3]
cat >"$T_DIR/bad.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
  {"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}, {"names": ["getppid"], "action": "SCMP_ACT_ALLOW"},
  {"names": ["gettid"], "action": "SCMP_ACT_ALLOW"}, {"names": ["mkdir"], "action": "SCMP_ACT_BOGUS"}]}
EOF
run_capture out err rc drun --rm --security-opt "seccomp=$T_DIR/bad.json" busybox true
check_eq 125 "$rc" "a bad profile: docker run exits 125"
check_contains "$err" "SCMP_ACT_BOGUS" "a bad profile: the error names the action"
[ "$CT_REF" = 1 ] || check_contains "$err" "syscalls[3]" "a bad profile: the error names the entry"

# malformed options, through the API (the CLI refuses them itself)
body='{"Image":"busybox","Cmd":["true"],"HostConfig":{"NetworkMode":"none","SecurityOpt":["seccomp"]}}'
resp=$(curl -s --max-time 10 --unix-socket "$ENGINE_SOCK" -H 'Content-Type: application/json' -d "$body" -w ' %{http_code}' "http://d/v1.41/containers/create?name=${P}badopt" | tr -d '\n')
check_eq '{"message":"invalid --security-opt 1: \"seccomp\""} 500' "$resp" "SecurityOpt [\"seccomp\"]: dockerd's message and status"
body='{"Image":"busybox","Cmd":["true"],"HostConfig":{"NetworkMode":"none","SecurityOpt":["seccomp:unconfined"]}}'
resp=$(curl -s --max-time 10 --unix-socket "$ENGINE_SOCK" -H 'Content-Type: application/json' -d "$body" -o /dev/null -w '%{http_code}' "http://d/v1.41/containers/create?name=${P}colon")
check_eq 201 "$resp" "SecurityOpt seccomp:unconfined (the old ':' form) accepted"

# ------------------------------------------------------- docker info, CLI 20.10
check_contains "$(D info --format '{{json .SecurityOptions}}' 2>&1)" "name=seccomp,profile=default" "docker info lists the default seccomp profile"
ct_client 20
check_match '^mkdir: EPERM' "$(probe "${CUSTOM[@]}" -- mkdir /tmp/x)" "CLI 20.10: a custom profile file denies mkdir"
check_match '^unshare: EPERM' "$(probe -- unshare)" "CLI 20.10: default profile refuses unshare"

ct_done
