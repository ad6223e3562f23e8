#!/usr/bin/env python3
"""Before/after benchmark of the direct model path (issue 10: model names became one-tier routes).

Starts two Switchyard binaries side by side on the same GGUF and settings (bench_serving.py's
server setup), alternates every measurement between them so background load hits both alike,
and prints single-stream TTFT and decode tok/s with the ratio after / before.

    .venv/bin/python bench/bench_onepath.py --before /tmp/switchyard-before --after build/switchyard

Standard library only; reuses bench_serving.py (same folder).
"""
from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_serving as bs  # noqa: E402


class Binary(bs.Switchyard):
    def __init__(self, args, workdir, name, binary):
        self.name = name
        super().__init__(args, workdir)
        self.binary = binary

    def command(self):
        return [self.binary, "--config", str(self.config), "serve", "--port", "0"]


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    before = after = None
    for flag in ("--before", "--after"):
        if flag in argv:
            i = argv.index(flag)
            value = argv[i + 1]
            del argv[i:i + 2]
            if flag == "--before":
                before = value
            else:
                after = value
    if not before or not after:
        sys.exit("usage: bench_onepath.py --before BINARY --after BINARY [bench_serving.py options]")
    args = bs.parse_args(argv)
    args.load_at_start = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="switchyard-onepath-"))
    servers = [Binary(args, workdir, "before", before), Binary(args, workdir, "after", after)]
    bench = bs.Bench(args, servers)
    started = time.perf_counter()
    try:
        for s in servers:
            t0 = s.start()
            s.wait_first_token(t0)
        bench.warmup()
        bench.ttft()
        bench.decode()
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    res = {s.name: bench.res[s.name] for s in servers}

    def med(xs):
        return statistics.median(xs) if xs else float("nan")

    b_ttft, a_ttft = med(res["before"].ttft_s) * 1000, med(res["after"].ttft_s) * 1000
    b_tps, a_tps = med(res["before"].decode_tps), med(res["after"].decode_tps)
    print(f"load average at start: {args.load_at_start:.2f}; {time.perf_counter() - started:.0f} s; "
          f"threads {args.threads}, max_tokens {args.max_tokens}, {args.ttft_runs} TTFT and {args.decode_runs} decode runs each")
    print("| metric | before | after | after / before |")
    print("|---|---|---|---|")
    print(f"| TTFT, ~400-token prompt (median ms) | {b_ttft:.0f} | {a_ttft:.0f} | {a_ttft / b_ttft:.2f} |")
    print(f"| single-stream decode (median tok/s) | {b_tps:.1f} | {a_tps:.1f} | {a_tps / b_tps:.2f} |")
    print(f"| TTFT runs (ms) | {' '.join(f'{x * 1000:.0f}' for x in res['before'].ttft_s)} | "
          f"{' '.join(f'{x * 1000:.0f}' for x in res['after'].ttft_s)} | |")
    print(f"| decode runs (tok/s) | {' '.join(f'{x:.1f}' for x in res['before'].decode_tps)} | "
          f"{' '.join(f'{x:.1f}' for x in res['after'].decode_tps)} | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
