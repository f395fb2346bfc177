// OAuth 2.1 for MCP clients (docs/oauth.md), against a real OpenID provider
// (oidc-provider on loopback) and the official SDK's OAuth client:
//   SDK (client/auth.js) --401--> resource metadata --> provider (DCR, code +
//   PKCE, headless login) --> token --> gateway's OAuth listener --> the
//   tenant's DBHub.
// Bad tokens are crafted with the provider's own key (or a stranger's) where
// a fault must be injected; everything else is the provider's own doing.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, createSign, constants as cryptoConstants } from 'node:crypto';
import { join } from 'node:path';
import {
  createStaffDatabase, depsRequire, gatewayTestWith, startGateway, tempDir,
} from './lib/gateway.mjs';
import { headlessAuthorize, newSigningKey, startOidcProvider } from './lib/oidc_provider.mjs';

const { Client } = depsRequire('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = depsRequire(
  '@modelcontextprotocol/sdk/client/streamableHttp.js',
);
const { UnauthorizedError } = depsRequire('@modelcontextprotocol/sdk/client/auth.js');

const TEST_TIMEOUT_MS = 120_000;
const REDIRECT_URI = 'http://127.0.0.1:1/callback';
const ACCOUNTS = { alice: 'acme', bob: 'acme', carol: 'globex' };
const ROBOT = { client_id: 'globex-robot', client_secret: 'robot-secret-0123456789', tenant: 'globex' };

const dir = tempDir('mcp-gateway-oauth-');
let gateway;
let oidc;
let resource;
const test = gatewayTestWith(() => gateway, TEST_TIMEOUT_MS);

const b64url = (data) => Buffer.from(data).toString('base64url');

// A JWT signed with `key` (RS256) or as told by `header`; claims default to
// a valid token of alice for the gateway.
function craft({ key = oidc.key, header = {}, claims = {}, sign } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const h = { alg: 'RS256', typ: 'at+jwt', kid: key.kid, ...header };
  const c = {
    iss: oidc.issuer, sub: 'alice', aud: resource, iat: now, exp: now + 300,
    scope: 'mcp', tenant: 'acme', client_id: 'crafted', ...claims,
  };
  const input = `${b64url(JSON.stringify(h))}.${b64url(JSON.stringify(c))}`;
  const signature = sign ? sign(input) : createSign('RSA-SHA256').update(input).sign(key.privateKey);
  return `${input}.${b64url(signature)}`;
}

async function rpc(url, token, body, extraHeaders = {}) {
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    ...extraHeaders,
  };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const INITIALIZE = {
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'oauth-test', version: '1' } },
};

async function connect(authProvider, headers) {
  const client = new Client({ name: 'oauth-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(resource), {
    authProvider, requestInit: headers ? { headers } : undefined,
  }));
  return client;
}

async function staffNames(client) {
  const { tools } = await client.listTools();
  const tool = tools.find((t) => t.name.startsWith('execute_sql'));
  assert.ok(tool, `an execute_sql tool in ${tools.map((t) => t.name)}`);
  const result = await client.callTool({ name: tool.name, arguments: { sql: 'SELECT name FROM staff ORDER BY id' } });
  assert.ok(!result.isError, JSON.stringify(result));
  return result.content.map((c) => c.text).join('\n');
}

// The SDK's OAuthClientProvider, kept in memory; the "browser" is
// headlessAuthorize.
class MemoryAuthProvider {
  get redirectUrl() { return REDIRECT_URI; }
  get clientMetadata() {
    return {
      client_name: 'mcp-gateway oauth test', redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
      token_endpoint_auth_method: 'none', application_type: 'native',
    };
  }
  clientInformation() { return this.client; }
  saveClientInformation(info) { this.client = info; }
  tokens() { return this.savedTokens; }
  saveTokens(tokens) { this.savedTokens = tokens; }
  redirectToAuthorization(url) { this.authorizationUrl = url; }
  saveCodeVerifier(verifier) { this.verifier = verifier; }
  codeVerifier() { return this.verifier; }
}

async function createTenant(id, dsn) {
  const res = await fetch(`${gateway.adminUrl}/admin/tenants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gateway.adminToken()}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id, sources: [{ id: 'people', dsn }] }),
  });
  assert.equal(res.status, 201, await res.text());
}

before(async () => {
  const acme = createStaffDatabase(join(dir.path, 'acme.db'), [{ id: 1, name: 'Ada (acme)' }]);
  const globex = createStaffDatabase(join(dir.path, 'globex.db'), [{ id: 1, name: 'Grace (globex)' }]);
  // The gateway's OAuth port must be known to the provider (the resource)
  // and the provider's to the gateway: the provider names the resource
  // lazily, through this variable, once the gateway listens.
  let gatewayResource = null;
  oidc = await startOidcProvider({
    get resource() { return gatewayResource; },
    accounts: ACCOUNTS, robots: [ROBOT],
  });
  gateway = await startGateway(dir.path, [
    '--oauth-listen=127.0.0.1:0', `--oidc-issuer=${oidc.issuer}`,
    '--oidc-required-scope=mcp', '--oidc-jwks-min-refetch=10ms', '--warm-pool=0',
    '--allowed-origins=https://app.example',
  ]);
  assert.ok(gateway.oauthBase, 'listen.json names the OAuth listener');
  resource = `${gateway.oauthBase}/mcp`;
  gatewayResource = resource;
  await createTenant('acme', acme);
  await createTenant('globex', globex);
});

after(async () => {
  await gateway?.stop();
  await oidc?.stop();
  dir.cleanup();
});

test('without a token: 401 pointing at the resource metadata, which names the provider', async () => {
  const res = await rpc(resource, null, INITIALIZE);
  assert.equal(res.status, 401, res.text);
  const challenge = res.headers.get('www-authenticate');
  const metadataUrl = `${gateway.oauthBase}/.well-known/oauth-protected-resource/mcp`;
  assert.equal(challenge, `Bearer resource_metadata="${metadataUrl}", scope="mcp"`);
  for (const url of [metadataUrl, `${gateway.oauthBase}/.well-known/oauth-protected-resource`]) {
    const meta = await (await fetch(url)).json();
    assert.equal(meta.resource, resource);
    assert.deepEqual(meta.authorization_servers, [oidc.issuer]);
    assert.deepEqual(meta.scopes_supported, ['mcp']);
  }
  // The DSN header is no substitute for a token here.
  const dsn = await rpc(resource, null, INITIALIZE, { 'X-DBHub-DSN': 'sqlite:///tmp/x.db' });
  assert.equal(dsn.status, 401);
  assert.match(JSON.parse(dsn.text).error.message, /OAuth access tokens only/);
});

test('browser clients: CORS preflight and a readable challenge for allowed origins only', async () => {
  const preflight = await fetch(resource, {
    method: 'OPTIONS',
    headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example');
  assert.match(preflight.headers.get('access-control-allow-headers'), /Authorization.*Mcp-Session-Id.*Last-Event-ID/);
  const refused = await rpc(resource, null, INITIALIZE, { origin: 'https://app.example' });
  assert.equal(refused.status, 401);
  assert.equal(refused.headers.get('access-control-allow-origin'), 'https://app.example');
  assert.match(refused.headers.get('access-control-expose-headers'), /WWW-Authenticate/);
  assert.match(refused.headers.get('access-control-expose-headers'), /Mcp-Session-Id/);
  const foreign = await fetch(resource, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
  assert.equal(foreign.status, 403);
});

test('the SDK OAuth client: 401, discovery, registration, code + PKCE, then its tenant\'s database', async () => {
  const auth = new MemoryAuthProvider();
  oidc.nextLogin = 'alice';
  await assert.rejects(connect(auth), UnauthorizedError);
  assert.ok(auth.authorizationUrl, 'the SDK was sent to the provider');
  assert.equal(auth.authorizationUrl.origin, oidc.issuer);
  assert.equal(auth.authorizationUrl.searchParams.get('resource'), resource);
  assert.equal(auth.authorizationUrl.searchParams.get('code_challenge_method'), 'S256');
  const code = await headlessAuthorize(auth.authorizationUrl, REDIRECT_URI);
  const transport = new StreamableHTTPClientTransport(new URL(resource), { authProvider: auth });
  await transport.finishAuth(code);
  const client = await connect(auth);
  assert.match(await staffNames(client), /Ada \(acme\)/);
  await client.close();
});

test('a client-credentials token reaches its own tenant', async () => {
  const token = await oidc.clientCredentialsToken(ROBOT);
  const client = await connect(undefined, { Authorization: `Bearer ${token}` });
  const names = await staffNames(client);
  assert.match(names, /Grace \(globex\)/);
  assert.doesNotMatch(names, /acme/);
  await client.close();
});

test('a session belongs to its subject: another user or tenant gets 404', async () => {
  const alice = craft();
  const init = await rpc(resource, alice, INITIALIZE);
  assert.equal(init.status, 200, init.text);
  const session = init.headers.get('mcp-session-id');
  assert.ok(session);
  const list = { jsonrpc: '2.0', id: 2, method: 'tools/list' };
  const headers = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' };
  assert.equal((await rpc(resource, alice, list, headers)).status, 200);
  const bob = await rpc(resource, craft({ claims: { sub: 'bob' } }), list, headers);
  assert.equal(bob.status, 404, bob.text);
  const carol = await rpc(resource, craft({ claims: { sub: 'carol', tenant: 'globex' } }), list, headers);
  assert.equal(carol.status, 404, carol.text);
  // Every request is authenticated again: the session is no credential.
  assert.equal((await rpc(resource, null, list, headers)).status, 401);
});

test('bad tokens get 401 invalid_token with a reason, and the gateway serves on', async () => {
  const now = Math.floor(Date.now() / 1000);
  const stranger = newSigningKey();
  const good = craft();
  const [h, p, s] = good.split('.');
  const tampered = `${h}.${b64url(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url')), tenant: 'globex' }))}.${s}`;
  const publicPem = oidc.key.publicKey.export({ format: 'pem', type: 'spki' });
  const cases = [
    ['expired', craft({ claims: { exp: now - 3600 } }), /expired/],
    ['not yet valid', craft({ claims: { nbf: now + 3600 } }), /not yet valid/],
    ['wrong issuer', craft({ claims: { iss: 'http://127.0.0.1:1/elsewhere' } }), /issuer/],
    ['wrong audience', craft({ claims: { aud: 'http://127.0.0.1:1/mcp' } }), /not meant for this resource/],
    ['alg none', craft({ header: { alg: 'none' }, sign: () => '' }), /alg none/],
    ['HS256 with the public key', craft({ header: { alg: 'HS256' }, sign: (i) => createHmac('sha256', publicPem).update(i).digest() }), /symmetric/],
    ['signed by another key under the issuer\'s kid',
      craft({ sign: (i) => createSign('RSA-SHA256').update(i).sign({ key: stranger.privateKey, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING }) }),
      /signature does not verify/],
    ['unknown kid (after a refetch)', craft({ key: stranger }), /does not publish/],
    ['tampered payload', tampered, /signature does not verify/],
    ['not a JWT', 'mgw_opaque-tenant-token', /not a JWT/],
  ];
  for (const [name, token, reason] of cases) {
    const res = await rpc(resource, token, INITIALIZE);
    assert.equal(res.status, 401, `${name}: ${res.text}`);
    const challenge = res.headers.get('www-authenticate');
    assert.match(challenge, /^Bearer resource_metadata="[^"]+", scope="mcp", error="invalid_token", error_description="[^"]+"$/, name);
    assert.match(challenge, reason, name);
    assert.match(JSON.parse(res.text).error.message, reason, name);
  }
  const noScope = await rpc(resource, craft({ claims: { scope: 'openid' } }), INITIALIZE);
  assert.equal(noScope.status, 403, noScope.text);
  assert.match(noScope.headers.get('www-authenticate'), /error="insufficient_scope"/);
  const unknownTenant = await rpc(resource, craft({ claims: { tenant: 'initech' } }), INITIALIZE);
  assert.equal(unknownTenant.status, 403, unknownTenant.text);
  // Still serving.
  assert.equal((await rpc(resource, good, INITIALIZE)).status, 200);
  assert.doesNotMatch(gateway.output(), new RegExp(good.split('.')[2]), 'no token in the log');
});

test('the header clients of --listen are untouched by OAuth', async () => {
  const dsn = `sqlite://${join(dir.path, 'acme.db')}`;
  const client = await connect(undefined, { 'X-DBHub-DSN': dsn }).catch(() => null);
  assert.equal(client, null, 'the OAuth listener refuses the DSN header');
  const direct = new Client({ name: 'oauth-test', version: '1.0.0' });
  await direct.connect(new StreamableHTTPClientTransport(new URL(gateway.mcpUrl), {
    requestInit: { headers: { 'X-DBHub-DSN': dsn } },
  }));
  assert.match(await staffNames(direct), /Ada \(acme\)/);
  await direct.close();
  const plain = await rpc(gateway.mcpUrl, null, INITIALIZE);
  assert.equal(plain.status, 401);
  assert.doesNotMatch(plain.headers.get('www-authenticate'), /resource_metadata/);
});

test('key rotation: the new key after one refetch, the removed key refused; provider down: cached keys', async () => {
  const oldKey = oidc.key;
  oidc.rotate();
  const fresh = await oidc.clientCredentialsToken(ROBOT);
  assert.notEqual(JSON.parse(Buffer.from(fresh.split('.')[0], 'base64url')).kid, oldKey.kid);
  assert.equal((await rpc(resource, fresh, INITIALIZE)).status, 200, 'new key accepted');
  const old = await rpc(resource, craft({ key: oldKey }), INITIALIZE);
  assert.equal(old.status, 401, old.text);
  assert.match(old.headers.get('www-authenticate'), /does not publish/);
  await oidc.stop();
  assert.equal((await rpc(resource, fresh, INITIALIZE)).status, 200, 'cached keys while the provider is down');
  assert.equal((await rpc(resource, craft({ key: newSigningKey() }), INITIALIZE)).status, 401);
  oidc = null;
});
