"""The order body is exactly what Rulrr documents: minor-unit strings, ISO-8601 UTC with a Z."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from rulrr_desktop.core.model import Customer, Order, OrderItem, iso_utc


def test_order_body():
    order = Order("T-1", datetime(2026, 6, 28, 10, 3, tzinfo=timezone(timedelta(hours=-4))), -1250, "USD",
                  type="refund", customer=Customer(customer_id="C9", email="ann@example.com"),
                  items=(OrderItem("Croissant", "2.0", -1250, sku="CR-1"),))
    body = order.to_api()
    assert body == {"orderId": "T-1", "orderDate": "2026-06-28T14:03:00.000Z", "orderTotal": "-1250",
                    "currency": "USD", "type": "refund",
                    "customer": {"customerId": "C9", "email": "ann@example.com"},
                    "items": [{"name": "Croissant", "sku": "CR-1", "quantity": 2, "price": "-1250"}]}
    same = Order(**{name: getattr(order, name) for name in order.__slots__})
    assert order.content_hash() == same.content_hash()


def test_hash_changes_with_content():
    when = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert Order("A", when, 100, "USD").content_hash() != Order("A", when, 101, "USD").content_hash()


def test_naive_time_is_refused():
    with pytest.raises(ValueError):
        iso_utc(datetime(2026, 1, 1))


def test_an_order_is_built_and_frozen_as_a_dataclass_is():
    """Order has a faster __init__ than the generated one: same signature, defaults, equality and immutability."""
    import dataclasses
    when = datetime(2026, 1, 1, tzinfo=timezone.utc)
    order = Order("A", when, 100, "USD")
    assert order == Order(order_id="A", order_date=when, total=100, currency="USD", type="sale", customer=None,
                          items=(), where="")
    assert hash(order) == hash(dataclasses.replace(order, total=100)) and dataclasses.replace(order, total=5).total == 5
    with pytest.raises(dataclasses.FrozenInstanceError):
        order.total = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        Order("A", when)  # type: ignore[call-arg]


# -- the faster iso_utc, Customer.to_api and OrderItem.to_api write exactly what the first versions wrote ---------

from decimal import Decimal, InvalidOperation  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from hypothesis import given, settings, strategies as st  # noqa: E402

from rulrr_desktop.core.model import _drop_empty  # noqa: E402


def _old_iso_utc(moment: datetime) -> str:
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


_ZONES = st.sampled_from([timezone.utc, timezone(timedelta(0)), timezone(timedelta(hours=-4)),
                          timezone(timedelta(hours=5, minutes=45)), ZoneInfo("UTC"), ZoneInfo("America/New_York"),
                          ZoneInfo("Europe/London"), ZoneInfo("Asia/Kathmandu")])


@settings(max_examples=500, deadline=None)
@given(wall=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)), zone=_ZONES,
       fold=st.sampled_from([0, 1]))
def test_iso_utc_writes_what_the_strftime_formula_wrote(wall, zone, fold):
    moment = wall.replace(tzinfo=zone, fold=fold)
    assert iso_utc(moment) == _old_iso_utc(moment)


def test_iso_utc_examples():
    assert iso_utc(datetime(2026, 6, 28, 14, 3, 0, 999999, tzinfo=timezone.utc)) == "2026-06-28T14:03:00.999Z"
    assert iso_utc(datetime(999, 1, 1, tzinfo=timezone.utc)) == _old_iso_utc(datetime(999, 1, 1, tzinfo=timezone.utc))
    assert iso_utc(datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))) == "2025-12-31T23:30:00.000Z"


_TEXTS = st.sampled_from(["", " ", "C1", "Ann", "ann@example.com", "+12125550147", "0"]) | st.text(max_size=4)


@given(fields=st.tuples(_TEXTS, _TEXTS, _TEXTS, _TEXTS, _TEXTS))
def test_customer_body_is_its_non_empty_fields_in_order(fields):
    customer = Customer(*fields)
    old = _drop_empty({"customerId": fields[0], "firstName": fields[1], "lastName": fields[2], "email": fields[3],
                       "phoneNumber": fields[4]})
    assert customer.to_api() == old and list(customer.to_api()) == list(old)


def _old_item_body(item: OrderItem) -> dict:
    qty = item.quantity
    try:
        exact = Decimal(item.quantity)
        qty = int(exact) if exact == exact.to_integral_value() else float(exact)
    except (InvalidOperation, ValueError):
        pass
    return _drop_empty({"name": item.name, "sku": item.sku, "quantity": qty, "price": str(item.price)})


@given(qty=st.sampled_from(["1", "2", "0.5", "-1", "0", "1e3", "x", "", " 2 ", "1,000", "NaN", "2.50"])
       | st.decimals(allow_nan=False, allow_infinity=False).map(str), name=_TEXTS, sku=_TEXTS, price=st.integers())
def test_item_body_is_what_it_was(qty, name, sku, price):
    item = OrderItem(name, qty, price, sku)
    for _ in range(2):                         # the second time from the quantity cache
        body, old = item.to_api(), _old_item_body(item)
        assert json.dumps(body, sort_keys=True) == json.dumps(old, sort_keys=True) and list(body) == list(old)
