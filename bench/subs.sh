#!/usr/bin/env bash
# Issue 12's benchmark: N GraphQL subscriptions on one pivotal instance (default
# 1000), a burst of WRITES customer updates (default 100). Prints commit→delivery
# percentiles over every delivery, statements per event fanned out, and the
# server's peak RSS. Needs DATABASE_URL (a database of its own: it is migrated
# and written to).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
WRITES=${WRITES:-100}
: "${DATABASE_URL:?set DATABASE_URL to a scratch database}"
go build -o bin/pivotal . && go build -o bin/benchtool ./bench/benchtool
export DATABASE_URL
KEY=$(./bin/pivotal keys create --workspace subs-bench --name bench --tier unlimited)
export KEY
PORT=$((20000 + RANDOM % 10000))
MPORT=$((PORT + 1))
PIVOTAL_SUBSCRIPTIONS_PER_KEY=$((N + 10)) \
  ./bin/pivotal serve --addr 127.0.0.1:$PORT --metrics-addr 127.0.0.1:$MPORT 2>/tmp/pivotal-subs-bench.log &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf localhost:$PORT/api/health/deep >/dev/null && break; sleep 0.1; done
CUSTOMER=$(curl -sf localhost:$PORT/api/v1/customers -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
  -d "{\"name\":\"Bench\",\"slug\":\"bench-$RANDOM\"}" | sed 's/.*"id":"\([^"]*\)".*/\1/')
curl -sf localhost:$PORT/api/v1/customers/$CUSTOMER/contacts -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
  -d '{"name":"Ann","email":"ann@bench.test","is_primary":true}' >/dev/null
export CUSTOMER
./bin/benchtool subs "http://127.0.0.1:$PORT" "http://127.0.0.1:$MPORT/metrics" $PID "$N" "$WRITES"
