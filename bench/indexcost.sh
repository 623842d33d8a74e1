#!/usr/bin/env bash
# bench/indexcost.sh (make bench-indexes): what the list indexes of migration
# 0003 cost on writes. On a throwaway PostgreSQL seeded with CUSTOMERS
# customers × 3 onboardings (no contacts: the indexes are not on them), pgbench
# runs each write below on one connection for DURATION, first without the four
# indexes (dropped), then with them (created again), and reports transactions
# per second and WAL bytes per write (pg_current_wal_lsn; the robust figure on
# a shared machine) and the indexes' sizes.
#
#   insert customer        a new customer row
#   insert onboarding      a new onboarding row
#   update customer status changes an indexed column (with 0003): no HOT update
#   update onboarding state
#
# Environment: CUSTOMERS (100000), DURATION (10s).
set -euo pipefail

cd "$(dirname "$0")/.."
CUSTOMERS=${CUSTOMERS:-100000}
DURATION=${DURATION:-10s}
SECS=${DURATION%s}
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'indexcost: %s\n' "$*" >&2; exit 1; }
PGBIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | sort -V | tail -1)" 2>/dev/null || true)
PGBENCH=$(command -v pgbench || echo "$PGBIN/pgbench")
PSQL=$(command -v psql || echo "$PGBIN/psql")
[ -x "$PGBENCH" ] && [ -x "$PSQL" ] || die "pgbench and psql are needed (apt-get install postgresql postgresql-client)"

WORK=$(mktemp -d /tmp/pivotal-indexcost.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

go build -o "$WORK/pivotal" .
go build -o "$WORK/benchtool" ./bench/benchtool
"$WORK/benchtool" cluster "$WORK/pg" >"$WORK/cluster.env" 2>"$WORK/cluster.log" &
PIDS+=($!)
for _ in $(seq 900); do grep -q '^READY=1' "$WORK/cluster.env" && break; sleep 0.1; done
grep -q '^READY=1' "$WORK/cluster.env" || die "PostgreSQL did not start: $(cat "$WORK/cluster.log")"
set -a
. "$WORK/cluster.env"
set +a
unset PGPASSWORD PGSERVICE
psql() { "$PSQL" -X -v ON_ERROR_STOP=1 "$@"; }

say "seeding $CUSTOMERS customers × 3 onboardings"
"$WORK/pivotal" seed --workspace bench --customers "$CUSTOMERS" --contacts 0 --key=false >/dev/null
WS=$(psql -Atc "SELECT id FROM workspaces WHERE slug = 'bench'")
CID=$(psql -Atc "SELECT id FROM customers WHERE workspace_id = '$WS' ORDER BY created_at DESC LIMIT 1")
NONB=$(psql -Atc "SELECT count(*) FROM onboardings WHERE workspace_id = '$WS'")
psql -qc "CREATE SEQUENCE bench_seq START 100000000" -c "VACUUM ANALYZE"

cat >"$WORK/insert customer.sql" <<'EOF'
\set s random(0, 3)
INSERT INTO customers (workspace_id, id, display_id, name, slug, status, created_at, updated_at)
SELECT :ws, 'bench-' || n, n, 'Bench ' || n, 'bench-' || n, (ARRAY['active','onboarding','at_risk','churned'])[1 + :s], t, t
FROM nextval('bench_seq') AS n, clock_timestamp() AS t;
EOF
cat >"$WORK/insert onboarding.sql" <<'EOF'
\set s random(0, 3)
\set p random(1, 7)
INSERT INTO onboardings (workspace_id, id, display_id, customer_id, name, phase, state, waiting_on_customer, started_at, created_at, updated_at)
SELECT :ws, 'bench-' || n, n, :cid, 'Bench ' || n,
	(ARRAY['before_getting_started','program_design','review','program_buildout','internal_qa','launch','launch'])[:p],
	(ARRAY['active','paused','at_risk','waiting'])[1 + :s], :s = 3, t, t, t
FROM nextval('bench_seq') AS n, clock_timestamp() AS t;
EOF
cat >"$WORK/update customer status.sql" <<EOF
\set d random(1, $CUSTOMERS)
UPDATE customers SET status = CASE status WHEN 'active' THEN 'at_risk' ELSE 'active' END, updated_at = clock_timestamp()
WHERE workspace_id = :ws AND display_id = :d;
EOF
cat >"$WORK/update onboarding state.sql" <<EOF
\set d random(1, $NONB)
UPDATE onboardings SET state = CASE state WHEN 'active' THEN 'at_risk' ELSE 'active' END, updated_at = clock_timestamp()
WHERE workspace_id = :ws AND display_id = :d;
EOF

INDEXES=$(sed -n '/^-- +goose Up/,/^-- +goose Down/p' db/migrations/0003_list_indexes.sql | grep '^CREATE INDEX')
declare -A TPS WAL
OPS=("insert customer" "insert onboarding" "update customer status" "update onboarding state")
run() { # CONFIG
	local op lsn0 lsn1 n
	for op in "${OPS[@]}"; do
		say "$1: $op, pgbench -c1 -T$SECS"
		psql -qc "CHECKPOINT"
		lsn0=$(psql -Atc "SELECT pg_current_wal_lsn()")
		"$PGBENCH" -n -M prepared -c 1 -T "$SECS" -D "ws=$WS" -D "cid=$CID" -f "$WORK/$op.sql" >"$WORK/out.txt" 2>&1 ||
			die "pgbench: $(cat "$WORK/out.txt")"
		lsn1=$(psql -Atc "SELECT pg_current_wal_lsn()")
		n=$(grep -o 'actually processed: [0-9]*' "$WORK/out.txt" | grep -o '[0-9]*$')
		TPS["$1 $op"]=$(awk '/^tps = / { printf "%.0f", $3; exit }' "$WORK/out.txt")
		WAL["$1 $op"]=$(psql -Atc "SELECT round(pg_wal_lsn_diff('$lsn1', '$lsn0') / $n)")
	done
}
psql -qc "DROP INDEX customers_by_status, onboardings_by_state, onboardings_by_phase, onboardings_waiting" -c "VACUUM ANALYZE"
run without
psql -qc "$INDEXES" -c "VACUUM ANALYZE"
run with
{
	echo
	echo "list index write cost — $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "command: CUSTOMERS=$CUSTOMERS DURATION=$DURATION bench/indexcost.sh"
	echo "machine: $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(uname -sr); load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "data: $CUSTOMERS customers, $NONB onboardings; one connection, pgbench -M prepared"
	echo
	printf '%-26s %12s %12s %14s %14s\n' "write" "tps without" "tps with" "WAL B without" "WAL B with"
	for op in "${OPS[@]}"; do
		printf '%-26s %12s %12s %14s %14s\n' "$op" "${TPS[without $op]}" "${TPS[with $op]}" "${WAL[without $op]}" "${WAL[with $op]}"
	done
	echo
	echo "index sizes:"
	psql -Atc "SELECT '  ' || relname || ': ' || pg_size_pretty(pg_relation_size(oid)) FROM pg_class
		WHERE relname IN ('customers_by_status', 'onboardings_by_state', 'onboardings_by_phase', 'onboardings_waiting',
			'customers_list', 'onboardings_list', 'customers', 'onboardings') ORDER BY relname"
} | tee bench/last-indexcost.txt
