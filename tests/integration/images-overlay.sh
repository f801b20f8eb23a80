#!/usr/bin/env bash
# The snapshots pouchd unpacks for an image, stacked as overlayfs lowers the
# way a container's rootfs is (GraphDriver.Data UpperDir over LowerDir), show
# exactly the tree the image's layer tars describe once the OCI whiteout
# rules are applied: paths, types, modes, owners, sizes, content hashes,
# symlink targets, hardlink counts, the user.pouch.test xattr; whiteouts
# (.wh.*) and the opaque marker gone, with what they hide.
source "$(dirname "$0")/lib.sh"

DOCKER=$(find_docker28)
[ -n "$DOCKER" ] || DOCKER=$(find_docker20)
[ -n "$DOCKER" ] || skip "no docker CLI (28 or Debian's 20.10)"
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is missing"
[ -x /bin/busybox ] || skip "busybox-static (/bin/busybox) is not installed"
[ "$(id -u)" = 0 ] || skip "mounting overlayfs needs root"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || true
grep -qw overlay /proc/filesystems || skip "the kernel has no overlayfs"
d() { timeout 60 "$DOCKER" "$@"; }

W=$T_DIR/work; MNT=$T_DIR/mnt
mkdir -p "$W" "$MNT"
trap 'rc=$?; set +e; mountpoint -q "$MNT" && umount "$MNT"; (exit $rc); _t_cleanup' EXIT

# The image as an uncompressed legacy archive (its layer tars are the
# reference) and as Docker 25 + gzip (what is loaded: the unpacker must
# decompress and still produce the same tree).
/usr/bin/python3 "$T_SRC/../images/mkimage.py" multilayer -o "$W/ref.tar" --tag multi:latest
/usr/bin/python3 "$T_SRC/../images/mkimage.py" multilayer -o "$W/multi.tar" --tag multi:latest --format docker25 --compress gzip

pouchd_start
run_capture out err rc d load -i "$W/multi.tar"
assert_eq "0 Loaded image: multi:latest" "$rc $out" "docker load multilayer (stderr: $err)"
gd=$(d image inspect --format '{{json .GraphDriver.Data}}' multi)
upper=$(json_get 'd["UpperDir"]' <<<"$gd"); lower=$(json_get 'd["LowerDir"]' <<<"$gd")
assert_eq 2 "$(tr ':' '\n' <<<"$lower" | wc -l)" "LowerDir entries for a 3-layer image"
for dir in "$upper" $(tr ':' ' ' <<<"$lower"); do
  [ -d "$dir" ] || fail "snapshot dir $dir (from GraphDriver.Data) does not exist"
done
run_capture out err rc mount -t overlay overlay -o "ro,lowerdir=$upper:$lower" "$MNT"
[ "$rc" = 0 ] || skip "cannot mount overlayfs here: $err"
pass "overlay of the 3 snapshots mounted read-only on $MNT"

# Walk a tree (the mount) or flatten the layer tars (the reference) into
# one line per path.
python3 - "$MNT" >"$W/got.txt" <<'PY'
import hashlib, os, stat, sys
root = sys.argv[1]
def line(rel, st, full):
    m = st.st_mode
    kind = "d" if stat.S_ISDIR(m) else "l" if stat.S_ISLNK(m) else "f" if stat.S_ISREG(m) else "other:%o" % stat.S_IFMT(m)
    extra = ""
    if kind == "f":
        extra = "size=%d sha=%s nlink=%d" % (st.st_size, hashlib.sha256(open(full, "rb").read()).hexdigest()[:16], st.st_nlink)
    elif kind == "l":
        extra = "-> " + os.readlink(full)
    xs = sorted(x for x in os.listxattr(full, follow_symlinks=False) if x.startswith("user."))
    xa = " ".join("%s=%s" % (x, os.getxattr(full, x, follow_symlinks=False).decode()) for x in xs)
    mode = "" if kind == "l" else "%04o" % stat.S_IMODE(m)
    return " ".join(p for p in [rel, kind, mode, "%d:%d" % (st.st_uid, st.st_gid), extra, xa] if p)
out = []
for dp, dns, fns in os.walk(root):
    for n in dns + fns:
        full = os.path.join(dp, n)
        out.append(line(os.path.relpath(full, root), os.lstat(full), full))
print("\n".join(sorted(out)))
PY

python3 - "$W/ref.tar" >"$W/want.txt" <<'PY'
import hashlib, io, json, posixpath, sys, tarfile
outer = tarfile.open(sys.argv[1])
manifest = json.loads(outer.extractfile("manifest.json").read())[0]
tree = {}   # path -> dict(kind, mode, uid, gid, data, target, inode, xattrs)
for li, lp in enumerate(manifest["Layers"]):
    t = tarfile.open(fileobj=io.BytesIO(outer.extractfile(lp).read()))
    members = t.getmembers()
    def drop(p, keep_self=False):
        for k in [k for k in tree if k == p or k.startswith(p + "/")]:
            if keep_self and k == p:
                continue
            del tree[k]
    # whiteouts hide what the lower layers had
    for m in members:
        name = posixpath.normpath(m.name)
        d, b = posixpath.split(name)
        if b == ".wh..wh..opq":
            drop(d, keep_self=True)
        elif b.startswith(".wh."):
            drop(posixpath.join(d, b[4:]))
    for m in members:
        name = posixpath.normpath(m.name)
        b = posixpath.basename(name)
        if b.startswith(".wh."):
            continue
        parts = name.split("/")
        for i in range(1, len(parts)):   # implicit parents
            p = "/".join(parts[:i])
            tree.setdefault(p, {"kind": "d", "mode": 0o755, "uid": 0, "gid": 0, "xattrs": {}})
        x = {k[len("SCHILY.xattr."):]: v for k, v in m.pax_headers.items() if k.startswith("SCHILY.xattr.")}
        if m.isdir():
            drop(name) if name in tree and tree[name]["kind"] != "d" else None
            tree[name] = {"kind": "d", "mode": m.mode, "uid": m.uid, "gid": m.gid, "xattrs": x}
        elif m.issym():
            drop(name)
            tree[name] = {"kind": "l", "target": m.linkname, "uid": m.uid, "gid": m.gid, "xattrs": {}}
        elif m.islnk():
            drop(name)
            src = tree[posixpath.normpath(m.linkname)]
            tree[name] = src   # the same inode
            src["links"] = src.get("links", 1) + 1
        elif m.isreg():
            drop(name)
            tree[name] = {"kind": "f", "mode": m.mode, "uid": m.uid, "gid": m.gid, "xattrs": x,
                          "data": t.extractfile(m).read(), "links": 1}
        else:
            raise SystemExit("unexpected member type in the reference: " + m.name)
out = []
for p, e in tree.items():
    if e["kind"] == "f":
        extra = "size=%d sha=%s nlink=%d" % (len(e["data"]), hashlib.sha256(e["data"]).hexdigest()[:16], e["links"])
    elif e["kind"] == "l":
        extra = "-> " + e["target"]
    else:
        extra = ""
    xa = " ".join("%s=%s" % (k, v) for k, v in sorted(e["xattrs"].items()) if k.startswith("user."))
    mode = "" if e["kind"] == "l" else "%04o" % e["mode"]
    out.append(" ".join(q for q in [p, e["kind"], mode, "%d:%d" % (e["uid"], e["gid"]), extra, xa] if q))
print("\n".join(sorted(out)))
PY

n=$(wc -l <"$W/want.txt")
[ "$n" -gt 200 ] || fail "the reference tree has only $n paths; mkimage.py changed?"
if ! diff -u "$W/want.txt" "$W/got.txt" >"$W/diff.txt"; then
  fail "the overlay of the snapshots differs from the flattened layer tars (- reference, + overlay):
$(grep '^[-+][^-+]' "$W/diff.txt" | head -n 60)"
fi
pass "overlay tree = flattened layer tars ($n paths)"

# What a user checks by hand, spelled out.
assert_file_absent "$MNT/etc/remove-me" "whiteout of etc/remove-me"
assert_eq "new.txt" "$(ls -A "$MNT/var/cache")" "opaque var/cache holds only the upper layer's files"
assert_eq "layer three overrides" "$(cat "$MNT/etc/motd")" "etc/motd from the top layer"
assert_eq "layer two" "$(cat "$MNT/etc/motd.link")" "etc/motd.link keeps layer two's inode"
assert_eq 2 "$(stat -c %h "$MNT/etc/motd.link")" "etc/motd.link hardlink count"
assert_eq "xattr-value" "$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.pouch.test").decode())' "$MNT/etc/motd.link")" "user.pouch.test xattr on etc/motd.link"
assert_eq "/etc/motd" "$(readlink "$MNT/home/app/motd")" "home/app/motd symlink target"
assert_eq "750" "$(stat -c %a "$MNT/home/app")" "home/app mode"
assert_eq "600 16384" "$(stat -c '%a %s' "$MNT/usr/share/data.bin")" "usr/share/data.bin mode and size"
assert_eq "" "$(find "$MNT" -name '.wh.*')" "whiteout files visible in the overlay"

umount "$MNT"
pass "unmounted $MNT"
run_capture out err rc d rmi multi
assert_eq 0 "$rc" "docker rmi multi (stderr: $err)"
pouchd_stop
