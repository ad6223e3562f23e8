"""A remote provider that speaks the Anthropic Messages API (`api: anthropic`), end to end.

Two real servers, no fakes: the upstream is a second Switchyard whose POST /v1/messages is a real
Messages server (the real default model behind it, an API key it checks in `x-api-key`); the
gateway routes to it through a provider with `api: anthropic`, beside a local tier on its own
model, so one route mixes both wire formats. Fault injection (overloads, error events) against
a fake is in tests/unit/anthropic_provider_test.cpp.
"""
from __future__ import annotations

import json
import os

import anthropic
import openai
import pytest

from conftest import CHAT_MODEL, chat_model_yaml, config_yaml

UP_KEY = "sk-e2e-upstream-anthropic"
WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Get the weather for a city",
                                            "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                           "required": ["city"]}}}
PROVE = [{"role": "user", "content": "Please prove that 1 + 1 = 2."}]


@pytest.fixture(scope="module")
def upstream(start_server):
    os.environ["SWITCHYARD_E2E_UP_KEY"] = UP_KEY
    os.environ["SWITCHYARD_E2E_WRONG_KEY"] = "sk-not-the-upstream-key"
    text = config_yaml(chat_model_yaml(parallel=2)).replace(
        "  shutdown_grace:", "  api_keys:\n    - {name: gateway, key_env: SWITCHYARD_E2E_UP_KEY}\n  shutdown_grace:")
    return start_server(text)


@pytest.fixture(scope="module")
def gateway(start_server, upstream):
    base = f"http://{upstream.host}:{upstream.port}/v1"
    text = config_yaml(chat_model_yaml(parallel=2)) + f"""
providers:
  - {{name: claude, api: anthropic, base_url: "{base}", api_key_env: SWITCHYARD_E2E_UP_KEY,
     models: {{big: {CHAT_MODEL}}}, price: {{input: 3, output: 15}}, retries: 0}}
  - {{name: claude-badkey, api: anthropic, base_url: "{base}", api_key_env: SWITCHYARD_E2E_WRONG_KEY, retries: 0}}
routes:
  - name: mixed
    tiers:
      - {{name: small, model: {CHAT_MODEL}}}
      - {{name: large, provider: claude, model: big}}
    rules:
      - {{name: proofs, regex: "\\\\bprove\\\\b", tier: large}}
      - {{name: tools, tools: true, tier: large}}
  - name: escalating
    tiers:
      - {{name: small, model: {CHAT_MODEL}}}
      - {{name: large, provider: claude, model: big}}
    cascade: {{min_mean_logprob: -0.000001, max_escalations: 1}}
  - name: claude-only
    tiers: [{{provider: claude, model: big}}]
  - name: claude-missing
    tiers: [{{provider: claude, model: no-such-model}}]
  - name: claude-badkey
    tiers: [{{provider: claude-badkey, model: {CHAT_MODEL}}}]
"""
    return start_server(text)


@pytest.fixture(scope="module")
def gw(gateway):
    return gateway.client()


def upstream_messages_calls(upstream, at_least: int = 0) -> list[dict]:
    return upstream.wait_log(lambda e: e.get("route") == "/v1/messages", count=at_least)


def test_chat_through_an_anthropic_tier_matches_the_upstream_model(gateway, upstream, gw):
    before = len(upstream_messages_calls(upstream))
    raw = gw.chat.completions.with_raw_response.create(model="mixed", messages=PROVE, max_tokens=8, temperature=0)
    r = raw.parse()
    assert raw.headers["x-switchyard-tier"] == "large"
    # The upstream saw a Messages request (not chat completions), authenticated by x-api-key.
    calls = upstream_messages_calls(upstream, before + 1)
    assert len(calls) == before + 1 and calls[-1]["status"] == 200
    # The same prompt sent to the upstream model directly: the same greedy answer and token counts,
    # so the translation there and back lost nothing.
    direct = openai.OpenAI(base_url=upstream.base_url, api_key=UP_KEY, max_retries=0, timeout=120).chat.completions.create(model=CHAT_MODEL, messages=PROVE, max_tokens=8, temperature=0)
    assert r.choices[0].message.content == direct.choices[0].message.content
    assert r.usage.prompt_tokens == direct.usage.prompt_tokens
    assert r.usage.completion_tokens == direct.usage.completion_tokens
    assert r.choices[0].finish_reason == direct.choices[0].finish_reason
    entry = gateway.log_entry(raw.headers["x-request-id"])
    assert entry["tier"] == "large" and entry["prompt_tokens"] == r.usage.prompt_tokens
    assert entry["cost"] > 0, "priced with the provider's prices"


def test_streamed_events_become_chat_chunks(gw):
    full = gw.chat.completions.create(model="claude-only", messages=PROVE, max_tokens=8, temperature=0)
    stream = gw.chat.completions.create(model="claude-only", messages=PROVE, max_tokens=8, temperature=0, stream=True,
                                        stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == full.choices[0].message.content
    assert sum(1 for c in chunks if c.choices and c.choices[0].delta.content) >= 2, "text arrives in pieces"
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == [full.choices[0].finish_reason]
    usage = [c.usage for c in chunks if c.usage]
    assert usage and usage[-1].completion_tokens == full.usage.completion_tokens
    assert usage[-1].prompt_tokens == full.usage.prompt_tokens


def test_tool_call_round_trip_through_the_anthropic_tier(gw):
    q = {"role": "user", "content": "What is the weather in Paris?"}
    raw = gw.chat.completions.with_raw_response.create(model="mixed", messages=[q], tools=[WEATHER], tool_choice="required",
                                                       max_tokens=40, temperature=0)
    r = raw.parse()
    assert raw.headers["x-switchyard-tier"] == "large"
    assert r.choices[0].finish_reason == "tool_calls"
    call = r.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather" and isinstance(json.loads(call.function.arguments).get("city"), str)
    # The tool's result goes back as a tool message: a tool_result block upstream.
    r2 = gw.chat.completions.create(model="mixed", tools=[WEATHER], max_tokens=12, temperature=0, messages=[
        q, r.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "Sunny, 24 C"}])
    assert r2.usage.prompt_tokens > r.usage.prompt_tokens
    assert r2.choices[0].message.content or r2.choices[0].message.tool_calls
    # Streamed, the call arrives as input_json_delta events, relayed as tool_calls deltas.
    stream = gw.chat.completions.create(model="mixed", messages=[q], tools=[WEATHER], tool_choice="required",
                                        max_tokens=40, temperature=0, stream=True)
    chunks = [c for c in stream if c.choices]
    deltas = [tc for c in chunks for tc in (c.choices[0].delta.tool_calls or [])]
    assert deltas[0].function.name == "get_weather" and deltas[0].id
    assert json.loads("".join(d.function.arguments or "" for d in deltas)) == json.loads(call.function.arguments)
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_a_cascade_escalates_from_the_local_tier_to_the_anthropic_tier(gateway, gw):
    raw = gw.chat.completions.with_raw_response.create(model="escalating", messages=[{"role": "user", "content": "Hi"}],
                                                       max_tokens=4, temperature=0)
    assert raw.headers["x-switchyard-tier"] == "large"
    entry = gateway.log_entry(raw.headers["x-request-id"])
    assert entry["escalations"] == 1
    steps = [(s["step"], s.get("tier")) for s in entry["trace"] if s["step"] in ("check", "call")]
    assert steps == [("check", "small"), ("call", "large")], entry["trace"]


def test_anthropic_clients_reach_an_anthropic_tier(gateway):
    claude = anthropic.Anthropic(base_url=f"http://{gateway.host}:{gateway.port}", api_key="unused", max_retries=0, timeout=120)
    m = claude.messages.create(model="claude-only", max_tokens=8, system="You are terse.",
                               messages=[{"role": "user", "content": "Say hello."}], extra_body={"temperature": 0})
    assert m.type == "message" and m.content[0].type == "text" and m.content[0].text
    assert 0 < m.usage.output_tokens <= 8
    with claude.messages.stream(model="claude-only", max_tokens=8, messages=[{"role": "user", "content": "Count: one, two,"}]) as s:
        kinds = [e.type for e in s]
        final = s.get_final_message()
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert final.content[0].text and final.usage.output_tokens > 0


def test_the_responses_api_reaches_an_anthropic_tier(gw):
    r = gw.responses.create(model="claude-only", input="Say hello.", instructions="You are terse.", max_output_tokens=8,
                            temperature=0)
    assert r.status in ("completed", "incomplete") and r.output_text
    assert 0 < r.usage.output_tokens <= 8 and r.usage.input_tokens > 0


def test_upstream_errors_come_back_in_the_clients_shape(gateway, gw):
    with pytest.raises(openai.NotFoundError) as e:
        gw.chat.completions.create(model="claude-missing", messages=PROVE, max_tokens=4)
    assert "upstream 'claude' returned HTTP 404" in e.value.message and "no-such-model" in e.value.message
    with pytest.raises(openai.AuthenticationError) as e:
        gw.chat.completions.create(model="claude-badkey", messages=PROVE, max_tokens=4)
    assert "upstream 'claude-badkey' returned HTTP 401" in e.value.message
    # What the Messages API cannot carry is refused before anything is sent.
    with pytest.raises(openai.BadRequestError) as e:
        gw.chat.completions.create(model="claude-only", messages=PROVE, max_tokens=4, response_format={"type": "json_object"})
    assert "response_format" in e.value.message
    # The same upstream failure, asked for through the Messages API, is an Anthropic error.
    status, _, body = gateway.request("POST", "/v1/messages", {"model": "claude-missing", "max_tokens": 4,
                                                               "messages": [{"role": "user", "content": "x"}]})
    assert status == 404 and json.loads(body)["type"] == "error"
    assert json.loads(body)["error"]["type"] == "not_found_error"
