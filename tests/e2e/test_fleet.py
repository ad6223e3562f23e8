"""Upstream fleets (a provider with `endpoints:`), end to end: three real HTTP upstreams
(tests/support/fault_upstream.py, a fault injector), weighted least-outstanding balancing, a
dead endpoint skipped (its circuit breaker opens, calls fail over to the others, no client sees
an error) and probed back into service when it returns."""
from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time

import openai
import pytest

from conftest import FAULT_UPSTREAM, ServerProcess, chat_model_yaml, config_yaml


class Upstream:
    def __init__(self, port: int = 0, behaviour: str = ""):
        argv = [sys.executable, str(FAULT_UPSTREAM), "--port", str(port)] + (["--behaviour", behaviour] if behaviour else [])
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.port = int(self.proc.stdout.readline().decode().strip())
        self.url = f"http://127.0.0.1:{self.port}/v1"

    def count(self, model: str) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", "/__requests")
            return sum(1 for r in json.loads(conn.getresponse().read()) if r.get("model") == model)
        finally:
            conn.close()

    def kill(self):
        self.proc.kill()
        self.proc.wait(5)


@pytest.fixture
def fleet(start_server):
    ups = [Upstream() for _ in range(3)]
    yaml = config_yaml(chat_model_yaml()) + f"""
providers:
  - name: pool
    endpoints: ["{ups[0].url}", "{ups[1].url}", {{url: "{ups[2].url}", weight: 2}}]
    retries: 2
    timeout: 5s
    circuit_breaker: {{failures: 2, cooldown: 1s}}
routes:
  - name: fleet
    tiers: [{{name: remote, provider: pool, model: "ok#fleet"}}]
"""
    srv = start_server(yaml)
    yield srv, ups
    srv.stop()
    for u in ups:
        if u.proc.poll() is None:
            u.kill()


def ask(srv: ServerProcess, n: int) -> list[str]:
    c = openai.OpenAI(base_url=srv.base_url, api_key="none", max_retries=0, timeout=30)
    return [c.chat.completions.create(model="fleet", messages=[{"role": "user", "content": f"q{i}"}], max_tokens=3)
            .choices[0].message.content for i in range(n)]


def metric(srv: ServerProcess, name: str, index: int) -> float:
    """An endpoint's sample: labelled by its position in `endpoints:`, never by its URL."""
    return srv.metric(name, {"provider": "pool", "endpoint": str(index)})


def test_balancing_spreads_requests_by_weight(fleet):
    srv, ups = fleet
    answers = ask(srv, 40)
    assert all(a == "hello from upstream" for a in answers)
    # Idle endpoints tie on outstanding requests; weights 1:1:2 then share them exactly.
    assert [u.count("ok#fleet") for u in ups] == [10, 10, 20]
    assert metric(srv, "switchyard_upstream_endpoint_calls_total", 2) == 20
    # /metrics needs no key: it names no upstream address (internal hosts), as the 502s do not.
    text = srv.metrics()
    assert "switchyard_upstream_endpoint_calls_total" in text
    assert not [u.url for u in ups if u.url in text or f":{u.port}" in text], text


def test_dead_endpoint_is_skipped_and_probed_back(fleet):
    srv, ups = fleet
    dead = ups[0]
    port = dead.port
    dead.kill()
    answers = ask(srv, 20)
    assert all(a == "hello from upstream" for a in answers), "every call failed over to a live endpoint"
    failures = metric(srv, "switchyard_upstream_endpoint_failures_total", 0)
    assert 2 <= failures <= 4, "its breaker opened after 2 failures; later calls skip it"
    assert metric(srv, "switchyard_upstream_endpoint_available", 0) == 0
    assert ups[1].count("ok#fleet") + ups[2].count("ok#fleet") == 20

    back = Upstream(port)  # the same address comes back
    ups[0] = back
    deadline = time.monotonic() + 10
    while metric(srv, "switchyard_upstream_endpoint_available", 0) != 1:
        assert time.monotonic() < deadline, "the health probe did not bring the endpoint back"
        time.sleep(0.1)
    ask(srv, 20)
    assert back.count("ok#fleet") >= 3, "traffic returns to the recovered endpoint"
