// The editor's node boxes: a pipeline node (typed ports, status of the last run, problems from
// the checker) and the two ends of a pipeline (its inputs and its outputs).
import React from 'react';
import { Handle, Position } from '@xyflow/react';
import { NEW_PORT, isList, typeColour } from './graph.js';
import { fmt } from './api.js';

function Port({ port, side }) {
  const colour = typeColour(port.type);
  const style = { background: isList(port.type) ? '#fff' : colour, borderColor: colour, borderWidth: isList(port.type) ? 3 : 1 };
  return (
    <div className={`port ${side} ${port.missing ? 'missing' : ''}`} title={port.name === NEW_PORT ? 'drop a wire here to add a port' : `${port.name}: ${port.type}${port.required === false ? ' (optional)' : ''}`}>
      <Handle type={side === 'in' ? 'target' : 'source'} position={side === 'in' ? Position.Left : Position.Right} id={port.name} style={style} />
      <span className="port-name">{port.name === NEW_PORT ? '+' : port.name}</span>
      {port.name !== NEW_PORT && <span className="port-type" style={{ color: colour }}>{port.type}</span>}
    </div>
  );
}

function statusText(run) {
  if (!run) return null;
  if (run.status === 'running') return run.total ? `running ${run.done || 0}/${run.total}` : 'running…';
  const cached = run.status === 'cached' || (run.elements > 0 && run.cachedElements === run.elements);
  return `${run.status}${cached && run.status !== 'cached' ? ' (cached)' : ''} · ${fmt.ms(run.ms)}`;
}

export function PipeNode({ data, selected }) {
  const { id, type, ports, problems, run, mapPort } = data;
  const cls = ['pipe-node', selected ? 'selected' : '', problems.length ? 'invalid' : '', run ? `status-${run.status}` : ''].join(' ');
  return (
    <div className={cls} data-testid={`node-${id}`} data-status={run?.status || ''}>
      <div className="node-head">
        <b>{id}</b> <span className="node-type">{type}{mapPort ? ` · map ${mapPort}` : ''}</span>
      </div>
      <div className="node-ports">
        <div className="ins">
          {ports.inputs.map((p) => <Port key={p.name} port={p} side="in" />)}
          {ports.extra && <Port port={{ name: NEW_PORT, type: 'any' }} side="in" />}
        </div>
        <div className="outs">{ports.outputs.map((p) => <Port key={p.name} port={p} side="out" />)}</div>
      </div>
      {run && <div className="node-status" data-testid={`status-${id}`}>{statusText(run)}</div>}
      {problems.length > 0 && (
        <ul className="node-problems" data-testid={`problems-${id}`}>
          {problems.map((p, i) => <li key={i}>{p.field ? <code>{p.field}</code> : null} {p.message}</li>)}
        </ul>
      )}
    </div>
  );
}

export function IoNode({ data, selected }) {
  const { kind, items, problems } = data;
  return (
    <div className={`io-node ${kind} ${selected ? 'selected' : ''} ${problems?.length ? 'invalid' : ''}`} data-testid={`node-${kind}`}>
      <div className="node-head"><b>{kind === 'inputs' ? 'Inputs' : 'Outputs'}</b></div>
      {items.map((p) => <Port key={p.name} port={p} side={kind === 'inputs' ? 'out' : 'in'} />)}
      {kind === 'outputs' && <Port port={{ name: NEW_PORT, type: 'any' }} side="in" />}
      {problems?.length > 0 && <ul className="node-problems">{problems.map((p, i) => <li key={i}>{p.message}</li>)}</ul>}
    </div>
  );
}

export const nodeTypes = { pipe: PipeNode, io: IoNode };
