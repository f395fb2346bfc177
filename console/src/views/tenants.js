// Tenants: their databases, options and tokens. Create, edit options, add
// or remove a source, issue a token (shown once), revoke, delete. DSNs come
// back redacted from the gateway; the one typed in is sent once and the
// field is cleared.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { Confirm, Empty, ErrorNote } from '../components.js';
import { time } from '../format.js';

const OPTION_FIELDS = [
  ['max_rows', 'Max rows'],
  ['idle_timeout_ms', 'Idle timeout (ms)'],
  ['max_instances', 'Max instances'],
  ['rate_per_second', 'Requests per second'],
  ['rate_burst', 'Rate burst'],
];

// The options as the form edits them: numbers or null (empty field).
function optionsFromForm(form) {
  const data = new FormData(form);
  const options = { readonly: data.get('readonly') === 'on' };
  for (const [name] of OPTION_FIELDS) {
    const raw = String(data.get(name) ?? '').trim();
    options[name] = raw === '' ? null : Number(raw);
  }
  return options;
}

function OptionsFields({ options = {}, prefix }) {
  return html`<fieldset class="grid options">
    <label><input type="checkbox" role="switch" name="readonly" checked=${!!options.readonly} /> Read-only</label>
    ${OPTION_FIELDS.map(([name, label]) => html`<label>${label}
      <input type="number" min="0" step="any" name=${name} id=${`${prefix}-${name}`}
        value=${options[name] ?? ''} placeholder="default" /></label>`)}
  </fieldset>`;
}

function CreateTenant({ onCreated }) {
  const [error, setError] = useState(null);
  const [open, setOpen] = useState(false);
  async function submit(e) {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    const body = { id: String(data.get('id')).trim(), options: optionsFromForm(form) };
    const source = String(data.get('source') ?? '').trim();
    const dsn = String(data.get('dsn') ?? '').trim();
    if (source || dsn) body.sources = [{ id: source, dsn }];
    setError(null);
    try {
      await api('POST', '/admin/tenants', body);
      form.reset();
      setOpen(false);
      onCreated(body.id);
    } catch (err) {
      setError(err.message);
    }
  }
  return html`<details open=${open} onToggle=${(e) => setOpen(e.currentTarget.open)}>
    <summary role="button" class="secondary">New tenant</summary>
    <form onSubmit=${submit} aria-label="New tenant" id="create-tenant">
      <label>Tenant id <input name="id" required autocomplete="off" /></label>
      <div class="grid">
        <label>First database name <input name="source" autocomplete="off" placeholder="e.g. shop" /></label>
        <label>Its DSN <input name="dsn" type="password" autocomplete="off" placeholder="postgres://user:password@host/db" /></label>
      </div>
      <${OptionsFields} prefix="new" />
      <${ErrorNote} error=${error} />
      <button type="submit">Create tenant</button>
    </form>
  </details>`;
}

function Tenant({ tenant, onChanged, onShowToken }) {
  const [error, setError] = useState(null);
  const [confirm, setConfirm] = useState(null); // {title, label, run}
  const base = `/admin/tenants/${encodeURIComponent(tenant.id)}`;

  async function run(what, fn) {
    setError(null);
    try {
      await fn();
      onChanged();
    } catch (e) {
      setError(`${what}: ${e.message}`);
    }
  }
  function saveOptions(e) {
    e.preventDefault();
    const options = optionsFromForm(e.currentTarget);
    run('save options', () => api('PATCH', base, { options }));
  }
  function addSource(e) {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    const id = String(data.get('source')).trim();
    const dsn = String(data.get('dsn'));
    run('add database', async () => {
      await api('PUT', `${base}/sources/${encodeURIComponent(id)}`, { dsn });
      form.reset();
    });
  }
  function issueToken(e) {
    e.preventDefault();
    const form = e.currentTarget;
    const label = String(new FormData(form).get('label')).trim();
    run('issue token', async () => {
      const issued = await api('POST', `${base}/tokens`, label ? { label } : {});
      form.reset();
      onShowToken(issued);
    });
  }

  return html`<article class="tenant" data-tenant=${tenant.id} aria-labelledby=${`tenant-${tenant.id}`}>
    <header class="row">
      <h3 id=${`tenant-${tenant.id}`}>${tenant.id} <small>revision ${tenant.revision}</small></h3>
      <button class="danger outline" onClick=${() => setConfirm({
        title: `Delete tenant ${tenant.id}?`, label: 'Delete tenant',
        body: 'Its tokens stop working and its instance drains.',
        run: () => run('delete tenant', () => api('DELETE', base)),
      })}>Delete tenant</button>
    </header>
    <${ErrorNote} error=${error} />
    <h4>Databases</h4>
    ${tenant.sources.length === 0
      ? html`<${Empty}>No database yet.<//>`
      : html`<ul class="sources">${tenant.sources.map((s) => html`<li key=${s.id}>
          <strong>${s.id}</strong> <code>${s.dsn}</code>
          <button class="secondary outline small" aria-label=${`Remove database ${s.id}`}
            onClick=${() => setConfirm({
              title: `Remove database ${s.id}?`, label: 'Remove',
              body: 'The tenant gets a new revision; its current instance drains.',
              run: () => run('remove database', () => api('DELETE', `${base}/sources/${encodeURIComponent(s.id)}`)),
            })}>Remove</button></li>`)}</ul>`}
    <form class="inline" onSubmit=${addSource} aria-label=${`Add a database to ${tenant.id}`}>
      <input name="source" required placeholder="database name" aria-label="Database name" autocomplete="off" />
      <input name="dsn" required type="password" placeholder="DSN" aria-label="DSN" autocomplete="off" />
      <button type="submit" class="secondary">Add database</button>
    </form>
    <details>
      <summary>Options${tenant.options.readonly ? ' (read-only)' : ''}</summary>
      <form onSubmit=${saveOptions} aria-label=${`Options of ${tenant.id}`}>
        <${OptionsFields} options=${tenant.options} prefix=${tenant.id} />
        <button type="submit" class="secondary">Save options</button>
      </form>
    </details>
    <h4>Tokens</h4>
    ${tenant.tokens.length === 0
      ? html`<${Empty}>No token.<//>`
      : html`<ul class="tokens">${tenant.tokens.map((t) => html`<li key=${t.id} data-token=${t.id}>
          <code>${t.id}</code> ${t.label ? html`<em>${t.label}</em>` : null}
          <small>created ${time(t.created_at)}</small>
          ${t.revoked_at
            ? html`<span class="revoked">revoked ${time(t.revoked_at)}</span>`
            : html`<button class="danger outline small" aria-label=${`Revoke token ${t.id}`}
                onClick=${() => setConfirm({
                  title: `Revoke token ${t.id}?`, label: 'Revoke',
                  body: 'Clients using it are refused from now on.',
                  run: () => run('revoke token', () => api('DELETE', `${base}/tokens/${encodeURIComponent(t.id)}`)),
                })}>Revoke</button>`}
        </li>`)}</ul>`}
    <form class="inline" onSubmit=${issueToken} aria-label=${`Issue a token for ${tenant.id}`}>
      <input name="label" placeholder="label (optional)" aria-label="Token label" autocomplete="off" />
      <button type="submit">Issue token</button>
    </form>
    ${confirm
      ? html`<${Confirm} title=${confirm.title} confirmLabel=${confirm.label} danger
          onClose=${(ok) => { const c = confirm; setConfirm(null); if (ok) c.run(); }}>
          <p>${confirm.body}</p><//>`
      : null}
  </article>`;
}

// The token, once: the gateway keeps only its hash.
function IssuedToken({ issued, onClose }) {
  return html`<${Confirm} title="Token issued" confirmLabel="Done" noCancel onClose=${onClose}>
    <p>Copy it now: it is not shown again.</p>
    <p><output id="issued-token" class="token">${issued.token}</output></p>
    <p><small>Tenant <strong>${issued.tenant}</strong>, token id <code>${issued.id}</code>.
      Clients send it as <code>Authorization: Bearer …</code></small></p>
  <//>`;
}

export function Tenants() {
  const [tenants, setTenants] = useState(null);
  const [error, setError] = useState(null);
  const [issued, setIssued] = useState(null);
  const load = () => api('GET', '/admin/tenants')
    .then((r) => { setTenants(r.tenants); setError(null); })
    .catch((e) => setError(e.message));
  useEffect(() => { load(); }, []);

  return html`<section aria-labelledby="tenants-title">
    <h2 id="tenants-title">Tenants ${tenants ? html`<small>(${tenants.length})</small>` : null}</h2>
    <${ErrorNote} error=${error} />
    <${CreateTenant} onCreated=${load} />
    ${tenants === null && !error ? html`<p aria-busy="true">Loading…</p>` : null}
    ${tenants && tenants.length === 0 ? html`<${Empty}>No tenant yet.<//>` : null}
    ${(tenants ?? []).map((t) => html`<${Tenant} key=${t.id} tenant=${t} onChanged=${load}
        onShowToken=${setIssued} />`)}
    ${issued ? html`<${IssuedToken} issued=${issued} onClose=${() => setIssued(null)} />` : null}
  </section>`;
}
