"""Speculative decoding by prompt lookup (models[].speculative) over real HTTP: the same GGUF
served twice, with and without drafting, gives the same greedy answers on copy-heavy prompts."""
from conftest import MODELS, _yaml_str, config_yaml

SMOL = MODELS / "SmolLM2-135M-Instruct.Q4_1.gguf"

PROMPTS = [
    "Fix the grammar and write the corrected text: 'She go to the market every mornings and buy two bread.'",
    "Extract the email address from this text: 'For refunds write to billing@example.org before 5 May.'",
    "Repeat exactly: the quick brown fox jumps over the lazy dog near the river bank.",
]


def model_yaml(name: str, speculative: str = "") -> str:
    return (f"  - name: {name}\n    file: {_yaml_str(SMOL)}\n    context_size: 1024\n    parallel: 2\n    threads: 1\n"
            + (f"    speculative: {speculative}\n" if speculative else ""))


def test_drafting_keeps_greedy_answers_identical(start_server):
    srv = start_server(config_yaml(model_yaml("plain") + model_yaml("drafted", "{ngram: 3, max_draft: 8}")))
    client = srv.client()
    accepted = 0
    for p in PROMPTS:
        answers = []
        for model in ("plain", "drafted"):
            r = client.chat.completions.create(model=model, max_tokens=40, temperature=0,
                                               messages=[{"role": "user", "content": p}])
            answers.append((r.choices[0].message.content, r.choices[0].finish_reason, r.usage.completion_tokens))
            details = r.usage.completion_tokens_details
            if model == "plain":
                assert details is None or not details.accepted_prediction_tokens
            elif details is not None:
                accepted += details.accepted_prediction_tokens or 0
        assert answers[1] == answers[0], p
    # OpenAI's predicted-output fields report the drafting; the "Repeat exactly" answer copies.
    assert accepted > 0
    srv.stop()


def test_bad_speculative_config_is_a_clear_error(tmp_path):
    import subprocess
    from conftest import BINARY
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(config_yaml(model_yaml("m", "{ngram: 3, max_drafts: 8}")))
    r = subprocess.run([str(BINARY), "--config", str(cfg), "models"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "models[0].speculative" in r.stderr and "max_drafts" in r.stderr, r.stderr
