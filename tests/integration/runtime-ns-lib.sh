# Shared setup of the runtime-ns integration scripts (sourced, after T_NAME
# is set): locates the shim and plugin, a busybox rootfs, helpers to write
# bundles and drive the shim, and a cleanup trap for what the test creates.
T_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${POUCH_PLUGIN_DIR:?POUCH_PLUGIN_DIR must name the build plugin directory (set by CTest)}"
SHIM=$POUCH_PLUGIN_DIR/pouch-shim
PLUGIN=$POUCH_PLUGIN_DIR/runtime-ns.so
LOGSO=$POUCH_PLUGIN_DIR/log-json-file.so
H="python3 $T_SRC/runtime-ns-helper.py"
# A sanitizer build of the plugin needs its runtime loaded first in python.
HP=$H
ASAN_LIB=$(ldd "$POUCH_PLUGIN_DIR/runtime-ns.so" 2>/dev/null | awk '/libasan/ {print $3}')
if [ -n "$ASAN_LIB" ]; then
  UBSAN_LIB=$(ldd "$POUCH_PLUGIN_DIR/runtime-ns.so" | awk '/libubsan/ {print $3}')
  HP="env LD_PRELOAD=$ASAN_LIB${UBSAN_LIB:+:$UBSAN_LIB} ASAN_OPTIONS=detect_leaks=0 $H"
fi

log()  { printf '[%s] %s\n' "$T_NAME" "$*" >&2; }
fail() { printf 'FAIL [%s]: %s\n' "$T_NAME" "$*" >&2; exit 1; }
skip() { printf 'SKIP [%s]: %s\n' "$T_NAME" "$*" >&2; exit 77; }
pass() { printf 'ok   [%s] %s\n' "$T_NAME" "$*" >&2; }
assert_eq() { [ "$1" == "$2" ] || fail "$3: expected '$1', got '$2'"; pass "$3 = '$2'"; }
assert_contains() { case "$1" in *"$2"*) pass "$3 contains '$2'" ;; *) fail "$3: expected to contain '$2', got:
$1" ;; esac; }

[ "$(id -u)" = 0 ] || skip "needs root (namespaces, mounts, cgroups)"
[ -x "$SHIM" ] && [ -f "$PLUGIN" ] || skip "pouch-shim/runtime-ns.so not built in $POUCH_PLUGIN_DIR"
BUSYBOX=$(command -v busybox || true)
[ -n "$BUSYBOX" ] && file -L "$BUSYBOX" 2>/dev/null | grep -q static || [ -n "$BUSYBOX" ] || skip "busybox-static is not installed"
[ -d /sys/fs/cgroup ] || skip "no /sys/fs/cgroup"

T_DIR=$(mktemp -d /tmp/pouch-rns.XXXXXX)
RUN=$T_DIR/run
CGP=pouch-rns-test-$$
PIDS=()
MOUNTS=()
cleanup() {
  local rc=$?
  for st in "$RUN"/*/shim.pid; do [ -f "$st" ] && PIDS+=("$(cat "$st")"); done
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  # A container outlives its killed shim: after a failed check, end what is
  # left in the test's cgroups (thawed first: a v1 freezer holds SIGKILL).
  local f t
  for f in /sys/fs/cgroup/freezer/"$CGP"/*/freezer.state; do [ -f "$f" ] && echo THAWED >"$f" 2>/dev/null; done
  for f in "$T_DIR"/cg2/"$CGP"/*/cgroup.freeze; do [ -f "$f" ] && echo 0 >"$f" 2>/dev/null; done
  for f in /sys/fs/cgroup/*/"$CGP"/*/cgroup.procs "$T_DIR"/cg2/"$CGP"/*/cgroup.procs; do
    [ -f "$f" ] || continue
    for t in $(cat "$f" 2>/dev/null); do kill -9 "$t" 2>/dev/null || true; done
  done
  sleep 0.3
  for d in /sys/fs/cgroup/*/"$CGP"/* /sys/fs/cgroup/*/"$CGP" "$T_DIR"/cg2/"$CGP"/* "$T_DIR"/cg2/"$CGP"; do
    [ -d "$d" ] && rmdir "$d" 2>/dev/null || true
  done
  for m in "${MOUNTS[@]}"; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$T_DIR"
  exit $rc
}
trap cleanup EXIT

# A busybox root filesystem.
ROOTFS=$T_DIR/rootfs
mkdir -p "$ROOTFS"/{bin,etc,tmp,root}
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
for a in $("$ROOTFS/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$ROOTFS/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$ROOTFS/etc/passwd"

# bundle NAME ARGS_JSON [KW_JSON]: a bundle dir with config.json
bundle() {
  mkdir -p "$T_DIR/b/$1"
  $H config "$ROOTFS" "$2" "${3:-{\}}" > "$T_DIR/b/$1/config.json"
  echo "$T_DIR/b/$1"
}
create() { # create ID BUNDLE [OPTIONS] [CGROUP_ROOT]
  $H create "$SHIM" "$1" "$2" "$RUN/$1" "${3:-{\}}" ${4:+"$4"}
}
ctl() { $H ctl "$RUN/$1/control.sock" "$2"; }

