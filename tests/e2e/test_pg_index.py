"""The index / retrieve nodes on PostgreSQL, against a real PostgreSQL server started here
(tests/support/pg_server.py) and the real default models: the ocr-rag example with its vector
store in the configured store's database (no `db` param) and at a URL given as the node's `db`,
matching the SQLite store's results exactly; incremental re-indexing (content hash, nothing
embedded twice); two server replicas sharing one index; and clear errors for a missing store and
an unreachable database. Debian has no pgvector package, so these cover the exact-search path;
the pgvector path is chosen only when the extension is installed in the database.

Run: .venv/bin/python -m pytest tests/e2e/test_pg_index.py -x -q -p no:cacheprovider
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from conftest import BINARY, ROOT, _yaml_str, chat_model_yaml, config_yaml, embed_model_yaml, pg_bin_dir

pytestmark = pytest.mark.skipif(pg_bin_dir() is None, reason="PostgreSQL server not installed (scripts/setup.sh installs it)")

EXAMPLES = ROOT / "pipeline" / "examples"
MAKE_DOCS = ROOT / "scripts" / "make_sample_docs.py"


_dbs = iter(range(1000))


def new_db(pg) -> str:
    name = f"syidx_{os.getpid()}_{next(_dbs)}"
    pg.create_db(name)
    return name


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, list[dict]]:
    d = tmp_path_factory.mktemp("docs")
    subprocess.run([sys.executable, str(MAKE_DOCS), str(d)], check=True, capture_output=True)
    return d, json.loads((d / "facts.json").read_text())


def write_config(d: Path, models: str, store_url: str | None = None) -> Path:
    text = config_yaml(models)
    if store_url:
        text += f"store: {{kind: postgres, url: {_yaml_str(store_url)}, pool_size: 2}}\n"
    d.mkdir(parents=True, exist_ok=True)
    cfg = d / "switchyard.yaml"
    cfg.write_text(text)
    return cfg


def rag_pipeline(d: Path, db: str | None) -> Path:
    """ocr-rag.yaml with `db` replaced (None: removed, so the store's PostgreSQL is used), a
    shorter answer, and index's `added` count as an output."""
    spec = yaml.safe_load((EXAMPLES / "ocr-rag.yaml").read_text())
    for node in ("store", "found"):
        if db is None:
            del spec["nodes"][node]["params"]["db"]
        else:
            spec["nodes"][node]["params"]["db"] = db
    spec["nodes"]["answer"]["params"]["max_tokens"] = 8
    spec["outputs"]["added"] = "store.added"
    d.mkdir(parents=True, exist_ok=True)
    path = d / "ocr-rag.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def switchyard(config: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("SWITCHYARD_LLAMA_LOG", None)
    return subprocess.run([str(BINARY), "-c", str(config), *args], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=str(ROOT))


def run_rag(config: Path, pipe: Path, cache: Path, docs: Path, question: str) -> dict:
    r = switchyard(config, "pipeline", "run", str(pipe), "--json", "--cache-dir", str(cache),
                   "--input-file", f"folder={docs}", "--input", f"question={question}")
    assert r.returncode == 0, f"rc={r.returncode}\nstdout:{r.stdout}\nstderr:{r.stderr}"
    out = json.loads(r.stdout)
    assert out["ok"], out
    return out


def chunk_rows(pg, db: str) -> int:
    return int(pg.psql("SELECT count(*) FROM switchyard_chunks", db))


def test_ocr_rag_on_postgres_reindexes_incrementally_and_matches_sqlite(pg, corpus, tmp_path):
    docs, facts = corpus
    models = chat_model_yaml(context_size=2048, parallel=4) + embed_model_yaml()
    cache = tmp_path / "cache"            # OCR and PDF results are shared by every run below
    q1 = next(f for f in facts if f["file"] == "invoice-4471.png")
    q2 = next(f for f in facts if f["file"] == "staff-handbook.pdf" and f["page"] == 2)

    # 1. No `db`: the index lives in the configured store's PostgreSQL.
    store_db = new_db(pg)
    cfg_store = write_config(tmp_path / "with-store", models, pg.url(store_db))
    pipe = rag_pipeline(tmp_path / "store-pipe", None)
    first = run_rag(cfg_store, pipe, cache, docs, q1["question"])
    top = first["outputs"]["sources"][0]
    assert (top["metadata"]["file"], top["metadata"]["page"]) == (q1["file"], q1["page"]), first["outputs"]["sources"]
    assert q1["answer"] in top["text"]
    added = first["outputs"]["added"]
    assert added > 0 and chunk_rows(pg, store_db) == added
    assert not list((tmp_path / "store-pipe").glob("*.db")), "no SQLite file is written"
    # Each row carries the model, dimension and content-hash id the SQLite store keeps.
    assert pg.psql("SELECT DISTINCT model || ' ' || dim FROM switchyard_chunks", store_db) == "minilm 384"

    # 2. Same folder, another question: every chunk is found by its content hash, none embedded again.
    second = run_rag(cfg_store, pipe, cache, docs, q2["question"])
    assert second["outputs"]["added"] == 0 and chunk_rows(pg, store_db) == added
    top = second["outputs"]["sources"][0]
    assert (top["metadata"]["file"], top["metadata"]["page"]) == (q2["file"], q2["page"]), second["outputs"]["sources"]

    # 3. A URL as the node's `db`, with no store configured: a fresh database, indexed from scratch.
    url_db = new_db(pg)
    cfg_plain = write_config(tmp_path / "plain", models)
    by_url = run_rag(cfg_plain, rag_pipeline(tmp_path / "url-pipe", pg.url(url_db)), cache, docs, q2["question"])
    assert by_url["outputs"]["added"] == added and chunk_rows(pg, url_db) == added

    # 4. The SQLite store, same question: same chunks, same order, same scores (bit for bit).
    by_sqlite = run_rag(cfg_plain, rag_pipeline(tmp_path / "sqlite-pipe", "vectors.db"), cache, docs, q2["question"])
    assert (tmp_path / "sqlite-pipe" / "vectors.db").exists()
    assert by_sqlite["outputs"]["added"] == added
    for pg_run in (second, by_url):
        assert pg_run["outputs"]["sources"] == by_sqlite["outputs"]["sources"]
        assert pg_run["outputs"]["citation"] == by_sqlite["outputs"]["citation"]


KB_ADD = """name: kb-add
description: Stores a text's sentences in the shared index
inputs:
  text: {type: text}
nodes:
  split:
    type: chunk
    params: {by: sentences, size: 1, overlap: 0}
    inputs: {text: $inputs.text}
  store:
    type: index
    params: {model: minilm, collection: kb}
    inputs: {chunks: split.chunks}
outputs:
  added: store.added
  ids: store.ids
"""

KB_ASK = """name: kb-ask
description: Finds the stored sentence nearest to a question
inputs:
  question: {type: text}
nodes:
  found:
    type: retrieve
    params: {model: minilm, collection: kb, top_k: 2}
    inputs: {query: $inputs.question}
outputs:
  chunks: found.chunks
  matches: found.matches
"""

FACTS = ("The loading dock closes at 17:30 on weekdays. The visitor parking is behind building C. "
         "Badge photos are taken on the second floor. The cafeteria serves soup on Thursdays.")


def run_http(srv, name: str, inputs: dict) -> tuple[int, dict]:
    status, _, raw = srv.request("POST", f"/v1/pipelines/{name}/run", {"inputs": inputs}, timeout=120)
    return status, json.loads(raw)


def test_two_replicas_share_one_index(pg, start_server, tmp_path):
    db = new_db(pg)
    (tmp_path / "kb-add.yaml").write_text(KB_ADD)
    (tmp_path / "kb-ask.yaml").write_text(KB_ASK)
    cfg = config_yaml(embed_model_yaml()) + (
        f"store: {{kind: postgres, url: {_yaml_str(pg.url(db))}, pool_size: 2}}\n"
        f"pipelines:\n  files: [{_yaml_str(tmp_path / 'kb-add.yaml')}, {_yaml_str(tmp_path / 'kb-ask.yaml')}]\n")
    a, b = start_server(cfg), start_server(cfg)

    # Both replicas index the same text at once: one set of rows, no conflict error.
    results: list[tuple[int, dict]] = []
    threads = [threading.Thread(target=lambda s=s: results.append(run_http(s, "kb-add", {"text": FACTS}))) for s in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for status, body in results:
        assert status == 200 and body["ok"], body
    ids = results[0][1]["outputs"]["ids"]
    assert len(ids) == 4 and results[1][1]["outputs"]["ids"] == ids
    assert int(pg.psql("SELECT count(*) FROM switchyard_chunks WHERE collection = 'kb'", db)) == 4

    # What replica A stored, replica B finds; and a re-run on B embeds nothing new.
    status, body = run_http(b, "kb-ask", {"question": "When does the loading dock close?"})
    assert status == 200 and body["ok"], body
    assert body["outputs"]["chunks"][0] == "The loading dock closes at 17:30 on weekdays.", body["outputs"]
    assert body["outputs"]["matches"][0]["id"] in ids
    status, body = run_http(b, "kb-add", {"text": FACTS})
    assert status == 200 and body["outputs"]["added"] == 0

    # A new fact added through B is found through A.
    status, body = run_http(b, "kb-add", {"text": "The rooftop garden opens in May."})
    assert status == 200 and body["outputs"]["added"] == 1
    status, body = run_http(a, "kb-ask", {"question": "When does the rooftop garden open?"})
    assert status == 200 and body["outputs"]["chunks"][0] == "The rooftop garden opens in May.", body["outputs"]
    for srv in (a, b):
        assert srv.stop() == 0, srv.stderr_text()


def kb_run(config: Path, pipe: Path) -> subprocess.CompletedProcess:
    return switchyard(config, "pipeline", "run", str(pipe), "--json", "--no-cache", "--input", "text=One fact. Another fact.")


def test_no_db_and_no_postgres_store_is_a_clear_error(tmp_path):
    cfg = write_config(tmp_path, embed_model_yaml())
    pipe = tmp_path / "kb-add.yaml"
    pipe.write_text(KB_ADD)
    r = kb_run(cfg, pipe)
    assert r.returncode != 0
    out = json.loads(r.stdout)
    store = next(n for n in out["nodes"] if n["id"] == "store")
    assert store["status"] == "failed"
    assert "no db: set params.db (a SQLite file or a postgresql:// URL), or configure store: {kind: postgres}" in store["message"], store


def test_unreachable_database_is_reported_without_the_password(tmp_path):
    cfg = write_config(tmp_path, embed_model_yaml())
    pipe = tmp_path / "kb-add.yaml"
    pipe.write_text(KB_ADD.replace("params: {model: minilm, collection: kb}",
                                   "params: {model: minilm, collection: kb, db: 'postgresql://sy:hunter2@127.0.0.1:1/kb'}"))
    r = kb_run(cfg, pipe)
    assert r.returncode != 0
    store = next(n for n in json.loads(r.stdout)["nodes"] if n["id"] == "store")
    assert store["status"] == "failed"
    assert "cannot connect to PostgreSQL at postgresql://sy:***@127.0.0.1:1/kb" in store["message"], store
    assert "hunter2" not in r.stdout + r.stderr
