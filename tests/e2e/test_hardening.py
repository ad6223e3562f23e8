"""More hardening against a real server: a request answered 2xx is in the request log after the
server is SIGKILLed (the journal, store/log_journal.h), an unreachable upstream's 502 names the
provider and never its URL (every API's error shape), and the paths an admin or the UI can name
(a hot-loaded specialist's model file, the files a pipeline edited over HTTP writes) stay under
their folders."""
from __future__ import annotations

import json
import os
import socket
import sqlite3
import time

import pytest

from conftest import CHAT_MODEL, ServerProcess, _yaml_str, chat_model_yaml, config_yaml, embed_model_yaml


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- SIGKILL: every answered request is in the log ----

def wait_committed(db, request_id: str, timeout: float = 30):
    """Until the server's writer has committed the request's entry to the log database."""
    deadline = time.monotonic() + timeout
    while True:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            if con.execute("SELECT 1 FROM requests WHERE id = ?", (request_id,)).fetchone():
                return
        except sqlite3.OperationalError:   # the schema is not there yet
            pass
        finally:
            con.close()
        assert time.monotonic() < deadline, f"{request_id} was not committed within {timeout} s"
        time.sleep(0.05)


def test_requests_answered_before_sigkill_are_in_the_log_after_restart(tmp_path):
    db = tmp_path / "log.db"
    cfg = tmp_path / "switchyard.yaml"
    cfg.write_text(config_yaml(chat_model_yaml(parallel=1)) + f"log: {{path: {_yaml_str(db)}}}\n")
    srv = ServerProcess(cfg)
    try:
        warm = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1}
        status, headers, _ = srv.request("POST", "/v1/chat/completions", warm, timeout=120)   # loads the model
        assert status == 200
        warm_id = headers["x-request-id"]
        # The warm-up's entry is committed before the lock is taken: the writer is then idle, and
        # its first commit attempt under the lock is for the requests below.
        wait_committed(db, warm_id)
        # Hold SQLite's write lock: the server's writer cannot commit what follows, so after the kill
        # only the journal can bring these entries back. The writer waits SQLite's busy timeout
        # (5 s, store/request_log.cpp) and then reports the log unwritable: from then on new
        # requests get 503, while the entries it holds stay uncommitted (queued and journaled)
        # for as long as the lock is held. So the one slow request (a generation) goes first, and
        # the five that follow it inside that window are instant; however slow the machine, the
        # generation's own time does not count against the 5 s.
        lock = sqlite3.connect(db, timeout=30, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
        seen = {warm_id} | {e.get("id") for e in srv.access_log}
        status, headers, body = srv.request("POST", "/v1/chat/completions", {**warm, "stream": True}, timeout=60)
        assert status == 200 and b"[DONE]" in body, body
        streamed = headers["x-request-id"]
        for _ in range(5):
            status, _, body = srv.request("GET", "/v1/models")
            assert status == 200, (body, srv.stderr_text())
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:   # the access log line follows the response
            answered = [e["id"] for e in srv.access_log if e.get("id") not in seen and e.get("status") == 200]
            if len(answered) == 6:
                break
            time.sleep(0.05)
        assert len(answered) == 6 and streamed in answered, answered
        srv.proc.kill()
        srv.proc.wait(10)
        in_db = {r[0] for r in lock.execute("SELECT id FROM requests")}
        lock.execute("ROLLBACK")
        lock.close()
        assert not in_db & set(answered), "committed before the kill: the test would not exercise the journal"
    finally:
        if srv.alive():
            srv.proc.kill()
    srv = ServerProcess(cfg)   # same config, same log: start-up replays the journal
    try:
        assert any("recovered from the journal" in line for line in srv.stderr_lines), srv.stderr_text()
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        try:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            rows = {r[0]: r for r in con.execute("SELECT id, status, endpoint FROM requests")}
        finally:
            con.close()
        missing = [i for i in answered if i not in rows]
        assert not missing, missing
        assert rows[streamed][1:] == (200, "/v1/chat/completions")
    finally:
        assert srv.stop() == 0


# ---- an unreachable upstream: the 502 names the provider, not the URL ----

@pytest.fixture(scope="module")
def dead_upstream(tmp_path_factory):
    port = free_port()   # nothing listens here
    d = tmp_path_factory.mktemp("dead-upstream")
    cfg = d / "switchyard.yaml"
    cfg.write_text(config_yaml(chat_model_yaml(parallel=1)) +
                   "providers:\n"
                   f"  - {{name: far-away, base_url: \"http://127.0.0.1:{port}/v1\", timeout: 5s, retries: 0}}\n"
                   "routes:\n"
                   "  - {name: remote, tiers: [{name: cloud, provider: far-away, model: big-model}]}\n")
    srv = ServerProcess(cfg)
    yield srv, port
    srv.stop()


@pytest.mark.parametrize("path,body,shape", [
    ("/v1/chat/completions", {"model": "remote", "messages": [{"role": "user", "content": "Hi"}]}, "openai"),
    ("/v1/chat/completions", {"model": "remote", "messages": [{"role": "user", "content": "Hi"}], "stream": True}, "openai"),
    ("/v1/responses", {"model": "remote", "input": "Hi"}, "openai"),
    ("/v1/messages", {"model": "remote", "max_tokens": 8, "messages": [{"role": "user", "content": "Hi"}]}, "anthropic"),
])
def test_unreachable_upstream_error_names_the_provider_not_its_url(dead_upstream, path, body, shape):
    srv, port = dead_upstream
    status, _, raw = srv.request("POST", path, body, timeout=30)
    assert status == 502, raw
    text = raw.decode()
    for leak in ("127.0.0.1", str(port), "http://", "/v1/chat"):
        assert leak not in text, (leak, text)
    err = json.loads(raw)["error"]
    if shape == "anthropic":
        assert json.loads(raw)["type"] == "error", raw
    assert "far-away" in err["message"] and "unreachable" in err["message"], err


# ---- paths named over HTTP stay under their folders ----

INDEX_PIPELINE = """name: keep
inputs:
  q: {{type: text}}
nodes:
  find:
    type: retrieve
    params: {{db: {db}, model: all-minilm-l6-v2, collection: c}}
    inputs: {{query: $inputs.q}}
outputs:
  context: find.context
"""


@pytest.fixture(scope="module")
def admin_srv(tmp_path_factory):
    d = tmp_path_factory.mktemp("paths")
    models = d / "models"
    models.mkdir()
    (d / "outside.gguf").write_bytes(b"GGUF")
    (models / "escape.gguf").symlink_to(d / "outside.gguf")
    os.environ["SWITCHYARD_E2E_PATHS_CLIENT"] = "sk-paths-client-0123456789"
    os.environ["SWITCHYARD_E2E_PATHS_ADMIN"] = "sk-paths-admin-0123456789"
    (d / "keep.yaml").write_text(INDEX_PIPELINE.format(db="index.db"))
    cfg = d / "switchyard.yaml"
    text = config_yaml(chat_model_yaml(parallel=1) + embed_model_yaml()).replace("  shutdown_grace:", (
        "  api_keys:\n    - {name: client, key_env: SWITCHYARD_E2E_PATHS_CLIENT}\n"
        "  admin_key_env: SWITCHYARD_E2E_PATHS_ADMIN\n  shutdown_grace:"))
    text = text.replace("models_dir: ", f"models_dir: {_yaml_str(models)}\n# was: ", 1)
    text += ("routes:\n  - {name: tasks, tiers: [{name: small, model: gemma-3-270m}]}\n"
             f"specialists: {_yaml_str(models / 'specialists.yaml')}\n"
             f"pipelines:\n  files: [{_yaml_str(d / 'keep.yaml')}]\n")
    cfg.write_text(text)
    srv = ServerProcess(cfg)
    yield srv, d
    srv.stop()


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


ADMIN = bearer("sk-paths-admin-0123456789")
CLIENT = bearer("sk-paths-client-0123456789")


def test_hot_loading_a_specialist_needs_the_admin_role(admin_srv):
    srv, _ = admin_srv
    body = {"route": "tasks", "class": "x", "model": "m", "file": "nothing.gguf"}
    status, _, raw = srv.request("POST", "/v1/admin/specialists", body, headers=CLIENT)
    assert status == 403, raw
    assert json.loads(raw)["error"]["code"] == "admin_required"
    status, _, raw = srv.request("POST", "/v1/admin/specialists", body, headers=ADMIN)
    assert status == 400 and "no model file nothing.gguf" in json.loads(raw)["error"]["message"], raw


@pytest.mark.parametrize("file", ["/etc/passwd", "../outside.gguf", "escape.gguf"])
def test_specialist_file_outside_models_dir_is_refused(admin_srv, file):
    srv, d = admin_srv
    status, _, raw = srv.request("POST", "/v1/admin/specialists",
                                 {"route": "tasks", "class": "x", "model": "m", "file": file}, headers=ADMIN)
    assert status == 400, raw
    err = json.loads(raw)["error"]
    assert err["param"] == "file" and "models_dir" in err["message"] and file in err["message"], err
    assert str(d) not in err["message"], err    # the server's own folders are not shown


@pytest.mark.parametrize("db", ["/tmp/sy-e2e-evil.db", "../../sy-e2e-evil.db", "postgresql://127.0.0.1:5432/x"])
def test_pipeline_yaml_sent_over_http_cannot_write_outside_its_folder(admin_srv, db):
    srv, _ = admin_srv
    yaml = INDEX_PIPELINE.format(db=json.dumps(db))
    status, _, raw = srv.request("POST", "/ui/api/pipeline/check", {"yaml": yaml}, headers=ADMIN)
    assert status == 200, raw
    report = json.loads(raw)
    assert not report["ok"]
    text = json.dumps(report["problems"])
    setting = "pipelines.files" if "://" in db else "pipelines.roots"
    assert "param 'db'" in text and setting in text, text
    status, _, raw = srv.request("POST", "/ui/api/pipeline/run", {"yaml": yaml, "inputs": {"q": "x"}}, headers=ADMIN)
    assert status == 400 and setting in json.loads(raw)["error"]["message"], raw
    assert not os.path.exists("/tmp/sy-e2e-evil.db")


def test_pipeline_yaml_writing_inside_its_folder_passes_the_check(admin_srv):
    srv, _ = admin_srv
    status, _, raw = srv.request("POST", "/ui/api/pipeline/check", {"yaml": INDEX_PIPELINE.format(db="index.db")}, headers=ADMIN)
    assert status == 200 and json.loads(raw)["ok"], raw
