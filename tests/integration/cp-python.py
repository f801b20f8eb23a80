#!/usr/bin/python3
"""cp-python.sh's checks: python3-docker's Container.get_archive,
put_archive, export, diff and commit against an engine. argv: SOCKET RUN_ID
NAME_PREFIX. Containers carry the label pouch.test.run=RUN_ID; the shell
script removes what is left, and this removes the image it commits."""
import io
import json
import sys
import tarfile

import docker

sock, run, pfx = sys.argv[1:4]
LBL = {"pouch.test.run": run}
failed = []


def check(what, want, got):
    if want == got:
        print("ok   [cp-python] %s = %r" % (what, got), file=sys.stderr)
    else:
        print("FAIL [cp-python] %s: expected %r, got %r" % (what, want, got), file=sys.stderr)
        failed.append(what)


cli = docker.DockerClient(base_url="unix://" + sock, timeout=60)
c = cli.containers.run("busybox", ["sh", "-c", "mkdir /d; echo hi > /d/f; rm /bin/ls; sleep 600"], detach=True,
                       labels=LBL, network_mode="none", name=pfx + "py")
for _ in range(100):
    if c.exec_run(["test", "-f", "/d/f"]).exit_code == 0 if hasattr(c, "exec_run") else True:
        break

bits, stat = c.get_archive("/d")
data = b"".join(bits)
with tarfile.open(fileobj=io.BytesIO(data)) as t:
    names = t.getnames()
    body = t.extractfile("d/f").read()
check("get_archive('/d') names", ["d", "d/f"], names)
check("get_archive('/d') content of d/f", b"hi\n", body)
check("get_archive stat name and dir mode", ("d", True), (stat["name"], bool(stat["mode"] & (1 << 31))))

buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as t:
    info = tarfile.TarInfo("put.txt")
    payload = b"from python\n"
    info.size = len(payload)
    info.uid, info.gid = 42, 43
    t.addfile(info, io.BytesIO(payload))
check("put_archive('/d', tar) returns True", True, c.put_archive("/d", buf.getvalue()))
bits, stat = c.get_archive("/d/put.txt")
with tarfile.open(fileobj=io.BytesIO(b"".join(bits))) as t:
    m = t.getmember("put.txt")
    check("put then get: content and owner", (payload, 42, 43), (t.extractfile(m).read(), m.uid, m.gid))
try:
    c.put_archive("/nonexist", buf.getvalue())
    check("put_archive into a missing dir raises NotFound", "NotFound", "no error")
except docker.errors.NotFound as e:
    check("put_archive into a missing dir raises NotFound", "NotFound", "NotFound")

names = set()
with tarfile.open(fileobj=io.BytesIO(b"".join(c.export())), mode="r|") as t:
    for m in t:
        names.add(m.name)
check("export has d/put.txt and bin/busybox, not bin/ls",
      (True, True, False), ("d/put.txt" in names, "bin/busybox" in names, "bin/ls" in names))

diff = sorted((d["Kind"], d["Path"]) for d in (c.diff() or []))
check("diff", [(0, "/bin"), (1, "/d"), (1, "/d/f"), (1, "/d/put.txt"), (2, "/bin/ls")], diff)

repo = "pt-pycommit-" + run
img = c.commit(repository=repo, tag="t", message="py", author="py-author", changes=["ENV PY=1"])
try:
    check("commit: tagged, Comment, Author, ENV",
          ([repo + ":t"], "py", "py-author", True),
          (img.tags, img.attrs["Comment"], img.attrs["Author"], "PY=1" in img.attrs["Config"]["Env"]))
    out = cli.containers.run(repo + ":t", ["cat", "/d/put.txt"], remove=True, network_mode="none", labels=LBL)
    check("run of the committed image sees the put file", payload, out)
finally:
    cli.images.remove(repo + ":t", force=True)
c.remove(force=True)
if failed:
    print("FAIL [cp-python] %d check(s) failed: %s" % (len(failed), ", ".join(failed)), file=sys.stderr)
    sys.exit(1)
