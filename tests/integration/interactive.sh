#!/usr/bin/env bash
# Interactive containers through a real pty (interactive.py): docker run -it
# (raw outer terminal, window size at start and after SIGWINCH, exit status),
# docker run -i with 5 MB piped, detach keys, docker attach (tty and not),
# docker start -ai, python3-docker attach, stdin left open by a leaving client. ARG: the CLI generation, 28 (every
# case) or 20 (the main run -it case and detach/attach).
# Runs against a private pouchd, or POUCH_TEST_AGAINST=unix://... (dockerd).
source "$(dirname "$0")/containers-lib.sh"

gen=${1:-28}
ct_client "$gen"
ct_engine
ct_images busybox
cases=(run-it tty-edges run-i-pipe detach-attach attach-notty attach-stdin start-ai python)
[ "$gen" = 20 ] && cases=(run-it tty-edges detach-attach start-ai)
# POUCH_TEST_CASES="run-it python": only those (when chasing one failure)
[ -n "${POUCH_TEST_CASES:-}" ] && read -ra cases <<<"$POUCH_TEST_CASES"

rc=0
DOCKER=$DOCKER PT_LABEL=$CT_LABEL PT_PFX=$CT_PFX PT_TIMEOUT=$CT_TO \
  timeout -k 5 400 python3 "$T_SRC/interactive.py" "${cases[@]}" >"$T_DIR/py.out" 2>&1 || rc=$?
cat "$T_DIR/py.out" >&2
while IFS= read -r l; do defect "${l#DEFECT \[interactive\]: }"; done < <(grep '^DEFECT' "$T_DIR/py.out")
[ "$rc" = 0 ] || grep -q '^DEFECT' "$T_DIR/py.out" || defect "interactive.py exited $rc without naming a defect"
ct_done
