"""Drives pouch-shim and runtime-ns.so without the engine, for runtime-ns.sh:
writes OCI configs like the engine's, spawns the shim, talks its control and
attach sockets, and hosts the plugin through ctypes. Never touches real state."""
import json, os, socket, struct, subprocess, sys, time

DEFAULT_CAPS = ["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW",
  "CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT",
  "CAP_KILL","CAP_AUDIT_WRITE"]

def config(rootfs, args, hostname="ctr", env=None, cwd="/", uid=0, gid=0, cgpath=None, memory=None,
           terminal=False, extra_mounts=(), rlimits=None, oom=None, pids=None):
    caps = DEFAULT_CAPS
    c = {"ociVersion":"1.0.2",
      "process":{"terminal":terminal,"user":{"uid":uid,"gid":gid,"additionalGids":[10]},"args":args,
        "env":env or ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","HOME=/root"],
        "cwd":cwd,"capabilities":{"bounding":caps,"effective":caps,"permitted":caps,"inheritable":[],"ambient":[]},
        "noNewPrivileges":True},
      "root":{"path":rootfs,"readonly":False},
      "hostname":hostname,
      "mounts":[
        {"destination":"/proc","type":"proc","source":"proc","options":["nosuid","noexec","nodev"]},
        {"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","strictatime","mode=755","size=65536k"]},
        {"destination":"/dev/pts","type":"devpts","source":"devpts","options":["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620","gid=5"]},
        {"destination":"/sys","type":"sysfs","source":"sysfs","options":["nosuid","noexec","nodev","ro"]},
        {"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["ro","nosuid","noexec","nodev"]},
        {"destination":"/dev/mqueue","type":"mqueue","source":"mqueue","options":["nosuid","noexec","nodev"]},
        {"destination":"/dev/shm","type":"tmpfs","source":"shm","options":["nosuid","noexec","nodev","mode=1777","size=67108864"]},
      ] + list(extra_mounts),
      "linux":{"namespaces":[{"type":t} for t in ("pid","mount","uts","ipc","network","cgroup")],
        "cgroupsPath": cgpath,
        "resources":{"devices":[{"allow":False,"access":"rwm"},
            {"allow":True,"type":"c","major":1,"minor":3,"access":"rwm"},
            {"allow":True,"type":"c","major":1,"minor":5,"access":"rwm"},
            {"allow":True,"type":"c","major":1,"minor":8,"access":"rwm"},
            {"allow":True,"type":"c","major":1,"minor":9,"access":"rwm"},
            {"allow":True,"type":"c","major":5,"minor":0,"access":"rwm"},
            {"allow":True,"type":"c","major":5,"minor":1,"access":"rwm"},
            {"allow":True,"type":"c","major":5,"minor":2,"access":"rwm"},
            {"allow":True,"type":"c","major":136,"access":"rwm"}]},
        "maskedPaths":["/proc/asound","/proc/acpi","/proc/kcore","/proc/keys","/proc/latency_stats","/proc/timer_list",
           "/proc/timer_stats","/proc/sched_debug","/proc/scsi","/sys/firmware"],
        "readonlyPaths":["/proc/bus","/proc/fs","/proc/irq","/proc/sys","/proc/sysrq-trigger"],
        "sysctl":{"net.ipv4.ip_unprivileged_port_start":"0"}}}
    if cgpath is None: del c["linux"]["cgroupsPath"]
    if memory: c["linux"]["resources"]["memory"] = {"limit": memory, "swap": memory*2}
    if pids: c["linux"]["resources"]["pids"] = {"limit": pids}
    if rlimits: c["process"]["rlimits"] = rlimits
    if oom is not None: c["process"]["oomScoreAdj"] = oom
    return c

def create(shim, cid, bundle, state, options, cgroup_root=None):
    r, w = os.pipe()
    argv = [shim, "--id", cid, "--bundle", bundle, "--state-dir", state, "--options", options, "--ready-fd", str(w)]
    if cgroup_root: argv += ["--cgroup-root", cgroup_root]
    p = subprocess.Popen(argv, pass_fds=(w,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    os.close(w)
    p.wait()
    f = os.fdopen(r)
    line = f.readline()
    return line.strip()

def ctl(sock, req, timeout=30):
    s = socket.socket(socket.AF_UNIX); s.settimeout(timeout); s.connect(sock)
    s.sendall((req + "\n").encode())
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk: break
        data += chunk
    return data.decode().strip()

def attach(sock, stdin_data=None, tty=False, timeout=30):
    s = socket.socket(socket.AF_UNIX); s.settimeout(timeout); s.connect(sock)
    s.sendall(json.dumps({"stdin": stdin_data is not None, "stdout": True, "stderr": True, "stream": True}).encode() + b"\n")
    if stdin_data is not None:
        s.sendall(stdin_data.encode()); s.shutdown(socket.SHUT_WR)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk: break
        data += chunk
    if tty:
        return {"stdout": data.decode(errors="replace"), "stderr": ""}
    out = {1: b"", 2: b""}
    while len(data) >= 8:
        st, ln = data[0], struct.unpack(">I", data[4:8])[0]
        out[st] = out.get(st, b"") + data[8:8+ln]; data = data[8+ln:]
    return {"stdout": out[1].decode(errors="replace"), "stderr": out[2].decode(errors="replace")}

# ---- a minimal pouch host for runtime-ns.so (ctypes), for live-restore tests
import ctypes as C

def plugin_host(so, run_dir, config_json="{}"):
    lib = C.CDLL(so)
    class Desc(C.Structure):
        _fields_ = [("size", C.c_uint32), ("abi_major", C.c_uint16), ("abi_minor", C.c_uint16),
                    ("name", C.c_char_p), ("version", C.c_char_p), ("license", C.c_char_p), ("summary", C.c_char_p),
                    ("kind", C.c_uint32), ("flags", C.c_uint32), ("init", C.c_void_p), ("fini", C.c_void_p), ("ops", C.c_void_p)]
    LOG = C.CFUNCTYPE(None, C.c_void_p, C.c_int32, C.c_char_p)
    ERR = C.CFUNCTYPE(C.c_int32, C.c_void_p, C.c_int32, C.c_char_p, C.c_char_p)
    STR = C.CFUNCTYPE(C.c_char_p, C.c_void_p)
    EXITED = C.CFUNCTYPE(C.c_int32, C.c_void_p, C.c_char_p, C.c_char_p)
    class Host(C.Structure):
        _fields_ = [("size", C.c_uint32), ("abi_major", C.c_uint16), ("abi_minor", C.c_uint16), ("ctx", C.c_void_p),
                    ("plugin_name", C.c_char_p), ("log", LOG), ("error", ERR), ("last_error", STR), ("config", STR),
                    ("state_dir", STR), ("run_dir", STR), ("event_publish", C.c_void_p), ("event_subscribe", C.c_void_p),
                    ("event_unsubscribe", C.c_void_p), ("metric_set", C.c_void_p), ("metric_add", C.c_void_p),
                    ("free", C.c_void_p), ("engine", C.c_void_p), ("container_exited", EXITED)]
    state = {"errors": [], "exits": []}
    def log(h, lvl, fmt): sys.stderr.write("plugin log: %s\n" % fmt.decode())
    def err(h, code, fmt, arg):
        msg = fmt.decode()
        if msg == "%s" and arg: msg = arg.decode()
        state["errors"].append(msg); return code
    def exited(h, cid, st):
        state["exits"].append((cid.decode(), json.loads(st.decode()))); return 0
    keep = [LOG(log), ERR(err), STR(lambda h: b""), STR(lambda h: config_json.encode()),
            STR(lambda h: run_dir.encode()), STR(lambda h: run_dir.encode()), EXITED(exited)]
    host = Host(size=C.sizeof(Host), abi_major=1, abi_minor=0, plugin_name=b"runtime-ns",
                log=keep[0], error=keep[1], last_error=keep[2], config=keep[3], state_dir=keep[4],
                run_dir=keep[5], container_exited=keep[6])
    lib.pouch_plugin_query.restype = C.POINTER(Desc)
    d = lib.pouch_plugin_query().contents
    INIT = C.CFUNCTYPE(C.c_int32, C.c_void_p, C.POINTER(C.c_void_p))
    st = C.c_void_p()
    rc = INIT(d.init)(C.byref(host), C.byref(st))
    if rc < 0: raise RuntimeError("init: %d %s" % (rc, state["errors"]))
    P = C.c_void_p
    # slot 0 holds size+reserved; the methods follow in runtime.h's order
    ops = C.cast(d.ops, C.POINTER(C.c_void_p * 19)).contents
    RET = C.POINTER(C.c_char_p)
    f = {"create": C.CFUNCTYPE(C.c_int32, P, C.c_char_p, C.c_char_p, C.c_char_p)(ops[1]),
         "start": C.CFUNCTYPE(C.c_int32, P, C.c_char_p)(ops[2]),
         "kill": C.CFUNCTYPE(C.c_int32, P, C.c_char_p, C.c_int32, C.c_int32)(ops[3]),
         "destroy": C.CFUNCTYPE(C.c_int32, P, C.c_char_p, C.c_int32)(ops[4]),
         "state": C.CFUNCTYPE(C.c_int32, P, C.c_char_p, RET)(ops[5]),
         "attach_path": C.CFUNCTYPE(C.c_int32, P, C.c_char_p, RET)(ops[6]),
         "list": C.CFUNCTYPE(C.c_int32, P, RET)(ops[8]),
         # ABI 1.1
         "pause": C.CFUNCTYPE(C.c_int32, P, C.c_char_p)(ops[10]),
         "resume": C.CFUNCTYPE(C.c_int32, P, C.c_char_p)(ops[11]),
         "exec_create": C.CFUNCTYPE(C.c_int32, P, C.c_char_p, C.c_char_p, C.c_char_p, C.c_char_p)(ops[12]),
         "exec_start": C.CFUNCTYPE(C.c_int32, P, C.c_char_p, C.c_char_p)(ops[13]),
         "exec_state": C.CFUNCTYPE(C.c_int32, P, C.c_char_p, C.c_char_p, RET)(ops[14]),
         "exec_resize": C.CFUNCTYPE(C.c_int32, P, C.c_char_p, C.c_char_p, C.c_int32, C.c_int32)(ops[15]),
         "update": C.CFUNCTYPE(C.c_int32, P, C.c_char_p, C.c_char_p)(ops[16]),
         "stats": C.CFUNCTYPE(C.c_int32, P, C.c_char_p, RET)(ops[17]),
         "pids": C.CFUNCTYPE(C.c_int32, P, C.c_char_p, RET)(ops[18])}
    class H: pass
    h = H(); h.keep = (keep, host, lib); h.state = state; h.st = st; h.f = f
    def call(name, *a):
        a = [x.encode() if isinstance(x, str) else x for x in a]
        del state["errors"][:]  # only this call's error is reported
        if name in ("state", "list", "exec_state", "stats", "pids", "attach_path"):
            out = C.c_char_p()
            rc = f[name](st, *a, C.byref(out))
            if rc < 0:
                return rc, state["errors"][-1:]
            v = out.value.decode()
            return rc, (v if name == "attach_path" else json.loads(v))
        return f[name](st, *a), state["errors"][-1:]
    h.call = call
    return h


def exec_process(args, tty=False, uid=0, gid=0, cwd="/", env=None):
    return {"terminal": tty, "user": {"uid": uid, "gid": gid}, "args": args,
            "env": env or ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"],
            "cwd": cwd, "capabilities": {"bounding": DEFAULT_CAPS, "effective": DEFAULT_CAPS,
                                         "permitted": DEFAULT_CAPS, "inheritable": [], "ambient": []},
            "noNewPrivileges": True}

def run_exec(h, cid, eid, args, stdin_data=None, tty=False, attach=True, after_start=None, **kw):
    """exec through the plugin as the engine would: create, attach, start,
    read until the shim closes the stream, then the exec's state."""
    opts = {"stdin": stdin_data is not None, "tty": tty}
    rc = h.call("exec_create", cid, eid, json.dumps(exec_process(args, tty=tty, **kw)), json.dumps(opts))
    if rc[0] < 0:
        return {"create": rc}
    s = None
    if attach:
        path = h.call("attach_path", cid)[1]
        s = socket.socket(socket.AF_UNIX); s.settimeout(30); s.connect(path)
        s.sendall(json.dumps({"exec": eid, "stdin": stdin_data is not None, "stdout": True, "stderr": True,
                              "stream": True}).encode() + b"\n")
    t0 = time.time()
    start = h.call("exec_start", cid, eid)
    out = {"start": start, "stdout": "", "stderr": ""}
    if after_start:
        out["after_start"] = after_start()
    if s:
        if stdin_data is not None and start[0] == 0:
            s.sendall(stdin_data.encode()); s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk: break
            data += chunk
        if tty:
            out["stdout"] = data.decode(errors="replace")
        else:
            o = {1: b"", 2: b""}
            while len(data) >= 8:
                st_, ln = data[0], struct.unpack(">I", data[4:8])[0]
                o[st_] = o.get(st_, b"") + data[8:8+ln]; data = data[8+ln:]
            out["stdout"], out["stderr"] = o[1].decode(errors="replace"), o[2].decode(errors="replace")
    out["ms"] = round((time.time() - t0) * 1000, 1)
    out["state"] = h.call("exec_state", cid, eid)
    return out

def ops_test(h, cid, cgp, count_path, ctl_sock):
    """The ABI 1.1 checks of runtime-ns-ops.sh in one process (a sanitizer
    build makes each start of a plugin host slow): prints ok/FAIL lines,
    returns the number of failures."""
    fails = []
    def check(cond, what, detail=""):
        print(("ok   [runtime-ns-ops] " if cond else "FAIL [runtime-ns-ops]: ") + what +
              ("" if cond else ": " + str(detail)), flush=True)
        if not cond: fails.append(what)
    def ex(eid, args, **kw): return run_exec(h, cid, eid, args, **kw)
    def st(r): return r["state"][1]

    r = ex("e1", ["sh", "-c", "echo out-$(hostname); echo err-line >&2; tr '\\0' ' ' < /proc/1/cmdline; exit 7"])
    check(r["start"] == (0, []), "exec_start e1", r)
    check("out-exec-host" in r["stdout"], "exec stdout, in the container's UTS namespace", r)
    check("sh -c i=0" in r["stdout"], "exec sees the container's init as pid 1", r)
    check(r["stderr"].strip() == "err-line", "exec stderr on its own stream", r)
    check((st(r)["status"], st(r)["exit_code"]) == ("stopped", 7), "exec exit code 7, status stopped", r)
    r = ex("e2", ["sh", "-c", "read a; echo got=$a; cat; echo eof-seen"], stdin_data="line1\nrest\n")
    check("got=line1" in r["stdout"] and "rest" in r["stdout"], "exec stdin", r)
    check("eof-seen" in r["stdout"], "exec stdin closed by the client's half-close", r)
    r = ex("e3", ["sh", "-c", "[ -t 0 ] && [ -t 1 ] && echo is-a-tty; tty"], tty=True)
    check("is-a-tty" in r["stdout"] and st(r)["exit_code"] == 0, "exec with a tty (raw stream)", r)
    check("/dev/pts/" in r["stdout"], "the exec's tty is one of the container's /dev/pts (as runc)", r)
    r = ex("e3r", ["sh", "-c", "sleep 1; stty size"], tty=True,
           after_start=lambda: h.call("exec_resize", cid, "e3r", 30, 100))
    check(r["after_start"] == (0, []) and "30 100" in r["stdout"], "exec_resize reaches the exec's terminal", r)
    r = h.call("exec_resize", cid, "e1", 30, 100)
    check(r[0] < 0 and "terminal" in str(r[1]), "exec_resize of an exec without a tty is refused", r)
    r = ex("e4", ["sh", "-c", "echo $(id -u):$(id -g) $(pwd)"], uid=1000, gid=1000, cwd="/tmp")
    check(r["stdout"].strip() == "1000:1000 /tmp", "exec user and cwd", r)
    r = ex("e6", ["nope"])
    check('OCI runtime exec failed: exec failed: unable to start container process: exec: "nope": '
          'executable file not found in $PATH: unknown' in str(r["start"]), "exec of a missing binary: dockerd's message", r)
    check((st(r)["status"], st(r)["exit_code"]) == ("stopped", 126), "failed exec: stopped, 126", r)
    r = ex("e7", ["/etc/passwd"])
    check('exec: "/etc/passwd": permission denied' in str(r["start"]), "exec of a non-executable", r)
    r = ex("e8", ["pwd"], cwd="/nonexist")
    check('chdir to cwd ("/nonexist") set in config.json failed: no such file or directory' in str(r["start"]),
          "exec with a missing cwd", r)
    r = ex("e9", ["sh", "-c", "kill -9 $$"])
    check(st(r)["exit_code"] == 137, "exec killed by a signal: 128+9", r)
    r = h.call("exec_state", cid, "nosuch")
    check(r[0] == -2 and "No such exec instance" in str(r[1]), "exec_state of an unknown exec: ENOENT", r)
    r = h.call("exec_start", cid, "e1")
    check(r[0] < 0 and "already" in str(r[1]), "exec_start twice refused", r)
    # created but never started execs make room for new ones (the oldest goes)
    idle = [h.call("exec_create", cid, "idle-%d" % i, json.dumps(exec_process(["true"])), "{}")[0] for i in range(65)]
    check(idle == [0] * 65 and h.call("exec_state", cid, "idle-0")[0] == -2 and
          h.call("exec_state", cid, "idle-64")[1]["status"] == "created",
          "the 65th created exec evicts the oldest never started one", idle)
    ms = sorted(run_exec(h, cid, "bench-%d" % i, ["true"])["ms"] for i in range(20))
    print("[runtime-ns-ops] exec of true through the plugin: median %.1f ms, min %.1f ms" % (ms[10], ms[0]), flush=True)

    r = ex("s1", ["sleep", "1000"], attach=False)
    spid = st(r)["pid"]
    init = h.call("state", cid)[1]["pid"]
    pids = h.call("pids", cid)[1]
    check(init in pids and spid in pids, "pids lists the init and a running exec", (pids, init, spid))
    s_ = h.call("stats", cid)[1]
    cu = s_["cpu_stats"]["cpu_usage"]
    check(cu["total_usage"] > 0, "stats: cpu total_usage > 0", s_)
    check(s_["memory_stats"].get("usage", 0) > 0, "stats: memory usage > 0", s_)
    check(s_["pids_stats"].get("current", 0) >= 2, "stats: pids current >= 2", s_)
    check("io_service_bytes_recursive" in s_["blkio_stats"], "stats: blkio_stats keys", s_)
    v1 = os.path.isdir("/sys/fs/cgroup/memory/" + cgp)
    if v1:
        check(len(cu.get("percpu_usage", [])) >= 1, "stats: percpu_usage (v1)", s_)
        check(cu["usage_in_usermode"] + cu["usage_in_kernelmode"] > 0, "stats: user+kernel ns (v1)", s_)

    r = h.call("update", cid, json.dumps({"memory": {"limit": 104857600}, "cpu": {"shares": 512}, "pids": {"limit": 77}}))
    check(r == (0, []), "update", r)
    if v1:
        def rd(ctrl, f): return open("/sys/fs/cgroup/%s/%s/x/%s" % (ctrl, cgp, f)).read().strip()
        check(rd("memory", "memory.limit_in_bytes") == "104857600", "memory.limit_in_bytes after update")
        check(rd("cpu", "cpu.shares") == "512", "cpu.shares after update")
        check(rd("pids", "pids.max") == "77", "pids.max after update")
        s_ = h.call("stats", cid)[1]
        check(s_["memory_stats"]["limit"] == 104857600 and s_["pids_stats"]["limit"] == 77, "stats show the new limits", s_)
        r = h.call("update", cid, json.dumps({"memory": {"limit": 4096}}))
        check(r[0] == -16 and "memory" in str(r[1]), "a memory limit below usage: EBUSY, said clearly", r)
        check(rd("memory", "memory.limit_in_bytes") == "104857600", "limit unchanged after a refused update")

    def count():
        for _ in range(50):
            try:
                return int(open(count_path).read())
            except (OSError, ValueError):
                time.sleep(0.02)
        return -1
    check(h.call("pause", cid) == (0, []), "pause")
    check(h.call("state", cid)[1]["status"] == "paused", "state paused")
    fz = "/sys/fs/cgroup/freezer/%s/x/freezer.state" % cgp
    if os.path.exists(fz):
        check(open(fz).read().strip() == "FROZEN", "freezer.state FROZEN")
    c1 = count(); time.sleep(0.5); c2 = count()
    check(c1 > 0 and c1 == c2, "the counter stands still while paused", (c1, c2))
    r = h.call("exec_create", cid, "ep", json.dumps(exec_process(["true"])), "{}")
    check(r[0] < 0 and "is paused, unpause the container before exec" in str(r[1]), "exec into a paused container", r)
    check(h.call("resume", cid) == (0, []), "resume")
    check(h.call("state", cid)[1]["status"] == "running", "state running after resume")
    time.sleep(0.5); c3 = count()
    check(c3 > c2, "the counter advances after resume", (c2, c3))

    check(h.call("pause", cid) == (0, []), "pause again")
    check(h.call("kill", cid, 9, 0) == (0, []), "SIGKILL of a paused container")
    w = json.loads(ctl(ctl_sock, '{"op":"watch"}'))
    check(w.get("exit_code") == 137, "a paused container dies of SIGKILL: 137", w)
    for _ in range(50):
        e = h.call("exec_state", cid, "s1")[1]
        if e["status"] == "stopped": break
        time.sleep(0.1)
    check((e["status"], e["exit_code"]) == ("stopped", 137), "an exec ends with its container", e)
    r = h.call("exec_create", cid, "late", json.dumps(exec_process(["true"])), "{}")
    check(r[0] < 0 and "is not running" in str(r[1]), "exec into a stopped container refused", r)
    s_ = h.call("stats", cid)[1]
    check(s_["cpu_stats"]["cpu_usage"]["total_usage"] == 0, "stats of a stopped container are zeros", s_)
    check(h.call("pids", cid) == (0, []), "pids of a stopped container: none")
    return len(fails)

if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "config":
        kw = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
        c = config(sys.argv[2], json.loads(sys.argv[3]), **kw)
        json.dump(c, sys.stdout, indent=1)
    elif cmd == "create":
        print(create(*sys.argv[2:]))
    elif cmd == "ctl":
        print(ctl(sys.argv[2], sys.argv[3]))
    elif cmd == "host":
        # host SO RUN_DIR ACTION ARGS...: one plugin call, result as JSON
        h = plugin_host(sys.argv[2], sys.argv[3])
        act = sys.argv[4]
        if act == "run-and-hang":  # create+start, then wait to be killed
            rc = h.call("create", sys.argv[5], sys.argv[6], sys.argv[7])
            rc2 = h.call("start", sys.argv[5]) if rc[0] == 0 else rc
            print(json.dumps([rc, rc2])); sys.stdout.flush(); time.sleep(600)
        elif act == "exec":  # exec ID EXEC_ID ARGS_JSON [KW_JSON]: run one exec, print the outcome
            kw = json.loads(sys.argv[8]) if len(sys.argv) > 8 else {}
            print(json.dumps(run_exec(h, sys.argv[5], sys.argv[6], json.loads(sys.argv[7]), **kw)))
        elif act == "exec-bench":  # exec-bench ID N: N sequential `true` execs, median ms
            ms = sorted(run_exec(h, sys.argv[5], "bench-%d" % i, ["true"])["ms"] for i in range(int(sys.argv[6])))
            print(ms[len(ms) // 2])
        elif act == "ops-test":  # ops-test ID CGPATH COUNT_FILE CONTROL_SOCK
            sys.exit(1 if ops_test(h, *sys.argv[5:9]) else 0)
        elif act == "kill-and-wait":
            h.call("list")
            print(json.dumps(h.call("kill", sys.argv[5], int(sys.argv[6]), 0)))
            for _ in range(100):
                if h.state["exits"]: break
                time.sleep(0.1)
            print(json.dumps(h.state["exits"]))
        else:
            a = [int(x) if x.lstrip("-").isdigit() else x for x in sys.argv[5:]]
            print(json.dumps(h.call(act, *a)))
    elif cmd == "attach":
        stdin_data = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] != "-" else None
        tty = len(sys.argv) > 4 and sys.argv[4] == "tty"
        r = attach(sys.argv[2], stdin_data, tty)
        sys.stdout.write(r["stdout"]); sys.stderr.write(r["stderr"])
