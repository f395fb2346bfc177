// Compares two runs of `conformance server -o DIR`: the reference server
// directly, and the same server behind the gateway. Prints both counts and
// every scenario whose outcome differs; exits 1 when a scenario that passes
// directly fails through the gateway.
//
//   node summarize.mjs DIRECT_DIR GATEWAY_DIR [--json OUT] [--strict-checks]
//
// --strict-checks: also exit 1 when a check that succeeds directly fails or
// is missing through the gateway, even inside a scenario that fails in both
// (a check is a scenario, an id and a name; counted, as ids repeat; a
// WARNING, a SHOULD missed, is not a failure).
//
// Each run's directory holds one sub-directory per scenario
// (server-<scenario>-<timestamp>/checks.json, a list of checks with a status
// of SUCCESS, FAILURE, WARNING, INFO or SKIPPED). A scenario passes when none
// of its checks is a FAILURE; a scenario without checks.json (the runner
// crashed on it) fails.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const TIMESTAMP = /-\d{4}-\d{2}-\d{2}T[\d-]+Z$/;

function readRun(dir) {
  const scenarios = new Map();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !entry.name.startsWith('server-')) continue;
    const name = entry.name.slice('server-'.length).replace(TIMESTAMP, '');
    const file = join(dir, entry.name, 'checks.json');
    let checks = [];
    let broken = false;
    try {
      checks = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : [];
      broken = !existsSync(file);
    } catch {
      broken = true;
    }
    const failures = checks.filter((c) => c.status === 'FAILURE');
    // Per check: how often it succeeded, and how often it did not fail
    // (a WARNING is a SHOULD the server missed, not a failure).
    const succeeded = new Map();
    const notFailed = new Map();
    for (const c of checks) {
      const key = `${c.id} (${c.name ?? ''})`;
      if (c.status === 'SUCCESS') succeeded.set(key, (succeeded.get(key) ?? 0) + 1);
      if (c.status === 'SUCCESS' || c.status === 'WARNING') notFailed.set(key, (notFailed.get(key) ?? 0) + 1);
    }
    scenarios.set(name, {
      passed: !broken && failures.length === 0,
      succeeded,
      notFailed,
      checks: checks.length,
      checksPassed: checks.filter((c) => c.status === 'SUCCESS').length,
      failures: failures.map((c) => `${c.id}: ${c.errorMessage ?? 'failed'}`),
    });
  }
  return scenarios;
}

function counts(run) {
  const all = [...run.values()];
  return {
    scenarios: all.length,
    scenariosPassed: all.filter((s) => s.passed).length,
    checks: all.reduce((n, s) => n + s.checks, 0),
    checksPassed: all.reduce((n, s) => n + s.checksPassed, 0),
  };
}

const [directDir, gatewayDir] = process.argv.slice(2);
const jsonAt = process.argv.indexOf('--json');
if (!directDir || !gatewayDir) {
  console.error('usage: summarize.mjs DIRECT_DIR GATEWAY_DIR [--json OUT]');
  process.exit(2);
}
const direct = readRun(directDir);
const gateway = readRun(gatewayDir);
if (direct.size === 0) {
  console.error(`conformance: no scenario results in ${directDir}`);
  process.exit(2);
}

const strictChecks = process.argv.includes('--strict-checks');
const regressions = [];
const improvements = [];
const lostChecks = [];
for (const [name, d] of direct) {
  const g = gateway.get(name) ?? { passed: false, notFailed: new Map(), failures: ['no result through the gateway'] };
  if (d.passed && !g.passed) regressions.push({ name, failures: g.failures });
  if (!d.passed && g.passed) improvements.push(name);
  for (const [key, n] of d.succeeded) {
    if ((g.notFailed.get(key) ?? 0) < n) lostChecks.push(`${name}: ${key}`);
  }
}

const dc = counts(direct);
const gc = counts(gateway);
console.log(`direct:  ${dc.scenariosPassed}/${dc.scenarios} scenarios passed (${dc.checksPassed}/${dc.checks} checks)`);
console.log(`gateway: ${gc.scenariosPassed}/${gc.scenarios} scenarios passed (${gc.checksPassed}/${gc.checks} checks)`);
for (const { name, failures } of regressions) {
  console.log(`FAIL through the gateway only: ${name}`);
  for (const f of failures) console.log(`    ${f}`);
}
for (const name of improvements) console.log(`passes through the gateway only: ${name}`);
for (const check of lostChecks) console.log(`check lost through the gateway: ${check}`);
if (jsonAt > 0 && process.argv[jsonAt + 1]) {
  writeFileSync(process.argv[jsonAt + 1], JSON.stringify({
    direct: dc, gateway: gc,
    regressions: regressions.map((r) => r.name), improvements, lostChecks,
  }, null, 2) + '\n');
}
process.exit(regressions.length > 0 || (strictChecks && lostChecks.length > 0) ? 1 : 0);
