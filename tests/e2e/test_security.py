"""Security and robustness against a real server with the real default models: browser origin
and Host checks (CORS, DNS rebinding), pipeline file confinement (outside the roots, '../', a
symlink out of a root), the http node refused for internal addresses, per-key rate limits (429,
Retry-After, recovery), admin endpoints refusing client keys, requests that used to crash or 500
the server (a json_schema llama.cpp cannot turn into a grammar, invalid UTF-8), slow and lying
clients (408), no absolute paths in /v1/models, and same seed -> same answer with a cached prefix."""
from __future__ import annotations

import json
import os
import socket
import time

import pytest

from conftest import CHAT_MODEL, EMBED_MODEL, _yaml_str, chat_model_yaml, config_yaml, embed_model_yaml

KEYS = {"client": "sk-sec-client-0123456789", "limited": "sk-sec-limited-0123456789", "admin": "sk-sec-admin-0123456789"}
ALLOWED_ORIGIN = "https://app.example"

SCAN_PIPELINE = """name: scan
inputs:
  folder: {type: text}
nodes:
  scan:
    type: files
    params: {extensions: [txt]}
    inputs: {dir: $inputs.folder}
outputs:
  files: scan.files
"""

FETCH_PIPELINE = """name: fetch
inputs:
  url: {type: text}
nodes:
  call:
    type: http
    params: {url: "{{u}}", timeout_s: 5}
    inputs: {u: $inputs.url}
outputs:
  text: call.text
"""


def auth(key: str = "client") -> dict:
    return {"Authorization": f"Bearer {KEYS[key]}"}


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    d = tmp_path_factory.mktemp("confine")
    (d / "root" / "docs").mkdir(parents=True)
    (d / "root" / "docs" / "a.txt").write_text("inside")
    (d / "outside").mkdir()
    (d / "outside" / "secret.txt").write_text("secret")
    (d / "root" / "escape").symlink_to(d / "outside", target_is_directory=True)
    (d / "scan.yaml").write_text(SCAN_PIPELINE)
    (d / "fetch.yaml").write_text(FETCH_PIPELINE)
    return d


@pytest.fixture(scope="module")
def srv(start_server, tree):
    os.environ["SWITCHYARD_E2E_SEC_CLIENT"] = KEYS["client"]
    os.environ["SWITCHYARD_E2E_SEC_LIMITED"] = KEYS["limited"]
    os.environ["SWITCHYARD_E2E_SEC_ADMIN"] = KEYS["admin"]
    server_extra = (
        "  api_keys:\n"
        "    - {name: client, key_env: SWITCHYARD_E2E_SEC_CLIENT}\n"
        "    - {name: limited, key_env: SWITCHYARD_E2E_SEC_LIMITED, requests_per_minute: 2}\n"
        "  admin_key_env: SWITCHYARD_E2E_SEC_ADMIN\n"
        f"  cors_origins: [{ALLOWED_ORIGIN}]\n"
        "  header_timeout: 2s\n"
        "  body_timeout: 2s\n"
        "  shutdown_grace:")
    cfg = config_yaml(chat_model_yaml(parallel=2) + embed_model_yaml()).replace("  shutdown_grace:", server_extra)
    cfg += ("routes:\n  - name: local-route\n    tiers: [{name: small, model: gemma-3-270m}]\n"
            f"pipelines:\n  files: [{_yaml_str(tree / 'scan.yaml')}, {_yaml_str(tree / 'fetch.yaml')}]\n"
            f"  roots: [{_yaml_str(tree / 'root')}]\n"
            "  http_hosts: ['*']\n")
    return start_server(cfg)


# ---- rate limit: used up first, recovery checked by the last test (the window is a minute) ----

def test_rate_limit_answers_429_with_retry_after(srv):
    assert srv.request("GET", "/v1/models", headers=auth("limited"))[0] == 200
    assert srv.request("GET", "/v1/models", headers=auth("limited"))[0] == 200
    status, headers, body = srv.request("GET", "/v1/models", headers=auth("limited"))
    assert status == 429, body
    err = json.loads(body)["error"]
    assert err["code"] == "rate_limit_exceeded" and "limited" in err["message"], err
    assert 1 <= int(headers["retry-after"]) <= 60
    # Other keys are counted apart.
    assert srv.request("GET", "/v1/models", headers=auth("client"))[0] == 200
    srv.rate_limited_at = time.monotonic()
    srv.retry_after = int(headers["retry-after"])


# ---- browser safety ----

def test_cross_origin_request_refused_with_no_cors_header(srv):
    status, headers, body = srv.request("GET", "/v1/models", headers={**auth(), "Origin": "https://evil.example"})
    assert status == 403
    err = json.loads(body)["error"]
    assert err["code"] == "origin_not_allowed" and "server.cors_origins" in err["message"], err
    assert "access-control-allow-origin" not in headers
    # The preflight of a cross-site POST is refused too, so the browser never sends the POST.
    status, headers, _ = srv.request("OPTIONS", "/v1/pipelines/scan/run", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert status == 403 and "access-control-allow-origin" not in headers


def test_allowed_origin_passes_with_cors_headers(srv):
    status, headers, body = srv.request("GET", "/v1/models", headers={**auth(), "Origin": ALLOWED_ORIGIN})
    assert status == 200, body
    assert headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert headers["vary"] == "Origin"
    status, headers, _ = srv.request("OPTIONS", "/v1/chat/completions", headers={
        "Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert status == 204
    assert headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "POST" in headers["access-control-allow-methods"]
    assert headers["access-control-allow-headers"] == "authorization, content-type"
    # No Origin (curl, SDKs): no CORS headers at all, and never a wildcard.
    status, headers, _ = srv.request("GET", "/v1/models", headers=auth())
    assert status == 200 and "access-control-allow-origin" not in headers


def test_dns_rebinding_host_is_refused(srv):
    status, _, body = srv.request("GET", "/v1/models", headers={**auth(), "Host": f"rebind.evil.example:{srv.port}"})
    assert status == 403
    err = json.loads(body)["error"]
    assert err["code"] == "host_not_allowed" and "server.allowed_hosts" in err["message"], err
    assert srv.request("GET", "/v1/models", headers={**auth(), "Host": f"localhost:{srv.port}"})[0] == 200


# ---- confinement ----

def run_pipeline(srv, name, inputs):
    status, _, raw = srv.request("POST", f"/v1/pipelines/{name}/run", {"inputs": inputs}, headers=auth(), timeout=60)
    return status, json.loads(raw)


def test_pipeline_folder_inside_a_root_runs(srv, tree):
    status, body = run_pipeline(srv, "scan", {"folder": str(tree / "root" / "docs")})
    assert status == 200, body
    assert [os.path.basename(f) for f in body["outputs"]["files"]] == ["a.txt"]


@pytest.mark.parametrize("folder", ["outside", "root/../outside", "root/escape"])
def test_pipeline_folder_outside_the_roots_is_refused(srv, tree, folder):
    path = str(tree) + "/" + folder
    status, body = run_pipeline(srv, "scan", {"folder": path})
    assert status == 403, body
    err = body["error"]
    assert err["code"] == "access_denied", err
    assert path in err["message"] and "pipelines.roots" in err["message"], err


@pytest.mark.parametrize("url", ["http://127.0.0.1:{port}/health", "http://169.254.169.254/latest/meta-data/",
                                 "http://localhost:{port}/v1/models", "http://[::1]:{port}/health"])
def test_http_node_refuses_internal_addresses(srv, url):
    status, body = run_pipeline(srv, "fetch", {"url": url.format(port=srv.port)})
    assert status == 403, body
    assert "pipelines.http_allow_private" in body["error"]["message"], body


def test_models_list_shows_no_absolute_paths(srv):
    status, _, body = srv.request("GET", "/v1/models", headers=auth())
    assert status == 200
    files = [m["switchyard"]["file"] for m in json.loads(body)["data"] if "file" in m.get("switchyard", {})]
    assert files and all(not f.startswith("/") for f in files), files


# ---- keys and roles ----

def test_admin_endpoints_refuse_client_keys(srv):
    status, _, body = srv.request("DELETE", "/v1/route/bumps", headers=auth("client"))
    assert status == 403, body
    err = json.loads(body)["error"]
    assert err["code"] == "admin_required" and "server.admin_key_env" in err["message"], err
    assert srv.request("DELETE", "/v1/route/bumps", headers={"Authorization": "Bearer sk-wrong"})[0] == 401
    status, _, body = srv.request("DELETE", "/v1/route/bumps", headers=auth("admin"))
    assert status == 200, body
    assert srv.request("GET", "/v1/route/bumps", headers=auth("client"))[0] == 200   # reading is for clients too
    log = "\n".join(json.dumps(e) for e in srv.access_log)
    assert all(k not in log for k in KEYS.values())


# ---- requests that used to take the server down ----

def chat_ok(srv):
    status, _, body = srv.request("POST", "/v1/chat/completions", {
        "model": CHAT_MODEL, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2}, headers=auth())
    assert status == 200, body


def test_ungrammarable_json_schema_is_400_and_the_server_keeps_answering(srv):
    schema = {"type": "array", "items": {"type": "array"}, "minItems": 1000000000}
    status, _, body = srv.request("POST", "/v1/chat/completions", {
        "model": CHAT_MODEL, "messages": [{"role": "user", "content": "x"}], "max_tokens": 4,
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}}, headers=auth())
    assert status == 400, body
    err = json.loads(body)["error"]
    assert err["param"] == "response_format", err
    assert srv.alive()
    chat_ok(srv)


@pytest.mark.parametrize("path,payload,field", [
    ("/v1/chat/completions", b'{"model": "%s", "messages": [{"role": "user", "content": "bad \xff\xfe byte"}]}' % CHAT_MODEL.encode(),
     "messages[0].content"),
    ("/v1/embeddings", b'{"model": "%s", "input": ["ok", "bad \xc3\x28"]}' % EMBED_MODEL.encode(), "input[1]"),
    ("/v1/route/explain", b'{"model": "local-route", "messages": [{"role": "user", "content": "\xed\xa0\x80"}]}',
     "messages[0].content"),
])
def test_invalid_utf8_is_400_naming_the_field(srv, path, payload, field):
    status, _, body = srv.request("POST", path, payload, headers=auth())
    assert status == 400, body
    err = json.loads(body)["error"]
    assert err["param"] == field and "UTF-8" in err["message"], err
    chat_ok(srv)


def test_nesting_and_context_limits_are_400(srv):
    deep = "[" * 5000 + "]" * 5000
    status, _, body = srv.request("POST", "/v1/chat/completions", '{"model": "%s", "x": %s}' % (CHAT_MODEL, deep), headers=auth())
    assert status == 400 and "nested deeper" in json.loads(body)["error"]["message"], body
    status, _, body = srv.request("POST", "/v1/chat/completions", {
        "model": CHAT_MODEL, "messages": [{"role": "user", "content": "x"}], "max_tokens": 100000}, headers=auth())
    assert status == 400 and json.loads(body)["error"]["param"] == "max_tokens", body
    status, _, body = srv.request("POST", "/v1/chat/completions", {
        "model": CHAT_MODEL, "messages": [{"role": "user", "content": "x"}], "n": 3}, headers=auth())
    assert status == 400 and json.loads(body)["error"]["param"] == "n", body
    status, _, body = srv.request("POST", "/v1/chat/completions", {
        "model": CHAT_MODEL, "messages": [{"role": "user", "content": "word " * 3000}], "max_tokens": 2}, headers=auth())
    assert status == 400 and json.loads(body)["error"]["code"] == "context_length_exceeded", body


def read_response(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    return data


@pytest.mark.parametrize("kind", ["body", "headers"])
def test_slow_or_lying_client_gets_408_and_the_connection_is_freed(srv, kind):
    sock = socket.create_connection((srv.host, srv.port), timeout=10)
    start = time.monotonic()
    if kind == "body":   # Content-Length promises more than is ever sent
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                     + f"Authorization: Bearer {KEYS['client']}\r\n".encode() + b"Content-Length: 1000\r\n\r\n{\"model\":")
    else:                # headers that never end
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
    data = read_response(sock, 10)
    elapsed = time.monotonic() - start
    sock.close()
    assert data.startswith(b"HTTP/1.1 408"), data[:200]
    assert b"server.header_timeout" in data if kind == "headers" else b"server.body_timeout" in data
    assert 1.5 <= elapsed < 8, elapsed   # the 2 s limit, then the server closed the connection
    chat_ok(srv)


# ---- determinism ----

def test_same_seed_same_answer_with_or_without_a_cached_prefix(srv):
    payload = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "Write one sentence about the sea and ships."}],
               "max_tokens": 16, "temperature": 1.0, "seed": 1234}
    answers = []
    for _ in range(3):
        status, _, body = srv.request("POST", "/v1/chat/completions", payload, headers=auth(), timeout=120)
        assert status == 200, body
        reply = json.loads(body)
        answers.append(reply["choices"][0]["message"]["content"])
        # A seeded request evaluates its whole prompt, as the first time (README#security).
        assert reply["usage"]["prompt_tokens_details"]["cached_tokens"] == 0, reply["usage"]
    assert answers[0] == answers[1] == answers[2], answers
    # Without a seed the repeated prompt still reuses its cached prefix.
    unseeded = {k: v for k, v in payload.items() if k != "seed"} | {"max_tokens": 2}
    usage = []
    for _ in range(2):
        status, _, body = srv.request("POST", "/v1/chat/completions", unseeded, headers=auth(), timeout=120)
        assert status == 200, body
        usage.append(json.loads(body)["usage"]["prompt_tokens_details"]["cached_tokens"])
    assert usage[1] > 0, usage


def test_rate_limit_recovers(srv):
    wait = srv.retry_after - (time.monotonic() - srv.rate_limited_at)
    if wait > 0:
        time.sleep(wait + 0.5)
    status, _, body = srv.request("GET", "/v1/models", headers=auth("limited"))
    assert status == 200, body
