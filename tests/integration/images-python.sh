#!/usr/bin/env bash
# Debian's python3-docker drives the image store: images.load, list, get,
# tag, save (chunks) and load again to the same ID, remove, prune, and
# api.import_image from a file (images-python.py holds the checks).
source "$(dirname "$0")/lib.sh"
PY=${POUCH_TEST_PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || skip "$PY is missing (install python3-docker)"
"$PY" -c 'import docker' 2>/dev/null || skip "python3-docker is not installed for $PY"
[ -x /bin/busybox ] || skip "busybox-static (/bin/busybox) is not installed"

W=$T_DIR/work; mkdir -p "$W"
MK=("$PY" "$T_SRC/../images/mkimage.py")
"${MK[@]}" busybox -o "$W/busybox.tar"
"${MK[@]}" multilayer -o "$W/multi.tar" --format docker25 --compress gzip --tag multi:latest --tag multi:v2
"${MK[@]}" rootfs -o "$W/rootfs.tar.gz"

pouchd_start
"$PY" "$T_SRC/images-python.py" "$POUCH_SOCK" "$W" || fail "images-python.py reported failures (above)"
pass "python3-docker image checks"
pouchd_stop
