#!/usr/bin/env bash
# Installs Debian's Node.js and npm when they are missing: two tests of `make
# test` run third-party JavaScript tools from npm (graphql-http's server audit,
# Redocly's OpenAPI lint), at the versions pinned in their package-lock.json.
# Fails loudly when it cannot install them; the tests never skip for want of npm.
set -euo pipefail
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  exit 0
fi
echo "node or npm not found; installing Debian's 'nodejs' and 'npm' packages with apt-get (the conformance tests need them)." >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-node: no apt-get on this machine; install Node.js 20 or later with npm yourself." >&2
  exit 1
fi
if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null; }; then
  echo "ensure-node: could not install 'nodejs' and 'npm'; the conformance tests of 'make test' cannot run without them." >&2
  exit 1
fi
command -v npm >/dev/null 2>&1 || { echo "ensure-node: npm installed but not in PATH" >&2; exit 1; }
