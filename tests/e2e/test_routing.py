"""Routing end to end: a gateway Switchyard with a local tier (Gemma 3 270M in-process) and a
remote tier (a second Switchyard process over HTTP), plus a fault-injecting upstream
(tests/support/fault_upstream.py) for failures and for capturing what a remote receives.
All requests go through the official openai client or raw HTTP against the real servers.
"""
from __future__ import annotations

import json
import os
import subprocess
import time

import openai
import pytest

from conftest import BINARY, CHAT_MODEL, GATEWAY_KEYS, LARGE_PRICE, error_of, gateway_client


def msgs(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def routed(gateway, text: str, model: str = "auto", key: str = "alice", **kw):
    """A routed chat completion with its raw response (headers) and parsed body."""
    raw = gateway_client(gateway, key).chat.completions.with_raw_response.create(
        model=model, messages=msgs(text), max_tokens=kw.pop("max_tokens", 8), **kw)
    return raw, raw.parse()


def settled(upstream_server) -> int:
    """Length of the upstream's access log once lines of earlier requests have landed."""
    time.sleep(0.3)
    return len(upstream_server.access_log)


def upstream_saw(upstream_server, since: int, expect: int = 0) -> list[dict]:
    """Chat requests the upstream logged since `since`. Its access-log line is written just after
    the response, so wait (up to 5 s) until at least `expect` lines are there."""
    deadline = time.monotonic() + 5
    while True:
        seen = [e for e in upstream_server.access_log[since:] if e.get("route") == "/v1/chat/completions"]
        if len(seen) >= expect or time.monotonic() > deadline:
            return seen
        time.sleep(0.05)


def test_default_tier_answers_locally(gateway, upstream_server):
    before = settled(upstream_server)
    raw, c = routed(gateway, "Fix the typo: teh cat sat")
    assert raw.headers["x-switchyard-route"] == "auto"
    assert raw.headers["x-switchyard-tier"] == "small"
    assert raw.headers["x-switchyard-model"] == CHAT_MODEL
    assert float(raw.headers["x-switchyard-cost"]) == 0.0
    assert c.model == CHAT_MODEL and c.choices[0].message.content is not None
    assert c.id == raw.headers["x-switchyard-request-id"]
    time.sleep(0.3)
    assert upstream_saw(upstream_server, before) == [], "a local answer must not touch the remote tier"


def test_rule_sends_to_remote_tier_with_its_price(gateway, upstream_server):
    before = settled(upstream_server)
    raw, c = routed(gateway, "Please prove that 2 + 2 = 4")
    assert raw.headers["x-switchyard-tier"] == "large"
    seen = upstream_saw(upstream_server, before, expect=1)
    assert len(seen) == 1 and seen[0]["model"] == CHAT_MODEL, "the tier's model name is mapped for the upstream"
    usage = c.usage
    expected = (usage.prompt_tokens * LARGE_PRICE["input"] + usage.completion_tokens * LARGE_PRICE["output"]) / 1e6
    assert float(raw.headers["x-switchyard-cost"]) == pytest.approx(expected, rel=1e-4)
    assert usage.prompt_tokens == seen[0]["prompt_tokens"], "usage comes from the tier that answered"


def test_remote_tier_streams_through(gateway):
    stream = gateway_client(gateway).chat.completions.create(
        model="auto", messages=msgs("derive the area of a circle"), max_tokens=12, stream=True,
        stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert text.strip(), "streamed content arrives"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    assert sum(1 for ch in chunks if ch.choices and ch.choices[0].delta.content) >= 2, "chunk by chunk, not one blob"
    assert all(ch.model == "large" for ch in chunks if ch.choices), "the tier's model name, not the upstream's"


def test_explain_shows_the_decision_without_running(gateway, upstream_server):
    before = settled(upstream_server)
    status, _, body = gateway.request("POST", "/v1/route/explain",
                                      {"model": "auto", "messages": msgs("prove Fermat's little theorem")},
                                      headers={"Authorization": "Bearer sk-e2e-alice"})
    assert status == 200
    e = json.loads(body)
    assert e["tier"] == "large" and e["trace"][0]["rule"] == "proofs"
    assert [p["tier"] for p in e["plan"]] == ["large", "small"] and e["plan"][1]["fallback"] is True
    time.sleep(0.3)
    assert upstream_saw(upstream_server, before) == []


def test_cascade_escalates_and_says_so(gateway, upstream_server):
    before = settled(upstream_server)
    raw, c = routed(gateway, "Name a colour.", model="cascade")
    body = json.loads(raw.http_response.text)
    assert raw.headers["x-switchyard-tier"] == "large"
    assert body["switchyard"]["escalations"] == 1
    assert body["switchyard"]["models_tried"] == [CHAT_MODEL, "big/large"]
    assert len(upstream_saw(upstream_server, before, expect=1)) == 1
    entry = gateway.log_entry(c.id)
    checks = [s for s in entry["trace"] if s["step"] == "check"]
    assert checks and checks[0]["accept"] is False and checks[0]["reason"].startswith("mean token logprob")


def test_cascade_stream_replays_the_accepted_answer(gateway):
    chunks = list(gateway_client(gateway).chat.completions.create(
        model="cascade", messages=msgs("Say hi."), max_tokens=8, stream=True, stream_options={"include_usage": True}))
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].usage is not None
    assert chunks[-2].choices[0].finish_reason in ("stop", "length")
    assert all(ch.model == "large" for ch in chunks), "the escalated tier answered"


def test_failover_to_next_tier_and_circuit_breaker(gateway, fault_upstream):
    c = gateway_client(gateway)
    counted = lambda: sum(1 for r in fault_upstream.requests() if r.get("model") == "fail500#failover")
    for _ in range(2):
        raw = c.chat.completions.with_raw_response.create(model="failover", messages=msgs("hi"), max_tokens=4)
        assert raw.headers["x-switchyard-tier"] == "small", "the local tier takes over"
    assert counted() == 4, "each failing call is retried once (retries: 1)"
    # Four failed attempts (two calls, retries included) opened the breaker (failures: 4): the
    # flaky tier is skipped, not called.
    raw = c.chat.completions.with_raw_response.create(model="failover", messages=msgs("hi"), max_tokens=4)
    assert raw.headers["x-switchyard-tier"] == "small"
    assert counted() == 4
    entry = gateway.log_entry(raw.parse().id)
    assert {"step": "skip", "tier": "flaky", "why": "circuit breaker open"} in entry["trace"]


def test_retry_before_first_byte_succeeds(gateway, fault_upstream):
    raw, c = routed(gateway, "hi", model="retry")
    assert raw.headers["x-switchyard-tier"] == "remote"
    assert c.choices[0].message.content == "hello from upstream"
    assert sum(1 for r in fault_upstream.requests() if r.get("model") == "fail500-then-ok:1#retry") == 2


def test_upstream_dying_mid_stream_ends_with_an_error_event(gateway):
    stream = gateway_client(gateway).chat.completions.create(model="midstream", messages=msgs("hi"), max_tokens=8, stream=True)
    got = []
    with pytest.raises(openai.APIError) as exc:
        for ch in stream:
            got.append(ch)
    assert got, "the chunks that arrived before the drop were passed through"
    assert "upstream" in str(exc.value).lower() or "stream" in str(exc.value).lower()


def test_local_only_request_never_reaches_a_remote(gateway, fault_upstream):
    c = gateway_client(gateway)
    raw = c.chat.completions.with_raw_response.create(
        model="mixed", messages=msgs("secret-mixed-7731 stays here"), max_tokens=4, metadata={"local_only": "true"})
    assert raw.headers["x-switchyard-tier"] == "small"
    # A local-only API key (bob) has the same effect, without any request field.
    raw = gateway_client(gateway, "bob").chat.completions.with_raw_response.create(
        model="mixed", messages=msgs("secret-mixed-7732 stays here"), max_tokens=4)
    assert raw.headers["x-switchyard-tier"] == "small"
    with pytest.raises(openai.APIStatusError) as exc:
        c.chat.completions.create(model="remote-only", messages=msgs("secret-mixed-7733"), max_tokens=4,
                                  extra_headers={"X-Switchyard-Local-Only": "true"})
    assert exc.value.status_code == 503 and error_of(exc.value)["code"] == "no_local_tier"
    sent = json.dumps(fault_upstream.requests())
    for tag in ("secret-mixed-7731", "secret-mixed-7732", "secret-mixed-7733"):
        assert tag not in sent
    # Without the flag the same route does go remote: the capture above could have seen it.
    c.chat.completions.create(model="mixed", messages=msgs("public-mixed-7734"), max_tokens=4)
    assert "public-mixed-7734" in json.dumps(fault_upstream.requests())


def test_pii_is_redacted_before_a_remote_call_and_restored(gateway, fault_upstream):
    secret = ("Mail jane.doe@example.com or call +44 20 7946 0958; card 4111 1111 1111 1111, "
              "IBAN GB82 WEST 1234 5698 7654 32, key sk-live-abcdefghijklmnopqrstuvwx")
    raw, c = routed(gateway, secret, model="redacted")
    received = [r for r in fault_upstream.requests() if r.get("model") == "echo#pii"]
    assert len(received) == 1
    upstream_text = json.dumps(received[0])
    for value in ("jane.doe@example.com", "7946 0958", "4111 1111 1111 1111", "GB82 WEST", "sk-live-abcdefghijklmnopqrstuvwx"):
        assert value not in upstream_text, f"{value!r} reached the upstream"
    assert "[EMAIL_1]" in upstream_text
    # The echo upstream answers with the (redacted) body it got; placeholders come back restored.
    answer = c.choices[0].message.content
    assert "jane.doe@example.com" in answer and "[EMAIL_1]" not in answer


def test_every_routed_request_is_in_the_sqlite_log(gateway):
    raw, c = routed(gateway, "prove that 1 = 1")
    from sqlite3 import connect
    deadline = time.monotonic() + 5
    row = None
    while time.monotonic() < deadline and row is None:
        with connect(gateway.db_path) as db:
            row = db.execute("SELECT route, tier, api_key, models_tried, cost, status, prompt FROM requests WHERE id = ?",
                             (c.id,)).fetchone()
        time.sleep(0.2)
    assert row is not None
    route, tier, api_key, models_tried, cost, status, prompt = row
    assert (route, tier, api_key, status) == ("auto", "large", "alice", 200)
    assert json.loads(models_tried) == ["big/large"] and cost > 0 and "prove that 1 = 1" in prompt


def test_cascade_verifier_judges_the_cheap_answer(gateway, upstream_server):
    before = settled(upstream_server)
    raw, c = routed(gateway, "What is the capital of France?", model="verified", temperature=0)
    entry = gateway.log_entry(c.id)
    verify = [s for s in entry["trace"] if s["step"] == "verify"]
    assert len(verify) == 1 and verify[0]["model"] == "large" and verify[0]["verdict"] in ("yes", "no")
    calls = upstream_saw(upstream_server, before, expect=1 if verify[0]["verdict"] == "yes" else 2)
    body = json.loads(raw.http_response.text)
    # The verdict (a real model's, forced to yes/no by a JSON schema) decides, and the outcome follows it.
    if verify[0]["verdict"] == "yes":
        assert raw.headers["x-switchyard-tier"] == "small" and len(calls) == 1
        assert body["switchyard"]["models_tried"] == [CHAT_MODEL, "big/large"]
    else:
        assert raw.headers["x-switchyard-tier"] == "large" and len(calls) == 2
        assert body["switchyard"]["escalations"] == 1
        assert any(s.get("reason") == "verifier said no" for s in entry["trace"])
    # A local-only request keeps the (remote) verifier out: no second opinion, no remote call.
    before = settled(upstream_server)
    raw, c = routed(gateway, "What is the capital of Spain?", model="verified", metadata={"local_only": "true"})
    assert raw.headers["x-switchyard-tier"] == "small"
    assert not [s for s in gateway.log_entry(c.id)["trace"] if s["step"] == "verify" and "model" in s]
    time.sleep(0.3)
    assert upstream_saw(upstream_server, before) == []


def test_routes_are_listed_as_models(gateway):
    models = {m.id: m for m in gateway_client(gateway).models.list().data}
    info = models["auto"].model_extra["switchyard"]
    assert info["kind"] == "route" and [t["name"] for t in info["tiers"]] == ["small", "large"]
    assert models[CHAT_MODEL].model_extra["switchyard"]["kind"] == "chat"


def test_models_cli_lists_models_and_routes_of_a_running_server(gateway):
    # `switchyard models --url` reads the server's /v1/models, whose entries differ by kind: a route
    # has tiers and no file (this command used to abort on the first route).
    url = f"http://{gateway.host}:{gateway.port}"
    r = subprocess.run([str(BINARY), "models", "--url", url], capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "HTTP 401" in r.stderr, r.stderr     # this gateway has keys
    env = {**os.environ, "SY_TEST_KEY": GATEWAY_KEYS["alice"]}
    r = subprocess.run([str(BINARY), "models", "--url", url, "--api-key-env", "SY_TEST_KEY"],
                       capture_output=True, text=True, timeout=30, env=env)
    assert r.returncode == 0, r.stderr
    rows = {line.split()[0]: line.split() for line in r.stdout.splitlines()[1:] if line.strip()}
    assert rows[CHAT_MODEL][1] == "chat" and rows[CHAT_MODEL][2] in ("yes", "no")
    assert rows["auto"][1] == "route" and "tiers:" in rows["auto"]
