#!/usr/bin/env bash
# Every benchmark (docs/benchmarks.md): builds Release into build-release,
# runs upload, dispatch (end to end and paced), API reads and the CSV export, prints one JSON
# line per figure and writes them all to bench/results.json. Each benchmark
# also runs alone: /usr/bin/python3 bench/<name>.py --help.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk nginx-light >/dev/null
fi
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release -j2
out=bench/results.jsonl
: > "$out"
export BENCH_RESULTS="$PWD/$out"
/usr/bin/python3 bench/upload.py "$@"
/usr/bin/python3 bench/dispatch.py
/usr/bin/python3 bench/reads.py
/usr/bin/python3 bench/export.py
/usr/bin/python3 bench/cluster.py
/usr/bin/python3 - "$out" bench/results.json <<'PY'
import json, sys, platform, os
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
meta = {"cores": os.cpu_count(), "machine": platform.machine(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}
json.dump({"machine": meta, "results": rows}, open(sys.argv[2], "w"), indent=2)
print("wrote", sys.argv[2])
PY
rm -f "$out"
