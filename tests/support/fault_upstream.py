#!/usr/bin/env python3
"""Fake OpenAI-compatible upstream FOR FAULT INJECTION ONLY.

It is not a model and not a reference implementation of the OpenAI API: it exists so tests can
make a remote provider see exactly the failures real upstreams produce (errors, rate limits,
slowness, dropped or malformed streams) and inspect exactly what the provider sent.

Usage: fault_upstream.py [--port 0] [--tls-cert CERT.pem --tls-key KEY.pem] [--behaviour B[:N]]
Binds 127.0.0.1, prints the bound port as the first stdout line, serves until killed.
With --tls-cert/--tls-key it serves HTTPS (to test certificate verification).
With --behaviour every chat request behaves as B[:N] whatever its model says (one endpoint
of a fleet that is slow or failing while the others, given the same model, answer).

Endpoints:
  POST /v1/chat/completions   behaviour chosen by the request's "model" (below)
  GET  /v1/models             a model list (health probes)
  GET  /__requests            JSON list of every chat request body received, in order
  GET  /__requests?detail=1   the same as objects {method, path, headers, body, peer}
                              (peer: the client's port, which tells connections apart)
  POST /__reset               forget recorded requests and per-model counters

Model name syntax: BEHAVIOUR[:N][#TAG]. N is a behaviour parameter; TAG only makes the name
unique, so each test gets its own counters on one shared server (counters are keyed by the
whole name). Behaviours:
  ok               answers "hello from upstream" (streamed as 3 content chunks when
                   "stream": true), with usage; token logprobs when "logprobs": true
  trickle[:MS]     like ok, streamed with MS ms (default 300) between chunks
  slow[:S]         sleeps S seconds (default 3), then answers like ok
  fail500          always HTTP 500 with an OpenAI error object
  fail500-then-ok[:N]  the first N requests (default 1, or header x-fail-count) get 500, then ok
  rate-limited[:N] the first N requests (default 1) get 429 with "Retry-After: 1", then ok
  bad-request      HTTP 400 with an OpenAI error object
  drop-mid-stream  streams 2 chunks, then closes the socket without finishing
  malformed        streams a data line that is not JSON
  error-event      streams 1 chunk, then an {"error": ...} event (as OpenAI does mid-stream)
  tools            streams (or returns) a get_weather tool call, arguments in fragments
  echo             the answer's content is the JSON of the request body it received
  echo-headers     the answer's content is the JSON of the request headers it received
  hangup-after     answers like ok (keep-alive headers and all), then closes the connection
                   without saying so: the next request on it finds a dead kept-alive socket

  POST /v1/messages           the same FOR FAULT INJECTION in the Anthropic Messages shape (a
                              real Messages server for the happy path is another Switchyard):
  ok               a canned message "hello from upstream" (streamed as Messages events)
  overloaded[:N]   the first N requests (default 1) get 529 overloaded_error, then ok
  error-event      streams message_start and one text delta, then an `error` event
  echo-headers     the message's text is the JSON of the request headers it received
"""
import argparse
import json
import os
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
REQUESTS = []  # {method, path, headers, body}
COUNTERS = {}
FORCED = ""  # --behaviour  # full model name -> requests seen


def completion(model, content, tool_calls=None, logprobs=False):
    message = {"role": "assistant", "content": content}
    if tool_calls:
        message["content"] = None
        message["tool_calls"] = tool_calls
    choice = {"index": 0, "message": message, "finish_reason": "tool_calls" if tool_calls else "stop"}
    if logprobs:
        choice["logprobs"] = {"content": [{"token": t, "logprob": -0.5 * (i + 1), "top_logprobs": []}
                                          for i, t in enumerate(["hello", " from", " upstream"])]}
    return {"id": "chatcmpl-fault", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [choice], "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}}


def chunk(model, delta, finish=None, logprob=None):
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    if logprob is not None:
        choice["logprobs"] = {"content": [{"token": delta.get("content", ""), "logprob": logprob, "top_logprobs": []}]}
    return {"id": "chatcmpl-fault", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": model, "choices": [choice]}


TOOL_CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # chunked streams, like real servers

    def log_message(self, fmt, *args):
        if os.environ.get("FAULT_UPSTREAM_VERBOSE"):
            sys.stderr.write("fault_upstream: " + fmt % args + "\n")

    def setup(self):
        self.tls_failed = False
        if hasattr(self.request, "do_handshake"):  # HTTPS: handshake here, in the handler thread
            try:
                self.request.do_handshake()
            except OSError:  # ssl.SSLError included: e.g. the client rejected our certificate
                self.tls_failed = True
        super().setup()

    def handle(self):
        if not self.tls_failed:
            super().handle()

    # ---- plumbing -------------------------------------------------------------------------
    def send_json(self, status, obj, headers=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def send_error_json(self, status, message, typ, headers=None):
        self.send_json(status, {"error": {"message": message, "type": typ, "code": status}}, headers)

    def start_stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def write_chunk(self, text):
        data = text.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def event(self, obj):
        self.write_chunk("data: " + (obj if isinstance(obj, str) else json.dumps(obj)) + "\n\n")

    def end_stream(self):
        self.event("[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def drop(self):
        """Close the socket abruptly, mid-response."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # ---- endpoints ------------------------------------------------------------------------
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path == "/v1/models":
            self.send_json(200, {"object": "list", "data": [{"id": "ok", "object": "model", "owned_by": "fault"}]})
        elif url.path == "/__requests":
            detail = urllib.parse.parse_qs(url.query).get("detail") == ["1"]
            with LOCK:
                out = list(REQUESTS) if detail else [r["body"] for r in REQUESTS]
            self.send_json(200, out)
        else:
            self.send_error_json(404, "no route " + url.path, "not_found")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path == "/__reset":
            with LOCK:
                REQUESTS.clear()
                COUNTERS.clear()
            self.send_json(200, {"ok": True})
            return
        if self.path not in ("/v1/chat/completions", "/v1/messages"):
            self.send_error_json(404, "no route " + self.path, "not_found")
            return
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = raw.decode(errors="replace")
        headers = {k.lower(): v for k, v in self.headers.items()}
        with LOCK:
            REQUESTS.append({"method": "POST", "path": self.path, "headers": headers, "body": body,
                             "peer": self.client_address[1]})
        if not isinstance(body, dict):
            self.send_error_json(400, "body is not a JSON object", "invalid_request_error")
            return
        try:
            if self.path == "/v1/messages":
                self.messages(body, headers)
            else:
                self.chat(body, headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away: that is a test's business

    def chat(self, body, headers):
        model = str(body.get("model", ""))
        name = FORCED or model.split("#", 1)[0]
        behaviour, _, param = name.partition(":")
        with LOCK:
            seen = COUNTERS.get(model, 0)
            COUNTERS[model] = seen + 1
        stream = bool(body.get("stream"))
        usage = bool((body.get("stream_options") or {}).get("include_usage"))
        logprobs = bool(body.get("logprobs"))

        if behaviour == "slow":
            time.sleep(float(param or 3))
        elif behaviour == "fail500":
            self.send_error_json(500, "injected failure", "server_error")
            return
        elif behaviour == "fail500-then-ok":
            n = int(param or headers.get("x-fail-count") or 1)
            if seen < n:
                self.send_error_json(500, "injected failure %d of %d" % (seen + 1, n), "server_error")
                return
        elif behaviour == "rate-limited":
            if seen < int(param or 1):
                self.send_error_json(429, "slow down", "rate_limit_exceeded", {"Retry-After": "1"})
                return
        elif behaviour == "bad-request":
            self.send_error_json(400, "injected bad request", "invalid_request_error")
            return

        if behaviour == "echo":
            text = json.dumps(body)
        elif behaviour == "echo-headers":
            text = json.dumps(headers)
        else:
            text = "hello from upstream"

        if not stream:
            if behaviour == "malformed":
                data = b"this is not json"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            elif behaviour == "drop-mid-stream":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "1000")
                self.end_headers()
                self.wfile.write(b'{"id": "chatcmpl-fault", "cho')
                self.drop()
            else:
                tools = [TOOL_CALL] if behaviour == "tools" else None
                self.send_json(200, completion(model, text, tools, logprobs))
                if behaviour == "hangup-after":
                    self.close_connection = True
            return

        self.start_stream()
        gap = float(param or 300) / 1000 if behaviour == "trickle" else 0
        if behaviour == "malformed":
            self.event("{this is not json")
            self.end_stream()
            return
        self.event(chunk(model, {"role": "assistant", "content": ""}))
        if behaviour == "tools":
            self.event(chunk(model, {"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                                      "function": {"name": "get_weather", "arguments": ""}}]}))
            for piece in ['{"city"', ': "Par', 'is"}']:
                self.event(chunk(model, {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}))
            self.event(chunk(model, {}, "tool_calls"))
        else:
            pieces = [text] if behaviour.startswith("echo") else ["hello", " from", " upstream"]
            for i, piece in enumerate(pieces):
                if behaviour == "drop-mid-stream" and i == 1:
                    self.drop()
                    return
                if behaviour == "error-event" and i == 1:
                    self.event({"error": {"message": "injected mid-stream failure", "type": "server_error"}})
                    self.end_stream()
                    return
                time.sleep(gap)
                self.event(chunk(model, {"content": piece}, None, -0.5 * (i + 1) if logprobs else None))
            self.event(chunk(model, {}, "stop"))
        if usage:
            self.event({"id": "chatcmpl-fault", "object": "chat.completion.chunk", "created": int(time.time()),
                        "model": model, "choices": [],
                        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}})
        self.end_stream()

    def typed_event(self, obj):
        self.write_chunk("event: %s\ndata: %s\n\n" % (obj["type"], json.dumps(obj)))

    def messages(self, body, headers):
        """The Anthropic Messages shape, for fault injection (see the module docstring)."""
        model = str(body.get("model", ""))
        behaviour, _, param = (FORCED or model.split("#", 1)[0]).partition(":")
        with LOCK:
            seen = COUNTERS.get(model, 0)
            COUNTERS[model] = seen + 1
        if behaviour == "overloaded" and seen < int(param or 1):
            self.send_json(529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
            return
        text = json.dumps(headers) if behaviour == "echo-headers" else "hello from upstream"
        usage = {"input_tokens": 5, "output_tokens": 3}
        msg = {"id": "msg_fault", "type": "message", "role": "assistant", "model": model,
               "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None, "usage": usage}
        if not body.get("stream"):
            self.send_json(200, msg)
            return
        self.start_stream()
        self.typed_event({"type": "message_start", "message": {**msg, "content": [], "stop_reason": None,
                                                                "usage": {"input_tokens": 5, "output_tokens": 0}}})
        self.typed_event({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
        self.typed_event({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "hello"}})
        if behaviour == "error-event":
            self.typed_event({"type": "error", "error": {"type": "overloaded_error", "message": "injected mid-stream overload"}})
        else:
            self.typed_event({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text[5:]}})
            self.typed_event({"type": "content_block_stop", "index": 0})
            self.typed_event({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                              "usage": {"output_tokens": 3}})
            self.typed_event({"type": "message_stop"})
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--behaviour", default="")
    args = ap.parse_args()
    global FORCED
    FORCED = args.behaviour
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    if args.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        # Handshake in the handler thread, so a client that fails verification cannot stall accept().
        server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
