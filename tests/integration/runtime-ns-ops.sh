#!/bin/bash
# runtime-ns ABI 1.1 integration: exec (output, exit codes, stdin, tty, user,
# errors, dying with the container), pause/resume, update, stats and pids,
# through runtime-ns.so (hosted by ctypes) and pouch-shim, without pouchd.
# The checks run in one helper process (runtime-ns-helper.py ops_test): a
# sanitizer build makes every start of a plugin host slow. Cleans up its
# containers, cgroups and dirs (see runtime-ns-lib.sh).
set -euo pipefail

T_NAME=runtime-ns-ops
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/runtime-ns-lib.sh"

# A running container whose init counts in a file, to see it freeze; the
# value is written aside and renamed, so a reader never sees half of it.
B=$(bundle x '["sh","-c","i=0; while :; do i=$((i+1)); echo $i > /tmp/count-'$$'.new; mv /tmp/count-'$$'.new /tmp/count-'$$'; usleep 20000; done"]' \
  "{\"cgpath\":\"/$CGP/x\",\"hostname\":\"exec-host\"}")
assert_contains "$(create x "$B")" '"ok":true' "create x"
assert_eq '{"ok":true}' "$(ctl x '{"op":"start"}')" "start x"
$HP host "$PLUGIN" "$RUN" ops-test x "$CGP" "$ROOTFS/tmp/count-$$" "$RUN/x/control.sock" ||
  fail "ABI 1.1 checks failed (see above)"
assert_eq '{"ok":true}' "$(ctl x '{"op":"delete"}')" "delete x"
sleep 0.3
[ ! -e "$RUN/x" ] || fail "state dir of x still exists"
[ ! -e /sys/fs/cgroup/memory/$CGP/x ] || fail "cgroup of x still exists"
pass "delete removed state dir and cgroup"
log "all checks passed"
