// The operator console in a real browser: Debian's chromium, driven by
// playwright-core, against a real gateway and real DBHub. An operator logs
// in with the admin token (keyboard only), watches an instance appear when
// an MCP client queries, drains it, creates a tenant and issues a token
// (which then opens the MCP endpoint), at a desktop and at a phone's width.
// A screenshot of each view is kept in $CONSOLE_ARTIFACTS.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  REPO, createStaffDatabase, gatewayTestWith, startGateway, tempDir,
} from '../sdk/lib/gateway.mjs';

const { chromium } = createRequire(join(REPO, 'console', 'package.json'))('playwright-core');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = process.env.CONSOLE_ARTIFACTS || join(REPO, 'build', 'console-artifacts');
// Bounds on waiting for an event, not sleeps: a wait ends as soon as it happens.
const WAIT_MS = 60_000;
// A password the page must never show (a tenant database's DSN).
const SECRET = 'hunter2-console-secret';

let dir, gw, browser, page, dsn;
const errors = [];
const foreignRequests = [];
const test = gatewayTestWith(() => gw, 120_000);

async function shot(name) {
  // Transitions finished: the picture shows where the page settles.
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true, animations: 'disabled' });
}

async function mcpCall(headers) {
  const res = await fetch(gw.mcpUrl, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0', id: 1, method: 'tools/call',
      params: { name: 'execute_sql', arguments: { sql: 'SELECT name FROM staff ORDER BY id' } },
    }),
  });
  return { status: res.status, text: await res.text() };
}

// Moves the keyboard focus to `locator` with Tab presses only (no clicks).
async function tabTo(locator, maxPresses = 80) {
  for (let i = 0; i < maxPresses; i += 1) {
    if (await locator.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`Tab never reached ${locator}`);
}

async function openView(name) {
  // The tab list: arrow keys move between views (WAI-ARIA tabs).
  const tab = page.getByRole('tab', { name });
  await tabTo(page.locator('[role=tab][aria-selected=true]'));
  for (let i = 0; i < 6 && (await tab.getAttribute('aria-selected')) !== 'true'; i += 1) {
    await page.keyboard.press('ArrowRight');
  }
  assert.equal(await tab.getAttribute('aria-selected'), 'true', `view ${name} selected`);
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dir = tempDir('console-test-');
  dsn = createStaffDatabase(join(dir.path, 'staff.db'), [
    { id: 1, name: 'Ada' }, { id: 2, name: 'Grace' },
  ]);
  gw = await startGateway(dir.path, ['--warm-pool=0']);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // As root (CI) chromium's own sandbox cannot start.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.setDefaultTimeout(WAIT_MS);
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => {
    if (!r.url().startsWith(gw.adminUrl)) foreignRequests.push(r.url());
  });
});

after(async () => {
  await browser?.close();
  await gw?.stop();
  dir?.cleanup();
});

test('the page comes with a strict Content-Security-Policy and no data', async () => {
  const res = await fetch(`${gw.adminUrl}/console`);
  assert.equal(res.status, 200);
  const csp = res.headers.get('content-security-policy');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
  const body = await res.text();
  assert.doesNotMatch(body, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
  // The feed wants the token like the rest of the admin API.
  const feed = await fetch(`${gw.adminUrl}/admin/feed`);
  assert.equal(feed.status, 401);
  const missing = await fetch(`${gw.adminUrl}/console/assets/nothing.js`);
  assert.equal(missing.status, 404);
});

test('log in with the token, keyboard only; a wrong token is refused', async () => {
  await page.goto(`${gw.adminUrl}/console`);
  await page.getByLabel('Admin token').waitFor();
  await shot('login');
  // The field has the focus: type and press Enter.
  await page.keyboard.type('not-the-token');
  await page.keyboard.press('Enter');
  await page.getByRole('alert').filter({ hasText: 'the admin token is wrong' }).waitFor();
  // The browser reports that 401 as a console error: expected here only.
  errors.length = 0;
  await page.getByLabel('Admin token').fill('');
  await page.getByLabel('Admin token').focus();
  await page.keyboard.type(gw.adminToken());
  await page.keyboard.press('Enter');
  await page.locator('#feed-status', { hasText: 'live' }).waitFor();
  assert.ok(!page.url().includes(gw.adminToken()), 'no token in the URL');
  assert.equal(
    await page.evaluate(() => sessionStorage.getItem('mcp-gateway-admin-token')),
    gw.adminToken(),
  );
});

test('an instance appears live when an MCP client queries', async () => {
  await page.getByText('No instance runs').waitFor();
  const answer = await mcpCall({ 'X-DBHub-DSN': dsn });
  assert.equal(answer.status, 200, answer.text);
  assert.match(answer.text, /Grace/);
  const row = page.locator('#instances-table tbody tr');
  await row.locator('.state-ready').waitFor();
  assert.equal(await row.count(), 1);
  assert.match(await row.innerText(), /process/);
  assert.match(await row.innerText(), /staff\.db/);
  await shot('instances');
  // Its recent log lines.
  await row.getByRole('button', { name: 'Logs' }).click();
  await page.locator('.logs pre').waitFor();
  await page.getByRole('button', { name: 'Close logs' }).click();
});

test('drain it with a confirmation, keyboard only; the event shows', async () => {
  const row = page.locator('#instances-table tbody tr');
  const id = await row.getAttribute('data-instance');
  await tabTo(row.getByRole('button', { name: 'Drain' }));
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await shot('drain-confirmation');
  await tabTo(dialog.getByRole('button', { name: 'Drain' }));
  await page.keyboard.press('Enter');
  // An idle instance that drains stops at once: its row goes.
  await page.locator(`tr[data-instance="${id}"]`).waitFor({ state: 'detached' });
  await openView('Events');
  await page.locator('#events-table tr[data-event="drained"]').waitFor();
  await page.locator('#events-table tr[data-event="ready"]').waitFor();
  await shot('events');
});

test('a start that fails shows with its reason, the password redacted', async () => {
  // Nothing listens on port 5: DBHub cannot connect and exits.
  const answer = await mcpCall({ 'X-DBHub-DSN': `postgres://app:${SECRET}@127.0.0.1:5/shop` });
  assert.equal(answer.status, 502, answer.text);
  const failed = page.locator('#events-table tr[data-event="failed"]');
  await failed.waitFor();
  const row = await failed.innerText();
  assert.match(row, /app:\*\*\*@127\.0\.0\.1:5/);
  assert.match(row, /ECONNREFUSED|could not|refused/i);
  assert.ok(!(await page.content()).includes(SECRET));
  await shot('events-failed');
});

test('create a tenant, issue a token shown once that works, edit options, revoke it', async () => {
  await openView('Tenants');
  await page.getByText('New tenant').click();
  const form = page.locator('#create-tenant');
  await form.getByLabel('Tenant id').fill('acme');
  await form.getByLabel('First database name').fill('staff');
  await form.getByLabel('Its DSN').fill(dsn);
  await form.getByRole('button', { name: 'Create tenant' }).click();
  const tenant = page.locator('article[data-tenant="acme"]');
  await tenant.waitFor();
  // A second database whose DSN has a password: shown redacted only.
  await tenant.getByLabel('Database name', { exact: true }).fill('warehouse');
  await tenant.getByLabel('DSN', { exact: true }).fill(`postgres://app:${SECRET}@127.0.0.1:5/warehouse`);
  await tenant.getByRole('button', { name: 'Add database' }).click();
  const warehouse = tenant.locator('ul.sources li', { hasText: 'warehouse' });
  await warehouse.waitFor();
  assert.match(await tenant.innerText(), /app:\*\*\*@127\.0\.0\.1/);
  assert.ok(!(await page.content()).includes(SECRET), 'no DSN password in the page');
  // Nothing listens there: remove it again (with a confirmation).
  await warehouse.getByRole('button', { name: 'Remove database warehouse' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
  await warehouse.waitFor({ state: 'detached' });

  await tenant.getByLabel('Token label').fill('laptop');
  await tenant.getByRole('button', { name: 'Issue token' }).click();
  const issued = page.locator('#issued-token');
  await issued.waitFor();
  const token = (await issued.innerText()).trim();
  assert.ok(token.length >= 32, 'a token is shown');
  await shot('token-issued');
  await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
  await tenant.locator('ul.tokens li').waitFor();
  assert.ok(!(await page.content()).includes(token), 'the token is shown once only');

  // Bad input: a clear error, and the console keeps working.
  await page.getByText('New tenant').click();
  await form.getByLabel('Tenant id').fill('acme');
  await form.getByRole('button', { name: 'Create tenant' }).click();
  await form.getByRole('alert').waitFor();
  assert.match(await form.getByRole('alert').innerText(), /acme/);
  errors.length = 0; // the browser's note of that 409
  await shot('tenants');

  const answer = await mcpCall({ Authorization: `Bearer ${token}` });
  assert.equal(answer.status, 200, answer.text);
  assert.match(answer.text, /Ada/);
  const revision = (await tenant.locator('h3 small').innerText()).replace('revision ', '').trim();
  await openView('Instances');
  const acmeRow = page.locator('#instances-table tbody tr', { hasText: 'acme' });
  await acmeRow.waitFor();
  // The instance serves the tenant's current revision.
  assert.match(revision, /^\d+$/);
  assert.equal((await acmeRow.locator('td').nth(8).innerText()).trim(), revision);

  // Edit its options, then revoke the token: the gateway refuses it.
  await openView('Tenants');
  await tenant.locator('details > summary', { hasText: 'Options' }).click();
  await tenant.getByLabel('Max rows').fill('50');
  await tenant.getByRole('button', { name: 'Save options' }).click();
  await tenant.locator('h3 small', { hasText: `revision ${Number(revision) + 1}` }).waitFor();
  const tokenRow = tenant.locator('ul.tokens li');
  await tokenRow.getByRole('button', { name: /^Revoke token/ }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
  await tokenRow.locator('.revoked').waitFor();
  const refused = await mcpCall({ Authorization: `Bearer ${token}` });
  assert.equal(refused.status, 401, refused.text);
});

test('sessions, warm pool and figures views', async () => {
  await openView('Sessions & warm pool');
  await page.getByText('Sessions issued').waitFor();
  await page.getByText('Idle workers').waitFor();
  await shot('sessions-warm-pool');
  await openView('Figures');
  await page.locator('#chart-latency canvas').waitFor();
  await page.locator('#chart-starts canvas').waitFor();
  await shot('figures');
});

test('at a phone width every view fits without sideways scrolling', async () => {
  await page.setViewportSize({ width: 380, height: 800 });
  for (const view of ['Instances', 'Tenants', 'Sessions & warm pool', 'Events', 'Figures']) {
    await openView(view);
    const wide = await page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      const over = [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > width + 0.5 && !el.closest('.scroll'))
        .map((el) => `${el.tagName.toLowerCase()}.${el.className}`);
      return { overflow: document.documentElement.scrollWidth - width, over: over.slice(0, 5) };
    });
    assert.ok(wide.overflow <= 0, `${view}: ${wide.overflow}px wider than the screen: ${wide.over}`);
    await shot(`narrow-${view.replace(/\W+/g, '-').toLowerCase()}`);
  }
});

test('feeds are bounded: past 8 at once a clear 503, and a slot frees when one closes', async () => {
  const headers = { Authorization: `Bearer ${gw.adminToken()}` };
  const open = [];
  let refused = null;
  // The page holds one feed already.
  for (let i = 0; i < 8 && !refused; i += 1) {
    const abort = new AbortController();
    const res = await fetch(`${gw.adminUrl}/admin/feed`, { headers, signal: abort.signal });
    if (res.status === 200) {
      open.push({ abort, res });
    } else {
      refused = res;
    }
  }
  assert.ok(refused, 'a feed past the limit is refused');
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get('retry-after'), '5');
  assert.match((await refused.json()).error.message, /at most 8/);
  assert.equal(open.length, 7);
  // A feed starts with hello and the last events, then figures each second.
  const reader = open[0].res.body.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  while (!text.includes('event: figures\n')) {
    const { value, done } = await reader.read();
    assert.ok(!done, `the feed ended early: ${text}`);
    text += value;
  }
  assert.match(text, /^event: hello\ndata: \{/);
  assert.match(text, /event: pool_event\ndata: \{[^\n]*"type":"drained"/);
  assert.ok(!text.includes(SECRET));
  for (const { abort } of open) abort.abort();
  // The gateway notices a closed feed at its next write (a second at most):
  // ask again until a slot is free (bounded).
  let again;
  for (let i = 0; i < 200; i += 1) {
    again = await fetch(`${gw.adminUrl}/admin/feed`, { headers });
    if (again.status === 200) break;
    await again.arrayBuffer();
    await sleep(50);
  }
  assert.equal(again.status, 200);
  await again.body.cancel();
});

test('nothing secret in the page, no request off the admin listener, no error', async () => {
  const content = await page.content();
  assert.ok(!content.includes(SECRET), 'no DSN password in the page');
  assert.ok(!content.includes(gw.adminToken()), 'no admin token in the page');
  assert.deepEqual(foreignRequests, []);
  assert.deepEqual(errors, []);
});
