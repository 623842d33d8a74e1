#!/usr/bin/env bash
# Installs PostgreSQL's server binaries from Debian/Ubuntu packages when they are
# missing. The server and the tests run their own private clusters from them.
set -euo pipefail
for d in $(command -v initdb 2>/dev/null | xargs -r dirname) /usr/lib/postgresql/*/bin; do
  if [ -x "$d/initdb" ] && [ -x "$d/postgres" ] && [ -x "$d/pg_ctl" ]; then
    exit 0
  fi
done
echo "PostgreSQL server binaries not found; installing the 'postgresql' package with apt-get." >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
