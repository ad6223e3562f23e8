"""Chat and text completions through the official openai client (plus raw SSE framing checks).

The chat model is Gemma 3 270M *base*: its answers are not meaningful, so these tests assert
structure, accounting and constraints, never answer quality.
"""
import json

import jsonschema
import pytest

from conftest import CHAT_MODEL, EMBED_MODEL, sse_events

USER = [{"role": "user", "content": "Name three colours."}]


def test_plain_chat(client):
    r = client.chat.completions.create(model=CHAT_MODEL, messages=USER, max_tokens=12)
    assert r.object == "chat.completion"
    assert r.id.startswith("chatcmpl-")
    assert r.model == CHAT_MODEL
    assert len(r.choices) == 1
    choice = r.choices[0]
    assert choice.index == 0
    assert choice.message.role == "assistant"
    assert isinstance(choice.message.content, str) and choice.message.content != ""
    assert choice.finish_reason in ("stop", "length")
    u = r.usage
    assert u.prompt_tokens > 0
    assert 0 < u.completion_tokens <= 12
    assert u.total_tokens == u.prompt_tokens + u.completion_tokens
    if choice.finish_reason == "length":
        assert u.completion_tokens == 12


def test_alias_resolves_to_model_name(client):
    r = client.chat.completions.create(model="gemma", messages=USER, max_completion_tokens=3)
    assert r.model == CHAT_MODEL
    assert r.usage.completion_tokens <= 3


def test_streamed_chat(client):
    stream = client.chat.completions.create(model=CHAT_MODEL, messages=USER, max_tokens=12, stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    assert len(chunks) >= 3
    ids = {c.id for c in chunks}
    assert len(ids) == 1 and ids.pop().startswith("chatcmpl-")
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"

    usage_chunk = chunks[-1]
    assert usage_chunk.choices == [], "with include_usage the last chunk carries usage and no choices"
    content_chunks = chunks[:-1]
    assert all(c.usage is None for c in content_chunks)
    finishes = [c.choices[0].finish_reason for c in content_chunks]
    assert finishes[-1] in ("stop", "length")
    assert all(f is None for f in finishes[:-1])

    text = "".join(c.choices[0].delta.content or "" for c in content_chunks)
    assert text != ""
    u = usage_chunk.usage
    assert u.prompt_tokens > 0 and 0 < u.completion_tokens <= 12
    assert u.total_tokens == u.prompt_tokens + u.completion_tokens


def test_streamed_chat_without_usage_has_no_usage_chunk(client):
    chunks = list(client.chat.completions.create(model=CHAT_MODEL, messages=USER, max_tokens=4, stream=True))
    assert chunks[-1].choices[0].finish_reason in ("stop", "length")
    assert all(c.usage is None for c in chunks)


def test_raw_sse_framing(server):
    payload = {"model": CHAT_MODEL, "messages": USER, "max_tokens": 6, "stream": True,
               "stream_options": {"include_usage": True}}
    status, headers, body = server.request("POST", "/v1/chat/completions", payload)
    assert status == 200
    assert headers["content-type"].startswith("text/event-stream")
    assert headers["x-request-id"].startswith("chatcmpl-")
    assert body.endswith(b"data: [DONE]\n\n")
    events = sse_events(body)
    assert events[-1] == "[DONE]"
    parsed = [json.loads(e) for e in events[:-1]]
    assert parsed[-1]["choices"] == [] and parsed[-1]["usage"]["completion_tokens"] <= 6
    assert parsed[-2]["choices"][0]["finish_reason"] in ("stop", "length")
    # Every event is a separate "data: ...\n\n" block.
    assert body.count(b"\n\n") == len(events)


# Bounded lengths keep the constrained answer short: a base model may otherwise fill a string forever.
SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 8},
                   "age": {"type": "integer", "minimum": 0, "maximum": 150}},
    "required": ["name", "age"],
    "additionalProperties": False,
}


def test_json_schema_response_format(client):
    r = client.chat.completions.create(
        model=CHAT_MODEL, max_tokens=40, temperature=0,
        messages=[{"role": "user", "content": "Give me a person as JSON with name and age."}],
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": SCHEMA, "strict": True}},
    )
    content = r.choices[0].message.content
    assert r.choices[0].finish_reason == "stop", f"grammar output should end by itself, got {content!r}"
    obj = json.loads(content)
    jsonschema.validate(obj, SCHEMA)


def test_json_object_response_format(client):
    r = client.chat.completions.create(
        model=CHAT_MODEL, max_tokens=16, temperature=0,
        messages=[{"role": "user", "content": "Reply with a JSON object describing a cat."}],
        response_format={"type": "json_object"},
    )
    content = r.choices[0].message.content
    if r.choices[0].finish_reason == "stop":
        assert isinstance(json.loads(content), dict)
    else:  # cut by max_tokens: still must be the start of an object
        assert content.lstrip().startswith("{")


def test_logprobs(client):
    r = client.chat.completions.create(model=CHAT_MODEL, messages=USER, max_tokens=5, logprobs=True, top_logprobs=3)
    content = r.choices[0].logprobs.content
    assert len(content) == r.usage.completion_tokens
    for entry in content:
        assert entry.logprob <= 0
        assert len(entry.top_logprobs) == 3
        assert all(t.logprob <= 0 for t in entry.top_logprobs)
        lps = [t.logprob for t in entry.top_logprobs]
        assert lps == sorted(lps, reverse=True)
        assert entry.bytes == list(entry.token.encode("utf-8"))
    assert "".join(e.token for e in content) == r.choices[0].message.content


def test_seeded_sampling_is_deterministic(client):
    kw = dict(model=CHAT_MODEL, messages=[{"role": "user", "content": "Tell me a story."}],
              max_tokens=10, temperature=1.0, seed=1234)
    a = client.chat.completions.create(**kw).choices[0].message.content
    b = client.chat.completions.create(**kw).choices[0].message.content
    assert a == b and a != ""


def test_completions(client):
    r = client.completions.create(model=CHAT_MODEL, prompt="1, 2, 3, 4,", max_tokens=6, temperature=0)
    assert r.object == "text_completion"
    assert r.id.startswith("cmpl-")
    assert r.model == CHAT_MODEL
    assert r.choices[0].text != ""
    assert r.choices[0].finish_reason in ("stop", "length")
    assert r.usage.completion_tokens <= 6
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens


def test_completions_stream(client):
    chunks = list(client.completions.create(model=CHAT_MODEL, prompt="1, 2, 3, 4,", max_tokens=6,
                                            temperature=0, stream=True))
    assert chunks and all(c.object == "text_completion" for c in chunks)
    assert chunks[-1].choices[0].finish_reason in ("stop", "length")
    text = "".join(c.choices[0].text for c in chunks)
    assert text != ""
    # Greedy decoding: the streamed text equals the non-streamed one.
    whole = client.completions.create(model=CHAT_MODEL, prompt="1, 2, 3, 4,", max_tokens=6, temperature=0)
    assert whole.choices[0].text == text


def test_models_list_and_get(client):
    models = client.models.list()
    ids = [m.id for m in models.data]
    assert CHAT_MODEL in ids and EMBED_MODEL in ids
    m = client.models.retrieve(CHAT_MODEL)
    assert m.id == CHAT_MODEL and m.object == "model"
    assert client.models.retrieve("minilm").id == EMBED_MODEL  # aliases resolve


def test_health(server):
    status, headers, body = server.request("GET", "/health")
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["status"] == "ok"


def test_prefix_cache_reuse(client):
    messages = [{"role": "system", "content": "You are a helpful assistant that answers briefly. " * 6}]
    for i in range(4):
        messages.append({"role": "user", "content": f"Question {i}: what is {i} plus {i}? Please explain the steps."})
        messages.append({"role": "assistant", "content": f"The answer is {2 * i}, because {i} + {i} = {2 * i}."})
    messages.append({"role": "user", "content": "And what is 5 plus 5?"})
    first = client.chat.completions.create(model=CHAT_MODEL, messages=messages, max_tokens=2)
    second = client.chat.completions.create(model=CHAT_MODEL, messages=messages, max_tokens=2)
    assert first.usage.prompt_tokens == second.usage.prompt_tokens > 150
    cached = second.usage.prompt_tokens_details.cached_tokens
    assert cached > 0
    # The whole prompt but (at most) the last token can be reused.
    assert cached >= second.usage.prompt_tokens - 8
