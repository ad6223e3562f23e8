#!/usr/bin/env python3
"""Speculative decoding by prompt lookup (models[].speculative): decode speed with and without it
on copy-heavy task classes, and whether the greedy answers are identical.

Starts one Switchyard serving the same GGUF under several names (no drafting, and each
--drafts setting), sends each prompt (greedy, the dataset's max_tokens) to every variant in
turn, alternating the order, and reports per class: decode tok/s = (completion tokens - 1) /
(last token - first token), end-to-end seconds, and identical answers.

Usage: bench/bench_speculative.py [--model qwen2.5-coder-1.5b-instruct-q4_k_m.gguf] [--per-class 4]
       [--classes extraction,grammar_fix,summarisation] [--drafts 3:4,3:8]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_procs import stop_processes

ROOT = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("SWITCHYARD_BUILD", ROOT / "build"))


def stream(port: int, model: str, prompt: str, max_tokens: int) -> dict:
    body = {"model": model, "stream": True, "max_tokens": max_tokens, "temperature": 0,
            "stream_options": {"include_usage": True}, "messages": [{"role": "user", "content": prompt}]}
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    t0 = time.monotonic()
    c.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
    r = c.getresponse()
    if r.status != 200:
        raise RuntimeError(f"{model}: HTTP {r.status} {r.read()[:300]!r}")
    text, t_first, t_last, tokens, accepted, drafted = "", None, None, 0, 0, 0
    for raw in r:
        line = raw.decode().strip()
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        chunk = json.loads(line[6:])
        if chunk.get("usage"):
            tokens = chunk["usage"]["completion_tokens"]
            det = chunk["usage"].get("completion_tokens_details") or {}
            accepted = det.get("accepted_prediction_tokens", 0)
            drafted = accepted + det.get("rejected_prediction_tokens", 0)
        for ch in chunk.get("choices") or []:
            piece = (ch.get("delta") or {}).get("content")
            if piece:
                text += piece
                t_last = time.monotonic()
                t_first = t_first or t_last
    end = time.monotonic()
    tps = (tokens - 1) / (t_last - t_first) if t_first and t_last and t_last > t_first and tokens > 1 else None
    return {"text": text, "tokens": tokens, "tps": tps, "seconds": end - t0, "accepted": accepted, "drafted": drafted}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
    ap.add_argument("--dataset", default=str(ROOT / "eval" / "datasets" / "ladder_test.jsonl"))
    ap.add_argument("--classes", default="extraction,grammar_fix,summarisation")
    ap.add_argument("--per-class", type=int, default=4)
    ap.add_argument("--drafts", default="3:8", help="comma-separated ngram:max_draft settings to compare with none")
    ap.add_argument("--threads", type=int, default=0, help="models[].threads (0: the default, every core)")
    args = ap.parse_args()
    classes = args.classes.split(",")
    cases = {c: [] for c in classes}
    for line in open(args.dataset):
        d = json.loads(line)
        if d["class"] in cases and len(cases[d["class"]]) < args.per_class:
            cases[d["class"]].append(d)
    variants = {"none": ""}
    for d in args.drafts.split(","):
        n, k = d.split(":")
        variants[f"ngram {n}, max_draft {k}"] = f"{{ngram: {n}, max_draft: {k}}}"
    work = Path(tempfile.mkdtemp(prefix="sy-spec-"))
    cfg = work / "spec.yaml"
    models = ""
    names = {}
    for i, (label, spec) in enumerate(variants.items()):
        names[label] = f"v{i}"
        models += (f"  - name: v{i}\n    file: {args.model}\n    context_size: 2048\n    parallel: 1\n    keep_alive: 1h\n"
                   + (f"    threads: {args.threads}\n" if args.threads else "")
                   + (f"    speculative: {spec}\n" if spec else ""))
    cfg.write_text(f"server: {{host: 127.0.0.1, port: 0}}\nmodels_dir: {json.dumps(str(ROOT / 'models'))}\n"
                   f"memory_budget: 16GiB\nmodels:\n{models}")
    log = open(work / "server.log", "w")
    proc = subprocess.Popen([str(BUILD / "switchyard"), "--config", str(cfg), "serve"], stdout=subprocess.DEVNULL, stderr=log)
    load_start = os.getloadavg()[0]
    try:
        port = None
        for _ in range(300):
            m = re.search(r"listening on http://[^\s:/]+:(\d+)", (work / "server.log").read_text())
            if m:
                port = int(m.group(1))
                break
            time.sleep(0.1)
        if not port:
            raise RuntimeError("switchyard did not start: " + (work / "server.log").read_text()[-2000:])
        for name in names.values():
            stream(port, name, "Hi", 2)  # load every variant before measuring
        res = {c: {label: [] for label in variants} for c in classes}
        i = 0
        for c in classes:
            for case in cases[c]:
                order = list(variants) if i % 2 == 0 else list(variants)[::-1]
                i += 1
                for label in order:
                    res[c][label].append(stream(port, names[label], case["prompt"], case["request"].get("max_tokens", 64)))
                print(f"  {case['id']}: " + ", ".join(f"{l}: {res[c][l][-1]['tps'] or 0:.1f} tok/s" for l in variants),
                      file=sys.stderr, flush=True)
        print(f"\nSpeculative decoding by prompt lookup, {args.model}, {os.cpu_count()} CPUs, greedy; "
              f"load average {load_start:.1f} at start, {os.getloadavg()[0]:.1f} at end\n")
        print("| class | variant | decode tok/s (median) | end-to-end s (mean) | completion tokens (mean) | drafted / accepted | identical to none |")
        print("|---|---|---:|---:|---:|---:|---:|")
        diffs = []
        for c in classes:
            base = res[c]["none"]
            for label in variants:
                rs = res[c][label]
                tps = [r["tps"] for r in rs if r["tps"]]
                same = sum(1 for a, b in zip(rs, base) if a["text"] == b["text"])
                print(f"| {c} | {label} | {statistics.median(tps) if tps else float('nan'):.1f} | "
                      f"{statistics.fmean(r['seconds'] for r in rs):.2f} | {statistics.fmean(r['tokens'] for r in rs):.1f} | "
                      f"{sum(r['drafted'] for r in rs)} / {sum(r['accepted'] for r in rs)} | {same}/{len(rs)} |")
                if label != "none":
                    for a, b, case in zip(rs, base, cases[c]):
                        if a["text"] != b["text"]:
                            diffs.append(f"{case['id']} ({label}):\n  none:    {b['text']!r}\n  drafted: {a['text']!r}")
        for d in diffs:
            print(d)
        return 0
    finally:
        stop_processes([proc], grace=20)


if __name__ == "__main__":
    sys.exit(main())
