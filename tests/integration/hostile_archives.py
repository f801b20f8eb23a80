#!/usr/bin/python3
"""Write crafted `docker save` archives that a safe `docker load` must refuse
(or, for setuid files, accept without harm), for images-hostile.sh.

  hostile_archives.py --out DIR --sentinel DIR --victim FILE

Every archive is a legacy docker-save archive (manifest.json, <config>.json,
<id>/layer.tar) unless the case is about another layout. Paths that would be
written if an escape worked all lie inside --sentinel (or are --victim, a file
that must keep its content and link count). Prints one JSON object per line:
{"name", "file", "what", "targets": [paths that must not appear]}.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

EPOCH = 1700000000
UP = "../" * 40  # far more than any data root is deep: lands at /


def ti(name, kind=tarfile.REGTYPE, mode=0o644, size=0, linkname=""):
    t = tarfile.TarInfo(name)
    t.type, t.mode, t.size, t.mtime, t.linkname = kind, mode, size, EPOCH, linkname
    t.uid = t.gid = 0
    return t


class Layer:
    def __init__(self):
        self.buf = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buf, mode="w", format=tarfile.PAX_FORMAT)
        self.dir("etc")
        self.file("etc/hostname", b"hostile\n")

    def dir(self, name, mode=0o755):
        self.tar.addfile(ti(name, tarfile.DIRTYPE, mode))

    def file(self, name, data, mode=0o644):
        self.tar.addfile(ti(name, size=len(data), mode=mode), io.BytesIO(data))

    def symlink(self, name, target):
        self.tar.addfile(ti(name, tarfile.SYMTYPE, 0o777, linkname=target))

    def hardlink(self, name, target):
        self.tar.addfile(ti(name, tarfile.LNKTYPE, linkname=target))

    def device(self, name, kind, major, minor):
        t = ti(name, kind, 0o666)
        t.devmajor, t.devminor = major, minor
        self.tar.addfile(t)

    def bytes(self):
        self.tar.close()
        return self.buf.getvalue()


def raw_member(name, size_claim, body):
    """A pax tar stream, by hand: a pax header claiming size_claim for `name`,
    then a ustar header and only len(body) bytes of data, then end blocks."""
    def header(n, size, typeflag):
        h = bytearray(512)
        def put(off, length, val):
            h[off:off + len(val)] = val[:length]
        put(0, 100, n.encode())
        put(100, 8, b"0000644\0")
        put(108, 8, b"0000000\0")
        put(116, 8, b"0000000\0")
        put(124, 12, b"%011o\0" % min(size, 0o77777777777))
        put(136, 12, b"%011o\0" % EPOCH)
        h[148:156] = b"        "
        h[156] = ord(typeflag)
        put(257, 6, b"ustar\0")
        put(263, 2, b"00")
        chk = sum(h)
        put(148, 8, b"%06o\0 " % chk)
        return bytes(h)

    def pad(b):
        return b + b"\0" * (-len(b) % 512)

    rec = "size=%d\n" % size_claim
    # pax record: "<len> key=value\n" where len counts itself
    n = len(rec) + 3
    while len("%d %s" % (n, rec)) != n:
        n += 1
    pax = ("%d %s" % (n, rec)).encode()
    out = header("PaxHeaders/" + name, len(pax), "x") + pad(pax)
    out += header(name, 0, "0") + pad(body)
    return out + b"\0" * 1024


def sha(b):
    return hashlib.sha256(b).hexdigest()


def config(diff_ids):
    return json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
                       "config": {"Cmd": ["sh"]},
                       "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d for d in diff_ids]}},
                      separators=(",", ":")).encode()


def add(tar, name, data):
    tar.addfile(ti(name, size=len(data)), io.BytesIO(data))


def legacy(path, tag, layers, diff_ids=None, manifest_layers=None, extra=None, skip_layers=()):
    """layers: list of (stored bytes); diff_ids default to sha256 of them."""
    diff_ids = diff_ids or [sha(l) for l in layers]
    cfg = config(diff_ids)
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        paths = []
        for i, l in enumerate(layers):
            d = "%064x" % (i + 1) if diff_ids[i] != sha(l) else sha(l)
            paths.append(d + "/layer.tar")
            if i in skip_layers:
                continue
            tar.addfile(ti(d, tarfile.DIRTYPE, 0o755))
            add(tar, d + "/VERSION", b"1.0")
            add(tar, d + "/layer.tar", l)
        add(tar, sha(cfg) + ".json", cfg)
        man = [{"Config": sha(cfg) + ".json", "RepoTags": [tag], "Layers": manifest_layers or paths}]
        add(tar, "manifest.json", json.dumps(man).encode())
        for name, data in (extra or []):
            add(tar, name, data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--sentinel", required=True)
    ap.add_argument("--victim", required=True)
    a = ap.parse_args()
    S, V = os.path.abspath(a.sentinel), os.path.abspath(a.victim)
    os.makedirs(a.out, exist_ok=True)
    cases = []

    def case(name, what, targets, build):
        f = os.path.join(a.out, name + ".tar")
        build(f, "hostile-" + name + ":latest")
        cases.append({"name": name, "file": f, "what": what, "targets": targets})

    def one_layer(mutate):
        def build(f, tag):
            l = Layer()
            mutate(l)
            legacy(f, tag, [l.bytes()])
        return build

    case("dotdot", "layer entry ../../..<sentinel>/dotdot", [S + "/dotdot"],
         one_layer(lambda l: l.file(UP + S[1:] + "/dotdot", b"escaped\n")))
    case("dotdot-mid", "layer entry etc/../../..<sentinel>/dotdot-mid", [S + "/dotdot-mid"],
         one_layer(lambda l: l.file("etc/" + UP + S[1:] + "/dotdot-mid", b"escaped\n")))
    case("absolute", "layer entry with an absolute path <sentinel>/absolute", [S + "/absolute"],
         one_layer(lambda l: l.file(S + "/absolute", b"escaped\n")))
    case("symlink-abs", "symlink evil -> <sentinel>, then a file evil/through-abs", [S + "/through-abs"],
         one_layer(lambda l: (l.symlink("evil", S), l.file("evil/through-abs", b"escaped\n"))))
    case("symlink-rel", "symlink evil -> ../../..<sentinel>, then a file evil/through-rel", [S + "/through-rel"],
         one_layer(lambda l: (l.symlink("evil", UP + S[1:]), l.file("evil/through-rel", b"escaped\n"))))
    case("symlink-dir-chain", "dir a, symlink a/b -> ../.., then a/b/../..<sentinel>/chain", [S + "/chain"],
         one_layer(lambda l: (l.dir("a"), l.symlink("a/b", "../.."),
                              l.file("a/b/" + UP + S[1:] + "/chain", b"escaped\n"))))
    case("hardlink-abs", "hardlink hl -> <victim> (absolute)", [],
         one_layer(lambda l: l.hardlink("hl", V)))
    case("hardlink-rel", "hardlink hl -> ../../..<victim>", [],
         one_layer(lambda l: l.hardlink("hl", UP + V[1:])))
    case("hardlink-via-symlink", "symlink s -> <sentinel dir of victim>, hardlink hl -> s/<victim name>", [],
         one_layer(lambda l: (l.symlink("s", os.path.dirname(V)), l.hardlink("hl", "s/" + os.path.basename(V)))))
    case("chardev", "character device dev/mem-copy (1,1)", [],
         one_layer(lambda l: (l.dir("dev"), l.device("dev/mem-copy", tarfile.CHRTYPE, 1, 1))))
    case("blockdev", "block device dev/sda-copy (8,0)", [],
         one_layer(lambda l: (l.dir("dev"), l.device("dev/sda-copy", tarfile.BLKTYPE, 8, 0))))

    def missing(f, tag):
        l = Layer().bytes()
        legacy(f, tag, [l], skip_layers=(0,))
    case("missing-layer", "manifest.json names a layer file the archive lacks", [], missing)

    def mismatch(f, tag):
        l = Layer().bytes()
        legacy(f, tag, [l], diff_ids=["%064x" % 7])
    case("digest-mismatch", "layer's sha256 differs from the config's diff_id", [], mismatch)

    def trunc_gzip(f, tag):
        l = Layer()
        l.file("etc/data", os.urandom(64 << 10))
        plain = l.bytes()
        gz = gzip.compress(plain, mtime=0)
        legacy(f, tag, [gz[: len(gz) // 2]], diff_ids=[sha(plain)])
    case("truncated-gzip", "gzip layer cut in half (diff_id of the whole layer)", [], trunc_gzip)

    def bad_zstd(f, tag):
        l = Layer()
        l.file("etc/data", os.urandom(64 << 10))
        plain = l.bytes()
        z = bytearray(subprocess.run(["zstd", "-q", "-c"], input=plain, capture_output=True, check=True).stdout)
        for i in range(64, len(z) - 64, 97):
            z[i] ^= 0x5A
        legacy(f, tag, [bytes(z)], diff_ids=[sha(plain)])
    case("corrupt-zstd", "zstd layer with bytes flipped throughout", [], bad_zstd)

    def truncated_outer(f, tag):
        l = Layer()
        l.file("etc/data", os.urandom(256 << 10))
        legacy(f + ".full", tag, [l.bytes()])
        data = open(f + ".full", "rb").read()
        os.unlink(f + ".full")
        # cut inside the layer's data: its header claims far more than follows
        open(f, "wb").write(data[: len(data) // 3])
    case("truncated-outer", "outer archive cut inside a member (header claims more than follows)", [], truncated_outer)

    def dup_manifest(f, tag):
        l = Layer().bytes()
        other = json.dumps([{"Config": "nonexistent.json", "RepoTags": ["hostile-dup2:latest"],
                             "Layers": ["nonexistent/layer.tar"]}]).encode()
        legacy(f, tag, [l], extra=[("manifest.json", other)])
    case("duplicate-manifest", "two different manifest.json members", [], dup_manifest)

    def dup_layer(f, tag):
        l1 = Layer()
        l1.file("etc/data", b"first\n")
        l2 = Layer()
        l2.file("etc/data", b"second\n")
        b1, b2 = l1.bytes(), l2.bytes()
        # the config names b1's digest; the second layer.tar under the same
        # name carries b2: whichever the loader reads, it must verify it.
        legacy(f, tag, [b1], extra=[(sha(b1) + "/layer.tar", b2)])
    case("duplicate-layer", "the layer.tar member twice, second with other content", [], dup_layer)

    def sparse_claim(f, tag):
        body = b"x" * 512
        layer = raw_member("etc/huge", 10 << 30, body)
        legacy(f, tag, [layer])
    case("pax-10g", "pax header size=10 GiB with a 512-byte body", [], sparse_claim)

    def outer_10g(f, tag):
        open(f, "wb").write(raw_member("manifest.json", 10 << 30, b"[" * 512))
    case("outer-pax-10g", "outer archive: manifest.json claims 10 GiB via pax size", [], outer_10g)

    def setuid(f, tag):
        l = Layer()
        l.dir("bin")
        l.file("bin/suid", b"#!/bin/sh\n", 0o4755)
        l.file("bin/sgid", b"#!/bin/sh\n", 0o2755)
        legacy(f, tag, [l.bytes()])
    case("setuid", "setuid and setgid regular files", [], setuid)

    for c in cases:
        print(json.dumps(c))


if __name__ == "__main__":
    sys.exit(main())
