"""`switchyard eval run | offline | from-log` with the real binary and the real default model.

Two policies over a 14-prompt slice of the shipped test split (two per task class) with small
max_tokens: "small" is Gemma 3 270M with its default sampling, "large" the same file decoded
greedily (no larger complete chat model is available here; see eval/RESULTS.md). The checks are
about the harness, not the model: the reports exist and agree with the per-answer records, the
SVG is well-formed XML, the second run is served entirely from the resume cache, the offline
sweep reads the run's outcome table, and from-log turns a logged correction into a test case.

Run: .venv/bin/python -m pytest tests/e2e/test_eval.py -q -p no:cacheprovider
"""
from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import BINARY, CHAT_FILE, CHAT_MODEL, ROOT, TEMPLATE, _yaml_str, chat_model_yaml, config_yaml

DATASET = ROOT / "eval" / "datasets" / "mixed_test.jsonl"
SLICE = 14


def run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(BINARY), *args], capture_output=True, text=True, timeout=timeout, cwd=str(ROOT))


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Path:
    for f in (BINARY, CHAT_FILE, TEMPLATE, DATASET):
        assert f.exists(), f"missing {f}"
    greedy = chat_model_yaml("gemma-greedy", parallel=4, aliases=("greedy",)).replace("temperature: 1.0", "temperature: 0.0")
    cfg = tmp_path_factory.mktemp("eval") / "switchyard.yaml"
    cfg.write_text(config_yaml(chat_model_yaml(parallel=4) + greedy))
    return cfg


@pytest.fixture(scope="module")
def first_run(config, tmp_path_factory):
    d = tmp_path_factory.mktemp("eval-run")
    args = ["-c", str(config), "eval", "run", "--dataset", str(DATASET), "--policy", f"small={CHAT_MODEL}",
            "--policy", "large=gemma-greedy", "--limit", str(SLICE), "--max-tokens", "8", "--concurrency", "2",
            "--cache-dir", str(d / "cache"), "--price", "gemma-greedy=1:2", "--no-progress"]
    first = run(*args, "--out", str(d / "out1"))
    assert first.returncode == 0, first.stderr
    return d, args, first


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_reports_exist_and_agree_with_records(first_run):
    d, _, proc = first_run
    out = d / "out1"
    for name in ("report.md", "report.json", "curve.svg", "records.jsonl", "outcomes.jsonl"):
        assert (out / name).stat().st_size > 0, name
    recs = records(out / "records.jsonl")
    assert len(recs) == 2 * SLICE
    assert not any(r["cached"] for r in recs)
    assert all(r["ok"] for r in recs), [r.get("error") for r in recs if not r["ok"]]
    report = json.loads((out / "report.json").read_text())
    pols = {p["policy"]: p for p in report["policies"]}
    assert set(pols) == {"small", "large"}
    for name, p in pols.items():
        mine = [r for r in recs if r["policy"] == name]
        assert p["n"] == SLICE
        assert p["quality"] == pytest.approx(sum(r["score"] for r in mine) / SLICE)
        assert p["total_cost"] == pytest.approx(sum(r["cost"] for r in mine))
        assert 0 <= p["latency_p50_ms"] <= p["latency_p95_ms"]
        assert sum(p["tier_share"].values()) == pytest.approx(1.0)
    assert pols["small"]["large_share"] == 0 and pols["large"]["large_share"] == 1
    assert pols["small"]["total_cost"] == 0 and pols["large"]["total_cost"] > 0   # priced by --price
    # Priced per token: 1 USD per 1M input tokens, 2 per 1M output tokens.
    for r in recs:
        if r["policy"] == "large":
            assert r["cost"] == pytest.approx((r["prompt_tokens"] + 2 * r["completion_tokens"]) / 1e6)
    classes = {c["class"] for c in report["per_class"]}
    assert len(classes) == 7 and all(c["n"] == 2 for c in report["per_class"])
    sweep = report["sweep"]
    assert sweep["n"] == SLICE and sweep["curve"][0]["large_share"] == 0 and sweep["curve"][-1]["large_share"] == 1
    assert sweep["small_quality"] == pytest.approx(pols["small"]["quality"])
    assert len(records(out / "outcomes.jsonl")) == SLICE + 1   # meta line + one row per case
    ET.fromstring((out / "curve.svg").read_bytes())            # well-formed XML
    md = (out / "report.md").read_text()
    assert "| small | 14 |" in md and "| large | 14 |" in md and "## Threshold sweep" in md
    assert "0 answers from the cache" in md
    assert "small" in proc.stdout and "wrote" in proc.stdout


def test_second_run_is_served_from_the_cache(first_run):
    d, args, _ = first_run
    second = run(*args, "--out", str(d / "out2"), timeout=120)
    assert second.returncode == 0, second.stderr
    assert f"0 calls, {2 * SLICE} cached, 0 errors" in second.stdout
    a, b = records(d / "out1" / "records.jsonl"), records(d / "out2" / "records.jsonl")
    assert all(r["cached"] for r in b)
    assert [(r["id"], r["policy"], r["answer"], r["score"]) for r in a] == [(r["id"], r["policy"], r["answer"], r["score"]) for r in b]


def test_offline_sweep_of_the_runs_outcomes(first_run):
    d, _, _ = first_run
    proc = run("eval", "offline", "--outcomes", str(d / "out1" / "outcomes.jsonl"), "--out", str(d / "offline"))
    assert proc.returncode == 0, proc.stderr
    assert f"{SLICE} prompts: small small" in proc.stdout
    report = json.loads((d / "offline" / "report.json").read_text())
    online = json.loads((d / "out1" / "report.json").read_text())["sweep"]
    assert report["sweep"]["curve"] == online["curve"]
    ET.fromstring((d / "offline" / "curve.svg").read_bytes())


def test_from_log_turns_corrections_into_cases(start_server, tmp_path):
    log = tmp_path / "log.db"
    srv = start_server(config_yaml(chat_model_yaml(parallel=2)) + f"log: {{path: {_yaml_str(log)}, content: true}}\n")
    ids = []
    for prompt in ("Fix: she go to school.", "Capital of France?"):
        status, headers, _ = srv.request("POST", "/v1/chat/completions",
                                         {"model": CHAT_MODEL, "max_tokens": 4, "messages": [{"role": "user", "content": prompt}]})
        assert status == 200
        ids.append(headers["x-request-id"])
    status, _, body = srv.request("POST", "/v1/feedback", {"request_id": ids[0], "rating": "down", "correction": "She goes to school."})
    assert status == 200, body
    status, _, _ = srv.request("POST", "/v1/feedback", {"request_id": ids[1], "rating": "up"})
    assert status == 200
    assert srv.stop() == 0
    cfg = tmp_path / "log.yaml"
    cfg.write_text(config_yaml(chat_model_yaml()) + f"log: {{path: {_yaml_str(log)}, content: true}}\n")
    out = tmp_path / "from-log.jsonl"
    proc = run("-c", str(cfg), "eval", "from-log", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "wrote 1 cases" in proc.stdout
    (case,) = records(out)
    assert case["id"] == f"log-{ids[0]}"
    assert case["messages"] == [{"role": "user", "content": "Fix: she go to school."}]
    assert case["reference"] == {"checker": "normalized", "answer": "She goes to school."}
