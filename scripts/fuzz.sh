#!/usr/bin/env bash
# Runs one libFuzzer target of fuzz/ under ASan + UBSan (see fuzz/README.md).
#   scripts/fuzz.sh TARGET [SECONDS]   fuzz for SECONDS (default 60); with
#                                      RUNS=N in the environment, N executions
#   scripts/fuzz.sh --merge TARGET     add to fuzz/corpus/TARGET only the
#                                      inputs of the work corpus that bring
#                                      new coverage (libFuzzer -merge=1)
#   scripts/fuzz.sh --list             the targets
# Builds build-fuzz/ with clang-14 first. New inputs go to the work corpus
# build-fuzz/corpus/TARGET (seeded from fuzz/corpus/TARGET), crashes to
# build-fuzz/artifacts/TARGET/. Runs at nice 10: one fuzzer at a time.
set -euo pipefail
cd "$(dirname "$0")/.."

# Longest input per target: enough for every field the target reads, and
# short enough for about 10 million runs in minutes (sms: two segments of
# GSM-7, three of UCS-2: sms_count costs a table scan per character).
max_len() {
    case "$1" in
    phone | keywords) echo 64 ;;
    sms) echo 200 ;;
    retry | window) echo 512 ;;
    router | template) echo 1024 ;;
    webhook_url | pagetoken) echo 2100 ;;
    *) echo 4096 ;;
    esac
}

if [ "${1:-}" = --list ]; then
    ls fuzz/fuzz_*.c | sed 's|fuzz/fuzz_||; s|\.c$||'
    exit 0
fi
merge=0
if [ "${1:-}" = --merge ]; then
    merge=1
    shift
fi
target=${1:?usage: scripts/fuzz.sh [--merge] TARGET [SECONDS]}
seconds=${2:-60}
[ -f "fuzz/fuzz_$target.c" ] || { echo "no target fuzz/fuzz_$target.c" >&2; exit 2; }

CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DFUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j2 --target "fuzz_$target" >/dev/null

bin=build-fuzz/fuzz/fuzz_$target
work=build-fuzz/corpus/$target
artifacts=build-fuzz/artifacts/$target
mkdir -p "$work" "$artifacts"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

if [ $merge = 1 ]; then
    exec nice -n 10 "$bin" -merge=1 -max_len="$(max_len "$target")" "fuzz/corpus/$target" "$work"
fi
if [ -n "${RUNS:-}" ]; then
    limit=(-runs="$RUNS")
else
    limit=(-max_total_time="$seconds")
fi
exec nice -n 10 "$bin" "${limit[@]}" -max_len="$(max_len "$target")" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "$work" "fuzz/corpus/$target"
