// The GraphiQL page of pivotal, bundled into ../assets by esbuild (see
// package.json). Everything the page runs is in that bundle: the server's
// Content-Security-Policy allows scripts, styles and connections to its own
// origin only.
import React from 'react';
import { createRoot } from 'react-dom/client';
import { buildSchema } from 'graphql';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { explorerPlugin } from '@graphiql/plugin-explorer';
import 'graphiql/style.css';
import '@graphiql/plugin-explorer/style.css';
import './pivotal.css';

// The server writes the page's settings as JSON into a non-executable script
// element: an inline script would need 'unsafe-inline'.
const config = JSON.parse(document.getElementById('pivotal-graphiql-config').textContent);

const http = new URL(config.endpoint, window.location.href);
const ws = new URL(http);
ws.protocol = http.protocol === 'https:' ? 'wss:' : 'ws:';

// Queries and mutations go over HTTP with the header editor's headers.
// Subscriptions open a graphql-ws (graphql-transport-ws) socket; the header
// editor's headers travel in its connection_init payload, which is where the
// server reads the key ({"Authorization": "Bearer <key>"}).
const fetcher = createGraphiQLFetcher({ url: http.href, subscriptionUrl: ws.href });

// The server hands the page its schema: GraphiQL would otherwise introspect
// it over /graphql before its header editor (and so the key) is ready.
const schema = config.schema ? buildSchema(config.schema) : undefined;

const headers = config.headers ? JSON.stringify(config.headers, null, 2) : undefined;

const explorer = explorerPlugin();

createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, {
    fetcher,
    schema,
    plugins: [explorer],
    defaultTabs: [{ query: config.defaultQuery, headers }],
    defaultHeaders: headers,
    defaultEditorToolsVisibility: 'headers',
    shouldPersistHeaders: false,
  }),
);
