#!/usr/bin/env bash
# Debian packages the tests need, installed only when missing: PostgreSQL and Redis binaries (the tests use the
# running servers, or start their own), Chromium for the browser tests, and npm for 3Dmol.js.
set -euo pipefail
missing=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null || missing+=(postgresql)
command -v redis-server > /dev/null || missing+=(redis-server)
[[ -x /usr/bin/chromium ]] || missing+=(chromium chromium-driver)
command -v npm > /dev/null || missing+=(npm)
(( ${#missing[@]} )) || exit 0
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get > /dev/null; then
  echo "Missing system packages: ${missing[*]}. Install them (Debian: sudo apt-get install ${missing[*]})." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" > /dev/null
