// The admin API as the console uses it. The token lives in this tab's
// session storage only: it is sent as Authorization: Bearer, never in a URL.
const TOKEN_KEY = 'mcp-gateway-admin-token';

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// A JSON call to the admin API; throws ApiError with the gateway's message.
export async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${token.get() ?? ''}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const message = json?.error?.message ?? `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, message);
  }
  return json;
}

// Reads the live feed (GET /admin/feed, Server-Sent Events). EventSource
// cannot send a header, so this reads the stream with fetch. Calls
// onFrame(event, data) per frame; resolves when the stream ends, rejects
// with ApiError when the gateway refuses it.
export async function readFeed(onFrame, signal) {
  const res = await fetch('/admin/feed', {
    headers: { Authorization: `Bearer ${token.get() ?? ''}`, Accept: 'text/event-stream' },
    cache: 'no-store',
    signal,
  });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      message = (await res.json())?.error?.message ?? message;
    } catch {
      /* keep the status line */
    }
    throw new ApiError(res.status, message);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (data) onFrame(event, JSON.parse(data));
    }
  }
}
