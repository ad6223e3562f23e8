#!/usr/bin/env python3
"""Writes the ladder test cases that eval/results/ladder/records_test189.jsonl does not hold, in the
order `eval run --limit` takes them (classes in turn), so `--limit N` on the output extends the
committed stratified sample by N/9 prompts per class. The committed answers are kept, not rerun.

    python3 eval/ladder_test_ext.py OUT.jsonl
"""
import json
import sys
from pathlib import Path

root = Path(__file__).resolve().parent
done = {json.loads(l)["id"] for l in open(root / "results/ladder/records_test189.jsonl")}
by = {}
for line in open(root / "datasets/ladder_test.jsonl"):
    c = json.loads(line)
    if c["id"] not in done:
        by.setdefault(c["class"], []).append(line if line.endswith("\n") else line + "\n")
with open(sys.argv[1], "w") as out:
    for k in range(max(len(v) for v in by.values())):
        for cls in sorted(by):
            if k < len(by[cls]):
                out.write(by[cls][k])
