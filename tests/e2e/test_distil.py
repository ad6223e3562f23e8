"""`switchyard distil`: clear errors before anything slow starts, the promotion gate on
constructed outcome tables with a real server hot-loading the promoted specialist (and the
feedback rollback), and one tiny real distillation (SmolLM2-135M, 3 steps) whose GGUF loads and
answers. The tiny run creates the training virtualenv (.venv-train, several GB) on first use.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BINARY, MODELS, ROOT, THREADS, ServerProcess

SMOL = MODELS / "SmolLM2-135M-Instruct.Q4_1.gguf"
DATA = ROOT / "distil" / "data" / "classification.jsonl"

pytestmark = pytest.mark.skipif(not SMOL.exists(), reason="SmolLM2-135M-Instruct is fetched by scripts/setup.sh")


def write_config(d: Path, *, log: bool = False) -> Path:
    threads = f", threads: {THREADS}" if THREADS else ""
    text = (
        "server: {host: 127.0.0.1, port: 0}\n"
        f"models_dir: {json.dumps(str(MODELS))}\n"
        f"specialists: {json.dumps(str(d / 'specialists.yaml'))}\n"
        + (f"log: {{path: {json.dumps(str(d / 'log.db'))}, content: true}}\n" if log else "")
        + "models:\n"
        f"  - {{name: smol, file: {SMOL.name}, aliases: [small], context_size: 1024, parallel: 2{threads},"
        " sampling: {temperature: 0.0, max_tokens: 32}}\n"
        # The 'large' tier of these tests is the same small file: the tests are about the loop, not quality.
        f"  - {{name: smol-large, file: {SMOL.name}, aliases: [large], context_size: 1024, parallel: 2{threads},"
        " sampling: {temperature: 0.0, max_tokens: 32}}\n"
        "routes:\n"
        "  - name: tasks\n"
        "    tiers: [{name: small, model: smol}, {name: large, model: smol-large}]\n"
        "    rules: [{name: intents, task: classification, tier: large}]\n"
        "    feedback: {window: 4, min_ratings: 3, max_down_rate: 0.5}\n")
    cfg = d / "distil.yaml"
    cfg.write_text(text)
    return cfg


def distil(cfg: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(BINARY), "-c", str(cfg), "distil", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=str(ROOT))


def test_unknown_class_is_a_clear_error(tmp_path):
    cfg = write_config(tmp_path)
    r = distil(cfg, "--class", "horoscopes", "--dataset", str(DATA), "--labels", "reference", "--out", str(tmp_path / "o"))
    assert r.returncode == 2, r.stderr
    assert "unknown task class 'horoscopes'" in r.stderr and "classification" in r.stderr


def test_empty_training_set_is_a_clear_error(tmp_path):
    cfg = write_config(tmp_path)
    # Every reference is a regex: nothing can be used as a label.
    rows = [json.loads(line) for line in DATA.read_text().splitlines()[:20]]
    for row in rows:
        row["reference"] = {"checker": "regex", "answer": "billing|shipping"}
    data = tmp_path / "regex.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    r = distil(cfg, "--class", "classification", "--dataset", str(data), "--labels", "reference", "--out", str(tmp_path / "o"))
    assert r.returncode == 2, r.stderr
    assert "empty training set for class 'classification'" in r.stderr


def test_untrainable_base_is_a_clear_error(tmp_path):
    cfg = write_config(tmp_path)
    for base, why in ((MODELS / "all-minilm-l6-v2-f16.gguf", "architecture 'bert'"), (ROOT / "README.md", "not a readable GGUF")):
        if not base.exists():
            continue
        r = distil(cfg, "--class", "classification", "--dataset", str(DATA), "--labels", "reference", "--base", str(base),
                   "--out", str(tmp_path / "o"))
        assert r.returncode == 2, r.stderr
        assert "cannot be trained" in r.stderr and why in r.stderr, r.stderr
    r = distil(cfg, "--class", "classification", "--dataset", str(DATA), "--base", "no-such-model")
    assert r.returncode == 2 and "neither a configured model nor a file" in r.stderr


def constructed_manifest(d: Path, specialised: list[float], large: list[float]) -> Path:
    """A manifest whose held-out outcome table is made up; the model file is the base itself."""
    rows = [{"meta": {"small": "specialised", "large": "large", "cascade": False, "score": ""}}]
    for i, (s, l) in enumerate(zip(specialised, large)):
        rows.append({"id": f"c{i}", "class": "classification", "router_score": None,
                     "outcomes": {"specialised": {"score": s}, "large": {"score": l}}})
    (d / "outcomes.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    manifest = {"object": "switchyard.distil.manifest", "version": 1, "class": "classification",
                "model": {"name": "smol-intents", "file": str(SMOL)}, "eval": {"outcomes": "outcomes.jsonl"}}
    (d / "manifest.json").write_text(json.dumps(manifest))
    return d / "manifest.json"


def test_promotion_refused_below_the_gate(tmp_path):
    cfg = write_config(tmp_path)
    manifest = constructed_manifest(tmp_path, [1.0] * 17 + [0.0] * 3, [1.0] * 20)   # 85% of the large tier
    r = distil(cfg, "promote", "--manifest", str(manifest), "--route", "tasks")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "refused" in r.stdout and "85.0%" in r.stdout and "gap of 0.120" in r.stdout
    assert not (tmp_path / "specialists.yaml").exists()
    # A looser gate accepts the same table.
    r = distil(cfg, "promote", "--manifest", str(manifest), "--route", "tasks", "--min-fraction", "0.8")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "specialists:" in (tmp_path / "specialists.yaml").read_text()


def test_promotion_accepted_hot_loads_and_feedback_rolls_back(tmp_path):
    cfg = write_config(tmp_path, log=True)
    srv = ServerProcess(cfg)
    try:
        ask = {"model": "tasks", "messages": [{"role": "user", "content": "Classify: my card was charged twice."}],
               "metadata": {"task": "classification"}, "max_tokens": 8, "temperature": 0}
        status, _, body = srv.request("POST", "/v1/route/explain", ask)
        assert status == 200 and json.loads(body)["tier"] == "large"

        manifest = constructed_manifest(tmp_path, [1.0] * 19 + [0.5], [1.0] * 20)   # 97.5%: passes the default 97%
        r = distil(cfg, "promote", "--manifest", str(manifest), "--route", "tasks", "--url", f"http://{srv.host}:{srv.port}")
        assert r.returncode == 0, r.stdout + r.stderr
        assert "hot-loaded" in r.stdout

        status, _, body = srv.request("POST", "/v1/route/explain", ask)
        assert status == 200, body
        assert json.loads(body)["tier"] == "distil-classification"
        assert json.loads(body)["model"] == "smol-intents"
        status, _, body = srv.request("GET", "/v1/admin/specialists")
        listed = json.loads(body)["data"]
        assert [s["model"] for s in listed] == ["smol-intents"] and str(tmp_path) not in body.decode()
        overlay = (tmp_path / "specialists.yaml").read_text()
        assert "smol-intents" in overlay and "classification" in overlay

        # The specialist answers the class's traffic, then users' down-ratings bump the class back to the large tier.
        ids = []
        for _ in range(3):
            status, headers, body = srv.request("POST", "/v1/chat/completions", ask, timeout=120)
            assert status == 200, body
            assert headers["x-switchyard-tier"] == "distil-classification"
            assert headers["x-switchyard-model"] == "smol-intents"
            ids.append(headers["x-request-id"])
        bump = None
        for rid in ids:
            status, _, body = srv.request("POST", "/v1/feedback", {"request_id": rid, "rating": "down"})
            assert status == 200, body
            bump = json.loads(body).get("tier_bump") or bump
        assert bump and bump["from_tier"] == "distil-classification" and bump["tier"] == "large"
        status, _, body = srv.request("POST", "/v1/route/explain", ask)
        assert json.loads(body)["tier"] == "large"

        # Bad promotions get the API's error shape: outside the allowed folders, unknown route.
        status, _, body = srv.request("POST", "/v1/admin/specialists",
                                      {"route": "tasks", "class": "x", "model": "evil", "file": "/etc/passwd"})
        assert status == 400 and json.loads(body)["error"]["param"] == "file"
        status, _, body = srv.request("POST", "/v1/admin/specialists",
                                      {"route": "nope", "class": "x", "model": "m2", "file": SMOL.name})
        assert status == 404 and json.loads(body)["error"]["code"] == "route_not_found"
    finally:
        srv.stop()
    # Both survive a restart: the overlay is applied at load time, the bump is replayed from the log.
    srv2 = ServerProcess(cfg)
    try:
        status, _, body = srv2.request("POST", "/v1/route/explain", ask)
        explained = json.loads(body)
        assert [p["tier"] for p in explained["plan"]][:1] == ["large"]
        assert any(s.get("step") == "feedback_bump" and s.get("from") == "distil-classification" for s in explained["trace"])
        status, _, body = srv2.request("GET", "/v1/admin/specialists")
        assert [t["name"] for t in json.loads(body)["data"][0]["tiers"]] == ["small", "distil-classification", "large"]
    finally:
        srv2.stop()


def test_promotion_rebuilds_the_learned_router_and_lists_the_new_tier(tmp_path):
    """A route with a learned router: the promotion inserts a tier below the large one, so the
    router's tier indices must be rebuilt (else its "large" would now be the specialist); the
    promoted model and the route's new tier show in GET /v1/models."""
    minilm = MODELS / "all-minilm-l6-v2-f16.gguf"
    if not minilm.exists():
        pytest.skip("all-minilm-l6-v2 is fetched by scripts/setup.sh")
    # A constructed router that always says "the cheap tier is not good enough" (bias -8, no weights).
    names = ["log_chars", "digit_share", "numbers", "lines", "code_markers", "question_marks", "operators", "json_words"]
    router_file = tmp_path / "always-large.router.json"
    router_file.write_text(json.dumps({
        "format": "switchyard-learned-router", "version": 1, "embed_model": "minilm", "dims": 384, "features": names,
        "feature_mean": [0.0] * len(names), "feature_scale": [1.0] * len(names), "weights": [0.0] * (384 + len(names)),
        "bias": -8.0, "threshold": 0.5, "small": "smol", "large": "smol-large", "info": {"constructed": True}}))
    cfg = write_config(tmp_path)
    text = cfg.read_text().replace("routes:\n", f"  - {{name: minilm, file: {minilm.name}, kind: embedding}}\nroutes:\n")
    text = text.replace("    feedback:", f"    router: {{file: {json.dumps(str(router_file))}}}\n    feedback:")
    cfg.write_text(text)
    srv = ServerProcess(cfg)
    try:
        other = {"model": "tasks", "messages": [{"role": "user", "content": "Write a haiku about the sea."}], "max_tokens": 8}
        status, _, body = srv.request("POST", "/v1/route/explain", other)
        assert status == 200, body
        assert json.loads(body)["tier"] == "large"
        manifest = constructed_manifest(tmp_path, [1.0] * 20, [1.0] * 20)
        r = distil(cfg, "promote", "--manifest", str(manifest), "--route", "tasks", "--url", f"http://{srv.host}:{srv.port}")
        assert r.returncode == 0, r.stdout + r.stderr
        # Traffic outside the class: the learned router still sends it to the large tier, not to the specialist.
        status, _, body = srv.request("POST", "/v1/route/explain", other)
        explained = json.loads(body)
        step = next(s for s in explained["trace"] if s["step"] == "learned_router")
        assert step["tier"] == "large" and explained["tier"] == "large" and explained["model"] == "smol-large", explained
        # The class's traffic goes to the specialist (the rule decides before the learned router).
        ask = dict(other, metadata={"task": "classification"})
        status, _, body = srv.request("POST", "/v1/route/explain", ask)
        assert json.loads(body)["tier"] == "distil-classification"

        status, _, body = srv.request("GET", "/v1/models")
        assert status == 200, body
        listed = {m["id"]: m for m in json.loads(body)["data"]}
        assert "smol-intents" in listed and listed["smol-intents"]["switchyard"]["kind"] == "chat"
        assert [t["name"] for t in listed["tasks"]["switchyard"]["tiers"]] == ["small", "distil-classification", "large"]
        status, _, body = srv.request("GET", "/v1/models/smol-intents")
        assert status == 200 and json.loads(body)["id"] == "smol-intents", body
        status, _, body = srv.request("POST", "/v1/route/explain", {"model": "smol-intents", "messages": other["messages"]})
        assert status == 200 and json.loads(body)["model"] == "smol-intents", body
        status, _, body = srv.request("GET", "/v1/models/no-such-model")
        assert status == 404 and json.loads(body)["error"]["code"] == "model_not_found"
    finally:
        srv.stop()


# It installs the training virtualenv on first use (torch and its CUDA wheels from PyPI, ~5 GB,
# 1.5 min here) and fine-tunes for real: a few minutes on 2 cores (eval/RESULTS.md, Distillation,
# has a timed run). CI runs it; SWITCHYARD_SKIP_TRAINING=1 skips it (no network, little disk).
@pytest.mark.skipif(os.environ.get("SWITCHYARD_SKIP_TRAINING") == "1", reason="SWITCHYARD_SKIP_TRAINING=1")
def test_tiny_distillation_produces_a_gguf_that_answers(tmp_path):
    """A few dozen examples, 3 optimizer steps on SmolLM2-135M: GGUF + manifest, loads and answers."""
    cfg = write_config(tmp_path)
    out = tmp_path / "out"
    rows = DATA.read_text().splitlines()[:32]
    data = tmp_path / "tiny.jsonl"
    data.write_text("\n".join(rows) + "\n")
    r = distil(cfg, "--class", "classification", "--dataset", str(data), "--labels", "reference", "--teacher", "large",
               "--steps", "3", "--batch", "8", "--max-len", "192", "--checkpoint-every", "2", "--out", str(out),
               "--cache-dir", str(tmp_path / "cache"), "--min-heldout", "1", timeout=3600)
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["class"] == "classification" and manifest["base"]["file"] == SMOL.name
    assert manifest["data"]["hash"].startswith("sha256:") and manifest["data"]["train"] + manifest["data"]["heldout"] == 32
    assert manifest["hyperparameters"]["steps"] == 3 and manifest["hyperparameters"]["lr"] == 5e-5
    assert manifest["training"]["seconds_per_epoch"] > 0 and len(manifest["training"]["losses"]) == 3
    assert "step 3/3" in r.stderr and "loss" in r.stderr
    gguf = out / manifest["model"]["file"]
    assert gguf.exists() and gguf.name.endswith(".Q8_0.gguf") and manifest["model"]["bytes"] == gguf.stat().st_size
    held = manifest["eval"]["policies"]
    assert set(held) == {"base", "specialised", "large"} and held["specialised"]["n"] == manifest["data"]["heldout"]
    assert (out / "heldout_outcomes.jsonl").exists() and not (out / "hf").exists()
    # The GGUF loads in Switchyard's own engine and answers.
    run_cfg = tmp_path / "run.yaml"
    run_cfg.write_text(f"models_dir: {json.dumps(str(out))}\nmodels:\n  - {{name: tiny, file: {gguf.name}, context_size: 512}}\n")
    prompt = json.loads(rows[0])["prompt"]
    ran = subprocess.run([str(BINARY), "-c", str(run_cfg), "run", "tiny", prompt, "-n", "16", "-t", "0"], capture_output=True,
                         text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip(), ran.stderr
