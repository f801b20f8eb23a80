#!/usr/bin/env bash
# python3-docker drives exec and the running-container operations:
# exec_run (stream, demux, detach, tty, user/workdir/env), pause/unpause,
# update, stats(stream=False), top (exec-python.py holds the checks).
# Runs against a private pouchd, or POUCH_TEST_AGAINST=unix://... (dockerd).
source "$(dirname "$0")/containers-lib.sh"
PY=${POUCH_TEST_PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || skip "$PY is missing (install python3-docker)"
"$PY" -c 'import docker' 2>/dev/null || skip "python3-docker is not installed for $PY"

ct_client 28        # for loading the image and for clean-up
ct_engine
ct_images busybox
timeout -k 5 600 "$PY" "$T_SRC/exec-python.py" "$ENGINE_SOCK" "$CT_RUN" "$CT_PFX" || fail "exec-python.py reported failures (above)"
pass "python3-docker exec and operations checks"
ct_done
