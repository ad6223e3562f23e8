"""`switchyard pipeline run | check` on the shipped examples, with the real default models.

The chat model is Gemma 3 270M (base), so assertions stick to what the pipelines guarantee
by construction: citations come from the retrieved chunk's metadata, extracted JSON is
grammar-constrained by its schema, spelling is fixed by the deterministic step, and routing
shows in node statuses. Each test writes its pipelines, vector store and node cache under
tmp_path, so nothing in the repository changes.

Run: .venv/bin/python -m pytest tests/e2e/test_pipelines_cli.py -q -p no:cacheprovider
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import BINARY, CHAT_FILE, EMBED_FILE, ROOT, TEMPLATE, chat_model_yaml, config_yaml, embed_model_yaml

EXAMPLES = ROOT / "pipeline" / "examples"
MAKE_DOCS = ROOT / "scripts" / "make_sample_docs.py"

SEEDED = {"teh": "the", "recieve": "receive", "tommorow": "tomorrow", "beleive": "believe", "definately": "definitely",
          "seperately": "separately", "untill": "until", "wich": "which"}
PROOFREAD_TEXT = ("teh team will recieve the the new laptops tommorow . i beleive the vendor is definately "
                  "reliable , wich matters. the old machines will be stored seperately untill friday.")


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Path:
    """The default models plus the default config's `smart` route (cloud tier first)."""
    for f in (BINARY, CHAT_FILE, EMBED_FILE, TEMPLATE):
        assert f.exists(), f"missing {f}"
    d = tmp_path_factory.mktemp("pipeline-cli")
    text = config_yaml(chat_model_yaml(context_size=2048, parallel=4) + embed_model_yaml()) + """
providers:
  - name: cloud
    base_url: https://api.openai.com/v1
    api_key_env: OPENAI_API_KEY
    models: {large: gpt-4o-mini}
routes:
  - name: smart
    tiers:
      - {name: small, model: gemma-3-270m}
      - {name: large, provider: cloud, model: large}
    rules:
      - {name: everything, min_chars: 0, tier: large}
"""
    cfg = d / "switchyard.yaml"
    cfg.write_text(text)
    return cfg


def pipeline_copy(tmp_path: Path, name: str) -> Path:
    """A copy of an example in tmp_path: relative params (the vector store) resolve there."""
    dst = tmp_path / "pipelines" / name
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLES / name, dst)
    return dst


def switchyard(config: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("OPENAI_API_KEY", None)          # the large tier stays offline: `smart` falls back locally
    env.pop("SWITCHYARD_LLAMA_LOG", None)
    return subprocess.run([str(BINARY), "-c", str(config), *args], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=str(ROOT))


def run_json(config: Path, pipeline: Path, cache: Path, *inputs: str) -> dict:
    r = switchyard(config, "pipeline", "run", str(pipeline), "--json", "--cache-dir", str(cache), *inputs)
    assert r.returncode == 0, f"rc={r.returncode}\nstdout:{r.stdout}\nstderr:{r.stderr}"
    return json.loads(r.stdout)


def statuses(result: dict) -> dict[str, str]:
    return {n["id"]: n["status"] for n in result["nodes"]}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, list[dict]]:
    d = tmp_path_factory.mktemp("docs")
    subprocess.run([sys.executable, str(MAKE_DOCS), str(d)], check=True, capture_output=True)
    return d, json.loads((d / "facts.json").read_text())


def test_ocr_rag_answers_cite_the_page_holding_the_fact(config, corpus, tmp_path):
    docs, facts = corpus
    pipe = pipeline_copy(tmp_path, "ocr-rag.yaml")
    cache = tmp_path / "cache"
    # A rotated scan, a noisy one, page 2 of the PDF with a text layer, and the image-only PDF.
    wanted = {("invoice-4471.png", 1), ("lab-freezer.png", 1), ("staff-handbook.pdf", 2), ("generator-scan.pdf", 1)}
    asked = [f for f in facts if (f["file"], f["page"]) in wanted]
    assert len(asked) == len(wanted)
    for i, fact in enumerate(asked):
        out = run_json(config, pipe, cache, "--input-file", f"folder={docs}", "--input", f"question={fact['question']}")
        assert out["ok"], out
        top = out["outputs"]["sources"][0]
        assert (top["metadata"]["file"], top["metadata"]["page"]) == (fact["file"], fact["page"]), out["outputs"]["sources"]
        assert out["outputs"]["citation"].startswith(f"{fact['file']}, page {fact['page']}:"), out["outputs"]["citation"]
        assert fact["answer"] in top["text"], f"OCR lost the fact: {top['text']!r}"
        assert isinstance(out["outputs"]["answer"], str) and out["outputs"]["answer"].strip()
        ingested = {(p["file"], p["page"]) for p in out["outputs"]["pages"]}
        assert ingested == {(f["file"], f["page"]) for f in facts}
        if i > 0:   # the folder was read once: later questions reuse every OCR and PDF result
            s = statuses(out)
            assert s["ocr_images"] == "cached" and s["read_pdfs"] == "cached", s
            assert s["found"] == "ok" and s["store"] == "ok", s


def test_ocr_rag_streams_the_answer_and_prints_the_citation(config, corpus, tmp_path):
    docs, facts = corpus
    fact = next(f for f in facts if f["file"] == "warehouse-notes.png")
    pipe = pipeline_copy(tmp_path, "ocr-rag.yaml")
    r = switchyard(config, "pipeline", "run", str(pipe), "--cache-dir", str(tmp_path / "cache"),
                   "--input-file", f"folder={docs}", "--input", f"question={fact['question']}")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("== answer ==\n"), r.stdout[:300]
    citation = r.stdout.split("== citation ==\n", 1)[1].splitlines()[0]
    assert citation.startswith("warehouse-notes.png, page 1:"), citation
    # The timing table goes to stderr, one row per node.
    for node in ("scan", "ocr_images", "read_pdfs", "store", "found", "answer"):
        assert any(line.startswith(node + " ") for line in r.stderr.splitlines()), r.stderr


def test_triage_extracts_valid_json_and_escalates_hard_tickets(config, tmp_path):
    pipe = pipeline_copy(tmp_path, "triage.yaml")
    schema = yaml.safe_load(pipe.read_text())["nodes"]["fields"]["params"]["schema"]
    cache = tmp_path / "cache"
    hard = run_json(config, pipe, cache, "--input", "ticket=URGENT: our production server has been down since your "
                    "update last night and customer data was lost. All 200 users are affected. Order 88412, Acme Corp.")
    jsonschema.validate(hard["outputs"]["fields"], schema)
    assert hard["outputs"]["difficulty"] == "hard"
    s = statuses(hard)
    assert s["escalated_reply"] == "ok" and s["local_reply"] == "skipped", s   # the node whose model is `smart`
    assert isinstance(hard["outputs"]["escalated_reply"], str) and hard["outputs"]["local_reply"] is None
    assert yaml.safe_load(pipe.read_text())["nodes"]["escalated_reply"]["params"]["model"] == "smart"

    easy = run_json(config, pipe, cache, "--input", "ticket=Hi, how do I change the email address on my account? Thanks, Maria")
    jsonschema.validate(easy["outputs"]["fields"], schema)
    assert easy["outputs"]["difficulty"] == "easy" and easy["outputs"]["topic"] == "account"
    s = statuses(easy)
    assert s["local_reply"] == "ok" and s["escalated_reply"] == "skipped", s


def test_proofread_fixes_seeded_misspellings_and_runs_the_model_steps(config, tmp_path):
    pipe = pipeline_copy(tmp_path, "proofread.yaml")
    out = run_json(config, pipe, tmp_path / "cache", "--input", f"text={PROOFREAD_TEXT}")
    corrected = out["outputs"]["corrected"]
    for wrong, right in SEEDED.items():
        for name in ("corrected", "outline", "summary"):
            assert wrong not in out["outputs"][name].lower().split(), (name, wrong, out["outputs"][name])
        assert right in corrected.lower(), (right, corrected)
    assert "the the" not in corrected.lower() and corrected.startswith("The team")
    s = statuses(out)
    assert s["structure"] == "ok" and s["summary"] == "ok", s       # the model steps ran
    assert 10 <= len(out["outputs"]["summary"]) <= 140   # the schema bounds its length


def test_second_run_is_cached_and_an_edit_reruns_only_its_node(config, tmp_path):
    pipe = pipeline_copy(tmp_path, "proofread.yaml")
    cache = tmp_path / "cache"
    args = ("--input", "text=i recieve the report tommorow.")
    first = run_json(config, pipe, cache, *args)
    assert set(statuses(first).values()) == {"ok"}
    second = run_json(config, pipe, cache, *args)
    assert set(statuses(second).values()) == {"cached"}, statuses(second)
    assert second["outputs"] == first["outputs"]
    # Edit the summary prompt: summary runs again, and so may what reads it; nothing upstream does.
    pipe.write_text(pipe.read_text().replace("Summarise this text in one sentence.", "Summarise this text briefly."))
    third = run_json(config, pipe, cache, *args)
    s = statuses(third)
    assert s["summary"] == "ok", s
    assert s["spelling"] == s["structure"] == s["outline"] == "cached", s
    assert s["one_line"] in ("ok", "cached"), s     # cached when the new prompt happens to give the same summary


def test_check_reports_problems_with_file_and_line(config, tmp_path):
    for name in ("ocr-rag.yaml", "triage.yaml", "proofread.yaml"):
        r = switchyard(config, "pipeline", "check", str(EXAMPLES / name))
        assert r.returncode == 0 and r.stdout.startswith("ok: "), (name, r.stdout, r.stderr)
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: broken\ninputs:\n  text: {type: text}\nnodes:\n"
                      "  a:\n    type: llm\n    params: {model: no-such-model, prompt: \"{{text}}\"}\n    inputs: {text: $inputs.text}\n"
                      "  b:\n    type: no-such-type\n    inputs: {x: a.text}\n"
                      "  c:\n    type: template\n    params: {template: \"{{y}}\"}\n    inputs: {y: a.missing_port}\n"
                      "outputs:\n  out: c.text\n")
    for cmd in ("check", "run"):
        r = switchyard(config, "pipeline", cmd, str(broken))
        assert r.returncode == 2, (cmd, r.stdout, r.stderr)
        lines = [l for l in r.stderr.splitlines() if l.startswith(str(broken) + ":")]
        assert len(lines) >= 3, r.stderr
        assert all(l.split(":")[1].isdigit() for l in lines), lines
        assert any("no-such-model" in l for l in lines) and any("no-such-type" in l for l in lines), lines


def test_bad_inputs_exit_2_before_loading_models(config, tmp_path):
    pipe = pipeline_copy(tmp_path, "proofread.yaml")
    r = switchyard(config, "pipeline", "run", str(pipe), "--input", "nope=1")
    assert r.returncode == 2 and "no input 'nope'" in r.stderr, r.stderr
    r = switchyard(config, "pipeline", "run", str(pipe))
    assert r.returncode == 2 and "inputs.text: missing" in r.stderr, r.stderr


def test_ctrl_c_cancels_with_exit_130(config, corpus, tmp_path):
    docs, _ = corpus
    pipe = pipeline_copy(tmp_path, "ocr-rag.yaml")
    env = dict(os.environ)
    env.pop("OPENAI_API_KEY", None)
    proc = subprocess.Popen([str(BINARY), "-c", str(config), "pipeline", "run", str(pipe), "--no-cache", "--json",
                             "--input-file", f"folder={docs}", "--input", "question=When is the picnic?"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=str(ROOT))
    time.sleep(0.6)   # inside OCR: it takes over a second for the whole folder
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("the run finished before the signal arrived")
    assert proc.returncode == 130, (out, err)
    result = json.loads(out)
    assert result["cancelled"] and not result["ok"]
    assert "cancelled" in statuses(result).values()
