"""PostgreSQL as the shared store (store: {kind: postgres}), against a real PostgreSQL server
started here (tests/support/pg_server.py): migrations from empty, a database newer than the
binary, an unreachable database, two replicas sharing spend limits and tier bumps, and a
database restart under load. The tiers are remote ones on the fault upstream (priced), so no
model is decoded and the tests stay cheap."""
from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from pathlib import Path

import openai
import pytest

from conftest import BINARY, ROOT, ServerProcess, _yaml_str, chat_model_yaml, config_yaml, error_of, pg_bin_dir

pytestmark = pytest.mark.skipif(pg_bin_dir() is None, reason="PostgreSQL server not installed (scripts/setup.sh installs it)")

KEY = "sk-e2e-pg-erin"
PRICE = 1000.0   # USD per 1M tokens, in and out: each fault-upstream answer (8 tokens) costs $0.008
CALL_COST = 0.008
LIMIT = 0.05     # erin's daily limit: with the pre-call estimate (~$0.012) five calls fit, not six
SYNC_MS = 100


_dbs = iter(range(1000))


@pytest.fixture
def db(pg) -> str:
    name = f"sy_{os.getpid()}_{next(_dbs)}"
    pg.create_db(name)
    return name


def replica_yaml(url: str, fault_url: str) -> str:
    os.environ["SWITCHYARD_E2E_PG_KEY"] = KEY
    os.environ["SWITCHYARD_E2E_PG_URL"] = url
    return config_yaml(chat_model_yaml()).replace(
        "  shutdown_grace:", "  api_keys:\n    - {name: erin, key_env: SWITCHYARD_E2E_PG_KEY, "
        f"spend_limit: {LIMIT}, role: admin}}\n  shutdown_grace:") + f"""
store: {{kind: postgres, url_env: SWITCHYARD_E2E_PG_URL, pool_size: 2, sync_interval_ms: {SYNC_MS}}}
log: {{content: true}}
providers:
  - name: paid
    base_url: {fault_url}
    price: {{input: {PRICE}, output: {PRICE}}}
    retries: 0
routes:
  - name: paid-only
    tiers: [{{name: paid, provider: paid, model: "ok#pg-paid"}}]
  - name: graded
    tiers:
      - {{name: small, provider: paid, model: "ok#pg-small"}}
      - {{name: large, provider: paid, model: "ok#pg-large"}}
    feedback: {{window: 4, min_ratings: 2, max_down_rate: 0.5}}
"""


@pytest.fixture
def replicas(start_server, fault_upstream, db, pg):
    """Two switchyard processes on one database (each with its own config file)."""
    yaml = replica_yaml(pg.url(db), fault_upstream.base_url)
    pair = start_server(yaml), start_server(yaml)
    yield pair
    for srv in pair:
        assert srv.stop() == 0, srv.stderr_text()


def client(srv: ServerProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=srv.base_url, api_key=KEY, max_retries=0, timeout=30)


def ask(srv: ServerProcess, model: str = "paid-only", **kw):
    return client(srv).chat.completions.with_raw_response.create(model=model, messages=[{"role": "user", "content": "hi"}],
                                                                 max_tokens=3, **kw)


def run_serve(config: Path, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([str(BINARY), "--config", str(config), "serve", "--port", "0"], capture_output=True, text=True,
                          timeout=timeout, cwd=str(ROOT))


def test_migrations_from_empty(replicas, pg, db):
    a, _ = replicas
    assert pg.psql("SELECT version FROM switchyard_schema", db) == "2"
    tables = set(pg.psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", db).split())
    assert {"requests", "feedback", "tier_bumps", "bump_resets", "spend_events", "spend_daily", "switchyard_schema",
            "response_cache"} <= tables
    raw = ask(a)
    rid = raw.parse().id
    status, _, body = a.request("GET", "/health")
    health = json.loads(body)
    assert health["store"]["kind"] == "postgres" and health["store"]["connected"] is True
    deadline = time.monotonic() + 5
    while pg.psql(f"SELECT count(*) FROM requests WHERE id = '{rid}'", db) != "1":
        assert time.monotonic() < deadline, "the request was not logged in PostgreSQL"
        time.sleep(0.1)
    assert pg.psql(f"SELECT route, tier, api_key FROM requests WHERE id = '{rid}'", db) == "paid-only|paid|erin"
    # The second replica found the schema in place: one version row, nothing migrated twice.
    assert pg.psql("SELECT count(*) FROM switchyard_schema", db) == "1"


def test_replicas_share_the_response_cache(start_server, fault_upstream, db, pg):
    yaml = replica_yaml(pg.url(db), fault_upstream.base_url) + "cache: {ttl: 10m, max_entries: 50}\n"
    a, b = start_server(yaml), start_server(yaml)
    first = ask(a, temperature=0)
    assert first.headers["x-switchyard-cache"] == "miss"
    deadline = time.monotonic() + 5
    while pg.psql("SELECT count(*) FROM response_cache", db) != "1":
        assert time.monotonic() < deadline, "the answer was not stored in PostgreSQL"
        time.sleep(0.05)
    assert pg.psql("SELECT route, scope FROM response_cache", db) == "paid-only/chat|erin"
    hit = ask(b, temperature=0)   # the other replica: nothing in its memory
    assert hit.headers["x-switchyard-cache"] == "hit"
    assert hit.parse().choices[0].message.content == first.parse().choices[0].message.content
    assert {"step": "cache", "result": "hit", "tier": "paid", "source": "database"} in b.log_entry(hit.headers["x-request-id"])["trace"]
    for srv in (a, b):
        assert srv.stop() == 0, srv.stderr_text()


def test_schema_newer_than_binary_is_refused(pg, db, fault_upstream, tmp_path):
    cfg = tmp_path / "switchyard.yaml"
    cfg.write_text(replica_yaml(pg.url(db), fault_upstream.base_url))
    pg.psql("CREATE TABLE switchyard_schema (version INTEGER NOT NULL); INSERT INTO switchyard_schema VALUES (99)", db)
    r = run_serve(cfg)
    assert r.returncode != 0
    assert "schema version 99" in r.stderr and "newer than this switchyard" in r.stderr, r.stderr


def test_unreachable_database_is_a_clear_start_up_error(fault_upstream, tmp_path):
    cfg = tmp_path / "switchyard.yaml"
    nowhere = tmp_path / "no-server-here"
    nowhere.mkdir()
    url = f"postgresql://sy:hunter2secret@/switchyard?host={nowhere}&port=5999"
    cfg.write_text(replica_yaml(url, fault_upstream.base_url))
    started = time.monotonic()
    r = run_serve(cfg)
    assert r.returncode != 0
    assert time.monotonic() - started < 20
    assert "cannot connect to PostgreSQL at postgresql://sy:***@" in r.stderr, r.stderr
    assert "hunter2secret" not in r.stderr + r.stdout


def test_two_replicas_share_the_spend_limit(replicas, pg, db):
    a, b = replicas
    outcomes = []
    for i in range(10):  # alternating, as a round-robin load balancer would
        srv = (a, b)[i % 2]
        try:
            ask(srv)
            outcomes.append("ok")
        except openai.RateLimitError as e:
            assert error_of(e)["code"] == "insufficient_quota"
            outcomes.append("429")
        time.sleep(5 * SYNC_MS / 1000)  # sequential calls: each replica has seen the other's spend
    # Alone, each replica would have allowed five calls (ten in all); shared, five in total.
    assert outcomes == ["ok"] * 5 + ["429"] * 5, outcomes
    time.sleep(0.5)
    total = float(pg.psql("SELECT COALESCE(SUM(amount), 0) FROM spend_daily WHERE api_key = 'erin'", db))
    assert total == pytest.approx(5 * CALL_COST) and total <= LIMIT
    # A replica started later starts from the shared total, not from zero.
    c = ServerProcess(a.config_path)
    try:
        with pytest.raises(openai.RateLimitError):
            ask(c)
    finally:
        assert c.stop() == 0


def feedback(srv: ServerProcess, request_id: str, rating: str) -> dict:
    status, _, body = srv.request("POST", "/v1/feedback", {"request_id": request_id, "rating": rating},
                                  headers={"Authorization": f"Bearer {KEY}"})
    assert status == 200, body
    return json.loads(body)


def explain_tier(srv: ServerProcess) -> str:
    status, _, body = srv.request("POST", "/v1/route/explain", {"model": "graded", "messages": [{"role": "user", "content": "x"}],
                                                                "metadata": {"task": "rewrite"}},
                                  headers={"Authorization": f"Bearer {KEY}"})
    assert status == 200, body
    return json.loads(body)["tier"]


def wait_for(pred, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_two_replicas_share_tier_bumps(replicas):
    a, b = replicas
    ids = [ask(srv, "graded", metadata={"task": "rewrite"}).parse().id for srv in (a, b)]
    # One down-rating on each replica: neither has min_ratings (2) alone; together they bump.
    assert "tier_bump" not in feedback(a, ids[0], "down")
    bump = feedback(b, ids[1], "down").get("tier_bump")
    assert bump and (bump["from_tier"], bump["tier"]) == ("small", "large"), "the window holds both replicas' ratings"
    wait_for(lambda: explain_tier(a) == "large")  # a learns b's bump within a sync interval
    assert explain_tier(b) == "large"
    # A reset on one replica reaches the other, and the old ratings do not re-trigger it.
    status, _, body = a.request("DELETE", "/v1/route/bumps?route=graded&class=rewrite", headers={"Authorization": f"Bearer {KEY}"})
    assert status == 200
    wait_for(lambda: explain_tier(b) == "small")
    assert explain_tier(a) == "small"
    again = ask(b, "graded", metadata={"task": "rewrite"}).parse().id
    assert "tier_bump" not in feedback(b, again, "down"), "ratings before the reset no longer count"


def test_dashboard_stats_count_every_replicas_requests(replicas):
    a, b = replicas
    ids = [ask(srv).parse().id for srv in (a, a, b)]
    feedback(b, ids[2], "down")
    for srv in (a, b):   # either replica's dashboard shows all three requests and the rating
        status, _, body = srv.request("GET", "/ui/api/stats?window=3600", headers={"Authorization": f"Bearer {KEY}"})
        assert status == 200, body
        stats = json.loads(body)
        route = next(r for r in stats["routes"] if r["route"] == "paid-only")
        assert (route["requests"], route["down"]) == (3, 1), route
        assert route["cost"] == pytest.approx(3 * CALL_COST)
        model = next(m for m in stats["models"] if m["requests"] == 3)
        assert model["latency_p50_ms"] > 0


def test_database_restart_under_load_loses_no_write(start_server, fault_upstream, pg):
    name = f"sy_restart_{os.getpid()}"
    pg.create_db(name)
    srv = start_server(replica_yaml(pg.url(name), fault_upstream.base_url).replace(f"spend_limit: {LIMIT}", "spend_limit: 1000"))
    ids: list[str] = []
    errors: list[str] = []
    stop = threading.Event()

    def load():
        c = client(srv)
        while not stop.is_set():
            try:
                ids.append(c.chat.completions.create(model="paid-only", messages=[{"role": "user", "content": "hi"}], max_tokens=3).id)
            except Exception as e:  # noqa: BLE001 (any failure is a test failure below)
                errors.append(repr(e))
            time.sleep(0.01)

    workers = [threading.Thread(target=load) for _ in range(4)]
    for w in workers:
        w.start()
    time.sleep(1.0)
    pg.stop("fast")                 # connections cut mid-load
    time.sleep(1.5)
    _, _, body = srv.request("GET", "/health")
    during = json.loads(body)
    pg.start()
    time.sleep(1.0)
    stop.set()
    for w in workers:
        w.join()
    assert not errors, errors[:3]
    assert during["status"] == "ok", "a database outage does not take the replica out of service"
    assert during["store"]["connected"] is False and during["store"]["queued"] > 0, during
    wait_for(lambda: json.loads(srv.request("GET", "/health")[2])["store"]["queued"] == 0, timeout=20)
    stored = int(pg.psql(f"SELECT count(*) FROM requests WHERE endpoint = '/v1/chat/completions'", name))
    assert stored == len(ids) and len(ids) > 20, (stored, len(ids))
    health = json.loads(srv.request("GET", "/health")[2])["store"]
    assert health["dropped"] == 0 and health["retries"] > 0 and health["connected"] is True
    # Every priced call reached the spend counter exactly once.
    total = float(pg.psql("SELECT SUM(amount) FROM spend_daily WHERE api_key = 'erin'", name))
    assert total == pytest.approx(len(ids) * CALL_COST)
    assert any("retrying" in line for line in srv.stderr_lines)
