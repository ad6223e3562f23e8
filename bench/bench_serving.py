#!/usr/bin/env python3
"""Serving benchmark: Switchyard against llama.cpp's own llama-server, same model, same parameters.

One run starts both servers (same GGUF, chat template, context per sequence, parallel sequences,
batch size, threads), alternates every measurement between them so that drifting background load
hits both alike, and prints a side-by-side table with ratios (switchyard / llama-server).

Measured, per server:
  cold load      process start -> first streamed token of a first 1-token request (median of --cold-runs)
  TTFT           streamed chat, a ~400-token prompt, median; every request starts with a fresh random
                 number so neither server can reuse a cached prefix
  decode         single stream, greedy: (completion_tokens - 1) / (finish chunk - first token), median
  aggregate      tokens/s with N concurrent streams: all completion tokens / wall time of the round
  memory         VmRSS after warm-up and at the end, peak VmHWM, RssAnon (from /proc/PID/status)

Standard library only (http.client for SSE). See bench/README.md.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench_procs import free_port, stop_processes

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SEND_SEED = False  # --send-seed

# A base model loops on this kind of prompt instead of ending, so streams usually run to max_tokens.
DECODE_PROMPT = ("Write a very long story about a lighthouse keeper who finds a map in a bottle. "
                 "Describe every day of the journey in detail.")
# ~500 tokens of neutral text for time-to-first-token (prompt processing dominates).
TTFT_PASSAGE = " ".join(
    f"Section {i}: the committee reviewed the quarterly report, noted the delays in shipping, "
    f"agreed to revisit the budget for item {i * 7 % 13}, and asked for a summary by Friday."
    for i in range(1, 16)) + " Summarise the sections above in one sentence."


# ----------------------------------------------------------------------------------------------
# HTTP: one streamed chat completion
# ----------------------------------------------------------------------------------------------

@dataclass
class StreamResult:
    status: int = 0
    t_send: float = 0.0
    t_first: float | None = None     # first chunk carrying content (or the finish chunk if none did)
    t_finish: float | None = None    # chunk carrying finish_reason
    t_end: float = 0.0               # [DONE] / connection end
    completion_tokens: int = 0
    prompt_tokens: int = 0
    finish_reason: str | None = None
    text: str = ""
    error: str = ""

    @property
    def ttft(self) -> float:
        return self.t_first - self.t_send

    @property
    def decode_tps(self) -> float | None:
        if self.t_first is None or self.t_finish is None or self.completion_tokens < 2:
            return None
        dt = self.t_finish - self.t_first
        return (self.completion_tokens - 1) / dt if dt > 0 else None


def stream_chat(port: int, model: str, content: str, max_tokens: int, seed: int, timeout: float = 600) -> StreamResult:
    req = {
        "model": model,
        "messages": [{"role": "user", "content": content}],
        "max_tokens": max_tokens,
        "temperature": 0,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    # Greedy needs no seed, and a seed changes what is measured: Switchyard evaluates a seeded
    # request's whole prompt afresh (bit-exact repeatability, README "Determinism") while
    # llama-server still reuses the cached prefix (the chat template's system part).
    if SEND_SEED:
        req["seed"] = seed
    body = json.dumps(req).encode()
    r = StreamResult()
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        r.t_send = time.perf_counter()
        conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
        resp = conn.getresponse()
        r.status = resp.status
        if resp.status != 200:
            r.error = resp.read().decode(errors="replace")[:500]
            r.t_end = time.perf_counter()
            return r
        parts = []
        while True:
            line = resp.readline()
            if not line:
                break
            now = time.perf_counter()
            if not line.startswith(b"data:"):
                continue
            payload = line[5:].strip()
            if payload == b"[DONE]":
                break
            ev = json.loads(payload)
            if "error" in ev:
                r.error = json.dumps(ev["error"])[:500]
                continue
            usage = ev.get("usage")
            if usage:
                r.completion_tokens = usage.get("completion_tokens", 0)
                r.prompt_tokens = usage.get("prompt_tokens", 0)
            for ch in ev.get("choices") or []:
                c = (ch.get("delta") or {}).get("content")
                if c:
                    parts.append(c)
                    if r.t_first is None:
                        r.t_first = now
                if ch.get("finish_reason"):
                    r.finish_reason = ch["finish_reason"]
                    r.t_finish = now
                    if r.t_first is None:
                        r.t_first = now
        r.t_end = time.perf_counter()
        r.text = "".join(parts)
        if r.t_finish is None and not r.error:
            r.error = "stream ended without a finish_reason"
        return r
    finally:
        conn.close()


def check(r: StreamResult, what: str) -> StreamResult:
    if r.status != 200 or r.error or r.t_first is None:
        raise RuntimeError(f"{what}: HTTP {r.status} {r.error}")
    return r


# ----------------------------------------------------------------------------------------------
# Servers
# ----------------------------------------------------------------------------------------------

def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM, RssAnon, RssFile in bytes."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[k] = int(v.split()[0]) * 1024
    return out


def proc_cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class Server:
    name = ""
    model_name = ""

    def __init__(self, args, workdir: Path):
        self.args = args
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.log_path = workdir / f"{self.name}.log"
        self.starts = 0

    def command(self) -> list[str]:
        raise NotImplementedError

    def find_port(self) -> int | None:
        return self.port

    def start(self) -> float:
        """Starts the process; returns the perf_counter() just before the spawn."""
        self.starts += 1
        log = open(self.log_path, "a")
        log.write(f"\n===== start #{self.starts}: {' '.join(self.command())}\n")
        log.flush()
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=ROOT, env=self.env())
        log.close()
        return t0

    def env(self) -> dict:
        return dict(os.environ)

    def log_tail(self, n: int = 25) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def wait_first_token(self, t0: float, timeout: float = 300) -> float:
        """Polls until a 1-token request streams a token; returns seconds since t0."""
        deadline = t0 + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode} during start-up:\n{self.log_tail()}")
            port = self.find_port()
            if port is None:
                time.sleep(0.002)
                continue
            try:
                r = stream_chat(port, self.model_name, "Hello", 1, 1, timeout=timeout)
            except (ConnectionError, http.client.HTTPException, OSError):
                time.sleep(0.01)
                continue
            if r.status == 503:  # llama-server answers 503 while it loads
                time.sleep(0.01)
                continue
            check(r, f"{self.name} first request")
            return r.t_first - t0
        raise RuntimeError(f"{self.name} did not answer within {timeout}s:\n{self.log_tail()}")

    def stop(self):
        stop_processes([self.proc], grace=20)

    @property
    def pid(self) -> int:
        return self.proc.pid


class Switchyard(Server):
    name = "switchyard"
    model_name = "bench"

    def __init__(self, args, workdir):
        super().__init__(args, workdir)
        self.config = workdir / "switchyard-bench.yaml"
        a = args
        template_line = f"    chat_template: {json.dumps(str(Path(a.chat_template).resolve()))}\n" if a.chat_template else ""
        self.config.write_text(f"""# written by bench/bench_serving.py
server:
  host: {HOST}
  port: 8080
models_dir: {json.dumps(str(Path(a.model).resolve().parent))}
memory_budget: 64GiB
models:
  - name: bench
    file: {json.dumps(Path(a.model).name)}
{template_line}    context_size: {a.ctx}
    parallel: {a.parallel}
    batch_size: {a.batch}
    threads: {a.threads}
    gpu_layers: {a.gpu_layers}
    queue_limit: 64
    keep_alive: 24h
""")

    def command(self):
        return [self.args.switchyard, "--config", str(self.config), "serve", "--port", "0"]

    def start(self):
        self.port = None  # printed on stderr once it listens
        return super().start()

    def find_port(self):
        if self.port is None:
            try:
                m = re.search(r"listening on http://[^\s:/]+:(\d+)", self.log_path.read_text(errors="replace").rsplit("===== start", 1)[-1])
            except OSError:
                m = None
            if m:
                self.port = int(m.group(1))
        return self.port


class LlamaServer(Server):
    name = "llama-server"
    model_name = "bench"

    def command(self):
        a = self.args
        n_batch = max(a.batch, a.parallel)  # what Switchyard uses for n_batch and n_ubatch
        template = ["--chat-template-file", str(Path(a.chat_template).resolve())] if a.chat_template else []
        return [a.llama_server, "-m", str(Path(a.model).resolve()), "--alias", self.model_name, *template,
                "--host", HOST, "--port", str(self.port),
                "-c", str(a.ctx * a.parallel), "-np", str(a.parallel), "--no-kv-unified", "--swa-full",
                "-t", str(a.threads), "-tb", str(a.threads), "-b", str(n_batch), "-ub", str(n_batch),
                "-ngl", str(a.gpu_layers), "--fit", "off", "--no-webui",
                "-cram", str(a.llama_cache_ram)]

    def start(self):
        self.port = free_port()
        return super().start()

    def env(self) -> dict:
        # Switchyard runs ggml's OpenMP threads with a short spin (GOMP_SPINCOUNT=300,
        # engine/cpu_threads.h); llama-server gets the same, so the ratios compare the servers, not
        # libgomp's long default spin (bench_threads.py measures that). --llama-default-omp keeps
        # llama-server's own default.
        env = super().env()
        if not self.args.llama_default_omp and "OMP_WAIT_POLICY" not in env and "GOMP_SPINCOUNT" not in env:
            env["GOMP_SPINCOUNT"] = "300"
        return env


# ----------------------------------------------------------------------------------------------
# Measurements
# ----------------------------------------------------------------------------------------------

@dataclass
class Results:
    cold_s: list = field(default_factory=list)
    ttft_s: list = field(default_factory=list)
    ttft_prompt_tokens: list = field(default_factory=list)
    decode_tps: list = field(default_factory=list)
    decode_tokens: list = field(default_factory=list)
    decode_finish: list = field(default_factory=list)
    decode_texts: list = field(default_factory=list)
    agg: dict = field(default_factory=dict)         # concurrency -> [tokens/s per round]
    agg_tokens: dict = field(default_factory=dict)  # concurrency -> [completion tokens per stream]
    agg_ttft: dict = field(default_factory=dict)    # concurrency -> [ttft per stream]
    mem_warm: dict = field(default_factory=dict)
    mem_end: dict = field(default_factory=dict)
    idle_cpu_s: float = 0.0                         # CPU this server used while the other was measured
    cpu_s: dict = field(default_factory=dict)       # phase -> CPU seconds this server used during its own runs
    busy_wall_s: float = 0.0


def prompt(rng: random.Random, body: str) -> str:
    return f"[{rng.randrange(10**9):09d}] {body}"


def alternate(servers, i):
    """Order of servers for the i-th measurement: swaps every time."""
    return servers if i % 2 == 0 else servers[::-1]


class Bench:
    def __init__(self, args, servers):
        self.args = args
        self.servers = servers
        self.phase = "start"
        self.res = {s.name: Results() for s in servers}

    def measured(self, s: Server, fn):
        """Runs fn() for server s, charging the other servers' CPU during it as idle CPU."""
        others = [o for o in self.servers if o is not s and o.proc and o.proc.poll() is None]
        before = {o.name: proc_cpu_seconds(o.pid) for o in others}
        own = proc_cpu_seconds(s.pid)
        t = time.perf_counter()
        try:
            return fn()
        finally:
            self.res[s.name].busy_wall_s += time.perf_counter() - t
            # CPU time is steadier than wall time on a shared machine: outside load delays a
            # server but does not make it use more CPU (with a short OpenMP spin, little spinning).
            cpu = self.res[s.name].cpu_s
            cpu[self.phase] = cpu.get(self.phase, 0.0) + proc_cpu_seconds(s.pid) - own
            for o in others:
                self.res[o.name].idle_cpu_s += proc_cpu_seconds(o.pid) - before[o.name]

    def log(self, msg):
        print(msg, file=sys.stderr, flush=True)

    def cold_load(self):
        a = self.args
        model_bytes = Path(a.model).read_bytes()  # page cache warm for both: only the first start would pay disk I/O
        del model_bytes
        for i in range(a.cold_runs):
            for s in alternate(self.servers, i):
                t0 = s.start()
                dt = self.measured(s, lambda: s.wait_first_token(t0))
                self.res[s.name].cold_s.append(dt)
                self.log(f"  cold load {s.name}: {dt:.2f} s")
                if i + 1 < a.cold_runs:
                    s.stop()

    def warmup(self):
        for s in self.servers:
            check(self.measured(s, lambda: stream_chat(s.port, s.model_name, DECODE_PROMPT, 16, 1)), f"{s.name} warm-up")
            self.res[s.name].mem_warm = proc_status(s.pid)

    def ttft(self):
        a = self.args
        self.phase = "ttft"
        rng = random.Random(a.seed + 1)
        for i in range(a.ttft_runs):
            text = prompt(rng, TTFT_PASSAGE)
            for s in alternate(self.servers, i):
                r = check(self.measured(s, lambda: stream_chat(s.port, s.model_name, text, 4, a.seed)), f"{s.name} ttft")
                self.res[s.name].ttft_s.append(r.ttft)
                self.res[s.name].ttft_prompt_tokens.append(r.prompt_tokens)
        for s in self.servers:
            self.log(f"  ttft {s.name}: median {statistics.median(self.res[s.name].ttft_s) * 1000:.0f} ms")

    def decode(self):
        a = self.args
        self.phase = "decode"
        rng = random.Random(a.seed + 2)
        for i in range(a.decode_runs):
            text = prompt(rng, DECODE_PROMPT)
            for s in alternate(self.servers, i):
                r = check(self.measured(s, lambda: stream_chat(s.port, s.model_name, text, a.max_tokens, a.seed)), f"{s.name} decode")
                res = self.res[s.name]
                if r.decode_tps:
                    res.decode_tps.append(r.decode_tps)
                res.decode_tokens.append(r.completion_tokens)
                res.decode_finish.append(r.finish_reason)
                res.decode_texts.append(r.text)
        for s in self.servers:
            d = self.res[s.name].decode_tps
            self.log(f"  decode {s.name}: median {statistics.median(d) if d else float('nan'):.1f} tok/s")

    def concurrent_round(self, s: Server, texts: list[str]):
        a = self.args
        results: list[StreamResult | None] = [None] * len(texts)
        errors: list[BaseException] = []
        barrier = threading.Barrier(len(texts) + 1)

        def worker(k):
            try:
                barrier.wait()
                results[k] = stream_chat(s.port, s.model_name, texts[k], a.max_tokens, a.seed + k)
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(len(texts))]
        for t in threads:
            t.start()
        barrier.wait()
        t0 = time.perf_counter()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        for r in results:
            check(r, f"{s.name} concurrent stream")
        wall = max(r.t_end for r in results) - t0
        return sum(r.completion_tokens for r in results) / wall, results

    def aggregate(self):
        a = self.args
        rng = random.Random(a.seed + 3)
        for n in a.concurrency:
            self.phase = f"agg{n}"
            for i in range(a.agg_rounds):
                texts = [prompt(rng, DECODE_PROMPT) for _ in range(n)]
                for s in alternate(self.servers, i):
                    tps, results = self.measured(s, lambda: self.concurrent_round(s, texts))
                    res = self.res[s.name]
                    res.agg.setdefault(n, []).append(tps)
                    res.agg_tokens.setdefault(n, []).extend(r.completion_tokens for r in results)
                    res.agg_ttft.setdefault(n, []).extend(r.ttft for r in results)
            for s in self.servers:
                self.log(f"  {n} streams {s.name}: median {statistics.median(self.res[s.name].agg[n]):.1f} tok/s")

    def memory_end(self):
        for s in self.servers:
            self.res[s.name].mem_end = proc_status(s.pid)


# ----------------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------------

def med(xs):
    return statistics.median(xs) if xs else None


def mean(xs):
    return statistics.fmean(xs) if xs else None


def fmt(v, unit):
    if v is None:
        return "n/a"
    if unit == "ms":
        return f"{v * 1000:.0f} ms"
    if unit == "s":
        return f"{v:.2f} s"
    if unit == "MiB":
        return f"{v / 2**20:.0f} MiB"
    if unit == "tok/s":
        return f"{v:.1f} tok/s"
    if unit == "tok":
        return f"{v:.1f}"
    if unit == "" and isinstance(v, float):
        return f"{v:.2f}"
    return f"{v}"


def spread(xs, unit):
    if not xs or len(xs) < 2:
        return ""
    return f" ({fmt(min(xs), unit)}–{fmt(max(xs), unit)})".replace(" tok/s", "").replace(" ms", "").replace(" s", "")


def git_describe() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return rev + ("+dirty" if dirty else "")
    except OSError:
        return "?"


def report(args, bench: Bench, started: float) -> str:
    sy, ls = bench.res["switchyard"], bench.res["llama-server"]
    rows = []  # (metric, sy value, ls value, unit, better, sy raw list, ls raw list)

    def row(metric, a, b, unit, better, ra=None, rb=None):
        rows.append((metric, a, b, unit, better, ra or [], rb or []))

    row(f"cold load → first token (median of {args.cold_runs})", med(sy.cold_s), med(ls.cold_s), "s", "lower", sy.cold_s, ls.cold_s)
    ptoks = med(sy.ttft_prompt_tokens) or 0
    row(f"TTFT, {ptoks:.0f}-token prompt (median of {args.ttft_runs})", med(sy.ttft_s), med(ls.ttft_s), "ms", "lower", sy.ttft_s, ls.ttft_s)
    row(f"decode, 1 stream (median of {args.decode_runs})", med(sy.decode_tps), med(ls.decode_tps), "tok/s", "higher", sy.decode_tps, ls.decode_tps)
    for n in args.concurrency:
        row(f"aggregate, {n} streams (median of {args.agg_rounds})", med(sy.agg.get(n, [])), med(ls.agg.get(n, [])), "tok/s", "higher",
            sy.agg.get(n), ls.agg.get(n))
        row(f"  TTFT under {n} streams (median)", med(sy.agg_ttft.get(n, [])), med(ls.agg_ttft.get(n, [])), "ms", "lower")
    def per(r, phase, count):
        return r.cpu_s[phase] / count * 1000 if count and phase in r.cpu_s else None

    row("CPU per prompt token, TTFT runs (ms)", per(sy, "ttft", sum(sy.ttft_prompt_tokens)), per(ls, "ttft", sum(ls.ttft_prompt_tokens)), "", "lower")
    row("CPU per completion token, 1 stream (ms)", per(sy, "decode", sum(sy.decode_tokens)), per(ls, "decode", sum(ls.decode_tokens)), "", "lower")
    for n in args.concurrency:
        row(f"CPU per completion token, {n} streams (ms)", per(sy, f"agg{n}", sum(sy.agg_tokens.get(n, []))),
            per(ls, f"agg{n}", sum(ls.agg_tokens.get(n, []))), "", "lower")
    row("VmRSS after warm-up", sy.mem_warm.get("VmRSS"), ls.mem_warm.get("VmRSS"), "MiB", "lower")
    row("VmRSS at end", sy.mem_end.get("VmRSS"), ls.mem_end.get("VmRSS"), "MiB", "lower")
    row("  of which RssAnon (not the mmapped weights)", sy.mem_end.get("RssAnon"), ls.mem_end.get("RssAnon"), "MiB", "lower")
    row("peak VmHWM", sy.mem_end.get("VmHWM"), ls.mem_end.get("VmHWM"), "MiB", "lower")
    row(f"mean completion tokens, 1 stream (max {args.max_tokens})", mean(sy.decode_tokens), mean(ls.decode_tokens), "tok", "=")
    for n in args.concurrency:
        row(f"mean completion tokens, {n} streams", mean(sy.agg_tokens.get(n, [])), mean(ls.agg_tokens.get(n, [])), "tok", "=")

    out = []
    out.append("# Switchyard vs llama-server")
    out.append("")
    cpus = os.cpu_count()
    try:
        ver = subprocess.run([args.llama_server, "--version"], capture_output=True, text=True, timeout=30)
        ls_ver = next((l for l in (ver.stdout + ver.stderr).splitlines() if l.startswith("version")), "?")
    except (OSError, subprocess.TimeoutExpired):
        ls_ver = "?"
    out.append(f"- date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, host: {cpus} CPUs, 1-min load average "
               f"{args.load_at_start:.2f} at start, {os.getloadavg()[0]:.2f} at end (should be ~0 plus the benchmark)"
               f"{' (--quick)' if args.quick else ''}")
    out.append(f"- switchyard {git_describe()} ({args.switchyard}); llama-server {ls_ver}")
    out.append(f"- model {Path(args.model).name}, template {Path(args.chat_template).name if args.chat_template else 'the GGUF one'}; context {args.ctx}/sequence, "
               f"{args.parallel} parallel sequences, batch {max(args.batch, args.parallel)}, {args.threads} threads, "
               f"gpu_layers {args.gpu_layers}")
    out.append(f"- OpenMP wait policy: switchyard GOMP_SPINCOUNT=300 (its default); llama-server "
               f"{'libgomp default (long spin)' if args.llama_default_omp else 'GOMP_SPINCOUNT=300 (set by the benchmark)'}")
    out.append(f"- greedy (temperature 0), {'a seed' if args.send_seed else 'no seed'} in the requests, max_tokens {args.max_tokens}; llama-server prompt cache in RAM: "
               f"{'off' if args.llama_cache_ram == 0 else str(args.llama_cache_ram) + ' MiB'}")
    out.append(f"- total benchmark time {time.perf_counter() - started:.0f} s")
    out.append("")
    out.append("| metric | switchyard | llama-server | ratio sy/ls | better |")
    out.append("|---|---:|---:|---:|---|")
    for metric, a, b, unit, better, ra, rb in rows:
        ratio = f"{a / b:.2f}" if a is not None and b else "n/a"
        out.append(f"| {metric} | {fmt(a, unit)}{spread(ra, unit)} | {fmt(b, unit)}{spread(rb, unit)} | {ratio} | {better} |")
    out.append("")
    out.append("Ratios are switchyard / llama-server: for throughput higher is better for Switchyard; "
               "for TTFT, load time and memory lower is better. Ranges in parentheses are min–max over runs.")

    notes = []
    for name, r in bench.res.items():
        other = next(o for n, o in bench.res.items() if n != name)
        frac = r.idle_cpu_s / max(other.busy_wall_s, 1e-9)
        notes.append(f"{name} used {r.idle_cpu_s:.2f} CPU-s while idle during the other server's runs ({frac:.1%} of a core)"
                     + ("; that may have slowed the other one." if frac > 0.02 else "."))
    for name, r in bench.res.items():
        for label, xs in [("single-stream decode", r.decode_tps)] + [(f"{n}-stream aggregate", r.agg.get(n, [])) for n in args.concurrency]:
            m = med(xs)
            slow = [x for x in xs if m and x < 0.5 * m]
            if slow:
                notes.append(f"{name}: {len(slow)} of {len(xs)} {label} runs ran at under half the median "
                             f"({', '.join(f'{x:.1f}' for x in slow)} tok/s): stalls, most likely other load on the machine.")
    if args.load_at_start > 0.5:
        notes.append(f"the machine was busy when the run started (load average {args.load_at_start:.2f}): "
                     "numbers are noisy. ggml's threads meet at an OpenMP barrier per graph node, and a preempted thread "
                     "stalls decoding (seen on a busy 2-core box: both servers at <1 tok/s on the same requests).")
    st, lt = mean(sy.decode_tokens), mean(ls.decode_tokens)
    if st and lt and abs(st - lt) / max(st, lt) > 0.1:
        notes.append(f"mean completion tokens differ (switchyard {st:.1f}, llama-server {lt:.1f}): decode work is not comparable.")
    same = sum(1 for x, y in zip(sy.decode_texts, ls.decode_texts) if x == y)
    notes.append(f"identical greedy outputs on the single-stream runs: {same}/{min(len(sy.decode_texts), len(ls.decode_texts))} "
                 f"(small differences can come from batch-shape-dependent float rounding).")
    notes.append(f"finish reasons, 1 stream: switchyard {dict(sorted(_count(sy.decode_finish).items()))}, "
                 f"llama-server {dict(sorted(_count(ls.decode_finish).items()))}")
    out.append("")
    out.append("Notes:")
    out.extend(f"- {n}" for n in notes)
    return "\n".join(out) + "\n"


def _count(xs):
    d = {}
    for x in xs:
        d[str(x)] = d.get(str(x), 0) + 1
    return d


# ----------------------------------------------------------------------------------------------

def llama_build_dir() -> str | None:
    try:
        out = subprocess.run(["bash", "-c", "source scripts/llama-env.sh >/dev/null && echo \"$LLAMA_BUILD_DIR\""],
                             cwd=ROOT, capture_output=True, text=True, timeout=30).stdout.strip()
        return out or None
    except (OSError, subprocess.TimeoutExpired):
        return None


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="few runs and short outputs: a smoke test (~30 s on 2 quiet cores)")
    p.add_argument("--out", help="also write the results as Markdown to this file (e.g. bench/out/results.md)")
    p.add_argument("--switchyard", default=str(ROOT / "build" / "switchyard"))
    p.add_argument("--llama-server", default=None, help="default: $LLAMA_SERVER or $LLAMA_BUILD_DIR/bin/llama-server")
    p.add_argument("--model", default=str(ROOT / "models" / "gemma-3-270m-q4_k_m.gguf"))
    p.add_argument("--chat-template", default=str(ROOT / "templates" / "gemma3.jinja"),
                   help="Jinja chat template for both servers; '' = the GGUF's own")
    p.add_argument("--ctx", type=int, default=4096, help="context tokens per sequence")
    p.add_argument("--parallel", type=int, default=8, help="parallel sequences (slots)")
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--gpu-layers", type=int, default=0)
    p.add_argument("--llama-cache-ram", type=int, default=0,
                   help="llama-server --cache-ram MiB (default 0: off, as Switchyard has no host-RAM prompt cache)")
    p.add_argument("--send-seed", action="store_true",
                   help="send a seed with every request (Switchyard then reuses no cached prompt prefix; llama-server does)")
    p.add_argument("--llama-default-omp", action="store_true",
                   help="run llama-server with libgomp's default (long spin) wait policy instead of Switchyard's short spin")
    p.add_argument("--max-tokens", type=int, help="completion tokens per stream (default 256, quick 32)")
    p.add_argument("--decode-runs", type=int, help="single-stream runs per server (default 6, quick 2)")
    p.add_argument("--ttft-runs", type=int, help="TTFT runs per server (default 12, quick 3)")
    p.add_argument("--agg-rounds", type=int, help="rounds per concurrency level (default 3, quick 1)")
    p.add_argument("--cold-runs", type=int, help="cold starts per server (default 3, quick 1)")
    p.add_argument("--concurrency", default="4,8", help="comma-separated stream counts (default 4,8)")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--keep-logs", action="store_true", help="keep the servers' logs (always kept on failure)")
    a = p.parse_args(argv)
    q = a.quick
    for k, full, quick in (("max_tokens", 256, 32), ("decode_runs", 6, 2), ("ttft_runs", 12, 3),
                           ("agg_rounds", 3, 1), ("cold_runs", 3, 1)):
        if getattr(a, k) is None:
            setattr(a, k, quick if q else full)
    a.concurrency = [int(x) for x in a.concurrency.split(",") if x.strip()]
    if max(a.concurrency, default=1) > a.parallel:
        p.error(f"--concurrency {max(a.concurrency)} exceeds --parallel {a.parallel}: streams would queue")
    if a.llama_server is None:
        a.llama_server = os.environ.get("LLAMA_SERVER")
        if not a.llama_server:
            d = os.environ.get("LLAMA_BUILD_DIR") or llama_build_dir()
            a.llama_server = str(Path(d) / "bin" / "llama-server") if d else "llama-server"
    for what, path in (("switchyard", a.switchyard), ("llama-server", a.llama_server), ("model", a.model),
                       ("chat template", a.chat_template)):
        if what == "chat template" and not path:
            continue
        if not (Path(path).exists() or shutil.which(path)):
            p.error(f"{what} not found: {path}")
    return a


def main(argv=None):
    global SEND_SEED
    args = parse_args(argv)
    SEND_SEED = args.send_seed
    args.load_at_start = os.getloadavg()[0]
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="switchyard-bench-"))
    servers = [Switchyard(args, workdir), LlamaServer(args, workdir)]
    bench = Bench(args, servers)
    ok = False
    try:
        bench.log(f"logs in {workdir}")
        bench.log("cold load ...")
        bench.cold_load()
        bench.warmup()
        bench.log("time to first token ...")
        bench.ttft()
        bench.log("single-stream decode ...")
        bench.decode()
        bench.log("concurrent streams ...")
        bench.aggregate()
        bench.memory_end()
        ok = True
    except KeyboardInterrupt:
        bench.log("interrupted")
    finally:
        for s in servers:
            s.stop()
        if not ok or args.keep_logs:
            bench.log(f"server logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if not ok:
        return 1
    text = report(args, bench, started)
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
        bench.log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
