#!/usr/bin/env bash
# Every benchmark (docs/benchmarks.md): builds Release into build-release,
# runs upload, dispatch (end to end and paced), API reads, the CSV export and
# SMPP against Kannel (issue 16), and dispatch/upload on PostgreSQL with 1-3
# nodes (bench/cluster.py), prints one JSON
# line per figure and writes them all to bench/results.json. Each benchmark
# also runs alone: /usr/bin/python3 bench/<name>.py --help. Issue 19's
# ratios are printed at the end, each next to the raw floor (bench/*_raw.c)
# or peer (nginx) measured in the same invocation, and its goal.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
# the peers measured beside campaignd: nginx (reads, with wrk) and Kannel
# (SMPP); benchmark needs only, so not in deps.sh
if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null || [ ! -x /usr/sbin/bearerbox ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk nginx-light kannel >/dev/null
fi
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release -j2
out=bench/results.jsonl
: > "$out"
export BENCH_RESULTS="$PWD/$out"
/usr/bin/python3 bench/upload.py "$@"
/usr/bin/python3 bench/dispatch.py
/usr/bin/python3 bench/reads.py
/usr/bin/python3 bench/reads.py --postgres
/usr/bin/python3 bench/export.py
/usr/bin/python3 bench/smpp.py --total 20000 --window 10
/usr/bin/python3 bench/cluster.py
/usr/bin/python3 - "$out" bench/results.json <<'PY'
import json, sys, platform, os
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
meta = {"cores": os.cpu_count(), "machine": platform.machine(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}
json.dump({"machine": meta, "results": rows}, open(sys.argv[2], "w"), indent=2)
print("wrote", sys.argv[2])
print("\nissue 19: campaignd against raw floors and nginx, same invocation")
for r in rows:
    if r["bench"] == "upload_api":
        print("  upload   %8d recipients/s  raw floor %s rows/s  ratio %.3f  goal >= %.2f"
              % (r["recipients_per_second"], "/".join(map(str, r["raw_floor_rows_per_second"])),
                 r["api_over_raw_floor"], r["goal"]))
    elif r["bench"] == "dispatch_api":
        print("  dispatch %8d dispositions/s  raw floor %s/s  ratio %.3f  goal >= %.2f"
              % (r["dispositions_per_second"],
                 "/".join(map(str, r["raw_floor_dispositions_per_second"])),
                 r["api_over_raw_floor"], r["goal"]))
    elif r["bench"] == "reads":
        a, n = r["campaignd"], r["nginx"]
        print("  reads%s %8.0f req/s p99 %.2f ms  nginx %.0f req/s p99 %.2f ms  ratio %.3f  "
              "goal >= %.2f, p99 < %.0f ms" % (" (pg)" if r.get("store", "").startswith("postgres")
                                               else "     ", a["requests_per_second"], a["p99_ms"],
                                               n["requests_per_second"], n["p99_ms"],
                                               r["campaignd_over_nginx"], r["goal_over_nginx"],
                                               r["goal_p99_ms"]))
        if r.get("postgres_alone_statements_per_second"):
            print("  reads (pg) against PostgreSQL alone answering the GET's statement "
                  "(%.0f/s): ratio %.3f" % (r["postgres_alone_statements_per_second"],
                                            r["campaignd_over_postgres_alone"]))
        if r.get("gets_per_snapshot_check"):
            print("  reads (pg) cache hits %.3f of the GETs, %.2f GETs per snapshot check"
                  % (r["campaign_cache_hit_share"] or 0, r["gets_per_snapshot_check"]))
        if r.get("round_trip_ceiling_over_nginx"):
            print("  reads (pg) ceiling of any GET that makes one round trip (SELECT 1 at "
                  "%.0f/s, with nginx's HTTP work): %.3f of nginx"
                  % (r["postgres_select1_per_second"], r["round_trip_ceiling_over_nginx"]))
    elif r["bench"] == "pg_paced_long_queue":
        print("  paced dispatch on PostgreSQL from a queue of %d, calls of %d ms: %d starts/s "
              "against a limit of %d/s (%.3f); CPU per start: PostgreSQL %s us, campaignd %s us"
              % (r["recipients"], r.get("call_ms", 300), r["starts_per_second"],
                 r["limit_per_second"], r["over_limit"], r.get("postgres_cpu_us_per_start"),
                 r.get("campaignd_cpu_us_per_start")))
sqlite_dispatch = [r["api_over_raw_floor"] for r in rows if r["bench"] == "dispatch_api"]
for r in rows:
    if r["bench"] == "cluster_dispatch_floor" and sqlite_dispatch:
        for nodes, ratio in sorted(r["nodes_over_raw_floor"].items()):
            print("  dispatch on PostgreSQL, %s node(s): ratio %.3f of its raw floor (%s/s), "
                  "%.2f of SQLite's  goal >= 0.50 (within 2x)"
                  % (nodes, ratio, "/".join(map(str, r["raw_floor_dispositions_per_second"])),
                     ratio / sqlite_dispatch[0]))
smpp = {r["bench"]: r for r in rows if r["bench"].startswith("smpp_")}
if "smpp_campaignd" in smpp:
    c, k = smpp["smpp_campaignd"], smpp.get("smpp_kannel")
    print("\nissue 16: SMPP to the stand-in SMSC, one bind, window %d" % c["window"])
    print("  campaignd %6d accepted/s %6.1f us CPU/message" % (c["accepted_per_second"],
                                                           c["cpu_us_per_message"]))
    if k:
        print("  kannel    %6d accepted/s %6.1f us CPU/message" % (k["accepted_per_second"],
                                                               k["cpu_us_per_message"]))
PY
rm -f "$out"
