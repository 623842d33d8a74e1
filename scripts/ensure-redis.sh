#!/usr/bin/env bash
# Installs redis-server from Debian/Ubuntu packages when it is missing. The
# Redis tests start their own private server from it (see ratelimit/redistest);
# if it cannot be installed they skip, saying why. Never fatal for `make test`.
set -uo pipefail
command -v redis-server >/dev/null 2>&1 && exit 0
echo "redis-server not found; installing the 'redis-server' package with apt-get." >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null; }; then
  echo "could not install redis-server; the Redis tests will be skipped." >&2
fi
exit 0
