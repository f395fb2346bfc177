// The Helm chart, rendered (`helm template`, no cluster) with default and
// non-default values: what the chart promises, object by object.
//
// Run: tests/helm/run.sh render.test.mjs   (HELM_BIN: the pinned helm)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHART, HELM, YAML } from './lib/env.mjs';

const NS = 'gw-ns';

function render(...args) {
  const text = execFileSync(HELM, ['template', 'rel', CHART, '--namespace', NS, ...args], {
    encoding: 'utf8',
  });
  const objects = YAML.parseAllDocuments(text)
    .map((d) => d.toJS())
    .filter((o) => o && o.kind);
  return { text, objects };
}

const one = (objects, kind, nameSuffix = '') => {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name.endsWith(nameSuffix));
  assert.equal(found.length, 1, `exactly one ${kind} *${nameSuffix}, got ${found.length}`);
  return found[0];
};
const all = (objects, kind) => objects.filter((o) => o.kind === kind);
const gatewayContainer = (objects) => one(objects, 'Deployment').spec.template.spec.containers[0];

const EXPECTED_RULES = [
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'create', 'delete', 'patch'] },
  { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
  { apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
  { apiGroups: ['mcp-gateway.dev'], resources: ['databases', 'tenants'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['mcp-gateway.dev'], resources: ['databases/status', 'tenants/status'], verbs: ['update', 'patch'] },
];

// Restricted Pod Security (the profile's every rule that a pod spec can break).
function assertRestricted(podSpec, what) {
  const psc = podSpec.securityContext;
  assert.equal(psc.runAsNonRoot, true, `${what}: runAsNonRoot`);
  assert.notEqual(psc.runAsUser, 0, `${what}: not uid 0`);
  assert.equal(psc.seccompProfile.type, 'RuntimeDefault', `${what}: seccomp`);
  assert.ok(!podSpec.hostNetwork && !podSpec.hostPID && !podSpec.hostIPC, `${what}: no host namespaces`);
  for (const v of podSpec.volumes ?? []) assert.ok(!v.hostPath, `${what}: hostPath volume ${v.name}`);
  for (const c of podSpec.containers) {
    const sc = c.securityContext;
    assert.equal(sc.allowPrivilegeEscalation, false, `${what}/${c.name}: no privilege escalation`);
    assert.deepEqual(sc.capabilities.drop, ['ALL'], `${what}/${c.name}: drop ALL`);
    assert.equal(sc.capabilities.add, undefined, `${what}/${c.name}: adds nothing`);
    assert.equal(sc.readOnlyRootFilesystem, true, `${what}/${c.name}: read-only root`);
    assert.ok(!sc.privileged, `${what}/${c.name}: not privileged`);
    assert.equal(sc.runAsNonRoot, true, `${what}/${c.name}: runAsNonRoot`);
    for (const p of c.ports ?? []) assert.equal(p.hostPort, undefined, `${what}/${c.name}: no hostPort`);
  }
}

function secretValues(objects) {
  const s = one(objects, 'Secret');
  return Object.values(s.data).map((b64) => Buffer.from(b64, 'base64').toString());
}

test('defaults: 2 replicas of the kubernetes runtime, probes on the admin listener', () => {
  const { objects } = render();
  const d = one(objects, 'Deployment');
  assert.equal(d.spec.replicas, 2);
  assert.deepEqual(d.spec.selector.matchLabels, {
    'app.kubernetes.io/name': 'mcp-gateway',
    'app.kubernetes.io/instance': 'rel',
  });
  const c = gatewayContainer(objects);
  assert.ok(c.args.includes('--runtime=kubernetes'));
  assert.ok(c.args.includes(`--kube-namespace=${NS}`));
  assert.ok(c.args.includes('--secret-file=/etc/mcp-gateway/secret/gateway-secret'));
  assert.ok(c.args.includes('--admin-token-file=/etc/mcp-gateway/secret/admin-token'));
  assert.ok(c.args.includes('--idle-timeout=300s'));
  assert.ok(c.args.includes('--max-instances=32'));
  assert.ok(c.args.includes('--image=bytebase/dbhub:1.4.0'));
  const admin = c.ports.find((p) => p.name === 'admin');
  assert.equal(admin.containerPort, 9090);
  assert.ok(c.args.includes('--admin-listen=0.0.0.0:9090'));
  assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'admin' });
  assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'admin' });
  assert.equal(d.spec.template.spec.serviceAccountName, 'rel-mcp-gateway');
  // The secret arrives as files from the Secret, nothing else.
  const vol = d.spec.template.spec.volumes.find((v) => v.name === 'secret');
  assert.equal(vol.secret.secretName, 'rel-mcp-gateway-secret');
  assert.equal(c.env, undefined, 'no environment by default');
});

test('defaults: restricted Pod Security for the gateway and its cleanup Job', () => {
  const { objects } = render();
  assertRestricted(one(objects, 'Deployment').spec.template.spec, 'Deployment');
  const job = one(objects, 'Job', '-cleanup');
  assertRestricted(job.spec.template.spec, 'cleanup Job');
  assert.equal(job.metadata.annotations['helm.sh/hook'], 'pre-delete');
  assert.ok(job.spec.template.spec.containers[0].args.includes('--kube-cleanup'));
  assert.ok(job.spec.template.spec.containers[0].args.includes(`--kube-namespace=${NS}`));
  assert.deepEqual(job.spec.template.spec.containers[0].resources,
    { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '500m', memory: '128Mi' } });
});

test('defaults: a PodDisruptionBudget over the Deployment\'s pods', () => {
  const { objects } = render();
  const pdb = one(objects, 'PodDisruptionBudget');
  assert.equal(pdb.spec.minAvailable, 1);
  assert.deepEqual(pdb.spec.selector.matchLabels, one(objects, 'Deployment').spec.selector.matchLabels);
});

test('defaults: Services for MCP and admin apart, selecting the gateway pods', () => {
  const { objects } = render();
  const labels = one(objects, 'Deployment').spec.template.metadata.labels;
  const services = all(objects, 'Service');
  assert.equal(services.length, 2);
  const mcp = services.find((s) => s.metadata.name === 'rel-mcp-gateway');
  const admin = services.find((s) => s.metadata.name === 'rel-mcp-gateway-admin');
  assert.deepEqual(mcp.spec.ports.map((p) => [p.port, p.targetPort]), [[8080, 'mcp']]);
  assert.deepEqual(admin.spec.ports.map((p) => [p.port, p.targetPort]), [[9090, 'admin']]);
  for (const s of services) {
    for (const [k, v] of Object.entries(s.spec.selector)) assert.equal(labels[k], v);
  }
});

test('defaults: a namespaced Role with exactly the runtime\'s rules, bound to the ServiceAccount', () => {
  const { objects } = render();
  assert.equal(all(objects, 'ClusterRole').length, 0);
  assert.equal(all(objects, 'ClusterRoleBinding').length, 0);
  const role = one(objects, 'Role');
  assert.equal(role.metadata.namespace, NS);
  assert.deepEqual(role.rules, EXPECTED_RULES);
  const rb = one(objects, 'RoleBinding');
  assert.equal(rb.metadata.namespace, NS);
  assert.deepEqual(rb.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
  assert.deepEqual(rb.subjects, [{ kind: 'ServiceAccount', name: 'rel-mcp-gateway', namespace: NS }]);
  assert.equal(one(objects, 'ServiceAccount').metadata.name, 'rel-mcp-gateway');
});

test('defaults: the NetworkPolicy admits only gateway pods to DBHub\'s port; egress DNS only', () => {
  const { objects } = render();
  const np = one(objects, 'NetworkPolicy');
  assert.equal(np.metadata.namespace, NS);
  assert.deepEqual(np.spec.podSelector, {
    matchLabels: { 'app.kubernetes.io/managed-by': 'mcp-gateway' },
    matchExpressions: [{ key: 'mcp-gateway/gateway-id', operator: 'Exists' }],
  });
  assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
  assert.equal(np.spec.ingress.length, 1);
  assert.deepEqual(np.spec.ingress[0], {
    from: [{
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': NS } },
      podSelector: { matchLabels: one(objects, 'Deployment').spec.selector.matchLabels },
    }],
    ports: [{ protocol: 'TCP', port: 8080 }],
  });
  assert.deepEqual(np.spec.egress, [{
    ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
  }]);
});

test('the generated Secret: long random values, new per render, in no other object', () => {
  const a = render();
  const b = render();
  const va = secretValues(a.objects);
  const vb = secretValues(b.objects);
  assert.equal(va.length, 2);
  for (const v of va) assert.ok(v.length >= 32, 'at least 32 characters');
  assert.notEqual(va[0], va[1], 'gateway secret and admin token differ');
  for (const [i, v] of va.entries()) assert.notEqual(v, vb[i], 'generated, not a constant of the chart');
  // No secret value in anything but the Secret (argv, env, annotations...).
  const others = a.objects.filter((o) => o.kind !== 'Secret');
  const text = JSON.stringify(others);
  for (const v of va) {
    assert.ok(!text.includes(v), 'a secret value outside the Secret');
    assert.ok(!text.includes(Buffer.from(v).toString('base64')), 'a secret value (base64) outside the Secret');
  }
});

test('the chart\'s values hold no secret material', () => {
  const values = YAML.parse(execFileSync(HELM, ['show', 'values', CHART], { encoding: 'utf8' }));
  const flat = JSON.stringify(values);
  assert.ok(!/password|passwd|token"\s*:\s*"[^"]|secret"\s*:\s*"[^"]/i.test(flat), flat);
  assert.equal(values.secret.existingSecret, '');
});

test('an existing Secret: nothing generated, both files mounted from it', () => {
  const { objects } = render('--set', 'secret.existingSecret=corp-gw', '--set', 'secret.gatewaySecretKey=k1',
    '--set', 'secret.adminTokenKey=k2');
  assert.equal(all(objects, 'Secret').length, 0);
  for (const spec of [one(objects, 'Deployment').spec.template.spec, one(objects, 'Job').spec.template.spec]) {
    const vol = spec.volumes.find((v) => v.name === 'secret');
    assert.equal(vol.secret.secretName, 'corp-gw');
    assert.deepEqual(vol.secret.items.map((i) => i.key), ['k1', 'k2']);
    const args = spec.containers[0].args;
    assert.ok(args.includes('--secret-file=/etc/mcp-gateway/secret/k1'));
    assert.ok(args.includes('--admin-token-file=/etc/mcp-gateway/secret/k2'));
  }
});

test('non-default values: replicas, instance namespace, resources, volumes, databases, API address', () => {
  const { objects } = render(
    '--set', 'replicaCount=3',
    '--set', 'instances.namespace=dbhub-pods',
    '--set', 'instances.image=registry.example/dbhub:1.4.0-offline',
    '--set', 'instances.imagePullPolicy=Always',
    '--set', 'instances.resources.requests.cpu=250m',
    '--set', 'instances.resources.limits.memory=1Gi',
    '--set', 'instances.volumes[0].claim=sqlite',
    '--set', 'instances.volumes[0].mountPath=/data',
    '--set', 'instances.volumes[0].readOnly=true',
    '--set', 'networkPolicy.databases[0].cidr=10.20.0.0/16',
    '--set', 'networkPolicy.databases[0].ports={5432,3306}',
    '--set', 'gateway.idleTimeout=90s',
    '--set', 'gateway.maxInstances=7',
    '--set', 'kubernetesApi.host=10.1.2.3',
    '--set', 'kubernetesApi.port=6443',
    '--set', 'podDisruptionBudget.minAvailable=2',
    '--set', 'networkPolicy.gatewayId=0123456789ab',
  );
  const d = one(objects, 'Deployment');
  assert.equal(d.spec.replicas, 3);
  const args = gatewayContainer(objects).args;
  for (const a of ['--kube-namespace=dbhub-pods', '--image=registry.example/dbhub:1.4.0-offline',
    '--kube-image-pull-policy=Always', '--kube-cpu-request=250m', '--kube-memory-limit=1Gi',
    '--kube-volume=sqlite:/data:ro', '--idle-timeout=90s', '--max-instances=7']) {
    assert.ok(args.includes(a), `${a} in ${args}`);
  }
  assert.deepEqual(gatewayContainer(objects).env, [
    { name: 'KUBERNETES_SERVICE_HOST', value: '10.1.2.3' },
    { name: 'KUBERNETES_SERVICE_PORT', value: '6443' },
  ]);
  // RBAC and the NetworkPolicy where the instances are; the binding names
  // the ServiceAccount in the release's namespace.
  assert.equal(one(objects, 'Role').metadata.namespace, 'dbhub-pods');
  const rb = one(objects, 'RoleBinding');
  assert.equal(rb.metadata.namespace, 'dbhub-pods');
  assert.equal(rb.subjects[0].namespace, NS);
  const np = one(objects, 'NetworkPolicy');
  assert.equal(np.metadata.namespace, 'dbhub-pods');
  assert.deepEqual(np.spec.podSelector, {
    matchLabels: { 'app.kubernetes.io/managed-by': 'mcp-gateway', 'mcp-gateway/gateway-id': '0123456789ab' },
  });
  assert.deepEqual(np.spec.ingress[0].from[0].namespaceSelector.matchLabels, { 'kubernetes.io/metadata.name': NS });
  assert.deepEqual(np.spec.egress[1], {
    to: [{ ipBlock: { cidr: '10.20.0.0/16' } }],
    ports: [{ protocol: 'TCP', port: 5432 }, { protocol: 'TCP', port: 3306 }],
  });
  assert.equal(one(objects, 'PodDisruptionBudget').spec.minAvailable, 2);
  // The gateway itself stays in the release's namespace.
  assert.equal(d.metadata.namespace, NS);
  assert.equal(one(objects, 'Secret').metadata.namespace, NS);
});

test('optional parts: KEDA ScaledObject, ServiceMonitor; none by default', () => {
  const plain = render().objects;
  for (const kind of ['ScaledObject', 'TriggerAuthentication', 'ServiceMonitor']) {
    assert.equal(all(plain, kind).length, 0, kind);
  }
  const { objects } = render('--set', 'keda.enabled=true', '--set', 'keda.maxReplicas=6',
    '--set', 'serviceMonitor.enabled=true', '--set', 'cleanupOnUninstall=false',
    '--set', 'podDisruptionBudget.enabled=false', '--set', 'networkPolicy.enabled=false');
  const so = one(objects, 'ScaledObject');
  assert.equal(so.spec.scaleTargetRef.name, one(objects, 'Deployment').metadata.name);
  assert.equal(so.spec.maxReplicaCount, 6);
  assert.equal(so.spec.triggers[0].metadata.url, `http://rel-mcp-gateway-admin.${NS}.svc:9090/admin/scaling`);
  const ta = one(objects, 'TriggerAuthentication');
  assert.deepEqual(ta.spec.secretTargetRef, [{ parameter: 'token', name: 'rel-mcp-gateway-secret', key: 'admin-token' }]);
  assert.equal(one(objects, 'Deployment').spec.replicas, undefined, 'KEDA owns the replica count');
  const sm = one(objects, 'ServiceMonitor');
  assert.deepEqual(sm.spec.endpoints[0].bearerTokenSecret, { name: 'rel-mcp-gateway-secret', key: 'admin-token' });
  assert.equal(sm.spec.selector.matchLabels['app.kubernetes.io/part'], 'admin');
  assert.equal(all(objects, 'Job').length, 0);
  assert.equal(all(objects, 'PodDisruptionBudget').length, 0);
  assert.equal(all(objects, 'NetworkPolicy').length, 0);
});

test('crds/: every file there is rendered as a CustomResourceDefinition', () => {
  // (The folder is the CRD engineer's; until it holds files, no CRD renders.)
  const dir = join(CHART, 'crds');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)) : [];
  const { objects } = render('--include-crds');
  const crds = all(objects, 'CustomResourceDefinition');
  assert.ok(crds.length >= files.length, `${crds.length} CRDs from ${files.length} files`);
  for (const c of crds) assert.equal(c.spec.group, 'mcp-gateway.dev');
});
