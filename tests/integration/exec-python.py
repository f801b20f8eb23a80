#!/usr/bin/python3
"""exec-python.sh's checks: python3-docker's Container.exec_run (plain,
exit codes, user/workdir/environment, stream, demux, detach), pause/unpause,
update, stats(stream=False) and top against an engine. argv: SOCKET RUN_ID
NAME_PREFIX. Containers carry the label pouch.test.run=RUN_ID and network
mode none; the shell script removes what is left."""
import signal
import sys
import time

import docker

sock, run, pfx = sys.argv[1:4]
LBL = {"pouch.test.run": run}
failed = []
STEP_SECS = 40


def check(what, want, got):
    if want == got:
        print("ok   [exec-python] %s = %r" % (what, got), file=sys.stderr)
    else:
        print("FAIL [exec-python] %s: expected %r, got %r" % (what, want, got), file=sys.stderr)
        failed.append(what)


def _alarm(signum, frame):
    raise TimeoutError("no answer within %d s" % STEP_SECS)


signal.signal(signal.SIGALRM, _alarm)


def guard(what, fn):
    """fn() bounded by STEP_SECS; an exception is a failure and the checks go on."""
    signal.alarm(STEP_SECS)
    try:
        return fn()
    except Exception as e:
        print("FAIL [exec-python] %s raised %s: %s" % (what, type(e).__name__, e), file=sys.stderr)
        failed.append(what)
        return None
    finally:
        signal.alarm(0)


cli = docker.DockerClient(base_url="unix://" + sock, version="1.41", timeout=60)
c = cli.containers.run("busybox", ["sleep", "600"], detach=True, name=pfx + "py", labels=LBL,
                       network_mode="none", environment={"CENV": "c"})

r = guard("exec_run echo", lambda: c.exec_run(["sh", "-c", "echo hi; echo err >&2"]))
if r:
    check("exec_run: exit code and combined output", (0, b"hi\nerr\n"), (r.exit_code, r.output))
r = guard("exec_run exit 3", lambda: c.exec_run(["sh", "-c", "exit 3"]))
if r:
    check("exec_run: exit code 3", 3, r.exit_code)
r = guard("exec_run user/workdir/env",
          lambda: c.exec_run(["sh", "-c", "echo $(id -u) $(pwd) $A $CENV"], user="nobody", workdir="/tmp",
                             environment={"A": "b"}))
if r:
    check("exec_run user=nobody workdir=/tmp environment", (0, b"65534 /tmp b c\n"), (r.exit_code, r.output))
r = guard("exec_run demux", lambda: c.exec_run(["sh", "-c", "echo out; echo err >&2"], demux=True))
if r:
    check("exec_run demux=True: stdout and stderr apart", (b"out\n", b"err\n"), r.output)
r = guard("exec_run stream", lambda: c.exec_run(["sh", "-c", "echo a; sleep 0.2; echo b"], stream=True))
if r:
    chunks = guard("exec_run stream: read", lambda: b"".join(r.output))
    check("exec_run stream=True: the chunks", b"a\nb\n", chunks)
r = guard("exec_run detach", lambda: c.exec_run(["sh", "-c", "sleep 0.3; echo d > /tmp/py-detached"], detach=True))
if r:
    check("exec_run detach=True: no exit code, no output", (None, ""), (r.exit_code, r.output))
    time.sleep(1.5)
    r = guard("exec_run cat", lambda: c.exec_run(["cat", "/tmp/py-detached"]))
    check("the detached exec ran", b"d\n", r.output if r else None)
r = guard("exec_run tty", lambda: c.exec_run(["sh", "-c", "[ -t 1 ] && echo tty"], tty=True))
if r:
    check("exec_run tty=True: stdout is a terminal", (0, b"tty\r\n"), (r.exit_code, r.output))

def pause_cycle():
    c.pause()
    c.reload()
    st = c.status
    c.unpause()
    c.reload()
    return st, c.status
check("pause/unpause: status", ("paused", "running"), guard("pause/unpause", pause_cycle))

def update():
    c.update(mem_limit="64m", memswap_limit="128m", cpu_shares=512)
    c.reload()
    hc = c.attrs["HostConfig"]
    return hc["Memory"], hc["MemorySwap"], hc["CpuShares"]
check("update: stored limits", (64 << 20, 128 << 20, 512), guard("update", update))

st = guard("stats", lambda: c.stats(stream=False))
if st:
    check("stats(stream=False): name and the memory limit", ("/" + pfx + "py", 64 << 20),
          (st.get("name"), st.get("memory_stats", {}).get("limit")))
    check("stats(stream=False): precpu filled", True, st["precpu_stats"].get("system_cpu_usage", 0) > 0)
top = guard("top", lambda: c.top())
if top:
    check("top: a PID title and the sleep", (True, True),
          ("PID" in top["Titles"], any("sleep 600" in " ".join(p) for p in top["Processes"])))
top = guard("top ps_args", lambda: c.top(ps_args="-o pid,comm"))
if top:
    check("top(ps_args='-o pid,comm'): titles", ["PID", "COMMAND"], top["Titles"])
guard("remove", lambda: c.remove(force=True))
sys.exit(1 if failed else 0)
