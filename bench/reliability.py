#!/usr/bin/env python3
"""Load and fault runs for Switchyard: is it still serving, is every answered request logged,
is the log intact? Not timed tests: each scenario prints what it measured, for bench/RESULTS.md.

  bench/reliability.py load      [--seconds 60] [--rates 500,1000,2000,4000]
        find the highest rate (open loop, bench/loadgen) that a route to bench/instant_upstream
        sustains with 0 errors, then hold it for --seconds; RSS and open fds before and after
  bench/reliability.py soak      [--minutes 10] [--model FILE]
        mixed streaming and non-streaming local generation (2 clients); RSS and fds sampled
  bench/reliability.py faults    upstream killed mid-stream, upstream hanging, upstream sending
        garbage, client disconnecting mid-stream (tests/support/fault_upstream.py, a fake FOR
        FAULT INJECTION ONLY)
  bench/reliability.py diskfull  the SQLite log on a 1 MiB tmpfs (needs root for mount) fills up
  bench/reliability.py kill      SIGKILL of the server under load, then a restart on the same log
        (which replays the request-log journal): every 2xx answered before the kill must be logged

Every scenario ends by checking that the server answers /health, that every request answered
2xx (by its x-request-id) is in the request log, and `PRAGMA integrity_check` on the log.
Needs build/switchyard, build/bench/{instant_upstream,loadgen}, models/ for soak. Stdlib only.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_procs import free_port, stop_processes

ROOT = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("SWITCHYARD_BUILD", ROOT / "build"))
FAULT_UPSTREAM = ROOT / "tests" / "support" / "fault_upstream.py"
LISTEN_RE = re.compile(r"switchyard: listening on http://([^:\s]+):(\d+)")
MSG = [{"role": "user", "content": "Say hi."}]


def say(*a) -> None:
    print(*a, flush=True)


class Server:
    """build/switchyard serve on a free port, with its stderr kept for the report."""

    def __init__(self, config: Path):
        self.config = config
        self.stderr: list[str] = []
        self.port = 0
        self.start()

    def start(self) -> None:
        self.stderr.clear()
        ready = threading.Event()
        self.proc = subprocess.Popen([str(BUILD / "switchyard"), "--config", str(self.config), "serve", "--port", "0"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

        def read():
            for line in self.proc.stderr:
                self.stderr.append(line.rstrip())
                m = LISTEN_RE.search(line)
                if m:
                    self.port = int(m.group(2))
                    ready.set()
        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(60):
            raise RuntimeError("switchyard did not start:\n" + "\n".join(self.stderr[-20:]))

    def proc_status(self, key: str) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        return -1

    def rss_kib(self) -> int:
        return self.proc_status("VmRSS")

    def fds(self) -> int:
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        stop_processes([self.proc], grace=30)


class Upstream:
    """tests/support/fault_upstream.py on a fixed port, so it can be killed and restarted there."""

    def __init__(self, port: int = 0):
        self.port = port or free_port()
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, str(FAULT_UPSTREAM), "--port", str(self.port)],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.proc.stdout.readline()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()


def request(port: int, method: str, path: str, body: dict | None = None, timeout: float = 60,
            stream: bool = False) -> tuple[int, dict, str]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, json.dumps(body) if body is not None else None,
                  {"Content-Type": "application/json"} if body is not None else {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode(errors="replace")
    finally:
        c.close()


def chat(port: int, model: str, stream: bool = False, timeout: float = 60, **extra) -> tuple[int, dict, str]:
    return request(port, "POST", "/v1/chat/completions", {"model": model, "messages": MSG, "stream": stream, **extra},
                   timeout=timeout)


def healthy(port: int) -> bool:
    try:
        return request(port, "GET", "/health", timeout=10)[0] == 200
    except OSError:
        return False


def log_check(db: Path, answered: list[str]) -> dict:
    """Which answered (2xx) request ids are missing from the log, and PRAGMA integrity_check."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        ids = {r[0] for r in con.execute("SELECT id FROM requests")}
        rows = len(ids)
    finally:
        con.close()
    missing = [i for i in answered if i not in ids]
    return {"integrity": integrity, "rows": rows, "answered_2xx": len(answered), "missing": len(missing),
            "missing_ids": missing[:5]}


def write_config(work: Path, body: str) -> Path:
    cfg = work / "switchyard.yaml"
    cfg.write_text(f"""server: {{host: 127.0.0.1, port: 0, io_threads: 1, shutdown_grace: 5s}}
models_dir: {json.dumps(str(ROOT / 'models'))}
log: {{path: {json.dumps(str(work / 'log.db'))}}}
""" + body)
    return cfg


def remote_config(up_port: int, routes: dict[str, str], timeout: str = "5s", concurrency: int = 256) -> str:
    """A provider at the upstream and one single-tier route per upstream model name."""
    lines = ["models:", "  - {name: local, file: SmolLM2-135M-Instruct.Q4_1.gguf}",
             "providers:",
             f"  - {{name: up, base_url: \"http://127.0.0.1:{up_port}/v1\", timeout: {timeout}, retries: 0,"
             f" max_concurrency: {concurrency}, circuit_breaker: {{failures: 1000, cooldown: 1s}}}}",
             "routes:"]
    for name, upstream_model in routes.items():
        lines.append(f"  - {{name: {name}, tiers: [{{name: remote, provider: up, model: {json.dumps(upstream_model)}}}]}}")
    return "\n".join(lines) + "\n"


def loadgen(port: int, body_file: Path, rps: int, seconds: float, connections: int = 32) -> dict:
    out = subprocess.run([str(BUILD / "bench" / "loadgen"), "--url", f"http://127.0.0.1:{port}/v1/chat/completions",
                          "--body", str(body_file), "--rps", str(rps), "--seconds", str(seconds), "--warmup", "1",
                          "--connections", str(connections)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def count_rows(db: Path) -> int:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute("SELECT count(*) FROM requests WHERE status = 200").fetchone()[0]
    finally:
        con.close()


# --- scenarios -------------------------------------------------------------------------------

def scenario_load(args, work: Path) -> dict:
    up = subprocess.Popen([str(BUILD / "bench" / "instant_upstream"), "0"], stdout=subprocess.PIPE, text=True)
    up_port = int(up.stdout.readline())
    server = Server(write_config(work, remote_config(up_port, {"bench": "instant"})))
    body = work / "body.json"
    body.write_text(json.dumps({"model": "bench", "messages": MSG, "max_tokens": 8}))
    try:
        loadgen(server.port, body, 200, 2)  # warm up connections and the route
        best = 0
        for rps in [int(r) for r in args.rates.split(",")]:
            r = loadgen(server.port, body, rps, 5)
            ok = r["errors"] == 0 and r["achieved_rps"] >= 0.97 * rps
            say(f"  ramp {rps:>6} rps: achieved {r['achieved_rps']:.0f}, p99 {r['p99_us'] / 1000:.1f} ms, "
                f"errors {r['errors']} -> {'sustained' if ok else 'not sustained'}")
            if not ok:
                break
            best = rps
        if best == 0:
            return {"error": "no rate was sustained"}
        time.sleep(2)
        rss0, fds0 = server.rss_kib(), server.fds()
        rows0 = count_rows(work / "log.db")
        r = loadgen(server.port, body, best, args.seconds)
        time.sleep(2)  # the log writer commits every 200 ms; idle keep-alive sockets of loadgen are closed
        rss1, fds1 = server.rss_kib(), server.fds()
        rows1 = count_rows(work / "log.db")
        sent_incl_warmup = r["sent"] + int(best * 1)  # loadgen also sends 1 s of warm-up it does not count
        res = {"rate": best, "seconds": args.seconds, **{k: r[k] for k in ("sent", "ok", "errors", "achieved_rps")},
               "p50_ms": r["p50_us"] / 1000, "p99_ms": r["p99_us"] / 1000, "max_ms": r["max_us"] / 1000,
               "rss_mib_before": rss0 / 1024, "rss_mib_after": rss1 / 1024, "fds_before": fds0, "fds_after": fds1,
               "log_rows_added_200": rows1 - rows0, "requests_incl_warmup": sent_incl_warmup,
               "healthy_after": healthy(server.port)}
        res["log"] = log_check(work / "log.db", [])
        return res
    finally:
        server.stop()
        up.kill()


def scenario_soak(args, work: Path) -> dict:
    model = args.model
    server = Server(write_config(work, f"""models:
  - {{name: soak, file: {json.dumps(model)}, context_size: 1024, parallel: 2, threads: 1, keep_alive: 10m,
     sampling: {{max_tokens: 16, temperature: 0.7}}}}
"""))
    answered: list[str] = []
    errors: list[str] = []
    stop = time.monotonic() + args.minutes * 60
    lock = threading.Lock()

    def client(streaming_first: bool):
        k = 0
        while time.monotonic() < stop:
            stream = (k % 2 == 0) == streaming_first
            k += 1
            try:
                st, h, text = chat(server.port, "soak", stream=stream, timeout=120, max_tokens=16)
                with lock:
                    if st == 200 and (not stream or "[DONE]" in text):
                        answered.append(h.get("x-request-id", ""))
                    else:
                        errors.append(f"{st} {text[:120]}")
            except OSError as e:
                with lock:
                    errors.append(repr(e))
    samples = []
    threads = [threading.Thread(target=client, args=(b,)) for b in (True, False)]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    while any(t.is_alive() for t in threads):
        samples.append((round(time.monotonic() - t0), server.rss_kib(), server.fds(), len(answered)))
        say(f"  t={samples[-1][0]:>4}s rss {samples[-1][1] / 1024:.1f} MiB, fds {samples[-1][2]}, answered {samples[-1][3]}")
        for t in threads:
            t.join(timeout=30 / len(threads))
    time.sleep(1)
    samples.append((round(time.monotonic() - t0), server.rss_kib(), server.fds(), len(answered)))
    try:
        warm = [s for s in samples if s[0] >= 60] or samples
        res = {"minutes": args.minutes, "model": Path(model).name, "answered": len(answered), "errors": len(errors),
               "error_examples": errors[:3], "rss_mib_first_warm": warm[0][1] / 1024, "rss_mib_last": samples[-1][1] / 1024,
               "rss_mib_max": max(s[1] for s in samples) / 1024, "fds_first": samples[0][2], "fds_last": samples[-1][2],
               "fds_max": max(s[2] for s in samples), "healthy_after": healthy(server.port)}
    finally:
        server.stop()
    res["log"] = log_check(work / "log.db", [i for i in answered if i])
    return res


def scenario_faults(args, work: Path) -> dict:
    up = Upstream()
    server = Server(write_config(work, remote_config(up.port, {
        "r-ok": "ok", "r-trickle": "trickle:300", "r-hang": "slow:60", "r-garbage": "malformed",
        "r-drop": "drop-mid-stream"}, timeout="3s")))
    answered: list[str] = []
    out: dict = {}

    def ok_request(tag: str) -> bool:
        st, h, _ = chat(server.port, "r-ok", timeout=30)
        if st == 200:
            answered.append(h["x-request-id"])
        out[f"{tag}: next request"] = st
        return st == 200

    try:
        ok_request("baseline")
        fds0 = server.fds()
        # 1. The upstream process is SIGKILLed while a stream is in flight.
        c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        c.request("POST", "/v1/chat/completions", json.dumps({"model": "r-trickle", "messages": MSG, "stream": True}),
                  {"Content-Type": "application/json"})
        r = c.getresponse()
        first = r.readline()
        up.kill()
        t0 = time.monotonic()
        rest = r.read().decode(errors="replace")
        c.close()
        out["upstream killed mid-stream"] = {"status": r.status, "first_line": first.decode()[:60].strip(),
                                             "ended_after_s": round(time.monotonic() - t0, 2),
                                             "error_event": '"error"' in rest, "done": "[DONE]" in rest}
        st, _, text = chat(server.port, "r-ok", timeout=30)
        out["upstream down: status"] = st
        out["upstream down: message"] = text[:160]
        up.start()
        time.sleep(1.5)  # the breaker cooldown is 1 s
        ok_request("upstream restarted")
        # 2. The upstream accepts and never answers: the provider timeout (3 s) ends the request,
        #    and other requests go on meanwhile.
        hang: dict = {}

        def hanging():
            t = time.monotonic()
            st, _, text = chat(server.port, "r-hang", timeout=120)
            hang.update(status=st, seconds=round(time.monotonic() - t, 2), message=text[:160])
        th = threading.Thread(target=hanging)
        th.start()
        time.sleep(0.5)
        t = time.monotonic()
        ok_request("while upstream hangs")
        out["while upstream hangs: ok latency s"] = round(time.monotonic() - t, 2)
        th.join()
        out["upstream hanging"] = hang
        # 3. Garbage: a data line that is not JSON, streamed and not; a stream dropped half way.
        for model, stream in (("r-garbage", True), ("r-garbage", False), ("r-drop", True), ("r-drop", False)):
            st, _, text = chat(server.port, model, stream=stream, timeout=30)
            out[f"{model} stream={stream}"] = {"status": st, "error_event": '"error"' in text if stream else None,
                                                "done": "[DONE]" in text if stream else None, "body": text[-160:]}
        ok_request("after garbage")
        # 4. Clients that disconnect mid-stream, 20 of them; the server must free what they held.
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", server.port))
            body = json.dumps({"model": "r-trickle", "messages": MSG, "stream": True}).encode()
            s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            s.recv(200)
            s.close()
        time.sleep(3)
        out["after 20 client disconnects: fds before/after"] = [fds0, server.fds()]
        ok_request("after disconnects")
        out["healthy_after"] = healthy(server.port)
        out["server alive"] = server.alive()
    finally:
        server.stop()
        up.kill()
    out["log"] = log_check(work / "log.db", answered)
    return out


def scenario_diskfull(args, work: Path) -> dict:
    mnt = work / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], check=True)
    up = subprocess.Popen([str(BUILD / "bench" / "instant_upstream"), "0"], stdout=subprocess.PIPE, text=True)
    up_port = int(up.stdout.readline())
    cfg = write_config(work, remote_config(up_port, {"bench": "instant"}))
    cfg.write_text(cfg.read_text().replace(json.dumps(str(work / "log.db")), json.dumps(str(mnt / "log.db"))))
    # A big prompt so that each row is large (content logging on) and the 1 MiB fills quickly.
    cfg.write_text(cfg.read_text().replace("log: {path:", "log: {content: true, path:"))
    server = Server(cfg)
    answered: list[str] = []
    statuses: dict[int, int] = {}
    try:
        for i in range(400):
            st, h, _ = chat(server.port, "bench", timeout=30, messages=[{"role": "user", "content": f"{i} " + "x" * 8000}])
            statuses[st] = statuses.get(st, 0) + 1
            if st == 200:
                answered.append(h["x-request-id"])
        time.sleep(1)
        df = subprocess.run(["df", "-k", str(mnt)], capture_output=True, text=True).stdout.splitlines()[-1].split()
        res = {"requests": 400, "statuses": statuses, "fs_used_kib": int(df[2]), "fs_size_kib": int(df[1]),
               "server alive": server.alive(), "healthy": healthy(server.port)}
        # Space comes back: the queued entries are written and requests are accepted again.
        subprocess.run(["mount", "-o", "remount,size=16m", str(mnt)], check=True)
        time.sleep(2.5)
        after = []
        for i in range(5):
            st, h, _ = chat(server.port, "bench", timeout=30)
            after.append(st)
            if st == 200:
                answered.append(h["x-request-id"])
        res["after space is freed"] = after
        res["stderr (log messages)"] = [l for l in server.stderr if "log" in l.lower()][:4]
        server.stop()
        res["exit code"] = server.proc.returncode
        lc = log_check(mnt / "log.db", answered)
        lc.pop("missing_ids")
        res["log"] = lc
        return res
    finally:
        server.stop()
        up.kill()
        subprocess.run(["umount", str(mnt)])


def scenario_kill(args, work: Path) -> dict:
    up = subprocess.Popen([str(BUILD / "bench" / "instant_upstream"), "0"], stdout=subprocess.PIPE, text=True)
    up_port = int(up.stdout.readline())
    server = Server(write_config(work, remote_config(up_port, {"bench": "instant"})))
    answered: list[str] = []
    failures = [0]
    lock = threading.Lock()
    stop = threading.Event()
    port = server.port

    def client():
        while not stop.is_set():
            try:
                st, h, _ = chat(port, "bench", timeout=10)
                if st == 200:
                    with lock:
                        answered.append(h["x-request-id"])
            except OSError:
                with lock:
                    failures[0] += 1
                time.sleep(0.05)
    threads = [threading.Thread(target=client) for _ in range(8)]
    try:
        for t in threads:
            t.start()
        time.sleep(args.kill_after)
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join()
        # Committed by the killed process; the rest of what it answered is in its journal.
        before_restart = log_check(work / "log.db", answered)
        before_restart.pop("missing_ids")
        server.start()   # replays the journal before it listens
        recovered = [line for line in server.stderr if "recovered from the journal" in line]
        after_restart = log_check(work / "log.db", answered)
        restarted_ok = chat(server.port, "bench", timeout=10)[0] == 200
        return {"killed after s": args.kill_after, "answered_2xx_before_kill": len(answered),
                "client errors (connection refused/reset)": failures[0],
                "log before restart (committed by the killed process)": before_restart,
                "journal replay": recovered[0] if recovered else "none",
                "log after restart": after_restart, "restart serves": restarted_ok}
    finally:
        stop.set()
        server.stop()
        up.kill()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario", choices=["load", "soak", "faults", "diskfull", "kill"])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--rates", default="500,1000,2000,4000,8000")
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--model", default=str(ROOT / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--kill-after", type=float, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix=f"sy-reliability-{args.scenario}-"))
    load = os.getloadavg()[0]
    res = globals()[f"scenario_{args.scenario}"](args, work)
    res["loadavg_1m_at_start"] = round(load, 1)
    res["cores"] = os.cpu_count()
    say(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
