# The benchmark's requests, sourced by bench/run.sh. Q2, Q3 and R1 are issue 4's
# reference queries, verbatim (httpapi/perf_test.go uses the same text).

Q2='{ customers(first: 100) { pageInfo { hasNextPage endCursor } nodes { id displayId name slug status contacts(first: 10) { nodes { id name email isPrimary } } onboardings(first: 10) { nodes { id displayId phase state targetLaunchDate } } } } }'

Q3='{ customers(first: 100) { pageInfo { hasNextPage endCursor } nodes { id displayId name slug status contacts(first: 10) { nodes { id name email isPrimary onboardings(first: 5) { nodes { id phase state } } } } onboardings(first: 10) { nodes { id displayId phase state targetLaunchDate } } } } }'

R1_PATH='/api/v1/customers?limit=100'

# PostGraphile's equivalent of Q2 over the same tables: the names it infers from
# the foreign keys (contacts/onboardings (workspace_id, customer_id) →
# customers (workspace_id, id)), the same order (newest first), the same
# filters (the workspace, not soft-deleted) and the same fields. $WS is the
# workspace id.
pg_q2() {
	cat <<EOF
{ allCustomers(first: 100, orderBy: CREATED_AT_DESC, condition: {workspaceId: "$1", deletedAt: null}) { pageInfo { hasNextPage endCursor } nodes { id displayId name slug status contactsByWorkspaceIdAndCustomerId(first: 10, orderBy: CREATED_AT_DESC, condition: {deletedAt: null}) { nodes { id name email isPrimary } } onboardingsByWorkspaceIdAndCustomerId(first: 10, orderBy: CREATED_AT_DESC, condition: {deletedAt: null}) { nodes { id displayId phase state targetLaunchDate } } } } }
EOF
}

# json_body QUERY prints {"query": QUERY} (the queries hold no quotes or
# backslashes other than the ones escaped here).
json_body() {
	local q=${1//\\/\\\\}
	q=${q//\"/\\\"}
	printf '{"query":"%s"}' "$q"
}
