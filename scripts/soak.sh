#!/usr/bin/env bash
# soak.sh - kill -9 soak of the real binary: a campaign of N recipients,
# K kills at random moments, a restart and a full check after each (see
# tests/soak/soak.py for what is checked). Prints a summary; exits non-zero
# when a check fails (the temporary folder with the log is then kept).
#
#   scripts/soak.sh                              # 20,000 recipients, 40 kills
#   scripts/soak.sh --kills 3 --recipients 500   # a quick one
#   scripts/soak.sh --seed 42 --keep             # replay a run, keep its files
#
# The binary is $CAMPAIGND_BIN, else build/campaignd (built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${CAMPAIGND_BIN:-}" ] && [ ! -x build/campaignd ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j2 --target campaignd
fi
exec /usr/bin/python3 tests/soak/soak.py "$@"
