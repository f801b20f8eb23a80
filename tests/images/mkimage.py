#!/usr/bin/python3
"""Build test images from Debian's busybox-static, with no network.

Writes `docker save` archives (legacy layout, or the OCI layout that Docker
25+ writes), plain OCI image layouts, and root filesystem tarballs, so the
tests and benchmarks never need a registry or the internet.

  mkimage.py busybox    -o out.tar [--tag busybox:latest] [--format docker|docker25|oci] [--compress none|gzip|zstd]
  mkimage.py multilayer -o out.tar [--tag ...] [--format ...] [--compress ...]
  mkimage.py rootfs     -o out.tar[.gz|.xz]
  mkimage.py big        -o out.tar --size-mb 300 --layers 6 [--tag big:latest]
  mkimage.py many       -o out.tar --count 300     (300 small tagged images in one archive)
"""
import argparse
import gzip
import hashlib
import io
import json
import lzma
import os
import random
import subprocess
import sys
import tarfile

BUSYBOX = "/bin/busybox"
EPOCH = 1700000000


def busybox_bytes():
    with open(BUSYBOX, "rb") as f:
        return f.read()


def applets():
    out = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True).stdout
    return sorted(a for a in out.split() if a and a != "busybox")


class Layer:
    """An uncompressed layer tar built entry by entry, deterministic."""

    def __init__(self):
        self.buf = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buf, mode="w", format=tarfile.PAX_FORMAT)

    def _info(self, name, kind, mode):
        ti = tarfile.TarInfo(name)
        ti.type = kind
        ti.mode = mode
        ti.mtime = EPOCH
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = "root"
        return ti

    def dir(self, name, mode=0o755, xattrs=None):
        ti = self._info(name, tarfile.DIRTYPE, mode)
        if xattrs:
            ti.pax_headers = {"SCHILY.xattr." + k: v for k, v in xattrs.items()}
        self.tar.addfile(ti)

    def file(self, name, data, mode=0o644, xattrs=None):
        if isinstance(data, str):
            data = data.encode()
        ti = self._info(name, tarfile.REGTYPE, mode)
        ti.size = len(data)
        if xattrs:
            ti.pax_headers = {"SCHILY.xattr." + k: v for k, v in xattrs.items()}
        self.tar.addfile(ti, io.BytesIO(data))

    def symlink(self, name, target):
        ti = self._info(name, tarfile.SYMTYPE, 0o777)
        ti.linkname = target
        self.tar.addfile(ti)

    def hardlink(self, name, target):
        ti = self._info(name, tarfile.LNKTYPE, 0o644)
        ti.linkname = target
        self.tar.addfile(ti)

    def whiteout(self, path):
        d, b = os.path.split(path)
        self.file(os.path.join(d, ".wh." + b), b"", 0o644)

    def opaque(self, dirpath):
        self.file(os.path.join(dirpath, ".wh..wh..opq"), b"", 0o644)

    def bytes(self):
        self.tar.close()
        return self.buf.getvalue()


def base_layer():
    l = Layer()
    for d in ["bin", "dev", "etc", "home", "proc", "root", "sys", "tmp", "usr", "usr/bin", "var", "var/log"]:
        l.dir(d, 0o1777 if d == "tmp" else 0o755)
    l.file("bin/busybox", busybox_bytes(), 0o755)
    for a in applets():
        l.symlink("bin/" + a, "busybox")
    l.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
           "app:x:1000:1000:app:/home/app:/bin/sh\n")
    l.file("etc/group", "root:x:0:\nnogroup:x:65534:\napp:x:1000:\n")
    l.file("etc/hostname", "busybox\n")
    l.dir("var/cache")
    l.file("var/cache/old.txt", "replaced by an opaque dir\n")
    l.file("etc/remove-me", "deleted by a whiteout\n")
    return l.bytes()


def second_layer():
    l = Layer()
    l.dir("etc")
    l.whiteout("etc/remove-me")
    l.file("etc/motd", "layer two\n", xattrs={"user.pouch.test": "xattr-value"})
    l.hardlink("etc/motd.link", "etc/motd")
    l.dir("var")
    l.dir("var/cache")
    l.opaque("var/cache")
    l.file("var/cache/new.txt", "only this survives in var/cache\n")
    l.dir("home/app", 0o750)
    l.symlink("home/app/motd", "/etc/motd")
    return l.bytes()


def third_layer():
    l = Layer()
    l.dir("usr")
    l.dir("usr/share")
    l.file("usr/share/data.bin", bytes(range(256)) * 64, 0o600)
    l.dir("etc")
    l.file("etc/motd", "layer three overrides\n")
    return l.bytes()


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def config_for(diff_ids, cmd=("sh",), labels=None, created="2024-01-02T03:04:05Z", comments=None):
    history = [{"created": created, "created_by": "/bin/sh -c #(nop) ADD layer %d" % (i + 1)}
               for i in range(len(diff_ids))]
    history.append({"created": created, "created_by": "/bin/sh -c #(nop)  CMD [\"sh\"]", "empty_layer": True})
    cfg = {
        "architecture": "amd64",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Cmd": list(cmd), "Labels": labels or None, "WorkingDir": ""},
        "created": created,
        "history": history,
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    return json.dumps(cfg, separators=(",", ":")).encode()


def compress(data, how):
    if how == "none":
        return data
    if how == "gzip":
        return gzip.compress(data, compresslevel=1, mtime=0)
    if how == "zstd":
        return subprocess.run(["zstd", "-q", "-c", "-1"], input=data, capture_output=True, check=True).stdout
    raise SystemExit("unknown compression " + how)


def add_bytes(tar, name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mtime = EPOCH
    ti.mode = 0o644
    tar.addfile(ti, io.BytesIO(data))


def add_dir(tar, name):
    ti = tarfile.TarInfo(name)
    ti.type = tarfile.DIRTYPE
    ti.mode = 0o755
    ti.mtime = EPOCH
    tar.addfile(ti)


def write_archive(out, images, fmt, how):
    """images: list of (tags, [layer bytes], config bytes)."""
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        if fmt == "docker":
            manifest, written = [], set()
            for tags, layers, config in images:
                cid = hashlib.sha256(config).hexdigest()
                paths = []
                for layer in layers:
                    h = hashlib.sha256(layer).hexdigest()
                    if h not in written:
                        add_dir(tar, h)
                        add_bytes(tar, h + "/VERSION", b"1.0")
                        add_bytes(tar, h + "/json", json.dumps({"id": h}).encode())
                        add_bytes(tar, h + "/layer.tar", layer)
                        written.add(h)
                    paths.append(h + "/layer.tar")
                add_bytes(tar, cid + ".json", config)
                manifest.append({"Config": cid + ".json", "RepoTags": tags or None, "Layers": paths})
            add_bytes(tar, "manifest.json", json.dumps(manifest).encode())
            return
        # OCI layout, optionally with docker's manifest.json next to it (Docker 25+).
        add_dir(tar, "blobs")
        add_dir(tar, "blobs/sha256")
        written, index, manifest = set(), [], []

        def blob(data):
            d = sha(data)
            if d not in written:
                add_bytes(tar, "blobs/sha256/" + d[7:], data)
                written.add(d)
            return d

        for tags, layers, config in images:
            descs, paths = [], []
            for layer in layers:
                data = compress(layer, how)
                d = blob(data)
                mt = "application/vnd.oci.image.layer.v1.tar" + {"none": "", "gzip": "+gzip", "zstd": "+zstd"}[how]
                descs.append({"mediaType": mt, "digest": d, "size": len(data)})
                paths.append("blobs/sha256/" + d[7:])
            cdig = blob(config)
            m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cdig,
                                       "size": len(config)}, "layers": descs}).encode()
            mdig = blob(m)
            for t in tags or [None]:
                ann = {}
                if t:
                    ann = {"io.containerd.image.name": t if "/" in t else "docker.io/library/" + t,
                           "org.opencontainers.image.ref.name": t.rsplit(":", 1)[-1]}
                index.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": mdig,
                              "size": len(m), "annotations": ann})
            manifest.append({"Config": "blobs/sha256/" + cdig[7:], "RepoTags": tags or None, "Layers": paths})
        add_bytes(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add_bytes(tar, "index.json", json.dumps({"schemaVersion": 2, "manifests": index}).encode())
        if fmt == "docker25":
            add_bytes(tar, "manifest.json", json.dumps(manifest).encode())


def random_layer(rng, size, idx):
    l = Layer()
    l.dir("data%d" % idx)
    chunk = 4 << 20
    n = 0
    while size > 0:
        part = min(chunk, size)
        l.file("data%d/blob%03d.bin" % (idx, n), rng.randbytes(part))
        size -= part
        n += 1
    return l.bytes()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["busybox", "multilayer", "rootfs", "big", "many"])
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--tag", action="append")
    ap.add_argument("--format", default="docker", choices=["docker", "docker25", "oci"])
    ap.add_argument("--compress", default="none", choices=["none", "gzip", "zstd"])
    ap.add_argument("--size-mb", type=int, default=300)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--label", action="append", default=[])
    a = ap.parse_args()
    labels = dict(kv.split("=", 1) for kv in a.label) or None

    if a.kind == "rootfs":
        data = base_layer()
        if a.output.endswith(".gz"):
            data = gzip.compress(data, mtime=0)
        elif a.output.endswith(".xz"):
            data = lzma.compress(data)
        with open(a.output, "wb") as f:
            f.write(data)
        return
    if a.kind == "busybox":
        layers = [base_layer()]
        images = [(a.tag or ["busybox:latest"], layers, config_for([sha(x) for x in layers], labels=labels))]
    elif a.kind == "multilayer":
        layers = [base_layer(), second_layer(), third_layer()]
        images = [(a.tag or ["multi:latest"], layers, config_for([sha(x) for x in layers], labels=labels))]
    elif a.kind == "big":
        rng = random.Random(42)
        per = (a.size_mb << 20) // a.layers
        layers = [base_layer()] + [random_layer(rng, per, i) for i in range(a.layers - 1)]
        images = [(a.tag or ["big:latest"], layers, config_for([sha(x) for x in layers]))]
    else:
        base = base_layer()
        images = []
        for i in range(a.count):
            l = Layer()
            l.file("id", "%d\n" % i)
            top = l.bytes()
            images.append((["many%d:latest" % i], [base, top], config_for([sha(base), sha(top)],
                                                                        labels={"n": str(i)})))
    write_archive(a.output, images, a.format, a.compress)


if __name__ == "__main__":
    main()
