// Shared by the SDK, inspector and server-everything tests: starts the
// gateway binary on free ports with its own state directory, and stops it,
// expecting a clean exit. The SDK and the other npm tools come from .deps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const DEPS = resolve(process.env.MCP_GATEWAY_DEPS || join(REPO, '.deps'));
export const GATEWAY_BIN = resolve(process.env.MCP_GATEWAY_BIN || join(REPO, 'build', 'mcp-gateway'));
export const NODE = join(DEPS, 'node_modules', '.bin', 'node');
const MCP_MODULES = join(DEPS, 'node_modules', '@modelcontextprotocol');
export const SERVER_EVERYTHING = join(MCP_MODULES, 'server-everything', 'dist', 'index.js');
export const INSPECTOR = join(MCP_MODULES, 'inspector', 'clients', 'launcher', 'build', 'index.js');

// The SDK lives in .deps/node_modules, off this file's module search path.
export const depsRequire = createRequire(join(DEPS, 'package.json'));

const LISTEN_FILE_TIMEOUT_MS = 30_000;
const SHUTDOWN_TIMEOUT_MS = 15_000;

// Flags that put server-everything (Streamable HTTP) behind the gateway.
export function serverEverythingFlags() {
  return [
    `--server-command=${NODE}`,
    `--server-arg=${SERVER_EVERYTHING}`,
    '--server-arg=streamableHttp',
  ];
}

// A fresh temporary directory, removed by cleanup().
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // A gateway run as root starts its instances as an unprivileged user
  // (docs/security.md): they must pass through to the databases in here.
  chmodSync(dir, 0o711);
  return {
    path: dir,
    cleanup() {
      if (process.env.MCP_SDK_TEST_KEEP_TMP) console.error(`kept ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}

// A SQLite file with table staff(id, name); its DSN.
export function createStaffDatabase(path, rows) {
  const db = new DatabaseSync(path);
  db.exec('CREATE TABLE staff (id INTEGER PRIMARY KEY, name TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO staff (id, name) VALUES (?, ?)');
  for (const r of rows) insert.run(r.id, r.name);
  db.close();
  chmodSync(path, 0o644);
  return `sqlite://${path}`;
}

async function withTimeout(promise, ms, onTimeout) {
  let timer;
  const timeout = new Promise((res) => { timer = setTimeout(() => res(onTimeout), ms); });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// Starts the gateway with `flags` on <dir>/state; resolves once it listens.
export async function startGateway(dir, flags = []) {
  assert.ok(existsSync(GATEWAY_BIN), `gateway binary not found: ${GATEWAY_BIN} (set MCP_GATEWAY_BIN)`);
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir, { mode: 0o700, recursive: true });
  const log = [];
  const child = spawn(
    GATEWAY_BIN,
    ['--listen=127.0.0.1:0', '--admin-listen=127.0.0.1:0', `--state-dir=${stateDir}`, ...flags],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.on('data', (b) => log.push(b.toString()));
  child.stderr.on('data', (b) => log.push(b.toString()));
  let exit = null;
  const exited = new Promise((res) => {
    child.on('exit', (code, signal) => res({ code, signal }));
    child.on('error', (err) => res({ code: null, signal: null, error: String(err) }));
  });
  exited.then((e) => { exit = e; });

  const gw = {
    child, log, stateDir,
    output: () => log.join(''),
    dump(why) {
      if (this.dumped) return;
      this.dumped = true;
      console.error(`--- gateway output (${why}) ---\n${this.output().slice(-20_000)}--- end ---`);
    },
    adminToken: () => readFileSync(join(stateDir, 'admin-token'), 'utf8').trim(),
    async instances() {
      const res = await fetch(`${gw.adminUrl}/admin/instances`, {
        headers: { Authorization: `Bearer ${gw.adminToken()}` },
      });
      assert.equal(res.status, 200);
      return (await res.json()).instances;
    },
    // SIGTERM; expects exit code 0.
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const outcome = await withTimeout(exited, SHUTDOWN_TIMEOUT_MS, 'timeout');
      if (outcome === 'timeout') {
        child.kill('SIGKILL');
        await exited;
        gw.dump('no exit after SIGTERM');
        assert.fail(`gateway did not exit within ${SHUTDOWN_TIMEOUT_MS} ms of SIGTERM`);
      }
      if (outcome.code !== 0 || outcome.signal !== null) gw.dump('bad exit');
      assert.deepEqual(outcome, { code: 0, signal: null }, 'gateway exit status after SIGTERM');
    },
  };

  const file = join(stateDir, 'listen.json');
  const deadline = Date.now() + LISTEN_FILE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exit) {
      gw.dump('exited at start');
      throw new Error(`gateway exited before writing listen.json: ${JSON.stringify(exit)}`);
    }
    if (existsSync(file)) {
      try {
        const listen = JSON.parse(readFileSync(file, 'utf8'));
        gw.base = `http://${listen.mcp}`;
        gw.mcpUrl = `${gw.base}/mcp`;
        gw.adminUrl = `http://${listen.admin}`;
        if (listen.oauth) gw.oauthBase = `http://${listen.oauth}`;
        return gw;
      } catch {
        // written but not complete yet: retry
      }
    }
    await sleep(50);
  }
  gw.dump('no listen.json');
  throw new Error(`no ${file} after ${LISTEN_FILE_TIMEOUT_MS} ms`);
}

// A node:test case that dumps the gateway's log when it fails; `gateway()`
// returns the gateway the file started (or undefined before it did).
export function gatewayTestWith(gateway, timeoutMs) {
  return (name, fn) =>
    test(name, { timeout: timeoutMs }, async (t) => {
      try {
        await fn(t);
      } catch (err) {
        gateway()?.dump(`test "${name}" failed`);
        throw err;
      }
    });
}
