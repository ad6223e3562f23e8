// Dashboard: the live request feed (SSE from /ui/api/events, backlog from the SQLite log), per
// route tier shares, feedback, cost and savings against always-large over a chosen window, latency
// per model, models loaded against the memory budget, tier bumps (with reset) and eval reports.
import React, { useCallback, useEffect, useRef, useState } from 'react';
import { api, fmt, stream } from './api.js';

const WINDOWS = [[900, '15 min'], [3600, '1 hour'], [86400, '24 hours'], [604800, '7 days']];
const TIER_COLOURS = ['#4caf50', '#2196f3', '#ff9800', '#9c27b0', '#f44336', '#607d8b'];

function Feed({ rows, selected, onSelect, connected }) {
  return (
    <section className="card feed">
      <h3>Live requests <span className={`dot ${connected ? 'on' : 'off'}`} title={connected ? 'connected' : 'disconnected'} /></h3>
      <div className="scroll">
        <table className="grid" data-testid="feed">
          <thead>
            <tr><th>Time</th><th>Key</th><th>Route</th><th>Tier</th><th>Model</th><th>Tokens</th><th>Latency</th><th>Cost</th><th>Status</th></tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-request-id={r.id} className={`${selected === r.id ? 'selected' : ''} ${r.status >= 400 ? 'err' : ''}`}
                  onClick={() => onSelect(r.id === selected ? null : r.id)}>
                <td>{fmt.time(r.ts)}</td>
                <td>{r.key || '—'}</td>
                <td>{r.route_name || r.endpoint?.replace('/v1/', '')}</td>
                <td>{r.tier || '—'}</td>
                <td>{r.model || r.model_requested || '—'}</td>
                <td>{(r.prompt_tokens ?? 0)}/{(r.completion_tokens ?? 0)}</td>
                <td>{fmt.ms(r.latency_ms)}</td>
                <td>{fmt.usd(r.cost ?? 0)}</td>
                <td>{r.status}</td>
              </tr>
            ))}
            {rows.length === 0 && <tr><td colSpan={9} className="muted">No requests yet.</td></tr>}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Trace({ row, onClose }) {
  if (!row) return null;
  return (
    <section className="card trace" data-testid="trace">
      <h3>Request {row.id} <button className="link" onClick={onClose}>close</button></h3>
      <dl className="kv">
        <dt>Asked for</dt><dd>{row.model_requested || '—'}</dd>
        <dt>Answered by</dt><dd>{row.model || '—'} {row.tier ? `(tier ${row.tier})` : ''}</dd>
        <dt>Task class</dt><dd>{row.task_class || '—'}</dd>
        <dt>Escalations</dt><dd>{row.escalations ?? 0}</dd>
        <dt>Models tried</dt><dd>{(row.models_tried || []).join(' → ') || '—'}</dd>
        <dt>TTFT</dt><dd>{fmt.ms(row.ttft_ms)}</dd>
        {row.error && (<><dt>Error</dt><dd className="error">{row.error}</dd></>)}
      </dl>
      <h4>Routing trace</h4>
      <ol className="tracelist">
        {(Array.isArray(row.trace) ? row.trace : []).map((t, i) => (
          <li key={i}><code>{typeof t === 'string' ? t : JSON.stringify(t)}</code></li>
        ))}
        {!(row.trace?.length) && <li className="muted">No routing decisions (a direct model call).</li>}
      </ol>
    </section>
  );
}

function RouteStats({ stats }) {
  if (!stats) return null;
  return (
    <section className="card">
      <h3>Routes</h3>
      {stats.routes.length === 0 && <p className="muted">No routed requests in this window.</p>}
      {stats.routes.map((r) => {
        const order = r.tier_order || r.tiers.map((t) => t.tier);
        const byTier = {};
        r.tiers.forEach((t) => { byTier[t.tier] = (byTier[t.tier] || 0) + t.requests; });
        return (
          <div key={r.route} className="route" data-route={r.route}>
            <div className="route-head"><b>{r.route}</b> · {r.requests} requests · <span className="up">▲ {r.up} up</span> · <span className="down">▼ {r.down} down</span></div>
            <div className="sharebar">
              {order.filter((t) => byTier[t]).map((t) => (
                <span key={t} style={{ flex: byTier[t], background: TIER_COLOURS[order.indexOf(t) % TIER_COLOURS.length] }}
                      title={`${t}: ${byTier[t]}`}>{t} {fmt.pct(byTier[t] / r.requests)}</span>
              ))}
            </div>
            <div className="route-cost">
              cost {fmt.usd(r.cost)} · always-{r.large_tier || 'large'} {fmt.usd(r.cost_if_large)} ·
              <b> saved {fmt.usd(r.savings)}</b>{r.cost_if_large > 0 ? ` (${fmt.pct(r.savings / r.cost_if_large)})` : ''}
            </div>
          </div>
        );
      })}
    </section>
  );
}

function ModelStats({ stats, status }) {
  const rows = stats?.models || [];
  return (
    <section className="card">
      <h3>Models</h3>
      {status && (
        <div className="membar" title="memory in use against memory_budget">
          <div style={{ width: `${Math.min(100, (100 * status.memory_in_use) / status.memory_budget)}%` }} />
          <span>memory {fmt.bytes(status.memory_in_use)} / {fmt.bytes(status.memory_budget)}</span>
        </div>
      )}
      <div className="hscroll"><table className="grid" data-testid="models">
        <thead><tr><th>Model</th><th>Loaded</th><th>Memory</th><th>Active</th><th>Queued</th><th>p50</th><th>p95</th><th>TTFT p50</th><th>tok/s</th><th>Requests</th></tr></thead>
        <tbody>
          {(status?.models || []).map((m) => {
            const s = rows.find((x) => x.model === m.name) || {};
            return (
              <tr key={m.name}>
                <td>{m.name} <span className="muted">{m.kind}</span></td>
                <td>{m.loaded ? 'yes' : 'no'}</td>
                <td>{m.loaded ? fmt.bytes(m.memory_bytes) : '—'}</td>
                <td>{m.active}</td><td>{m.queued}</td>
                <td>{fmt.ms(s.latency_p50_ms)}</td><td>{fmt.ms(s.latency_p95_ms)}</td><td>{fmt.ms(s.ttft_p50_ms)}</td>
                <td>{s.tokens_per_s > 0 ? s.tokens_per_s.toFixed(1) : '—'}</td><td>{s.requests || 0}</td>
              </tr>
            );
          })}
          {rows.filter((s) => !(status?.models || []).some((m) => m.name === s.model)).map((s) => (
            <tr key={s.model}>
              <td>{s.model} <span className="muted">remote</span></td><td>—</td><td>—</td><td>—</td><td>—</td>
              <td>{fmt.ms(s.latency_p50_ms)}</td><td>{fmt.ms(s.latency_p95_ms)}</td><td>{fmt.ms(s.ttft_p50_ms)}</td>
              <td>{s.tokens_per_s > 0 ? s.tokens_per_s.toFixed(1) : '—'}</td><td>{s.requests}</td>
            </tr>
          ))}
        </tbody>
      </table></div>
    </section>
  );
}

function Bumps({ bumps, onReset }) {
  return (
    <section className="card">
      <h3>Tier bumps {bumps.length > 0 && <button onClick={() => onReset()} data-testid="reset-all-bumps">Reset all</button>}</h3>
      {bumps.length === 0 && <p className="muted">None: no task class has been down-rated past its route's threshold.</p>}
      <ul className="bumps">
        {bumps.map((b) => (
          <li key={`${b.route}/${b.class}`}>
            <b>{b.route}</b> / {b.class || 'any'}: {b.from_tier} → <b>{b.tier}</b> ({fmt.pct(b.down_rate)} down over {b.ratings} ratings)
            <button onClick={() => onReset(b.route, b.class)}>Reset</button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function EvalReports() {
  const [data, setData] = useState(null);
  const [urls, setUrls] = useState({});
  useEffect(() => {
    let alive = true;
    const made = [];
    api('/ui/api/eval').then(async (d) => {
      if (!alive) return;
      setData(d);
      for (const name of d.svgs) {
        const res = await api(`/ui/api/eval?file=${encodeURIComponent(name)}`, { raw: true });
        if (!res.ok) continue;
        const url = URL.createObjectURL(await res.blob());
        made.push(url);
        if (alive) setUrls((u) => ({ ...u, [name]: url }));
      }
    }).catch(() => {});
    return () => { alive = false; made.forEach((u) => URL.revokeObjectURL(u)); };
  }, []);
  if (!data || (!data.svgs.length && !data.report)) return null;
  const policies = data.report?.policies || [];
  return (
    <section className="card">
      <h3>Evaluation {data.report?.title ? `— ${data.report.title}` : ''}</h3>
      <div className="evals">
        {data.svgs.map((n) => urls[n] && <img key={n} src={urls[n]} alt={n} />)}
      </div>
      {policies.length > 0 && (
        <table className="grid">
          <thead><tr><th>Policy</th><th>n</th><th>Quality</th><th>vs reference</th><th>Large share</th><th>Cost/request</th><th>p50</th></tr></thead>
          <tbody>{policies.map((p) => (
            <tr key={p.policy}><td>{p.policy}</td><td>{p.n}</td><td>{p.quality?.toFixed(3)}</td>
              <td>{p.quality_fraction_of_reference == null ? '—' : fmt.pct(p.quality_fraction_of_reference)}</td>
              <td>{fmt.pct(p.large_share)}</td><td>{fmt.usd(p.cost_per_request)}</td><td>{fmt.ms(p.latency_p50_ms)}</td></tr>
          ))}</tbody>
        </table>
      )}
    </section>
  );
}

export default function Dashboard() {
  const [rows, setRows] = useState([]);
  const [selected, setSelected] = useState(null);
  const [connected, setConnected] = useState(false);
  const [windowS, setWindowS] = useState(3600);
  const [stats, setStats] = useState(null);
  const [status, setStatus] = useState(null);
  const [bumps, setBumps] = useState([]);
  const [error, setError] = useState('');
  const refreshTimer = useRef(null);

  const refresh = useCallback(async () => {
    try {
      const [st, b] = await Promise.all([api('/ui/api/status'), api('/v1/route/bumps')]);
      setStatus(st);
      setBumps(b.data || []);
      setError('');
    } catch (e) { setError(e.message); }
    try { setStats(await api(`/ui/api/stats?window=${windowS}`)); } catch (e) { setStats(null); }
  }, [windowS]);

  useEffect(() => { refresh(); const t = setInterval(refresh, 15000); return () => clearInterval(t); }, [refresh]);

  // Backlog, then the live stream; reconnects after a drop.
  useEffect(() => {
    const ctrl = new AbortController();
    let stopped = false;
    api('/ui/api/requests?limit=50').then((d) => setRows((r) => (r.length ? r : d.data))).catch(() => {});
    (async () => {
      while (!stopped) {
        try {
          await stream('/ui/api/events', {
            method: 'GET', signal: ctrl.signal,
            onResponse: () => setConnected(true),
            onEvent: (ev) => {
              if (!ev.id) return;
              setRows((r) => [ev, ...r.filter((x) => x.id !== ev.id)].slice(0, 200));
              clearTimeout(refreshTimer.current);
              refreshTimer.current = setTimeout(refresh, 1000);
            },
          });
        } catch (e) { if (e.status === 401) stopped = true; }
        setConnected(false);
        if (!stopped) await new Promise((r) => setTimeout(r, 2000));
      }
    })();
    return () => { stopped = true; ctrl.abort(); };
  }, [refresh]);

  const reset = async (route, cls) => {
    const q = new URLSearchParams();
    if (route) q.set('route', route);
    if (cls) q.set('class', cls);
    try { await api(`/v1/route/bumps?${q}`, { method: 'DELETE' }); } catch (e) { setError(e.message); }
    refresh();
  };

  const row = rows.find((r) => r.id === selected);
  return (
    <div className="dashboard">
      <div className="toolbar">
        <label>Window <select value={windowS} onChange={(e) => setWindowS(Number(e.target.value))} data-testid="window">
          {WINDOWS.map(([s, l]) => <option key={s} value={s}>{l}</option>)}
        </select></label>
        {stats && <span>{stats.requests} requests · {stats.errors} errors · {fmt.usd(stats.cost)} spent</span>}
        {error && <span className="error">{error}</span>}
      </div>
      <div className="dash-grid">
        <div className="col-main">
          <Feed rows={rows} selected={selected} onSelect={setSelected} connected={connected} />
          <Trace row={row} onClose={() => setSelected(null)} />
        </div>
        <div className="col-side">
          <RouteStats stats={stats} />
          <ModelStats stats={stats} status={status} />
          <Bumps bumps={bumps} onReset={reset} />
          <EvalReports />
        </div>
      </div>
    </div>
  );
}
