"""The shipped model ladder and the learned router, end to end with the real models.

The server runs the repository's own switchyard.yaml (SmolLM2-135M, Gemma 3 270M, Qwen2.5-1.5B,
MiniLM, the `auto` route with its fitted router file). Answers are kept to a few tokens: Qwen
1.5B decodes at a few tokens per second on two CPU cores.
`router fit` runs the real binary on small outcome tables written here (the scores in them are
data for the fit, not model answers) and on the bad inputs it must refuse clearly.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import BINARY, MODELS, ROOT, THREADS, ServerProcess, _yaml_str

DEFAULT_CONFIG = ROOT / "switchyard.yaml"
LADDER_TRAIN = ROOT / "eval" / "datasets" / "ladder_train.jsonl"
for f in ("SmolLM2-135M-Instruct.Q4_1.gguf", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", "all-minilm-l6-v2-f16.gguf"):
    assert (MODELS / f).exists(), f"missing models/{f}: run scripts/fetch-models.sh"


@pytest.fixture(scope="module")
def ladder(tmp_path_factory):
    # The shipped config as is, but without the hosted provider's key (so the local ladder answers)
    # and with this suite's thread count.
    text = DEFAULT_CONFIG.read_text()
    d = tmp_path_factory.mktemp("ladder")
    cfg = d / "switchyard.yaml"
    text = text.replace("models_dir: models ", f"models_dir: {_yaml_str(MODELS)} ")
    text = text.replace("chat_template: templates/", f"chat_template: {ROOT}/templates/")
    text = text.replace("file: router/", f"file: {ROOT}/router/")
    text = text.replace("    - pipeline/examples/", f"    - {ROOT}/pipeline/examples/")
    text = text.replace("cache_dir: .cache/pipelines", f"cache_dir: {_yaml_str(d / 'pipelines')}")
    if THREADS:
        text = text.replace("    keep_alive: 10m\n", f"    keep_alive: 10m\n    threads: {THREADS}\n")
    cfg.write_text(text)
    import os
    saved = os.environ.pop("OPENAI_API_KEY", None)
    try:
        srv = ServerProcess(cfg)
    finally:
        if saved is not None:
            os.environ["OPENAI_API_KEY"] = saved
    yield srv
    srv.stop(timeout=20)


def chat(srv: ServerProcess, model: str, prompt: str, max_tokens: int):
    status, headers, body = srv.request("POST", "/v1/chat/completions", {
        "model": model, "messages": [{"role": "user", "content": prompt}], "max_tokens": max_tokens, "temperature": 0},
        timeout=300)
    assert status == 200, body
    return headers, json.loads(body)["choices"][0]["message"]["content"]


def test_auto_sends_easy_prompts_to_the_small_tier_and_hard_ones_to_the_large_tier(ladder):
    # "default" is what a newcomer tries first: it is an alias of the auto route (the header names
    # the route it resolved to). The fitted router (relative label: "SmolLM2 at least as good as
    # Qwen") leaves to SmolLM2 the prompts where Qwen would not do better, e.g. short "what does
    # this program print" questions, which Qwen 1.5B gets wrong 77% of the time in ladder_train.
    easy = "What does this Python program print? Reply with the output only.\n\n```python\nprint(len('abc'))\n```"
    headers, text = chat(ladder, "default", easy, 8)
    assert headers["x-switchyard-route"] == "auto"
    assert headers["x-switchyard-tier"] == "small", headers
    assert headers["x-switchyard-model"] == "smollm2-135m"
    assert text.strip(), text
    # Short arithmetic: Qwen answers it in every ladder_train row, SmolLM2 in none. (The multi-step
    # word problems go to SmolLM2 since the cross-validated fit: Qwen never finishes them within
    # their 16 tokens, so the large call buys nothing there.)
    hard = "What is 7 * 8? Reply with the number only."
    headers, text = chat(ladder, "auto", hard, 6)
    assert headers["x-switchyard-tier"] == "large", headers
    assert headers["x-switchyard-model"] == "qwen2.5-1.5b"
    assert "56" in text, text


def test_explain_shows_the_learned_routers_probability_and_threshold(ladder):
    status, _, body = ladder.request("POST", "/v1/route/explain", {
        "model": "auto", "messages": [{"role": "user", "content": "Convert this date to ISO 8601 format (YYYY-MM-DD). "
                                                                  "Reply with the date only: March 3, 2021"}]})
    assert status == 200, body
    d = json.loads(body)
    step = next(s for s in d["trace"] if s["step"] == "learned_router")
    assert 0 <= step["p_small_ok"] <= 1 and 0 <= step["threshold"] <= 1
    assert step["tier"] == d["tier"] == ("small" if step["p_small_ok"] >= step["threshold"] else "hosted")
    # Without the hosted provider's key its tier is skipped in the plan and the local large tier answers.
    if d["tier"] == "hosted":
        assert d["plan"][0]["skipped"]
    models = {m["id"]: m for m in json.loads(ladder.request("GET", "/v1/models")[2])["data"]}
    assert "auto" in models


# ---- router fit -----------------------------------------------------------------------------

def fit(config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BINARY), "-c", str(config), "router", "fit", *args], capture_output=True, text=True,
                          timeout=300, cwd=str(ROOT))


@pytest.fixture(scope="module")
def fit_config(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("fit")
    cfg = d / "switchyard.yaml"
    cfg.write_text(
        "server: {host: 127.0.0.1, port: 0}\n"
        f"models_dir: {_yaml_str(MODELS)}\n"
        "models:\n"
        "  - {name: smollm2-135m, file: SmolLM2-135M-Instruct.Q4_1.gguf}\n"
        "  - {name: qwen2.5-1.5b, file: qwen2.5-coder-1.5b-instruct-q4_k_m.gguf}\n"
        f"  - {{name: all-minilm-l6-v2, file: all-minilm-l6-v2-f16.gguf, kind: embedding{', threads: %d' % THREADS if THREADS else ''}}}\n")
    return cfg


def small_table(path: Path, n: int = 60, one_class: bool = False) -> Path:
    """An outcome table over ladder_train cases: the small model 'succeeds' on the easy variants."""
    rows = [json.loads(line) for line in LADDER_TRAIN.read_text().splitlines()[:n]]
    with path.open("w") as fh:
        fh.write(json.dumps({"meta": {"small": "tiny", "large": "big"}}) + "\n")
        for r in rows:
            ok = 1.0 if (one_class or r["difficulty"] == "easy") else 0.0
            fh.write(json.dumps({"id": r["id"], "class": r["class"], "outcomes": {"tiny": {"score": ok}, "big": {"score": 1.0}}}) + "\n")
    return path


def test_fit_writes_a_router_file_that_a_route_loads(fit_config, tmp_path, start_server):
    table = small_table(tmp_path / "outcomes.jsonl")
    out = tmp_path / "r.router.json"
    p = fit(fit_config, "--outcomes", str(table), "--dataset", str(LADDER_TRAIN), "--max-large-share", "0.5", "-o", str(out))
    assert p.returncode == 0, p.stderr
    assert "validation (out-of-fold): AUC" in p.stdout and "wrote" in p.stdout
    saved = json.loads(out.read_text())
    # The input (embedding or hashed n-grams) and the decay were chosen by cross-validation among
    # the candidates, and the easy/hard signal is learnable.
    tried = saved["info"]["tried"]
    assert saved["info"]["cv_folds"] == 5 and len(tried) == 10 and {t["input"] for t in tried} == {"embedding", "hashed_ngrams"}
    assert (saved["info"]["input"], saved["info"]["l2"]) in [(t["input"], t["l2"]) for t in tried]
    assert saved["info"]["val_auc"] == max(t["cv_auc"] for t in tried) and saved["info"]["val_auc"] > 0.7
    assert saved["format"] == "switchyard-learned-router" and saved["input"] == saved["info"]["input"]
    assert saved["dims"] == (384 if saved["input"] == "embedding" else 1024)
    assert saved["embed_model"] == ("all-minilm-l6-v2" if saved["input"] == "embedding" else "")
    assert saved["small"] == "tiny" and saved["large"] == "big"
    assert saved["info"]["val_large_share"] <= 0.5
    cfg = tmp_path / "serve.yaml"
    cfg.write_text(fit_config.read_text() + (
        "routes:\n"
        "  - name: learned\n"
        "    tiers: [{name: small, model: smollm2-135m}, {name: large, model: qwen2.5-1.5b}]\n"
        f"    router: {{file: {_yaml_str(out)}}}\n"))
    srv = start_server(cfg.read_text())
    status, _, body = srv.request("POST", "/v1/route/explain", {"model": "learned", "messages": [{"role": "user", "content": "hi"}]})
    assert status == 200, body
    step = next(s for s in json.loads(body)["trace"] if s["step"] == "learned_router")
    assert step["threshold"] == pytest.approx(saved["threshold"], abs=1e-6)
    srv.stop(timeout=20)


def test_a_hashed_ngram_router_needs_no_embedding_model(fit_config, tmp_path, start_server):
    table = small_table(tmp_path / "outcomes.jsonl")
    out = tmp_path / "h.router.json"
    p = fit(fit_config, "--outcomes", str(table), "--dataset", str(LADDER_TRAIN), "--features", "hashed",
            "--target-quality", "0.9", "-o", str(out))
    assert p.returncode == 0, p.stderr
    assert "embedded" not in p.stdout and "input hashed_ngrams" in p.stdout, p.stdout
    saved = json.loads(out.read_text())
    assert saved["input"] == "hashed_ngrams" and saved["embed_model"] == "" and saved["info"]["val_auc"] > 0.7
    # Served by a config with no embedding model at all.
    no_embed = "".join(line + "\n" for line in fit_config.read_text().splitlines() if "kind: embedding" not in line)
    srv = start_server(no_embed + (
        "routes:\n"
        "  - name: hashed\n"
        "    tiers: [{name: small, model: smollm2-135m}, {name: large, model: qwen2.5-1.5b}]\n"
        f"    router: {{file: {_yaml_str(out)}}}\n"))
    easy = json.loads(LADDER_TRAIN.read_text().splitlines()[0])["prompt"]
    hard = json.loads(LADDER_TRAIN.read_text().splitlines()[1])["prompt"]
    steps = {}
    for name, prompt in (("easy", easy), ("hard", hard)):
        status, _, body = srv.request("POST", "/v1/route/explain", {"model": "hashed", "messages": [{"role": "user", "content": prompt}]})
        assert status == 200, body
        steps[name] = next(s for s in json.loads(body)["trace"] if s["step"] == "learned_router")
    assert steps["easy"]["p_small_ok"] > steps["hard"]["p_small_ok"], steps
    srv.stop(timeout=20)


def test_fit_refuses_bad_inputs_clearly(fit_config, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    p = fit(fit_config, "--outcomes", str(empty), "--small", "tiny", "--large", "big", "--max-large-share", "0.3", "-o", str(tmp_path / "x.json"))
    assert p.returncode == 1 and "empty outcome table" in p.stderr, p.stderr

    table = small_table(tmp_path / "t.jsonl")
    p = fit(fit_config, "--outcomes", str(table), "--dataset", str(LADDER_TRAIN), "--small", "smol", "--max-large-share", "0.3",
            "-o", str(tmp_path / "x.json"))
    assert p.returncode == 1 and "unknown tier 'smol'" in p.stderr and "big, tiny" in p.stderr, p.stderr

    one = small_table(tmp_path / "one.jsonl", one_class=True)
    p = fit(fit_config, "--outcomes", str(one), "--dataset", str(LADDER_TRAIN), "--target-quality", "0.97", "-o", str(tmp_path / "x.json"))
    assert p.returncode == 1 and "one class" in p.stderr, p.stderr

    p = fit(fit_config, "--outcomes", str(table), "-o", str(tmp_path / "x.json"))
    assert p.returncode == 1 and "exactly one target" in p.stderr, p.stderr

    p = fit(fit_config, "--outcomes", str(table), "--max-large-share", "0.3", "-o", str(tmp_path / "x.json"))
    assert p.returncode == 1 and "--dataset" in p.stderr, p.stderr
    assert not (tmp_path / "x.json").exists()


def test_fit_from_the_request_log_learns_from_ratings_and_corrections(fit_config, tmp_path, start_server):
    # Real answers from both tiers, logged with their prompts; the ratings are this test's data.
    log = tmp_path / "log.db"
    logged = fit_config.read_text() + f"log: {{path: {_yaml_str(log)}, content: true}}\n"
    srv = start_server(logged)
    rows = [json.loads(line) for line in LADDER_TRAIN.read_text().splitlines()]
    easy = [r for r in rows if r["class"] == "summarisation"][:8]
    hard = [r for r in rows if r["class"] == "multistep_arithmetic"][:8]

    def ask(model, case):
        status, headers, body = srv.request("POST", "/v1/chat/completions", {
            "model": model, "max_tokens": 2, "temperature": 0, "messages": [{"role": "user", "content": case["prompt"]}]}, timeout=300)
        assert status == 200, body
        return headers["x-request-id"]

    def rate(rid, rating, correction=None):
        fb = {"request_id": rid, "rating": rating}
        if correction:
            fb["correction"] = correction
        status, _, body = srv.request("POST", "/v1/feedback", fb)
        assert status == 200, body

    for case in easy:
        rate(ask("smollm2-135m", case), "up")
    for k, case in enumerate(hard):   # half corrected, half only down-rated: both mean "not good enough"
        rate(ask("smollm2-135m", case), "down", str(case["reference"]["answer"]) if k % 2 else None)
    rate(ask("qwen2.5-1.5b", hard[0]), "up")
    rate(ask("qwen2.5-1.5b", easy[0]), "down")
    srv.stop(timeout=20)

    cfg = tmp_path / "fit.yaml"
    cfg.write_text(logged)
    out = tmp_path / "log.router.json"
    p = fit(cfg, "--from-log", "--small", "smollm2-135m", "--large", "qwen2.5-1.5b", "--max-large-share", "0.5", "-o", str(out))
    assert p.returncode == 0, p.stderr
    assert "request log: 18 rated requests" in p.stdout, p.stdout
    # Ratings are per answer (one model each): the label is absolute, every row is cross-validated.
    assert "label: absolute; 8 where 'smollm2-135m' was good enough; cross-validation: 5 folds over 16 rows" in p.stdout, p.stdout
    saved = json.loads(out.read_text())
    assert saved["info"]["from_log_rows"] == 18 and saved["info"]["val_large_share"] <= 0.5
    assert saved["small"] == "smollm2-135m" and saved["large"] == "qwen2.5-1.5b"

    srv = start_server(fit_config.read_text() + (
        "routes:\n"
        "  - name: learned\n"
        "    tiers: [{name: small, model: smollm2-135m}, {name: large, model: qwen2.5-1.5b}]\n"
        f"    router: {{file: {_yaml_str(out)}}}\n"))
    decided = {}
    for name, case in (("easy", easy[-1]), ("hard", hard[-1])):
        status, _, body = srv.request("POST", "/v1/route/explain", {"model": "learned", "messages": [{"role": "user", "content": case["prompt"]}]})
        assert status == 200, body
        step = next(s for s in json.loads(body)["trace"] if s["step"] == "learned_router")
        assert step["threshold"] == pytest.approx(saved["threshold"], abs=1e-6)
        decided[name] = step["p_small_ok"]
    # A summary (rated up) is more likely to be left to the small tier than a word problem (rated down).
    assert decided["easy"] > decided["hard"], decided
    srv.stop(timeout=20)


def test_a_constrained_small_tier_answers_within_its_choices(fit_config, start_server):
    srv = start_server(fit_config.read_text() + (
        "routes:\n"
        "  - name: tight\n"
        "    tiers: [{name: small, model: smollm2-135m}, {name: large, model: qwen2.5-1.5b}]\n"
        "    constrain:\n"
        "      - {name: intent, regex: 'Classify the intent', choices: [account_access, billing, cancellation, shipping, technical_support]}\n"
        "      - {name: number, regex: 'number only', schema: '{\"type\": \"integer\"}'}\n"))
    intent = ("Classify the intent of this customer message as one of: account_access, billing, cancellation, shipping, "
              "technical_support. Reply with the label only.\n\nMessage: I was charged twice for my order.")
    status, headers, body = srv.request("POST", "/v1/chat/completions", {
        "model": "tight", "max_tokens": 8, "temperature": 0, "messages": [{"role": "user", "content": intent}]}, timeout=300)
    assert status == 200, body
    assert headers["x-switchyard-tier"] == "small"
    label = json.loads(body)["choices"][0]["message"]["content"]
    assert label in {"account_access", "billing", "cancellation", "shipping", "technical_support"}, label   # unwrapped: no quotes
    # Streamed, the unwrapped answer arrives as a stream too.
    status, _, body = srv.request("POST", "/v1/chat/completions", {
        "model": "tight", "max_tokens": 8, "temperature": 0, "stream": True, "messages": [{"role": "user", "content": intent}]}, timeout=300)
    assert status == 200, body
    text = "".join(json.loads(line[6:])["choices"][0]["delta"].get("content") or ""
                   for line in body.decode().splitlines() if line.startswith("data: {") and json.loads(line[6:])["choices"])
    assert text == label
    status, _, body = srv.request("POST", "/v1/chat/completions", {
        "model": "tight", "max_tokens": 6, "temperature": 0,
        "messages": [{"role": "user", "content": "What is 17 + 25? Reply with the number only."}]}, timeout=300)
    assert status == 200, body
    assert json.loads(body)["choices"][0]["message"]["content"].lstrip("-").isdigit(), body
    # A client's own format wins; explain names the constraint per tier.
    status, _, body = srv.request("POST", "/v1/route/explain", {"model": "tight", "messages": [{"role": "user", "content": intent}]})
    plan = json.loads(body)["plan"]
    assert plan[0]["constrain"] == "intent" and "constrain" not in plan[1], plan
    status, _, body = srv.request("POST", "/v1/route/explain", {"model": "tight", "response_format": {"type": "json_object"},
                                                                "messages": [{"role": "user", "content": intent}]})
    assert "constrain" not in json.loads(body)["plan"][0]
    srv.stop(timeout=20)
