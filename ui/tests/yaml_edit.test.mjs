// The editor's YAML edits change only what they must (node --test ui/tests/yaml_edit.test.mjs;
// run by tests/e2e/test_ui.py). Cases run on the real ocr-rag example.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import YAML from 'yaml';
import { applyEdits } from '../src/yamlEdit.js';

const source = fs.readFileSync(new URL('../../pipeline/examples/ocr-rag.yaml', import.meta.url), 'utf8');
const lines = (t) => t.split('\n');
// Lines of `after` that are not in `before`, and the reverse.
function diff(before, after) {
  const a = lines(before), b = lines(after);
  return { added: b.filter((l) => !a.includes(l)), removed: a.filter((l) => !b.includes(l)) };
}

test('a changed scalar is spliced in place, comments and alignment kept', () => {
  const out = applyEdits(source, [[['nodes', 'answer', 'params', 'max_tokens'], 48]]);
  assert.equal(out, source.replace('max_tokens: 60', 'max_tokens: 48'));
});

test('a rewired input in a flow map changes only that value', () => {
  const out = applyEdits(source, [[['nodes', 'found', 'inputs', 'query'], 'scan.images']]);
  assert.equal(out, source.replace('{query: $inputs.question,', '{query: scan.images,'));
});

test('a new key goes at the end of its flow or block map', () => {
  const flow = applyEdits(source, [[['nodes', 'found', 'params', 'min_score'], 0.2]]);
  assert.deepEqual(diff(source, flow).added, ['    params: {db: ocr-rag.db, model: minilm, top_k: 3, min_score: 0.2}']);
  const block = applyEdits(source, [[['outputs', 'context'], 'found.context']]);
  assert.ok(block.endsWith('  context: found.context\n'));
  assert.equal(diff(source, block).removed.length, 0);
});

test('a removed key takes only its own text', () => {
  const out = applyEdits(source, [[['outputs', 'sources'], undefined], [['nodes', 'pages', 'inputs', 'images'], undefined]]);
  const d = diff(source, out);
  assert.equal(d.removed.length, 2);
  assert.equal(YAML.parse(out).outputs.sources, undefined);
  assert.equal(YAML.parse(out).nodes.pages.inputs.images, undefined);
  assert.equal(YAML.parse(out).nodes.pages.inputs.text_files, 'scan.texts');
});

test('a new node is added as a block and then filled in', () => {
  const out = applyEdits(source, [
    [['nodes', 'llm2'], { type: 'llm', params: {}, inputs: {} }],
    [['nodes', 'llm2', 'params', 'model'], 'gemma'],
    [['nodes', 'llm2', 'inputs', 'x'], 'scan.texts'],
  ]);
  assert.deepEqual(YAML.parse(out).nodes.llm2, { type: 'llm', params: { model: 'gemma' }, inputs: { x: 'scan.texts' } });
  assert.equal(diff(source, out).removed.length, 0);
});

test('values that need quoting are quoted, and text with newlines stays exact', () => {
  const text = 'Line one: "quoted"\n{{context}}, #not a comment';
  const out = applyEdits(source, [[['nodes', 'answer', 'params', 'prompt'], text]]);
  assert.equal(YAML.parse(out).nodes.answer.params.prompt, text);
  assert.ok(out.includes('# a base model continues Q/A text best'));
});

test('an empty map grows as a block (new pipeline)', () => {
  const start = 'name: p\ninputs:\n  text: {type: text}\nnodes: {}\noutputs: {}\n';
  const out = applyEdits(start, [[['nodes', 'a'], { type: 'template', params: { template: '{{t}}' }, inputs: { t: '$inputs.text' } }],
                                 [['outputs', 'text'], 'a.text']]);
  assert.deepEqual(YAML.parse(out), { name: 'p', inputs: { text: { type: 'text' } },
    nodes: { a: { type: 'template', params: { template: '{{t}}' }, inputs: { t: '$inputs.text' } } }, outputs: { text: 'a.text' } });
});
