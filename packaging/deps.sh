#!/usr/bin/env bash
# Installs everything pouch needs to build and test on Debian 12, from
# Debian's archive only, plus Debian's docker 20.10 CLI unpacked (not
# installed) into a cache dir for the compatibility tests. Run as root.
# Idempotent; apt-get update runs once per invocation.
#   packaging/deps.sh           build + test packages
#   packaging/deps.sh --build   build packages only (what install.sh needs)
set -euo pipefail

# Keep in step with pkg_check_modules/find_* in the CMakeLists files.
BUILD_PKGS=(build-essential cmake pkg-config libmicrohttpd-dev libjansson-dev
  libltdl-dev libgnutls28-dev libarchive-dev libssl-dev libseccomp-dev curl ca-certificates)
# Test clients and tools; busybox-static and zstd feed tests/images/mkimage.py.
# docker.io gives the interoperability tests a real dockerd to compare with
# (they start it privately, on their own socket and dirs).
TEST_PKGS=(libcmocka-dev python3 python3-docker tini openssl clang
  libclang-rt-14-dev procps busybox-static zstd docker.io)
DOCKER20_DIR=${POUCH_DOCKER20_DIR:-/var/cache/pouch-test/docker-20.10}

want_tests=1
[ "${1:-}" = "--build" ] && want_tests=0

[ "$(id -u)" = 0 ] || { echo "deps.sh: run as root (it installs Debian packages)" >&2; exit 1; }
command -v apt-get >/dev/null || { echo "deps.sh: needs apt-get (Debian 12 or a derivative)" >&2; exit 1; }

export DEBIAN_FRONTEND=noninteractive
pkgs=("${BUILD_PKGS[@]}")
[ $want_tests = 1 ] && pkgs+=("${TEST_PKGS[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
updated=0
apt_update() { [ $updated = 1 ] || { apt-get update -qq; updated=1; }; }
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps.sh: installing ${missing[*]}"
  apt_update
  # Never let a package start its service (dockerd, containerd) on the host:
  # tests start private instances themselves.
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  rc=0
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
  if [ $made_policy = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
  [ $rc = 0 ] || { echo "deps.sh: apt-get install failed ($rc)" >&2; exit 1; }
else
  echo "deps.sh: all ${#pkgs[@]} packages already installed"
fi

[ $want_tests = 1 ] || exit 0

# Debian's docker 20.10 CLI for the compatibility tests: unpacked, never
# installed (installing docker.io would pull in dockerd and containerd).
if [ -x "$DOCKER20_DIR/usr/bin/docker" ]; then
  echo "deps.sh: docker 20.10 CLI already at $DOCKER20_DIR/usr/bin/docker"
else
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  apt_update
  if (cd "$tmp" && apt-get download -qq docker.io >/dev/null 2>&1); then
    deb=$(ls "$tmp"/docker.io_*.deb)
    mkdir -p "$DOCKER20_DIR"
    dpkg-deb -x "$deb" "$tmp/x"
    install -D -m 0755 "$tmp/x/usr/bin/docker" "$DOCKER20_DIR/usr/bin/docker"
    echo "deps.sh: docker 20.10 CLI unpacked to $DOCKER20_DIR/usr/bin/docker ($(basename "$deb"))"
  else
    echo "deps.sh: warning: apt-get download docker.io failed; the docker 20.10 CLI tests will skip" >&2
  fi
fi

# The current docker CLI is not in Debian; tests that need it skip without it.
if [ -x /usr/local/bin/docker ] || command -v docker >/dev/null 2>&1; then
  echo "deps.sh: docker CLI: $(docker --version 2>/dev/null || /usr/local/bin/docker --version)"
else
  echo "deps.sh: note: no docker CLI 28 on this machine; the tests that need it will skip"
fi
