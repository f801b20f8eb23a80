#!/usr/bin/env bash
# Installs pouch on this machine and starts pouchd with its default plugins:
# build packages from Debian, a Release build in ./build, `cmake --install`
# into /usr/local, group `pouch`, then systemd (if PID 1 is systemd) or a
# background daemon logging to /var/log/pouchd.log. Safe to run again.
# Environment: POUCH_PREFIX (default /usr/local), POUCH_BUILD_DIR (default build).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PREFIX=${POUCH_PREFIX:-/usr/local}
BUILD=${POUCH_BUILD_DIR:-$ROOT/build}
SOCK=/run/pouchd.sock
PIDFILE=/run/pouchd.pid
LOG=/var/log/pouchd.log

say() { printf 'install.sh: %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root: sudo $0"

bash packaging/deps.sh --build

say "building (Release) in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DPOUCH_TESTS=OFF -DCMAKE_INSTALL_PREFIX="$PREFIX" >/dev/null
cmake --build "$BUILD" -j"$(nproc)"

# Stop a pouchd from an earlier run before replacing its binary.
systemd_pid1() { [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] && [ -d /run/systemd/system ]; }
if systemd_pid1 && systemctl is-active --quiet pouchd 2>/dev/null; then
  say "stopping the running pouchd.service"
  systemctl stop pouchd
elif [ -s "$PIDFILE" ]; then
  pid=$(cat "$PIDFILE")
  if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = pouchd ]; then
    say "stopping pouchd pid $pid from $PIDFILE"
    kill -TERM "$pid"
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      say "pouchd pid $pid ignored SIGTERM for 15 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
fi

say "installing into $PREFIX"
cmake --install "$BUILD" --prefix "$PREFIX" >/dev/null
ldconfig 2>/dev/null || true
getent group pouch >/dev/null || { groupadd --system pouch; say "created group pouch"; }

ping_ok() { curl -sf --max-time 2 --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1; }

if systemd_pid1; then
  unit=$PREFIX/lib/systemd/system/pouchd.service
  [ -f "$unit" ] || die "the build installed no $unit"
  install -m 0644 "$unit" /etc/systemd/system/pouchd.service
  systemctl daemon-reload
  systemctl enable --now pouchd
  how="systemd (systemctl status pouchd, journalctl -u pouchd)"
else
  rm -f "$SOCK"
  setsid "$PREFIX/bin/pouchd" -H "unix://$SOCK" --pidfile "$PIDFILE" </dev/null >>"$LOG" 2>&1 &
  how="background process, pid $!, log $LOG"
fi

for _ in $(seq 100); do ping_ok && break; sleep 0.1; done
ping_ok || die "pouchd did not answer on $SOCK within 10 s; see $( systemd_pid1 && echo 'journalctl -u pouchd' || echo "$LOG")"
chgrp pouch "$SOCK" 2>/dev/null || true

cat <<MSG
install.sh: pouchd is running ($how)
  plugins: $("$PREFIX/bin/pouchd" plugins 2>/dev/null | awk 'NR>1 {print $1}' | paste -sd, - || true)
  socket:  $SOCK (group pouch)

Try it:
  DOCKER_HOST=unix://$SOCK docker version
  DOCKER_HOST=unix://$SOCK docker info
MSG
