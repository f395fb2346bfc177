// A real OpenID provider for the OAuth tests: the certified `oidc-provider`
// package (pinned in deploy/npm), on a loopback port of its own, issuing
// JWT access tokens for the gateway's resource (RFC 8707 resource
// indicators), with a `tenant` claim taken from the account or the client.
// Logins are completed headlessly: the interaction endpoint signs in the
// account named by `nextLogin` and grants what the client asked for.
import { createServer } from 'node:http';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { depsRequire } from './gateway.mjs';

const { default: Provider, errors } = await import(
  pathToFileURL(depsRequire.resolve('oidc-provider')).href
);

// A new RSA signing key: the private JWK (for the provider and for tests
// that craft tokens) with its kid.
export function newSigningKey() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `k-${randomUUID().slice(0, 8)}`;
  return {
    kid,
    privateKey,
    publicKey,
    jwk: { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' },
  };
}

// accounts: { accountId: tenant }; robots: [{ client_id, client_secret, tenant }];
// options.resource (the gateway's MCP URL) is read when needed: the gateway
// starts after the provider.
export async function startOidcProvider(options) {
  const { accounts, robots, scope = 'mcp' } = options;
  const server = createServer();
  await new Promise((res) => server.listen(0, '127.0.0.1', res));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const state = { key: newSigningKey(), handler: null, nextLogin: null, provider: null };

  function build() {
    const provider = new Provider(issuer, {
      clients: robots.map((r) => ({
        client_id: r.client_id,
        client_secret: r.client_secret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
        tenant: r.tenant,
      })),
      extraClientMetadata: { properties: ['tenant'] },
      jwks: { keys: [state.key.jwk] },
      scopes: ['openid', 'offline_access', scope],
      findAccount: (ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
      extraTokenClaims: (ctx, token) => {
        if (token.accountId) return { tenant: accounts[token.accountId] };
        const client = ctx.oidc.client;
        return client?.tenant ? { tenant: client.tenant } : undefined;
      },
      features: {
        devInteractions: { enabled: false },
        registration: { enabled: true },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => options.resource,
          useGrantedResource: () => true,
          getResourceServerInfo: (ctx, indicator) => {
            if (indicator !== options.resource) throw new errors.InvalidTarget();
            return {
              scope,
              audience: options.resource,
              accessTokenTTL: 600,
              accessTokenFormat: 'jwt',
              jwt: { sign: { alg: 'RS256' } },
            };
          },
        },
      },
      pkce: { required: () => true },
      cookies: { keys: ['oauth-test-cookie-key'] },
      interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    });
    // Headless interactions: log in `nextLogin`, grant what is asked.
    provider.use(async (ctx, next) => {
      const match = ctx.path.match(/^\/interaction\/([^/]+)$/);
      if (!match) return next();
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      let result;
      if (details.prompt.name === 'login') {
        result = { login: { accountId: state.nextLogin } };
      } else {
        const grant = new provider.Grant({
          accountId: details.session.accountId,
          clientId: details.params.client_id,
        });
        const missing = details.prompt.details;
        if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
        for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes || {})) {
          grant.addResourceScope(indicator, scopes.join(' '));
        }
        result = { consent: { grantId: await grant.save() } };
      }
      await provider.interactionFinished(ctx.req, ctx.res, result, {
        mergeWithLastSubmission: true,
      });
      ctx.respond = false;
    });
    state.provider = provider;
    state.handler = provider.callback();
  }
  build();
  server.on('request', (req, res) => state.handler(req, res));

  return {
    issuer,
    get key() { return state.key; },
    set nextLogin(account) { state.nextLogin = account; },
    // A new signing key; the old one is no longer published.
    rotate() {
      state.key = newSigningKey();
      build();
    },
    async clientCredentialsToken(robot) {
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${robot.client_id}:${robot.client_secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource: options.resource }),
      });
      const body = await res.json();
      if (res.status !== 200) throw new Error(`token endpoint: ${res.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((res) => server.close(res));
    },
  };
}

// Follows an authorization URL like a browser would (cookies, redirects)
// until the provider redirects to `redirectUri`; the authorization code.
export async function headlessAuthorize(authorizationUrl, redirectUri) {
  const cookies = new Map();
  let url = String(authorizationUrl);
  for (let hop = 0; hop < 20; hop++) {
    if (url.startsWith(redirectUri)) {
      const params = new URL(url).searchParams;
      if (params.get('error')) {
        throw new Error(`authorization refused: ${params.get('error')}: ${params.get('error_description')}`);
      }
      return params.get('code');
    }
    const res = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
    }
    const location = res.headers.get('location');
    if (!location) {
      throw new Error(`authorization stopped at ${url}: HTTP ${res.status} ${(await res.text()).slice(0, 500)}`);
    }
    url = new URL(location, url).href;
  }
  throw new Error('authorization: too many redirects');
}
