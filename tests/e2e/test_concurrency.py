"""Concurrent streams (continuous batching) and client disconnects."""
import json
import socket
import threading
import time

from conftest import CHAT_MODEL, header_value, open_stream, read_until

CHAT_ROUTE = {"route": "/v1/chat/completions", "status": "200"}


def test_eight_concurrent_streams(server):
    before = server.metric("switchyard_requests_total", CHAT_ROUTE) or 0
    n = 8
    results: list = [None] * n
    errors: list = []
    start = threading.Barrier(n)

    def worker(i: int):
        try:
            client = server.client()
            start.wait(30)
            stream = client.chat.completions.create(
                model=CHAT_MODEL, max_tokens=8, stream=True, seed=i,
                messages=[{"role": "user", "content": f"Write a sentence about the number {i}."}])
            text, finish = "", None
            for chunk in stream:
                if chunk.choices:
                    text += chunk.choices[0].delta.content or ""
                    finish = chunk.choices[0].finish_reason or finish
            results[i] = (text, finish)
        except Exception as e:  # reported below with the worker index
            errors.append((i, repr(e)))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert all(not t.is_alive() for t in threads), "a stream did not finish within 120 s"
    for i, (text, finish) in enumerate(results):
        assert text != "", f"stream {i} produced no content"
        assert finish in ("stop", "length"), f"stream {i} finish_reason {finish!r}"
    # A request is counted when its handler ends, just after the client has read [DONE]: poll briefly.
    deadline = time.monotonic() + 5
    while (after := server.metric("switchyard_requests_total", CHAT_ROUTE) or 0) - before < n:
        assert time.monotonic() < deadline, f"requests_total went from {before} to {after}, expected +{n}"
        time.sleep(0.05)
    assert after >= 8
    print(f"8 streams x 8 tokens in {time.monotonic() - t0:.1f}s")


def test_client_disconnect_stops_generation(server):
    gauge = {"model": CHAT_MODEL}
    payload = {"model": CHAT_MODEL, "stream": True, "max_tokens": 1000, "temperature": 1, "seed": 7,
               "messages": [{"role": "user", "content": "Write a very long story about a dragon and a knight."}]}
    sock, buf = open_stream(server, "/v1/chat/completions", payload)
    request_id = header_value(buf, "x-request-id")
    assert request_id and request_id.startswith("chatcmpl-")
    # Wait for the role chunk plus a few content chunks.
    buf = read_until(sock, buf, lambda b: b.count(b"data: ") >= 5)
    assert b"[DONE]" not in buf and b'"finish_reason":"' not in buf, "stream ended before the disconnect"
    assert server.metric("switchyard_active_sequences", gauge) >= 1
    sock.close()
    t_closed = time.monotonic()

    deadline = t_closed + 5
    while server.metric("switchyard_active_sequences", gauge) != 0:
        assert time.monotonic() < deadline, "generation still running 5 s after the client went away"
        time.sleep(0.05)

    entry = server.log_entry(request_id)
    assert entry["status"] == 499, entry
    assert entry["route"] == "/v1/chat/completions"
    assert entry.get("finish_reason") == "cancelled", entry
    assert entry["completion_tokens"] < 200, entry  # far below max_tokens=1000: it stopped at once

    # The server keeps serving.
    status, _, body = server.request("POST", "/v1/chat/completions",
                                     {"model": CHAT_MODEL, "max_tokens": 2,
                                      "messages": [{"role": "user", "content": "Hi"}]})
    assert status == 200, body
    assert json.loads(body)["usage"]["completion_tokens"] <= 2



def test_client_disconnect_non_streaming(server):
    """A client that gives up on a non-streamed request also stops its generation (status 499)."""
    gauge = {"model": CHAT_MODEL}
    cancelled_before = [e["id"] for e in list(server.access_log) if e.get("status") == 499]
    body = json.dumps({"model": CHAT_MODEL, "max_tokens": 1000, "temperature": 1, "seed": 7,
                       "messages": [{"role": "user", "content": "Write a very long story about a dragon and a knight."}]}).encode()
    sock = socket.create_connection((server.host, server.port), timeout=30)
    sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    deadline = time.monotonic() + 30
    while not server.metric("switchyard_active_sequences", gauge):
        assert time.monotonic() < deadline, "generation never started"
        time.sleep(0.05)
    time.sleep(0.5)
    sock.close()
    deadline = time.monotonic() + 5
    while server.metric("switchyard_active_sequences", gauge) != 0:
        assert time.monotonic() < deadline, "generation still running 5 s after the client went away"
        time.sleep(0.05)
    deadline = time.monotonic() + 5
    while True:
        new = [e for e in list(server.access_log) if e.get("status") == 499 and e["id"] not in cancelled_before]
        if new or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(new) == 1, f"expected one 499 access-log line, got {new}"
    assert new[0]["route"] == "/v1/chat/completions" and new[0]["finish_reason"] == "cancelled"
    assert new[0]["completion_tokens"] < 200, new[0]
