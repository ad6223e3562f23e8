#!/usr/bin/env python3
"""Gateway overhead: what Switchyard adds in front of an upstream, against LiteLLM's proxy.

One run starts a fixed, instant upstream (bench/instant_upstream: the same small chat.completion
for every request, answered at once), Switchyard with a route whose only tier is that upstream,
and the LiteLLM proxy configured with the same upstream. An open-loop load generator
(bench/loadgen: fixed request rate, latency counted from each request's scheduled time, so a
gateway that falls behind is charged for its queue) sends the same body at each rate to:
  direct      the instant upstream itself (the baseline)
  switchyard  POST /v1/chat/completions {"model": "bench"} -> route -> remote provider -> upstream
  litellm     the LiteLLM proxy, model "bench" -> openai/instant at the upstream
Added latency = gateway percentile - direct percentile, at the same rate, measured back to back.

Switchyard runs as it would in production: SQLite request log on, access log to a pipe.
Beside the latencies it prints each server's CPU time per request (user + system time of the
process from /proc/PID/stat over the run, divided by the requests sent, warm-up included): on a
shared machine that is far steadier than wall-clock latency. --before BIN adds a second Switchyard
binary (e.g. the previous commit's) with the same configuration, measured in the same run.
Usage: bench/bench_gateway.py [--rates 1000,5000] [--seconds 10] [--no-litellm] [--before BIN] [--no-log]
Needs build/bench/{instant_upstream,loadgen} and, for LiteLLM, bench/.venv (bench/requirements.txt).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from bench_procs import free_port, stop_processes, wait_http

ROOT = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("SWITCHYARD_BUILD", ROOT / "build"))
LITELLM = ROOT / "bench" / ".venv" / "bin" / "litellm"
BODY = {"model": "bench", "messages": [{"role": "user", "content": "Fix the typo: teh cat sat on the mat."}], "max_tokens": 8}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loadgen(url: str, body_file: Path, rps: int, seconds: float, connections: int) -> dict:
    out = subprocess.run([str(BUILD / "bench" / "loadgen"), "--url", url, "--body", str(body_file), "--rps", str(rps),
                          "--seconds", str(seconds), "--warmup", "1", "--connections", str(connections)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rates", default="1000,5000")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--no-litellm", action="store_true")
    ap.add_argument("--io-threads", type=int, default=1, help="Switchyard's server.io_threads")
    ap.add_argument("--before", help="a second Switchyard binary to measure beside build/switchyard (same config)")
    ap.add_argument("--no-log", action="store_true", help="run Switchyard without its SQLite request log")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sy-gateway-bench-"))
    body_file = work / "body.json"
    body_file.write_text(json.dumps(BODY))
    procs: list[subprocess.Popen] = []
    try:
        up = subprocess.Popen([str(BUILD / "bench" / "instant_upstream"), "0"], stdout=subprocess.PIPE, text=True)
        procs.append(up)
        up_port = int(up.stdout.readline())

        def start_switchyard(binary: str, tag: str) -> tuple[int, subprocess.Popen]:
            port = free_port()
            log = "" if args.no_log else f"log: {{path: {json.dumps(str(work / (tag + '-log.db')))}}}"
            (work / f"{tag}.yaml").write_text(f"""
server: {{host: 127.0.0.1, port: {port}, io_threads: {args.io_threads}}}
models_dir: {json.dumps(str(ROOT / 'models'))}
models:
  - {{name: gemma-3-270m, file: gemma-3-270m-q4_k_m.gguf}}
{log}
providers:
  - {{name: instant, base_url: "http://127.0.0.1:{up_port}/v1", max_concurrency: 256}}
routes:
  - name: bench
    tiers: [{{name: remote, provider: instant, model: instant}}]
""")
            # The access log goes to a pipe that is drained, as under a process supervisor.
            p = subprocess.Popen([binary, "--config", str(work / f"{tag}.yaml"), "serve"],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()
            procs.append(p)
            wait_http(port, "/health")
            return port, p

        sy_port, sy = start_switchyard(str(BUILD / "switchyard"), "switchyard")
        pids = {"direct": up.pid, "switchyard": sy.pid}
        targets = {"direct": f"http://127.0.0.1:{up_port}/v1/chat/completions",
                   "switchyard": f"http://127.0.0.1:{sy_port}/v1/chat/completions"}
        if args.before:
            before_port, before = start_switchyard(args.before, "before")
            targets["before"] = f"http://127.0.0.1:{before_port}/v1/chat/completions"
            pids["before"] = before.pid
        litellm_version = None
        if not args.no_litellm:
            if not LITELLM.exists():
                print(f"LiteLLM not installed ({LITELLM}); run: python3 -m venv bench/.venv && "
                      "bench/.venv/bin/pip install -r bench/requirements.txt, or pass --no-litellm", file=sys.stderr)
                return 2
            ll_port = free_port()
            (work / "litellm.yaml").write_text(f"""
model_list:
  - model_name: bench
    litellm_params: {{model: openai/instant, api_base: "http://127.0.0.1:{up_port}/v1", api_key: unused}}
litellm_settings: {{drop_params: true, turn_off_message_logging: true}}
""")
            env = dict(os.environ, LITELLM_LOG="ERROR")
            ll = subprocess.Popen([str(LITELLM), "--config", str(work / "litellm.yaml"), "--host", "127.0.0.1",
                                   "--port", str(ll_port), "--num_workers", "1"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            procs.append(ll)
            pids["litellm"] = ll.pid
            wait_http(ll_port, "/health/liveliness", timeout=180)
            targets["litellm"] = f"http://127.0.0.1:{ll_port}/v1/chat/completions"
            litellm_version = subprocess.run([str(LITELLM.parent / "python"), "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
                                             capture_output=True, text=True).stdout.strip()

        # Warm every path once (connection set-up, lazy imports) before measuring.
        for url in targets.values():
            loadgen(url, body_file, 100, 1, 4)
        results = {}
        for rps in [int(r) for r in args.rates.split(",")]:
            for name, url in targets.items():
                cpu0 = cpu_seconds(pids[name])
                r = loadgen(url, body_file, rps, args.seconds, args.connections)
                r["cpu_us_per_request"] = (cpu_seconds(pids[name]) - cpu0) * 1e6 / max(1, r.get("sent_with_warmup", r["sent"]))
                results[(rps, name)] = r
                print(f"  {name:<10} @ {rps:>5} rps: achieved {r['achieved_rps']:8.0f}  p50 {r['p50_us']:9.0f} us  "
                      f"p99 {r['p99_us']:10.0f} us  errors {r['errors']}  cpu {r['cpu_us_per_request']:6.1f} us/req",
                      file=sys.stderr, flush=True)

        print(f"\nGateway overhead on loopback ({os.cpu_count()} cores), {args.seconds:.0f} s per point, open loop, "
              f"{args.connections} keep-alive connections" + (f", LiteLLM {litellm_version}" if litellm_version else ""))
        print(f"{'rate':>6} {'gateway':<11} {'achieved':>9} {'p50 added':>11} {'p99 added':>11} {'errors':>7} {'CPU/req':>10}")
        for rps in [int(r) for r in args.rates.split(",")]:
            d = results[(rps, "direct")]
            for name in targets:
                if name == "direct":
                    continue
                r = results[(rps, name)]
                print(f"{rps:>6} {name:<11} {r['achieved_rps']:>9.0f} {r['p50_us'] - d['p50_us']:>9.0f}us "
                      f"{r['p99_us'] - d['p99_us']:>9.0f}us {r['errors']:>7} {r['cpu_us_per_request']:>8.1f}us")
            print(f"{rps:>6} {'(upstream)':<11} {d['achieved_rps']:>9.0f} {'':>11} {'':>11} {d['errors']:>7} "
                  f"{d['cpu_us_per_request']:>8.1f}us")
            if "litellm" in targets:
                s, l = results[(rps, "switchyard")], results[(rps, "litellm")]
                add = lambda r, k: max(r[k] - d[k], 1.0)
                print(f"{rps:>6} litellm/switchyard added latency: p50 {add(l, 'p50_us') / add(s, 'p50_us'):.0f}x, "
                      f"p99 {add(l, 'p99_us') / add(s, 'p99_us'):.0f}x")
        out = ROOT / "bench" / "out"
        out.mkdir(exist_ok=True)
        (out / "gateway.json").write_text(json.dumps({f"{k[0]}:{k[1]}": v for k, v in results.items()}, indent=1))
        return 0
    finally:
        stop_processes(procs)


if __name__ == "__main__":
    sys.exit(main())
