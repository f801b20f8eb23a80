#!/usr/bin/env bash
# Debian's python3-docker drives docker cp, export, diff and commit:
# Container.get_archive/put_archive/export/diff/commit (cp-python.py holds
# the checks). Runs against a private pouchd, or POUCH_TEST_AGAINST=unix://...
source "$(dirname "$0")/containers-lib.sh"
PY=${POUCH_TEST_PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || skip "$PY is missing (install python3-docker)"
"$PY" -c 'import docker' 2>/dev/null || skip "python3-docker is not installed for $PY"

ct_client 28        # for loading the image and for clean-up
ct_engine
ct_images busybox
timeout -k 5 300 "$PY" "$T_SRC/cp-python.py" "$ENGINE_SOCK" "$CT_RUN" "$CT_PFX" || fail "cp-python.py reported failures (above)"
pass "python3-docker cp/export/diff/commit checks"
ct_done
