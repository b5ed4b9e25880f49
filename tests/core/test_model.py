"""The order body is exactly what Rulrr documents: minor-unit strings, ISO-8601 UTC with a Z."""

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
