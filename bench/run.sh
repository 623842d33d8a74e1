#!/usr/bin/env bash
# bench/run.sh (make bench): issue 4's benchmark, reproducible on any Debian or
# Ubuntu machine with Go, PostgreSQL's server packages and Node.js.
#
# It starts a throwaway PostgreSQL (unix socket only, in a temporary directory),
# seeds 1,000 customers × 5 contacts × 3 onboardings, starts `pivotal serve`
# on 127.0.0.1 with an unlimited key, and drives, with wrk at 16 connections
# for DURATION each:
#   R1  GET /api/v1/customers?limit=100      pivotal, and pgbench running its SQL
#   Q2  two-level dashboard query             pivotal, PostGraphile, pgbench
#   Q3  three-level dashboard query           pivotal
# pgbench replays the exact statements pivotal issued for one request (captured
# from PostgreSQL's log with log_statement = all, parameters inlined): the
# ceiling no server on this machine can beat. It prints req/s, p50 and p99
# latency, SQL statements per request (from pivotal's access log), peak RSS, and
# each competitor as a ratio to pivotal.
#
# Environment: DURATION (20s), CONNECTIONS (16), THREADS (2), CUSTOMERS (1000),
# PORT (18080), POSTGRAPHILE_PORT (18081), SKIP_POSTGRAPHILE=1 to leave it out.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${DURATION:-20s}
SECS=${DURATION%s}
CONNS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
CUSTOMERS=${CUSTOMERS:-1000}
PORT=${PORT:-18080}
PGQL_PORT=${POSTGRAPHILE_PORT:-18081}
. bench/queries.sh

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
case $SECS in '' | *[!0-9]*) die "DURATION must be whole seconds, like 20s" ;; esac

# ---------------------------------------------------------------- tools
sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v wrk >/dev/null; then
	say "installing wrk (Debian package)"
	sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null ||
		{ sudo_if_needed apt-get update -qq && sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null; }
fi
PGBIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | sort -V | tail -1)" 2>/dev/null || true)
PGBENCH=$(command -v pgbench || echo "$PGBIN/pgbench")
PSQL=$(command -v psql || echo "$PGBIN/psql")
[ -x "$PGBENCH" ] && [ -x "$PSQL" ] || die "pgbench and psql are needed (apt-get install postgresql postgresql-client)"
if [ -z "${SKIP_POSTGRAPHILE:-}" ]; then
	command -v npm >/dev/null || die "npm is needed for PostGraphile (apt-get install nodejs npm), or set SKIP_POSTGRAPHILE=1"
	if [ ! -x bench/node_modules/.bin/postgraphile ]; then
		say "installing PostGraphile into bench/node_modules"
		npm install --prefix bench --no-audit --no-fund --loglevel=error >/dev/null
	fi
fi

# ---------------------------------------------------------------- processes
WORK=$(mktemp -d /tmp/pivotal-bench.XXXXXX)
chmod 755 "$WORK" # the server runs as postgres when we are root: it must reach $WORK/pg
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "building"
go build -o "$WORK/pivotal" .
go build -o "$WORK/benchtool" ./bench/benchtool

say "starting a throwaway PostgreSQL in $WORK/pg"
"$WORK/benchtool" cluster "$WORK/pg" >"$WORK/cluster.env" 2>"$WORK/cluster.log" &
PIDS+=($!)
for _ in $(seq 600); do grep -q '^READY=1' "$WORK/cluster.env" && break; sleep 0.1; done
grep -q '^READY=1' "$WORK/cluster.env" || die "PostgreSQL did not start: $(cat "$WORK/cluster.log")"
set -a
. "$WORK/cluster.env" # PGHOST (a socket directory), PGPORT, PGUSER, PGDATABASE, DATABASE_URL, PGLOG
set +a
unset PGPASSWORD PGSERVICE
psql() { "$PSQL" -X -v ON_ERROR_STOP=1 "$@"; }

say "seeding $CUSTOMERS customers × 5 contacts × 3 onboardings"
KEY=$("$WORK/pivotal" seed --workspace bench --customers "$CUSTOMERS" --contacts 5 --onboardings 3 --key-tier unlimited 2>"$WORK/seed.log") ||
	die "seed failed: $(cat "$WORK/seed.log")"
WS=$(psql -Atc "SELECT id FROM workspaces WHERE slug = 'bench'")
psql -qc "VACUUM ANALYZE"

say "starting pivotal on 127.0.0.1:$PORT"
PIVOTAL_LOG_FORMAT=json "$WORK/pivotal" serve --addr "127.0.0.1:$PORT" >"$WORK/server.out" 2>"$WORK/server.log" &
SERVER_PID=$!
PIDS+=($SERVER_PID)
BASE=http://127.0.0.1:$PORT
for _ in $(seq 300); do curl -sf "$BASE/api/health/deep" >/dev/null && break; sleep 0.1; done
curl -sf "$BASE/api/health/deep" >/dev/null || die "pivotal did not start: $(tail -5 "$WORK/server.log")"

if [ -z "${SKIP_POSTGRAPHILE:-}" ]; then
	say "starting PostGraphile on 127.0.0.1:$PGQL_PORT"
	PG_URL="postgres://$PGUSER@${PGHOST//\//%2F}:$PGPORT/$PGDATABASE"
	NODE_ENV=production bench/node_modules/.bin/postgraphile -c "$PG_URL" --schema public \
		--host 127.0.0.1 --port "$PGQL_PORT" --disable-query-log >"$WORK/postgraphile.log" 2>&1 &
	PGQL_PID=$!
	PIDS+=($PGQL_PID)
fi

# ---------------------------------------------------------------- measuring
declare -A RPS P50 P99 SQL RSS NOTE

# ms converts wrk's latency (850.00us, 1.23ms, 2.01s, 1.00m) to milliseconds.
ms() { awk '{ v = $1 + 0; u = $1; sub(/^[0-9.]+/, "", u);
	if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000;
	printf "%.2f", v }'; }

hwm_mb() { awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# wrk_run NAME URL KEY [BODY_FILE]: GET without a body file, POST with one.
wrk_run() {
	local name=$1 url=$2 key=$3 body=${4:-} out=$WORK/wrk-$1.txt
	say "$name: wrk -c$CONNS -t$THREADS -d$DURATION"
	if [ -n "$body" ]; then
		KEY=$key BODY_FILE=$body wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s bench/post.lua "$url" >"$out"
	else
		wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -H "Authorization: Bearer $key" "$url" >"$out"
	fi
	RPS[$name]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
	P50[$name]=$(awk '$1 == "50%" { print $2 }' "$out" | ms)
	P99[$name]=$(awk '$1 == "99%" { print $2 }' "$out" | ms)
	if grep -q 'Non-2xx' "$out"; then NOTE[$name]="$(grep 'Non-2xx' "$out" | tr -s ' ')"; fi
	if grep -q 'Socket errors' "$out"; then NOTE[$name]="${NOTE[$name]:-} $(grep 'Socket errors' "$out" | tr -s ' ')"; fi
}

# pivotal_run NAME URL [BODY_FILE]: wrk against pivotal, plus statements per
# request from its access log and its peak RSS so far.
pivotal_run() {
	local name=$1 from
	from=$(wc -l <"$WORK/server.log")
	wrk_run "$name" "$2" "$KEY" "${3:-}"
	SQL[$name]=$(tail -n +"$((from + 1))" "$WORK/server.log" | grep '"msg":"request"' |
		grep -o '"sql_statements":[0-9]*' | awk -F: '{ s += $2; n++ } END { if (n) printf "%.2f", s / n }')
	RSS[$name]=$(hwm_mb "$SERVER_PID")
}

# capture NAME CURL_ARGS...: the statements pivotal runs for one request, as a
# pgbench script. A first request makes sure the key's last use is recent (no
# background touch lands in the capture).
capture() {
	local name=$1 off
	shift
	curl -s -o /dev/null "$@"
	sleep 1
	off=$(stat -c %s "$PGLOG")
	psql -qc "ALTER SYSTEM SET log_statement = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
	sleep 0.5
	curl -s -o /dev/null "$@"
	psql -qc "ALTER SYSTEM RESET log_statement" -c "SELECT pg_reload_conf()" >/dev/null
	sleep 0.3
	"$WORK/benchtool" pgscript "$PGLOG" "$off" >"$WORK/$name.sql"
}

# pct P FILE: the P-quantile of FILE's sorted numbers.
pct() { awk -v p="$1" '{ a[NR] = $1 } END { i = int(NR * p); if (i < 1) i = 1; printf "%.2f", a[i] }' "$2"; }

# pgbench_run NAME SCRIPT: the script as one transaction per request, 16 clients.
pgbench_run() {
	local name=$1 dir=$WORK/pgbench-$1
	say "$name: pgbench -c$CONNS -j$THREADS -T$SECS ($(grep -c ';$' "$2") statements per transaction)"
	mkdir -p "$dir"
	(cd "$dir" && "$PGBENCH" -n -M extended -c "$CONNS" -j "$THREADS" -T "$SECS" -l -f "$2" >out.txt 2>err.txt) ||
		die "pgbench failed: $(cat "$dir/err.txt")"
	RPS[$name]=$(awk '/^tps = / { printf "%.0f", $3; exit }' "$dir/out.txt")
	cat "$dir"/pgbench_log.* | awk '{ print $3 / 1000 }' | sort -n >"$dir/lat.txt"
	P50[$name]=$(pct 0.50 "$dir/lat.txt")
	P99[$name]=$(pct 0.99 "$dir/lat.txt")
	SQL[$name]=$(grep -c ';$' "$2")
}

# graphql_ok URL KEY BODY_FILE: the query answers without errors.
graphql_ok() {
	local auth=()
	[ -n "$2" ] && auth=(-H "Authorization: Bearer $2")
	curl -s "${auth[@]}" -H 'Content-Type: application/json' --data-binary @"$3" "$1" >"$3.response"
	grep -q '"data"' "$3.response" && ! grep -q '"errors"' "$3.response"
}

json_body "$Q2" >"$WORK/q2.json"
json_body "$Q3" >"$WORK/q3.json"
json_body "$(pg_q2 "$WS")" >"$WORK/pg-q2.json"

# R1
pivotal_run "R1 pivotal" "$BASE$R1_PATH"
capture r1 -H "Authorization: Bearer $KEY" "$BASE$R1_PATH"
pgbench_run "R1 pgbench" "$WORK/r1.sql"

# Q2, Q3
if graphql_ok "$BASE/graphql" "$KEY" "$WORK/q2.json"; then
	pivotal_run "Q2 pivotal" "$BASE/graphql" "$WORK/q2.json"
	capture q2 -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' --data-binary @"$WORK/q2.json" "$BASE/graphql"
	pgbench_run "Q2 pgbench" "$WORK/q2.sql"
else
	NOTE["Q2 pivotal"]="answered with errors: $(head -c 300 "$WORK/q2.json.response")"
fi
if graphql_ok "$BASE/graphql" "$KEY" "$WORK/q3.json"; then
	pivotal_run "Q3 pivotal" "$BASE/graphql" "$WORK/q3.json"
else
	NOTE["Q3 pivotal"]="answered with errors: $(head -c 300 "$WORK/q3.json.response")"
fi
if [ -z "${SKIP_POSTGRAPHILE:-}" ]; then
	for _ in $(seq 300); do graphql_ok "http://127.0.0.1:$PGQL_PORT/graphql" "" "$WORK/pg-q2.json" && break; sleep 0.1; done
	if graphql_ok "http://127.0.0.1:$PGQL_PORT/graphql" "" "$WORK/pg-q2.json"; then
		wrk_run "Q2 postgraphile" "http://127.0.0.1:$PGQL_PORT/graphql" "" "$WORK/pg-q2.json"
		RSS["Q2 postgraphile"]=$(hwm_mb "$PGQL_PID")
	else
		NOTE["Q2 postgraphile"]="failed: $(head -c 300 "$WORK/pg-q2.json.response") $(tail -3 "$WORK/postgraphile.log")"
	fi
fi

# ---------------------------------------------------------------- report
ratio() { awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else printf "-" }'; }
{
	echo
	echo "pivotal benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "machine: $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr)"
	echo "software: $(go version | awk '{ print $3 }'), $(psql -Atc 'SHOW server_version' | awk '{ print "PostgreSQL " $1 }'), $(wrk --version 2>&1 | head -1 | awk '{ print $1, $2 }'), node $(node --version 2>/dev/null || echo '-'), PostGraphile $(node -p "require('./bench/node_modules/postgraphile/package.json').version" 2>/dev/null || echo '-')"
	echo "load: $CONNS connections, $THREADS threads, $DURATION per run; data: $CUSTOMERS customers × 5 contacts × 3 onboardings"
	echo
	printf '%-18s %9s %9s %9s %8s %9s\n' "run" "req/s" "p50 ms" "p99 ms" "SQL/req" "peak RSS"
	for name in "R1 pivotal" "R1 pgbench" "Q2 pivotal" "Q2 postgraphile" "Q2 pgbench" "Q3 pivotal"; do
		if [ -n "${RPS[$name]:-}" ]; then
			printf '%-18s %9s %9s %9s %8s %9s\n' "$name" "${RPS[$name]}" "${P50[$name]}" "${P99[$name]}" \
				"${SQL[$name]:--}" "${RSS[$name]:+${RSS[$name]} MB}"
		fi
		if [ -n "${NOTE[$name]:-}" ]; then printf '%-18s %s\n' "$name" "note: ${NOTE[$name]}"; fi
	done
	echo
	echo "ratios (pivotal's throughput over the other's; targets from issue 4):"
	echo "  R1 pivotal / pgbench ceiling:  $(ratio "${RPS[R1 pivotal]:-}" "${RPS[R1 pgbench]:-}")   (target ≥ 0.60)"
	echo "  Q2 pivotal / pgbench ceiling:  $(ratio "${RPS[Q2 pivotal]:-}" "${RPS[Q2 pgbench]:-}")   (target ≥ 0.50)"
	echo "  Q2 pivotal / PostGraphile:     $(ratio "${RPS[Q2 pivotal]:-}" "${RPS[Q2 postgraphile]:-}")   (target ≥ 3, and a lower p99)"
	echo "  pivotal peak RSS:              $(hwm_mb "$SERVER_PID") MB   (target < 150 MB)"
} | tee bench/last-run.txt
