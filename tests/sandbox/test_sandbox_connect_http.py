"""The Connect page as plain HTML forms over HTTP (what any browser does, without JavaScript): the steps, the
signed session field, and the headers that let it be embedded."""

from __future__ import annotations

import re
from html import unescape

import pytest

from sandbox_helpers import PARTNER


def _hidden(html: str) -> dict[str, str]:
    return {m[0]: unescape(m[1]) for m in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)}


def _status(html: str) -> str | None:
    m = re.search(r'id="result" data-status="(\w+)"', html)
    return m.group(1) if m else None


@pytest.fixture
def token(api) -> str:
    return api.post("/v1/auth/integration", params=PARTNER).json()["integrationToken"]


def _signed_in(api, token) -> dict[str, str]:
    page = api.get("/connect", params={"integration_token": token, "client_id": "demo-pos"})
    signed = api.post("/connect/sign-in", data={**_hidden(page.text), "email": "Owner@Example.com ",
                                                "password": "demo"})
    assert signed.status_code == 200 and 'name="store_id"' in signed.text
    return _hidden(signed.text)


def test_the_page_can_be_embedded_and_is_never_cached(api, token):
    page = api.get("/connect", params={"integration_token": token, "client_id": "demo-pos"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "x-frame-options" not in page.headers
    assert "frame-ancestors" not in page.headers.get("content-security-policy", "")
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    assert '<label class="field" for="email">' in page.text and '<label class="field" for="password">' in page.text
    assert "<script" not in page.text  # plain forms: works with JavaScript off


def test_plain_form_posts_connect_a_store(api, sandbox, token):
    hidden = _signed_in(api, token)
    done = api.post("/connect/authorize", data={**hidden, "store_id": "store-1", "action": "connect"})
    assert _status(done.text) == "finished" and "Bridge Street Bakery" in done.text
    assert api.get("/connect", params={"integration_token": token, "client_id": "demo-pos"}).text.count(
        'data-status="finished"') == 1
    again = api.post("/connect/authorize", data={**hidden, "store_id": "store-2", "action": "connect"})
    assert _status(again.text) == "finished"  # a settled integration cannot be changed
    assert next(i for i in sandbox.state()["integrations"] if i["token"] == token)["store_id"] == "store-1"


def test_connect_without_a_store_asks_for_one(api, token):
    hidden = _signed_in(api, token)
    page = api.post("/connect/authorize", data={**hidden, "action": "connect"})
    assert _status(page.text) is None and 'id="error" class="error" role="alert"' in page.text
    foreign = api.post("/connect/authorize", data={**hidden, "store_id": "store-99", "action": "connect"})
    assert _status(foreign.text) is None and 'role="alert"' in foreign.text


def test_a_forged_or_foreign_session_goes_back_to_sign_in(api, token):
    hidden = _signed_in(api, token)
    forged = dict(hidden, session=hidden["session"][:-4] + "0000")
    page = api.post("/connect/authorize", data={**forged, "store_id": "store-1", "action": "connect"})
    assert 'id="sign-in-form"' in page.text and "Sign in again" in page.text
    other = api.post("/v1/auth/integration", params=PARTNER).json()["integrationToken"]
    stolen = dict(hidden, integration_token=other)
    page = api.post("/connect/authorize", data={**stolen, "store_id": "store-1", "action": "connect"})
    assert 'id="sign-in-form"' in page.text


def test_dead_ends(api, sandbox, token):
    assert _status(api.get("/connect").text) == "invalid"
    assert _status(api.get("/connect", params={"integration_token": token, "client_id": "other"}).text) == "invalid"
    hidden = _signed_in(api, token)
    sandbox.advance_clock(15 * 60)
    late = api.post("/connect/authorize", data={**hidden, "store_id": "store-1", "action": "connect"})
    assert _status(late.text) == "expired"
    cancelled = api.post("/v1/auth/integration", params=PARTNER).json()["integrationToken"]
    sandbox.cancel(cancelled)
    assert _status(api.get("/connect", params={"integration_token": cancelled, "client_id": "demo-pos"}).text) == \
        "cancelled"
