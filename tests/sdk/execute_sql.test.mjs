// End-to-end test with the real MCP TypeScript SDK as the client:
//   SDK Client --Streamable HTTP + X-DBHub-DSN--> mcp-gateway --> DBHub --> SQLite file.
//
// Run: tests/sdk/run.sh [path/to/mcp-gateway]
//   or .deps/node_modules/.bin/node --test tests/sdk/
// Env: MCP_GATEWAY_BIN (default <repo>/build/mcp-gateway),
//      MCP_GATEWAY_DEPS (default <repo>/.deps, where deploy/setup.sh installs the SDK).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEPS = resolve(process.env.MCP_GATEWAY_DEPS || join(REPO, '.deps'));
const GATEWAY_BIN = resolve(process.env.MCP_GATEWAY_BIN || join(REPO, 'build', 'mcp-gateway'));

// The SDK is installed in <repo>/.deps/node_modules, which is not on this file's
// module search path: resolve it from there (its CommonJS build; same SDK code).
const depsRequire = createRequire(join(DEPS, 'package.json'));
const { Client } = depsRequire('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = depsRequire(
  '@modelcontextprotocol/sdk/client/streamableHttp.js',
);
const SDK_VERSION = JSON.parse(
  readFileSync(join(DEPS, 'node_modules', '@modelcontextprotocol', 'sdk', 'package.json'), 'utf8'),
).version;

const LISTEN_FILE_TIMEOUT_MS = 30_000;
const SHUTDOWN_TIMEOUT_MS = 15_000;
const TEST_TIMEOUT_MS = 90_000;

const ROWS = [
  { id: 1, name: 'Ada Lovelace', dept: 'Engineering', badge: null },
  { id: 2, name: 'Grace Hopper', dept: 'Engineering', badge: 'GH-1906' },
  { id: 3, name: 'Zoë Ångström', dept: 'Research', badge: 'ZA-0003' },
];

const tmp = mkdtempSync(join(tmpdir(), 'mcp-gateway-sdk-'));
// Instances run as an unprivileged user when the gateway is root: they must
// pass through to staff.db (docs/security.md).
chmodSync(tmp, 0o711);
const stateDir = join(tmp, 'state');
const dbPath = join(tmp, 'staff.db');
const dsn = `sqlite://${dbPath}`; // dbPath is absolute: sqlite:///tmp/...

let gateway; // { child, exited, log, mcpUrl, adminUrl }
const clients = [];
let dbhubPids = [];

function createDatabase() {
  const db = new DatabaseSync(dbPath);
  db.exec(`CREATE TABLE staff (
             id INTEGER PRIMARY KEY, name TEXT NOT NULL, dept TEXT NOT NULL, badge TEXT)`);
  const insert = db.prepare('INSERT INTO staff (id, name, dept, badge) VALUES (?, ?, ?, ?)');
  for (const r of ROWS) insert.run(r.id, r.name, r.dept, r.badge);
  db.close();
  chmodSync(dbPath, 0o644);
}

function startGateway() {
  const log = [];
  const child = spawn(
    GATEWAY_BIN,
    ['--listen=127.0.0.1:0', '--admin-listen=127.0.0.1:0', `--state-dir=${stateDir}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.on('data', (b) => log.push(b.toString()));
  child.stderr.on('data', (b) => log.push(b.toString()));
  const exited = new Promise((res) => {
    child.on('exit', (code, signal) => res({ code, signal }));
    child.on('error', (err) => res({ code: null, signal: null, error: err }));
  });
  return { child, exited, log, state: 'running' };
}

// Waits for <state-dir>/listen.json: {"mcp":"127.0.0.1:P","admin":"127.0.0.1:P","pid":N}.
async function waitForListenFile(gw) {
  const file = join(stateDir, 'listen.json');
  let exit = null;
  gw.exited.then((e) => { exit = e; });
  const deadline = Date.now() + LISTEN_FILE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exit) {
      throw new Error(`gateway exited before writing listen.json: ${JSON.stringify(exit)}`);
    }
    if (existsSync(file)) {
      try {
        return JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        // written but not complete yet: retry
      }
    }
    await sleep(50);
  }
  throw new Error(`no ${file} after ${LISTEN_FILE_TIMEOUT_MS} ms`);
}

// Resolves like `promise`, or to `onTimeout` after `ms` (without keeping the loop alive after).
async function withTimeout(promise, ms, onTimeout) {
  let timer;
  const timeout = new Promise((res) => { timer = setTimeout(() => res(onTimeout), ms); });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function dumpGatewayLog(why) {
  if (!gateway || gateway.dumped) return;
  gateway.dumped = true;
  const text = gateway.log.join('');
  console.error(`--- gateway output (${why}) ---\n${text.slice(-20_000)}--- end of gateway output ---`);
}

// A test whose failure also prints what the gateway logged.
function gatewayTest(name, fn) {
  test(name, { timeout: TEST_TIMEOUT_MS }, async (t) => {
    try {
      await fn(t);
    } catch (err) {
      dumpGatewayLog(`test "${name}" failed`);
      throw err;
    }
  });
}

async function connectClient(name) {
  const client = new Client({ name, version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(gateway.mcpUrl), {
    requestInit: { headers: { 'X-DBHub-DSN': dsn } },
  });
  await client.connect(transport);
  clients.push(client);
  return client;
}

// execute_sql answers one text content item holding a JSON document.
function parseExecuteSql(result) {
  assert.ok(!result.isError, `execute_sql reported an error: ${JSON.stringify(result)}`);
  assert.equal(result.content.length, 1);
  assert.equal(result.content[0].type, 'text');
  const doc = JSON.parse(result.content[0].text);
  assert.equal(doc.success, true, result.content[0].text);
  return doc.data;
}

async function adminInstances() {
  // The admin API wants the token the gateway generated into its state dir.
  const token = readFileSync(join(stateDir, 'admin-token'), 'utf8').trim();
  const res = await fetch(`${gateway.adminUrl}/admin/instances`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.ok(Array.isArray(body.instances), JSON.stringify(body));
  return body.instances;
}

function processGone(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (err.code === 'ESRCH') return true;
    throw err;
  }
  // A zombie waiting for a non-reaping init counts as gone.
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

before(async () => {
  assert.ok(existsSync(GATEWAY_BIN), `gateway binary not found: ${GATEWAY_BIN} (set MCP_GATEWAY_BIN)`);
  mkdirSync(stateDir, { mode: 0o700 });
  createDatabase();
  gateway = startGateway();
  try {
    const listen = await waitForListenFile(gateway);
    assert.match(listen.mcp, /^127\.0\.0\.1:\d+$/);
    assert.match(listen.admin, /^127\.0\.0\.1:\d+$/);
    assert.equal(listen.pid, gateway.child.pid);
    gateway.mcpUrl = `http://${listen.mcp}/mcp`;
    gateway.adminUrl = `http://${listen.admin}`;
  } catch (err) {
    dumpGatewayLog('start failed');
    throw err;
  }
});

after(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  try {
    if (!gateway) return;
    const { child } = gateway;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const outcome = await withTimeout(gateway.exited, SHUTDOWN_TIMEOUT_MS, 'timeout');
    if (outcome === 'timeout') {
      child.kill('SIGKILL');
      await gateway.exited;
      dumpGatewayLog('no exit after SIGTERM');
      assert.fail(`gateway did not exit within ${SHUTDOWN_TIMEOUT_MS} ms of SIGTERM`);
    }
    if (outcome.code !== 0 || outcome.signal !== null) dumpGatewayLog('bad exit');
    assert.deepEqual(outcome, { code: 0, signal: null }, 'gateway exit status after SIGTERM');
    const left = dbhubPids.filter((pid) => !processGone(pid));
    assert.deepEqual(left, [], 'DBHub processes still running after the gateway stopped');
  } finally {
    if (process.env.MCP_SDK_TEST_KEEP_TMP) console.error(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
});

gatewayTest(`SDK ${SDK_VERSION} client lists the DBHub tools through the gateway`, async () => {
  const client = await connectClient('sdk-test-1');
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  assert.ok(names.includes('execute_sql'), `tools: ${names}`);
  assert.ok(names.includes('search_objects'), `tools: ${names}`);
});

gatewayTest('execute_sql returns the exact rows', async () => {
  const client = clients[0] ?? (await connectClient('sdk-test-1'));
  const sql = 'SELECT id, name, dept, badge FROM staff ORDER BY id';
  const data = parseExecuteSql(
    await client.callTool({ name: 'execute_sql', arguments: { sql } }),
  );
  assert.equal(data.statements.length, 1);
  assert.deepEqual(data.statements[0].rows, ROWS);
  assert.equal(data.statements[0].count, ROWS.length);
});

gatewayTest('a second client with the same DSN reuses the instance', async () => {
  if (clients.length === 0) await connectClient('sdk-test-1');
  const second = await connectClient('sdk-test-2');
  const data = parseExecuteSql(
    await second.callTool({
      name: 'execute_sql',
      arguments: { sql: "SELECT count(*) AS n FROM staff WHERE dept = 'Engineering'" },
    }),
  );
  assert.deepEqual(data.statements[0].rows, [{ n: 2 }]);

  // The first client keeps working on the same instance.
  const again = parseExecuteSql(
    await clients[0].callTool({
      name: 'execute_sql',
      arguments: { sql: 'SELECT name FROM staff WHERE id = 3' },
    }),
  );
  assert.deepEqual(again.statements[0].rows, [{ name: 'Zoë Ångström' }]);

  const instances = await adminInstances();
  assert.equal(instances.length, 1, `instances: ${JSON.stringify(instances)}`);
  assert.equal(instances[0].state, 'ready');
  assert.ok(Number.isInteger(instances[0].pid) && instances[0].pid > 0, JSON.stringify(instances[0]));
  dbhubPids = [instances[0].pid];
});
