#!/usr/bin/env python3
"""Scale-out on one machine: Switchyard replicas sharing one PostgreSQL, in front of a fleet of
three upstream endpoints (instant, slow, failing). Results go in bench/RESULTS.md.

  .venv/bin/python bench/scale_bench.py [--seconds 5] [--rps 600] [--out FILE]

Phases (each prints one JSON line and a Markdown table at the end):
  A. throughput and latency, one replica vs two (bench/loadgen, open loop, half the rate on each
     replica for two): achieved rate, p50/p99; errors must be 0 although one endpoint fails.
  B. a spend limit held across both replicas: 16 client threads spend concurrently on both until
     both answer 429; the overshoot over the limit is read from the database's spend counter.
  C. a replica killed mid-load (SIGKILL, then SIGTERM): a round-robin client that retries on the
     other replica; requests lost (no answer after retries) and log rows missing for answered ones.
  D. an endpoint killed mid-load: requests lost (the fleet fails over to the other endpoints).

Needs build/switchyard, build/bench/{instant_upstream,loadgen} and Debian's postgresql.
Uses only the Python standard library (tests/support/pg_server.py and fault_upstream.py).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = Path(os.environ.get("SWITCHYARD_BUILD", ROOT / "build"))  # build/switchyard, build/bench/*
sys.path.insert(0, str(ROOT / "tests" / "support"))
from pg_server import PgServer  # noqa: E402

FAULT = ROOT / "tests" / "support" / "fault_upstream.py"
KEY = "sk-bench-scale"
PRICE = 1000.0  # USD per 1M tokens: ~$0.01 per call, so a $2 limit is ~200 calls


def start_upstream(kind: str, port: int = 0) -> tuple[subprocess.Popen, int]:
    if kind == "instant":
        argv = [str(BUILD / "bench" / "instant_upstream"), str(port)]
    else:
        argv = [sys.executable, str(FAULT), "--port", str(port), "--behaviour", kind]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return p, int(p.stdout.readline().decode().strip())


class Replica:
    def __init__(self, config: Path, log: Path):
        self.log = open(log, "w")
        self.proc = subprocess.Popen([str(BUILD / "switchyard"), "--config", str(config), "serve", "--port", "0"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.port = 0
        for line in self.proc.stderr:
            self.log.write(line)
            m = re.search(r"listening on http://[^:\s]+:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        if not self.port:
            raise RuntimeError("replica did not start: see " + str(log))
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.proc.stderr:
            self.log.write(line)
            self.log.flush()

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(30)


def config_text(url: str, endpoints: list[str], limit: float, sync_ms: int) -> str:
    eps = ", ".join(f'"{e}"' for e in endpoints)
    return f"""server:
  host: 127.0.0.1
  port: 0
  io_threads: 1
  shutdown_grace: 10s
  api_keys:
    - {{name: bench, key_env: SWITCHYARD_BENCH_KEY, spend_limit: {limit}}}
models_dir: {json.dumps(str(ROOT / 'models'))}
models:
  - {{name: unused, file: gemma-3-270m-q4_k_m.gguf}}
store: {{kind: postgres, url: {json.dumps(url)}, pool_size: 2, sync_interval_ms: {sync_ms}}}
providers:
  - name: fleet
    endpoints: [{eps}]
    price: {{input: {PRICE}, output: {PRICE}}}
    retries: 2
    timeout: 10s
    circuit_breaker: {{failures: 3, cooldown: 2s}}
routes:
  - name: auto
    tiers: [{{name: remote, provider: fleet, model: "ok"}}]
"""


BODY = json.dumps({"model": "auto", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1})


def loadgen(port: int, body: Path, rps: float, seconds: float, connections: int = 16) -> dict:
    out = subprocess.run([str(BUILD / "bench" / "loadgen"), "--url", f"http://127.0.0.1:{port}/v1/chat/completions",
                          "--body", str(body), "--rps", str(rps), "--seconds", str(seconds), "--connections", str(connections),
                          "--warmup", "1", "--header", f"Authorization: Bearer {KEY}"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


class RoundRobinClient:
    """Closed-loop threads; each request goes to the next replica, and on a connection error or a
    5xx to the other one (up to 3 tries). Counts answers, 429s, and requests lost."""

    def __init__(self, ports: list[int], threads: int):
        self.ports = ports
        self.threads = threads
        self.ok = self.refused = self.lost = self.retried = 0
        self.ids: list[str] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.rr = 0

    def one(self, conns: dict) -> None:
        with self.lock:
            start = self.rr
            self.rr += 1
        for attempt in range(3):
            port = self.ports[(start + attempt) % len(self.ports)]
            try:
                c = conns.get(port) or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conns[port] = c
                c.request("POST", "/v1/chat/completions", BODY, {"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"})
                r = c.getresponse()
                data = r.read()
                if r.status == 200:
                    with self.lock:
                        self.ok += 1
                        self.retried += attempt > 0
                        self.ids.append(json.loads(data)["id"])
                    return
                if r.status == 429:
                    with self.lock:
                        self.refused += 1
                    return
            except (OSError, http.client.HTTPException):
                conns.pop(port, None)
        with self.lock:
            self.lost += 1

    def run(self, seconds: float, during=None) -> None:
        def worker():
            conns: dict = {}
            while not self.stop.is_set():
                self.one(conns)
        ts = [threading.Thread(target=worker) for _ in range(self.threads)]
        for t in ts:
            t.start()
        if during:
            during()
        time.sleep(seconds)
        self.stop.set()
        for t in ts:
            t.join()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--rps", type=float, default=600)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    os.environ["SWITCHYARD_BENCH_KEY"] = KEY
    work = Path(tempfile.mkdtemp(prefix="sy-scale-"))
    pg = PgServer(work)
    pg.start()
    ups = [start_upstream("instant"), start_upstream("slow:0.2"), start_upstream("fail500")]
    endpoints = [f"http://127.0.0.1:{port}/v1" for _, port in ups]
    results: dict = {"load": os.getloadavg()[0], "cores": os.cpu_count()}
    body = work / "body.json"
    body.write_text(BODY)
    replicas: list[Replica] = []

    def fresh(n: int, limit: float, sync_ms: int, db: str) -> list[Replica]:
        for r in replicas:
            r.stop()
        replicas.clear()
        pg.create_db(db)
        cfg = work / f"{db}.yaml"
        cfg.write_text(config_text(pg.url(db), endpoints, limit, sync_ms))
        replicas.extend(Replica(cfg, work / f"{db}-{i}.log") for i in range(n))
        return replicas

    try:
        # A: one vs two replicas.
        (one,) = fresh(1, 1e9, 500, "a1")
        a1 = loadgen(one.port, body, args.rps, args.seconds)
        a, b = fresh(2, 1e9, 500, "a2")
        outs: list = [None, None]
        ts = [threading.Thread(target=lambda i, r: outs.__setitem__(i, loadgen(r.port, body, args.rps / 2, args.seconds)), args=(i, r))
              for i, r in enumerate((a, b))]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        results["A"] = {"one": a1, "two": outs}
        print(json.dumps({"A": results["A"]}), flush=True)

        # B: a spend limit across both replicas.
        for sync_ms in (500, 100):
            limit = 2.0
            a, b = fresh(2, limit, sync_ms, f"b{sync_ms}")
            client = RoundRobinClient([a.port, b.port], 16)
            started = time.monotonic()
            client.run(0, during=lambda: until_refused(client, started))  # until both replicas refuse steadily
            elapsed = time.monotonic() - started
            time.sleep(1.0)
            total = float(pg.psql("SELECT COALESCE(SUM(amount), 0) FROM spend_daily WHERE api_key = 'bench'", f"b{sync_ms}"))
            calls = int(pg.psql("SELECT count(*) FROM spend_events", f"b{sync_ms}"))
            results[f"B{sync_ms}"] = {"limit": limit, "spent": round(total, 4), "overshoot": round(max(0.0, total - limit), 4),
                                      "calls": calls, "ok": client.ok, "refused": client.refused,
                                      "rate_per_s": round(client.ok / max(1e-9, elapsed), 1)}
            print(json.dumps({f"B{sync_ms}": results[f"B{sync_ms}"]}), flush=True)

        # C: a replica dies mid-load; the client retries on the other.
        for sig in (signal.SIGKILL, signal.SIGTERM):
            db = f"c{int(sig)}"
            a, b = fresh(2, 1e9, 500, db)
            client = RoundRobinClient([a.port, b.port], 8)
            client.run(args.seconds, during=lambda: threading.Timer(args.seconds / 2, lambda: b.stop(sig)).start())
            time.sleep(1.0)
            a.stop()
            ids = client.ids
            logged = int(pg.psql("SELECT count(*) FROM requests WHERE endpoint = '/v1/chat/completions' AND status = 200", db))
            results[f"C_{sig.name}"] = {"answered": client.ok, "retried": client.retried, "lost": client.lost,
                                        "logged": logged, "log_missing": client.ok - logged}
            print(json.dumps({f"C_{sig.name}": results[f"C_{sig.name}"]}), flush=True)

        # D: an endpoint dies mid-load.
        a, b = fresh(2, 1e9, 500, "d")
        client = RoundRobinClient([a.port, b.port], 8)
        client.run(args.seconds, during=lambda: threading.Timer(args.seconds / 2, lambda: ups[0][0].kill()).start())
        results["D"] = {"answered": client.ok, "lost": client.lost, "retried": client.retried}
        print(json.dumps({"D": results["D"]}), flush=True)
    finally:
        for r in replicas:
            r.stop()
        for p, _ in ups:
            p.kill()
        pg.stop()
    report = render(results, args)
    print(report)
    if args.out:
        args.out.write_text(report)
    return 0


def until_refused(client: "RoundRobinClient", started: float) -> None:
    while client.refused < 50 and time.monotonic() - started < 60:
        time.sleep(0.05)


def render(r: dict, args) -> str:
    a1, (a2x, a2y) = r["A"]["one"], r["A"]["two"]
    lines = [f"1-minute load average at start: {r['load']:.1f} on {r['cores']} cores", "",
             "| setup | achieved req/s | p50 ms | p99 ms | errors |", "|---|---|---|---|---|",
             f"| 1 replica, {args.rps:.0f} req/s offered | {a1['achieved_rps']:.0f} | {a1['p50_us']/1000:.1f} | {a1['p99_us']/1000:.1f} | {a1['errors']} |",
             f"| 2 replicas, {args.rps/2:.0f} req/s each | {a2x['achieved_rps'] + a2y['achieved_rps']:.0f} | "
             f"{max(a2x['p50_us'], a2y['p50_us'])/1000:.1f} | {max(a2x['p99_us'], a2y['p99_us'])/1000:.1f} | {a2x['errors'] + a2y['errors']} |",
             "", "| spend limit across 2 replicas | limit $ | spent $ | overshoot $ | priced calls | answered | refused (429) |",
             "|---|---|---|---|---|---|---|"]
    for k in ("B500", "B100"):
        b = r[k]
        lines.append(f"| sync every {k[1:]} ms | {b['limit']} | {b['spent']} | {b['overshoot']} | {b['calls']} | {b['ok']} | {b['refused']} |")
    lines += ["", "| failure mid-load | answered | retried on the other replica | lost | log rows missing |", "|---|---|---|---|---|"]
    for k in ("C_SIGKILL", "C_SIGTERM"):
        c = r[k]
        lines.append(f"| replica killed ({k[2:]}) | {c['answered']} | {c['retried']} | {c['lost']} | {c['log_missing']} |")
    d = r["D"]
    lines.append(f"| instant endpoint killed | {d['answered']} | {d['retried']} | {d['lost']} | - |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
