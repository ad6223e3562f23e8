"""End-to-end fixtures: run the real build/switchyard binary on port 0 and talk to it over HTTP.

The session server serves the two default models (absolute paths into models/) plus three
broken ones (file missing, random bytes, "GGUF" followed by garbage) so error handling can be
checked without a second process. Tests needing special settings (queue limit, shutdown grace)
start their own short-lived server through the `start_server` fixture.

Run: .venv/bin/python -m pytest tests/e2e -x -q
"""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import openai
import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("SWITCHYARD_BIN", ROOT / "build" / "switchyard"))
MODELS = ROOT / "models"
CHAT_FILE = MODELS / "gemma-3-270m-q4_k_m.gguf"
EMBED_FILE = MODELS / "all-minilm-l6-v2-f16.gguf"
TEMPLATE = ROOT / "templates" / "gemma3.jinja"

CHAT_MODEL = "gemma-3-270m"
EMBED_MODEL = "all-minilm-l6-v2"
CHAT_CONTEXT = 1024          # tokens per sequence in the session server
# llama.cpp threads per model; 0 = the server default (one per core). The default here is 1: on a
# small shared machine, one llama.cpp thread per core is 20-100x slower as soon as another process
# competes for the CPU (spinning worker threads get descheduled), which made run times swing wildly.
THREADS = int(os.environ.get("SWITCHYARD_E2E_THREADS", "1"))
MAX_BODY_BYTES = 1024 * 1024  # 1MiB in the session server

LISTEN_RE = re.compile(r"switchyard: listening on http://([^:\s]+):(\d+)")


def _yaml_str(s: str | os.PathLike) -> str:
    return json.dumps(str(s))  # a JSON string is a valid YAML double-quoted scalar


def chat_model_yaml(name: str = CHAT_MODEL, *, context_size: int = CHAT_CONTEXT, parallel: int = 8,
                    queue_limit: int = 64, aliases: tuple[str, ...] = ("gemma",), threads: int = THREADS) -> str:
    lines = [
        f"  - name: {name}",
        f"    file: {_yaml_str(CHAT_FILE)}",
        f"    aliases: [{', '.join(aliases)}]",
        f"    chat_template: {_yaml_str(TEMPLATE)}",
        f"    context_size: {context_size}",
        f"    parallel: {parallel}",
        f"    queue_limit: {queue_limit}",
        "    keep_alive: 10m",
        "    sampling:",
        "      temperature: 1.0",
        "      top_k: 64",
        "      top_p: 0.95",
        "      max_tokens: 64",
    ]
    if threads:
        lines.append(f"    threads: {threads}")
    return "\n".join(lines) + "\n"


def embed_model_yaml() -> str:
    return (f"  - name: {EMBED_MODEL}\n"
            f"    file: {_yaml_str(EMBED_FILE)}\n"
            "    kind: embedding\n"
            "    aliases: [minilm]\n"
            "    context_size: 512\n"
            "    parallel: 4\n"
            + (f"    threads: {THREADS}\n" if THREADS else "")
            + "    keep_alive: 10m\n")


def config_yaml(models_yaml: str, *, shutdown_grace: str = "10s", max_body: str = "1MiB") -> str:
    return ("server:\n"
            "  host: 127.0.0.1\n"
            "  port: 0\n"
            "  io_threads: 2\n"
            f"  max_body_bytes: {max_body}\n"
            "  idle_timeout: 60s\n"
            f"  shutdown_grace: {shutdown_grace}\n"
            f"models_dir: {_yaml_str(MODELS)}\n"
            "memory_budget: 4GiB\n"
            "models:\n" + models_yaml)


class ServerProcess:
    """One running switchyard: its port, its access log (stdout JSON lines) and its stderr."""

    def __init__(self, config_path: Path):
        self.config_path = config_path
        self.access_log: list[dict] = []
        self.stderr_lines: list[str] = []
        self._log_lock = threading.Lock()
        self._listening = threading.Event()
        self.host = "127.0.0.1"
        self.port = 0
        env = dict(os.environ)
        env.pop("SWITCHYARD_LLAMA_LOG", None)
        self.proc = subprocess.Popen([str(BINARY), "--config", str(config_path), "serve", "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=str(ROOT))
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        if not self._listening.wait(30):
            self.proc.kill()
            raise RuntimeError("switchyard did not report a listening port:\n" + self.stderr_text())
        self._wait_healthy()

    def _read_stdout(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").strip()
            if not line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                entry = {"unparsed": line}
            with self._log_lock:
                self.access_log.append(entry)
            if os.environ.get("SWITCHYARD_E2E_ECHO"):
                print(f"[switchyard:{self.port}] {line}", file=sys.__stderr__, flush=True)

    def _read_stderr(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.stderr_lines.append(line)
            if os.environ.get("SWITCHYARD_E2E_ECHO"):
                print(f"[switchyard:{self.port}] {line}", file=sys.__stderr__, flush=True)
            m = LISTEN_RE.search(line)
            if m and not self._listening.is_set():
                self.host, self.port = m.group(1), int(m.group(2))
                self._listening.set()

    def _wait_healthy(self, timeout: float = 20):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                status, _, body = self.request("GET", "/health", timeout=2)
                if status == 200 and json.loads(body).get("status") == "ok":
                    return
                last = (status, body)
            except OSError as e:
                last = e
            time.sleep(0.1)
        raise RuntimeError(f"/health never became ok: {last!r}\n{self.stderr_text()}")

    # ---- helpers -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def client(self, **kw) -> openai.OpenAI:
        kw.setdefault("timeout", 120)
        kw.setdefault("max_retries", 0)  # retries would hide 429/500 answers
        return openai.OpenAI(base_url=self.base_url, api_key="unused", **kw)

    def request(self, method: str, path: str, body: bytes | str | dict | None = None,
                headers: dict | None = None, timeout: float = 60):
        """Raw HTTP request; returns (status, headers dict with lower-case keys, body bytes)."""
        if isinstance(body, dict):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            hdrs = {"Content-Type": "application/json"} if body is not None else {}
            hdrs.update(headers or {})
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def metrics(self) -> str:
        status, _, body = self.request("GET", "/metrics", timeout=10)
        assert status == 200
        return body.decode()

    def metric(self, name: str, labels: dict[str, str]) -> float | None:
        """Value of one sample from /metrics, or None when absent."""
        want = ",".join(f'{k}="{v}"' for k, v in labels.items())
        for line in self.metrics().splitlines():
            if line.startswith(f"{name}{{{want}}} "):
                return float(line.rsplit(" ", 1)[1])
        return None

    def wait_log(self, pred, count: int = 1, timeout: float = 10) -> list[dict]:
        """Access-log entries matching pred, once at least `count` of them are there (the server writes
        its access log in batches, a few ms after each response)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._log_lock:
                found = [e for e in self.access_log if pred(e)]
            if len(found) >= count or time.monotonic() >= deadline:
                return found
            time.sleep(0.02)

    def log_entry(self, request_id: str, timeout: float = 10) -> dict:
        """The access-log line of one request (they are written when the request ends)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._log_lock:
                for e in self.access_log:
                    if e.get("id") == request_id:
                        return e
            time.sleep(0.05)
        raise AssertionError(f"no access-log line for {request_id}; log: {self.access_log[-5:]}")

    def stderr_text(self) -> str:
        return "\n".join(self.stderr_lines)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM and wait; returns the exit status (kills and fails if it hangs)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise AssertionError(f"switchyard did not exit within {timeout}s of SIGTERM\n{self.stderr_text()}")


def open_stream(server: ServerProcess, path: str, payload: dict, timeout: float = 60) -> tuple[socket.socket, bytes]:
    """Sends a streaming POST over a raw socket and returns (socket, bytes read so far: headers and maybe data)."""
    body = json.dumps(payload).encode()
    sock = socket.create_connection((server.host, server.port), timeout=timeout)
    sock.sendall(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed before headers: {buf!r}")
        buf += chunk
    return sock, buf


def read_until(sock: socket.socket, buf: bytes, pred, timeout: float = 60) -> bytes:
    """Reads from sock, appending to buf, until pred(buf) or EOF; returns buf."""
    deadline = time.monotonic() + timeout
    while not pred(buf):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting on stream; got {buf[-500:]!r}")
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf


def sse_events(raw: bytes) -> list[str]:
    """The `data:` payloads of an SSE body (chunked transfer framing tolerated)."""
    return [m.group(1).decode() for m in re.finditer(rb"^data: (.*?)\r?$", raw, re.M)]


def header_value(raw_head: bytes, name: str) -> str | None:
    head = raw_head.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    for line in head.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            return v.strip()
    return None


def error_of(exc: openai.APIStatusError) -> dict:
    """The inner {"message","type","param","code"} object of an API error."""
    body = exc.body
    if isinstance(body, dict) and "error" in body and isinstance(body["error"], dict):
        body = body["error"]
    assert isinstance(body, dict), f"error body is not an object: {body!r}"
    return body


@pytest.fixture(scope="session")
def broken_model_files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("broken-models")
    random_file = d / "random.gguf"
    random_file.write_bytes(os.urandom(64 * 1024))
    if random_file.read_bytes()[:4] == b"GGUF":  # astronomically unlikely, but keep the case honest
        random_file.write_bytes(b"XXXX" + random_file.read_bytes()[4:])
    fake_gguf = d / "fake.gguf"
    fake_gguf.write_bytes(b"GGUF" + os.urandom(64 * 1024))
    return {"missing": d / "does-not-exist.gguf", "random": random_file, "fake_gguf": fake_gguf}


@pytest.fixture(scope="session")
def start_server(tmp_path_factory):
    """Factory: start_server(yaml_text) -> ServerProcess; every server is stopped at session end."""
    started: list[ServerProcess] = []

    def start(yaml_text: str) -> ServerProcess:
        d = tmp_path_factory.mktemp("switchyard")
        cfg = d / "switchyard.yaml"
        cfg.write_text(yaml_text)
        srv = ServerProcess(cfg)
        started.append(srv)
        return srv

    yield start
    for srv in started:
        if srv.alive():
            srv.stop()


@pytest.fixture(scope="session")
def server(tmp_path_factory, broken_model_files) -> ServerProcess:
    assert BINARY.exists(), f"{BINARY} is not built (ninja -C build)"
    for f in (CHAT_FILE, EMBED_FILE, TEMPLATE):
        assert f.exists(), f"missing {f}"
    models = chat_model_yaml() + embed_model_yaml()
    for name, path in (("broken-missing", broken_model_files["missing"]),
                       ("broken-random", broken_model_files["random"]),
                       ("broken-fake-gguf", broken_model_files["fake_gguf"])):
        models += f"  - name: {name}\n    file: {_yaml_str(path)}\n    chat_template: {_yaml_str(TEMPLATE)}\n"
    d = tmp_path_factory.mktemp("main-server")
    cfg = d / "switchyard.yaml"
    cfg.write_text(config_yaml(models))
    srv = ServerProcess(cfg)
    yield srv
    rc = srv.stop(timeout=20)
    assert rc == 0, f"switchyard exited with {rc} after SIGTERM\n{srv.stderr_text()}"


@pytest.fixture(scope="session")
def client(server) -> openai.OpenAI:
    return server.client()


# ---- routing: a gateway with two real tiers and a fault-injecting upstream -------------------

sys.path.insert(0, str(ROOT / "tests" / "support"))
from pg_server import PgServer, pg_bin_dir  # noqa: E402  (tests/support is not a package)


@pytest.fixture(scope="module")
def pg():
    """A throwaway PostgreSQL server (tests/support/pg_server.py) per test module: a module that
    restarts it (test_postgres.py) leaves the others alone. Modules using it skip when
    `pg_bin_dir()` is None."""
    root = Path(tempfile.mkdtemp(prefix="sy-pg-"))
    server = PgServer(root)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


FAULT_UPSTREAM = ROOT / "tests" / "support" / "fault_upstream.py"
# Named API keys of the gateway (values go to the environment, never into the config file).
GATEWAY_KEYS = {"alice": "sk-e2e-alice", "bob": "sk-e2e-bob", "carol": "sk-e2e-carol", "dave": "sk-e2e-dave"}
LARGE_PRICE = {"input": 1.0, "output": 2.0}   # USD per 1M tokens charged for the "large" tier


class FaultUpstream:
    """tests/support/fault_upstream.py (fault injection only): see that file for behaviours."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, str(FAULT_UPSTREAM), "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.port = int(self.proc.stdout.readline().decode().strip())
        self.base_url = f"http://127.0.0.1:{self.port}/v1"

    def requests(self) -> list[dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", "/__requests")
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def stop(self):
        self.proc.kill()
        self.proc.wait(5)


@pytest.fixture(scope="session")
def fault_upstream():
    up = FaultUpstream()
    yield up
    up.stop()


@pytest.fixture(scope="session")
def upstream_server(start_server) -> ServerProcess:
    """A second Switchyard process: the gateway's "large" remote tier, reached over real HTTP.

    The registries carry no larger chat model than Gemma 3 270M that is complete (the 7B
    DeepSeek split package publishes 2 of its ~48 parts), so this tier serves the same model in
    another process: routing, pricing, failover and privacy behave exactly as with a bigger one.
    """
    return start_server(config_yaml(chat_model_yaml(parallel=4, aliases=("large",))))


def gateway_yaml(upstream_url: str, fault_url: str, log_path: Path) -> str:
    keys = "".join(
        f"    - {{name: {name}, key_env: SWITCHYARD_E2E_KEY_{name.upper()}{extra}}}\n"
        for name, extra in (("alice", ", role: admin"), ("bob", ", local_only: true"), ("carol", ", spend_limit: 0"),
                            ("dave", ", spend_limit: 0.000025")))
    return config_yaml(chat_model_yaml(parallel=4) + embed_model_yaml()).replace(
        "  shutdown_grace:", "  api_keys:\n" + keys + "  shutdown_grace:") + f"""
log: {{path: {_yaml_str(log_path)}, content: true}}
providers:
  - name: big
    base_url: {upstream_url}
    models: {{large: {CHAT_MODEL}}}
    price: {{input: {LARGE_PRICE['input']}, output: {LARGE_PRICE['output']}}}
    retries: 1
  - name: faults
    base_url: {fault_url}
    retries: 1
  - name: flaky                   # its own breaker, so tripping it leaves "faults" alone
    base_url: {fault_url}
    retries: 1
    circuit_breaker: {{failures: 4, cooldown: 60s}}
routes:
  - name: auto
    tiers:
      - {{name: small, model: {CHAT_MODEL}}}
      - {{name: large, provider: big, model: large}}
    rules:
      - {{name: proofs, regex: "\\\\b(prove|derive)\\\\b", tier: large}}
      - {{name: triage, task: classify, tier: small}}
    feedback: {{window: 4, min_ratings: 2, max_down_rate: 0.5}}
  - name: cascade
    tiers:
      - {{name: small, model: {CHAT_MODEL}}}
      - {{name: large, provider: big, model: large}}
    cascade: {{min_mean_logprob: -0.000001, max_escalations: 1}}
  - name: verified
    tiers:
      - {{name: small, model: {CHAT_MODEL}}}
      - {{name: large, provider: big, model: large}}
    cascade: {{max_escalations: 1, verifier: {{provider: big, model: large}}}}
  - name: redacted
    redact_pii: true
    tiers: [{{name: remote, provider: faults, model: "echo#pii"}}]
  - name: mixed
    tiers:
      - {{name: remote, provider: faults, model: "echo#mixed"}}
      - {{name: small, model: {CHAT_MODEL}}}
  - name: large-only
    tiers: [{{name: large, provider: big, model: large}}]
  - name: remote-only
    tiers: [{{name: remote, provider: faults, model: "echo#remote-only"}}]
  - name: failover
    tiers:
      - {{name: flaky, provider: flaky, model: "fail500#failover"}}
      - {{name: small, model: {CHAT_MODEL}}}
  - name: retry
    tiers: [{{name: remote, provider: faults, model: "fail500-then-ok:1#retry"}}]
  - name: midstream
    tiers:
      - {{name: remote, provider: faults, model: "drop-mid-stream#mid"}}
      - {{name: small, model: {CHAT_MODEL}}}
"""


@pytest.fixture(scope="session")
def gateway(tmp_path_factory, upstream_server, fault_upstream) -> ServerProcess:
    for name, key in GATEWAY_KEYS.items():
        os.environ[f"SWITCHYARD_E2E_KEY_{name.upper()}"] = key
    d = tmp_path_factory.mktemp("gateway")
    cfg = d / "switchyard.yaml"
    cfg.write_text(gateway_yaml(upstream_server.base_url, fault_upstream.base_url, d / "log.db"))
    srv = ServerProcess(cfg)
    srv.db_path = d / "log.db"
    yield srv
    if srv.alive():
        assert srv.stop(timeout=20) == 0, srv.stderr_text()


def gateway_client(gateway: ServerProcess, key: str = "alice", **kw) -> openai.OpenAI:
    kw.setdefault("timeout", 120)
    kw.setdefault("max_retries", 0)
    return openai.OpenAI(base_url=gateway.base_url, api_key=GATEWAY_KEYS[key], **kw)
