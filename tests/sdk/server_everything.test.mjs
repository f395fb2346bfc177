// Any MCP server behind the gateway: the reference server
// @modelcontextprotocol/server-everything, started by the gateway through
// --server-command, driven by the official SDK over Streamable HTTP.
//
// Run: tests/sdk/run.sh [gateway] server_everything.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { depsRequire, serverEverythingFlags, startGateway, tempDir, gatewayTestWith } from './lib/gateway.mjs';

const { Client } = depsRequire('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = depsRequire('@modelcontextprotocol/sdk/client/streamableHttp.js');

const TEST_TIMEOUT_MS = 90_000;
// Names the instance; server-everything ignores the DSN it is given.
const DSN = 'sqlite:///tmp/mcpgw-server-everything.db';

const tmp = tempDir('mcpgw-sdk-everything-');
let gateway;
const clients = [];

const gatewayTest = gatewayTestWith(() => gateway, TEST_TIMEOUT_MS);

async function connect(name) {
  const client = new Client({ name, version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(gateway.mcpUrl), {
    requestInit: { headers: { 'X-DBHub-DSN': DSN } },
  });
  await client.connect(transport);
  clients.push(client);
  return client;
}

before(async () => {
  gateway = await startGateway(tmp.path, serverEverythingFlags());
});

after(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  try {
    if (gateway) await gateway.stop();
  } finally {
    tmp.cleanup();
  }
});

gatewayTest('server-everything behind the gateway: tools/list and an echo call', async () => {
  const client = await connect('sdk-everything');
  assert.equal(client.getServerVersion()?.name, 'mcp-servers/everything');
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  assert.ok(names.includes('echo'), `tools: ${names}`);

  const result = await client.callTool({ name: 'echo', arguments: { message: 'hello through the gateway' } });
  assert.ok(!result.isError, JSON.stringify(result));
  assert.match(result.content[0].text, /hello through the gateway/);

  const instances = await gateway.instances();
  assert.equal(instances.length, 1, JSON.stringify(instances));
  assert.match(gateway.output(), /warm pool off|instances run/);
});

gatewayTest('two SDK clients on one server-everything keep their own sessions', async () => {
  const first = clients[0] ?? (await connect('sdk-everything'));
  const second = await connect('sdk-everything-2');
  const [a, b] = await Promise.all([
    first.callTool({ name: 'echo', arguments: { message: 'first' } }),
    second.callTool({ name: 'echo', arguments: { message: 'second' } }),
  ]);
  assert.match(a.content[0].text, /first/);
  assert.match(b.content[0].text, /second/);
  assert.equal((await gateway.instances()).length, 1);
});

// Issue 18: a drained instance ends its GET streams with `retry:` first
// (2025-11-25); the SDK reconnects on its own after that delay, to the new
// instance that serves the session, and the session goes on.
gatewayTest('a drained instance: the SDK reconnects its GET stream as told', async () => {
  const client = clients[0] ?? (await connect('sdk-everything'));
  const streamsOpen = (instance) => (instance.open_streams ?? 0) > 0;
  let old;
  for (const deadline = Date.now() + 20_000; Date.now() < deadline && !old; await sleep(200)) {
    old = (await gateway.instances()).find(streamsOpen);
  }
  assert.ok(old, 'no instance with an open GET stream');

  const res = await fetch(`${gateway.adminUrl}/admin/instances/${old.id}/drain`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${gateway.adminToken()}` },
  });
  assert.equal(res.status, 202);

  // Nothing but the SDK's own reconnection opens a stream on a new instance.
  let replacement;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline && !replacement; await sleep(200)) {
    replacement = (await gateway.instances()).find((i) => i.id !== old.id && streamsOpen(i));
  }
  assert.ok(replacement, `no reconnected stream: ${JSON.stringify(await gateway.instances())}`);
  // Its streams ended, the drained instance stops.
  let stopped = false;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline && !stopped; await sleep(200)) {
    stopped = !(await gateway.instances()).some((i) => i.id === old.id);
  }
  assert.ok(stopped, `the drained instance ${old.id} is still there`);
  const result = await client.callTool({ name: 'echo', arguments: { message: 'after the drain' } });
  assert.match(result.content[0].text, /after the drain/);
});
