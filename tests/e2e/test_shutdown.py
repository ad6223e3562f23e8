"""Graceful shutdown: SIGTERM stops accepting, lets in-flight work run for shutdown_grace, then ends
the remaining streams with a shutting_down error event and [DONE], and exits 0."""
import json
import signal
import socket
import time

from conftest import CHAT_MODEL, chat_model_yaml, config_yaml, header_value, open_stream, read_until, sse_events


def test_sigterm_ends_streams_cleanly(start_server):
    srv = start_server(config_yaml(chat_model_yaml(parallel=2), shutdown_grace="1s"))
    sock, buf = open_stream(srv, "/v1/chat/completions",
                            {"model": CHAT_MODEL, "stream": True, "max_tokens": 1000, "temperature": 1, "seed": 7,
                             "messages": [{"role": "user", "content": "Write a very long story about a dragon."}]})
    request_id = header_value(buf, "x-request-id")
    buf = read_until(sock, buf, lambda b: b.count(b"data: ") >= 3)

    srv.proc.send_signal(signal.SIGTERM)
    t_term = time.monotonic()

    # New connections are refused while the in-flight stream drains.
    deadline = t_term + 0.9
    refused = False
    while time.monotonic() < deadline and not refused:
        try:
            socket.create_connection((srv.host, srv.port), timeout=1).close()
            time.sleep(0.02)
        except ConnectionRefusedError:
            refused = True
    assert refused, "the listener still accepts connections after SIGTERM"

    buf = read_until(sock, buf, lambda b: False, timeout=15)  # to EOF
    t_end = time.monotonic()
    sock.close()
    events = sse_events(buf)
    assert events[-1] == "[DONE]", events[-3:]
    assert buf.rstrip(b"\r\n0").endswith(b"data: [DONE]")
    last = json.loads(events[-2])
    # 2000 tokens cannot finish within the 1 s grace: the stream is cut with an error event.
    assert last == {"error": {"message": "The server is shutting down; generation was cut short",
                              "type": "server_error", "param": None, "code": "shutting_down"}}, last
    # Everything before it is ordinary content.
    for e in events[:-2]:
        assert json.loads(e)["object"] == "chat.completion.chunk"
    assert 0.8 <= t_end - t_term < 6, f"stream ended {t_end - t_term:.2f}s after SIGTERM (grace 1s)"

    rc = srv.proc.wait(10)
    assert rc == 0, srv.stderr_text()
    entry = srv.log_entry(request_id)
    assert entry["status"] == 200 and entry["finish_reason"] == "cancelled"
