"""The client's decisions on wire conditions the sandbox cannot stage on demand, over a scripted transport:
which error each status/code/exception becomes, what is retried and after how long, what is parsed.
The real-HTTP behaviour is in test_api_sandbox.py.
"""

from __future__ import annotations

import email.utils
import gzip
import json
import logging
import re
import threading
import random
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from rulrr_desktop.core import model
from rulrr_desktop.core.api import (
    BadPartnerCredentials, Backoff, IntegrationNotFinished, IntegrationTokenInvalid, NetworkError, NotAuthorised,
    NotFound, OutcomeUnknown, ProtocolError, RateLimited, Repeat, ServerError, Tokens, TokensAlreadyIssued,
    UploadTarget, ValidationFailed,
)
from rulrr_desktop.core.api.failures import retry_after_seconds

CALLS = {
    "create": lambda c: c.create_integration(),
    "status": lambda c: c.integration_status("integ-token-1"),
    "exchange": lambda c: c.exchange_tokens("integ-token-1"),
    "refresh": lambda c: c.refresh("refresh-token-1"),
    "put_store": lambda c: c.put_store({"storeName": "X"}),
    "get_store": lambda c: c.get_store(),
    "target": lambda c: c.customer_upload_target(),
    "post_order": lambda c: c.post_order({"orderId": "A1"}),
    "get_order": lambda c: c.get_order("A1"),
}


@pytest.mark.parametrize("call,status,code,expected", [
    ("create", 400, "", BadPartnerCredentials),
    ("create", 403, "", BadPartnerCredentials),
    ("status", 400, "unknown_client", BadPartnerCredentials),
    ("status", 403, "invalid_client_secret", BadPartnerCredentials),
    ("status", 403, "invalid_integration_token", IntegrationTokenInvalid),
    ("status", 403, "", IntegrationTokenInvalid),
    ("exchange", 403, "tokens_already_issued", TokensAlreadyIssued),
    ("exchange", 409, "integration_not_finished", IntegrationNotFinished),
    ("exchange", 403, "invalid_integration_token", IntegrationTokenInvalid),
    ("exchange", 403, "invalid_client_secret", BadPartnerCredentials),
    ("refresh", 403, "invalid_refresh_token", NotAuthorised),
    ("refresh", 403, "invalid_client_secret", BadPartnerCredentials),
    ("get_store", 403, "invalid_access_token", NotAuthorised),
    ("post_order", 403, "", NotAuthorised),
    ("post_order", 400, "validation_error", ValidationFailed),
    ("put_store", 400, "validation_error", ValidationFailed),
    ("get_order", 404, "something_else", NotFound),
    ("post_order", 418, "", ProtocolError),
    ("post_order", 429, "rate_limited", RateLimited),
    ("post_order", 500, "", ServerError),
    ("post_order", 503, "", ServerError),
])
def test_status_and_code_decide_the_error(scripted, script, call, status, code, expected):
    script.add(status, {"success": False, "error": code, "message": "nope"} if code else {"success": False})
    with pytest.raises(expected) as info:
        CALLS[call](scripted)
    assert type(info.value) is expected
    assert info.value.status == status and info.value.code == code


def test_validation_error_carries_the_fields(scripted, script):
    script.add(400, {"success": False, "error": "validation_error", "message": "bad",
                     "fields": {"storeCountryCode": "is missing"}})
    with pytest.raises(ValidationFailed) as info:
        scripted.put_store({"storeName": "X"})
    assert info.value.fields == {"storeCountryCode": "is missing"}
    assert "storeCountryCode: is missing" in str(info.value)


def test_get_order_is_none_only_for_order_not_found(scripted, script):
    script.add(404, {"success": False, "error": "order_not_found"})
    assert scripted.get_order("A1") is None
    assert script.requests[-1].url.params["orderId"] == "A1"


@pytest.mark.parametrize("exc,expected", [
    (httpx.ConnectError, NetworkError),
    (httpx.ConnectTimeout, NetworkError),
    (httpx.PoolTimeout, NetworkError),
    (httpx.ReadTimeout, OutcomeUnknown),
    (httpx.WriteTimeout, OutcomeUnknown),
    (httpx.ReadError, OutcomeUnknown),
    (httpx.WriteError, OutcomeUnknown),
    (httpx.RemoteProtocolError, OutcomeUnknown),
])
def test_transport_failures_split_into_not_sent_and_unknown(scripted, script, sleeps, exc, expected):
    script.fail(exc, "http://x/?access_token=tok-access-123 went wrong")
    with pytest.raises(expected) as info:
        scripted.post_order({"orderId": "A1"})
    assert type(info.value) is expected
    assert len(script.requests) == 1 and sleeps == []       # an order is never sent twice by the client
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert "tok-access-123" not in str(info.value)


def test_safe_requests_are_retried_until_they_succeed(scripted, script, sleeps):
    script.fail(httpx.ReadError).add(503, {"success": False}).add(200, {"success": True, "store": {"a": 1}})
    assert scripted.get_store() == {"a": 1}
    assert len(script.requests) == 3 and len(sleeps) == 2


def test_retries_give_up_after_the_configured_number(make_client, script, sleeps):
    client = make_client("https://rulrr.test", transport=httpx.MockTransport(script), access_token="tok-access-1",
                         retries=2)
    script.add(500, {"success": False})
    with pytest.raises(ServerError):
        client.get_store()
    assert len(script.requests) == 3 and len(sleeps) == 2


@pytest.mark.parametrize("call", ["create", "exchange", "refresh", "post_order"])
def test_calls_that_must_not_repeat_raise_at_once(scripted, script, sleeps, call):
    script.add(503, {"success": False}, headers={"Retry-After": "1"})
    with pytest.raises(ServerError) as info:
        CALLS[call](scripted)
    assert info.value.retry_after == 1.0
    assert len(script.requests) == 1 and sleeps == []


def test_protocol_errors_are_not_retried(scripted, script, sleeps):
    script.add(200, raw=b"<html>proxy login</html>")
    with pytest.raises(ProtocolError):
        scripted.get_store()
    script.add(200, {"success": False})
    with pytest.raises(ProtocolError):
        scripted.get_store()
    assert sleeps == []


def test_retry_after_is_honoured_and_capped(scripted, script, sleeps):
    script.add(429, {"success": False}, headers={"Retry-After": "7"}) \
          .add(429, {"success": False}, headers={"Retry-After": "3600"}).add(200, {"success": True, "store": {}})
    scripted.get_store()
    assert sleeps == [7.0, 60.0]


def test_retry_after_reads_http_dates():
    soon = email.utils.format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    assert 25 <= retry_after_seconds(soon) <= 31
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_backoff_is_jittered_exponential_and_bounded():
    backoff = Backoff(retries=10, base=0.5, max_delay=4.0, rng=random.Random(1))
    error = ServerError("x", status=500)
    delays = [backoff.delay(error, n, Repeat.ALWAYS) for n in range(6)]
    for n, d in enumerate(delays):
        ceiling = min(4.0, 0.5 * 2 ** n)
        assert ceiling / 2 <= d <= ceiling
    assert len(set(delays)) == len(delays)                   # jittered, not lock-step
    assert backoff.delay(error, 10, Repeat.ALWAYS) is None


@pytest.mark.parametrize("error,retried", [
    (NetworkError("x"), True), (RateLimited("x", status=429), True), (ServerError("x", status=503), True),
    (OutcomeUnknown("x"), False), (ServerError("x", status=500), False), (NotFound("x"), False),
])
def test_single_use_requests_repeat_only_when_certainly_not_processed(error, retried):
    assert (Backoff().delay(error, 0, Repeat.IF_NOT_SENT) is not None) is retried
    assert Backoff().delay(error, 0, Repeat.NEVER) is None


def test_exchange_returns_tokens_and_the_client_uses_them(scripted, script):
    script.add(200, {"success": True, "accessToken": "new-access-999", "refreshToken": "new-refresh-999",
                     "expiresIn": 31536000})
    before = datetime.now(timezone.utc)
    tokens = scripted.exchange_tokens("integ-token-1")
    assert tokens.access_token == "new-access-999" and tokens.refresh_token == "new-refresh-999"
    assert tokens.expires_at.tzinfo is not None
    assert timedelta(days=364) < tokens.expires_at - before < timedelta(days=366)
    assert "new-access-999" not in repr(tokens) and "new-refresh-999" not in str(tokens)
    assert scripted.access_token == "new-access-999"
    sent = script.requests[-1].url.params
    assert sent["client_id"] == "demo-pos" and sent["integration_token"] == "integ-token-1"


@pytest.mark.parametrize("body", [
    {"success": True, "accessToken": "a-1234567", "expiresIn": 10},
    {"success": True, "accessToken": "a-1234567", "refreshToken": "r-1234567"},
    {"success": True, "accessToken": "a-1234567", "refreshToken": "r-1234567", "expiresIn": "soon"},
])
def test_incomplete_token_answers_are_protocol_errors(scripted, script, body):
    script.add(200, body)
    with pytest.raises(ProtocolError) as info:
        scripted.exchange_tokens("integ-token-1")
    assert "a-1234567" not in str(info.value)


def test_refresh_keeps_the_refresh_token_when_rulrr_omits_it(scripted, script):
    script.add(200, {"success": True, "accessToken": "fresh-access-1", "expiresIn": 100})
    tokens = scripted.refresh("refresh-token-1")
    assert tokens.refresh_token == "refresh-token-1" and scripted.access_token == "fresh-access-1"
    assert script.requests[-1].url.params["refresh_token"] == "refresh-token-1"


def test_unknown_integration_status_is_a_protocol_error(scripted, script):
    script.add(200, {"success": True, "status": "weird"})
    with pytest.raises(ProtocolError):
        scripted.integration_status("integ-token-1")


def test_data_calls_without_a_token_fail_without_a_request(make_client, script):
    client = make_client("https://rulrr.test", transport=httpx.MockTransport(script))
    script.add(200, {"success": True})
    for call in ("get_store", "post_order", "get_order", "target", "put_store"):
        with pytest.raises(NotAuthorised):
            CALLS[call](client)
    assert script.requests == []


def test_post_order_sends_compact_json_with_the_token(scripted, script):
    script.add(200, {"success": True, "orderId": "A1", "duplicate": True})
    receipt = scripted.post_order({"orderId": "A1", "orderTotal": "1250", "note": "café"})
    assert receipt.order_id == "A1" and receipt.duplicate is True
    request = script.requests[-1]
    assert request.method == "POST" and request.url.path == "/v1/orders"
    assert request.url.params["access_token"] == "tok-access-123"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"orderId": "A1", "orderTotal": "1250", "note": "café"}
    scripted.access_token = "tok-access-456"
    scripted.post_order({"orderId": "A2"})
    assert script.requests[-1].url.params["access_token"] == "tok-access-456"


def test_upload_puts_gzipped_csv_to_the_target(scripted, script):
    script.add(200, {"success": True, "uploadUrl": "/upload/abc-def-123?sig=zzz", "expiresAt":
                     "2099-01-01T00:00:00.000Z"}).add(200, raw=b"")
    customers = [model.Customer("C1", "Ann", "Lee", "ann@example.com", "+15551234567",
                                datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),
                 model.Customer("C2", "Bo, Jr.", "O\"Neil")]
    assert scripted.upload_customer_list(customers) == 2
    put = script.requests[-1]
    assert put.method == "PUT" and str(put.url) == "https://rulrr.test/upload/abc-def-123?sig=zzz"
    assert put.headers["content-encoding"] == "gzip" and put.headers["content-type"].startswith("text/csv")
    text = gzip.decompress(put.content).decode("utf-8")
    assert text.splitlines()[0] == ",".join(model.CUSTOMER_CSV_HEADER)
    assert text.splitlines()[1] == "C1,Ann,Lee,ann@example.com,+15551234567,2026-01-02T03:04:05.000Z"
    assert text.splitlines()[2] == 'C2,"Bo, Jr.","O""Neil",,,'


def test_upload_list_starts_over_when_the_put_outcome_is_unknown(scripted, script, sleeps):
    target = {"success": True, "uploadUrl": "https://files.test/u/one-time-1"}
    script.add(200, target).fail(httpx.ReadTimeout).add(200, target).add(200, raw=b"")
    assert scripted.upload_customer_list([model.Customer("C1")]) == 1
    assert [r.method for r in script.requests] == ["GET", "PUT", "GET", "PUT"]


def test_an_upload_target_hides_its_link():
    target = UploadTarget("https://files.test/u/x?sig=abc", datetime.now(timezone.utc))
    assert "u/x" not in repr(target) and "sig=abc" not in str(target) and "files.test" in repr(target)


def test_tokens_repr_never_shows_them():
    tokens = Tokens("acc-secret-1", "ref-secret-1", datetime(2027, 1, 1, tzinfo=timezone.utc))
    assert "acc-secret-1" not in repr(tokens) and "ref-secret-1" not in f"{tokens}"
    assert "2027-01-01" in repr(tokens)


def test_client_repr_shows_no_secret(make_client):
    client = make_client("https://rulrr.test", client_secret="partner-secret-xyz", access_token="acc-tok-xyz")
    assert "partner-secret-xyz" not in repr(client) and "acc-tok-xyz" not in repr(client)


@pytest.mark.parametrize("bad", ["", "rulrr.test", "ftp://rulrr.test", "http://", "https://h.test/?access_token=x"])
def test_a_bad_api_address_is_a_settings_problem(bad):
    from rulrr_desktop.core.api import RulrrClient
    from rulrr_desktop.core.errors import ConfigError
    with pytest.raises(ConfigError) as info:
        RulrrClient(bad, "demo-pos", "demo-secret")
    assert "access_token=x" not in str(info.value)


def test_the_api_address_may_carry_a_path_prefix(make_client, script):
    client = make_client("https://gw.test/rulrr/", transport=httpx.MockTransport(script), access_token="tok-1234567")
    script.add(200, {"success": True, "store": {}})
    client.get_store()
    assert str(script.requests[-1].url).startswith("https://gw.test/rulrr/v1/stores?")


def test_each_request_is_logged_at_debug_with_a_redacted_url(scripted, script, caplog):
    caplog.set_level(logging.DEBUG, logger="rulrr_desktop.core.api")
    script.add(200, {"success": True, "uploadUrl": "https://files.test/u/one-time-link-0123456789abcdef?sig=s1g"})
    target = scripted.customer_upload_target()
    script.add(200, raw=b"")
    scripted.upload_customers(target, b"customerId\r\n")
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("rulrr_desktop.core.api")]
    assert len(lines) == 2
    assert re.fullmatch(r"GET https://rulrr\.test/v1/customers\?access_token=\*\*\* -> 200 in [\d.]+ ms", lines[0])
    assert re.fullmatch(r"PUT https://files\.test/\*\*\* -> 200 in [\d.]+ ms", lines[1])
    assert "one-time-link" not in repr(target) and "tok-access-123" not in "".join(lines)


def test_an_upload_link_is_masked_until_it_is_used(scripted, script):
    from rulrr_desktop.core.redact import redact
    link = "https://files.test/u/one-time-link-0123456789abcdef?sig=s1gnature"
    script.add(200, {"success": True, "uploadUrl": link})
    target = scripted.customer_upload_target()
    assert "one-time-link" not in redact(f"see {link}") and "s1gnature" not in redact("sig=s1gnature")
    script.add(200, raw=b"")
    scripted.upload_customers(target, b"customerId\r\n")
    assert "one-time-link-0123456789abcdef" in redact("/u/one-time-link-0123456789abcdef")   # forgotten
    assert "tok-access-123" not in redact("tok-access-123")                                # still masked


def test_a_stop_event_cuts_retries_short(make_client, script):
    stop = threading.Event()
    stop.set()                                               # a worker shutting down: wait() returns True
    client = make_client("https://rulrr.test", transport=httpx.MockTransport(script), access_token="tok-1234567",
                         sleep=stop.wait)
    script.add(429, {"success": False}, headers={"Retry-After": "30"})
    with pytest.raises(RateLimited) as info:
        client.get_store()
    assert info.value.retry_after == 30.0 and len(script.requests) == 1
    assert info.value.__context__ is None


def test_a_used_upload_link_leaves_nothing_registered(scripted, script):
    from rulrr_desktop.core import redact as redact_module
    before = set(redact_module._known_values)
    script.add(200, {"success": True, "uploadUrl": "/_upload/link-token-0123456789abcdef?sig=a+b/c="})
    target = scripted.customer_upload_target()
    assert set(redact_module._known_values) > before
    script.add(200, raw=b"")
    scripted.upload_customers(target, b"customerId\r\n")
    assert set(redact_module._known_values) == before
