// Pipeline editor: a configured pipeline file (or a new one) as a node graph. The YAML text is
// the only state that matters: every edit is a small splice of that text (yamlEdit.js, with the
// `yaml` package's Document API as the fallback), so comments, key order and layout stay as
// written, and the server checks the text (the same checks
// as `switchyard pipeline check`) to report problems on nodes and fields and each node's ports.
// Runs stream each node's status, time, cache hit and output.
import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Background, Controls, ReactFlow, ReactFlowProvider } from '@xyflow/react';
import YAML from 'yaml';
import { api, fmt, stream } from './api.js';
import { INPUTS, NEW_PORT, OUTPUTS, autoLayout, graphEdges, nodePorts, parseWire, pipelineInputs, wireText } from './graph.js';
import { nodeTypes } from './nodes.jsx';
import Inspector from './Inspector.jsx';
import { applyEdits } from './yamlEdit.js';

const NEW_PIPELINE = `# A new pipeline: add nodes from the library, wire them, run it, then download the YAML
# (or save it over a configured file).
name: new-pipeline
description: ""
inputs:
  text:
    type: text
nodes: {}
outputs: {}
`;

function idFromHash() {
  const parts = window.location.hash.replace(/^#\/?/, '').split('/');
  return parts[0] === 'pipelines' && parts[1] ? decodeURIComponent(parts[1]) : null;
}

function parse(text) {
  const doc = YAML.parseDocument(text);
  const js = doc.errors.length ? null : doc.toJS() || {};
  return { doc, js, errors: doc.errors };
}

export default function Editor() {
  return <ReactFlowProvider><EditorInner /></ReactFlowProvider>;
}

function EditorInner() {
  const [files, setFiles] = useState([]);
  const [models, setModels] = useState([]);
  const [library, setLibrary] = useState([]);
  const [current, setCurrent] = useState(null);        // {id, file} ; id null = new pipeline
  const [text, setText] = useState('');
  const [savedText, setSavedText] = useState('');
  const [analysis, setAnalysis] = useState(null);
  const [positions, setPositions] = useState({});
  // Node sizes as React Flow measured them: handed back with every render, or it would hide and
  // re-measure each node whenever the graph's data changes (e.g. on every streamed token).
  const [sizes, setSizes] = useState({});
  const [selected, setSelected] = useState(null);
  const [run, setRun] = useState({ nodes: {}, result: null, running: false, error: '' });
  const [runInputs, setRunInputs] = useState({});
  const [message, setMessage] = useState('');
  const [showYaml, setShowYaml] = useState(false);
  const abortRun = useRef(null);

  const { js, errors } = useMemo(() => parse(text), [text]);
  const lastGood = useRef({});
  if (js) lastGood.current = js;
  const graph = js || lastGood.current;

  useEffect(() => {
    api('/ui/api/pipelines').then((d) => { setFiles(d.data); setModels(d.models || []); }).catch((e) => setMessage(e.message));
    api('/ui/api/nodes').then((d) => setLibrary(d.data)).catch(() => {});
  }, []);

  const open = useCallback(async (id) => {
    abortRun.current?.abort();
    setRun({ nodes: {}, result: null, running: false, error: '' });
    setSelected(null);
    setAnalysis(null);
    setMessage('');
    if (id == null) {
      setCurrent({ id: null, file: 'new-pipeline.yaml' });
      setText(NEW_PIPELINE);
      setSavedText('');
      setPositions({});
      return;
    }
    try {
      const d = await api(`/ui/api/pipeline?id=${encodeURIComponent(id)}`);
      setCurrent({ id: d.id, file: d.file });
      setText(d.yaml);
      setSavedText(d.yaml);
      setPositions({});
    } catch (e) { setMessage(e.message); }
  }, []);

  useEffect(() => {
    const f = () => { const id = idFromHash(); if (id !== null && id !== current?.id) open(id === 'new' ? null : id); };
    f();
    window.addEventListener('hashchange', f);
    return () => window.removeEventListener('hashchange', f);
  }, [open, current?.id]);

  // The server's checks, shortly after each change.
  useEffect(() => {
    if (!current) return;
    const t = setTimeout(() => {
      api('/ui/api/pipeline/check', { method: 'POST', body: { yaml: text, id: current.id ?? undefined } })
        .then((a) => setAnalysis({ ...a, text })).catch((e) => setMessage(e.message));
    }, 250);
    return () => clearTimeout(t);
  }, [text, current]);

  const ports = useMemo(() => nodePorts(graph, analysis, library), [graph, analysis, library]);
  const edges = useMemo(() => graphEdges(graph, ports), [graph, ports]);
  const ids = useMemo(() => [INPUTS, ...Object.keys(graph.nodes || {}), OUTPUTS], [graph]);

  // Nodes without a position get one: a full layout on open, else beside what is there.
  useEffect(() => {
    const missing = ids.filter((id) => !positions[id]);
    if (!missing.length) return;
    if (missing.length === ids.length) { setPositions(autoLayout(ids, edges, ports)); return; }
    const maxY = Math.max(0, ...Object.values(positions).map((p) => p.y));
    setPositions((p) => {
      const next = { ...p };
      missing.forEach((id, i) => { next[id] = { x: 300 + 40 * i, y: maxY + 160 + 40 * i }; });
      return next;
    });
  }, [ids, edges, ports, positions]);

  const problems = analysis?.text === text ? analysis.problems : analysis?.problems || [];
  const problemsOf = (id) => problems.filter((p) => p.node === id);

  const flowNodes = ids.filter((id) => positions[id]).map((id) => {
    if (id === INPUTS || id === OUTPUTS) {
      const items = id === INPUTS
        ? pipelineInputs(graph)
        : Object.entries(graph.outputs || {}).map(([name, w]) => {
          const src = parseWire(w);
          const type = src?.source === INPUTS ? pipelineInputs(graph).find((i) => i.name === src.handle)?.type
            : ports[src?.source]?.outputs.find((p) => p.name === src?.handle)?.type;
          return { name, type: type || 'any' };
        });
      return { id, type: 'io', position: positions[id], measured: sizes[id], selected: selected === id, deletable: false,
               data: { kind: id === INPUTS ? 'inputs' : 'outputs', items, problems: id === OUTPUTS ? problems.filter((p) => p.output) : [] } };
    }
    const n = graph.nodes[id] || {};
    const r = run.nodes[id];
    return { id, type: 'pipe', position: positions[id], measured: sizes[id], selected: selected === id,
             data: { id, type: n.type, ports: ports[id] || { inputs: [], outputs: [] }, problems: problemsOf(id), run: r, mapPort: n.map } };
  });

  // Every edit is a list of [path, value] changes (value undefined removes), or a function of
  // the current text that returns one.
  const edit = useCallback((ops) => {
    setText((t) => applyEdits(t, typeof ops === 'function' ? ops(parse(t).js || {}) : ops));
  }, []);

  const onConnect = useCallback(({ source, sourceHandle, target, targetHandle }) => {
    const wire = wireText(source, sourceHandle);
    edit((cur) => {
      if (target === OUTPUTS) {
        let name = targetHandle;
        if (name === NEW_PORT) {
          name = sourceHandle;
          const outs = cur.outputs || {};
          for (let i = 2; name in outs; ++i) name = `${sourceHandle}${i}`;
        }
        return [[['outputs', name], wire]];
      }
      const port = targetHandle === NEW_PORT ? sourceHandle : targetHandle;
      return [[['nodes', target, 'inputs', port], wire]];
    });
  }, [edit]);

  const removeEdges = useCallback((list) => edit(list.map((e) => (e.data?.kind === 'output'
    ? [['outputs', e.data.name], undefined]
    : [['nodes', e.data.node, 'inputs', e.data.port], undefined]))), [edit]);

  const removeNode = useCallback((id) => edit((cur) => {
    const ops = [[['nodes', id], undefined]];
    // Wires that read from it go too.
    for (const [nid, n] of Object.entries(cur.nodes || {}))
      for (const [port, w] of Object.entries(n?.inputs || {}))
        if (nid !== id && parseWire(w)?.source === id) ops.push([['nodes', nid, 'inputs', port], undefined]);
    for (const [name, w] of Object.entries(cur.outputs || {}))
      if (parseWire(w)?.source === id) ops.push([['outputs', name], undefined]);
    return ops;
  }), [edit]);

  const onNodesChange = useCallback((changes) => {
    for (const c of changes) {
      if (c.type === 'position' && c.position) setPositions((p) => ({ ...p, [c.id]: c.position }));
      else if (c.type === 'dimensions' && c.dimensions) setSizes((z) => ({ ...z, [c.id]: c.dimensions }));
      else if (c.type === 'select' && c.selected) setSelected(c.id);
      else if (c.type === 'remove' && c.id !== INPUTS && c.id !== OUTPUTS) removeNode(c.id);
    }
  }, [removeNode]);

  const onEdgesChange = useCallback((changes) => {
    const gone = changes.filter((c) => c.type === 'remove').map((c) => edges.find((e) => e.id === c.id)).filter(Boolean);
    if (gone.length) removeEdges(gone);
  }, [edges, removeEdges]);

  const addNode = (type) => {
    const existing = graph.nodes || {};
    let id = type.name;
    for (let i = 2; id in existing || id === INPUTS || id === OUTPUTS; ++i) id = `${type.name}${i}`;
    edit([[['nodes', id], { type: type.name, params: {}, inputs: {} }]]);
    setSelected(id);
  };

  const save = async () => {
    if (current?.id == null) return;
    setMessage('');
    try {
      const r = await api(`/ui/api/pipeline?id=${encodeURIComponent(current.id)}`, { method: 'PUT', body: { yaml: text } });
      setSavedText(text);
      setMessage(`Saved ${r.file}`);
    } catch (e) {
      setMessage(`Not saved: ${e.body?.problems?.map((p) => p.text).join('; ') || e.message}`);
    }
  };

  const download = () => {
    const url = URL.createObjectURL(new Blob([text], { type: 'application/yaml' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${graph.name || 'pipeline'}.yaml`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  const start = async (from) => {
    abortRun.current?.abort();
    const ctrl = new AbortController();
    abortRun.current = ctrl;
    const keep = {};
    if (from) {
      // Nodes upstream of `from` keep their last results on screen; they will answer from the cache.
      for (const [id, v] of Object.entries(run.nodes)) keep[id] = v;
    }
    setRun({ nodes: keep, result: null, running: true, error: '', from });
    const inputs = {};
    for (const i of pipelineInputs(graph)) if (runInputs[i.name] !== undefined && runInputs[i.name] !== '') inputs[i.name] = i.type === 'text' ? runInputs[i.name] : JSON.parse(runInputs[i.name]);
    const patch = (id, p) => setRun((r) => ({ ...r, nodes: { ...r.nodes, [id]: { ...(r.nodes[id] || {}), ...p } } }));
    try {
      await stream('/ui/api/pipeline/run', {
        signal: ctrl.signal,
        body: { yaml: text, id: current?.id ?? undefined, inputs, from: from || undefined },
        onEvent: (ev) => {
          if (ev.event === 'node_started') patch(ev.node, { status: 'running', outputs: undefined, tokens: '', message: '' });
          else if (ev.event === 'element_finished') patch(ev.node, { done: (ev.index ?? 0) + 1, total: ev.total });
          else if (ev.event === 'node_finished') patch(ev.node, { status: ev.status, ms: ev.duration_ms, outputs: ev.outputs, message: ev.message, total: ev.total });
          else if (ev.event === 'token') setRun((r) => ({ ...r, nodes: { ...r.nodes, [ev.node]: { ...(r.nodes[ev.node] || {}), tokens: (r.nodes[ev.node]?.tokens || '') + ev.text } } }));
          else if (ev.event === 'result') {
            setRun((r) => {
              const nodes = { ...r.nodes };
              for (const n of ev.nodes || []) nodes[n.id] = { ...(nodes[n.id] || {}), status: n.status, ms: n.duration_ms, message: n.message, elements: n.elements, cachedElements: n.cached_elements };
              return { ...r, nodes, result: ev, running: false, error: ev.ok ? '' : ev.error };
            });
          }
        },
      });
    } catch (e) {
      if (e.name !== 'AbortError') setRun((r) => ({ ...r, running: false, error: e.message }));
    }
    setRun((r) => ({ ...r, running: false }));
  };

  const dirty = current && text !== savedText;
  return (
    <div className="editor">
      <aside className="sidebar">
        <h3>Pipelines</h3>
        <ul className="filelist">
          {files.map((f) => (
            <li key={f.id}><a href={`#/pipelines/${f.id}`} className={current?.id === f.id ? 'active' : ''} data-pipeline={f.name}>{f.name}</a> <span className="muted">{f.file}</span></li>
          ))}
          <li><a href="#/pipelines/new" className={current && current.id == null ? 'active' : ''} data-testid="new-pipeline">+ New pipeline</a></li>
        </ul>
        <h3>Node library</h3>
        <ul className="library" data-testid="library">
          {library.map((t) => (
            <li key={t.name}><button disabled={!current} onClick={() => addNode(t)} title={t.description} data-node-type={t.name}>+ {t.name}</button>
              <div className="muted small">{t.description}</div></li>
          ))}
        </ul>
      </aside>
      <section className="canvas">
        <div className="toolbar">
          <b>{graph.name || '—'}</b> <span className="muted">{current?.file}</span>
          {dirty && <span className="badge">unsaved</span>}
          <span className={`badge ${problems.length ? 'bad' : 'good'}`} data-testid="check-status">{!analysis ? 'checking…' : problems.length ? `${problems.length} problem(s)` : 'valid'}</span>
          <button onClick={save} disabled={!dirty || current?.id == null} data-testid="save">Save</button>
          <button onClick={download} disabled={!current}>Download YAML</button>
          <button onClick={() => setPositions(autoLayout(ids, edges, ports))} disabled={!current}>Auto layout</button>
          <button onClick={() => setShowYaml((s) => !s)} disabled={!current}>{showYaml ? 'Graph' : 'YAML'}</button>
          {message && <span className="message" data-testid="editor-message">{message}</span>}
        </div>
        {errors.length > 0 && <div className="error">YAML: {errors[0].message}</div>}
        {problems.filter((p) => !p.node && !p.output).map((p, i) => <div key={i} className="error">{p.text}</div>)}
        {!current && <p className="muted pad">Open a pipeline on the left, or start a new one.</p>}
        {current && showYaml && (
          <textarea className="yaml" spellCheck={false} value={text} onChange={(e) => setText(e.target.value)} aria-label="YAML" />
        )}
        {current && !showYaml && (
          <div className="flow">
            <ReactFlow nodes={flowNodes} edges={edges} nodeTypes={nodeTypes} onNodesChange={onNodesChange} onEdgesChange={onEdgesChange}
                       onConnect={onConnect} onPaneClick={() => setSelected(null)} fitView fitViewOptions={{ padding: 0.05 }} minZoom={0.2} deleteKeyCode={['Delete', 'Backspace']}
                       proOptions={{ hideAttribution: true }}>
              <Background />
              <Controls />
            </ReactFlow>
          </div>
        )}
      </section>
      {current && (
        <Inspector graph={graph} selected={selected} ports={ports} library={library} models={models} problems={problems}
                   run={run} runInputs={runInputs} setRunInputs={setRunInputs} edit={edit} onRun={start}
                   onStop={() => abortRun.current?.abort()} onDelete={removeNode} />
      )}
    </div>
  );
}
