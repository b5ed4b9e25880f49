"""Whatever a client sends, the sandbox answers a clear 4xx in Rulrr's error body: never a 500, never a hang."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox_helpers import order


def _error(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False and body["error"] == code and body["message"]
    return body


@pytest.mark.parametrize("content,headers,status,code", [
    (b'{"orderId": "R-1",', {"Content-Type": "application/json"}, 400, "invalid_json"),
    (b"", {"Content-Type": "application/json"}, 400, "invalid_json"),
    (b"[1, 2]", {"Content-Type": "application/json"}, 400, "invalid_body"),
    (b'"R-1"', {"Content-Type": "application/json"}, 400, "invalid_body"),
    (b'{"orderId": "\xff"}', {"Content-Type": "application/json"}, 400, "invalid_json"),
    (json.dumps(order()).encode(), {"Content-Type": "text/plain"}, 415, "unsupported_media_type"),
    (json.dumps(order()).encode(), {"Content-Type": "application/x-www-form-urlencoded"}, 415,
     "unsupported_media_type"),
    (json.dumps(order()).encode(), {}, 415, "unsupported_media_type"),
    (b"<order/>", {"Content-Type": "application/xml"}, 415, "unsupported_media_type"),
])
def test_bodies_that_are_not_a_json_object_are_refused(api, store1, content, headers, status, code):
    _error(api.post("/v1/orders", params=store1.auth, content=content, headers=headers), status, code)


def test_a_huge_body_is_refused_whether_its_length_is_declared_or_not(api, store1):
    huge = b'{"orderId": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    _error(api.post("/v1/orders", params=store1.auth, content=huge, headers={"Content-Type": "application/json"}),
           413, "payload_too_large")

    def chunked():
        for _ in range(40):
            yield b"x" * 65536

    _error(api.post("/v1/orders", params=store1.auth, content=chunked(),
                    headers={"Content-Type": "application/json"}), 413, "payload_too_large")
    _error(api.put("/v1/stores", params=store1.auth, content=huge, headers={"Content-Type": "application/json"}),
           413, "payload_too_large")


def test_unknown_paths_and_wrong_methods_get_json_errors(api, store1):
    _error(api.get("/v2/orders"), 404, "not_found")
    _error(api.get("/v1/orders/R-1", params=store1.auth), 404, "not_found")
    _error(api.get("/_sandbox/nothing"), 404, "not_found")
    wrong = _error(api.delete("/v1/orders", params=store1.auth), 405, "method_not_allowed")
    assert wrong is not None
    allow = api.delete("/v1/orders").headers["allow"]
    assert {m.strip() for m in allow.split(",")} >= {"GET", "POST"}
    _error(api.get("/v1/auth/token"), 405, "method_not_allowed")
    _error(api.put("/connect/sign-in"), 405, "method_not_allowed")


def test_bad_hook_calls_are_refused(api):
    _error(api.post("/_sandbox/clock", json={"advance_seconds": "ten"}), 400, "validation_error")
    _error(api.post("/_sandbox/clock", content=b"{nope"), 400, "invalid_json")
    _error(api.get("/_sandbox/orders", params={"limit": "many"}), 400, "validation_error")
    _error(api.get("/_sandbox/customers"), 400, "missing_parameter")
    _error(api.get("/_sandbox/customers", params={"store_id": "store-9"}), 404, "unknown_store")
    _error(api.post("/_sandbox/revoke"), 400, "missing_parameter")
    _error(api.post("/_sandbox/integrations/it_nope/finish", params={"store_id": "store-1"}), 403,
           "invalid_integration_token")
    token = api.post("/v1/auth/integration", params={"client_id": "demo-pos", "client_secret": "demo-secret"})
    _error(api.post(f"/_sandbox/integrations/{token.json()['integrationToken']}/finish",
                    params={"store_id": "store-9"}), 400, "unknown_store")


def test_the_connect_page_takes_forms_only(api):
    _error(api.post("/connect/sign-in", json={"email": "owner@example.com"}), 415, "unsupported_media_type")
    _error(api.post("/connect/authorize", content=b"x" * 100_000,
                    headers={"Content-Type": "application/x-www-form-urlencoded"}), 413, "payload_too_large")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20)
order_keys = st.sampled_from(["orderId", "orderDate", "orderTotal", "currency", "type", "customer", "items"])


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.dictionaries(order_keys, json_values, max_size=7) | json_values)
def test_any_json_order_gets_200_or_a_400_naming_fields(api, store1, body):
    response = api.post("/v1/orders", params=store1.auth, content=json.dumps(body).encode(),
                        headers={"Content-Type": "application/json"})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        answer = response.json()
        assert answer["error"] in ("validation_error", "invalid_body", "invalid_json")
        assert answer["error"] != "validation_error" or answer["fields"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.dictionaries(st.sampled_from(["storeName", "storeAddress", "storeCountryCode", "storeCurrency",
                                             "storeCity", "x"]), json_values, max_size=6))
def test_any_json_store_gets_200_or_a_400_naming_fields(api, store1, body):
    response = api.put("/v1/stores", params=store1.auth, content=json.dumps(body).encode(),
                       headers={"Content-Type": "application/json"})
    assert response.status_code in (200, 400), response.text
    assert response.status_code == 200 or response.json()["fields"]


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(content=st.binary(max_size=300) | st.text(max_size=300).map(
    lambda t: ("customerId,firstName,lastName,email,phoneNumber,createdAt\n" + t).encode("utf-8", "surrogatepass")))
def test_any_customer_upload_gets_200_or_a_clear_4xx(api, store1, content):
    url = api.get("/v1/customers", params=store1.auth).json()["uploadUrl"]
    response = api.put(url, content=content, headers={"Content-Type": "text/csv"})
    assert response.status_code in (200, 400), response.text
    assert response.json()["success"] is (response.status_code == 200)
