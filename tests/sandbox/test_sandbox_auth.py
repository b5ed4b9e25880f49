"""The connect flow of the sandbox over real HTTP: integration tokens, the one-time exchange, refresh, expiry
by the sandbox clock, and revocation."""

from __future__ import annotations

import pytest

from sandbox_helpers import PARTNER, connect

DAY = 24 * 3600


def _status(api, token, **params):
    return api.get("/v1/auth/integration", params={**PARTNER, "integration_token": token, **params})


def _exchange(api, token, **params):
    return api.post("/v1/auth/token", params={**PARTNER, "integration_token": token, **params})


def _error(response, status, code):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["error"] == code and body["message"]
    return body


def test_unknown_client_id_is_400_and_wrong_secret_is_403(api):
    _error(api.post("/v1/auth/integration", params={"client_id": "nobody", "client_secret": "x"}), 400,
           "invalid_client")
    _error(api.post("/v1/auth/integration", params={"client_id": "demo-pos", "client_secret": "wrong"}), 403,
           "invalid_client_secret")
    body = _error(api.post("/v1/auth/integration", params={"client_id": "demo-pos"}), 400, "missing_parameter")
    assert body["fields"] == {"client_secret": "is required"}


def test_the_whole_flow_gives_the_tokens_exactly_once(api, sandbox):
    created = api.post("/v1/auth/integration", params=PARTNER)
    assert created.status_code == 200 and created.json()["success"] is True
    token = created.json()["integrationToken"]
    assert _status(api, token).json() == {"success": True, "status": "pending"}
    _error(_exchange(api, token), 409, "integration_not_finished")

    sandbox.finish(token, "store-2")
    assert _status(api, token).json() == {"success": True, "status": "finished"}
    tokens = _exchange(api, token)
    assert tokens.status_code == 200
    body = tokens.json()
    assert body["success"] is True and body["expiresIn"] == 31536000
    assert body["accessToken"] != body["refreshToken"]
    _error(_exchange(api, token), 403, "tokens_already_issued")

    integration = next(i for i in sandbox.state()["integrations"] if i["token"] == token)
    assert integration["status"] == "finished" and integration["store_id"] == "store-2"
    assert integration["access_token"] == body["accessToken"] and integration["refresh_token"] == body["refreshToken"]
    store = api.get("/v1/stores", params={"access_token": body["accessToken"]}).json()["store"]
    assert store["storeName"] == "Harbour Cafe"


def test_status_and_exchange_refuse_wrong_tokens_and_secrets(api):
    token = api.post("/v1/auth/integration", params=PARTNER).json()["integrationToken"]
    _error(_status(api, "it_made_up"), 403, "invalid_integration_token")
    _error(_status(api, token, client_secret="wrong"), 403, "invalid_client_secret")
    _error(_exchange(api, "it_made_up"), 403, "invalid_integration_token")
    _error(api.get("/v1/auth/integration", params=PARTNER), 400, "missing_parameter")
    _error(api.post("/v1/auth/token", params=PARTNER), 400, "missing_parameter")


def test_a_cancelled_integration_never_gives_tokens(api, sandbox):
    token = api.post("/v1/auth/integration", params=PARTNER).json()["integrationToken"]
    sandbox.cancel(token)
    assert _status(api, token).json() == {"success": True, "status": "cancelled", "reason": "merchant_cancelled"}
    _error(_exchange(api, token), 403, "integration_cancelled")
    assert api.post(f"/_sandbox/integrations/{token}/finish", params={"store_id": "store-1"}).status_code == 409


def test_integration_tokens_expire_after_15_minutes_of_sandbox_time(api, sandbox):
    token = api.post("/v1/auth/integration", params=PARTNER).json()["integrationToken"]
    sandbox.advance_clock(14 * 60)
    assert _status(api, token).json()["status"] == "pending"
    sandbox.advance_clock(61)
    assert _status(api, token).json() == {"success": True, "status": "cancelled", "reason": "expired"}
    assert api.post(f"/_sandbox/integrations/{token}/finish", params={"store_id": "store-1"}).status_code == 409
    _error(_exchange(api, token), 403, "integration_cancelled")


def test_refresh_gives_a_new_access_token_and_keeps_the_refresh_token(api):
    conn = connect(api)
    refreshed = api.post("/v1/auth/token", params={**PARTNER, "refresh_token": conn.refresh_token})
    assert refreshed.status_code == 200
    body = refreshed.json()
    assert body["refreshToken"] == conn.refresh_token and body["accessToken"] != conn.access_token
    assert body["expiresIn"] == 31536000
    for access in (conn.access_token, body["accessToken"]):
        assert api.get("/v1/stores", params={"access_token": access}).status_code == 200
    _error(api.post("/v1/auth/token", params={**PARTNER, "refresh_token": "rt_made_up"}), 403,
           "invalid_refresh_token")
    _error(api.post("/v1/auth/token", params={"client_id": "demo-pos", "client_secret": "bad",
                                              "refresh_token": conn.refresh_token}), 403, "invalid_client_secret")


def test_access_tokens_die_after_365_days_and_refresh_still_works(api, sandbox):
    conn = connect(api)
    sandbox.advance_clock(364 * DAY)
    assert api.get("/v1/stores", params=conn.auth).status_code == 200
    sandbox.advance_clock(DAY + 1)
    _error(api.get("/v1/stores", params=conn.auth), 403, "access_token_expired")
    fresh = api.post("/v1/auth/token", params={**PARTNER, "refresh_token": conn.refresh_token}).json()["accessToken"]
    assert api.get("/v1/stores", params={"access_token": fresh}).status_code == 200


def test_revoke_kills_the_access_and_refresh_tokens_of_that_store_only(api, sandbox):
    one, two = connect(api, "store-1"), connect(api, "store-2")
    assert sandbox.hook("POST", "revoke", store_id="store-1")["revoked"] == 2
    _error(api.get("/v1/stores", params=one.auth), 403, "access_token_revoked")
    _error(api.post("/v1/orders", params=one.auth, json={}), 403, "access_token_revoked")
    _error(api.post("/v1/auth/token", params={**PARTNER, "refresh_token": one.refresh_token}), 403,
           "invalid_refresh_token")
    assert api.get("/v1/stores", params=two.auth).status_code == 200
    assert next(i for i in sandbox.state()["integrations"] if i["token"] == one.integration_token)["revoked"] is True


@pytest.mark.parametrize("method,path", [("GET", "/v1/stores"), ("PUT", "/v1/stores"), ("GET", "/v1/customers"),
                                         ("POST", "/v1/orders"), ("GET", "/v1/orders")])
def test_every_data_endpoint_needs_a_live_access_token(api, method, path):
    _error(api.request(method, path, json={}), 403, "access_token_missing")
    _error(api.request(method, path, params={"access_token": "at_made_up"}, json={}), 403, "invalid_access_token")
