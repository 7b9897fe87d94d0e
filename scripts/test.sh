#!/usr/bin/env bash
# Every test, as CI runs it: source checks, then unit (cmocka via ctest) and
# end-to-end (pytest against the real binary) on the normal build, then the
# store's unit tests and the end-to-end suite again on a throwaway
# PostgreSQL 15 (scripts/pg.sh), then unit and end-to-end tests on a build
# with AddressSanitizer + UndefinedBehaviorSanitizer (leak detection on),
# with the store's unit tests on PostgreSQL too.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
PY=/usr/bin/python3
jobs=2
# the unit tests that open a store (tests/unit/store_fixture.h)
STORE_UNITS='^(events_due|inbox|message_reports|submits|unknown_submits|leases|sim|pg_pipeline|call_ends|write_generation|campaign_get_with_key|claim_order)_test$'

echo "== source checks"
./scripts/check-source.sh

echo "== build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j$jobs

echo "== unit tests and fuzz corpus replay"
ctest --test-dir build --output-on-failure

echo "== end-to-end tests"
CAMPAIGND_BIN="$PWD/build/campaignd" $PY -m pytest -q -p no:cacheprovider tests/e2e

echo "== store unit tests and end-to-end tests on PostgreSQL"
CAMPAIGND_BIN="$PWD/build/campaignd" ./scripts/pg.sh run bash -c \
  "ctest --test-dir build --output-on-failure -R '$STORE_UNITS' &&
   $PY -m pytest -q -p no:cacheprovider tests/e2e"

echo "== sanitizer build (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=ON >/dev/null
cmake --build build-asan -j$jobs
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "== unit tests and fuzz corpus replay (sanitizers)"
ctest --test-dir build-asan --output-on-failure
echo "== store unit tests on PostgreSQL (sanitizers)"
./scripts/pg.sh run ctest --test-dir build-asan --output-on-failure -R "$STORE_UNITS"
echo "== end-to-end tests (sanitizers)"
CAMPAIGND_BIN="$PWD/build-asan/campaignd" CAMPAIGND_SANITIZED=1 \
  $PY -m pytest -q -p no:cacheprovider tests/e2e
