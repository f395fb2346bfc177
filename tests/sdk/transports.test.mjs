// The official TypeScript SDK's two HTTP client transports, each passing the
// DSN header, against the gateway with DBHub on a SQLite file:
//   - StreamableHTTPClientTransport (Streamable HTTP, POST /mcp), whose
//     initialize answer carries a gateway-issued Mcp-Session-Id;
//   - SSEClientTransport (the 2024-11-05 HTTP+SSE transport): GET /sse sends
//     `event: endpoint` with /messages?sessionId=<id>; POST /messages answers
//     202 and the JSON-RPC answer arrives on the SSE stream.
//
// Run: tests/sdk/run.sh [gateway] transports.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';

import { createStaffDatabase, depsRequire, startGateway, tempDir, gatewayTestWith } from './lib/gateway.mjs';

const { Client } = depsRequire('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = depsRequire('@modelcontextprotocol/sdk/client/streamableHttp.js');
const { SSEClientTransport } = depsRequire('@modelcontextprotocol/sdk/client/sse.js');

const TEST_TIMEOUT_MS = 90_000;
const ROWS = [{ id: 1, name: 'Ada Lovelace' }, { id: 2, name: 'Grace Hopper' }];

const tmp = tempDir('mcpgw-sdk-transports-');
let dsn;
let gateway;
const clients = [];

const gatewayTest = gatewayTestWith(() => gateway, TEST_TIMEOUT_MS);

async function connect(transport, name) {
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

async function expectRows(client) {
  const result = await client.callTool({
    name: 'execute_sql',
    arguments: { sql: 'SELECT id, name FROM staff ORDER BY id' },
  });
  assert.ok(!result.isError, JSON.stringify(result));
  const doc = JSON.parse(result.content[0].text);
  assert.equal(doc.success, true, result.content[0].text);
  assert.deepEqual(doc.data.statements[0].rows, ROWS);
}

before(async () => {
  dsn = createStaffDatabase(join(tmp.path, 'staff.db'), ROWS);
  gateway = await startGateway(tmp.path, ['--warm-pool=0']);
});

after(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  try {
    if (gateway) await gateway.stop();
  } finally {
    tmp.cleanup();
  }
});

gatewayTest('StreamableHTTPClientTransport with the DSN header lists tools and runs SQL', async () => {
  const transport = new StreamableHTTPClientTransport(new URL(gateway.mcpUrl), {
    requestInit: { headers: { 'X-DBHub-DSN': dsn } },
  });
  const client = await connect(transport, 'sdk-streamable');
  const { tools } = await client.listTools();
  assert.ok(tools.some((t) => t.name === 'execute_sql'), JSON.stringify(tools.map((t) => t.name)));
  await expectRows(client);
});

gatewayTest('Streamable HTTP initialize answer carries a gateway-issued Mcp-Session-Id', async () => {
  const transport = new StreamableHTTPClientTransport(new URL(gateway.mcpUrl), {
    requestInit: { headers: { 'X-DBHub-DSN': dsn } },
  });
  const client = await connect(transport, 'sdk-streamable-session');
  assert.ok(transport.sessionId, 'no Mcp-Session-Id on the initialize answer');
  // Requests on the session work (the SDK sends the id back on each).
  await expectRows(client);
});

gatewayTest('SSEClientTransport (2024-11-05) with the DSN header lists tools and runs SQL', async () => {
  const transport = new SSEClientTransport(new URL('/sse', gateway.base), {
    requestInit: { headers: { 'X-DBHub-DSN': dsn } },
  });
  const client = await connect(transport, 'sdk-legacy-sse');
  const { tools } = await client.listTools();
  assert.ok(tools.some((t) => t.name === 'execute_sql'), JSON.stringify(tools.map((t) => t.name)));
  await expectRows(client);
});
