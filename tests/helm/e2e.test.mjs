// The chart on the real test cluster (tests/kubernetes/cluster.sh): `helm
// install` with 2 replicas; the official MCP SDK client, from outside the
// cluster through the gateway's Service (kubectl port-forward), lists tools and
// queries SQLite (a PersistentVolume) and PostgreSQL (a private server where
// pods reach it); the replica holding the session is deleted mid-session and
// the next call on the same Mcp-Session-Id succeeds; `helm upgrade` keeps the
// secret and the sessions; `helm uninstall` leaves no pod, Secret or ended-session record behind
// (the pre-delete hook's --kube-cleanup).
//
// Run: tests/helm/run.sh e2e.test.mjs   with
//   MCPGW_HELM_CLUSTER_DIR  the cluster's DIR (its kubeconfig; up already)
//   MCP_GATEWAY_BIN         the gateway binary the image is built from
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { CHART, depsRequire } from './lib/env.mjs';
import { Cluster, importGatewayImage, portForward, startApiRelay, startPostgres, waitFor } from './lib/cluster.mjs';

const { Client } = depsRequire('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = depsRequire('@modelcontextprotocol/sdk/client/streamableHttp.js');

const DIR = resolve(process.env.MCPGW_HELM_CLUSTER_DIR || '');
const BINARY = resolve(process.env.MCP_GATEWAY_BIN || '');
const NS = process.env.MCPGW_HELM_NAMESPACE || 'mcpgw-helm-e2e';
const RELEASE = 'e2e';
const SERVICE = `${RELEASE}-mcp-gateway`;
const IMAGE_TAG = 'mcp-gateway/gateway:e2e';
const DBHUB_IMAGE = 'localhost/mcp-gateway/dbhub:1.4.0-offline';
const SELECTOR = `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/name=mcp-gateway`;
const INSTANCE_SELECTOR = 'app.kubernetes.io/managed-by=mcp-gateway';
const STEP_TIMEOUT_MS = 240_000;

const cluster = new Cluster(DIR);
const shared = join(DIR, 'helm-e2e-shared');
const sqliteDsn = 'sqlite:///data/staff.db';
let relay;
let postgres;
let forward;
const clients = {}; // name -> { client, transport }
const figures = {};

function log(msg) { console.error(`e2e: ${new Date().toISOString()} ${msg}`); }

// Each step needs the ones before: after a failure the rest fail at once
// (not skipped), and the first failure shows what the namespace holds.
let broken = null;
function step(name, fn) {
  test(name, { timeout: STEP_TIMEOUT_MS }, async () => {
    if (broken) throw new Error(`not run: "${broken}" failed`);
    try {
      await fn();
    } catch (e) {
      broken = name;
      diagnose();
      throw e;
    }
  });
}

function diagnose() {
  for (const args of [['get', 'pods,jobs,events', '-o', 'wide'], ['logs', '-l', SELECTOR, '--tail=30', '--prefix'],
    ['logs', '-l', SELECTOR, '--tail=30', '--prefix', '--previous']]) {
    try { log(`kubectl ${args.join(' ')}:\n${cluster.kubectl('-n', NS, ...args)}`); } catch (e) { log(`${args[0]}: ${e.message}`); }
  }
}

function sqliteFiles() {
  rmSync(shared, { recursive: true, force: true });
  mkdirSync(shared, { recursive: true });
  chmodSync(shared, 0o755);
  const db = new DatabaseSync(join(shared, 'staff.db'));
  db.exec('CREATE TABLE staff (id INTEGER PRIMARY KEY, name TEXT NOT NULL)');
  db.exec("INSERT INTO staff VALUES (1, 'Ada Lovelace'), (2, 'Grace Hopper')");
  db.close();
  chmodSync(join(shared, 'staff.db'), 0o644);
}

// The namespace (restricted Pod Security enforced: the gateway must pass it
// too) and the SQLite files as a hostPath PersistentVolume bound to a claim
// the instance pods mount (restricted pods may not use hostPath themselves).
function namespaceAndVolume() {
  cluster.kubectlApply(`
apiVersion: v1
kind: Namespace
metadata:
  name: ${NS}
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: ${NS}-sqlite
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadOnlyMany]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ""
  hostPath: {path: "${shared}", type: Directory}
  claimRef: {namespace: ${NS}, name: sqlite}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: sqlite
  namespace: ${NS}
spec:
  accessModes: [ReadOnlyMany]
  storageClassName: ""
  volumeName: ${NS}-sqlite
  resources: {requests: {storage: 1Gi}}
`);
}

function helmValues(nodeIp) {
  return [
    '--set', `image.repository=localhost/${IMAGE_TAG.split(':')[0]}`,
    '--set', `image.tag=${IMAGE_TAG.split(':')[1]}`,
    '--set', 'image.pullPolicy=Never',
    '--set', `instances.image=${DBHUB_IMAGE}`,
    '--set', 'instances.imagePullPolicy=Never',
    '--set', 'instances.volumes[0].claim=sqlite',
    '--set', 'instances.volumes[0].mountPath=/data',
    '--set', 'instances.volumes[0].readOnly=true',
    '--set', `networkPolicy.databases[0].cidr=${nodeIp}/32`,
    '--set', 'networkPolicy.databases[0].ports={5432}',
    '--set', `kubernetesApi.host=${nodeIp}`,
    '--set', `kubernetesApi.port=${relay.port}`,
    '--set', 'resources.requests.cpu=50m',
    // The sanitized binary's shadow memory alone is about 100 MB: the
    // cleanup Job's default limit (128Mi) is for the plain one.
    '--set', 'cleanupResources.limits.memory=512Mi',
    // A sanitized (ASan) gateway: LeakSanitizer's exit-time scan needs
    // ptrace-like access that seccomp RuntimeDefault refuses.
    '--set', 'gateway.extraEnv[0].name=ASAN_OPTIONS',
    '--set', 'gateway.extraEnv[0].value=detect_leaks=0',
  ];
}

function gatewayPods() {
  return cluster.json('-n', NS, 'get', 'pods', '-l', SELECTOR).items
    .filter((p) => !p.metadata.deletionTimestamp);
}

function readyGatewayPods() {
  return gatewayPods().filter((p) => (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'));
}

function secretData() {
  return cluster.json('-n', NS, 'get', 'secret', `${RELEASE}-mcp-gateway-secret`).data;
}

function adminToken() {
  return Buffer.from(secretData()['admin-token'], 'base64').toString().trim();
}

// The gateway pods that run instances (their admin API, at the pod's IP).
async function podsWithInstances() {
  const token = adminToken();
  const holders = [];
  for (const pod of readyGatewayPods()) {
    const r = await fetch(`http://${pod.status.podIP}:9090/admin/instances`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200);
    const body = await r.json();
    if (body.instances.length > 0) holders.push(pod.metadata.name);
  }
  return holders;
}

// What every Ready replica makes of a declared Tenant (its admin API). The
// status is written by whichever replica got there first; the one a client
// reaches may be a moment behind it (its own watches).
async function tenantOnReplicas(id) {
  const token = adminToken();
  const views = {};
  for (const pod of readyGatewayPods()) {
    const r = await fetch(`http://${pod.status.podIP}:9090/admin/tenants/${id}`, { headers: { authorization: `Bearer ${token}` } });
    views[pod.metadata.name] = r.status === 200 ? await r.json() : { status: r.status };
  }
  return views;
}

// Waits until the Tenant's status and every Ready replica agree: one
// revision, serving `databases` (sorted names), nothing noted against it (its
// tokens Secret read), and `check` true of each replica's view. Returns that
// revision.
async function waitTenantServed(id, databases, what, check = () => true) {
  let last = {};
  let served = 0;
  await waitFor(what, async () => {
    const status = cluster.json('-n', NS, 'get', 'tenants.mcp-gateway.dev', id).status ?? {};
    if (!status.revision || JSON.stringify(status.databases) !== JSON.stringify(databases)) return false;
    last = await tenantOnReplicas(id);
    const agreed = Object.keys(last).length > 0 && Object.values(last).every((v) =>
      v.revision === status.revision && !v.problem && !v.notes &&
      JSON.stringify(v.databases.map((d) => d.source).sort()) === JSON.stringify(databases) && check(v));
    if (agreed) served = status.revision;
    return agreed;
  }).catch((e) => { throw new Error(`${e.message}; replicas: ${JSON.stringify(last)}`); });
  return served;
}

async function connect(name, dsn) {
  const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${forward.port}/mcp`), {
    requestInit: { headers: { 'X-DBHub-DSN': dsn } },
  });
  const client = new Client({ name: `helm-e2e-${name}`, version: '1.0.0' });
  await client.connect(transport);
  clients[name] = { client, transport };
  return clients[name];
}

// A client of a declared tenant: its token instead of a DSN.
async function connectTenant(name, token) {
  const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${forward.port}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: `helm-e2e-${name}`, version: '1.0.0' });
  await client.connect(transport);
  clients[name] = { client, transport };
  return clients[name];
}

async function query(name, sql) {
  const result = await clients[name].client.callTool({ name: 'execute_sql', arguments: { sql } });
  assert.ok(!result.isError, `execute_sql: ${JSON.stringify(result)}`);
  const doc = JSON.parse(result.content[0].text);
  assert.equal(doc.success, true, result.content[0].text);
  assert.equal(doc.data.statements.length, 1);
  return doc.data.statements[0].rows;
}

async function restartForward() {
  const port = forward.port;
  await forward.stop();
  forward = await portForward(cluster, NS, SERVICE, 8080, port);
}

before(async () => {
  const t0 = Date.now();
  importGatewayImage(DIR, BINARY, IMAGE_TAG);
  figures.image_s = (Date.now() - t0) / 1000;
  const nodeIp = cluster.nodeIp();
  relay = await startApiRelay(nodeIp, cluster.apiServerPort());
  postgres = startPostgres(nodeIp);
  sqliteFiles();
  namespaceAndVolume();
  await waitFor('the claim to be Bound', () =>
    cluster.json('-n', NS, 'get', 'pvc', 'sqlite').status.phase === 'Bound');
  helmValues.nodeIp = nodeIp;
});

after(async () => {
  for (const { client } of Object.values(clients)) await client.close().catch(() => {});
  await forward?.stop();
  // What a failed run left: the release (its hook cleans the instances), the namespace.
  await cluster.helm('uninstall', RELEASE, '-n', NS, '--wait', '--timeout', '2m').catch(() => {});
  try { cluster.kubectl('delete', 'namespace', NS, '--wait=true', '--timeout=120s'); } catch { /* gone */ }
  try { cluster.kubectl('delete', 'pv', `${NS}-sqlite`, '--wait=true', '--timeout=60s'); } catch { /* gone */ }
  await relay?.close();
  postgres?.stop();
  rmSync(shared, { recursive: true, force: true });
  log(`figures: ${JSON.stringify(figures)}`);
});

step('helm install: 2 Ready replicas under restricted Pod Security, the Service, the NetworkPolicy', async () => {
  const t0 = Date.now();
  await cluster.helm('install', RELEASE, CHART, '-n', NS, ...helmValues(helmValues.nodeIp), '--wait', '--timeout', '3m');
  figures.install_s = (Date.now() - t0) / 1000;
  const pods = readyGatewayPods();
  assert.equal(pods.length, 2, 'two Ready gateway replicas');
  for (const p of pods) {
    const c = p.spec.containers[0];
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    // No secret in the pod spec: the secret and the token are files.
    const spec = JSON.stringify(p.spec);
    for (const v of Object.values(secretData())) {
      assert.ok(!spec.includes(Buffer.from(v, 'base64').toString().trim()), 'a secret value in the pod spec');
    }
  }
  const svc = cluster.json('-n', NS, 'get', 'endpoints', SERVICE);
  assert.equal(svc.subsets[0].addresses.length, 2, 'both replicas behind the Service');
  assert.equal(cluster.json('-n', NS, 'get', 'networkpolicy').items.length, 1);
  forward = await portForward(cluster, NS, SERVICE, 8080);
});

step('the SDK client lists tools and queries SQLite and PostgreSQL through the Service', async () => {
  const t0 = Date.now();
  await connect('sqlite', sqliteDsn);
  const { tools } = await clients.sqlite.client.listTools();
  assert.ok(tools.map((t) => t.name).includes('execute_sql'), JSON.stringify(tools.map((t) => t.name)));
  assert.deepEqual(await query('sqlite', 'SELECT id, name FROM staff ORDER BY id'),
    [{ id: 1, name: 'Ada Lovelace' }, { id: 2, name: 'Grace Hopper' }]);
  figures.first_sqlite_query_s = (Date.now() - t0) / 1000;
  await connect('postgres', postgres.dsn);
  assert.deepEqual(await query('postgres', 'SELECT name, qty FROM products ORDER BY id'),
    [{ name: 'apple', qty: 5 }, { name: 'pear', qty: 7 }, { name: 'plum', qty: 0 }]);
  // One DBHub pod per DSN, in the namespace, with the runtime's labels.
  const instances = cluster.json('-n', NS, 'get', 'pods', '-l', INSTANCE_SELECTOR).items;
  assert.equal(instances.length, 2, instances.map((p) => p.metadata.name).join(' '));
  for (const p of instances) assert.ok(p.metadata.labels['mcp-gateway/gateway-id']);
});

step('the replica holding the session is deleted; the next call on the same session succeeds', async () => {
  const holders = await podsWithInstances();
  assert.equal(holders.length, 1, `one replica serves the port-forward: ${holders}`);
  const sessionIds = Object.fromEntries(Object.entries(clients).map(([k, v]) => [k, v.transport.sessionId]));
  const t0 = Date.now();
  cluster.kubectl('-n', NS, 'delete', 'pod', holders[0], '--wait=true', '--timeout=120s');
  await restartForward();
  assert.deepEqual(await query('sqlite', 'SELECT count(*) AS n FROM staff'), [{ n: 2 }]);
  assert.deepEqual(await query('postgres', 'SELECT sum(qty)::int AS n FROM products'), [{ n: 12 }]);
  figures.after_replica_loss_s = (Date.now() - t0) / 1000;
  for (const [k, v] of Object.entries(clients)) assert.equal(v.transport.sessionId, sessionIds[k], `${k}: same session`);
  const now = await podsWithInstances();
  assert.ok(!now.includes(holders[0]), 'another replica answered');
  assert.equal(now.length, 1);
});

step('helm upgrade keeps the secret and the sessions', async () => {
  const before = secretData();
  const oldPods = gatewayPods().map((p) => p.metadata.name).sort();
  const sessionIds = Object.fromEntries(Object.entries(clients).map(([k, v]) => [k, v.transport.sessionId]));
  const t0 = Date.now();
  // A changed flag: every replica is replaced.
  await cluster.helm('upgrade', RELEASE, CHART, '-n', NS, ...helmValues(helmValues.nodeIp),
    '--set', 'gateway.idleTimeout=301s', '--wait', '--timeout', '3m');
  await waitFor('the old replicas to be gone', () =>
    cluster.json('-n', NS, 'get', 'pods', '-l', SELECTOR).items.every((p) => !oldPods.includes(p.metadata.name)));
  figures.upgrade_s = (Date.now() - t0) / 1000;
  assert.deepEqual(secretData(), before, 'the generated secret and admin token are kept');
  const pods = readyGatewayPods();
  assert.equal(pods.length, 2);
  for (const p of pods) assert.ok(p.spec.containers[0].args.includes('--idle-timeout=301s'));
  await restartForward();
  assert.deepEqual(await query('sqlite', 'SELECT name FROM staff WHERE id = 2'), [{ name: 'Grace Hopper' }]);
  assert.deepEqual(await query('postgres', "SELECT qty FROM products WHERE name = 'pear'"), [{ qty: 7 }]);
  for (const [k, v] of Object.entries(clients)) assert.equal(v.transport.sessionId, sessionIds[k], `${k}: same session`);
});

step('a Secret, two Databases and a Tenant applied with kubectl: its token queries both; readonly edited takes effect', async () => {
  const token = `helm-e2e-tenant-${randomBytes(16).toString('hex')}`;
  const pg = new URL(postgres.dsn);
  const declared = `apiVersion: v1
kind: Secret
metadata: {name: e2e-pg, namespace: ${NS}}
stringData: {username: app, password: "${postgres.password}"}
---
apiVersion: v1
kind: Secret
metadata: {name: e2e-tokens, namespace: ${NS}}
stringData: {ci: "${createHash('sha256').update(token).digest('hex')}"}
---
apiVersion: mcp-gateway.dev/v1alpha1
kind: Database
metadata: {name: shop, namespace: ${NS}, labels: {tenant: e2e}}
spec: {type: postgres, host: "${pg.hostname}", port: ${pg.port}, database: app, sslMode: disable, credentialsRef: {name: e2e-pg}}
---
apiVersion: mcp-gateway.dev/v1alpha1
kind: Database
metadata: {name: staff, namespace: ${NS}}
spec: {type: sqlite, database: /data/staff.db}
---
apiVersion: mcp-gateway.dev/v1alpha1
kind: Tenant
metadata: {name: e2e, namespace: ${NS}}
spec:
  databaseSelector: {matchLabels: {tenant: e2e}, names: [staff]}
  auth: {tokenSecretRef: {name: e2e-tokens}}
`;
  const t0 = Date.now();
  cluster.kubectlApply(declared);
  const first = await waitTenantServed('e2e', ['shop', 'staff'], 'the Tenant served with both databases');
  await connectTenant('tenant', token);
  const call = async (tool, sql) => {
    const result = await clients.tenant.client.callTool({ name: tool, arguments: { sql } });
    return { result, text: result.content?.[0]?.text ?? '' };
  };
  const shop = await call('execute_sql_shop', 'SELECT name FROM products ORDER BY id');
  assert.ok(!shop.result.isError, shop.text);
  assert.deepEqual(JSON.parse(shop.text).data.statements[0].rows.map((r) => r.name), ['apple', 'pear', 'plum']);
  const staff = await call('execute_sql_staff', 'SELECT count(*) AS n FROM staff');
  assert.ok(!staff.result.isError, staff.text);
  assert.deepEqual(JSON.parse(staff.text).data.statements[0].rows, [{ n: 2 }]);
  figures.declared_tenant_first_answer_s = (Date.now() - t0) / 1000;
  // readonly edited on the Tenant: a new revision, and the next write is refused.
  cluster.kubectl('-n', NS, 'patch', 'tenants.mcp-gateway.dev', 'e2e', '--type=merge',
    '-p', '{"spec":{"defaultPolicy":{"readonly":true}}}');
  await waitTenantServed('e2e', ['shop', 'staff'], 'a readonly revision',
    (v) => v.revision !== first && v.options?.readonly === true);
  // A session belongs to the revision it began with (its instance key): a
  // client starts a new one on the 404, as MCP clients do.
  await clients.tenant.client.close();
  await connectTenant('tenant', token);
  const write = await call('execute_sql_shop', "UPDATE products SET qty = qty WHERE name = 'pear'");
  assert.ok(write.text.includes('READONLY_VIOLATION') || write.result.isError, write.text);
  // The password is in no pod spec of the namespace.
  assert.ok(!JSON.stringify(cluster.json('-n', NS, 'get', 'pods')).includes(postgres.password));
  await clients.tenant.client.close();
  delete clients.tenant;
  // The user removes what they declared (Helm does not own it).
  cluster.kubectl('-n', NS, 'delete', 'tenants.mcp-gateway.dev/e2e', 'databases.mcp-gateway.dev/shop',
    'databases.mcp-gateway.dev/staff', 'secret/e2e-pg', 'secret/e2e-tokens', '--wait=true');
});

step('helm uninstall leaves no pod, Secret or ended-session record behind', async () => {
  // One session ended with DELETE: its record (a ConfigMap) goes too.
  const ENDED = 'mcp-gateway/kind=ended-session';
  await Object.values(clients)[0].transport.terminateSession();
  await waitFor('the ended session to be recorded',
    () => cluster.json('-n', NS, 'get', 'configmaps', '-l', ENDED).items.length > 0);
  for (const { client } of Object.values(clients)) await client.close();
  for (const k of Object.keys(clients)) delete clients[k];
  await forward.stop();
  forward = undefined;
  assert.ok(cluster.json('-n', NS, 'get', 'pods', '-l', INSTANCE_SELECTOR).items.length > 0, 'instance pods before');
  const t0 = Date.now();
  await cluster.helm('uninstall', RELEASE, '-n', NS, '--wait', '--timeout', '3m');
  await waitFor('every pod of the namespace to be gone', () => cluster.json('-n', NS, 'get', 'pods').items.length === 0);
  figures.uninstall_s = (Date.now() - t0) / 1000;
  assert.deepEqual(cluster.json('-n', NS, 'get', 'secrets').items.map((s) => s.metadata.name), []);
  assert.deepEqual(cluster.json('-n', NS, 'get', 'configmaps', '-l', ENDED).items.map((c) => c.metadata.name), []);
  // The cleanup Job itself is gone too (hook-succeeded).
  assert.deepEqual(cluster.json('-n', NS, 'get', 'jobs').items.map((j) => j.metadata.name), []);
  // Declared databases and tenants, where their CRDs are installed.
  const crds = cluster.json('get', 'crd').items.map((c) => c.metadata.name);
  for (const kind of ['databases.mcp-gateway.dev', 'tenants.mcp-gateway.dev']) {
    if (crds.includes(kind)) assert.deepEqual(cluster.json('-n', NS, 'get', kind).items, [], kind);
  }
});
