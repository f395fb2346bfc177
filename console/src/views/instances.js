// Instances: what runs for whom, live; drain, stop, recent log lines.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { Confirm, Empty, ErrorNote } from '../components.js';
import { ago, bytes } from '../format.js';

function Logs({ id, onClose }) {
  const [text, setText] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    api('GET', `/admin/instances/${encodeURIComponent(id)}/logs`)
      .then((r) => setText(r.output || '(no output yet)'))
      .catch((e) => setError(e.message));
  }, [id]);
  return html`<section class="logs" aria-label=${`Log lines of ${id}`}>
    <header class="row">
      <h3>Recent log lines of <code>${id}</code></h3>
      <button class="secondary" onClick=${onClose}>Close logs</button>
    </header>
    <${ErrorNote} error=${error} />
    ${text === null && !error ? html`<p aria-busy="true">Loading…</p>` : null}
    ${text !== null ? html`<pre tabindex="0">${text}</pre>` : null}
  </section>`;
}

export function Instances({ instances }) {
  const [confirm, setConfirm] = useState(null); // {id, action}
  const [logsOf, setLogsOf] = useState(null);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);
  const list = [...instances.values()].sort((a, b) => a.started_at.localeCompare(b.started_at));

  async function act(id, action) {
    setError(null);
    try {
      if (action === 'drain') await api('POST', `/admin/instances/${encodeURIComponent(id)}/drain`);
      else await api('DELETE', `/admin/instances/${encodeURIComponent(id)}`);
      setNotice(`${action === 'drain' ? 'Draining' : 'Stopping'} ${id}`);
    } catch (e) {
      setError(`${action} ${id}: ${e.message}`);
    }
  }

  return html`<section aria-labelledby="instances-title">
    <h2 id="instances-title">Instances <small>(${list.length})</small></h2>
    <${ErrorNote} error=${error} />
    ${notice ? html`<p role="status" class="notice">${notice}</p>` : null}
    ${list.length === 0
      ? html`<${Empty}>No instance runs. One starts when an MCP client sends a request.<//>`
      : html`<div class="scroll"><table class="striped cards" id="instances-table">
          <thead><tr>
            <th scope="col">Instance</th><th scope="col">State</th><th scope="col">Runtime</th>
            <th scope="col">Tenant or target</th><th scope="col">Memory</th>
            <th scope="col">In flight</th><th scope="col">Requests</th>
            <th scope="col">Last used</th><th scope="col">Revision</th><th scope="col">Actions</th>
          </tr></thead>
          <tbody>
            ${list.map((i) => html`<tr key=${i.id} data-instance=${i.id}>
              <td class="instance" data-label="Instance"><code>${i.id}</code></td>
              <td data-label="State"><span class=${`state state-${i.state}`}>${i.state}</span></td>
              <td data-label="Runtime">${i.runtime}</td>
              <td class="target" data-label="Tenant or target">${i.tenant ? html`<strong>${i.tenant}</strong>` : html`<code>${i.target}</code>`}</td>
              <td data-label="Memory">${bytes(i.memory_bytes)}</td>
              <td data-label="In flight">${i.in_flight}</td>
              <td data-label="Requests">${i.requests}</td>
              <td data-label="Last used">${ago(i.last_used_at)}</td>
              <td data-label="Revision">${i.tenant_revision ?? '—'}</td>
              <td class="actions" data-label="Actions">
                <button class="secondary outline" onClick=${() => setLogsOf(i.id)}>Logs</button>
                <button class="outline" disabled=${i.state !== 'ready'}
                  onClick=${() => setConfirm({ id: i.id, action: 'drain' })}>Drain</button>
                <button class="danger outline" disabled=${i.state === 'stopping'}
                  onClick=${() => setConfirm({ id: i.id, action: 'stop' })}>Stop</button>
              </td>
            </tr>`)}
          </tbody>
        </table></div>`}
    ${logsOf ? html`<${Logs} key=${logsOf} id=${logsOf} onClose=${() => setLogsOf(null)} />` : null}
    ${confirm
      ? html`<${Confirm}
          title=${confirm.action === 'drain' ? 'Drain this instance?' : 'Stop this instance?'}
          confirmLabel=${confirm.action === 'drain' ? 'Drain' : 'Stop'}
          danger=${confirm.action === 'stop'}
          onClose=${(ok) => {
            const c = confirm;
            setConfirm(null);
            if (ok) act(c.id, c.action);
          }}>
          <p>
            ${confirm.action === 'drain'
              ? 'It takes no new requests and stops once the ones in flight are done.'
              : 'It stops now; requests in flight get an error.'}
            ${' '}Instance <code>${confirm.id}</code>.
          </p>
        <//>`
      : null}
  </section>`;
}
