#!/usr/bin/env bash
# bench/run.sh (make bench): issue 9's benchmark, self-contained on any Debian
# or Ubuntu machine with Go, PostgreSQL's server packages and Node.js; it
# installs what else it needs (wrk; PostGraphile 4 and 5 from the npm
# lockfiles in bench/ and bench/pg5/).
#
# It starts its own throwaway PostgreSQL (unix socket only, in a temporary
# directory, pg_stat_statements preloaded with track_planning on), seeds it
# with `pivotal seed`, starts `pivotal serve`, PostGraphile 4 and PostGraphile
# 5, and measures:
#   R1  GET /api/v1/customers?limit=100
#   Q2  two-level dashboard query (Relay edges form), also on PostGraphile 4 and 5
#   Q3  three-level dashboard query
#   plain  pgbench replaying plain statements that read the same rows (bench/plain/)
# each with wrk (or pgbench) at CONNECTIONS connections for DURATION: req/s, p50,
# p99, SQL statements per request (pivotal's access log); and, one request at a
# time (DBTIME_REQUESTS of them), the database time per request from
# pg_stat_statements (exec + plan) and its statements per request. Then every
# documented list filter, dense and sparse, and pages far into a cursor walk
# (database time per request). Also pivotal's peak RSS.
#
# SCALE=1k (default): 1,000 customers × 5 contacts × 3 onboardings.
# SCALE=100k: 100,000 customers, and the list filters and Q2/Q3/R1's database
# time also at 1,000 (another workspace of the same database) for the ratio.
# The ratio compares the same answer: each list filter is measured at both
# sizes with the limit its 1,000-customer workspace fills (the rows it answers
# to limit=100, at least 1). A filter that answers a full page at 100,000 only
# is also shown with that page, against the unfiltered 1,000-customer page of
# the same list (100 rows each).
#
# Environment: SCALE (1k), DURATION (20s), CONNECTIONS (16), THREADS (2),
# DBTIME_REQUESTS (200), PORT (18080), PG4_PORT (18081), PG5_PORT (18082) (each
# moved up to the next free port when taken), SKIP_POSTGRAPHILE=1 to leave both out.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
SCALE=${SCALE:-1k}
DURATION=${DURATION:-20s}
SECS=${DURATION%s}
CONNS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
NREQ=${DBTIME_REQUESTS:-200}
. bench/queries.sh

# free_port P: P, or the next port after it that nothing listens on (other
# servers on a shared machine must not answer in place of ours).
free_port() {
	local p=$1
	while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
	echo "$p"
}
PORT=$(free_port "${PORT:-18080}")
PG4_PORT=$(free_port "${PG4_PORT:-$((PORT + 1))}")
PG5_PORT=$(free_port "${PG5_PORT:-$((PG4_PORT + 1))}")

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
case $SECS in '' | *[!0-9]*) die "DURATION must be whole seconds, like 20s" ;; esac
case $SCALE in
1k) CUSTOMERS=1000 ;;
100k) CUSTOMERS=100000 ;;
*) die "SCALE must be 1k or 100k" ;;
esac

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
[ -n "$(ls /usr/lib/postgresql/*/lib/pg_stat_statements.so 2>/dev/null)" ] ||
	die "pg_stat_statements is needed (Debian's postgresql package has it)"
if [ -z "${SKIP_POSTGRAPHILE:-}" ]; then
	command -v npm >/dev/null || die "npm is needed for PostGraphile (apt-get install nodejs npm), or set SKIP_POSTGRAPHILE=1"
	for d in bench bench/pg5; do
		if [ ! -x "$d/node_modules/.bin/postgraphile" ]; then
			say "installing PostGraphile into $d/node_modules (npm ci, from $d/package-lock.json)"
			npm ci --prefix "$d" --no-audit --no-fund --loglevel=error --engine-strict=false >/dev/null
		fi
	done
	# PostGraphile 5 declares Node >= 22; older Nodes get Promise.withResolvers.
	NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
	PG5_NODE_ARGS=()
	[ "$NODE_MAJOR" -ge 22 ] || PG5_NODE_ARGS=(--import ./polyfill.mjs)
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
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- . ':!*.md' 2>/dev/null || echo ' (modified)')"

say "building"
go build -o "$WORK/pivotal" .
go build -o "$WORK/benchtool" ./bench/benchtool

say "starting a throwaway PostgreSQL in $WORK/pg (pg_stat_statements, track_planning = on)"
"$WORK/benchtool" cluster "$WORK/pg" >"$WORK/cluster.env" 2>"$WORK/cluster.log" &
PIDS+=($!)
for _ in $(seq 900); do grep -q '^READY=1' "$WORK/cluster.env" && break; sleep 0.1; done
grep -q '^READY=1' "$WORK/cluster.env" || die "PostgreSQL did not start: $(cat "$WORK/cluster.log")"
set -a
. "$WORK/cluster.env" # PGHOST (a socket directory), PGPORT, PGUSER, PGDATABASE, DATABASE_URL, PGLOG
set +a
unset PGPASSWORD PGSERVICE
psql() { "$PSQL" -X -v ON_ERROR_STOP=1 "$@"; }

# seed WS N [FLAGS...]: workspace WS with N customers; prints its key.
declare -A KEYS WSID SEEDED
seed() {
	local ws=$1 n=$2 began
	shift 2
	began=$(date +%s.%N)
	KEYS[$ws]=$("$WORK/pivotal" seed --workspace "$ws" --customers "$n" --key-tier unlimited "$@" 2>"$WORK/seed.log") ||
		die "seed failed: $(cat "$WORK/seed.log")"
	WSID[$ws]=$(psql -Atc "SELECT id FROM workspaces WHERE slug = '$ws'")
	SEEDED[$ws]="$(awk -v a="$began" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
	say "seeded $ws: $n customers $* in ${SEEDED[$ws]}"
}
# The main workspace "bench" (sparse values: db.Seed), and "dense" with every
# status, state and phase common (no contacts: the filters do not read them).
# At 100k, "bench1k" and "dense1k" are the 1,000-customer comparison.
SIZES=(main)
seed bench "$CUSTOMERS"
seed dense "$CUSTOMERS" --contacts 0 --dense
if [ "$SCALE" = 100k ]; then
	SIZES=(1k main)
	seed bench1k 1000
	seed dense1k 1000 --contacts 0 --dense
fi
psql -qc "VACUUM ANALYZE"
say "database: $(psql -Atc "SELECT pg_size_pretty(pg_database_size(current_database()))")"

say "starting pivotal on 127.0.0.1:$PORT"
PIVOTAL_LOG_FORMAT=json "$WORK/pivotal" serve --addr "127.0.0.1:$PORT" >"$WORK/server.out" 2>"$WORK/server.log" &
SERVER_PID=$!
PIDS+=($SERVER_PID)
BASE=http://127.0.0.1:$PORT
for _ in $(seq 300); do curl -sf "$BASE/api/health/deep" >/dev/null && break; sleep 0.1; done
curl -sf "$BASE/api/health/deep" >/dev/null && kill -0 "$SERVER_PID" 2>/dev/null ||
	die "pivotal did not start: $(tail -5 "$WORK/server.log")"

PG_URL="postgres://$PGUSER@${PGHOST//\//%2F}:$PGPORT/$PGDATABASE"
if [ -z "${SKIP_POSTGRAPHILE:-}" ]; then
	say "starting PostGraphile 4 on 127.0.0.1:$PG4_PORT and 5 on 127.0.0.1:$PG5_PORT"
	NODE_ENV=production bench/node_modules/.bin/postgraphile -c "$PG_URL" --schema public \
		--host 127.0.0.1 --port "$PG4_PORT" --disable-query-log >"$WORK/pg4.log" 2>&1 &
	PG4_PID=$!
	PIDS+=($PG4_PID)
	(cd bench/pg5 && NODE_ENV=production DATABASE_URL="$PG_URL" PORT=$PG5_PORT \
		exec node "${PG5_NODE_ARGS[@]}" node_modules/.bin/postgraphile -C graphile.config.mjs >"$WORK/pg5.log" 2>&1) &
	PG5_PID=$!
	PIDS+=($PG5_PID)
fi

# ---------------------------------------------------------------- measuring
declare -A RPS P50 P99 SQL RSS NOTE DBMS DBSQL DBMIN DBPLANS

# ms converts wrk's latency (850.00us, 1.23ms, 2.01s, 1.00m) to milliseconds.
ms() { awk '{ v = $1 + 0; u = $1; sub(/^[0-9.]+/, "", u);
	if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000;
	printf "%.2f", v }'; }

hwm_mb() { awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# wrk_run NAME URL KEY [BODY_FILE]: GET without a body file, POST with one.
wrk_run() {
	local name=$1 url=$2 key=$3 body=${4:-} out=$WORK/wrk-${1// /_}.txt
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
	wrk_run "$name" "$2" "${KEYS[bench]}" "${3:-}"
	SQL[$name]=$(tail -n +"$((from + 1))" "$WORK/server.log" | grep '"msg":"request"' |
		grep -o '"sql_statements":[0-9]*' | awk -F: '{ s += $2; n++ } END { if (n) printf "%.2f", s / n }')
	RSS[$name]=$(hwm_mb "$SERVER_PID")
}

# dbtime NAME KEY URL [BODY_FILE]: NREQ requests one at a time; the database
# time, statements and plannings per request from pg_stat_statements.
dbtime() {
	local name=$1 out
	out=$(KEY=$2 "$WORK/benchtool" dbtime "$NREQ" "$3" ${4:+"$4"}) || { NOTE[$name]="dbtime failed"; return 0; }
	local a b c p
	read -r a b c _ p <<<"$out"
	DBMS[$name]=$a DBSQL[$name]=$b DBMIN[$name]=$c DBPLANS[$name]=$p
}

# pct P FILE: the P-quantile of FILE's sorted numbers.
pct() { awk -v p="$1" '{ a[NR] = $1 } END { i = int(NR * p); if (i < 1) i = 1; printf "%.2f", a[i] }' "$2"; }

# plain_run NAME SCRIPT WS: the plain-rows reference. pgbench -M prepared at
# CONNECTIONS clients for DURATION (one transaction per request), then one
# client for NREQ transactions with pg_stat_statements reset before.
plain_run() {
	local name=$1 script=$ROOT/$2 ws=$3 dir=$WORK/pgbench-${1// /_} vars
	mkdir -p "$dir"
	vars=(-D "ws=${WSID[$ws]}" -D "hash=$(psql -Atc "SELECT '\\x' || encode(hash, 'hex') FROM api_keys WHERE workspace_id = '${WSID[$ws]}' LIMIT 1")"
		-D "ids=$(psql -Atc "SELECT '{' || string_agg(id, ',' ORDER BY created_at DESC) || '}' FROM (SELECT id, created_at FROM customers
			WHERE workspace_id = '${WSID[$ws]}' AND deleted_at IS NULL ORDER BY created_at DESC LIMIT 100) p")")
	if [ "$ws" = bench ]; then
		say "$name: pgbench -M prepared -c$CONNS -j$THREADS -T$SECS ($(grep -c ';$' "$script") statements per transaction)"
		(cd "$dir" && "$PGBENCH" -n -M prepared -c "$CONNS" -j "$THREADS" -T "$SECS" -l "${vars[@]}" -f "$script" >out.txt 2>err.txt) ||
			die "pgbench failed: $(cat "$dir/err.txt")"
		RPS[$name]=$(awk '/^tps = / { printf "%.0f", $3; exit }' "$dir/out.txt")
		cat "$dir"/pgbench_log.* | awk '{ print $3 / 1000 }' | sort -n >"$dir/lat.txt"
		P50[$name]=$(pct 0.50 "$dir/lat.txt")
		P99[$name]=$(pct 0.99 "$dir/lat.txt")
		SQL[$name]=$(grep -c ';$' "$script")
	fi
	psql -qAtc "SELECT pg_stat_statements_reset()" >/dev/null
	(cd "$dir" && "$PGBENCH" -n -M prepared -c 1 -t "$NREQ" "${vars[@]}" -f "$script" >out1.txt 2>err1.txt) ||
		die "pgbench failed: $(cat "$dir/err1.txt")"
	local a b c
	read -r a b c <<<"$(psql -qAt -F ' ' -c "SELECT round((sum(total_exec_time + total_plan_time) / $NREQ)::numeric, 3),
		round((sum(calls)::numeric / $NREQ), 2), round((sum((min_exec_time + min_plan_time) * calls) / $NREQ)::numeric, 3)
		FROM pg_stat_statements
		WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%pg_stat_statements%'")"
	DBMS[$name]=$a DBSQL[$name]=$b DBMIN[$name]=$c
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
json_body "$(pg_q2 "${WSID[bench]}" id)" >"$WORK/pg4-q2.json"
json_body "$(pg_q2 "${WSID[bench]}" rowId)" >"$WORK/pg5-q2.json"

# R1, Q2, Q3 on pivotal, and their plain-rows references.
pivotal_run "R1 pivotal" "$BASE$R1_PATH"
dbtime "R1 pivotal" "${KEYS[bench]}" "$BASE$R1_PATH"
plain_run "R1 plain" bench/plain/r1.sql bench
for q in Q2 Q3; do
	body=$WORK/${q,,}.json
	if graphql_ok "$BASE/graphql" "${KEYS[bench]}" "$body"; then
		pivotal_run "$q pivotal" "$BASE/graphql" "$body"
		dbtime "$q pivotal" "${KEYS[bench]}" "$BASE/graphql" "$body"
	else
		NOTE["$q pivotal"]="answered with errors: $(head -c 300 "$body.response")"
	fi
	plain_run "$q plain" "bench/plain/${q,,}.sql" bench
done

# Q2 on PostGraphile 4 and 5.
if [ -z "${SKIP_POSTGRAPHILE:-}" ]; then
	for v in 4 5; do
		name="Q2 PostGraphile $v" port_var=PG${v}_PORT pid_var=PG${v}_PID
		url=http://127.0.0.1:${!port_var}/graphql body=$WORK/pg$v-q2.json
		for _ in $(seq 600); do graphql_ok "$url" "" "$body" && break; sleep 0.1; done
		if graphql_ok "$url" "" "$body" && kill -0 "${!pid_var}" 2>/dev/null; then
			wrk_run "$name" "$url" "" "$body"
			RSS[$name]=$(hwm_mb "${!pid_var}")
			dbtime "$name" "" "$url" "$body"
		else
			NOTE[$name]="failed: $(head -c 300 "$body.response") $(tail -3 "$WORK/pg$v.log")"
		fi
	done
fi

# The list filters, dense and sparse, and far cursor pages: database time per
# request, one request at a time, at each size. A filter's dense value is
# measured in the "dense" workspace (the same value on a large share of its
# rows), its sparse one in "bench" (0.1 % of the rows or fewer). Each is asked
# for a full page (limit=100); at 100k also, at both sizes, for as many rows as
# the 1,000-customer workspace answers (at least 1), so that the two sizes are
# compared on the same answer.
declare -A FROWS FWS FPATH LIM
FILTER_NAMES=()
cursor_at() { # WS TABLE FRACTION: the REST cursor of the row that deep into the list
	psql -Atc "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM $2
		WHERE workspace_id = '$1' AND deleted_at IS NULL ORDER BY created_at DESC
		OFFSET (SELECT (count(*) * $3)::int FROM $2 WHERE workspace_id = '$1' AND deleted_at IS NULL) LIMIT 1"
}
define_filters() { # SUFFIX: "" for the main size, 1k for the comparison workspaces
	local sfx=$1 b=bench$1 d=dense$1 oldest newest
	oldest=$(psql -Atc "SELECT id FROM customers WHERE workspace_id = '${WSID[$b]}' ORDER BY created_at LIMIT 1")
	newest=$(psql -Atc "SELECT id FROM customers WHERE workspace_id = '${WSID[$b]}' ORDER BY created_at DESC LIMIT 1")
	FILTER_NAMES=()
	filter() { # NAME WORKSPACE PATH (without its limit)
		FILTER_NAMES+=("$1")
		FWS["$sfx|$1"]=$2 FPATH["$sfx|$1"]=$3
	}
	filter "customers (no filter)" "$b" "/api/v1/customers"
	filter "customers status=churned dense" "$d" "/api/v1/customers?status=churned"
	filter "customers status=churned sparse" "$b" "/api/v1/customers?status=churned"
	filter "customers slug (one row)" "$b" "/api/v1/customers?slug=seed-17"
	filter "customers slug (no row)" "$b" "/api/v1/customers?slug=nobody"
	filter "customers cursor 90 % deep" "$b" "/api/v1/customers?cursor=$(cursor_at "${WSID[$b]}" customers 0.9)"
	filter "onboardings (no filter)" "$b" "/api/v1/onboardings"
	filter "onboardings state=paused dense" "$d" "/api/v1/onboardings?state=paused"
	filter "onboardings state=paused sparse" "$b" "/api/v1/onboardings?state=paused"
	filter "onboardings phase=internal_qa dense" "$d" "/api/v1/onboardings?phase=internal_qa"
	filter "onboardings phase=internal_qa sparse" "$b" "/api/v1/onboardings?phase=internal_qa"
	filter "onboardings customer_id dense (1 %)" "$b" "/api/v1/onboardings?customer_id=$oldest"
	filter "onboardings customer_id sparse (≤ 3 rows)" "$b" "/api/v1/onboardings?customer_id=$newest"
	filter "onboardings state=waiting dense" "$d" "/api/v1/onboardings?state=waiting"
	filter "onboardings state=waiting sparse" "$b" "/api/v1/onboardings?state=waiting"
	filter "onboardings cursor 90 % deep" "$b" "/api/v1/onboardings?cursor=$(cursor_at "${WSID[$b]}" onboardings 0.9)"
}
# measure_filter NAME SUFFIX LIMIT RESULT: filter NAME of size SUFFIX with
# limit=LIMIT; its database time under RESULT, and the rows it answers.
measure_filter() {
	local ws=${FWS[$2|$1]} path=${FPATH[$2|$1]} url
	case $path in *\?*) path="$path&limit=$3" ;; *) path="$path?limit=$3" ;; esac
	url=$BASE$path
	say "filter${2:+ $2}: $1 (limit=$3)"
	dbtime "$4" "${KEYS[$ws]}" "$url"
	FROWS[$4]=$(curl -s -H "Authorization: Bearer ${KEYS[$ws]}" "$url" | { grep -o '"object":"[a-z]*","id"' || true; } | wc -l)
}
define_filters ""
for name in "${FILTER_NAMES[@]}"; do measure_filter "$name" "" 100 "F $name"; done
if [ "$SCALE" = 100k ]; then
	define_filters 1k
	for name in "${FILTER_NAMES[@]}"; do measure_filter "$name" 1k 100 "F1k $name"; done
	# Like for like: the limit the 1,000-customer workspace fills (a full page
	# needs no second run).
	for name in "${FILTER_NAMES[@]}"; do
		LIM[$name]=${FROWS[F1k $name]:-0}
		[ "${LIM[$name]}" -ge 1 ] || LIM[$name]=1
		if [ "${LIM[$name]}" -ge 100 ]; then
			for k in "" 1k; do
				DBMS[L$k $name]=${DBMS[F$k $name]:-} DBMIN[L$k $name]=${DBMIN[F$k $name]:-} FROWS[L$k $name]=${FROWS[F$k $name]:-}
				DBPLANS[L$k $name]=${DBPLANS[F$k $name]:-}
			done
		else
			measure_filter "$name" 1k "${LIM[$name]}" "L1k $name"
			measure_filter "$name" "" "${LIM[$name]}" "L $name"
		fi
	done
	for q in R1 Q2 Q3; do
		say "$q at 1,000 customers (workspace bench1k): database time"
		case $q in
		R1) dbtime "R1 pivotal 1k" "${KEYS[bench1k]}" "$BASE$R1_PATH" ;;
		*) dbtime "$q pivotal 1k" "${KEYS[bench1k]}" "$BASE/graphql" "$WORK/${q,,}.json" ;;
		esac
	done
fi
PEAK_RSS=$(hwm_mb "$SERVER_PID")

# ---------------------------------------------------------------- report
ratio() { awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else printf "-" }'; }
{
	echo
	echo "pivotal benchmark — $(date -u +%Y-%m-%dT%H:%MZ), commit $COMMIT"
	echo "command: SCALE=$SCALE DURATION=$DURATION CONNECTIONS=$CONNS THREADS=$THREADS DBTIME_REQUESTS=$NREQ bench/run.sh"
	echo "machine: $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr); load average before $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "software: $(go version | awk '{ print $3 }'), $(psql -Atc 'SHOW server_version' | awk '{ print "PostgreSQL " $1 }'), $(wrk --version 2>&1 | head -1 | awk '{ print $1, $2 }'), node $(node --version 2>/dev/null || echo '-'), PostGraphile $(node -p "require('./bench/node_modules/postgraphile/package.json').version" 2>/dev/null || echo '-') and $(node -p "require('./bench/pg5/node_modules/postgraphile/package.json').version" 2>/dev/null || echo '-')"
	echo "data: $CUSTOMERS customers × 5 contacts × 3 onboardings (pivotal seed: ${SEEDED[bench]}); load: $CONNS connections, $THREADS threads, $DURATION per run; database time: $NREQ requests one at a time, pg_stat_statements exec + plan"
	echo
	printf '%-20s %8s %8s %8s %8s %10s %8s %7s %9s\n' "run" "req/s" "p50 ms" "p99 ms" "SQL/req" "db ms/req" "db min" "db SQL" "peak RSS"
	for name in "R1 pivotal" "R1 plain" "Q2 pivotal" "Q2 PostGraphile 4" "Q2 PostGraphile 5" "Q2 plain" "Q3 pivotal" "Q3 plain"; do
		if [ -n "${RPS[$name]:-}${DBMS[$name]:-}" ]; then
			printf '%-20s %8s %8s %8s %8s %10s %8s %7s %9s\n' "$name" "${RPS[$name]:--}" "${P50[$name]:--}" "${P99[$name]:--}" \
				"${SQL[$name]:--}" "${DBMS[$name]:--}" "${DBMIN[$name]:--}" "${DBSQL[$name]:--}" "${RSS[$name]:+${RSS[$name]} MB}"
		fi
		if [ -n "${NOTE[$name]:-}" ]; then printf '%-20s %s\n' "$name" "note: ${NOTE[$name]}"; fi
	done
	echo
	echo "ratios (issue 9's targets):"
	for q in R1 Q2 Q3; do
		echo "  $q database time, pivotal / plain rows:   $(ratio "${DBMS[$q pivotal]:-}" "${DBMS[$q plain]:-}") (mean), $(ratio "${DBMIN[$q pivotal]:-}" "${DBMIN[$q plain]:-}") (min)   (target ≤ 1.5)"
	done
	for v in 4 5; do
		echo "  Q2 database time, PostGraphile $v / plain: $(ratio "${DBMS[Q2 PostGraphile $v]:-}" "${DBMS[Q2 plain]:-}") (mean), $(ratio "${DBMIN[Q2 PostGraphile $v]:-}" "${DBMIN[Q2 plain]:-}") (min)"
	done
	echo "  Q2 req/s, pivotal / PostGraphile 4:       $(ratio "${RPS[Q2 pivotal]:-}" "${RPS[Q2 PostGraphile 4]:-}")   (target ≥ 4, and a lower p99)"
	echo "  Q2 req/s, pivotal / PostGraphile 5:       $(ratio "${RPS[Q2 pivotal]:-}" "${RPS[Q2 PostGraphile 5]:-}")   (target ≥ 3, and a lower p99)"
	echo "  pivotal peak RSS:                         $PEAK_RSS MB   (target < 150 MB)"
	echo
	if [ "$SCALE" = 100k ]; then
		echo "database ms per request (pg_stat_statements, mean and min), 1,000 vs $CUSTOMERS customers (target: ratio ≤ 1.5)"
		echo "like for like: each list request at both sizes with the same limit, the rows the 1,000-customer workspace"
		echo "answers to limit=100 (at least 1), so that both answer the same number of rows (rows: at 1k/at $SCALE;"
		echo "plans: statements PostgreSQL planned per request, at 1k/at $SCALE, included in the times)"
		printf '%-42s %5s %9s %8s %8s %6s %8s %8s %6s %11s\n' "request" "limit" "rows" "1k" "$SCALE" "ratio" "1k min" "min" "ratio" "plans"
		row100k() { # LABEL LIMIT ROWS KEY1K KEY
			printf '%-42s %5s %9s %8s %8s %6s %8s %8s %6s %11s\n' "$1" "$2" "$3" "${DBMS[$4]:--}" "${DBMS[$5]:--}" "$(ratio "${DBMS[$5]:-}" "${DBMS[$4]:-}")" \
				"${DBMIN[$4]:--}" "${DBMIN[$5]:--}" "$(ratio "${DBMIN[$5]:-}" "${DBMIN[$4]:-}")" "${DBPLANS[$4]:--}/${DBPLANS[$5]:--}"
		}
		row100k R1 100 "" "R1 pivotal 1k" "R1 pivotal"
		for q in Q2 Q3; do row100k "$q" "" "" "$q pivotal 1k" "$q pivotal"; done
		for name in "${FILTER_NAMES[@]}"; do
			row100k "$name" "${LIM[$name]}" "${FROWS[L1k $name]:-?}/${FROWS[L $name]:-?}" "L1k $name" "L $name"
		done
		echo
		echo "full pages (limit=100) where $SCALE customers answer more rows than above: the filter's page at $SCALE against"
		echo "the unfiltered page of the same list at 1k (100 rows each; the filter's own 1k answer has fewer rows)"
		printf '%-42s %9s %8s %8s %6s %8s %8s %6s %11s\n' "request" "rows" "1k page" "$SCALE" "ratio" "1k min" "min" "ratio" "plans"
		for name in "${FILTER_NAMES[@]}"; do
			[ "${FROWS[F $name]:-0}" -gt "${FROWS[L $name]:-0}" ] || continue
			ref="F1k ${name%% *} (no filter)"
			printf '%-42s %9s %8s %8s %6s %8s %8s %6s %11s\n' "$name" "${FROWS[$ref]:-?}/${FROWS[F $name]}" "${DBMS[$ref]:--}" "${DBMS[F $name]:--}" \
				"$(ratio "${DBMS[F $name]:-}" "${DBMS[$ref]:-}")" "${DBMIN[$ref]:--}" "${DBMIN[F $name]:--}" "$(ratio "${DBMIN[F $name]:-}" "${DBMIN[$ref]:-}")" \
				"${DBPLANS[$ref]:--}/${DBPLANS[F $name]:--}"
		done
	else
		echo "list filters: database ms per request (pg_stat_statements), $CUSTOMERS customers"
		printf '%-42s %6s %9s %9s %7s %6s\n' "request" "rows" "db ms" "db min" "db SQL" "plans"
		for name in "${FILTER_NAMES[@]}"; do
			printf '%-42s %6s %9s %9s %7s %6s\n' "$name" "${FROWS[F $name]}" "${DBMS[F $name]:--}" "${DBMIN[F $name]:--}" "${DBSQL[F $name]:--}" "${DBPLANS[F $name]:--}"
		done
	fi
	for name in "${!NOTE[@]}"; do case $name in F* | L*) echo "note: $name: ${NOTE[$name]}" ;; esac; done
} | tee "bench/last-run-$SCALE.txt"
