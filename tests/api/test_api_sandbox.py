"""The API client against the real sandbox over HTTP on 127.0.0.1: every endpoint, every error path, each
fault kind. Retries are observed through the injected `sleep` (recorded, never slept); where a retry should
succeed, the sleep hook clears the faults, so nothing depends on timing or random draws.
"""

from __future__ import annotations

import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from rulrr_desktop.core import model
from rulrr_desktop.core.api import (
    BadPartnerCredentials, IntegrationNotFinished, IntegrationTokenInvalid, NetworkError, NotAuthorised, NotFound,
    OutcomeUnknown, RateLimited, ServerError, TokensAlreadyIssued, UploadUrlExpired, ValidationFailed, customer_csv,
)

STORE = {"storeName": "Bridge Street Bakery", "storeAddress": "120 Bridge Street", "storeCountryCode": "US",
         "storeCity": "Springfield", "storeCurrency": "USD", "storePhoneNumber": "+15551234567"}


def order(order_id: str = "R-1001", total: str = "1250", **extra) -> dict:
    return {"orderId": order_id, "orderDate": "2026-06-28T14:03:00.000Z", "orderTotal": total, "currency": "USD",
            "type": "sale", "customer": {"customerId": "C1", "email": "ann@example.com"},
            "items": [{"name": "Sourdough", "sku": "SD-1", "quantity": 1, "price": total}], **extra}


def stored_orders(sandbox, store_id: str = "store-1") -> dict:
    return sandbox.orders(store_id)


# -- the connect flow --------------------------------------------------------------------------------------------
def test_connect_flow_hands_out_tokens_once(sandbox, make_client):
    client = make_client(sandbox.url)
    token = client.create_integration()
    assert client.integration_status(token).status == "pending"
    with pytest.raises(IntegrationNotFinished):
        client.exchange_tokens(token)
    sandbox.finish(token, store_id="store-2")
    assert client.integration_status(token).finished
    tokens = client.exchange_tokens(token)
    assert tokens.access_token and tokens.refresh_token and tokens.expires_at.tzinfo is not None
    assert timedelta(days=364) < tokens.expires_at - datetime.now(timezone.utc) < timedelta(days=366)
    assert client.access_token == tokens.access_token
    with pytest.raises(TokensAlreadyIssued):
        client.exchange_tokens(token)
    assert client.get_store()["storeName"] == "Harbour Cafe"


def test_cancel_and_expiry_show_as_cancelled(sandbox, make_client):
    client = make_client(sandbox.url)
    cancelled, expiring = client.create_integration(), client.create_integration()
    sandbox.cancel(cancelled)
    status = client.integration_status(cancelled)
    assert status.cancelled and not status.expired
    sandbox.advance_clock(15 * 60 + 1)
    status = client.integration_status(expiring)
    assert status.cancelled and status.expired and status.reason == "expired"
    with pytest.raises(IntegrationTokenInvalid):
        client.exchange_tokens(expiring)


def test_bad_partner_credentials_and_bad_integration_tokens(sandbox, make_client, sleeps):
    with pytest.raises(BadPartnerCredentials) as unknown_id:
        make_client(sandbox.url, client_id="no-such-pos").create_integration()
    assert unknown_id.value.status == 400
    with pytest.raises(BadPartnerCredentials) as wrong_secret:
        make_client(sandbox.url, client_secret="not-the-secret").create_integration()
    assert wrong_secret.value.status == 403
    client = make_client(sandbox.url)
    token = client.create_integration()
    with pytest.raises(BadPartnerCredentials):
        make_client(sandbox.url, client_secret="not-the-secret").integration_status(token)
    with pytest.raises(IntegrationTokenInvalid):
        client.integration_status("no-such-integration-token")
    with pytest.raises(IntegrationTokenInvalid):
        client.exchange_tokens("no-such-integration-token")
    assert sleeps == []                                       # refusals are not retried


def test_refresh_gives_a_working_access_token_and_dies_with_revocation(sandbox, connected):
    client, tokens = connected.client, connected.tokens
    renewed = client.refresh(tokens.refresh_token)
    assert renewed.access_token != tokens.access_token and renewed.refresh_token == tokens.refresh_token
    assert client.access_token == renewed.access_token
    assert client.get_store()["storeName"] == "Bridge Street Bakery"
    sandbox.hook("POST", "revoke", store_id="store-1")
    with pytest.raises(NotAuthorised):
        client.get_store()
    with pytest.raises(NotAuthorised):
        client.post_order(order())
    with pytest.raises(NotAuthorised):
        client.refresh(tokens.refresh_token)


def test_access_tokens_die_after_a_year(sandbox, connected):
    sandbox.advance_clock(366 * 24 * 3600)
    with pytest.raises(NotAuthorised):
        connected.client.get_store()
    connected.client.refresh(connected.tokens.refresh_token)   # refresh tokens do not expire
    assert connected.client.get_store()


# -- data endpoints ----------------------------------------------------------------------------------------------
def test_store_profile_round_trip_and_validation(sandbox, connected):
    client = connected.client
    echoed = client.put_store(STORE)
    assert {k: echoed[k] for k in STORE} == STORE
    settings = client.get_store()
    assert settings["storeCity"] == "Springfield" and isinstance(settings["eReceiptsEnabled"], bool)
    with pytest.raises(ValidationFailed) as info:
        client.put_store({**STORE, "storeCountryCode": ""})
    assert "storeCountryCode" in info.value.fields
    assert "storeCountryCode" in str(info.value)


@pytest.mark.parametrize("use_gzip", [True, False])
def test_customer_list_upload(sandbox, connected, use_gzip):
    customers = [model.Customer("C1", "Ann", "Lee", "ann@example.com", "+15551234567",
                                datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),
                 model.Customer("C2", "Bo, Jr.", "Ó Néill", "bo@example.com")]
    assert connected.client.upload_customer_list(customers, gzip=use_gzip) == 2
    uploaded = sandbox.hook("GET", "customers", store_id="store-1")
    assert uploaded["uploads"] == 1
    by_id = {c["customerId"]: c for c in uploaded["customers"]}
    assert by_id["C2"]["firstName"] == "Bo, Jr." and by_id["C2"]["lastName"] == "Ó Néill"
    assert by_id["C1"]["phoneNumber"] == "+15551234567"


def test_an_upload_target_works_once(sandbox, connected):
    client = connected.client
    target = client.customer_upload_target()
    assert target.expires_at is not None and target.expires_at > datetime.now(timezone.utc)
    csv_bytes, _ = customer_csv([model.Customer("C1", "Ann")])
    client.upload_customers(target, csv_bytes)
    with pytest.raises(UploadUrlExpired):
        client.upload_customers(target, csv_bytes)
    late = client.customer_upload_target()
    sandbox.advance_clock(15 * 60 + 1)
    with pytest.raises(UploadUrlExpired):
        client.upload_customers(late, csv_bytes)
    assert sandbox.hook("GET", "customers", store_id="store-1")["uploads"] == 1


def test_customer_list_upload_rides_out_faults(sandbox, connected, sleeps):
    sandbox.faults(reset_rate=1.0)                            # the target request is cut: asked again
    sleeps.hook = sandbox.clear_faults
    assert connected.client.upload_customer_list([model.Customer("C9", "Cy")]) == 1
    assert len(sleeps) == 1
    assert [c["customerId"] for c in sandbox.hook("GET", "customers", store_id="store-1")["customers"]] == ["C9"]


def test_orders_post_read_and_duplicates(sandbox, connected):
    client = connected.client
    receipt = client.post_order(order("R-1"))
    assert receipt.order_id == "R-1" and not receipt.duplicate
    assert client.post_order(order("R-1")).duplicate
    got = client.get_order("R-1")
    assert got["orderId"] == "R-1" and got["orderTotal"] == "1250"
    assert client.get_order("R-never-sent") is None
    refund = client.post_order_json(b'{"orderId":"R-2","orderDate":"2026-06-28T15:00:00.000Z",'
                                    b'"orderTotal":"-500","currency":"USD","type":"refund"}')
    assert refund.order_id == "R-2"
    assert stored_orders(sandbox)["posts"] == 3


@pytest.mark.parametrize("field,value", [("orderTotal", "12.50"), ("orderTotal", 1250), ("currency", "XYZ"),
                                         ("orderDate", "28/06/2026 14:03")])
def test_invalid_orders_name_the_field(sandbox, connected, field, value):
    with pytest.raises(ValidationFailed) as info:
        connected.client.post_order(order(**{field: value}))
    assert field in info.value.fields


def test_one_client_shared_by_threads(sandbox, connected):
    client = connected.client
    with ThreadPoolExecutor(8) as pool:
        receipts = list(pool.map(lambda n: client.post_order(order(f"T-{n}")), range(120)))
    assert sorted(r.order_id for r in receipts) == sorted(f"T-{n}" for n in range(120))
    assert stored_orders(sandbox)["posts"] == 120


# -- faults ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("status,error", [(429, RateLimited), (503, ServerError)])
def test_throttling_is_waited_out_for_safe_requests(sandbox, connected, sleeps, status, error):
    sandbox.faults(error_rate=1.0, statuses=[status], retry_after=7)
    sleeps.hook = sandbox.clear_faults
    assert connected.client.get_store()["storeName"] == "Bridge Street Bakery"
    assert sleeps == [7.0]
    sandbox.faults(error_rate=1.0, statuses=[status], retry_after=2)
    sleeps.hook = None
    with pytest.raises(error) as info:
        connected.client.put_store(STORE)
    assert info.value.retry_after == 2.0 and sleeps == [7.0, 2.0, 2.0, 2.0]


@pytest.mark.parametrize("status,error", [(429, RateLimited), (503, ServerError), (500, ServerError)])
def test_throttled_orders_are_surfaced_not_retried(sandbox, connected, sleeps, status, error):
    sandbox.faults(error_rate=1.0, statuses=[status], retry_after=3)
    with pytest.raises(error) as info:
        connected.client.post_order(order())
    assert info.value.status == status and sleeps == []
    assert info.value.retry_after == (3.0 if status in (429, 503) else None)
    sandbox.clear_faults()
    assert stored_orders(sandbox)["posts"] == 0


def test_a_reset_makes_an_order_unknown_and_a_read_retry(sandbox, connected, sleeps):
    sandbox.faults(reset_rate=1.0)
    with pytest.raises(OutcomeUnknown):
        connected.client.post_order(order("R-reset"))
    assert sleeps == []
    sleeps.hook = sandbox.clear_faults
    assert connected.client.get_order("R-reset") is None      # the reset happened before anything was done
    assert len(sleeps) == 1


def test_drop_after_commit_is_unknown_and_settled_by_get_order(sandbox, connected, sleeps):
    sandbox.faults(drop_after_commit_rate=1.0)
    with pytest.raises(OutcomeUnknown):
        connected.client.post_order(order("R-dropped"))
    sandbox.clear_faults()
    assert connected.client.get_order("R-dropped")["orderId"] == "R-dropped"
    assert sleeps == []


def test_an_answer_that_comes_too_late_is_unknown(sandbox, make_client, connected, sleeps):
    impatient = make_client(sandbox.url, access_token=connected.tokens.access_token,
                            timeout=httpx.Timeout(5, read=0.3))
    sandbox.faults(timeout_rate=1.0, timeout_s=3)
    with pytest.raises(OutcomeUnknown):
        impatient.post_order(order("R-late"))
    sandbox.clear_faults()
    assert connected.client.get_order("R-late")["orderId"] == "R-late"
    sandbox.faults(latency_ms=1000)
    with pytest.raises(OutcomeUnknown):
        impatient.get_store()
    assert len(sleeps) == 3                                   # a read was retried, then given up


def test_a_closed_port_is_a_network_error(make_client, sleeps):
    with socket.socket() as bound_not_listening:               # connections to it are refused, reliably
        bound_not_listening.bind(("127.0.0.1", 0))
        url = "http://127.0.0.1:%d" % bound_not_listening.getsockname()[1]
        client = make_client(url, access_token="some-access-token")
        with pytest.raises(NetworkError) as info:
            client.post_order(order())
        assert type(info.value) is NetworkError and sleeps == []
        with pytest.raises(NetworkError):
            client.get_store()
        assert len(sleeps) == 3                               # safe reads are retried
        with pytest.raises(NetworkError):
            client.create_integration()
        assert len(sleeps) == 3


def test_a_wrong_api_prefix_is_not_found_not_a_missing_order(sandbox, make_client, connected, sleeps):
    astray = make_client(sandbox.url + "/nowhere", access_token=connected.tokens.access_token)
    with pytest.raises(NotFound) as info:
        astray.get_order("R-1")                                # 404 for the path, not order_not_found
    assert info.value.status == 404 and info.value.code != "order_not_found" and sleeps == []


def test_no_free_connection_is_a_network_error(sandbox, make_client, connected, sleeps):
    """A pool timeout means the request never left: NetworkError, which is safe to send again."""
    in_flight = threading.Event()

    def trace(event: str, info: dict) -> None:                # httpcore's trace: the connection is ours
        if event == "http11.send_request_headers.started":
            in_flight.set()

    class Signalling(httpx.HTTPTransport):
        def handle_request(self, request):
            request.extensions["trace"] = trace
            return super().handle_request(request)

    client = make_client(sandbox.url, access_token=connected.tokens.access_token, retries=0,
                         timeout=httpx.Timeout(10, pool=0.2), transport=Signalling(limits=httpx.Limits(
                             max_connections=1)))
    sandbox.faults(latency_ms=1500)                            # holds the only connection for 1.5 s
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(client.get_store)
        assert in_flight.wait(10)
        with pytest.raises(NetworkError) as info:
            client.post_order(order("R-pool"))
        assert type(info.value) is NetworkError
        assert slow.result(timeout=30)["storeName"] == "Bridge Street Bakery"
    assert sandbox.orders()["posts"] == 0
