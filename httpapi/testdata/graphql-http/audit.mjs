// Runs graphql-http's server audit (every MUST, SHOULD and MAY of the GraphQL
// over HTTP spec that it checks) against PIVOTAL_URL, sending PIVOTAL_KEY as
// the bearer key, and prints one JSON line per audit: {id, name, status,
// reason, status code, body}. TestGraphQLOverHTTPAudit judges the results.
import { auditServer } from 'graphql-http';

const url = process.env.PIVOTAL_URL;
const key = process.env.PIVOTAL_KEY;

function fetchWithKey(input, init = {}) {
  const headers = new Headers(init.headers);
  headers.set('Authorization', 'Bearer ' + key);
  return fetch(input, { ...init, headers });
}

const results = await auditServer({ url, fetchFn: fetchWithKey });
for (const r of results) {
  const line = { id: r.id, name: r.name, status: r.status };
  if (r.status !== 'ok') {
    line.reason = r.reason;
    line.code = r.response.status;
    line.contentType = r.response.headers.get('content-type');
    line.body = await r.response.text().catch(() => '');
  }
  console.log(JSON.stringify(line));
}
