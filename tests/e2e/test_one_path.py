"""One request path (issue 10): a model name is a route with one tier, and /v1/completions goes
through the router like chat. Real gateway server (tests/e2e/conftest.py), real model, official
openai client and raw HTTP."""
from __future__ import annotations

import json

from conftest import CHAT_MODEL, GATEWAY_KEYS, gateway_client, sse_events


def test_model_name_answers_like_before_without_routing_extras(gateway):
    raw = gateway_client(gateway).chat.completions.with_raw_response.create(
        model=CHAT_MODEL, messages=[{"role": "user", "content": "Say hi."}], max_tokens=4)
    c = raw.parse()
    assert raw.headers["x-switchyard-model"] == CHAT_MODEL
    assert raw.headers["x-request-id"] == c.id
    assert "x-switchyard-route" not in raw.headers and "x-switchyard-tier" not in raw.headers
    body = json.loads(raw.text)
    assert "switchyard" not in body, "a model name reports no routing"
    assert body["system_fingerprint"] == "switchyard"
    assert body["usage"]["prompt_tokens_details"]["cached_tokens"] >= 0


def test_text_completion_through_a_route(gateway):
    raw = gateway_client(gateway).completions.with_raw_response.create(model="auto", prompt="The sky is", max_tokens=4)
    c = raw.parse()
    assert raw.headers["x-switchyard-route"] == "auto" and raw.headers["x-switchyard-tier"] == "small"
    assert c.object == "text_completion" and c.model == CHAT_MODEL
    assert c.usage.completion_tokens >= 1
    assert c.id.startswith("cmpl-")


def test_text_completion_falls_back_to_a_local_tier(gateway):
    """The rule picks the remote tier, which serves chat only; the local tier below answers."""
    raw = gateway_client(gateway).completions.with_raw_response.create(
        model="auto", prompt="Please prove that 1 + 1 = 2.", max_tokens=4)
    assert raw.headers["x-switchyard-tier"] == "small"
    trace = json.loads(raw.text)["switchyard"]
    assert trace["tier"] == "small" and trace["models_tried"][0] == "big/large"


def test_streamed_text_completion_through_a_route_with_usage(gateway):
    status, headers, body = gateway.request("POST", "/v1/completions", {
        "model": "auto", "prompt": "One, two,", "max_tokens": 4, "stream": True, "echo": True,
        "stream_options": {"include_usage": True}}, {"Authorization": "Bearer " + GATEWAY_KEYS["alice"]})
    assert status == 200
    events = sse_events(body)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "text_completion" for c in chunks)
    assert chunks[0]["choices"][0]["text"] == "One, two,", "the echo comes first"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] >= 1
    assert chunks[-2]["choices"][0]["finish_reason"] in ("stop", "length")
