"""Rulrr's data model as the app sends it: orders, customers, the store profile.

Money is held as an int of minor units (cents) and sent as a string, as Rulrr documents; times are aware
datetimes, sent as ISO-8601 UTC with milliseconds and a `Z`. These types are what mapping produces, what
the ledger hashes and what the API client sends, so that all three agree by construction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any


_UTC = timezone.utc
# one encoder for the per-order body (json.dumps with options builds a new encoder at every call)
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


def iso_utc(moment: datetime) -> str:
    """`2026-06-28T14:03:00.000Z`: the one timestamp format Rulrr takes.

    Once per order hashed and sent: one %-format of the fields writes the same text as the strftime formula
    below (milliseconds truncated, not rounded) in about a third of its time; the formula is kept for years
    before 1000, which strftime does not pad."""
    zone = moment.tzinfo
    if zone is None:
        raise ValueError("a naive datetime cannot be sent: its zone is unknown")
    if zone is not _UTC:           # mapping hands over UTC times already: no conversion for those
        moment = moment.astimezone(_UTC)
    year = moment.year
    if year >= 1000:
        return "%d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (year, moment.month, moment.day, moment.hour, moment.minute,
                                                      moment.second, moment.microsecond // 1000)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _drop_empty(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v not in (None, "", [], {})}


# OrderItem.quantity text → the JSON value sent (an int when whole, else a float; the text itself when it is not
# a number): a few distinct texts, converted through Decimal once each instead of once per line sent
_API_QUANTITIES: dict[str, Any] = {}


def _api_quantity(text: str) -> Any:
    qty = _API_QUANTITIES.get(text)
    if qty is not None:
        return qty
    qty = text
    try:
        exact = Decimal(text)
        qty = int(exact) if exact == exact.to_integral_value() else float(exact)
    except (InvalidOperation, ValueError):
        pass  # the sandbox/Rulrr will name the field; mapping should not produce this
    if len(_API_QUANTITIES) < 10_000 and text.__class__ is str:
        _API_QUANTITIES[text] = qty
    return qty


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone_number: str = ""          # E.164, or empty
    created_at: datetime | None = None

    def key(self) -> str:
        """What identifies a customer across sources: the POS id, else the email, else the phone."""
        return self.customer_id or self.email.lower() or self.phone_number

    def to_api(self) -> dict[str, Any]:
        """The `customer` object inside an order body: its non-empty fields (the fields are texts: an empty
        one is ""; `_drop_empty` is kept for anything else, which mapping does not produce)."""
        cid, first, last, email, phone = (self.customer_id, self.first_name, self.last_name, self.email,
                                          self.phone_number)
        if not (cid.__class__ is first.__class__ is last.__class__ is email.__class__ is phone.__class__ is str):
            return _drop_empty({"customerId": cid, "firstName": first, "lastName": last, "email": email,
                                "phoneNumber": phone})
        body: dict[str, Any] = {}
        if cid:
            body["customerId"] = cid
        if first:
            body["firstName"] = first
        if last:
            body["lastName"] = last
        if email:
            body["email"] = email
        if phone:
            body["phoneNumber"] = phone
        return body

    def csv_row(self) -> list[str]:
        """A row of the customer-list upload (see CUSTOMER_CSV_HEADER)."""
        return [self.customer_id, self.first_name, self.last_name, self.email, self.phone_number,
                iso_utc(self.created_at) if self.created_at else ""]


CUSTOMER_CSV_HEADER = ["customerId", "firstName", "lastName", "email", "phoneNumber", "createdAt"]


@dataclass(frozen=True, slots=True)
class OrderItem:
    name: str
    quantity: str                   # a decimal string as the POS gave it, e.g. "2" or "0.5"
    price: int                      # the line's total in minor units (quantity × unit price, after discounts)
    sku: str = ""

    def to_api(self) -> dict[str, Any]:
        return _drop_empty({"name": self.name, "sku": self.sku, "quantity": _api_quantity(self.quantity),
                            "price": str(self.price)})


@dataclass(frozen=True, slots=True)
class Order:
    order_id: str
    order_date: datetime            # aware
    total: int                      # minor units; negative for a refund
    currency: str                   # ISO 4217
    type: str = "sale"              # "sale" | "refund"
    customer: Customer | None = None
    items: tuple[OrderItem, ...] = ()
    where: str = ""                 # where it was read ("items.csv:17", "Document:42"); never sent

    def to_api(self) -> dict[str, Any]:
        """The body of POST /v1/orders."""
        body: dict[str, Any] = {
            "orderId": self.order_id,
            "orderDate": iso_utc(self.order_date),
            "orderTotal": str(self.total),
            "currency": self.currency,
            "type": self.type,
        }
        if self.customer is not None:
            customer = self.customer.to_api()
            if customer:
                body["customer"] = customer
        if self.items:
            body["items"] = [item.to_api() for item in self.items]
        return body

    def canonical_json(self) -> str:
        """The body of POST /v1/orders as the ledger records, hashes and sends it: sorted keys, compact (key order
        means nothing to Rulrr)."""
        return _CANONICAL(self.to_api())

    def content_hash(self) -> str:
        """A stable hash of what would be sent, so the ledger can tell a changed order from a re-read one."""
        return body_hash(self.canonical_json())


def body_hash(body: str) -> str:
    """The content hash of an order body (its canonical JSON text, `Order.canonical_json`)."""
    return hashlib.blake2b(body.encode(), digest_size=16).hexdigest()


# A frozen dataclass's __init__ sets each field through object.__setattr__ (a lookup per field), which made
# building an Order a large share of mapping a big export; this one has the same signature and stores straight
# into the slots. Order stays frozen: setting a field afterwards still raises.
_set_id, _set_date, _set_total, _set_currency, _set_type, _set_customer, _set_items, _set_where = (
    Order.order_id.__set__, Order.order_date.__set__, Order.total.__set__, Order.currency.__set__,  # type: ignore
    Order.type.__set__, Order.customer.__set__, Order.items.__set__, Order.where.__set__)  # type: ignore


def _order_init(self: Order, order_id: str, order_date: datetime, total: int, currency: str, type: str = "sale",
                customer: Customer | None = None, items: tuple[OrderItem, ...] = (), where: str = "") -> None:
    _set_id(self, order_id)
    _set_date(self, order_date)
    _set_total(self, total)
    _set_currency(self, currency)
    _set_type(self, type)
    _set_customer(self, customer)
    _set_items(self, items)
    _set_where(self, where)


_order_init.__qualname__ = "Order.__init__"
Order.__init__ = _order_init  # type: ignore[method-assign]


STORE_FIELDS = ("storeName", "storeAddress", "storeCountryCode", "storeCity", "storeState",
                "storePostalCode", "storePhoneNumber", "storeCurrency")
STORE_REQUIRED = ("storeName", "storeAddress", "storeCountryCode")


@dataclass(frozen=True, slots=True)
class StoreProfile:
    """The body of PUT /v1/stores, keyed by Rulrr's field names. `timezone` is ours and never sent."""

    fields: dict[str, str] = field(default_factory=dict)
    timezone: str = ""

    def missing(self) -> list[str]:
        return [name for name in STORE_REQUIRED if not self.fields.get(name)]

    def to_api(self) -> dict[str, str]:
        return {k: v for k, v in self.fields.items() if k in STORE_FIELDS and v}

    @property
    def currency(self) -> str:
        return self.fields.get("storeCurrency", "")

    @property
    def country(self) -> str:
        return self.fields.get("storeCountryCode", "")
