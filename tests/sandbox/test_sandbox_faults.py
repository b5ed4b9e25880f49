"""Fault injection, kind by kind, as a client sees it over real HTTP: errors with Retry-After, resets, orders
stored but never answered, answers held past the client's patience, latency, and seeded determinism."""

from __future__ import annotations

import time

import httpx
import pytest

from sandbox_helpers import PARTNER, order


def _statuses(api, conn, n):
    return [api.get("/v1/stores", params=conn.auth).status_code for _ in range(n)]


def test_errors_come_from_the_given_statuses_and_429_503_carry_retry_after(api, sandbox, store1):
    sandbox.faults(error_rate=1.0, statuses=[429, 503, 500], retry_after=0.2, seed=3)
    seen = {}
    for _ in range(30):
        response = api.get("/v1/stores", params=store1.auth)
        seen[response.status_code] = response
    assert set(seen) == {429, 503, 500}
    for status, response in seen.items():
        body = response.json()
        assert body["success"] is False and body["error"] and body["message"]
        assert response.headers.get("retry-after") == ("0.2" if status in (429, 503) else None)
    refused = api.post("/v1/orders", params=store1.auth, json=order("F-1"))
    assert refused.status_code in (429, 503, 500)
    assert sandbox.orders("store-1")["posts"] == 0  # an injected error does nothing


def test_faults_touch_only_the_data_endpoints(api, sandbox, store1):
    sandbox.faults(error_rate=1.0, statuses=[503])
    assert api.post("/v1/auth/integration", params=PARTNER).status_code == 200
    assert api.get("/_sandbox/state").status_code == 200
    assert api.get("/v1/stores", params=store1.auth).status_code == 503
    sandbox.clear_faults()
    assert api.get("/v1/stores", params=store1.auth).status_code == 200
    assert api.get("/_sandbox/faults").json()["faults"] is None


def test_the_same_seed_gives_the_same_faults(api, sandbox, store1):
    sandbox.faults(error_rate=0.5, statuses=[500, 503], seed=42)
    first = _statuses(api, store1, 24)
    sandbox.faults(error_rate=0.5, statuses=[500, 503], seed=42)
    assert _statuses(api, store1, 24) == first
    assert {200, 500, 503} <= set(first)
    injected = sandbox.hook("GET", "faults")["faults"]["injected"]
    assert sum(injected.values()) == sum(1 for s in first if s != 200)


def test_a_reset_cuts_the_connection_and_does_nothing(api, sandbox, store1):
    sandbox.faults(reset_rate=1.0)
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        api.post("/v1/orders", params=store1.auth, json=order("F-2"))
    sandbox.clear_faults()
    assert api.get("/v1/orders", params={**store1.auth, "orderId": "F-2"}).status_code == 404


def test_drop_after_commit_stores_the_order_and_never_answers(api, sandbox, store1):
    sandbox.faults(drop_after_commit_rate=1.0)
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        api.post("/v1/orders", params=store1.auth, json=order("F-3"))
    assert api.get("/v1/stores", params=store1.auth).status_code == 200  # other endpoints answer
    sandbox.clear_faults()
    stored = api.get("/v1/orders", params={**store1.auth, "orderId": "F-3"})
    assert stored.status_code == 200 and stored.json()["order"] == order("F-3")
    assert sandbox.orders("store-1")["posts"] == 1


def test_a_timeout_holds_the_answer_past_the_client_but_does_the_work(api, sandbox, store1):
    sandbox.faults(timeout_rate=1.0, timeout_s=0.6)
    with pytest.raises(httpx.ReadTimeout):
        api.post("/v1/orders", params=store1.auth, json=order("F-4"), timeout=httpx.Timeout(5, read=0.2))
    started = time.monotonic()
    patient = api.get("/v1/orders", params={**store1.auth, "orderId": "F-4"}, timeout=10)
    assert patient.status_code == 200 and time.monotonic() - started >= 0.55


def test_latency_delays_every_data_answer(api, sandbox, store1):
    sandbox.faults(latency_ms=150)
    started = time.monotonic()
    assert api.get("/v1/stores", params=store1.auth).status_code == 200
    assert time.monotonic() - started >= 0.15


@pytest.mark.parametrize("spec,field", [
    ({"error_rate": 1.5}, "error_rate"),
    ({"error_rate": 0.6, "reset_rate": 0.6}, "error_rate"),
    ({"statuses": [200]}, "statuses"),
    ({"statuses": []}, "statuses"),
    ({"latency_ms": -1}, "latency_ms"),
    ({"seed": "one"}, "seed"),
    ({"explode_rate": 0.1}, "explode_rate"),
])
def test_a_bad_fault_spec_is_refused(api, spec, field):
    refused = api.post("/_sandbox/faults", json=spec)
    assert refused.status_code == 400 and field in refused.json()["fields"]
    assert api.get("/_sandbox/faults").json()["faults"] is None


def test_reset_clears_the_faults_and_the_world(api, sandbox, store1):
    sandbox.faults(error_rate=1.0)
    sandbox.advance_clock(3600)
    sandbox.reset()
    state = sandbox.state()
    assert state["faults"] is None and state["integrations"] == [] and state["clock_offset_seconds"] == 0
    assert sorted(state["stores"]) == ["store-1", "store-2"]
    assert api.get("/v1/stores", params=store1.auth).status_code == 403  # the tokens are gone too
