// The editor's right-hand panel: run inputs and results, and the selected node's params (typed
// controls from the node library), wires, map port, problems per field and last-run output.
import React, { useState } from 'react';
import { fmt } from './api.js';
import { INPUTS, OUTPUTS, pipelineInputs, wireText } from './graph.js';

const INPUT_TYPES = ['text', 'json', 'list<text>', 'list<json>', 'image', 'document', 'embedding', 'any'];

function Problems({ list }) {
  if (!list.length) return null;
  return <ul className="field-problems">{list.map((p, i) => <li key={i}>{p.message}</li>)}</ul>;
}

// The node library describes kinds in words (`pipeline nodes`): map them to controls.
const KINDS = { 'a string': 'string', 'an integer': 'integer', 'a number': 'number', 'true or false': 'boolean',
                'a list of strings': 'string_list', 'a mapping': 'object', 'any value': 'any' };

function ParamControl({ spec, value, models, onChange }) {
  const common = { 'aria-label': spec.name, 'data-param': spec.name };
  const kind = KINDS[spec.kind] || spec.kind;
  if (spec.model) {
    return (
      <select {...common} value={value ?? ''} onChange={(e) => onChange(e.target.value || undefined)}>
        <option value="">—</option>
        {value && !models.some((m) => m.name === value) && <option value={value}>{value} (unknown)</option>}
        {models.map((m) => <option key={m.name} value={m.name}>{m.name} ({m.kind})</option>)}
      </select>
    );
  }
  switch (kind) {
    case 'boolean':
      return <input type="checkbox" {...common} checked={!!value} onChange={(e) => onChange(e.target.checked)} />;
    case 'integer':
    case 'number':
      return <input type="number" {...common} value={value ?? ''} step={kind === 'integer' ? 1 : 'any'}
                    onChange={(e) => onChange(e.target.value === '' ? undefined : kind === 'integer' ? parseInt(e.target.value, 10) : Number(e.target.value))} />;
    case 'string_list':
      return <input {...common} value={Array.isArray(value) ? value.join(', ') : value ?? ''} placeholder="a, b, c"
                    onChange={(e) => onChange(e.target.value.trim() === '' ? undefined : e.target.value.split(',').map((s) => s.trim()).filter(Boolean))} />;
    case 'object':
    case 'any':
      return <JsonField common={common} value={value} onChange={onChange} />;
    default:
      return typeof value === 'string' && (value.includes('\n') || value.length > 40) || spec.name === 'prompt' || spec.name === 'template' || spec.name === 'system'
        ? <textarea {...common} rows={3} value={value ?? ''} onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)} />
        : <input {...common} value={value ?? ''} onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)} />;
  }
}

function JsonField({ common, value, onChange }) {
  const [draft, setDraft] = useState(value === undefined ? '' : JSON.stringify(value));
  const [bad, setBad] = useState(false);
  return (
    <textarea {...common} rows={3} className={bad ? 'bad' : ''} value={draft} onChange={(e) => {
      setDraft(e.target.value);
      if (e.target.value.trim() === '') { setBad(false); onChange(undefined); return; }
      try { onChange(JSON.parse(e.target.value)); setBad(false); } catch { setBad(true); }
    }} />
  );
}

function Output({ value }) {
  if (value === undefined) return null;
  return <pre className="output">{typeof value === 'string' ? value : JSON.stringify(value, null, 2)}</pre>;
}

function RunPanel({ graph, run, runInputs, setRunInputs, onRun, onStop }) {
  const inputs = pipelineInputs(graph);
  return (
    <div className="run-panel">
      <h3>Run</h3>
      {inputs.map((i) => (
        <label key={i.name} className="field">
          <span>{i.name} <span className="muted">{i.type}{i.default !== undefined ? ` = ${JSON.stringify(i.default)}` : ''}</span></span>
          <textarea rows={i.type === 'text' ? 2 : 3} data-run-input={i.name} value={runInputs[i.name] ?? ''}
                    onChange={(e) => setRunInputs((r) => ({ ...r, [i.name]: e.target.value }))} />
        </label>
      ))}
      <div className="row">
        <button onClick={() => onRun(null)} disabled={run.running} data-testid="run">{run.running ? 'Running…' : 'Run'}</button>
        {run.running && <button onClick={onStop}>Stop</button>}
      </div>
      {run.error && <div className="error" data-testid="run-error">{run.error}</div>}
      {run.result?.ok && (
        <div className="result" data-testid="run-result">
          <div className="muted">done in {fmt.ms(run.result.duration_ms)}</div>
          {Object.entries(run.result.outputs || {}).map(([k, v]) => (
            <div key={k} data-output={k}><b>{k}</b><Output value={v} /></div>
          ))}
        </div>
      )}
    </div>
  );
}

function NodeDetails({ id, graph, ports, library, models, problems, run, edit, onRun, onDelete }) {
  const node = graph.nodes?.[id];
  if (!node) return null;
  const type = library.find((t) => t.name === node.type);
  const mine = problems.filter((p) => p.node === id);
  const fieldProblems = (f) => mine.filter((p) => p.field === f);
  const sources = [
    ...pipelineInputs(graph).map((i) => wireText(INPUTS, i.name)),
    ...Object.entries(ports).filter(([nid]) => nid !== id).flatMap(([nid, p]) => p.outputs.map((o) => wireText(nid, o.name))),
  ];
  const r = run.nodes[id];
  const p = ports[id] || { inputs: [] };
  return (
    <div className="node-details" data-testid="inspector">
      <h3>{id} <span className="muted">{node.type}</span></h3>
      {type && <p className="muted small">{type.description}</p>}
      <Problems list={mine.filter((x) => !x.field || x.field === 'params' || x.field === 'inputs' || x.field === 'map')} />
      <h4>Params</h4>
      {(type?.params || []).map((spec) => (
        <label key={spec.name} className={`field ${fieldProblems(`params.${spec.name}`).length ? 'invalid' : ''}`}>
          <span>{spec.name}{spec.required ? ' *' : ''} <span className="muted">{spec.kind}</span></span>
          <ParamControl spec={spec} value={node.params?.[spec.name]} models={models}
                        onChange={(v) => edit([[['nodes', id, 'params', spec.name], v]])} />
          {spec.description && <span className="muted small">{spec.description}</span>}
          <Problems list={fieldProblems(`params.${spec.name}`)} />
        </label>
      ))}
      {Object.keys(node.params || {}).filter((k) => !(type?.params || []).some((s) => s.name === k)).map((k) => (
        <div key={k} className="field invalid"><span>{k} <button className="link" onClick={() => edit([[['nodes', id, 'params', k], undefined]])}>remove</button></span>
          <Problems list={fieldProblems(`params.${k}`)} /></div>
      ))}
      <h4>Inputs</h4>
      {p.inputs.map((port) => (
        <label key={port.name} className={`field ${fieldProblems(`inputs.${port.name}`).length ? 'invalid' : ''}`}>
          <span>{port.name} <span className="muted">{port.type}{port.required === false ? ', optional' : ''}</span></span>
          <select data-wire={port.name} value={node.inputs?.[port.name] ?? ''} onChange={(e) => edit([[['nodes', id, 'inputs', port.name], e.target.value || undefined]])}>
            <option value="">— not wired —</option>
            {node.inputs?.[port.name] && !sources.includes(node.inputs[port.name]) && <option value={node.inputs[port.name]}>{node.inputs[port.name]} (missing)</option>}
            {sources.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
          <Problems list={fieldProblems(`inputs.${port.name}`)} />
        </label>
      ))}
      {type?.mappable && (
        <label className="field">
          <span>map <span className="muted">run once per element of this list input</span></span>
          <select value={node.map ?? ''} onChange={(e) => edit([[['nodes', id, 'map'], e.target.value || undefined]])}>
            <option value="">— none —</option>
            {p.inputs.map((port) => <option key={port.name} value={port.name}>{port.name}</option>)}
          </select>
          <Problems list={fieldProblems('map')} />
        </label>
      )}
      <div className="row">
        <button onClick={() => onRun(id)} disabled={run.running} data-testid="run-from-here" title="Re-run this node and everything after it; nodes before it answer from the cache">Run from here</button>
        <button className="danger" onClick={() => onDelete(id)}>Delete node</button>
      </div>
      {r && (
        <div className="node-run" data-testid="node-run">
          <h4>Last run</h4>
          <div>{r.status} · {fmt.ms(r.ms)}{r.status === 'cached' ? ' · from the cache' : ''}{r.total ? ` · ${r.cachedElements ?? 0}/${r.total} cached` : ''}</div>
          {r.message && <div className="error">{r.message}</div>}
          {r.tokens && !r.outputs && <Output value={r.tokens} />}
          {r.outputs && Object.entries(r.outputs).map(([k, v]) => <div key={k}><b>{k}</b><Output value={v} /></div>)}
        </div>
      )}
    </div>
  );
}

function InputsDetails({ graph, edit }) {
  const [name, setName] = useState('');
  const [type, setType] = useState('text');
  return (
    <div className="node-details">
      <h3>Pipeline inputs</h3>
      <ul>{pipelineInputs(graph).map((i) => (
        <li key={i.name}>{i.name} <span className="muted">{i.type}</span> <button className="link" onClick={() => edit([[['inputs', i.name], undefined]])}>remove</button></li>
      ))}</ul>
      <form className="row" onSubmit={(e) => { e.preventDefault(); if (!name) return; edit([[['inputs', name], { type }]]); setName(''); }}>
        <input placeholder="name" value={name} onChange={(e) => setName(e.target.value.replace(/[^A-Za-z0-9_-]/g, ''))} />
        <select value={type} onChange={(e) => setType(e.target.value)}>{INPUT_TYPES.map((t) => <option key={t}>{t}</option>)}</select>
        <button type="submit">Add input</button>
      </form>
    </div>
  );
}

function OutputsDetails({ graph, ports, edit, problems }) {
  const sources = Object.entries(ports).flatMap(([nid, p]) => p.outputs.map((o) => wireText(nid, o.name)));
  return (
    <div className="node-details">
      <h3>Pipeline outputs</h3>
      <p className="muted small">The first output is the answer (streamed when its node is an llm).</p>
      {Object.entries(graph.outputs || {}).map(([name, w]) => (
        <label key={name} className="field"><span>{name} <button className="link" onClick={() => edit([[['outputs', name], undefined]])}>remove</button></span>
          <select value={w} onChange={(e) => edit([[['outputs', name], e.target.value]])}>
            {!sources.includes(w) && <option value={w}>{w} (missing)</option>}
            {sources.map((s) => <option key={s}>{s}</option>)}
          </select>
          <Problems list={problems.filter((p) => p.output === name)} />
        </label>
      ))}
      <p className="muted small">Drag a node's output onto the empty port of the Outputs box to add one.</p>
    </div>
  );
}

export default function Inspector(props) {
  const { selected } = props;
  return (
    <aside className="inspector">
      <RunPanel {...props} />
      {selected === INPUTS && <InputsDetails {...props} />}
      {selected === OUTPUTS && <OutputsDetails {...props} />}
      {selected && selected !== INPUTS && selected !== OUTPUTS && <NodeDetails id={selected} {...props} />}
    </aside>
  );
}

