"""The web UI at /ui against a real server with the real default models, driven in Debian's
headless Chromium by playwright-core (ui/tests/browser.mjs, one scenario per test), with auth on:
the page asks for the key and sends it as a Bearer header.

  - the dashboard shows a request sent through the API (openai client) within a second, with its trace
  - the editor opens ocr-rag as a graph (every node and wire), and a wrong-typed wire shows the
    checker's error on the node and on the field
  - a run on the sample documents shows every node finishing and the answer; "run from here" re-runs
    the answer node with everything upstream from the cache
  - a pipeline built on an empty canvas (a node from the library, two dragged wires, a param) runs
  - an edit saved from the editor passes `switchyard pipeline check` and keeps the file's comments
  - the playground's thumbs-up lands in the request log's feedback table
plus the HTTP side without a browser: static files (types, no path traversal), auth on the UI's
data endpoints, saving only configured files and only when they pass the checks.

Screenshots for the README are written to docs/ when UI_SCREENSHOTS=1.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import BINARY, ROOT, _yaml_str, chat_model_yaml, config_yaml, embed_model_yaml, sse_events

UI_DIR = ROOT / "ui"
BUILT = BINARY.parent / "ui" / "index.html"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
KEY = "sk-ui-test-0123456789"          # role: admin
CLIENT_KEY = "sk-ui-client-9876543210"  # an ordinary client key
MAKE_DOCS = ROOT / "scripts" / "make_sample_docs.py"

pytestmark = pytest.mark.skipif(not BUILT.exists() or not CHROMIUM.exists() or not (UI_DIR / "node_modules" / "playwright-core").exists(),
                                reason="the UI is not built or Chromium/playwright-core is missing (scripts/setup.sh installs them)")


@pytest.fixture(scope="module")
def ui(start_server, tmp_path_factory):
    d = tmp_path_factory.mktemp("ui")
    shutil.copy(ROOT / "pipeline" / "examples" / "ocr-rag.yaml", d / "ocr-rag.yaml")
    os.environ["SWITCHYARD_UI_TEST_KEY"] = KEY
    os.environ["SWITCHYARD_UI_CLIENT_KEY"] = CLIENT_KEY
    cfg = config_yaml(chat_model_yaml(parallel=4) + embed_model_yaml())
    cfg = cfg.replace("server:\n", "server:\n  api_keys:\n    - {name: ui-tester, key_env: SWITCHYARD_UI_TEST_KEY, role: admin}\n"
                      "    - {name: ui-client, key_env: SWITCHYARD_UI_CLIENT_KEY}\n", 1)
    cfg += ("routes:\n"
            "  - name: auto\n"
            "    tiers:\n"
            "      - {name: small, model: gemma-3-270m}\n"
            "      - {name: large, model: gemma-3-270m}\n"
            f"log:\n  path: {_yaml_str(d / 'log.db')}\n"
            f"pipelines:\n  files: [{_yaml_str(d / 'ocr-rag.yaml')}]\n  cache_dir: {_yaml_str(d / 'cache')}\n"
            f"  roots: [{_yaml_str(tmp_path_factory.getbasetemp())}]\n")   # the sample documents' folder is in there
    srv = start_server(cfg)
    srv.dir = d
    # An eval report beside the config, as `switchyard eval run` writes one (the dashboard shows it).
    results = srv.config_path.parent / "eval" / "results"
    results.mkdir(parents=True)
    for name in ("curve.svg", "report.json"):
        shutil.copy(ROOT / "eval" / "results" / name, results / name)
    return srv


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    d = tmp_path_factory.mktemp("docs")
    subprocess.run([sys.executable, str(MAKE_DOCS), str(d)], check=True, capture_output=True)
    return d, json.loads((d / "facts.json").read_text())


def api_client(srv):
    import openai
    return openai.OpenAI(base_url=srv.base_url, api_key=KEY, timeout=120, max_retries=0)


def auth(extra: dict | None = None) -> dict:
    return {"Authorization": f"Bearer {KEY}", **(extra or {})}


class Browser:
    """One scenario of ui/tests/browser.mjs in its own Chromium."""

    def __init__(self, srv, scenario: str, args: dict | None = None):
        env = dict(os.environ, UI_BASE_URL=f"http://{srv.host}:{srv.port}", UI_KEY=KEY, UI_ARGS=json.dumps(args or {}),
                   CHROMIUM=str(CHROMIUM))
        if os.environ.get("UI_SCREENSHOTS"):
            (ROOT / "docs").mkdir(exist_ok=True)
            env["UI_SHOTS"] = str(ROOT / "docs")
        self.proc = subprocess.Popen(["node", str(UI_DIR / "tests" / "browser.mjs"), scenario], cwd=str(UI_DIR), env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def read(self, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError(f"browser ended early: {self.proc.stderr.read()}")
            msg = json.loads(line)
            if "error" in msg:
                raise AssertionError(f"browser scenario failed: {msg['error']}")
            return msg
        raise AssertionError("browser timed out")

    def send(self, text: str):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def result(self, timeout: float = 300) -> dict:
        msg = self.read(timeout)
        assert "result" in msg, msg
        assert self.proc.wait(30) == 0
        assert msg["result"]["pageErrors"] == [], msg["result"]["pageErrors"]
        return msg["result"]


def expected_graph(yaml_file: Path) -> tuple[set[str], int]:
    import yaml  # PyYAML comes with the test requirements
    doc = yaml.safe_load(yaml_file.read_text())
    wires = sum(len(n.get("inputs", {})) for n in doc["nodes"].values()) + len(doc["outputs"])
    return set(doc["nodes"]), wires


# ---- browser --------------------------------------------------------------------------------

def test_dashboard_shows_an_api_request_within_a_second(ui):
    b = Browser(ui, "dashboard")
    assert b.read(30).get("ready")
    client = api_client(ui)
    raw = client.chat.completions.with_raw_response.create(model="auto", messages=[{"role": "user", "content": "Say hi."}], max_tokens=4)
    request_id = raw.headers["x-request-id"]
    b.send(request_id)
    r = b.result(60)
    assert r["shownAfterMs"] <= 1000, r
    cells = r["cells"]
    assert cells[1] == "ui-tester" and cells[2] == "auto" and cells[3] == "small" and cells[4] == "gemma-3-270m", cells
    assert cells[8] == "200", cells
    assert request_id in r["trace"] and "Routing trace" in r["trace"], r["trace"]


def test_editor_shows_ocr_rag_and_an_invalid_wire_on_the_node(ui):
    nodes, wires = expected_graph(ui.dir / "ocr-rag.yaml")
    r = Browser(ui, "editor_graph", {"id": "0"}).result(90)
    assert set(r["nodes"]) == nodes | {"__inputs", "__outputs"}, r["nodes"]
    assert r["edges"] == wires, r
    assert "expects text" in r["problemText"] and "scan.images" in r["problemText"], r["problemText"]
    assert "query" in r["fieldProblem"] and "expects text" in r["fieldProblem"], r["fieldProblem"]
    assert "scan.images" not in (ui.dir / "ocr-rag.yaml").read_text().split("found:")[1], "an unsaved edit reached the file"


def test_editor_runs_ocr_rag_on_the_sample_documents(ui, docs):
    folder, facts = docs
    fact = next(f for f in facts if f["file"] == "warehouse-notes.png")
    r = Browser(ui, "editor_run", {"id": "0", "inputs": {"folder": str(folder), "question": fact["question"]}}).result(600)
    nodes, _ = expected_graph(ui.dir / "ocr-rag.yaml")
    assert set(r["statuses"]) == nodes
    assert all(s in ("ok", "cached") for s in r["statuses"].values()), r["statuses"]
    assert r["answer"].strip(), r
    assert r["citation"].startswith("warehouse-notes.png, page 1:"), r["citation"]
    # Run from here (answer): upstream nodes answer from the cache; the answer node runs again.
    assert r["rerun"]["answer"] == "ok", r["rerun"]
    assert r["rerun"]["ocr_images"] == "cached" and r["rerun"]["read_pdfs"] == "cached", r["rerun"]


def test_a_new_pipeline_from_an_empty_canvas_runs(ui):
    r = Browser(ui, "editor_new").result(90)
    assert r["output"] == "Hello world!", r
    import yaml
    doc = yaml.safe_load(r["yaml"])
    assert doc["nodes"]["template"] == {"type": "template", "params": {"template": "Hello {{text}}!"}, "inputs": {"text": "$inputs.text"}}
    assert doc["outputs"] == {"text": "template.text"}


def test_a_saved_edit_round_trips_through_pipeline_check(ui):
    file = ui.dir / "ocr-rag.yaml"
    before = file.read_text()
    r = Browser(ui, "editor_save", {"id": "0", "max_tokens": 48}).result(90)
    assert "Saved" in r["message"]
    after = file.read_text()
    assert "max_tokens: 48" in after and "max_tokens: 60" not in after
    # Everything else is as it was: comments, key order, flow style.
    assert after.replace("max_tokens: 48", "max_tokens: 60") == before
    check = subprocess.run([str(BINARY), "--config", str(ui.config_path), "pipeline", "check", str(file)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_playground_feedback_appears_in_the_log(ui):
    r = Browser(ui, "playground", {"left": "auto", "right": "gemma-3-270m", "prompt": "Name a colour."}).result(300)
    assert r["requestId"], r
    assert "tier small" in r["meta"][0] and "tok/s" in r["meta"][0], r["meta"]
    assert "gemma-3-270m" in r["meta"][1], r["meta"]
    assert "small" in r["trace"], r["trace"]
    db = sqlite3.connect(ui.dir / "log.db")
    rows = db.execute("SELECT rating FROM feedback WHERE request_id = ?", (r["requestId"],)).fetchall()
    assert rows == [("up",)], rows


# ---- HTTP -----------------------------------------------------------------------------------

def test_static_files_have_types_and_no_path_traversal(ui):
    status, headers, body = ui.request("GET", "/ui/")
    assert status == 200 and headers["content-type"].startswith("text/html") and b'<div id="root">' in body
    assert "default-src 'self'" in headers["content-security-policy"] and headers["x-content-type-options"] == "nosniff"
    asset = next((BINARY.parent / "ui" / "assets").glob("*.js")).name
    status, headers, _ = ui.request("GET", f"/ui/assets/{asset}")
    assert status == 200 and headers["content-type"].startswith("text/javascript") and "immutable" in headers["cache-control"]
    status, headers, body = ui.request("GET", "/ui/pipelines/0")   # a client-side route
    assert status == 200 and b'<div id="root">' in body
    for bad in ("/ui/../switchyard", "/ui/%2e%2e/switchyard", "/ui/assets/../../switchyard", "/ui/.hidden", "/ui//etc/passwd",
                "/ui/..%2fswitchyard", "/ui/assets/..\\..\\switchyard"):
        status, _, body = ui.request("GET", bad)
        assert status in (400, 404), (bad, status)
        assert b"\x7fELF" not in body
    status, _, _ = ui.request("GET", "/ui")
    assert status == 308


def test_ui_data_needs_the_key(ui):
    for path in ("/ui/api/status", "/ui/api/stats", "/ui/api/requests", "/ui/api/nodes", "/ui/api/pipelines", "/ui/api/pipeline?id=0", "/ui/api/events"):
        status, _, body = ui.request("GET", path)
        assert status == 401, (path, status)
        assert json.loads(body)["error"]["code"] == "invalid_api_key"
    status, _, body = ui.request("GET", "/ui/api/pipelines", headers=auth())
    data = json.loads(body)
    assert status == 200 and data["data"][0]["file"] == "ocr-rag.yaml" and data["data"][0]["name"] == "ocr-rag"
    assert str(ui.dir) not in body.decode(), "absolute paths must not leave the server"
    status, _, body = ui.request("GET", "/ui/api/nodes", headers=auth())
    assert status == 200 and {"llm", "template", "files"} <= {t["name"] for t in json.loads(body)["data"]}


def test_saving_checks_first_and_only_writes_configured_files(ui):
    file = ui.dir / "ocr-rag.yaml"
    before = file.read_text()
    broken = before.replace("inputs: {query: $inputs.question", "inputs: {query: scan.images")
    assert broken != before
    status, _, body = ui.request("PUT", "/ui/api/pipeline?id=0", {"yaml": broken}, headers=auth())
    err = json.loads(body)
    assert status == 422 and err["error"]["code"] == "pipeline_invalid"
    assert any(p.get("node") == "found" and p.get("field") == "inputs.query" for p in err["problems"]), err
    assert file.read_text() == before
    for bad_id in ("1", "-1", "../x", "0/../../etc"):
        status, _, _ = ui.request("PUT", f"/ui/api/pipeline?id={bad_id}", {"yaml": before}, headers=auth())
        assert status == 404, bad_id
    status, _, body = ui.request("POST", "/ui/api/pipeline/check", {"yaml": "name: x\nnodes: [\n"}, headers=auth())
    assert status == 200 and json.loads(body)["ok"] is False


def test_stats_count_routed_requests_and_feedback(ui):
    client = api_client(ui)
    raw = client.chat.completions.with_raw_response.create(model="auto", messages=[{"role": "user", "content": "One word: sky colour?"}], max_tokens=4)
    rid = raw.headers["x-request-id"]
    status, _, _ = ui.request("POST", "/v1/feedback", {"request_id": rid, "rating": "down"}, headers=auth())
    assert status == 200
    status, _, body = ui.request("GET", "/ui/api/stats?window=3600", headers=auth())
    stats = json.loads(body)
    assert status == 200
    route = next(r for r in stats["routes"] if r["route"] == "auto")
    assert route["requests"] >= 1 and route["down"] >= 1 and route["large_tier"] == "large"
    assert route["savings"] == pytest.approx(route["cost_if_large"] - route["cost"])
    model = next(m for m in stats["models"] if m["model"] == "gemma-3-270m")
    assert model["latency_p50_ms"] > 0 and model["latency_p95_ms"] >= model["latency_p50_ms"]
    status, _, body = ui.request("GET", "/ui/api/status", headers=auth())
    st = json.loads(body)
    assert st["memory_budget"] == 4 << 30 and any(m["name"] == "gemma-3-270m" and m["loaded"] for m in st["models"])


def test_editor_yaml_edits_change_only_what_they_must():
    """ui/tests/yaml_edit.test.mjs under node's test runner (no server needed)."""
    r = subprocess.run(["node", "--test", "tests/yaml_edit.test.mjs"], cwd=str(UI_DIR), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "# fail 0" in r.stdout


def test_saving_and_running_refuse_other_sites(ui):
    file = ui.dir / "ocr-rag.yaml"
    text = file.read_text()
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        status, _, body = ui.request("PUT", "/ui/api/pipeline?id=0", {"yaml": text + "\n"}, headers=auth(headers))
        assert status == 403 and json.loads(body)["error"]["code"] in ("cross_site_request", "origin_not_allowed")
        status, _, _ = ui.request("POST", "/ui/api/pipeline/run", {"yaml": text, "inputs": {}}, headers=auth(headers))
        assert status == 403
    assert file.read_text() == text
    status, _, _ = ui.request("POST", "/ui/api/pipeline/check", {"yaml": text},
                              headers=auth({"Origin": f"http://{ui.host}:{ui.port}", "Sec-Fetch-Site": "same-origin"}))
    assert status == 200


def test_saving_and_running_need_the_admin_role(ui):
    file = ui.dir / "ocr-rag.yaml"
    text = file.read_text()
    client = {"Authorization": f"Bearer {CLIENT_KEY}"}
    status, _, body = ui.request("PUT", "/ui/api/pipeline?id=0", {"yaml": text + "\n"}, headers=client)
    assert status == 403 and json.loads(body)["error"]["code"] == "admin_required"
    status, _, body = ui.request("POST", "/ui/api/pipeline/run", {"yaml": text, "inputs": {}}, headers=client)
    assert status == 403 and json.loads(body)["error"]["code"] == "admin_required"
    assert file.read_text() == text


def test_eval_reports_are_served_without_local_paths(ui):
    status, _, body = ui.request("GET", "/ui/api/eval", headers=auth())
    data = json.loads(body)
    assert status == 200 and data["svgs"] == ["curve.svg"]
    assert "notes" not in data["report"] and {p["policy"] for p in data["report"]["policies"]} >= {"small", "large"}
    status, headers, body = ui.request("GET", "/ui/api/eval?file=curve.svg", headers=auth())
    assert status == 200 and headers["content-type"] == "image/svg+xml" and body.lstrip().startswith(b"<")
    for bad in ("../switchyard.yaml", "report.json", ".svg", "%2e%2e%2fx.svg"):
        status, _, _ = ui.request("GET", f"/ui/api/eval?file={bad}", headers=auth())
        assert status == 404, bad
