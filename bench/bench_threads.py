#!/usr/bin/env python3
"""Decode speed by thread count and OpenMP wait policy, idle and under a competing CPU load.

ggml's CPU threads meet at an OpenMP barrier after every graph node. libgomp lets a waiting
thread spin (GOMP_SPINCOUNT iterations, 300k by default: milliseconds) before it sleeps; when
another process holds a core, the team's other thread spins out its time slice at every barrier
and decoding collapses. This starts one Switchyard per variant (same model, different `threads`
and environment), alternates greedy streamed requests between them, and reports the median
decode tok/s of each, first on the machine as it is, then with --burn N busy-loop processes
competing for the cores.

Usage: bench/bench_threads.py [--model SmolLM2-135M-Instruct.Q4_1.gguf] [--rounds 5] [--max-tokens 64] [--burn 1]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import http.client
from pathlib import Path

from bench_procs import free_port, stop_processes, wait_http

ROOT = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("SWITCHYARD_BUILD", ROOT / "build"))
NCPU = os.cpu_count() or 1
# GOMP_SPINCOUNT=300000 is what libgomp does when neither variable is set (its built-in default).
# name -> (threads, extra environment); threads 0 = unset (Switchyard's default).
VARIANTS = {
    "1 thread": (1, {"GOMP_SPINCOUNT": "300000"}),
    f"{NCPU} threads, GOMP_SPINCOUNT=300000 (libgomp default)": (NCPU, {"GOMP_SPINCOUNT": "300000"}),
    f"{NCPU} threads, GOMP_SPINCOUNT=300": (NCPU, {"GOMP_SPINCOUNT": "300"}),
    f"{NCPU} threads, OMP_WAIT_POLICY=passive": (NCPU, {"OMP_WAIT_POLICY": "passive"}),
    "switchyard's default (threads unset)": (0, {}),
}


def decode_rate(port: int, max_tokens: int, deadline_s: float = 60) -> float:
    """Greedy streamed chat: (tokens after the first) / (last token time - first token time).

    A stream still running after deadline_s is cut off (a stalled variant would otherwise take
    minutes) and rated by the tokens it delivered by then, over the time since its first token."""
    body = {"model": "m", "stream": True, "max_tokens": max_tokens, "temperature": 0,
            "messages": [{"role": "user", "content": "Write a long story about a lighthouse keeper. " + str(time.time())}]}
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    c.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
    r = c.getresponse()
    times = []
    t_start = time.monotonic()
    for raw in r:
        if time.monotonic() - t_start > deadline_s:
            c.close()
            if len(times) >= 2:
                return (len(times) - 1) / (time.monotonic() - times[0])
            return 0.0
        line = raw.decode().strip()
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        chunk = json.loads(line[6:])
        ch = chunk.get("choices") or []
        if ch and (ch[0].get("delta") or {}).get("content"):
            times.append(time.monotonic())
    if len(times) < 3:
        return 0.0
    return (len(times) - 1) / (times[-1] - times[0])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="SmolLM2-135M-Instruct.Q4_1.gguf")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--burn", type=int, default=1, help="busy-loop processes for the loaded phase (0: skip it)")
    ap.add_argument("--deadline", type=float, default=60, help="cut a stream off after this many seconds")
    ap.add_argument("--only", help="comma-separated variant numbers to run (0-based), default all")
    ap.add_argument("--before", help="another switchyard binary (e.g. the previous commit's), run with its defaults as one more variant")
    args = ap.parse_args()
    load_start = os.getloadavg()[0]
    # The variants set the wait policy themselves; one inherited from this shell would blur them.
    base_env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    work = Path(tempfile.mkdtemp(prefix="sy-threads-"))
    procs, ports = [], {}
    try:
        chosen = [int(x) for x in args.only.split(",")] if args.only else range(len(VARIANTS))
        variants = [(name, threads, env, str(BUILD / "switchyard")) for i, (name, (threads, env)) in enumerate(VARIANTS.items())
                    if i in chosen]
        if args.before:
            variants.append(("before: its default (threads unset)", 0, {}, args.before))
        for i, (name, threads, env, binary) in enumerate(variants):
            port = free_port()
            cfg = work / f"v{i}.yaml"
            cfg.write_text(f"""
server: {{host: 127.0.0.1, port: {port}}}
models_dir: {json.dumps(str(ROOT / 'models'))}
models:
  - {{name: m, file: {args.model}, threads: {threads}, parallel: 1, context_size: 1024}}
""")
            p = subprocess.Popen([binary, "--config", str(cfg), "serve"],
                                 env=dict(base_env, **env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(p)
            ports[name] = port
        for port in ports.values():
            wait_http(port, timeout=60)
            decode_rate(port, 4)  # loads the model
        phases = [("as is", 0)] + ([(f"{args.burn} busy loop(s)", args.burn)] if args.burn else [])
        results = {}
        for phase, burn in phases:
            burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(burn)]
            try:
                rates = {name: [] for name in ports}
                for _ in range(args.rounds):
                    for name, port in ports.items():   # alternating: outside load hits all alike
                        rates[name].append(decode_rate(port, args.max_tokens, args.deadline))
                results[phase] = rates
            finally:
                for b in burners:
                    b.kill()
                    b.wait()
        load = os.getloadavg()[0]
        print(f"load average {load_start:.1f} at the start")
        print(f"\nDecode tok/s, {args.model}, {NCPU} CPUs, median of {args.rounds} (min-max); load average {load:.1f} at the end")
        print(f"{'variant':<44}" + "".join(f"{phase:>26}" for phase, _ in phases))
        for name in ports:
            cells = []
            for phase, _ in phases:
                v = results[phase][name]
                cells.append(f"{statistics.median(v):8.1f} ({min(v):5.1f}-{max(v):5.1f})")
            print(f"{name:<44}" + "".join(f"{c:>26}" for c in cells))
        return 0
    finally:
        stop_processes(procs)


if __name__ == "__main__":
    sys.exit(main())
