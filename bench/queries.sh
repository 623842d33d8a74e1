# The benchmark's requests, sourced by bench/run.sh.
#
# Q2 is issue 4's reference query written with Relay's edges { node { … } },
# as Relay and Apollo send it (issue 9); Q3 is issue 4's verbatim, with
# nodes { … } (the figures in bench/README.md were measured with it).
# httpapi/perf_test.go holds the nodes spelling of both.

Q2='{ customers(first: 100) { pageInfo { hasNextPage endCursor } edges { node { id displayId name slug status contacts(first: 10) { edges { node { id name email isPrimary } } } onboardings(first: 10) { edges { node { id displayId phase state targetLaunchDate } } } } } } }'

Q3='{ customers(first: 100) { pageInfo { hasNextPage endCursor } nodes { id displayId name slug status contacts(first: 10) { nodes { id name email isPrimary onboardings(first: 5) { nodes { id phase state } } } } onboardings(first: 10) { nodes { id displayId phase state targetLaunchDate } } } } }'

R1_PATH='/api/v1/customers?limit=100'

# PostGraphile's equivalent of Q2 over the same tables: the names it infers from
# the foreign keys (contacts/onboardings (workspace_id, customer_id) →
# customers (workspace_id, id)), the same order (newest first), the same
# filters (the workspace, not soft-deleted) and the same fields. $1 is the
# workspace id, $2 the name of the primary-key column's field: id in
# PostGraphile 4, rowId in 5 (where id is the global Node id).
pg_q2() {
	cat <<EOF2
{ allCustomers(first: 100, orderBy: CREATED_AT_DESC, condition: {workspaceId: "$1", deletedAt: null}) { pageInfo { hasNextPage endCursor } edges { node { $2 displayId name slug status contactsByWorkspaceIdAndCustomerId(first: 10, orderBy: CREATED_AT_DESC, condition: {deletedAt: null}) { edges { node { $2 name email isPrimary } } } onboardingsByWorkspaceIdAndCustomerId(first: 10, orderBy: CREATED_AT_DESC, condition: {deletedAt: null}) { edges { node { $2 displayId phase state targetLaunchDate } } } } } } }
EOF2
}

# json_body QUERY prints {"query": QUERY} (the queries hold no quotes or
# backslashes other than the ones escaped here).
json_body() {
	local q=${1//\\/\\\\}
	q=${q//\"/\\\"}
	printf '{"query":"%s"}' "$q"
}
