#!/usr/bin/env bash
# A throwaway PostgreSQL 15 (Debian's postgresql-15) for tests and
# benchmarks: initdb in a temporary folder, a free local port, the unix
# socket in that folder, trust authentication, run as the `postgres` user
# when started by root (PostgreSQL refuses to run as root).
#
#   scripts/pg.sh run CMD...  start one, run CMD with CAMPAIGND_TEST_DATABASE
#                             set to its URL, stop it (CMD's exit status)
#   scripts/pg.sh start       start one; prints its URL, then its folder
#   scripts/pg.sh stop DIR    stop the one in DIR and remove DIR
#   scripts/pg.sh restart DIR restart the one in DIR (fast shutdown: every
#                             connection is cut), same port and socket
set -euo pipefail

bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
[ -x "$bindir/initdb" ] || { echo "pg.sh: no $bindir/initdb (apt-get install postgresql-15)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  local dir port user
  dir=$(mktemp -d /tmp/campaignd-pg.XXXXXX)
  chmod 755 "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; user=postgres; else user=$(id -un); fi
  as_owner "$bindir/initdb" -D "$dir/data" -U "$user" --auth=trust --encoding=UTF8 \
    --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  port=$(free_port)
  # fsync off: a throwaway test server (nothing to lose on a crash)
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-p $port -k $dir -c listen_addresses='' -c fsync=off -c full_page_writes=off \
        -c synchronous_commit=off -c max_connections=400 -c shared_buffers=64MB" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  echo "postgresql:///postgres?host=$dir&port=$port&user=$user"
  echo "$dir"
}

stop() {
  local dir=$1
  [ -d "$dir/data" ] || { echo "pg.sh: no server in $dir" >&2; exit 1; }
  as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

restart() {
  local dir=$1
  [ -d "$dir/data" ] || { echo "pg.sh: no server in $dir" >&2; exit 1; }
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 30 restart \
    >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
}

case "${1:-}" in
  start) start ;;
  restart) restart "$2" ;;
  stop) stop "$2" ;;
  run)
    shift
    out=$(start)
    url=$(echo "$out" | sed -n 1p)
    dir=$(echo "$out" | sed -n 2p)
    trap 'stop "$dir"' EXIT
    status=0
    CAMPAIGND_TEST_DATABASE=$url "$@" || status=$?
    exit $status
    ;;
  *) echo "usage: $0 run CMD... | start | stop DIR | restart DIR" >&2; exit 2 ;;
esac
