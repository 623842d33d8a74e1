#!/usr/bin/env bash
# The cost of events on writes: POST /api/v1/customers on three servers taking
# turns request by request — pivotal at BASE (default 5fc8597, main before
# events), this checkout, and this checkout with one live webhook endpoint
# subscribed (a message per write; its target refuses connections, so the
# dispatcher works too). Each has a database of its own on DATABASE_URL's
# server (created and dropped here). Usage:
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable bench/outbox.sh [N] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
RUNS=${2:-3}
BASE=${BASE:-5fc8597}
: "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL server where databases can be created}"
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for d in base events endpoint; do psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS pivotal_outbox_$d" || true; done
	rm -rf "$work"
}
trap cleanup EXIT
git archive "$BASE" | tar -x -C "$work" --one-top-level=base
(cd "$work/base" && go build -o "$work/pivotal-base" .)
go build -o "$work/pivotal" .
go build -o "$work/benchtool" ./bench/benchtool
url() { echo "${DATABASE_URL%/*}/pivotal_outbox_$1?${DATABASE_URL#*\?}"; }
targets=()
port=18301
for d in base events endpoint; do
	psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS pivotal_outbox_$d" -c "CREATE DATABASE pivotal_outbox_$d"
	bin="$work/pivotal"; [ "$d" = base ] && bin="$work/pivotal-base"
	key=$(DATABASE_URL=$(url $d) "$bin" keys create --workspace bench --tier unlimited)
	if [ "$d" = endpoint ]; then
		DATABASE_URL=$(url $d) "$bin" webhooks create --workspace bench --url http://127.0.0.1:9/ --allow-private >/dev/null
	fi
	DATABASE_URL=$(url $d) PIVOTAL_WEBHOOK_ALLOW_PRIVATE=true PIVOTAL_LOG_FORMAT=json \
		"$bin" serve --addr 127.0.0.1:$port 2>"$work/$d.log" >/dev/null &
	pids+=($!)
	targets+=("$d=http://127.0.0.1:$port=$key")
	port=$((port + 1))
done
for p in 18301 18302 18303; do
	until curl -sf "http://127.0.0.1:$p/api/health/deep" >/dev/null; do sleep 0.2; done
done
for r in $(seq "$RUNS"); do
	echo "run $r"
	"$work/benchtool" interleave "$N" "${targets[@]}"
done
