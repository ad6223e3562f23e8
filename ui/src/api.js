// Talking to the server: every call carries the API key (asked once, kept for the tab's session)
// as a Bearer header. Server-sent events are read with fetch, not EventSource, because
// EventSource cannot send an Authorization header.
const KEY = 'switchyard.key';

export function getKey() { return sessionStorage.getItem(KEY) || ''; }
export function setKey(k) { if (k) sessionStorage.setItem(KEY, k); else sessionStorage.removeItem(KEY); }

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

const listeners = new Set();
export function onAuthNeeded(f) { listeners.add(f); return () => listeners.delete(f); }

export function headers(extra = {}) {
  const h = { ...extra };
  const k = getKey();
  if (k) h.Authorization = `Bearer ${k}`;
  return h;
}

// A 401 asks for a key only when the request carried the key in use now: an answer to a call sent
// before the user typed the key must not bring the prompt back.
function authFailed(sentKey) { if (sentKey === getKey()) listeners.forEach((f) => f()); }

export async function api(path, { method = 'GET', body, signal, raw = false } = {}) {
  const sentKey = getKey();
  const res = await fetch(path, {
    method, signal,
    headers: headers(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  if (raw) return res;
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { text }; }
  if (res.status === 401) authFailed(sentKey);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// Reads a text/event-stream response, calling onEvent(parsed JSON) per "data:" event.
export async function readSSE(res, onEvent) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let sep;
    while ((sep = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, sep);
      buf = buf.slice(sep + 2);
      const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
      if (!data || data === '[DONE]') continue;
      try { onEvent(JSON.parse(data)); } catch { /* not JSON: ignore */ }
    }
  }
}

// POSTs (or GETs) and streams the SSE answer; throws ApiError on a non-stream error answer.
export async function stream(path, { method = 'POST', body, signal, onEvent, onResponse }) {
  const sentKey = getKey();
  const res = await fetch(path, {
    method, signal,
    headers: headers(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  if (res.status === 401) authFailed(sentKey);
  if (!res.ok) {
    let data = null;
    try { data = await res.json(); } catch { /* empty */ }
    throw new ApiError(res.status, data);
  }
  onResponse?.(res);
  await readSSE(res, onEvent);
}

export const fmt = {
  ms: (v) => (v == null || v < 0 ? '—' : v >= 10000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`),
  usd: (v) => (v == null ? '—' : v === 0 ? '$0' : v < 0.01 ? `$${v.toFixed(6)}` : `$${v.toFixed(4)}`),
  bytes: (v) => (v == null ? '—' : v >= 1 << 30 ? `${(v / (1 << 30)).toFixed(2)} GiB` : `${(v / (1 << 20)).toFixed(0)} MiB`),
  time: (ts) => new Date(ts * 1000).toLocaleTimeString([], { hour12: false }),
  pct: (v) => `${Math.round(v * 100)}%`,
};
