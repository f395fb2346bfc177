// @modelcontextprotocol/inspector --cli as the client: lists the tools and
// calls execute_sql through the gateway (Streamable HTTP), the DSN passed
// with --header.
//
// Run: tests/sdk/run.sh [gateway] inspector_cli.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { INSPECTOR, NODE, createStaffDatabase, startGateway, tempDir, gatewayTestWith } from './lib/gateway.mjs';

const run = promisify(execFile);
const TEST_TIMEOUT_MS = 120_000;
const CLI_TIMEOUT_MS = 90_000;
const ROWS = [{ id: 1, name: 'Ada Lovelace' }, { id: 2, name: 'Grace Hopper' }];

const tmp = tempDir('mcpgw-inspector-');
let dsn;
let gateway;

const gatewayTest = gatewayTestWith(() => gateway, TEST_TIMEOUT_MS);

// Runs the inspector CLI against the gateway; resolves to { code, stdout, stderr }.
async function inspector(args, { header = true } = {}) {
  const home = join(tmp.path, 'home');
  mkdirSync(home, { recursive: true });
  const argv = [INSPECTOR, '--cli', gateway.mcpUrl, ...args];
  if (header) argv.push('--header', `X-DBHub-DSN: ${dsn}`);
  try {
    // Its own HOME: the inspector keeps a catalog and secrets under ~/.mcp-inspector.
    const { stdout, stderr } = await run(NODE, argv, {
      env: { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8' },
      timeout: CLI_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? String(err) };
  }
}

before(async () => {
  dsn = createStaffDatabase(join(tmp.path, 'staff.db'), ROWS);
  gateway = await startGateway(tmp.path, ['--warm-pool=0']);
});

after(async () => {
  try {
    if (gateway) await gateway.stop();
  } finally {
    tmp.cleanup();
  }
});

gatewayTest('inspector --cli lists the DBHub tools through the gateway', async () => {
  const out = await inspector(['--method', 'tools/list']);
  assert.equal(out.code, 0, out.stderr);
  const names = JSON.parse(out.stdout).tools.map((t) => t.name);
  assert.ok(names.includes('execute_sql'), `tools: ${names}`);
});

gatewayTest('inspector --cli calls execute_sql through the gateway', async () => {
  const out = await inspector([
    '--method', 'tools/call', '--tool-name', 'execute_sql',
    '--tool-arg', 'sql=SELECT id, name FROM staff ORDER BY id',
  ]);
  assert.equal(out.code, 0, out.stderr);
  const result = JSON.parse(out.stdout);
  assert.ok(!result.isError, out.stdout);
  const doc = JSON.parse(result.content[0].text);
  assert.deepEqual(doc.data.statements[0].rows, ROWS);
});

gatewayTest('without --header the gateway refuses the inspector (no credentials)', async () => {
  const out = await inspector(['--method', 'tools/list'], { header: false });
  assert.notEqual(out.code, 0, out.stdout);
  // The gateway's 401 carries WWW-Authenticate: Bearer, which the inspector
  // takes for an OAuth challenge (auth_required without a TTY).
  assert.match(out.stdout + out.stderr, /401|credentials|auth_required/i);
  assert.match(gateway.output(), /outcome=refused rpc_code=-31001 status=401/);
});
