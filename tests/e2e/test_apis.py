"""The APIs beyond chat completions, end to end with the official SDKs against a real server and
the real default model: OpenAI Responses (`openai` client.responses), Anthropic Messages
(`anthropic` client.messages), MCP (the `mcp` client over streamable HTTP), sessions that stay
on the tier they reached, and the exact-match response cache.

The server (one process, one model) has a route `auto` with two tiers on the local model (a
rule sends "prove"/"derive" prompts to `large`), a cascade route, the response cache on, a
request log, a named API key, and two pipelines (a model-free `greet` and the `proofread` example).
"""
from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import time

import anthropic
import openai
import pytest

from conftest import CHAT_MODEL, ROOT, _yaml_str, chat_model_yaml, config_yaml

KEY = "sk-e2e-apis"
WEATHER_TOOL = {"type": "function", "name": "get_weather", "description": "Get the weather for a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


@pytest.fixture(scope="module")
def apis(start_server, tmp_path_factory):
    os.environ["SWITCHYARD_E2E_APIS_KEY"] = KEY
    db = tmp_path_factory.mktemp("apis") / "log.db"
    text = config_yaml(chat_model_yaml(parallel=4)).replace(
        "  shutdown_grace:", "  api_keys:\n    - {name: tester, key_env: SWITCHYARD_E2E_APIS_KEY}\n  shutdown_grace:") + f"""
log: {{path: {_yaml_str(db)}, content: false}}
routes:
  - name: auto
    tiers:
      - {{name: small, model: {CHAT_MODEL}}}
      - {{name: large, model: gemma}}
    rules:
      - {{name: proofs, regex: "\\\\b(prove|derive)\\\\b", tier: large}}
  - name: cascade
    tiers:
      - {{name: small, model: {CHAT_MODEL}}}
      - {{name: large, model: gemma}}
    cascade: {{min_mean_logprob: -0.000001, max_escalations: 1}}
sessions: {{ttl: 10m}}
cache: {{ttl: 10m, max_entries: 100}}
mcp: {{routes: [auto]}}
pipelines:
  files: [{_yaml_str(ROOT / "tests/e2e/data/greet.yaml")}, {_yaml_str(ROOT / "pipeline/examples/proofread.yaml")}]
"""
    srv = start_server(text)
    srv.db_path = db
    return srv


@pytest.fixture(scope="module")
def oai(apis):
    return openai.OpenAI(base_url=apis.base_url, api_key=KEY, timeout=120, max_retries=0)


@pytest.fixture(scope="module")
def claude(apis):
    return anthropic.Anthropic(base_url=f"http://{apis.host}:{apis.port}", api_key=KEY, timeout=120, max_retries=0)


# ---- OpenAI Responses ------------------------------------------------------------------------

def test_responses_create_and_continue(apis, oai):
    raw = oai.responses.with_raw_response.create(model="auto", input="Say hello.", instructions="You are terse.",
                                                 max_output_tokens=8, temperature=0)
    r = raw.parse()
    assert r.object == "response" and r.status in ("completed", "incomplete")
    assert r.id.startswith("resp_") and r.id == raw.headers["x-request-id"]
    assert r.model == CHAT_MODEL and raw.headers["x-switchyard-tier"] == "small"
    assert r.output[0].type == "message" and r.output[0].content[0].type == "output_text"
    assert r.output_text == r.output[0].content[0].text
    assert 0 < r.usage.output_tokens <= 8 and r.usage.input_tokens > 0
    assert r.instructions == "You are terse."
    # The conversation continues from the stored response: its history is in the prompt.
    r2 = oai.responses.create(model="auto", input="And again.", previous_response_id=r.id, max_output_tokens=4)
    assert r2.previous_response_id == r.id
    assert r2.usage.input_tokens > r.usage.input_tokens, "the earlier turn is part of the prompt"
    got = oai.responses.retrieve(r2.id)
    assert got.id == r2.id and got.output_text == r2.output_text
    # Stored in the request log's SQLite file.
    with sqlite3.connect(apis.db_path) as db:
        assert db.execute("SELECT count(*) FROM responses WHERE id IN (?, ?)", (r.id, r2.id)).fetchone()[0] == 2


def test_responses_store_false_cannot_be_continued(oai):
    r = oai.responses.create(model=CHAT_MODEL, input="Hi", max_output_tokens=3, store=False)
    assert r.store is False
    with pytest.raises(openai.NotFoundError) as e:
        oai.responses.create(model=CHAT_MODEL, input="more", previous_response_id=r.id, max_output_tokens=3)
    assert e.value.body["code"] == "previous_response_not_found"
    assert e.value.body["param"] == "previous_response_id"


def test_responses_stream_events(oai):
    events = list(oai.responses.create(model="auto", input="Count: one, two,", max_output_tokens=8, stream=True))
    kinds = [e.type for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] in ("response.completed", "response.incomplete")
    for k in ("response.output_item.added", "response.content_part.added", "response.output_text.done",
              "response.content_part.done", "response.output_item.done"):
        assert k in kinds, k
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert len(deltas) >= 2, "text arrives token by token"
    final = events[-1].response
    assert final.output_text == "".join(deltas)
    assert final.usage.output_tokens > 0
    assert [e.sequence_number for e in events] == list(range(len(events)))


def test_responses_function_tool_round_trip(oai):
    r = oai.responses.create(model="auto", input="What is the weather in Paris?", tools=[WEATHER_TOOL],
                             tool_choice="required", max_output_tokens=40, temperature=0)
    calls = [o for o in r.output if o.type == "function_call"]
    assert len(calls) == 1 and calls[0].name == "get_weather"
    args = json.loads(calls[0].arguments)
    assert isinstance(args.get("city"), str)
    # The tool's output goes back as a function_call_output item on the stored conversation.
    r2 = oai.responses.create(model="auto", previous_response_id=r.id, tools=[WEATHER_TOOL], max_output_tokens=12,
                              input=[{"type": "function_call_output", "call_id": calls[0].call_id, "output": "Sunny, 24 C"}])
    assert r2.status in ("completed", "incomplete") and r2.output
    assert r2.usage.input_tokens > r.usage.input_tokens


def test_responses_function_call_streamed(oai):
    with oai.responses.stream(model=CHAT_MODEL, input="Weather in Oslo?", tools=[WEATHER_TOOL], tool_choice="required",
                              max_output_tokens=40, temperature=0) as stream:
        kinds = [e.type for e in stream]
        final = stream.get_final_response()
    assert "response.function_call_arguments.done" in kinds
    call = [o for o in final.output if o.type == "function_call"][0]
    assert call.name == "get_weather" and "city" in json.loads(call.arguments)


def test_responses_json_schema_format(oai):
    schema = {"type": "object", "properties": {"answer": {"type": "string", "enum": ["yes", "no"]}},
              "required": ["answer"], "additionalProperties": False}
    r = oai.responses.create(model="auto", input="Is the sky blue? Answer as JSON.", max_output_tokens=20, temperature=0,
                             text={"format": {"type": "json_schema", "name": "verdict", "schema": schema, "strict": True}})
    assert json.loads(r.output_text)["answer"] in ("yes", "no")
    assert r.text.format.type == "json_schema"


def test_responses_errors_in_openai_shape(apis, oai):
    with pytest.raises(openai.BadRequestError) as e:
        oai.responses.create(model="auto", input=[{"role": "user", "content": [{"type": "input_image", "image_url": "http://x/y.png"}]}])
    assert e.value.body["param"] == "input[0].content[0]" and "text only" in e.value.body["message"]
    with pytest.raises(openai.NotFoundError) as e:
        oai.responses.create(model="no-such-model", input="hi", max_output_tokens=2)
    assert e.value.body["code"] == "model_not_found"
    with pytest.raises(openai.BadRequestError) as e:
        oai.responses.create(model="auto", input="hi", tools=[{"type": "web_search"}])
    assert e.value.body["param"] == "tools[0].type"
    bad = openai.OpenAI(base_url=apis.base_url, api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as e:
        bad.responses.create(model="auto", input="hi")
    assert e.value.body["code"] == "invalid_api_key"
    status, _, body = apis.request("POST", "/v1/responses", "{not json", headers={"Authorization": f"Bearer {KEY}"})
    assert status == 400 and json.loads(body)["error"]["code"] == "invalid_json"


# ---- Anthropic Messages ----------------------------------------------------------------------

def test_messages_create(claude):
    raw = claude.messages.with_raw_response.create(model="auto", max_tokens=8, system="You are terse.",
                                                   messages=[{"role": "user", "content": "Say hello."}], extra_body={"temperature": 0})
    m = raw.parse()
    assert m.type == "message" and m.role == "assistant" and m.id.startswith("msg_")
    assert m.id == raw.headers["request-id"]
    assert m.model == CHAT_MODEL
    assert m.stop_reason in ("end_turn", "max_tokens")
    assert m.content and m.content[0].type == "text"
    assert 0 < m.usage.output_tokens <= 8 and m.usage.input_tokens > 0


def test_messages_stop_sequences(claude):
    m = claude.messages.create(model=CHAT_MODEL, max_tokens=30, extra_body={"temperature": 0}, stop_sequences=["3"],
                               messages=[{"role": "user", "content": "Count from 1 to 10: 1, 2,"}])
    if m.stop_reason == "stop_sequence":
        assert m.stop_sequence == "3" and "3" not in m.content[0].text
    else:  # the model may not say "3" at all; then it must not claim it did
        assert m.stop_sequence is None


def test_messages_stream_events(claude):
    with claude.messages.stream(model="auto", max_tokens=8, messages=[{"role": "user", "content": "Count: one, two,"}]) as s:
        kinds = [e.type for e in s]
        final = s.get_final_message()
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert "content_block_start" in kinds and "content_block_delta" in kinds and "message_delta" in kinds
    assert final.content[0].type == "text" and final.content[0].text
    assert final.usage.output_tokens > 0
    assert final.stop_reason in ("end_turn", "max_tokens")


def test_messages_tool_use_round_trip(claude):
    tools = [{"name": "get_weather", "description": "Get the weather for a city",
              "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]
    q = {"role": "user", "content": "What is the weather in Paris?"}
    m = claude.messages.create(model="auto", max_tokens=40, extra_body={"temperature": 0}, tools=tools, tool_choice={"type": "any"}, messages=[q])
    assert m.stop_reason == "tool_use"
    use = [b for b in m.content if b.type == "tool_use"][0]
    assert use.name == "get_weather" and isinstance(use.input.get("city"), str)
    m2 = claude.messages.create(model="auto", max_tokens=12, tools=tools, messages=[
        q, {"role": "assistant", "content": m.content},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "Sunny, 24 C"}]}])
    assert m2.stop_reason in ("end_turn", "max_tokens", "tool_use") and m2.content
    # Streamed, the tool call arrives as input_json_delta events and is assembled by the SDK.
    with claude.messages.stream(model=CHAT_MODEL, max_tokens=40, extra_body={"temperature": 0}, tools=tools, tool_choice={"type": "any"},
                                messages=[q]) as s:
        final = s.get_final_message()
    assert final.stop_reason == "tool_use" and [b for b in final.content if b.type == "tool_use"][0].name == "get_weather"


def test_messages_count_tokens(claude):
    msgs = [{"role": "user", "content": "Hello there, how are you today?"}]
    n = claude.messages.count_tokens(model="auto", messages=msgs).input_tokens
    m = claude.messages.create(model=CHAT_MODEL, max_tokens=1, messages=msgs)
    # As Anthropic counts, the prompt is input_tokens plus the tokens read from the (KV) cache.
    assert n == m.usage.input_tokens + m.usage.cache_read_input_tokens, "counted with the same template and tokenizer the model uses"
    longer = claude.messages.count_tokens(model=CHAT_MODEL, system="You are a helpful assistant.", messages=msgs).input_tokens
    assert longer > n


def test_messages_errors_in_anthropic_shape(apis, claude):
    with pytest.raises(anthropic.BadRequestError) as e:
        claude.messages.create(model="auto", max_tokens=5, messages=[{"role": "system", "content": "x"}])
    assert e.value.body == {"type": "error", "error": {"type": "invalid_request_error", "message": e.value.body["error"]["message"]}}
    assert "messages[0].role" in e.value.body["error"]["message"]
    with pytest.raises(anthropic.NotFoundError) as e:
        claude.messages.create(model="nope", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    assert e.value.body["error"]["type"] == "not_found_error"
    bad = anthropic.Anthropic(base_url=f"http://{apis.host}:{apis.port}", api_key="wrong", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError) as e:
        bad.messages.create(model="auto", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    assert e.value.body["error"]["type"] == "authentication_error"
    status, _, body = apis.request("POST", "/v1/messages", {"model": "auto", "messages": [{"role": "user", "content": "x"}]},
                                   headers={"x-api-key": KEY})
    assert status == 400 and json.loads(body)["error"]["type"] == "invalid_request_error"


# ---- sessions --------------------------------------------------------------------------------

def test_session_stays_on_the_tier_it_reached(apis, oai):
    sid = f"conv-{time.monotonic_ns()}"
    chat = oai.chat.completions.with_raw_response
    first = chat.create(model="auto", max_tokens=4, messages=[{"role": "user", "content": "Please prove that 2 + 2 = 4"}],
                        metadata={"session_id": sid})
    assert first.headers["x-switchyard-tier"] == "large", "the rule escalates the first turn"
    # A plain follow-up alone would start on the small tier ...
    alone = chat.create(model="auto", max_tokens=4, messages=[{"role": "user", "content": "Thanks!"}])
    assert alone.headers["x-switchyard-tier"] == "small"
    # ... but in the session it stays on large, by header or by metadata, and says why.
    for kw in ({"extra_headers": {"X-Switchyard-Session": sid}}, {"metadata": {"session_id": sid}}):
        nxt = chat.create(model="auto", max_tokens=4, messages=[{"role": "user", "content": "Thanks!"}], **kw)
        assert nxt.headers["x-switchyard-tier"] == "large"
        assert nxt.headers["x-switchyard-session-tier"] == "large"
        entry = apis.log_entry(nxt.headers["x-request-id"])
        assert {"step": "session", "session": sid, "from": "small", "tier": "large",
                "why": "the session reached this tier earlier"} in entry["trace"]
    # explain shows it too
    status, _, body = apis.request("POST", "/v1/route/explain", {"model": "auto", "messages": [{"role": "user", "content": "Thanks!"}],
                                                                 "metadata": {"session_id": sid}},
                                   headers={"Authorization": f"Bearer {KEY}"})
    assert status == 200 and json.loads(body)["tier"] == "large"
    assert any(s.get("step") == "session" for s in json.loads(body)["trace"])


def test_cascade_escalation_sticks_for_the_session(apis, claude):
    sid = f"casc-{time.monotonic_ns()}"
    m1 = claude.messages.with_raw_response.create(model="cascade", max_tokens=4, metadata={"session_id": sid},
                                                  messages=[{"role": "user", "content": "Hi"}])
    assert m1.headers["x-switchyard-tier"] == "large"
    assert apis.log_entry(m1.headers["x-request-id"])["escalations"] == 1
    m2 = claude.messages.with_raw_response.create(model="cascade", max_tokens=4, metadata={"session_id": sid},
                                                  messages=[{"role": "user", "content": "Hi again"}])
    assert m2.headers["x-switchyard-tier"] == "large"
    assert apis.log_entry(m2.headers["x-request-id"])["escalations"] == 0, "starts on large: no second escalation"


def test_responses_chain_is_a_session(oai):
    r1 = oai.responses.with_raw_response.create(model="auto", input="Derive the area of a circle.", max_output_tokens=4)
    assert r1.headers["x-switchyard-tier"] == "large"
    r2 = oai.responses.with_raw_response.create(model="auto", input="Thanks", previous_response_id=r1.parse().id, max_output_tokens=4)
    assert r2.headers["x-switchyard-tier"] == "large", "the previous_response_id chain keeps the tier"


# ---- response cache --------------------------------------------------------------------------

def test_repeated_deterministic_request_is_served_from_the_cache(apis, oai):
    msgs = [{"role": "user", "content": f"Name a colour. ({time.monotonic_ns()})"}]
    chat = oai.chat.completions.with_raw_response
    t0 = time.monotonic()
    first = chat.create(model="auto", messages=msgs, max_tokens=12, temperature=0)
    t_first = time.monotonic() - t0
    assert first.headers["x-switchyard-cache"] == "miss"
    t0 = time.monotonic()
    again = chat.create(model="auto", messages=msgs, max_tokens=12, temperature=0)
    t_again = time.monotonic() - t0
    assert again.headers["x-switchyard-cache"] == "hit"
    assert again.parse().choices[0].message.content == first.parse().choices[0].message.content
    assert t_again < t_first, f"a hit ({t_again:.3f}s) is faster than generating ({t_first:.3f}s)"
    entry = apis.log_entry(again.headers["x-request-id"])
    assert entry["cache"] == "hit" and {"step": "cache", "result": "hit", "tier": "small", "source": "memory"} in entry["trace"]
    # streamed, the same request is a hit too, replayed as chunks
    stream = oai.chat.completions.create(model="auto", messages=msgs, max_tokens=12, temperature=0, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == first.parse().choices[0].message.content
    # a changed parameter misses; sampling is not cached; a bypass skips it
    assert chat.create(model="auto", messages=msgs, max_tokens=11, temperature=0).headers["x-switchyard-cache"] == "miss"
    assert chat.create(model="auto", messages=msgs, max_tokens=12, temperature=0.7).headers["x-switchyard-cache"] == "uncacheable"
    assert chat.create(model="auto", messages=msgs, max_tokens=12, temperature=0,
                       extra_headers={"X-Switchyard-Cache": "bypass"}).headers["x-switchyard-cache"] == "bypass"
    assert apis.metric("switchyard_cache_requests_total", {"result": "hit"}) >= 2
    # The other APIs share it: the Responses form of a cached chat request is a hit as well.
    r = oai.responses.with_raw_response.create(model="auto", input=msgs[0]["content"], max_output_tokens=12, temperature=0)
    r2 = oai.responses.with_raw_response.create(model="auto", input=msgs[0]["content"], max_output_tokens=12, temperature=0)
    assert r2.headers["x-switchyard-cache"] == "hit" and r2.parse().output_text == r.parse().output_text


# ---- MCP -------------------------------------------------------------------------------------

def test_mcp_client_lists_pipelines_and_calls_one(apis):
    import httpx2   # the mcp SDK's HTTP client
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def go():
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {KEY}"}, timeout=120) as http:
            async with streamable_http_client(f"http://{apis.host}:{apis.port}/mcp", http_client=http) as (r, w):
                async with ClientSession(r, w) as session:
                    init = await session.initialize()
                    assert init.server_info.name == "switchyard"
                    tools = {t.name: t for t in (await session.list_tools()).tools}
                    assert set(tools) == {"greet", "proofread", "auto"}, "the pipelines, and the route mcp.routes lists"
                    assert tools["greet"].input_schema["required"] == ["name"]
                    assert tools["greet"].input_schema["properties"]["tone"]["default"] == "warm"
                    result = await session.call_tool("greet", {"name": "Ada"})
                    assert not result.is_error
                    assert result.content[0].text == "Hello Ada, a warm welcome!"
                    assert result.structured_content == {"greeting": "Hello Ada, a warm welcome!"}
                    bad = await session.call_tool("greet", {})
                    assert bad.is_error and "name" in bad.content[0].text
    asyncio.run(go())


def test_mcp_client_calls_a_route_as_a_tool(apis):
    import httpx2
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def go():
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {KEY}"}, timeout=120) as http:
            async with streamable_http_client(f"http://{apis.host}:{apis.port}/mcp", http_client=http) as (r, w):
                async with ClientSession(r, w) as session:
                    await session.initialize()
                    tool = {t.name: t for t in (await session.list_tools()).tools}["auto"]
                    assert tool.input_schema["required"] == ["prompt"]
                    assert "tiers: small, large" in tool.description
                    small = await session.call_tool("auto", {"prompt": "Say hello.", "max_tokens": 6})
                    large = await session.call_tool("auto", {"prompt": "Please prove that 2 + 2 = 4", "max_tokens": 6,
                                                             "system": "You are terse."})
                    bad = await session.call_tool("auto", {"prompt": "hi", "colour": "red"})
                    return small, large, bad
    small, large, bad = asyncio.run(go())
    assert not small.is_error and small.content[0].text
    assert small.structured_content == {"answer": small.content[0].text, "model": CHAT_MODEL, "tier": "small"}
    assert large.structured_content["tier"] == "large", "the route's rules apply"
    assert bad.is_error and "unknown argument 'colour'" in bad.content[0].text
    # The call is in the log like any routed request.
    entry = apis.wait_log(lambda e: e.get("mcp_method") == "tools/call" and e.get("tier") == "large")[-1]
    assert entry["route_name"] == "auto" and entry["completion_tokens"] > 0


def test_mcp_http_errors(apis):
    auth = {"Authorization": f"Bearer {KEY}", "Accept": "application/json, text/event-stream"}
    status, _, _ = apis.request("POST", "/mcp", {"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert status == 401, "the same keys as the rest of the API"
    status, _, body = apis.request("POST", "/mcp", "{", headers=auth)
    assert status == 400 and json.loads(body)["error"]["code"] == -32700
    status, _, body = apis.request("POST", "/mcp", {"jsonrpc": "2.0", "id": 2, "method": "resources/list"}, headers=auth)
    assert status == 200 and json.loads(body)["error"]["code"] == -32601
    status, _, body = apis.request("POST", "/mcp", {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "nope"}}, headers=auth)
    assert json.loads(body)["error"]["code"] == -32602
    status, _, _ = apis.request("POST", "/mcp", {"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=auth)
    assert status == 202
    status, _, _ = apis.request("POST", "/mcp", {"jsonrpc": "2.0", "id": 4, "method": "ping"}, headers={**auth, "Origin": "http://evil.example"})
    assert status == 403, "DNS-rebinding protection: foreign origins are refused"
    status, _, _ = apis.request("POST", "/mcp", {"jsonrpc": "2.0", "id": 5, "method": "ping"}, headers={**auth, "Mcp-Session-Id": "mcp-unknown"})
    assert status == 404
    status, _, _ = apis.request("GET", "/mcp", headers=auth)
    assert status == 405
