// Between a pipeline's YAML and the editor's graph: wires as edges, ports as handles coloured by
// value type, and a left-to-right layered layout (dagre) for files that carry no positions.
import dagre from '@dagrejs/dagre';

export const INPUTS = '__inputs';
export const OUTPUTS = '__outputs';
export const NEW_PORT = '__new';

const KIND_COLOURS = {
  text: '#43a047', json: '#fb8c00', embedding: '#8e24aa', image: '#d81b60', document: '#6d4c41', any: '#78909c',
};

// "list<text>" -> text's colour; lists are drawn dashed.
export function typeColour(type) {
  const base = String(type || 'any').replace(/^(list<)+/, '').replace(/>+$/, '');
  return KIND_COLOURS[base] || KIND_COLOURS.any;
}
export const isList = (type) => String(type || '').startsWith('list<');

// "$inputs.x" -> {source: INPUTS, handle: x}; "node.port" -> {source: node, handle: port}.
export function parseWire(text) {
  if (typeof text !== 'string') return null;
  if (text.startsWith('$inputs.')) return { source: INPUTS, handle: text.slice(8) };
  const dot = text.indexOf('.');
  if (dot <= 0) return null;
  return { source: text.slice(0, dot), handle: text.slice(dot + 1) };
}
export const wireText = (source, handle) => (source === INPUTS ? `$inputs.${handle}` : `${source}.${handle}`);

// The ports each node shows: the server's analysis for these params, else the library's
// defaults, plus whatever is wired (so a wire to a port that does not exist is still drawn).
export function nodePorts(js, analysis, library) {
  const nodes = js.nodes && typeof js.nodes === 'object' ? js.nodes : {};
  const out = {};
  for (const [id, n] of Object.entries(nodes)) {
    const a = analysis?.nodes?.[id];
    const lib = library.find((t) => t.name === n?.type);
    const ins = (a?.inputs || lib?.inputs || []).map((p) => ({ ...p }));
    const outs = (a?.outputs || lib?.outputs || []).map((p) => ({ ...p }));
    for (const port of Object.keys(n?.inputs || {}))
      if (!ins.some((p) => p.name === port)) ins.push({ name: port, type: 'any', extra: true });
    out[id] = { inputs: ins, outputs: outs, extra: a ? a.extra_inputs : !!lib?.extra_inputs };
  }
  // Output ports that something reads but the node does not declare.
  const wants = [];
  for (const n of Object.values(nodes)) for (const w of Object.values(n?.inputs || {})) wants.push(parseWire(w));
  for (const w of Object.values(js.outputs || {})) wants.push(parseWire(w));
  for (const w of wants)
    if (w && out[w.source] && !out[w.source].outputs.some((p) => p.name === w.handle))
      out[w.source].outputs.push({ name: w.handle, type: 'any', missing: true });
  return out;
}

export function pipelineInputs(js) {
  const ins = js.inputs && typeof js.inputs === 'object' ? js.inputs : {};
  return Object.entries(ins).map(([name, d]) => ({ name, type: d?.type || 'text', default: d?.default }));
}

export function graphEdges(js, ports) {
  const edges = [];
  const inputTypes = Object.fromEntries(pipelineInputs(js).map((i) => [i.name, i.type]));
  const sourceType = (w) => (w.source === INPUTS ? inputTypes[w.handle] : ports[w.source]?.outputs.find((p) => p.name === w.handle)?.type);
  const style = (t) => ({ stroke: typeColour(t), strokeWidth: 2, strokeDasharray: isList(t) ? '6 3' : undefined });
  for (const [id, n] of Object.entries(js.nodes || {})) {
    for (const [port, wire] of Object.entries(n?.inputs || {})) {
      const w = parseWire(wire);
      if (!w || (w.source !== INPUTS && !ports[w.source])) continue;
      if (w.source === INPUTS && !(w.handle in inputTypes)) continue;
      const t = sourceType(w);
      edges.push({ id: `${id}:${port}`, source: w.source, sourceHandle: w.handle, target: id, targetHandle: port, style: style(t), data: { kind: 'input', node: id, port } });
    }
  }
  for (const [name, wire] of Object.entries(js.outputs || {})) {
    const w = parseWire(wire);
    if (!w || (w.source !== INPUTS && !ports[w.source])) continue;
    edges.push({ id: `out:${name}`, source: w.source, sourceHandle: w.handle, target: OUTPUTS, targetHandle: name, style: style(sourceType(w)), data: { kind: 'output', name } });
  }
  return edges;
}

export function autoLayout(ids, edges, ports) {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 60, marginx: 10, marginy: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const id of ids) {
    const p = ports[id];
    const rows = p ? Math.max(p.inputs.length, p.outputs.length) : 3;
    g.setNode(id, { width: 220, height: 66 + 21 * rows });
  }
  for (const e of edges) if (ids.includes(e.source) && ids.includes(e.target)) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const pos = {};
  for (const id of ids) {
    const n = g.node(id);
    pos[id] = { x: n.x - n.width / 2, y: n.y - n.height / 2 };
  }
  return pos;
}
