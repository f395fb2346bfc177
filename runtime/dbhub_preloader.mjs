// A warm DBHub worker for mcp-gateway's warm pool.
//
// Started by the gateway as
//   node --experimental-import-meta-resolve <this file> <DBHub's dist/index.js>
// it loads every module DBHub's entry point imports (the second or so a bare
// start spends before any DSN matters), reports on fd 3, then waits holding no
// DSN and listening on nothing. The gateway claims it with ONE JSON line on
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
//   {"warm":true,"dbhub_version":"1.4.0","tested_dbhub_version":"1.4.0","failed":[]}
//                                                       modules loaded
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

// Listen for the claim before preloading: readline drops lines that arrive
// while nobody listens.
const input = readline.createInterface({ input: process.stdin });
input.on('close', () => process.exit(0));
const preloading = preload();
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
  await preloading;
  applyClaim(claim);
  reportWhenListening();
  await import(entryUrl);
});
report({ warm: true, dbhub_version: dbhubVersion(), tested_dbhub_version: TESTED_DBHUB_VERSION,
         failed: await preloading });
