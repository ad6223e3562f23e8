// Playground: one prompt sent to several models or routes side by side (e.g. "auto" against the
// large tier), each answer with its routing trace, tokens/s and cost, and thumbs up/down that post
// /v1/feedback for that answer's request id.
import React, { useEffect, useState } from 'react';
import { api, fmt, stream } from './api.js';

let nextColumn = 1;

function Answer({ a }) {
  const [rating, setRating] = useState(a.rating || '');
  const [err, setErr] = useState('');
  const [trace, setTrace] = useState(null);
  const rate = async (r) => {
    try {
      await api('/v1/feedback', { method: 'POST', body: { request_id: a.requestId, rating: r } });
      setRating(r);
      setErr('');
    } catch (e) { setErr(e.message); }
  };
  const showTrace = async () => {
    if (trace) { setTrace(null); return; }
    try { setTrace(await api(`/ui/api/request?id=${encodeURIComponent(a.requestId)}`)); } catch (e) { setErr(e.message); }
  };
  return (
    <div className="answer" data-request-id={a.requestId || ''}>
      <div className="msg user">{a.prompt}</div>
      <div className={`msg assistant ${a.error ? 'error' : ''}`} data-testid="answer-text">{a.error || a.text || (a.done ? '(empty)' : '…')}</div>
      {a.done && !a.error && (
        <div className="answer-meta" data-testid="answer-meta">
          <span>{a.model}{a.tier ? ` · tier ${a.tier}` : ''}</span>
          <span>{a.completionTokens ?? '?'} tokens</span>
          <span>{a.tokensPerS ? `${a.tokensPerS.toFixed(1)} tok/s` : '—'}</span>
          <span>{fmt.ms(a.latencyMs)}</span>
          <span>{fmt.usd(a.cost ?? 0)}</span>
          {a.requestId && <>
            <button className={rating === 'up' ? 'on' : ''} title="Good answer" aria-label="thumbs up" onClick={() => rate('up')}>▲ good</button>
            <button className={rating === 'down' ? 'on' : ''} title="Bad answer" aria-label="thumbs down" onClick={() => rate('down')}>▼ bad</button>
            <button className="link" onClick={showTrace}>{trace ? 'hide trace' : 'trace'}</button>
          </>}
          {rating && <span className="rated" data-testid="rated">rated {rating}</span>}
        </div>
      )}
      {err && <div className="error">{err}</div>}
      {trace && (
        <ol className="tracelist" data-testid="answer-trace">
          {(trace.trace || []).map((t, i) => <li key={i}><code>{typeof t === 'string' ? t : JSON.stringify(t)}</code></li>)}
          {!(trace.trace?.length) && <li className="muted">No routing decisions (a direct model call).</li>}
        </ol>
      )}
    </div>
  );
}

export default function Playground() {
  const [models, setModels] = useState([]);
  const [columns, setColumns] = useState([]);
  const [prompt, setPrompt] = useState('');
  const [maxTokens, setMaxTokens] = useState(64);
  const [busy, setBusy] = useState(0);
  const [error, setError] = useState('');

  useEffect(() => {
    api('/v1/models').then((d) => {
      const usable = d.data.filter((m) => m.switchyard?.kind !== 'embedding');
      setModels(usable);
      const routes = usable.filter((m) => m.switchyard?.kind === 'route');
      const auto = routes.find((m) => m.id === 'auto') || routes[0] || usable[0];
      const large = auto?.switchyard?.tiers ? usable.find((m) => m.id === auto.switchyard.tiers.at(-1).model) : null;
      const second = large && large.id !== auto?.id ? large : usable.find((m) => m.id !== auto?.id) || auto;
      setColumns([auto, second].filter(Boolean).map((m) => ({ key: nextColumn++, model: m.id, answers: [] })));
    }).catch((e) => setError(e.message));
  }, []);

  const update = (key, idx, patch) => setColumns((cols) => cols.map((c) => (c.key !== key ? c : {
    ...c, answers: c.answers.map((a, i) => (i === idx ? { ...a, ...patch } : a)),
  })));

  const ask = async (col, text) => {
    const idx = col.answers.length;
    setColumns((cols) => cols.map((c) => (c.key === col.key ? { ...c, answers: [...c.answers, { prompt: text, text: '' }] } : c)));
    const t0 = performance.now();
    let first = null, textSoFar = '', usage = null, info = null, model = col.model, requestId = '', headerTier = '', headerCost = null;
    try {
      await stream('/v1/chat/completions', {
        body: { model: col.model, messages: [{ role: 'user', content: text }], max_tokens: maxTokens, stream: true,
                stream_options: { include_usage: true } },
        onResponse: (res) => {
          requestId = res.headers.get('x-request-id') || res.headers.get('x-switchyard-request-id') || '';
          headerTier = res.headers.get('x-switchyard-tier') || '';
          const c = res.headers.get('x-switchyard-cost');
          headerCost = c == null ? null : Number(c);
        },
        onEvent: (ev) => {
          if (ev.error) throw new Error(ev.error.message);
          if (ev.id && !requestId) requestId = ev.id;
          if (ev.model) model = ev.model;
          if (ev.usage) usage = ev.usage;
          if (ev.switchyard) info = ev.switchyard;
          const piece = ev.choices?.[0]?.delta?.content;
          if (piece) {
            if (first == null) first = performance.now();
            textSoFar += piece;
            update(col.key, idx, { text: textSoFar });
          }
        },
      });
      const end = performance.now();
      const completion = usage?.completion_tokens;
      const genS = first != null ? (end - first) / 1000 : 0;
      update(col.key, idx, {
        done: true, text: textSoFar, requestId, model: info?.model || model, tier: info?.tier || headerTier,
        completionTokens: completion, latencyMs: end - t0, cost: info?.cost ?? headerCost ?? 0,
        tokensPerS: completion && genS > 0 ? (completion - 1) / genS || completion / genS : null,
      });
    } catch (e) {
      update(col.key, idx, { done: true, error: e.message });
    }
  };

  const send = async (e) => {
    e.preventDefault();
    const text = prompt.trim();
    if (!text) return;
    setBusy((b) => b + 1);
    await Promise.all(columns.map((c) => ask(c, text)));
    setBusy((b) => b - 1);
  };

  return (
    <div className="playground">
      <div className="toolbar">
        <button onClick={() => setColumns((c) => [...c, { key: nextColumn++, model: models[0]?.id, answers: [] }])} disabled={columns.length >= 4}>Add column</button>
        <label>max_tokens <input type="number" min={1} max={4096} value={maxTokens} onChange={(e) => setMaxTokens(Number(e.target.value))} /></label>
        <button onClick={() => setColumns((c) => c.map((x) => ({ ...x, answers: [] })))}>Clear</button>
        {error && <span className="error">{error}</span>}
      </div>
      <div className="columns">
        {columns.map((c) => (
          <div className="column card" key={c.key} data-testid="column">
            <div className="column-head">
              <select value={c.model} aria-label="model" onChange={(e) => setColumns((cols) => cols.map((x) => (x.key === c.key ? { ...x, model: e.target.value } : x)))}>
                {models.map((m) => <option key={m.id} value={m.id}>{m.id} ({m.switchyard?.kind || 'model'})</option>)}
              </select>
              {columns.length > 1 && <button className="link" onClick={() => setColumns((cols) => cols.filter((x) => x.key !== c.key))}>remove</button>}
            </div>
            <div className="answers">{c.answers.map((a, i) => <Answer key={i} a={a} />)}</div>
          </div>
        ))}
      </div>
      <form className="prompt" onSubmit={send}>
        <textarea value={prompt} aria-label="prompt" placeholder="Ask every column the same thing…" onChange={(e) => setPrompt(e.target.value)}
                  onKeyDown={(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) send(e); }} />
        <button type="submit" disabled={busy > 0}>{busy > 0 ? 'Answering…' : 'Send'}</button>
      </form>
    </div>
  );
}
