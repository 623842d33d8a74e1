#!/bin/sh
# Rebuilds graphiql/assets (the GraphiQL page's script, style sheet and
# third-party notices, embedded in the binary) from the npm versions pinned in
# graphiql/ui/package.json and package-lock.json. The output is committed: the
# server never needs npm. The same lock file gives the same bytes.
#
# To update GraphiQL: change the versions in graphiql/ui/package.json, run
# `npm install --package-lock-only` there, then `make graphiql-assets`, and
# commit all three with a message saying the assets came from this script.
set -eu
cd "$(dirname "$0")/../graphiql/ui"
if ! command -v npm >/dev/null 2>&1; then
	echo "graphiql-assets: npm is needed (Node 18 or later): sudo apt-get install -y nodejs npm" >&2
	exit 1
fi
echo "graphiql-assets: npm ci (versions from graphiql/ui/package-lock.json)"
npm ci --no-audit --no-fund --loglevel=error
echo "graphiql-assets: bundling into graphiql/assets"
npm run --silent build
cd ../assets
sha256sum graphiql.js graphiql.css THIRD_PARTY_NOTICES.txt
