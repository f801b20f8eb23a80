#!/usr/bin/python3
"""containers-python.sh's checks: python3-docker against an engine's
containers. argv: SOCKET RUN_ID NAME_PREFIX. Every container carries the
label pouch.test.run=RUN_ID and network_mode none; the shell script removes
what is left."""
import signal
import sys
import time

import docker

sock, run, pfx = sys.argv[1:4]
LBL = {"pouch.test.run": run}
failed = []


def check(what, want, got):
    if want == got:
        print("ok   [containers-python] %s = %r" % (what, got), file=sys.stderr)
    else:
        print("FAIL [containers-python] %s: expected %r, got %r" % (what, want, got), file=sys.stderr)
        failed.append(what)


def _alarm(signum, frame):
    raise TimeoutError("no answer within %d s" % STEP_SECS)


STEP_SECS = 40
signal.signal(signal.SIGALRM, _alarm)


def guard(what, fn):
    """fn() bounded by STEP_SECS (streamed logs have no socket timeout in
    docker-py); an exception is reported and the checks go on."""
    signal.alarm(STEP_SECS)
    try:
        return fn()
    except Exception as e:  # report and go on
        print("FAIL [containers-python] %s raised %s: %s" % (what, type(e).__name__, e), file=sys.stderr)
        failed.append(what)
        return None
    finally:
        signal.alarm(0)


c = docker.DockerClient(base_url="unix://" + sock, version="1.41", timeout=60)
kw = dict(labels=LBL, network_mode="none")

# foreground run, removed
out = guard("containers.run('busybox', 'echo hi', remove=True)",
            lambda: c.containers.run("busybox", "echo hi", remove=True, **kw))
check("containers.run('busybox', 'echo hi', remove=True)", b"hi\n", out)
out = guard("run with stdout+stderr", lambda: c.containers.run(
    "busybox", ["sh", "-c", "echo out; echo err >&2"], stdout=True, stderr=True, remove=True, **kw))
check("run(stdout=True, stderr=True) output", {b"out", b"err"}, set((out or b"").split()))
out = guard("run stdout only", lambda: c.containers.run(
    "busybox", ["sh", "-c", "echo out; echo err >&2"], stdout=True, stderr=False, remove=True, **kw))
check("run(stderr=False) keeps only stdout", b"out\n", out)
left = c.containers.list(all=True, filters={"label": "pouch.test.run=" + run})
check("remove=True leaves no container", [], [x.name for x in left])

# exit codes
signal.alarm(STEP_SECS)
try:
    c.containers.run("busybox", ["sh", "-c", "echo bad >&2; exit 3"], name=pfx + "err", **kw)
    check("ContainerError for exit 3", "raised", "returned")
except docker.errors.ContainerError as e:
    check("ContainerError.exit_status", 3, e.exit_status)
    check("ContainerError.stderr", b"bad\n", e.stderr)
except Exception as e:
    check("ContainerError for exit 3", "ContainerError", "%s: %s" % (type(e).__name__, e))
signal.alarm(0)
try:
    c.containers.run("nosuchimage-pt:latest", "true", **kw)
    check("ImageNotFound", "raised", "returned")
except docker.errors.ImageNotFound:
    check("run of a missing image raises ImageNotFound", True, True)
except docker.errors.APIError as e:
    # docker-py pulls after the 404 of create: dockerd with no registry
    # answers 500, a pouchd without registry pulls 501; both are errors.
    check("run of a missing image raises an APIError 404/500/501", "404/500/501",
          "404/500/501" if e.status_code in (404, 500, 501) else "%s %s: %s" % (type(e).__name__, e.status_code, e.explanation))
except Exception as e:
    check("run of a missing image raises", "ImageNotFound", type(e).__name__)

# detached
ct = guard("run(detach=True)", lambda: c.containers.run(
    "busybox", ["sh", "-c", "echo started; trap 'echo bye; exit 0' TERM; while :; do sleep 0.1; done"],
    detach=True, name=pfx + "det", **kw))
if ct is not None:
    check("detached Container type", "Container", type(ct).__name__)
    ct.reload()
    check("Container.status", "running", ct.status)
    check("Container.name", pfx + "det", ct.name)
    check("Container.labels", run, ct.labels.get("pouch.test.run"))
    check("Container.image tags", ["busybox:latest"], ct.image.tags)
    for _ in range(50):
        if b"started" in ct.logs():
            break
        time.sleep(0.1)
    check("Container.logs()", b"started\n", ct.logs())
    check("Container.logs(timestamps=True) has a timestamp", True,
          ct.logs(timestamps=True).decode()[:2] == "20")
    got = c.containers.get(pfx + "det")
    check("containers.get(name).id", ct.id, got.id)
    check("containers.get(short id).name", pfx + "det", c.containers.get(ct.id[:12]).name)
    check("containers.list(filters=name) finds it", [ct.id],
          [x.id for x in c.containers.list(filters={"name": pfx + "det"})])
    check("containers.list(filters=status=running, label)", [ct.id],
          [x.id for x in c.containers.list(filters={"status": "running", "label": "pouch.test.run=" + run})])
    ct.stop(timeout=5)
    ct.reload()
    check("status after stop", "exited", ct.status)
    check("logs after stop", b"started\nbye\n", ct.logs())
    w = ct.wait(timeout=30)
    check("wait()['StatusCode'] after stop", 0, w.get("StatusCode"))
    ct.remove()
    try:
        c.containers.get(pfx + "det")
        check("NotFound after remove()", "raised", "returned")
    except docker.errors.NotFound:
        check("containers.get after remove() raises NotFound", True, True)

# wait() returns the code of a running container when it exits
ct = guard("run(detach=True) exiting 5", lambda: c.containers.run(
    "busybox", ["sh", "-c", "sleep 1; exit 5"], detach=True, name=pfx + "w5", **kw))
if ct is not None:
    w = ct.wait(timeout=30)
    check("wait()['StatusCode']", 5, w.get("StatusCode"))
    check("wait() Error", None, (w.get("Error") or None))

# create + start, kill, restart, rename, remove(force)
ct = guard("containers.create", lambda: c.containers.create(
    "busybox", "sleep 300", name=pfx + "cr", environment={"A": "1"}, working_dir="/tmp",
    user="app", hostname="pyhost", **kw))
if ct is not None:
    check("status after create", "created", ct.status)
    ct.start()
    ct.reload()
    check("status after start", "running", ct.status)
    check("attrs Config.Env has A=1", True, "A=1" in ct.attrs["Config"]["Env"])
    check("attrs Config.User/WorkingDir/Hostname", ("app", "/tmp", "pyhost"),
          (ct.attrs["Config"]["User"], ct.attrs["Config"]["WorkingDir"], ct.attrs["Config"]["Hostname"]))
    ct.kill(signal="SIGKILL")
    check("wait after kill", 137, ct.wait(timeout=30).get("StatusCode"))
    ct.restart(timeout=1)
    ct.reload()
    check("status after restart", "running", ct.status)
    ct.rename(pfx + "cr2")
    ct.reload()
    check("name after rename", pfx + "cr2", ct.name)
    ct.remove(force=True)
    check("remove(force=True) of a running one", [],
          [x.name for x in c.containers.list(all=True, filters={"name": pfx + "cr2"})])

# list(all=True, filters=...): start from none of this run's containers
for x in c.containers.list(all=True, filters={"label": "pouch.test.run=" + run}):
    x.remove(force=True)
a = c.containers.create("busybox", "true", name=pfx + "la", **kw)
b = c.containers.run("busybox", "sleep 300", detach=True, name=pfx + "lb", **kw)
names = lambda **f: sorted(x.name for x in c.containers.list(**f))
check("list(all=True, label filter)", [pfx + "la", pfx + "lb"],
      names(all=True, filters={"label": "pouch.test.run=" + run}))
check("list(label filter) without all", [pfx + "lb"], names(filters={"label": "pouch.test.run=" + run}))
check("list(all=True, status=created)", [pfx + "la"],
      names(all=True, filters={"label": "pouch.test.run=" + run, "status": "created"}))
check("list(all=True, ancestor=busybox)", [pfx + "la", pfx + "lb"],
      names(all=True, filters={"label": "pouch.test.run=" + run, "ancestor": "busybox"}))
check("list(all=True, sparse=True) names", [pfx + "la", pfx + "lb"],
      sorted(x.attrs["Names"][0].lstrip("/") for x in
             c.containers.list(all=True, sparse=True, filters={"label": "pouch.test.run=" + run})))
b.remove(force=True)
a.remove()
r = c.containers.prune(filters={"label": "pouch.test.run=" + run})
check("prune() reply keys", ["ContainersDeleted", "SpaceReclaimed"], sorted(r))

if failed:
    print("%d python3-docker check(s) failed: %s" % (len(failed), "; ".join(failed)), file=sys.stderr)
    sys.exit(1)
