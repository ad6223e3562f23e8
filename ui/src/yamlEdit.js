// Edits of a pipeline's YAML text that touch only the characters they must: a changed value is
// spliced over the old one, a new key is added at the end of its map (flow or block), a removed
// key takes only its own text, so comments, alignment, quoting and flow style elsewhere stay
// byte-for-byte. Every splice is re-parsed and compared with the intended value; when that fails
// (or the edit is structural, like creating a missing map) the `yaml` Document API does it
// instead, which still keeps comments and key order but reprints the file.
import YAML from 'yaml';

const PRINT = { lineWidth: 0, flowCollectionPadding: false };

const keyOf = (pair) => (YAML.isScalar(pair.key) ? pair.key.value : pair.key);
const lineStart = (t, i) => t.lastIndexOf('\n', i - 1) + 1;
const lineEnd = (t, i) => { const n = t.indexOf('\n', i); return n < 0 ? t.length : n; };

function inlineText(value) {
  const s = YAML.stringify(value, { ...PRINT, collectionStyle: 'flow' }).trimEnd();
  return s.includes('\n') ? JSON.stringify(value) : s;
}

function locate(doc, path) {
  const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
  if (!YAML.isMap(parent)) return null;
  const pair = parent.items.find((p) => keyOf(p) === path.at(-1));
  return { parent, pair };
}

function splice(text, path, value) {
  const doc = YAML.parseDocument(text);
  if (doc.errors.length) return null;
  const at = locate(doc, path);
  if (!at) return null;
  const { parent, pair } = at;
  const key = String(path.at(-1));
  const keyText = inlineText(key);
  if (value === undefined) {
    if (!pair) return text;
    const start = pair.key.range[0];
    const end = (pair.value?.range ?? pair.key.range)[1];
    if (parent.flow) {
      // "a: 1, b: 2": take the pair and one comma beside it.
      const after = text.slice(end).match(/^\s*,\s*/);
      if (after) return text.slice(0, start) + text.slice(end + after[0].length);
      const before = text.slice(0, start).match(/,\s*$/);
      return before ? text.slice(0, start - before[0].length) + text.slice(end) : text.slice(0, start) + text.slice(end);
    }
    const from = lineStart(text, start);
    if (text.slice(from, start).trim() !== '') return null;
    const to = lineEnd(text, (pair.value?.range ?? pair.key.range)[2] - 1);
    return text.slice(0, from) + text.slice(Math.min(text.length, to + 1));
  }
  if (pair) {
    const v = pair.value;
    if (!YAML.isScalar(v) || !v.range) return null;
    if (typeof value === 'object' && value !== null && !parent.flow) {
      return null;   // a scalar becoming a collection: let the Document API lay it out
    }
    return text.slice(0, v.range[0]) + inlineText(value) + text.slice(v.range[1]);
  }
  if (!parent.range) return null;
  if (parent.flow) {
    if (typeof value === 'object' && value !== null && parent.items.length === 0) return null;
    const close = text.lastIndexOf('}', parent.range[1] - 1);
    if (close < parent.range[0]) return null;
    const sep = parent.items.length ? ', ' : '';
    return text.slice(0, close) + `${sep}${keyText}: ${inlineText(value)}` + text.slice(close);
  }
  if (!parent.items.length) return null;
  const first = parent.items[0].key.range[0];
  const indent = first - lineStart(text, first);
  const last = parent.items.at(-1);
  const end = lineEnd(text, (last.value?.range ?? last.key.range)[2] - 1);
  const pad = ' '.repeat(indent);
  let insert;
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length) {
    const body = YAML.stringify(value, PRINT).trimEnd().split('\n').map((l) => `${pad}  ${l}`).join('\n');
    insert = `${pad}${keyText}:\n${body}`;
  } else {
    insert = `${pad}${keyText}: ${inlineText(value)}`;
  }
  const after = text.slice(end);
  return `${text.slice(0, end)}\n${insert}${after === '' ? '\n' : after}`;
}

function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

function viaDocument(text, path, value) {
  const doc = YAML.parseDocument(text);
  if (doc.errors.length) return text;
  if (value === undefined) {
    doc.deleteIn(path);
  } else {
    for (let i = 1; i < path.length; ++i) {
      const node = doc.getIn(path.slice(0, i), true);
      if (!YAML.isMap(node)) doc.setIn(path.slice(0, i), doc.createNode({}));
    }
    const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
    if (YAML.isMap(parent) && parent.items.length === 0) parent.flow = false;   // "{}" grows as a block
    const node = doc.createNode(value);
    if (YAML.isMap(node)) for (const p of node.items) if (YAML.isCollection(p.value)) p.value.flow = true;
    doc.setIn(path, node);
  }
  return doc.toString(PRINT);
}

// ops: [[path, value], ...]; value undefined removes the key.
export function applyEdits(text, ops) {
  let t = text;
  for (const [path, value] of ops) {
    let next = null;
    try { next = splice(t, path, value); } catch { next = null; }
    if (next != null) {
      const check = YAML.parseDocument(next);
      const got = check.errors.length ? Symbol('bad') : check.getIn(path);
      const gone = value === undefined && !check.errors.length && !check.hasIn(path);
      const toJS = (v) => (v && typeof v.toJSON === 'function' ? v.toJSON() : v);
      if (!(gone || (value !== undefined && !check.errors.length && same(toJS(got), value)))) next = null;
    }
    t = next ?? viaDocument(t, path, value);
  }
  return t;
}
