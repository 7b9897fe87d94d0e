#!/usr/bin/env bash
# Every test, as CI runs it: source checks, then unit (cmocka via ctest) and
# end-to-end (pytest against the real binary) on the normal build, then the
# same again on a build with AddressSanitizer + UndefinedBehaviorSanitizer
# (leak detection on).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
PY=/usr/bin/python3
jobs=2

echo "== source checks"
./scripts/check-source.sh

echo "== build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j$jobs

echo "== unit tests and fuzz corpus replay"
ctest --test-dir build --output-on-failure

echo "== end-to-end tests"
CAMPAIGND_BIN="$PWD/build/campaignd" $PY -m pytest -q -p no:cacheprovider tests/e2e

echo "== sanitizer build (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=ON >/dev/null
cmake --build build-asan -j$jobs
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "== unit tests and fuzz corpus replay (sanitizers)"
ctest --test-dir build-asan --output-on-failure
echo "== end-to-end tests (sanitizers)"
CAMPAIGND_BIN="$PWD/build-asan/campaignd" CAMPAIGND_SANITIZED=1 \
  $PY -m pytest -q -p no:cacheprovider tests/e2e
