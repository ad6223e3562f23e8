// The shell: three views (dashboard, pipeline editor, playground) chosen by the URL hash, and the
// API key prompt shown whenever the server answers 401.
import React, { useEffect, useState } from 'react';
import { api, getKey, onAuthNeeded, setKey } from './api.js';
import Dashboard from './Dashboard.jsx';
import Editor from './Editor.jsx';
import Playground from './Playground.jsx';

const VIEWS = { dashboard: 'Dashboard', pipelines: 'Pipelines', playground: 'Playground' };

function viewFromHash() {
  const v = window.location.hash.replace(/^#\/?/, '').split('/')[0];
  return VIEWS[v] ? v : 'dashboard';
}

function KeyPrompt({ onDone }) {
  const [value, setValue] = useState('');
  return (
    <div className="modal-backdrop">
      <form className="modal" onSubmit={(e) => { e.preventDefault(); setKey(value.trim()); onDone(); }}>
        <h2>API key</h2>
        <p>This server requires an API key. It is kept for this browser tab only and sent as a Bearer header.</p>
        <input type="password" autoFocus aria-label="API key" value={value} onChange={(e) => setValue(e.target.value)} />
        <button type="submit">Use key</button>
      </form>
    </div>
  );
}

export default function App() {
  const [view, setView] = useState(viewFromHash());
  const [needKey, setNeedKey] = useState(false);
  const [epoch, setEpoch] = useState(0);   // bumps when the key changes: views reload
  useEffect(() => {
    const f = () => setView(viewFromHash());
    window.addEventListener('hashchange', f);
    return () => window.removeEventListener('hashchange', f);
  }, []);
  useEffect(() => onAuthNeeded(() => setNeedKey(true)), []);
  useEffect(() => { api('/ui/api/status').catch(() => {}); }, [epoch]);
  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">Switchyard</span>
        <nav>
          {Object.entries(VIEWS).map(([k, label]) => (
            <a key={k} href={`#/${k}`} className={view === k ? 'active' : ''} data-view={k}>{label}</a>
          ))}
        </nav>
        <span className="spacer" />
        <button className="link" onClick={() => setNeedKey(true)}>{getKey() ? 'Change key' : 'Set key'}</button>
      </header>
      <main key={epoch}>
        {view === 'dashboard' && <Dashboard />}
        {view === 'pipelines' && <Editor />}
        {view === 'playground' && <Playground />}
      </main>
      {needKey && <KeyPrompt onDone={() => { setNeedKey(false); setEpoch((e) => e + 1); }} />}
    </div>
  );
}
