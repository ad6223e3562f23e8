#!/usr/bin/env python3
"""Static file server for downloader tests: HTTP Range support plus fault injection.

Usage: range_server.py --port 0 --dir DIR [--token T]
Prints the bound port as the first stdout line, then serves DIR on 127.0.0.1.
With --token, any path with a "gated" segment needs "Authorization: Bearer T"
(mimics a gated Hugging Face repo, so token defaults can be tested).

Per-request options, given in the query string so one server instance can
serve every test case:
  drop_after=N      send the headers and N body bytes, then close the
                    connection (the client sees a truncated body)
  ignore_range=1    answer 200 with the whole file even when Range was sent
  require_token=T   answer 401 unless "Authorization: Bearer T" was sent
  status=N          answer with status N and a short text body
Special paths:
  /redirect/REST    302 to /REST (query kept), to test redirect following
  /__count          number of file GETs served so far (to prove "no download")
"""
import argparse
import os
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = 64 * 1024


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and Content-Length, like real CDNs
    root = "."
    token = None
    count = 0
    lock = threading.Lock()

    def log_message(self, fmt, *args):  # keep test output clean
        if os.environ.get("RANGE_SERVER_VERBOSE"):
            sys.stderr.write("range_server: " + fmt % args + "\n")

    def _simple(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        path = urllib.parse.unquote(url.path)
        if path == "/__count":
            return self._simple(200, str(Handler.count).encode())
        if path.startswith("/redirect/"):
            loc = path[len("/redirect"):] + ("?" + url.query if url.query else "")
            return self._simple(302, b"moved\n", [("Location", loc)])
        if "status" in q:
            return self._simple(int(q["status"]), b"injected status\n")
        token = q.get("require_token")
        if not token and Handler.token and "gated" in path.split("/"):
            token = Handler.token
        if token and self.headers.get("Authorization") != "Bearer " + token:
            return self._simple(401, b"unauthorized\n")

        # Resolve inside root only; tests never need anything outside it.
        full = os.path.realpath(os.path.join(Handler.root, path.lstrip("/")))
        if not full.startswith(Handler.root + os.sep) or not os.path.isfile(full):
            return self._simple(404, b"not found\n")
        with Handler.lock:
            Handler.count += 1
        size = os.path.getsize(full)

        start, end, status = 0, size - 1, 200
        rng = self.headers.get("Range")
        m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip()) if rng else None
        if m and q.get("ignore_range") != "1" and (m.group(1) or m.group(2)):
            if m.group(1):
                start = int(m.group(1))
                if m.group(2):
                    end = min(int(m.group(2)), size - 1)
            else:  # suffix form "bytes=-N": the last N bytes
                start = max(0, size - int(m.group(2)))
            if start >= size or start > end:
                return self._simple(416, b"", [("Content-Range", "bytes */%d" % size)])
            status = 206

        length = end - start + 1 if size else 0
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(length))
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end, size))
        self.end_headers()
        if self.command == "HEAD":
            return

        limit = int(q["drop_after"]) if "drop_after" in q else None
        sent = 0
        with open(full, "rb") as f:
            f.seek(start)
            while sent < length:
                n = min(CHUNK, length - sent)
                if limit is not None:
                    n = min(n, limit - sent)
                    if n <= 0:
                        # Promised Content-Length is not met: the client must
                        # see a truncated transfer, as with a dropped network.
                        self.wfile.flush()
                        self.close_connection = True
                        return
                data = f.read(n)
                if not data:
                    break
                self.wfile.write(data)
                sent += len(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    ap.add_argument("--dir", required=True, help="directory to serve")
    ap.add_argument("--token", help="bearer token required under gated/ paths")
    args = ap.parse_args()
    Handler.root = os.path.realpath(args.dir)
    Handler.token = args.token
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    # If the test binary crashes before killing us, we are reparented: exit
    # instead of lingering as an orphan that holds a port.
    parent = os.getppid()

    def watch_parent():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch_parent, daemon=True).start()
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
