// The console's picture of the gateway, kept up to date by the live feed
// (GET /admin/feed): frames change it, views read it.
import { useEffect, useState } from 'preact/hooks';
import { readFeed, ApiError } from './api.js';

const MAX_EVENTS = 200;
const MAX_FIGURES = 120; // two minutes at one figure a second

function initial() {
  return {
    connected: false,
    error: null,
    instances: new Map(),
    events: [],
    warmPool: null,
    sessions: null,
    figures: [],
  };
}

function apply(state, event, data) {
  switch (event) {
    case 'hello':
      return { ...initial(), connected: true };
    case 'instance': {
      const instances = new Map(state.instances);
      instances.set(data.id, data);
      return { ...state, instances };
    }
    case 'instance_removed': {
      const instances = new Map(state.instances);
      instances.delete(data.id);
      return { ...state, instances };
    }
    case 'pool_event':
      return { ...state, events: [data, ...state.events].slice(0, MAX_EVENTS) };
    case 'warm_pool':
      return { ...state, warmPool: data };
    case 'sessions':
      return { ...state, sessions: data };
    case 'figures':
      return { ...state, figures: [...state.figures, data].slice(-MAX_FIGURES) };
    default:
      return state;
  }
}

// Keeps a feed open while mounted; reconnects after a break (a second, then
// up to ten). A refused token ends it and calls onUnauthorized.
export function useFeed(onUnauthorized) {
  const [state, setState] = useState(initial);
  useEffect(() => {
    const abort = new AbortController();
    let delay = 1000;
    (async () => {
      while (!abort.signal.aborted) {
        try {
          await readFeed((event, data) => {
            delay = 1000;
            setState((s) => apply(s, event, data));
          }, abort.signal);
          setState((s) => ({ ...s, connected: false, error: 'the live feed ended; reconnecting' }));
        } catch (e) {
          if (abort.signal.aborted) return;
          if (e instanceof ApiError && e.status === 401) {
            onUnauthorized(e.message);
            return;
          }
          setState((s) => ({ ...s, connected: false, error: `live feed: ${e.message}; reconnecting` }));
        }
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 10_000);
      }
    })();
    return () => abort.abort();
  }, []);
  return state;
}
