#!/usr/bin/env bash
# Installs, with apt-get, every Debian package campaignd needs to build, run
# and test, skipping those already present; then the pinned npm tools of the
# contract check (tests/openapi: Prism) and the stand-in SMSC (tests/smsc) with `npm ci`, when they are missing
# or their lock file changed. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  gcc g++ make cmake pkg-config git ca-certificates curl
  libmicrohttpd-dev libjansson-dev libsqlite3-dev libcurl4-openssl-dev libssl-dev
  libicu-dev libphonenumber-dev libprotobuf-dev libuv1-dev libcmocka-dev zlib1g-dev libpq-dev postgresql-15
  libsmpp34-dev
  python3 python3-pytest python3-requests python3-yaml python3-twilio
  clang-format
  # the dashboard's browser test: headless Chromium over the DevTools protocol
  chromium python3-websocket
)
# Node.js and npm run the contract check's Prism. A machine may already have
# them from elsewhere (a nodejs package that bundles npm): only a missing
# command brings in Debian's packages.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Prism, at the version tests/openapi/package-lock.json pins, into the
# git-ignored tests/openapi/node_modules.
tools=tests/openapi
if [ ! -x "$tools/node_modules/.bin/prism" ] ||
   [ "$tools/package-lock.json" -nt "$tools/node_modules/.package-lock.json" ]; then
  echo "deps: npm ci in $tools" >&2
  (cd "$tools" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi

# The stand-in SMSC of the smpp provider's tests (tests/smsc: npm smpp).
smsc=tests/smsc
if [ ! -d "$smsc/node_modules/smpp" ] ||
   [ "$smsc/package-lock.json" -nt "$smsc/node_modules/.package-lock.json" ]; then
  echo "deps: npm ci in $smsc" >&2
  (cd "$smsc" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
