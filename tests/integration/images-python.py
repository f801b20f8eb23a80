#!/usr/bin/python3
"""images-python.sh's checks: python3-docker against pouchd's image store.
argv: SOCKET WORKDIR (holding busybox.tar, multi.tar, rootfs.tar.gz)."""
import hashlib
import io
import json
import os
import sys
import tarfile

import docker

sock, work = sys.argv[1], sys.argv[2]
failed = []


def check(what, want, got):
    if want == got:
        print("ok   [images-python] %s = %r" % (what, got), file=sys.stderr)
    else:
        print("FAIL [images-python] %s: expected %r, got %r" % (what, want, got), file=sys.stderr)
        failed.append(what)


def config_id(path):
    """sha256 of each config in a docker-save archive, by manifest order."""
    t = tarfile.open(path)
    m = json.loads(t.extractfile("manifest.json").read())
    return ["sha256:" + hashlib.sha256(t.extractfile(e["Config"]).read()).hexdigest() for e in m]


def load(data):
    """images.load(data); when docker-py cannot parse the reply (dockerd
    streams it chunked; a Content-Length body with several JSON lines makes
    requests raise 'Extra data'), record the failure and load through the
    low-level client so the later checks still run."""
    try:
        imgs = c.images.load(data)
        check("images.load() parses the reply", True, True)
        return imgs
    except ValueError as e:  # requests' JSONDecodeError
        if hasattr(data, "seek"):
            data.seek(0)
        res = c.api._post(c.api._url("/images/load"), data=data)
        c.api._raise_for_status(res)
        print("images.load() reply: Transfer-Encoding=%r Content-Length=%r body=%r" % (
            res.headers.get("Transfer-Encoding"), res.headers.get("Content-Length"), res.text[:300]), file=sys.stderr)
        check("images.load() parses the reply (%s)" % e, True, False)
        ids = []
        for line in res.text.splitlines():
            st = json.loads(line).get("stream", "")
            if st.startswith("Loaded image: "):
                ids.append(c.images.get(st[len("Loaded image: "):].strip()).id)
            elif st.startswith("Loaded image ID: "):
                ids.append(st[len("Loaded image ID: "):].strip())
        return [c.images.get(i) for i in dict.fromkeys(ids)]


print("docker-py", docker.__version__, file=sys.stderr)
c = docker.DockerClient(base_url="unix://" + sock, timeout=60)
BB_ID, = config_id(os.path.join(work, "busybox.tar"))
ML_ID, = config_id(os.path.join(work, "multi.tar"))

with open(os.path.join(work, "busybox.tar"), "rb") as f:
    imgs = load(f.read())
check("images.load(busybox) ids", [BB_ID], [i.id for i in imgs])
check("images.load(busybox) tags", [["busybox:latest"]], [i.tags for i in imgs])
with open(os.path.join(work, "multi.tar"), "rb") as f:
    imgs = load(f)
check("images.load(multi, file object) ids", [ML_ID], sorted(set(i.id for i in imgs)))
check("images.load(multi) tags", ["multi:latest", "multi:v2"], sorted(imgs[0].tags))

check("images.list() ids", sorted([BB_ID, ML_ID]), sorted(i.id for i in c.images.list()))
check("images.list(name='multi') ids", [ML_ID], [i.id for i in c.images.list(name="multi")])
check("images.list(filters dangling) ", [], c.images.list(filters={"dangling": True}))
check("images.get('busybox').id", BB_ID, c.images.get("busybox").id)
check("images.get(short id).id", ML_ID, c.images.get(ML_ID[7:19]).id)
img = c.images.get("multi:v2")
check("image.attrs RootFS layers", 3, len(img.attrs["RootFS"]["Layers"]))
check("image.labels", {}, img.labels)
check("image.history() rows", 4, len(img.history()))
try:
    c.images.get("nosuch:1")
    check("images.get(nosuch) raises ImageNotFound", True, False)
except docker.errors.ImageNotFound as e:
    check("images.get(nosuch) raises ImageNotFound", True, True)

b = c.images.get("busybox")
check("image.tag('127.0.0.1:5000/x/y', 'v1')", True, b.tag("127.0.0.1:5000/x/y", "v1"))
b.reload()
check("tags after image.tag", ["127.0.0.1:5000/x/y:v1", "busybox:latest"], sorted(b.tags))

# save in chunks, remove, load the chunks back: the same IDs.
# by ID (docker-py's default): the archive names no tag, as with dockerd
byid = b"".join(c.images.get("multi").save())
m = json.loads(tarfile.open(fileobj=io.BytesIO(byid)).extractfile("manifest.json").read())
check("image.save() by ID: manifest RepoTags", [None], [e.get("RepoTags") for e in m])
multi = c.images.get("multi:latest")
first_tag = multi.tags[0]
chunks = list(multi.save(chunk_size=64 << 10, named=True))
data = b"".join(chunks)
check("image.save() chunk count > 1", True, len(chunks) > 1)
t = tarfile.open(fileobj=io.BytesIO(data))
check("saved archive has manifest.json", True, "manifest.json" in t.getnames())
c.images.remove("multi:latest")
c.images.remove("multi:v2")
check("multi gone after remove()", [], c.images.list(name="multi"))
imgs = load(data)
check("load(saved chunks) ids", [ML_ID], sorted(set(i.id for i in imgs)))
check("load(saved chunks) tags", [first_tag], imgs[0].tags if imgs else None)

# remove: untag vs delete, force
c.images.remove("127.0.0.1:5000/x/y:v1")
check("busybox kept after removing its second tag", BB_ID, c.images.get("busybox").id)
c.api.tag("busybox", "again", "1")
try:
    c.images.remove(BB_ID[7:19])
    check("remove(id with two repos) raises", True, False)
except docker.errors.APIError as e:
    check("remove(id with two repos) status 409", 409, e.status_code)
    check("remove(id with two repos) says must be forced", True, "must be forced" in str(e))
c.images.remove(BB_ID[7:19], force=True)
check("busybox gone after forced remove", [], c.images.list(name="busybox"))

# import from a file, twice under one tag -> the first becomes dangling
with open(os.path.join(work, "rootfs.tar.gz"), "rb") as f:
    raw = f.read()
r1 = c.api.import_image(src=os.path.join(work, "rootfs.tar.gz"), repository="imp", tag="1",
                        changes=["CMD [\"/bin/sh\"]", "ENV A=1"])
id1 = json.loads(r1.strip().splitlines()[-1])["status"] if r1.strip().startswith("{") else r1.strip()
check("import_image(src=file) returns an id", True, id1.startswith("sha256:"))
i1 = c.images.get("imp:1")
check("imported image id", id1, i1.id)
check("imported image Cmd", ["/bin/sh"], i1.attrs["Config"]["Cmd"])
check("imported image Env", ["A=1"], i1.attrs["Config"]["Env"])
r2 = c.api.import_image_from_data(raw, repository="imp", tag="1")
id2 = json.loads(r2.strip().splitlines()[-1])["status"] if r2.strip().startswith("{") else r2.strip()
check("second import id differs", True, id2 != id1 and id2.startswith("sha256:"))
check("dangling after re-import", [id1], [i.id for i in c.images.list(filters={"dangling": True})])

pr = c.images.prune()
check("prune() deletes the dangling image", True, {"Deleted": id1} in (pr.get("ImagesDeleted") or []))
check("prune() SpaceReclaimed is an int", True, isinstance(pr.get("SpaceReclaimed"), int))
check("images after prune()", sorted([ML_ID, id2]), sorted(i.id for i in c.images.list()))
pr = c.images.prune(filters={"dangling": False})
check("prune(dangling=False) removes all unused", [], c.images.list())
check("prune(dangling=False) reclaimed bytes > 0", True, pr.get("SpaceReclaimed", 0) > 0)

if failed:
    print("%d check(s) failed: %s" % (len(failed), ", ".join(failed)), file=sys.stderr)
    sys.exit(1)
