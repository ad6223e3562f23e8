// Browser scenarios for tests/e2e/test_ui.py: Debian's Chromium (headless) driven by
// playwright-core against a running server. Usage:
//   node ui/tests/browser.mjs SCENARIO   (env: UI_BASE_URL, UI_KEY, UI_SHOTS=folder for screenshots,
//                                         UI_ARGS=JSON with scenario arguments, CHROMIUM=/usr/bin/chromium)
// Prints one JSON object per line: {"step": ...} progress, and a final {"result": {...}}; exits 1
// with {"error": ...} when a step fails. The pytest side makes the assertions that need the server.
import { chromium } from 'playwright-core';
import readline from 'node:readline';
import path from 'node:path';

const base = process.env.UI_BASE_URL;
const key = process.env.UI_KEY || '';
const shots = process.env.UI_SHOTS || '';
const args = JSON.parse(process.env.UI_ARGS || '{}');
const scenario = process.argv[2];
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const stdinLines = readline.createInterface({ input: process.stdin });
const nextLine = () => new Promise((resolve) => stdinLines.once('line', resolve));

async function shot(page, name) {
  if (shots) await page.screenshot({ path: path.join(shots, name) });
}

// Opens a view and gives the page the API key through its own prompt (auth is on in the tests).
async function open(page, hash) {
  await page.goto(`${base}/ui/${hash}`);
  if (key) {
    const prompt = page.getByLabel('API key');
    await prompt.waitFor({ timeout: 10000 });
    await prompt.fill(key);
    await page.getByRole('button', { name: 'Use key' }).click();
    await prompt.waitFor({ state: 'detached' });
  }
}

const scenarios = {
  async dashboard(page) {
    await open(page, '#/dashboard');
    await page.locator('.feed .dot.on').waitFor({ timeout: 10000 });
    say({ ready: true });
    const id = (await nextLine()).trim();
    const t0 = Date.now();
    const row = page.locator(`tr[data-request-id="${id}"]`);
    await row.waitFor({ timeout: 1000 });
    const shownAfterMs = Date.now() - t0;
    const cells = await row.locator('td').allInnerTexts();
    await row.click();
    await page.getByTestId('trace').waitFor({ timeout: 5000 });
    const trace = await page.getByTestId('trace').innerText();
    await page.locator('.route').first().waitFor({ timeout: 10000 });   // stats refresh after the event
    await shot(page, 'ui-dashboard.png');
    return { shownAfterMs, cells, trace };
  },

  async editor_graph(page) {
    await open(page, `#/pipelines/${args.id}`);
    await page.getByTestId('node-answer').waitFor({ timeout: 15000 });
    await page.getByTestId('check-status').filter({ hasText: 'valid' }).waitFor({ timeout: 10000 });
    const nodes = await page.locator('.react-flow__node').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
    const edges = await page.locator('.react-flow__edge').count();
    // Wire scan.images (a list of images) into found.query (text): the checker must object.
    const from = page.locator('.react-flow__handle[data-nodeid="scan"][data-handleid="images"]');
    const to = page.locator('.react-flow__handle[data-nodeid="found"][data-handleid="query"]');
    await from.scrollIntoViewIfNeeded();
    const a = await from.boundingBox();
    const b = await to.boundingBox();
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 8 });
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 8 });
    await page.mouse.up();
    const problems = page.getByTestId('problems-found');
    await problems.waitFor({ timeout: 10000 });
    const problemText = await problems.innerText();
    await page.getByTestId('node-found').click();
    const fieldProblem = await page.locator('.inspector .field.invalid').first().innerText();
    await shot(page, 'ui-editor-invalid.png');
    return { nodes, edges, problemText, fieldProblem };
  },

  async editor_run(page) {
    await open(page, `#/pipelines/${args.id}`);
    await page.getByTestId('node-answer').waitFor({ timeout: 15000 });
    for (const [name, value] of Object.entries(args.inputs)) await page.locator(`[data-run-input="${name}"]`).fill(value);
    await page.getByTestId('run').click();
    const running = Date.now();
    await page.getByTestId('run-result').waitFor({ timeout: args.timeout_ms || 300000 });
    const statuses = await page.locator('.pipe-node').evaluateAll((els) =>
      Object.fromEntries(els.map((e) => [e.getAttribute('data-testid').replace(/^node-/, ''), e.getAttribute('data-status')])));
    const answer = await page.locator('[data-output="answer"] pre').innerText();
    const citation = await page.locator('[data-output="citation"] pre').innerText();
    await page.getByTestId('node-answer').click();
    await page.getByTestId('node-run').waitFor({ timeout: 5000 });
    await shot(page, 'ui-editor.png');
    // Run from here: the answer node again, everything upstream from the cache.
    await page.getByTestId('run-from-here').click();
    const done = () => page.waitForFunction(() => {
      const b = document.querySelector('[data-testid="run"]');
      return b && !b.disabled && document.querySelector('[data-testid="run-result"]');
    }, null, { timeout: args.timeout_ms || 300000 });
    await page.waitForFunction(() => document.querySelector('[data-testid="run"]').disabled, null, { timeout: 2000 }).catch(() => {});
    await done();
    const rerun = await page.locator('.pipe-node').evaluateAll((els) =>
      Object.fromEntries(els.map((e) => [e.getAttribute('data-testid').replace(/^node-/, ''), e.getAttribute('data-status')])));
    return { statuses, answer, citation, seconds: (Date.now() - running) / 1000, rerun };
  },

  async editor_save(page) {
    await open(page, `#/pipelines/${args.id}`);
    await page.getByTestId('node-answer').waitFor({ timeout: 15000 });
    await page.getByTestId('node-answer').click();
    const field = page.locator('.inspector [data-param="max_tokens"]');
    await field.fill(String(args.max_tokens));
    await page.getByTestId('check-status').filter({ hasText: 'valid' }).waitFor({ timeout: 10000 });
    await page.getByTestId('save').click();
    await page.getByTestId('editor-message').filter({ hasText: 'Saved' }).waitFor({ timeout: 10000 });
    return { message: await page.getByTestId('editor-message').innerText() };
  },

  async editor_new(page) {
    await open(page, '#/pipelines/new');
    await page.getByTestId('node-inputs').waitFor({ timeout: 15000 });
    await page.locator('[data-node-type="template"]').click();
    await page.getByTestId('node-template').waitFor({ timeout: 5000 });
    await page.locator('.react-flow__controls-fitview').click();
    await page.waitForTimeout(300);
    const drag = async (from, to) => {
      const a = await page.locator(from).boundingBox();
      const b = await page.locator(to).boundingBox();
      await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
      await page.mouse.down();
      await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 10 });
      await page.mouse.up();
    };
    await drag('.react-flow__handle[data-nodeid="__inputs"][data-handleid="text"]', '.react-flow__handle[data-nodeid="template"][data-handleid="__new"]');
    await page.getByTestId('node-template').click();
    await page.locator('.inspector [data-param="template"]').fill('Hello {{text}}!');
    await page.locator('.react-flow__controls-fitview').click();
    await page.waitForTimeout(300);
    await drag('.react-flow__handle.source[data-nodeid="template"][data-handleid="text"]', '.react-flow__handle[data-nodeid="__outputs"][data-handleid="__new"]');
    await page.getByTestId('check-status').filter({ hasText: 'valid' }).waitFor({ timeout: 10000 });
    await page.locator('[data-run-input="text"]').fill('world');
    await page.getByTestId('run').click();
    await page.getByTestId('run-result').waitFor({ timeout: 30000 });
    const output = await page.locator('[data-output="text"] pre').innerText();
    await page.getByRole('button', { name: 'YAML', exact: true }).click();
    const yaml = await page.getByLabel('YAML').inputValue();
    return { output, yaml };
  },

  async playground(page) {
    await open(page, '#/playground');
    const columns = page.getByTestId('column');
    await columns.nth(1).waitFor({ timeout: 10000 });
    await columns.nth(0).getByLabel('model').selectOption(args.left);
    await columns.nth(1).getByLabel('model').selectOption(args.right);
    await page.getByLabel('prompt').fill(args.prompt);
    await page.getByRole('button', { name: 'Send' }).click();
    await columns.nth(0).getByTestId('answer-meta').waitFor({ timeout: 120000 });
    await columns.nth(1).getByTestId('answer-meta').waitFor({ timeout: 120000 });
    const left = columns.nth(0).locator('.answer').first();
    const requestId = await left.getAttribute('data-request-id');
    const meta = [await columns.nth(0).getByTestId('answer-meta').innerText(), await columns.nth(1).getByTestId('answer-meta').innerText()];
    await left.getByRole('button', { name: 'thumbs up' }).click();
    await left.getByTestId('rated').waitFor({ timeout: 5000 });
    await left.getByRole('button', { name: 'trace' }).click();
    await left.getByTestId('answer-trace').waitFor({ timeout: 5000 });
    const trace = await left.getByTestId('answer-trace').innerText();
    await shot(page, 'ui-playground.png');
    return { requestId, meta, trace };
  },
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
let code = 0;
let page;
try {
  page = await browser.newPage({ viewport: { width: 1800, height: 1000 } });
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  const result = await scenarios[scenario](page);
  say({ result: { ...result, pageErrors: consoleErrors } });
} catch (e) {
  // What the page looked like when the step failed, for the test's message.
  const where = path.join(process.env.UI_FAILURE_DIR || '/tmp', `ui-failure-${scenario}.png`);
  if (page) await page.screenshot({ path: where }).catch(() => {});
  say({ error: `${String(e?.stack || e)}\n(screenshot: ${where})` });
  code = 1;
} finally {
  await browser.close();
  stdinLines.close();
}
process.exit(code);
