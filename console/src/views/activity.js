// Sessions, the warm pool and the last pool events.
import { html } from 'htm/preact';
import { Empty } from '../components.js';
import { time } from '../format.js';

function Facts({ facts }) {
  return html`<dl class="facts">
    ${facts.map(([name, value]) => html`<div><dt>${name}</dt><dd>${value ?? '—'}</dd></div>`)}
  </dl>`;
}

export function Sessions({ sessions }) {
  return html`<section aria-labelledby="sessions-title">
    <h2 id="sessions-title">Sessions</h2>
    ${sessions
      ? html`<${Facts} facts=${[
          ['Sessions issued', sessions.sessions_issued],
          ['Sessions ended', sessions.sessions_ended],
          ['Sessions rejected', sessions.sessions_rejected],
          ['Sessions with a backend', sessions.backend_sessions],
          ['Legacy SSE sessions open', sessions.legacy_sse_sessions],
          ['Resumable streams', sessions.resumable_streams],
          ['Replay buffer bytes', sessions.replay_buffer_bytes],
          ['Session lifetime (s)', sessions.session_ttl_seconds],
        ]} />`
      : html`<p aria-busy="true">Waiting for the feed…</p>`}
  </section>`;
}

export function WarmPool({ warmPool }) {
  return html`<section aria-labelledby="warm-title">
    <h2 id="warm-title">Warm pool</h2>
    ${warmPool
      ? html`<${Facts} facts=${[
          ['State', warmPool.state],
          ['Size', warmPool.size],
          ['Idle workers', warmPool.idle],
          ['Warming', warmPool.warming],
          ['Claims served (hits)', warmPool.hits],
          ['Misses', warmPool.misses],
          ['Workers replaced', warmPool.replaced],
          ['Mean refill (ms)', warmPool.mean_refill_ms],
          ['Why off', warmPool.reason],
        ]} />`
      : html`<p aria-busy="true">Waiting for the feed…</p>`}
  </section>`;
}

export function Events({ events }) {
  return html`<section aria-labelledby="events-title">
    <h2 id="events-title">Last events</h2>
    ${events.length === 0
      ? html`<${Empty}>No event yet.<//>`
      : html`<div class="scroll"><table class="striped cards" id="events-table">
          <thead><tr>
            <th scope="col">Time</th><th scope="col">Event</th><th scope="col">Instance</th>
            <th scope="col">Target</th><th scope="col">Detail</th>
          </tr></thead>
          <tbody>
            ${events.map((e) => html`<tr key=${e.seq} data-event=${e.type}>
              <td class="time" data-label="Time">${time(e.at)}</td>
              <td data-label="Event"><span class=${`event event-${e.type}`}>${e.type}</span></td>
              <td class="instance" data-label="Instance"><code>${e.instance_id || '—'}</code></td>
              <td data-label="Target"><code>${e.target || '—'}</code></td>
              <td data-label="Detail">${e.reason ?? (e.spawn_ms != null ? `${e.spawn_kind} start, ${e.spawn_ms} ms` : '')}</td>
            </tr>`)}
          </tbody>
        </table></div>`}
  </section>`;
}
