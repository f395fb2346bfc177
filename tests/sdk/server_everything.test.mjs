// Any MCP server behind the gateway: the reference server
// @modelcontextprotocol/server-everything, started by the gateway through
// --server-command, driven by the official SDK over Streamable HTTP.
//
// Run: tests/sdk/run.sh [gateway] server_everything.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

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
