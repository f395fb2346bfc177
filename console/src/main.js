// The operator console: log in with the admin token, then see and steer
// instances, tenants, sessions, the warm pool and the last events, live.
import '@picocss/pico/css/pico.min.css';
import './style.css';
import { html } from 'htm/preact';
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { api, token } from './api.js';
import { ErrorNote } from './components.js';
import { useFeed } from './store.js';
import { Instances } from './views/instances.js';
import { Tenants } from './views/tenants.js';
import { Events, Sessions, WarmPool } from './views/activity.js';
import { Charts } from './views/charts.js';

const VIEWS = [
  ['instances', 'Instances'],
  ['tenants', 'Tenants'],
  ['activity', 'Sessions & warm pool'],
  ['events', 'Events'],
  ['figures', 'Figures'],
];

function Login({ onLogin, reason }) {
  const [error, setError] = useState(reason);
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    const value = String(new FormData(e.currentTarget).get('token')).trim();
    setBusy(true);
    token.set(value);
    try {
      await api('GET', '/admin/scaling'); // any call that needs the token
      onLogin();
    } catch (err) {
      token.clear();
      setError(err.message);
    } finally {
      setBusy(false);
    }
  }
  return html`<main class="container login">
    <h1>mcp-gateway console</h1>
    <form onSubmit=${submit} aria-label="Log in">
      <label>Admin token
        <input name="token" type="password" required autocomplete="off" autofocus
          aria-describedby="token-help" />
      </label>
      <small id="token-help">The gateway wrote it to <code>admin-token</code> in its state directory.
        It stays in this tab only (session storage).</small>
      <${ErrorNote} error=${error} />
      <button type="submit" aria-busy=${busy}>Log in</button>
    </form>
  </main>`;
}

function Tabs({ view, setView }) {
  function key(e, index) {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
    if (!step) return;
    e.preventDefault();
    const next = (index + step + VIEWS.length) % VIEWS.length;
    setView(VIEWS[next][0]);
    document.getElementById(`tab-${VIEWS[next][0]}`)?.focus();
  }
  return html`<nav class="tabs" role="tablist" aria-label="Views">
    ${VIEWS.map(([id, label], index) => html`<button role="tab" id=${`tab-${id}`}
      aria-selected=${view === id} aria-controls="view" tabindex=${view === id ? 0 : -1}
      class=${view === id ? '' : 'secondary outline'}
      onClick=${() => setView(id)} onKeyDown=${(e) => key(e, index)}>${label}</button>`)}
  </nav>`;
}

function Console({ onLogout }) {
  const [view, setView] = useState('instances');
  const feed = useFeed((message) => onLogout(message));
  return html`<div class="container-fluid">
    <header class="top row">
      <h1>mcp-gateway</h1>
      <span class=${feed.connected ? 'live on' : 'live'} role="status" id="feed-status">
        ${feed.connected ? 'live' : 'connecting…'}
      </span>
      <button class="secondary outline" onClick=${() => onLogout(null)}>Log out</button>
    </header>
    <${ErrorNote} error=${feed.connected ? null : feed.error} />
    <${Tabs} view=${view} setView=${setView} />
    <main id="view" role="tabpanel" aria-labelledby=${`tab-${view}`}>
      ${view === 'instances' ? html`<${Instances} instances=${feed.instances} />` : null}
      ${view === 'tenants' ? html`<${Tenants} />` : null}
      ${view === 'activity'
        ? html`<div class="grid"><${Sessions} sessions=${feed.sessions} /><${WarmPool} warmPool=${feed.warmPool} /></div>`
        : null}
      ${view === 'events' ? html`<${Events} events=${feed.events} />` : null}
      ${view === 'figures' ? html`<${Charts} figures=${feed.figures} events=${feed.events} />` : null}
    </main>
  </div>`;
}

function App() {
  const [loggedIn, setLoggedIn] = useState(!!token.get());
  const [reason, setReason] = useState(null);
  if (!loggedIn) return html`<${Login} reason=${reason} onLogin=${() => setLoggedIn(true)} />`;
  return html`<${Console} onLogout=${(why) => {
    token.clear();
    setReason(why);
    setLoggedIn(false);
  }} />`;
}

render(html`<${App} />`, document.getElementById('app'));
