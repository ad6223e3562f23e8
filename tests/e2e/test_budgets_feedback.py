"""Budgets (per-request max_cost, per-key spend limits) and feedback-driven tier bumps, end to
end against the routing gateway (see conftest.gateway: local "small" tier, priced remote "large")."""
from __future__ import annotations

import json
import time

import openai
import pytest

from conftest import GATEWAY_KEYS, ServerProcess, error_of, gateway_client


def msgs(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def auth(key: str = "alice") -> dict:
    return {"Authorization": f"Bearer {GATEWAY_KEYS[key]}"}


def test_unknown_key_is_rejected(gateway):
    with pytest.raises(openai.AuthenticationError) as exc:
        openai.OpenAI(base_url=gateway.base_url, api_key="sk-wrong", max_retries=0).chat.completions.create(
            model="auto", messages=msgs("hi"), max_tokens=2)
    assert error_of(exc.value)["code"] == "invalid_api_key"


def test_max_cost_keeps_a_request_off_the_priced_tier(gateway):
    c = gateway_client(gateway)
    # The rule picks "large", whose estimate (~2e-5 USD) is above the ceiling: the cheaper tier answers.
    raw = c.chat.completions.with_raw_response.create(model="auto", messages=msgs("prove 1+1=2"), max_tokens=4,
                                                      metadata={"max_cost": "0.000001"})
    assert raw.headers["x-switchyard-tier"] == "small"
    entry = gateway.log_entry(raw.parse().id)
    assert any(s.get("why") == "max_cost" for s in entry["trace"])
    # A generous ceiling (here as a header) lets it through.
    raw = c.chat.completions.with_raw_response.create(model="auto", messages=msgs("prove 1+1=2"), max_tokens=4,
                                                      extra_headers={"X-Switchyard-Max-Cost": "0.01"})
    assert raw.headers["x-switchyard-tier"] == "large"
    with pytest.raises(openai.BadRequestError) as exc:
        c.chat.completions.create(model="auto", messages=msgs("hi"), max_tokens=2, metadata={"max_cost": "cheap"})
    assert error_of(exc.value)["code"] == "invalid_max_cost"


def test_spend_limit_zero_means_local_or_429(gateway):
    c = gateway_client(gateway, "carol")
    raw = c.chat.completions.with_raw_response.create(model="auto", messages=msgs("prove it"), max_tokens=4)
    assert raw.headers["x-switchyard-tier"] == "small", "over budget, the free tier answers"
    # The fault upstream is unpriced: a free remote tier is still allowed.
    assert c.chat.completions.with_raw_response.create(model="remote-only", messages=msgs("hi"), max_tokens=4).headers["x-switchyard-tier"] == "remote"


def test_spend_limit_accumulates_across_requests(gateway):
    # dave may spend $0.000025 per day. One call to "large" costs ~$0.00002 (about 17 prompt
    # tokens at $1/M plus 1 completion token at $2/M), so the first fits and the second does not.
    c = gateway_client(gateway, "dave")
    first = c.chat.completions.with_raw_response.create(model="auto", messages=msgs("prove 1+1=2"), max_tokens=1)
    assert first.headers["x-switchyard-tier"] == "large"
    spent = float(first.headers["x-switchyard-cost"])
    assert 0 < spent < 0.000025
    second = c.chat.completions.with_raw_response.create(model="auto", messages=msgs("prove 1+1=2"), max_tokens=1)
    assert second.headers["x-switchyard-tier"] == "small"
    entry = gateway.log_entry(second.parse().id)
    assert {"step": "skip", "tier": "large", "why": "spend_limit"}.items() <= next(
        s for s in entry["trace"] if s.get("why") == "spend_limit").items()


def test_spend_limit_with_only_priced_tiers_is_429(gateway, upstream_server):
    time.sleep(0.3)  # lines of earlier requests land just after their responses
    before = len(upstream_server.access_log)
    with pytest.raises(openai.RateLimitError) as exc:
        gateway_client(gateway, "carol").chat.completions.create(model="large-only", messages=msgs("hi"), max_tokens=2)
    err = error_of(exc.value)
    assert err["code"] == "insufficient_quota" and "carol" in err["message"] and "spend limit" in err["message"]
    assert not [e for e in upstream_server.access_log[before:] if e.get("route") == "/v1/chat/completions"]


def feedback(gateway, request_id: str, rating: str):
    status, _, body = gateway.request("POST", "/v1/feedback", {"request_id": request_id, "rating": rating}, headers=auth())
    assert status == 200, body
    return json.loads(body)


def explain(gateway, task: str) -> dict:
    status, _, body = gateway.request("POST", "/v1/route/explain",
                                      {"model": "auto", "messages": msgs("rewrite this"), "metadata": {"task": task}},
                                      headers=auth())
    assert status == 200
    return json.loads(body)


def test_down_ratings_bump_a_class_one_tier_up_and_reset_undoes_it(gateway):
    c = gateway_client(gateway)
    ids = []
    for _ in range(2):
        raw = c.chat.completions.with_raw_response.create(model="auto", messages=msgs("rewrite this"), max_tokens=4,
                                                          metadata={"task": "rewrite"})
        assert raw.headers["x-switchyard-tier"] == "small"
        ids.append(raw.parse().id)
    assert "tier_bump" not in feedback(gateway, ids[0], "down"), "one rating is below min_ratings"
    bump = feedback(gateway, ids[1], "down")["tier_bump"]
    assert (bump["route"], bump["class"], bump["from_tier"], bump["tier"]) == ("auto", "rewrite", "small", "large")
    assert bump["down_rate"] == 1.0

    e = explain(gateway, "rewrite")
    assert e["tier"] == "large" and e["task_class"] == "rewrite"
    assert any(s["step"] == "feedback_bump" for s in e["trace"])
    assert explain(gateway, "summarise")["tier"] == "small", "other classes keep their tier"
    raw = c.chat.completions.with_raw_response.create(model="auto", messages=msgs("rewrite this"), max_tokens=4,
                                                      metadata={"task": "rewrite"})
    assert raw.headers["x-switchyard-tier"] == "large"
    assert gateway.wait_log(lambda l: l.get("event") == "tier_bump" and l["class"] == "rewrite")

    # A restarted server (same config, same SQLite log) comes back with the bump.
    again = ServerProcess(gateway.config_path)
    try:
        status, _, body = again.request("POST", "/v1/route/explain",
                                        {"model": "auto", "messages": msgs("x"), "metadata": {"task": "rewrite"}}, headers=auth())
        assert status == 200 and json.loads(body)["tier"] == "large"
    finally:
        assert again.stop() == 0

    status, _, body = gateway.request("GET", "/v1/route/bumps", headers=auth())
    assert status == 200 and [b["class"] for b in json.loads(body)["data"]] == ["rewrite"]
    status, _, body = gateway.request("DELETE", "/v1/route/bumps?route=auto&class=rewrite", headers=auth())
    assert status == 200 and json.loads(body)["removed"] == 1
    assert explain(gateway, "rewrite")["tier"] == "small"
    status, _, body = gateway.request("DELETE", "/v1/route/bumps?route=nope", headers=auth())
    assert status == 404


def test_feedback_for_unknown_request_is_404(gateway):
    status, _, body = gateway.request("POST", "/v1/feedback", {"request_id": "chatcmpl-nope", "rating": "down"}, headers=auth())
    assert status == 404 and json.loads(body)["error"]["code"] == "request_not_found"
