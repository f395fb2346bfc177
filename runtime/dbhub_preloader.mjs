// A warm DBHub worker for mcp-gateway's warm pool.
//
// Started by the gateway as
//   node --experimental-import-meta-resolve <this file> <DBHub's dist/index.js>
// it loads every module DBHub's entry point imports (the second or so a bare
// start spends before any DSN matters), runs the request path once on a
// throwaway loopback server (see rehearse()), reports on fd 3, then waits
// holding no DSN and listening on nothing. The gateway claims it with ONE JSON line on
// stdin: {"dsn","token","port","config"?}. The worker puts them where DBHub
// reads them (its environment and argv: never our own argv, which anyone on
// the machine can read) and runs DBHub's entry point in this process, which
// now finds its modules already loaded. A worker serves that one target for
// the rest of its life. It exits as soon as stdin closes: a gateway that dies
// takes its workers with it.
//
// Tested with DBHub 1.4.0 only: it relies on DBHub reading its settings in
// main() at import time. The gateway checks the reported version and runs a
// claim end to end at start-up before it trusts this script.
//
// Messages on fd 3, one JSON object a line:
//   {"warm":true,"dbhub_version":"1.4.0","tested_dbhub_version":"1.4.0",
//    "failed":[],"rehearsal":"ok"}                      modules loaded
//   {"ready":true,"port":N}                             DBHub is listening
//   {"error":"..."}                                     the claim was unusable

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';

const TESTED_DBHUB_VERSION = '1.4.0';
const CONTROL_FD = 3;

function report(message) {
  try {
    fs.writeSync(CONTROL_FD, JSON.stringify(message) + '\n');
  } catch {
    // The gateway stopped listening; stdin closing will end us.
  }
}

const entry = process.argv[2];
if (!entry) {
  report({ error: 'usage: dbhub_preloader.mjs <DBHub dist/index.js>' });
  process.exit(2);
}
const entryUrl = pathToFileURL(path.resolve(entry)).href;

function dbhubVersion() {
  try {
    const manifest = path.join(path.dirname(path.resolve(entry)), '..', 'package.json');
    return JSON.parse(fs.readFileSync(manifest, 'utf8')).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

// Every module the entry point imports, statically or dynamically (DBHub
// loads its connectors with import()), resolved exactly as the entry point
// would resolve them. The entry point itself is not imported: its top level
// starts the server.
async function preload() {
  const source = fs.readFileSync(path.resolve(entry), 'utf8');
  const specifiers = new Set(
    [...source.matchAll(/(?:\bfrom\s*|\bimport\(\s*|^import\s+)"([^"]+)"/gm)].map((m) => m[1]));
  const failed = [];
  await Promise.all([...specifiers].map(async (specifier) => {
    try {
      await import(import.meta.resolve(specifier, entryUrl));
    } catch (error) {
      failed.push(`${specifier}: ${error.code ?? error.message}`);
    }
  }));
  return failed;
}

// Variables DBHub (or its .env support) might pick up: only what the claim
// says may reach it.
const DBHUB_SETTINGS = /^(DSN|DB_.*|SSH_.*|ID|PORT|TRANSPORT|READONLY|MAX_ROWS|DBHUB_.*)$/;

function applyClaim(claim) {
  for (const name of Object.keys(process.env)) {
    if (DBHUB_SETTINGS.test(name)) delete process.env[name];
  }
  if (claim.dsn) process.env.DSN = claim.dsn;
  process.env.TRANSPORT = 'http';
  process.env.PORT = String(claim.port);
  process.env.DBHUB_HOST = '127.0.0.1';
  process.env.DBHUB_AUTH_TOKEN = claim.token;
  process.argv = [process.argv[0], path.resolve(entry)];
  if (claim.config) process.argv.push(`--config=${claim.config}`);
}

// Readiness without polling: the first server DBHub starts listening.
function reportWhenListening() {
  const listen = http.Server.prototype.listen;
  http.Server.prototype.listen = function (...args) {
    http.Server.prototype.listen = listen;
    this.once('listening', () => report({ ready: true, port: this.address().port }));
    return listen.apply(this, args);
  };
}

function validClaim(claim) {
  return claim && typeof claim === 'object' && typeof claim.token === 'string' &&
    claim.token.length > 0 && Number.isInteger(claim.port) && claim.port > 0 &&
    claim.port < 65536 && (claim.dsn === undefined || typeof claim.dsn === 'string') &&
    (claim.config === undefined || typeof claim.config === 'string');
}

// The request path's first run costs DBHub's first client tens of
// milliseconds more than later ones (V8 compiles lazily). Run it once now, on
// a throwaway server built like DBHub's from the very same modules (express,
// the MCP SDK, zod), closed again before the worker reports warm: DBHub's
// first real request then finds that code compiled. Not fatal if it fails:
// the report says so and the worker is only slower.
async function rehearse() {
  const load = (specifier) => import(import.meta.resolve(specifier, entryUrl));
  const [{ McpServer, createMcpHandler }, { toNodeHandler }, { default: express }, { z }] =
    await Promise.all([load('@modelcontextprotocol/server'), load('@modelcontextprotocol/node'),
      load('express'), load('zod')]);
  const createServer = () => {
    const server = new McpServer({ name: 'rehearsal', version: '0' });
    server.registerTool('echo', { description: 'echo', inputSchema: z.object({ sql: z.string() }) },
      async ({ sql }) => ({
        content: [{ type: 'text', text: JSON.stringify({ success: true, data: { rows: [{ sql }] } }, null, 2) }],
      }));
    return server;
  };
  const app = express();
  app.use(express.json());
  app.get('/healthz', (req, res) => res.status(200).send('OK'));
  const handler = toNodeHandler(createMcpHandler(createServer, { onerror() {} }), { onerror() {} });
  app.all('/mcp', (req, res) => { void handler(req, res, req.body); });
  const server = http.createServer(app);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address();
    const send = (method, route, body) => new Promise((resolve, reject) => {
      const request = http.request({
        host: '127.0.0.1', port, path: route, method, agent: false,
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      }, (response) => { response.resume(); response.on('end', () => resolve(response.statusCode)); });
      request.on('error', reject);
      request.end(body);
    });
    const call = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call',
      params: { name: 'echo', arguments: { sql: 'SELECT 1' } } });
    for (let round = 0; round < 3; round++) {
      for (const status of [await send('GET', '/healthz'), await send('POST', '/mcp', call)]) {
        if (status !== 200) throw new Error(`the rehearsal server answered ${status}`);
      }
    }
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function prepare() {
  const failed = await preload();
  let rehearsal = 'ok';
  if (failed.length === 0) {
    try {
      await rehearse();
    } catch (error) {
      rehearsal = String(error?.message ?? error);
    }
  }
  return { failed, rehearsal };
}

// Listen for the claim before preloading: readline drops lines that arrive
// while nobody listens.
const input = readline.createInterface({ input: process.stdin });
input.on('close', () => process.exit(0));
const preparing = prepare();
let claimed = false;
input.on('line', async (line) => {
  if (claimed) return;
  claimed = true;
  let claim;
  try {
    claim = JSON.parse(line);
  } catch {
    claim = undefined;
  }
  if (!validClaim(claim)) {
    report({ error: 'the claim is not {"dsn","token","port","config"?}' });
    process.exit(2);
  }
  await preparing;
  applyClaim(claim);
  reportWhenListening();
  await import(entryUrl);
});
const { failed, rehearsal } = await preparing;
report({ warm: true, dbhub_version: dbhubVersion(), tested_dbhub_version: TESTED_DBHUB_VERSION,
         failed, rehearsal });
