#!/usr/bin/env bash
# Installs Debian's chromium when it is missing: the browser test of `make test`
# drives it (headless) against the GraphiQL page. Fails loudly when it cannot
# install it; the test never skips silently for want of a browser.
set -euo pipefail
for b in chromium chromium-browser; do
  if command -v "$b" >/dev/null 2>&1; then
    exit 0
  fi
done
echo "chromium not found; installing Debian's 'chromium' package with apt-get (the browser test needs it)." >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: no apt-get on this machine; install Chromium (chromium or chromium-browser in PATH) yourself." >&2
  exit 1
fi
if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null; }; then
  echo "ensure-chromium: could not install the 'chromium' package; the browser test of 'make test' cannot run without it." >&2
  exit 1
fi
command -v chromium >/dev/null 2>&1 || { echo "ensure-chromium: 'chromium' installed but not in PATH" >&2; exit 1; }
