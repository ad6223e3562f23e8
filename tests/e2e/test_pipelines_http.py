"""Pipelines over HTTP against a real server and the real default models: POST
/v1/pipelines/{name}/run (JSON and SSE), a pipeline as a model in /v1/chat/completions through
the official openai client, a route inside a pipeline, the cache, errors, and a broken pipeline
file stopping the server at start with file:line messages."""
from __future__ import annotations

import json
import subprocess

import openai
import pytest

from conftest import BINARY, ROOT, _yaml_str, chat_model_yaml, config_yaml, embed_model_yaml, error_of, sse_events

PIPELINE = """name: brief
description: Keeps a JSON record of a message and a short reply
inputs:
  message: {type: text}
  tone: {type: text, default: polite}
nodes:
  facts:
    type: extract
    params:
      model: gemma
      max_tokens: 48
      schema: {type: object, properties: {city: {type: string}, day: {type: string}}, required: [city, day],
               additionalProperties: false}
    inputs: {text: $inputs.message}
  card:
    type: template
    params: {template: "City: {{f.city}} / Day: {{f.day}} ({{tone}})"}
    inputs: {f: facts.json, tone: $inputs.tone}
  reply:
    type: llm
    params: {model: local-route, prompt: "Write a {{tone}} one-line reply to: {{m}}\\nReply:", max_tokens: 12}
    inputs: {m: $inputs.message, tone: $inputs.tone}
outputs:
  card: card.text
  facts: facts.json
  reply: reply.text
"""

ROUTE = """routes:
  - name: local-route
    tiers: [{name: small, model: gemma-3-270m}]
"""


@pytest.fixture(scope="module")
def pipeline_server(start_server, tmp_path_factory):
    d = tmp_path_factory.mktemp("pipelines")
    (d / "brief.yaml").write_text(PIPELINE)
    cfg = config_yaml(chat_model_yaml(parallel=4) + embed_model_yaml()) + ROUTE + (
        f"pipelines:\n  files: [{_yaml_str(d / 'brief.yaml')}]\n  cache_dir: {_yaml_str(d / 'cache')}\n")
    return start_server(cfg)


MESSAGE = "Meet me in Lisbon on Friday, please."


def run(srv, body: dict):
    status, headers, raw = srv.request("POST", "/v1/pipelines/brief/run", body, timeout=120)
    return status, json.loads(raw)


def test_listed_as_pipeline_and_model(pipeline_server):
    status, _, raw = pipeline_server.request("GET", "/v1/pipelines")
    listed = json.loads(raw)["data"]
    assert status == 200 and [p["id"] for p in listed] == ["brief"]
    assert listed[0]["inputs"]["message"] == {"type": "text", "required": True}
    assert listed[0]["inputs"]["tone"]["default"] == "polite"
    models = {m.id: m for m in pipeline_server.client().models.list().data}
    assert models["brief"].model_extra["switchyard"]["kind"] == "pipeline"


def test_run_returns_outputs_and_node_timings_then_hits_the_cache(pipeline_server):
    status, body = run(pipeline_server, {"inputs": {"message": MESSAGE}})
    assert status == 200 and body["ok"] is True and body["object"] == "pipeline.run"
    facts = body["outputs"]["facts"]
    assert set(facts) == {"city", "day"} and all(isinstance(v, str) for v in facts.values()), "schema-enforced JSON"
    assert body["outputs"]["card"] == f"City: {facts['city']} / Day: {facts['day']} (polite)"
    assert isinstance(body["outputs"]["reply"], str)
    nodes = {n["id"]: n for n in body["nodes"]}
    assert set(nodes) == {"facts", "card", "reply"} and all(n["duration_ms"] >= 0 for n in nodes.values())
    # The same inputs again: every node answers from the cache, with the same outputs.
    status, again = run(pipeline_server, {"inputs": {"message": MESSAGE}})
    assert status == 200 and again["outputs"] == body["outputs"]
    assert {n["status"] for n in again["nodes"]} == {"cached"}
    # A changed optional input re-runs only the nodes that read it.
    status, third = run(pipeline_server, {"inputs": {"message": MESSAGE, "tone": "brief"}})
    statuses = {n["id"]: n["status"] for n in third["nodes"]}
    assert statuses == {"facts": "cached", "card": "ok", "reply": "ok"}
    assert third["outputs"]["card"].endswith("(brief)")


def test_stream_sends_progress_then_the_result(pipeline_server):
    status, headers, raw = pipeline_server.request(
        "POST", "/v1/pipelines/brief/run", {"inputs": {"message": "Lunch in Oslo on Monday?"}, "stream": True}, timeout=120)
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    events = sse_events(raw)
    assert events[-1] == "[DONE]"
    parsed = [json.loads(e) for e in events[:-1]]
    kinds = [e["event"] for e in parsed]
    assert kinds.count("node_started") == 3 and kinds.count("node_finished") == 3
    assert kinds[-1] == "result" and parsed[-1]["ok"] is True
    for node in ("facts", "card", "reply"):
        assert kinds.index("node_started") <= next(i for i, e in enumerate(parsed) if e.get("node") == node and e["event"] == "node_finished")


def test_pipeline_as_a_chat_model_with_the_openai_client(pipeline_server):
    c = pipeline_server.client()
    r = c.chat.completions.create(model="brief", messages=[{"role": "user", "content": "Dinner in Rome on Sunday"}])
    assert r.model == "brief" and r.choices[0].finish_reason == "stop"
    card = r.choices[0].message.content
    assert card.startswith("City: ") and "(polite)" in card, "the first output is the answer"
    assert r.model_extra["switchyard"]["outputs"]["card"] == card
    # Streaming delivers the same answer (the run is cached now, so it arrives in one piece).
    chunks = list(c.chat.completions.create(model="brief", messages=[{"role": "user", "content": "Dinner in Rome on Sunday"}],
                                            stream=True))
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert text == card, "the cached run streams the same first output"
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_errors_are_openai_shaped(pipeline_server):
    status, body = run(pipeline_server, {"inputs": {}})
    assert status == 400 and "inputs.message: missing" in body["error"]["message"]
    status, body = run(pipeline_server, {"inputs": {"message": 42}})
    assert status == 400 and "inputs.message" in body["error"]["message"]
    status, _, raw = pipeline_server.request("POST", "/v1/pipelines/nope/run", {"inputs": {}})
    assert status == 404 and json.loads(raw)["error"]["code"] == "pipeline_not_found"
    status, _, raw = pipeline_server.request("POST", "/v1/pipelines/brief/run", "{not json")
    assert status == 400 and json.loads(raw)["error"]["code"] == "invalid_json"
    with pytest.raises(openai.BadRequestError) as exc:
        pipeline_server.client().chat.completions.create(model="brief", messages=[{"role": "system", "content": "x"}])
    assert "user message" in error_of(exc.value)["message"]
    is_run = lambda e: e.get("route") == "/v1/pipelines/{name}/run"
    logged = pipeline_server.wait_log(lambda e: is_run(e) and e["status"] == 404) + \
        pipeline_server.wait_log(lambda e: is_run(e) and e["status"] == 400)
    assert any(e["status"] == 404 for e in logged) and any(e["status"] == 400 for e in logged), "every request is logged"


def test_a_broken_pipeline_stops_the_server_at_start(tmp_path):
    (tmp_path / "bad.yaml").write_text("name: bad\ninputs:\n  x: {type: text}\nnodes:\n  a:\n    type: llm\n"
                                        "    params: {model: no-such-model, prompt: '{{x}}'}\n    inputs: {x: $inputs.x}\n"
                                        "  b:\n    type: teleport\n    inputs: {}\noutputs:\n  y: a.text\n")
    cfg = tmp_path / "switchyard.yaml"
    cfg.write_text(config_yaml(chat_model_yaml()) + f"pipelines:\n  files: [{_yaml_str(tmp_path / 'bad.yaml')}]\n")
    p = subprocess.run([str(BINARY), "--config", str(cfg), "serve", "--port", "0"], capture_output=True, text=True,
                       timeout=60, cwd=str(ROOT))
    assert p.returncode != 0
    assert "bad.yaml:7" in p.stderr and "no-such-model" in p.stderr, p.stderr
    assert "teleport" in p.stderr and "bad.yaml:9" in p.stderr, p.stderr
