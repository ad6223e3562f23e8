"""Every documented error answer: status, OpenAI error shape, type/code/param and exact message."""
import json
import re
import socket
import time

import openai
import pytest

from conftest import (CHAT_CONTEXT, CHAT_MODEL, EMBED_MODEL, MAX_BODY_BYTES, chat_model_yaml, config_yaml,
                      error_of, header_value, open_stream, read_until)

HELLO = [{"role": "user", "content": "Hello"}]
CONFIGURED = f"{CHAT_MODEL}, {EMBED_MODEL}, broken-missing, broken-random, broken-fake-gguf"


def raw_error(server, method, path, body=None, headers=None):
    status, hdrs, data = server.request(method, path, body, headers)
    assert hdrs.get("content-type") == "application/json", (status, hdrs, data)
    doc = json.loads(data)
    assert set(doc) == {"error"}
    assert set(doc["error"]) == {"message", "type", "param", "code"}
    return status, hdrs, doc["error"]


def assert_error(exc: openai.APIStatusError, status: int, type_: str, code: str, message: str | re.Pattern,
                 param: str | None = None):
    assert exc.status_code == status
    err = error_of(exc)
    assert err["type"] == type_
    assert err["code"] == code
    assert err["param"] == param
    if isinstance(message, re.Pattern):
        assert message.fullmatch(err["message"]), err["message"]
    else:
        assert err["message"] == message
    return err


def assert_still_serving(client):
    r = client.chat.completions.create(model=CHAT_MODEL, messages=HELLO, max_tokens=2)
    assert r.choices[0].message.content is not None and r.usage.completion_tokens <= 2


# ---- malformed requests (raw HTTP: the client would never send these) ---------------------------

def test_malformed_json(server):
    status, hdrs, err = raw_error(server, "POST", "/v1/chat/completions", b'{"model": "gemma", "messages": [')
    assert status == 400
    assert err["type"] == "invalid_request_error" and err["code"] == "invalid_json" and err["param"] is None
    assert err["message"].startswith("We could not parse the JSON body of your request: ")
    assert "parse error" in err["message"]
    assert hdrs["x-request-id"].startswith("chatcmpl-")


def test_body_not_an_object(server):
    status, _, err = raw_error(server, "POST", "/v1/embeddings", b'["a", "b"]')
    assert status == 400
    assert (err["type"], err["code"]) == ("invalid_request_error", "invalid_json")
    assert err["message"] == "The request body must be a JSON object, got an array"


def test_body_too_large(server):
    # Announce a body over server.max_body_bytes; the server must refuse it from the headers alone
    # (no body bytes are sent, so closing the connection cannot turn into a reset).
    size = MAX_BODY_BYTES + 1
    with socket.create_connection((server.host, server.port), timeout=10) as s:
        s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                  b"Content-Length: " + str(size).encode() + b"\r\n\r\n")
        raw = read_until(s, b"", lambda b: False, timeout=10)  # until the server closes
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 "), head
    err = json.loads(body)["error"]
    assert (err["type"], err["code"]) == ("invalid_request_error", "request_too_large")
    assert err["message"] == f"Request body exceeds the limit of {MAX_BODY_BYTES} bytes (server.max_body_bytes)"


def test_unknown_url(server):
    status, _, err = raw_error(server, "GET", "/v1/nope")
    assert status == 404
    assert (err["type"], err["code"]) == ("not_found_error", "unknown_url")
    assert err["message"] == "Unknown request URL: GET /v1/nope"


def test_wrong_method(server):
    status, _, err = raw_error(server, "GET", "/v1/chat/completions")
    assert status == 405
    assert (err["type"], err["code"]) == ("invalid_request_error", "method_not_allowed")
    assert err["message"] == "Method GET is not allowed on /v1/chat/completions"
    status, _, err = raw_error(server, "DELETE", "/v1/models/gemma")
    assert status == 405
    assert err["message"] == "Method DELETE is not allowed on /v1/models/gemma"


# ---- invalid parameters --------------------------------------------------------------------------

def test_unknown_model(client):
    with pytest.raises(openai.NotFoundError) as e:
        client.chat.completions.create(model="no-such-model", messages=HELLO, max_tokens=2)
    assert_error(e.value, 404, "not_found_error", "model_not_found",
                 f"The model 'no-such-model' does not exist (configured models: {CONFIGURED})", "model")
    with pytest.raises(openai.NotFoundError) as e:
        client.embeddings.create(model="no-such-model", input="x")
    assert_error(e.value, 404, "not_found_error", "model_not_found",
                 f"The model 'no-such-model' does not exist (configured models: {CONFIGURED})", "model")
    with pytest.raises(openai.NotFoundError) as e:
        client.models.retrieve("no-such-model")
    assert_error(e.value, 404, "not_found_error", "model_not_found", "The model 'no-such-model' does not exist", "model")


def test_context_length_exceeded(client):
    long_text = "hello " * (CHAT_CONTEXT + 200)
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=CHAT_MODEL, messages=[{"role": "user", "content": long_text}], max_tokens=2)
    err = assert_error(e.value, 400, "invalid_request_error", "context_length_exceeded",
                       re.compile(rf"This model's maximum context length is {CHAT_CONTEXT} tokens\. However, your prompt "
                                  r"has (\d+) tokens \(at least one more is needed for the answer\)\. Shorten the prompt\."),
                       "messages")
    n = int(re.search(r"has (\d+) tokens", err["message"]).group(1))
    assert n > CHAT_CONTEXT


def test_embedding_input_too_long(client):
    with pytest.raises(openai.BadRequestError) as e:
        client.embeddings.create(model=EMBED_MODEL, input=["short", "word " * 700], encoding_format="float")
    assert_error(e.value, 400, "invalid_request_error", "context_length_exceeded",
                 re.compile(rf"input\[1\] has \d+ tokens; model '{EMBED_MODEL}' accepts at most 512 tokens per input"),
                 "input")


@pytest.mark.parametrize("extra,param,message", [
    ({"temperature": 3}, "temperature", "'temperature' must be between 0 and 2, got 3"),
    ({"max_tokens": 0}, "max_tokens", "'max_tokens' must be between 1 and 16777216, got 0"),
    ({"top_logprobs": 2}, "top_logprobs", "'top_logprobs' requires 'logprobs' to be true"),
    ({"stream_options": {"include_usage": True}}, "stream_options",
     "'stream_options' is only allowed when 'stream' is true"),
    ({"n": 2}, "n", "only n=1 is supported"),
    ({"response_format": {"type": "xml"}}, "response_format.type",
     "'response_format.type' must be 'text', 'json_object' or 'json_schema', got 'xml'"),
])
def test_invalid_parameters(client, extra, param, message):
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=CHAT_MODEL, messages=HELLO, extra_body=extra)
    assert_error(e.value, 400, "invalid_request_error", "invalid_request", message, param)


def test_empty_messages(client):
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=CHAT_MODEL, messages=[])
    assert_error(e.value, 400, "invalid_request_error", "invalid_request", "'messages' must be a non-empty array", "messages")


def test_wrong_model_kind(client):
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=EMBED_MODEL, messages=HELLO, max_tokens=2)
    assert_error(e.value, 400, "invalid_request_error", "model_not_supported",
                 f"model '{EMBED_MODEL}' is an embedding model; it cannot generate text", "model")
    with pytest.raises(openai.BadRequestError) as e:
        client.embeddings.create(model=CHAT_MODEL, input="x")
    assert_error(e.value, 400, "invalid_request_error", "model_not_supported",
                 f"model '{CHAT_MODEL}' is a chat model; use an embedding model for /v1/embeddings", "model")


# ---- broken model files: 500 with the path, and the server keeps serving ------------------------

@pytest.mark.parametrize("name,key,why", [
    ("broken-missing", "missing", "file not found"),
    ("broken-random", "random", "not a GGUF file (bad magic)"),
    ("broken-fake-gguf", "fake_gguf", "llama.cpp rejected the file (corrupt or unsupported architecture)"),
])
def test_broken_model_file(server, client, broken_model_files, name, key, why):
    path = broken_model_files[key]
    for _ in range(2):  # a failed load is not cached as success, and fails the same way again
        with pytest.raises(openai.InternalServerError) as e:
            client.chat.completions.create(model=name, messages=HELLO, max_tokens=2)
        assert_error(e.value, 500, "server_error", "model_unavailable",
                     f"model '{name}' cannot be loaded from {path}: {why}")
    assert server.alive()
    assert_still_serving(client)
    listed = {m.id: m for m in client.models.list().data}
    assert name in listed


# ---- queue full: a dedicated server with one sequence and no queue -------------------------------

def test_queue_full(start_server):
    srv = start_server(config_yaml(chat_model_yaml(parallel=1, queue_limit=0)))
    client = srv.client()
    sock, buf = open_stream(srv, "/v1/chat/completions",
                            {"model": CHAT_MODEL, "stream": True, "max_tokens": 1000, "temperature": 1, "seed": 7,
                             "messages": [{"role": "user", "content": "Write a very long story about a dragon."}]})
    try:
        assert header_value(buf, "x-request-id")
        read_until(sock, buf, lambda b: b.count(b"data: ") >= 3)  # generating: the only sequence is busy
        with pytest.raises(openai.RateLimitError) as e:
            client.chat.completions.create(model=CHAT_MODEL, messages=HELLO, max_tokens=2)
        assert_error(e.value, 429, "rate_limit_error", "queue_full",
                     f"model '{CHAT_MODEL}' is at capacity (1 running, 0 queued); retry later")
        assert e.value.response.headers.get("retry-after") == "1"
        status, hdrs, _ = srv.request("POST", "/v1/completions", {"model": CHAT_MODEL, "prompt": "x", "max_tokens": 1})
        assert status == 429 and hdrs["retry-after"] == "1"
    finally:
        sock.close()
    # Once the stream is gone, the sequence frees up and requests are served again.
    deadline = time.monotonic() + 10
    while srv.metric("switchyard_active_sequences", {"model": CHAT_MODEL}) != 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert_still_serving(client)
    assert srv.metric("switchyard_requests_total", {"route": "/v1/chat/completions", "status": "429"}) == 1
    assert srv.stop() == 0
