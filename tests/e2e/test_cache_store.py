"""The response cache beyond memory, end to end with the real models: entries stored in the
request log's SQLite file survive a restart (per caller key and route, with hit/miss in the
header, the log and the metrics), and the opt-in semantic cache answers a paraphrase with the
real MiniLM embedding model while a different question misses.
"""
from __future__ import annotations

import os
import sqlite3
import time

import openai
import pytest

from conftest import CHAT_MODEL, _yaml_str, chat_model_yaml, config_yaml, embed_model_yaml

ALICE, BOB = "sk-e2e-cache-alice", "sk-e2e-cache-bob"


def keyed_config(models: str, db, extra: str) -> str:
    os.environ["SWITCHYARD_E2E_CACHE_ALICE"] = ALICE
    os.environ["SWITCHYARD_E2E_CACHE_BOB"] = BOB
    return config_yaml(models).replace(
        "  shutdown_grace:", "  api_keys:\n    - {name: alice, key_env: SWITCHYARD_E2E_CACHE_ALICE}\n"
                             "    - {name: bob, key_env: SWITCHYARD_E2E_CACHE_BOB}\n  shutdown_grace:") + f"""
log: {{path: {_yaml_str(db)}}}
routes:
  - name: auto
    tiers:
      - {{name: small, model: {CHAT_MODEL}}}
      - {{name: large, model: gemma}}
""" + extra


def client(srv, key):
    return openai.OpenAI(base_url=srv.base_url, api_key=key, timeout=120, max_retries=0)


def rows(db) -> list[tuple]:
    with sqlite3.connect(db) as c:
        return c.execute("SELECT route, scope, expires FROM response_cache").fetchall()


def test_cached_answers_survive_a_restart(start_server, tmp_path):
    db = tmp_path / "log.db"
    text = keyed_config(chat_model_yaml(parallel=2), db, "cache: {ttl: 10m, max_entries: 100}\n")
    msgs = [{"role": "user", "content": f"Name a fruit. ({time.monotonic_ns()})"}]
    srv = start_server(text)
    first = client(srv, ALICE).chat.completions.with_raw_response.create(model="auto", messages=msgs, max_tokens=8, temperature=0)
    assert first.headers["x-switchyard-cache"] == "miss"
    deadline = time.monotonic() + 10
    while not rows(db) and time.monotonic() < deadline:
        time.sleep(0.05)
    [(route, scope, expires)] = rows(db)
    assert (route, scope) == ("auto/chat", "alice"), "stored per route and caller key"
    assert 590 < expires - time.time() <= 600, "with the configured TTL"
    with sqlite3.connect(db) as c:
        dump = "\n".join(str(r) for r in c.execute("SELECT * FROM response_cache"))
    # (The answer is stored; the base model often echoes the prompt, so look for the request's JSON.)
    assert '"messages"' not in dump and '"temperature"' not in dump, "the request is stored only as a hash"
    assert srv.stop() == 0

    again = start_server(text)   # a new process: its memory is empty
    t0 = time.monotonic()
    hit = client(again, ALICE).chat.completions.with_raw_response.create(model="auto", messages=msgs, max_tokens=8, temperature=0)
    t_hit = time.monotonic() - t0
    assert hit.headers["x-switchyard-cache"] == "hit"
    assert hit.parse().choices[0].message.content == first.parse().choices[0].message.content
    assert hit.parse().usage.completion_tokens == first.parse().usage.completion_tokens
    entry = again.log_entry(hit.headers["x-request-id"])
    assert entry["cache"] == "hit"
    assert {"step": "cache", "result": "hit", "tier": "small", "source": "database"} in entry["trace"]
    assert again.metric("switchyard_cache_requests_total", {"result": "hit"}) == 1
    # Loaded once, then served from memory.
    hit2 = client(again, ALICE).chat.completions.with_raw_response.create(model="auto", messages=msgs, max_tokens=8, temperature=0)
    assert {"step": "cache", "result": "hit", "tier": "small", "source": "memory"} in again.log_entry(hit2.headers["x-request-id"])["trace"]
    # Another caller's identical request is not served from alice's entry; a changed parameter misses.
    other = client(again, BOB).chat.completions.with_raw_response.create(model="auto", messages=msgs, max_tokens=8, temperature=0)
    assert other.headers["x-switchyard-cache"] == "miss"
    changed = client(again, ALICE).chat.completions.with_raw_response.create(model="auto", messages=msgs, max_tokens=7, temperature=0)
    assert changed.headers["x-switchyard-cache"] == "miss"
    assert again.metric("switchyard_cache_requests_total", {"result": "miss"}) == 2
    print(f"hit after restart answered in {t_hit * 1000:.0f} ms")


def test_persist_off_keeps_the_cache_in_memory(start_server, tmp_path):
    db = tmp_path / "log.db"
    srv = start_server(keyed_config(chat_model_yaml(parallel=2), db, "cache: {ttl: 10m, persist: false}\n"))
    r = client(srv, ALICE).chat.completions.with_raw_response.create(model="auto", messages=[{"role": "user", "content": "Hi"}],
                                                                  max_tokens=2, temperature=0)
    assert r.headers["x-switchyard-cache"] == "miss"
    srv.log_entry(r.headers["x-request-id"])
    with sqlite3.connect(db) as c:
        assert not c.execute("SELECT name FROM sqlite_master WHERE name = 'response_cache'").fetchall()


# ---- semantic cache ----------------------------------------------------------------------------

QUESTION = "What is the capital city of France?"
PARAPHRASE = "Which city is the capital of France?"
DIFFERENT = "How many legs does a spider have?"


@pytest.fixture(scope="module")
def semantic(start_server, tmp_path_factory):
    db = tmp_path_factory.mktemp("semantic") / "log.db"
    extra = ("cache:\n  ttl: 10m\n  semantic: {model: all-minilm-l6-v2, threshold: 0.8, classes: {faq: 0.8}}\n")
    return start_server(keyed_config(chat_model_yaml(parallel=2) + embed_model_yaml(), db, extra))


def ask(srv, text, task="faq", cache=None, max_tokens=8):
    headers = {"X-Switchyard-Task": task} if task else {}
    if cache:
        headers["X-Switchyard-Cache"] = cache
    return client(srv, ALICE).chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "system", "content": "Answer in a few words."}, {"role": "user", "content": text}],
        max_tokens=max_tokens, temperature=0, extra_headers=headers)


def semantic_step(srv, raw) -> dict:
    entry = srv.log_entry(raw.headers["x-request-id"])
    steps = [s for s in entry["trace"] if s.get("step") == "cache" and s.get("source") == "semantic"]
    return steps[0] if steps else {}


def test_a_paraphrase_hits_the_semantic_cache_and_a_different_question_misses(semantic):
    first = ask(semantic, QUESTION)
    assert first.headers["x-switchyard-cache"] == "miss"
    assert semantic_step(semantic, first)["similarity"] is None, "nothing to compare with yet"
    para = ask(semantic, PARAPHRASE)
    step = semantic_step(semantic, para)
    assert para.headers["x-switchyard-cache"] == "semantic_hit", step
    assert para.parse().choices[0].message.content == first.parse().choices[0].message.content
    assert step["result"] == "hit" and step["class"] == "faq" and step["similarity"] >= 0.8
    # Streamed, the semantic hit is replayed as chunks.
    raw = client(semantic, ALICE).chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "system", "content": "Answer in a few words."}, {"role": "user", "content": "Tell me France's capital city."}],
        max_tokens=8, temperature=0, stream=True, extra_headers={"X-Switchyard-Task": "faq"})
    assert raw.headers["x-switchyard-cache"] == "semantic_hit"
    assert "".join(c.choices[0].delta.content or "" for c in raw.parse() if c.choices) == first.parse().choices[0].message.content
    other = ask(semantic, DIFFERENT)
    step = semantic_step(semantic, other)
    assert other.headers["x-switchyard-cache"] == "miss"
    assert step["result"] == "miss" and step["similarity"] < 0.8, step
    assert semantic.metric("switchyard_cache_requests_total", {"result": "semantic_hit"}) >= 1
    print(f"similarities: paraphrase {semantic_step(semantic, para)['similarity']:.3f}, different {step['similarity']:.3f}")


def test_semantic_cache_is_per_class_and_can_be_bypassed(semantic):
    ask(semantic, "What is the largest ocean on Earth?")
    # A class not listed under cache.semantic.classes never consults it.
    untagged = ask(semantic, "Which ocean is the largest on Earth?", task=None)
    assert untagged.headers["x-switchyard-cache"] == "miss" and semantic_step(semantic, untagged) == {}
    # "exact" keeps the exact-match cache but skips the semantic one; "bypass" skips both.
    exact = ask(semantic, "Name the largest ocean on Earth.", cache="exact")
    assert exact.headers["x-switchyard-cache"] == "miss" and semantic_step(semantic, exact) == {}
    bypass = ask(semantic, "Which ocean is the largest on Earth?", cache="bypass")
    assert bypass.headers["x-switchyard-cache"] == "bypass"
    # A different max_tokens is a different request: not answered by the cached one.
    longer = ask(semantic, "Tell me the largest ocean on Earth.", max_tokens=9)
    assert longer.headers["x-switchyard-cache"] == "miss"
    assert semantic.log_entry(longer.headers["x-request-id"])["cache"] == "miss"
