#!/usr/bin/env bash
# Debian's python3-docker (docker-py, with Debian's /usr/bin/python3) drives
# pouchd: ping, version, info, events history and a live event.
source "$(dirname "$0")/lib.sh"
PY=${POUCH_TEST_PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || skip "$PY is missing (install python3-docker)"
"$PY" -c 'import docker' 2>/dev/null || skip "python3-docker is not installed for $PY"

pouchd_start
sleep 1
"$PY" - "$POUCH_SOCK" "$POUCH_ROOT" "$T_START_SECS" "$POUCHD_PID" <<'PYEOF'
import os, signal, sys, threading, time
import docker

sock, root, t0, pid = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
failed = []

def check(what, want, got):
    if want == got:
        print("ok   [python-docker] %s = %r" % (what, got), file=sys.stderr)
    else:
        print("FAIL [python-docker] %s: expected %r, got %r" % (what, want, got), file=sys.stderr)
        failed.append(what)

print("docker-py", docker.__version__, file=sys.stderr)
c = docker.DockerClient(base_url="unix://" + sock, timeout=20)
check("ping()", True, c.ping())
v = c.version()
check("version()['ApiVersion']", "1.41", v.get("ApiVersion"))
check("version()['MinAPIVersion']", "1.24", v.get("MinAPIVersion"))
check("version()['Os']", "linux", v.get("Os"))
check("version() has Components", True, isinstance(v.get("Components"), list) and len(v["Components"]) > 0)
i = c.info()
check("info()['DockerRootDir']", root, i.get("DockerRootDir"))
check("info()['OSType']", "linux", i.get("OSType"))
check("info()['ServerVersion'] is a string", True, isinstance(i.get("ServerVersion"), str) and i["ServerVersion"] != "")

# API version negotiation, as docker.from_env(version='auto') does it.
a = docker.APIClient(base_url="unix://" + sock, version="auto", timeout=20)
check("APIClient(version='auto').api_version", "1.41", a.api_version)

now = time.time()
evs = list(c.events(since=0, until=int(now) + 1, decode=True))
enabled = [e.get("Actor", {}).get("ID") for e in evs if e.get("Type") == "plugin" and e.get("Action") == "enable"]
check("events(since=0, until=now) has the moby-api enable event", True, "moby-api" in enabled)
evs = list(c.events(since=0, until=int(now) + 1, filters={"type": "daemon"}, decode=True))
check("events(filters={'type': 'daemon'}) before any reload", [], evs)

# A live generator receives the reload that SIGHUP causes.
got = []
stream = c.events(since=t0, decode=True)
def reader():
    for e in stream:
        got.append(e)
        if e.get("Action") == "reload":
            return
th = threading.Thread(target=reader, daemon=True)
th.start()
deadline = time.time() + 10
while not any(e.get("Action") == "enable" for e in got) and time.time() < deadline:
    time.sleep(0.05)
check("live events() replayed the enable event", True, any(e.get("Action") == "enable" for e in got))
os.kill(pid, signal.SIGHUP)
th.join(10)
check("live events() got the daemon reload event", True, any(e.get("Type") == "daemon" and e.get("Action") == "reload" for e in got))
stream.close()
c.close()
sys.exit(1 if failed else 0)
PYEOF
pass "python3-docker checks"
pouchd_stop
