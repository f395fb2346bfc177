// The real test cluster as the chart's e2e test sees it: kubectl and helm on
// its kubeconfig, a private PostgreSQL where pods reach it, a relay to the API
// server for pods, `kubectl port-forward` to the gateway's Service. Nothing
// here is a stand-in for the gateway or DBHub.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { REPO, HELM } from './env.mjs';

const execFileP = promisify(execFile);
const CLUSTER_SH = join(REPO, 'tests', 'kubernetes', 'cluster.sh');

export class Cluster {
  constructor(dir) {
    this.dir = dir;
    this.kubeconfig = join(dir, 'kubeconfig');
    if (!existsSync(this.kubeconfig)) throw new Error(`no cluster at ${dir} (no kubeconfig)`);
    this.kubectlBin = execFileSync('bash', ['-c', `ls -d "${REPO}"/.deps/kubernetes/v*/bin/kubectl | head -n 1`], {
      encoding: 'utf8',
    }).trim();
  }

  kubectl(...args) {
    return execFileSync(this.kubectlBin, ['--kubeconfig', this.kubeconfig, ...args], {
      encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 << 20,
    });
  }

  async kubectlAsync(...args) {
    const { stdout } = await execFileP(this.kubectlBin, ['--kubeconfig', this.kubeconfig, ...args], {
      encoding: 'utf8', maxBuffer: 64 << 20,
    });
    return stdout;
  }

  kubectlApply(yaml) {
    return execFileSync(this.kubectlBin, ['--kubeconfig', this.kubeconfig, 'apply', '-f', '-'], {
      input: yaml, encoding: 'utf8',
    });
  }

  async helm(...args) {
    const { stdout } = await execFileP(HELM, ['--kubeconfig', this.kubeconfig, ...args], {
      encoding: 'utf8', maxBuffer: 64 << 20,
    });
    return stdout;
  }

  // The node's address (the bridge): where pods reach this host.
  nodeIp() {
    return this.kubectl('get', 'nodes', '-o', 'jsonpath={.items[0].status.addresses[?(@.type=="InternalIP")].address}').trim();
  }

  apiServerPort() {
    const server = this.kubectl('config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}').trim();
    return Number(new URL(server).port);
  }

  json(...args) {
    return JSON.parse(this.kubectl(...args, '-o', 'json'));
  }
}

// Builds the gateway image from BINARY and imports it into the cluster's containerd.
export function importGatewayImage(dir, binary, tag) {
  execFileSync('bash', [join(REPO, 'tests', 'helm', 'import_gateway_image.sh'), dir, binary, tag], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

// A TCP relay from the node's address to the API server on loopback: the test
// cluster has no kube-proxy (Service IPs are not routed) and its API server
// listens on 127.0.0.1 only, so gateway pods reach it here instead of at the
// `kubernetes` Service (the chart's kubernetesApi.host/port).
export async function startApiRelay(listenHost, targetPort) {
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => { client.destroy(); upstream.destroy(); });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise((res, rej) => server.listen(0, listenHost, res).once('error', rej));
  return {
    port: server.address().port,
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((res) => server.close(res));
    },
  };
}

// `kubectl port-forward svc/NAME` on a loopback port: kubectl picks one Ready
// pod behind the Service and forwards to it until that pod goes away.
export async function portForward(cluster, namespace, service, remotePort, localPort = 0) {
  const child = spawn(cluster.kubectlBin, ['--kubeconfig', cluster.kubeconfig, '-n', namespace, 'port-forward',
    '--address', '127.0.0.1', `svc/${service}`, `${localPort || ''}:${remotePort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise((res) => child.on('exit', (code, signal) => res({ code, signal })));
  const port = await new Promise((res, rej) => {
    const onData = (b) => {
      out += b.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) res(Number(m[1]));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then(({ code }) => rej(new Error(`port-forward exited (${code}): ${out}`)));
  });
  return {
    port,
    exited,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

// A private PostgreSQL 15 listening on the node's address (where pods reach
// this host), password-only over TCP from the pod network, with table
// products(id, name, qty).
export function startPostgres(nodeIp) {
  const bin = ['/usr/lib/postgresql'].flatMap((d) => (existsSync(d) ? readdirSync(d) : []).map((v) => join(d, v, 'bin')))
    .find((b) => existsSync(join(b, 'initdb')));
  if (!bin) throw new Error('no PostgreSQL server (initdb) under /usr/lib/postgresql: deploy/setup.sh install');
  const base = mkdtempSync('/tmp/mcpgw-helm-pg-');
  const data = join(base, 'data');
  const sock = join(base, 'sock');
  mkdirSync(data, { mode: 0o700 });
  mkdirSync(sock, { mode: 0o700 });
  const pgUser = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
  const pgGroup = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
  for (const p of [base, data, sock]) chownSync(p, pgUser, pgGroup);
  const asPg = (prog, args, opts = {}) => execFileSync('runuser', ['-u', 'postgres', '--', join(bin, prog), ...args], {
    encoding: 'utf8', cwd: base, ...opts,
  });
  asPg('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--auth-host=scram-sha-256', '-E', 'UTF8',
    '--locale=C', '--no-sync', '--no-instructions']);
  appendFileSync(join(data, 'postgresql.conf'), `\nlisten_addresses = '${nodeIp}'\n` +
    `unix_socket_directories = '${sock}'\npassword_encryption = 'scram-sha-256'\nfsync = off\n`);
  appendFileSync(join(data, 'pg_hba.conf'), `host all all ${nodeIp}/24 scram-sha-256\n`);
  // A random port; another one if it is taken.
  let port;
  for (let attempt = 1; ; attempt++) {
    port = 20000 + Math.floor(Math.random() * 20000);
    try {
      asPg('pg_ctl', ['-D', data, '-l', join(base, 'server.log'), '-o', `-p ${port}`, '-w', '-t', '60', 'start']);
      break;
    } catch (e) {
      if (attempt === 3) throw e;
    }
  }
  const password = randomBytes(18).toString('hex');
  const psql = (db, sql) => asPg('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', sock, '-p', String(port),
    '-U', 'postgres', '-d', db], { input: sql });
  psql('postgres', `CREATE ROLE app LOGIN PASSWORD '${password}';\nCREATE DATABASE app OWNER app;\n`);
  psql('app', "SET ROLE app;\nCREATE TABLE products(id integer PRIMARY KEY, name text NOT NULL, qty integer NOT NULL);\n" +
    "INSERT INTO products VALUES (1, 'apple', 5), (2, 'pear', 7), (3, 'plum', 0);\n");
  return {
    dsn: `postgres://app:${password}@${nodeIp}:${port}/app?sslmode=disable`,
    password,
    stop() {
      try { asPg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']); } catch { /* already stopped */ }
      rmSync(base, { recursive: true, force: true });
    },
  };
}

// Polls `check` (an async predicate) until it is true: these are events of
// the cluster (a pod gone, a rollout done) that kubectl cannot wait on alone.
export async function waitFor(what, check, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (e) { last = e; }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

