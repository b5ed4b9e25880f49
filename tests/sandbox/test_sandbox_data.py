"""The data endpoints of the sandbox over real HTTP: the store profile, orders with strict validation and
duplicates, and the single-use, 15-minute customer-list upload URL."""

from __future__ import annotations

import gzip

import httpx
import pytest

from sandbox_helpers import connect, order

CSV_HEADER = "customerId,firstName,lastName,email,phoneNumber,createdAt\n"
STORE = {"storeName": "Bridge Street Bakery", "storeAddress": "120 Bridge Street", "storeCountryCode": "US",
         "storeCity": "Springfield", "storeState": "IL", "storePostalCode": "62701",
         "storePhoneNumber": "+12175550100", "storeCurrency": "USD"}


def _fields(response: httpx.Response) -> dict:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["success"] is False and body["error"] == "validation_error"
    return body["fields"]


# -- stores ------------------------------------------------------------------------------------------------------
def test_put_store_echoes_the_profile_and_get_reads_it_with_e_receipts(api, sandbox, store1):
    put = api.put("/v1/stores", params=store1.auth, json=STORE)
    assert put.status_code == 200
    assert put.json() == {"success": True, "store": {**STORE, "eReceiptsEnabled": True}}
    assert api.get("/v1/stores", params=store1.auth).json()["store"] == {**STORE, "eReceiptsEnabled": True}
    assert sandbox.hook("GET", "stores")["stores"]["store-1"]["profile"] == STORE
    sandbox.hook("POST", "stores/store-1", {"eReceiptsEnabled": False})
    assert api.get("/v1/stores", params=store1.auth).json()["store"]["eReceiptsEnabled"] is False


@pytest.mark.parametrize("change,field", [
    ({"storeName": None}, "storeName"),
    ({"storeAddress": "  "}, "storeAddress"),
    ({"storeCountryCode": "USA"}, "storeCountryCode"),
    ({"storeCountryCode": "us"}, "storeCountryCode"),
    ({"storeCurrency": "usd"}, "storeCurrency"),
    ({"storeCurrency": "XYZ"}, "storeCurrency"),
    ({"storeCity": 12}, "storeCity"),
    ({"timezone": "America/New_York"}, "timezone"),
])
def test_put_store_refuses_invalid_fields_by_name(api, store1, change, field):
    body = {k: v for k, v in {**STORE, **change}.items() if v is not None}
    assert field in _fields(api.put("/v1/stores", params=store1.auth, json=body))


# -- orders ------------------------------------------------------------------------------------------------------
def test_an_order_is_stored_as_sent_and_a_repeat_is_a_counted_duplicate(api, sandbox, store1):
    body = order("R-1")
    first = api.post("/v1/orders", params=store1.auth, json=body)
    assert first.status_code == 200 and first.json() == {"success": True, "orderId": "R-1"}
    again = api.post("/v1/orders", params=store1.auth, json=body)
    assert again.status_code == 200 and again.json() == {"success": True, "orderId": "R-1", "duplicate": True}
    refund = order("R-2", type="refund", orderTotal="-1250", currency="JPY", customer=None, items=None)
    assert api.post("/v1/orders", params=store1.auth, json=refund).status_code == 200
    seen = sandbox.orders("store-1")
    assert seen["orders"] == [body, refund] and seen["posts"] == 3 and seen["duplicates"] == 1
    assert sandbox.orders("store-2") == {"orders": [], "count": 0, "posts": 0, "duplicates": 0}


def test_get_order_reads_an_order_of_this_store_only(api, store1):
    api.post("/v1/orders", params=store1.auth, json=order("R-9")).raise_for_status()
    found = api.get("/v1/orders", params={**store1.auth, "orderId": "R-9"})
    assert found.status_code == 200 and found.json() == {"success": True, "order": order("R-9")}
    missing = api.get("/v1/orders", params={**store1.auth, "orderId": "R-10"})
    assert missing.status_code == 404 and missing.json()["error"] == "order_not_found"
    other_store = connect(api, "store-2")
    assert api.get("/v1/orders", params={**other_store.auth, "orderId": "R-9"}).status_code == 404
    assert api.get("/v1/orders", params=store1.auth).json()["error"] == "missing_parameter"


@pytest.mark.parametrize("change,field", [
    ({"orderTotal": "12.50"}, "orderTotal"),
    ({"orderTotal": 1250}, "orderTotal"),
    ({"orderTotal": "1,250"}, "orderTotal"),
    ({"orderTotal": "01250"}, "orderTotal"),
    ({"orderTotal": "-100"}, "orderTotal"),                      # a sale cannot be negative
    ({"type": "refund"}, "orderTotal"),                          # a refund cannot be positive
    ({"currency": "XYZ"}, "currency"),
    ({"currency": "usd"}, "currency"),
    ({"orderDate": "2026-06-28T14:03:00"}, "orderDate"),
    ({"orderDate": "2026-06-28T14:03:00+02:00"}, "orderDate"),
    ({"orderDate": "2026-02-30T14:03:00.000Z"}, "orderDate"),
    ({"orderDate": "28/06/2026 14:03"}, "orderDate"),
    ({"orderId": None}, "orderId"),
    ({"orderId": ""}, "orderId"),
    ({"orderId": 1001}, "orderId"),
    ({"type": "void"}, "type"),
    ({"customer": "Ann Lee"}, "customer"),
    ({"customer": {"email": 5}}, "customer.email"),
    ({"customer": {"email": "not-an-email"}}, "customer.email"),
    ({"customer": {"phoneNumber": "(415) 555-0123"}}, "customer.phoneNumber"),
    ({"customer": {"nickname": "A"}}, "customer.nickname"),
    ({"items": {"name": "Bun"}}, "items"),
    ({"items": ["Bun"]}, "items[0]"),
    ({"items": [{"name": "Bun", "quantity": "2", "price": "100"}]}, "items[0].quantity"),
    ({"items": [{"name": "Bun", "quantity": True, "price": "100"}]}, "items[0].quantity"),
    ({"items": [{"name": "Bun", "quantity": 1, "price": "1.00"}]}, "items[0].price"),
    ({"items": [{"name": "Bun", "quantity": 1, "price": 100}]}, "items[0].price"),
    ({"items": [{"quantity": 1, "price": "100"}]}, "items[0].name"),
    ({"items": [{"name": "Bun", "quantity": 1, "price": "100", "tax": "5"}]}, "items[0].tax"),
    ({"storeId": "store-1"}, "storeId"),
])
def test_invalid_orders_are_refused_naming_the_field(api, sandbox, store1, change, field):
    fields = _fields(api.post("/v1/orders", params=store1.auth, json=order("BAD", **change)))
    assert field in fields and fields[field]
    assert sandbox.orders("store-1")["posts"] == 0


def test_several_invalid_fields_are_all_named(api, store1):
    body = order(None, orderTotal="12.50", currency="EURO", orderDate="yesterday")
    assert set(_fields(api.post("/v1/orders", params=store1.auth, json=body))) == {
        "orderId", "orderTotal", "currency", "orderDate"}


# -- customers ---------------------------------------------------------------------------------------------------
def _upload_url(api, conn) -> str:
    got = api.get("/v1/customers", params=conn.auth)
    assert got.status_code == 200
    body = got.json()
    assert body["success"] is True and body["expiresAt"].endswith("Z")
    assert body["uploadUrl"].startswith(str(api.base_url).rstrip("/") + "/_upload/")
    return body["uploadUrl"]


def test_a_gzip_csv_upload_replaces_the_customer_list_once(api, sandbox, store1):
    first = CSV_HEADER + "C-1,Ann,Lee,ann@example.com,+14155550123,2026-01-02T03:04:05.000Z\nC-2,Bo,,,,\n"
    put = api.put(_upload_url(api, store1), content=gzip.compress(first.encode()),
                    headers={"Content-Type": "text/csv; charset=utf-8", "Content-Encoding": "gzip"})
    assert put.status_code == 200 and put.json() == {"success": True, "received": 2}
    seen = sandbox.hook("GET", "customers", store_id="store-1")
    assert seen["uploads"] == 1 and [c["customerId"] for c in seen["customers"]] == ["C-1", "C-2"]
    assert seen["customers"][0] == {"customerId": "C-1", "firstName": "Ann", "lastName": "Lee",
                                    "email": "ann@example.com", "phoneNumber": "+14155550123",
                                    "createdAt": "2026-01-02T03:04:05.000Z"}
    second = CSV_HEADER + '"C-3","Zoë","O\'Brien, Jr",,+353861234567,\n'
    assert api.put(_upload_url(api, store1), content=second.encode(),
                     headers={"Content-Type": "text/csv"}).status_code == 200
    seen = sandbox.hook("GET", "customers", store_id="store-1")
    assert seen["uploads"] == 2 and seen["customers"] == [
        {"customerId": "C-3", "firstName": "Zoë", "lastName": "O'Brien, Jr", "email": "",
         "phoneNumber": "+353861234567", "createdAt": ""}]


def test_an_upload_url_works_once(api, store1):
    url = _upload_url(api, store1)
    assert api.put(url, content=CSV_HEADER.encode(), headers={"Content-Type": "text/csv"}).status_code == 200
    again = api.put(url, content=CSV_HEADER.encode(), headers={"Content-Type": "text/csv"})
    assert again.status_code == 410 and again.json()["error"] == "upload_url_used"
    unknown = api.put(url + "x", content=CSV_HEADER.encode(), headers={"Content-Type": "text/csv"})
    assert unknown.status_code == 404


def test_an_upload_url_expires_after_15_minutes(api, sandbox, store1):
    url = _upload_url(api, store1)
    sandbox.advance_clock(15 * 60 + 1)
    late = api.put(url, content=CSV_HEADER.encode(), headers={"Content-Type": "text/csv"})
    assert late.status_code == 410 and late.json()["error"] == "upload_url_expired"


@pytest.mark.parametrize("content,headers,status,code", [
    (b"id,name\n1,Ann\n", {"Content-Type": "text/csv"}, 400, "invalid_csv"),
    (b"", {"Content-Type": "text/csv"}, 400, "invalid_csv"),
    ((CSV_HEADER + "C-1,Ann\n").encode(), {"Content-Type": "text/csv"}, 400, "invalid_csv"),
    ((CSV_HEADER + "C-1,Ann,Lee,ann@example.com,555-0123,\n").encode(), {"Content-Type": "text/csv"}, 400,
     "invalid_csv"),
    ((CSV_HEADER + "C-1,Ann,Lee,,,2026-01-02 03:04\n").encode(), {"Content-Type": "text/csv"}, 400, "invalid_csv"),
    ((CSV_HEADER + ",Ann,Lee,,,\n").encode(), {"Content-Type": "text/csv"}, 400, "invalid_csv"),
    ((CSV_HEADER + "C-1,Zo\xeb,,,,\n").encode("latin-1"), {"Content-Type": "text/csv"}, 400, "invalid_csv"),
    (CSV_HEADER.encode(), {"Content-Type": "text/csv", "Content-Encoding": "gzip"}, 400, "invalid_csv"),
    (CSV_HEADER.encode(), {"Content-Type": "text/csv", "Content-Encoding": "br"}, 415, "unsupported_encoding"),
    (CSV_HEADER.encode(), {"Content-Type": "application/json"}, 415, "unsupported_media_type"),
])
def test_bad_customer_lists_are_refused_and_do_not_use_up_the_url(api, sandbox, store1, content, headers, status,
                                                                   code):
    url = _upload_url(api, store1)
    refused = api.put(url, content=content, headers=headers)
    assert refused.status_code == status and refused.json()["error"] == code, refused.text
    assert sandbox.hook("GET", "customers", store_id="store-1")["uploads"] == 0
    assert api.put(url, content=CSV_HEADER.encode(), headers={"Content-Type": "text/csv"}).status_code == 200
