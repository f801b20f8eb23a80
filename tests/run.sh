#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine, as root: install the
# build and test packages, build with -Werror and ASan/UBSan, run CTest.
# Exits with CTest's status.
#   tests/run.sh [extra ctest args...]     e.g. tests/run.sh -L integration
# Environment: POUCH_TEST_BUILD_DIR (default build-test), POUCH_SKIP_DEPS=1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${POUCH_TEST_BUILD_DIR:-$ROOT/build-test}

if [ "${POUCH_SKIP_DEPS:-0}" != 1 ]; then
  bash packaging/deps.sh
fi

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DPOUCH_WERROR=ON -DPOUCH_SANITIZE=ON
cmake --build "$BUILD" -j2

# Sanitizers: stop at the first error, report leaks at exit; the daemon's
# own reports land in each test's pouchd log, which a failing test prints.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=0:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# Tests write only under their own mktemp dirs.
export TMPDIR=${TMPDIR:-/tmp}

cd "$BUILD"
rc=0
ctest --output-on-failure -j2 --timeout 600 "$@" || rc=$?
exit $rc
