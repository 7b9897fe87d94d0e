#!/usr/bin/env bash
# Clone to running in one command: installs what is missing, builds with
# -Wall -Wextra -Werror, and starts build/campaignd on its embedded defaults
# (SQLite file campaignd.db, simulated provider, 127.0.0.1:8080).
# With no CAMPAIGND_ADMIN_TOKEN set, it makes one for this run and prints it
# once; the server itself never invents a token.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
make build
if [ -z "${CAMPAIGND_ADMIN_TOKEN:-}" ]; then
  CAMPAIGND_ADMIN_TOKEN="adm_$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  export CAMPAIGND_ADMIN_TOKEN
  echo "admin token for this run (export CAMPAIGND_ADMIN_TOKEN to choose your own):"
  echo "  $CAMPAIGND_ADMIN_TOKEN"
fi
exec ./build/campaignd "$@"
