#!/usr/bin/env bash
# Installs redis-server from Debian/Ubuntu packages when it is missing, as
# ensure-postgres.sh does for PostgreSQL. The tests start their own private
# redis-server from it (ratelimit/redistest); they need it, so `make test`
# stops here, saying why, when it cannot be installed.
set -euo pipefail
command -v redis-server >/dev/null 2>&1 && exit 0
echo "redis-server not found; installing the 'redis-server' package with apt-get." >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null; }; then
  echo "could not install redis-server with apt-get. The tests need it: install Redis (redis-server on the PATH) and run make test again." >&2
  exit 1
fi
if ! command -v redis-server >/dev/null 2>&1; then
  echo "the 'redis-server' package is installed but redis-server is not on the PATH." >&2
  exit 1
fi
