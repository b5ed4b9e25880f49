"""Strict checks of what a client sends, so that the sandbox refuses what the real Rulrr would refuse.

Each check returns {field: reason} (empty when the input is fine); field names are Rulrr's, with a path for
nested values ("items[0].price", "customer.email"), so that a client bug shows up as a 400 naming the field.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime
from typing import Any

from rulrr_desktop.sandbox import spec
from rulrr_desktop.sandbox.iso_codes import COUNTRIES, CURRENCIES


def is_iso_utc(value: Any) -> bool:
    """True for an ISO-8601 UTC timestamp ending in Z that names a real moment (`2026-06-28T14:03:00.000Z`)."""
    if not isinstance(value, str) or not spec.ISO_UTC_RE.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value[:-1] + "+00:00")
    except ValueError:
        return False
    return True


def _minor_units_reason(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"must be a string of minor units such as \"1250\" for 12.50, not {type(value).__name__}"
    if not spec.MINOR_UNITS_RE.fullmatch(value):
        return "must be a whole number of minor units as a string, such as \"1250\" for 12.50"
    return None


def _string_fields(obj: dict, names: tuple[str, ...], prefix: str, errors: dict[str, str]) -> None:
    for name in names:
        if name in obj and not isinstance(obj[name], str):
            errors[f"{prefix}{name}"] = f"must be a string, not {type(obj[name]).__name__}"


def _unknown_fields(obj: dict, known: tuple[str, ...], prefix: str, errors: dict[str, str], what: str) -> None:
    for name in obj:
        if name not in known:
            errors[f"{prefix}{name}"] = f"is not a field of {what}"


def _contact_checks(obj: dict, prefix: str, errors: dict[str, str]) -> None:
    email, phone = obj.get("email"), obj.get("phoneNumber")
    if isinstance(email, str) and email and not spec.EMAIL_RE.fullmatch(email):
        errors[f"{prefix}email"] = "is not an email address"
    if isinstance(phone, str) and phone and not spec.E164_RE.fullmatch(phone):
        errors[f"{prefix}phoneNumber"] = "must be in E.164 format, such as +14155550123"


def validate_order(body: dict[str, Any]) -> dict[str, str]:
    """The reasons, by field, why `body` is not a valid POST /v1/orders body."""
    errors: dict[str, str] = {}
    _unknown_fields(body, spec.ORDER_FIELDS, "", errors, "an order")
    for name in spec.ORDER_REQUIRED:
        if name not in body or body[name] is None or body[name] == "":
            errors[name] = "is required"
    order_id = body.get("orderId")
    if "orderId" not in errors:
        if not isinstance(order_id, str):
            errors["orderId"] = f"must be a string, not {type(order_id).__name__}"
        elif len(order_id) > spec.ORDER_ID_MAX or order_id != order_id.strip():
            errors["orderId"] = f"must be at most {spec.ORDER_ID_MAX} characters without surrounding spaces"
    if "orderDate" not in errors and not is_iso_utc(body["orderDate"]):
        errors["orderDate"] = "must be an ISO-8601 UTC timestamp ending in Z, such as 2026-06-28T14:03:00.000Z"
    if "orderTotal" not in errors and (reason := _minor_units_reason(body["orderTotal"])):
        errors["orderTotal"] = reason
    if "currency" not in errors and (not isinstance(body["currency"], str) or body["currency"] not in CURRENCIES):
        errors["currency"] = "must be an ISO 4217 currency code such as USD"
    order_type = body.get("type", spec.ORDER_DEFAULT_TYPE)
    if order_type not in spec.ORDER_TYPES:
        errors["type"] = "must be \"sale\" or \"refund\""
    elif "orderTotal" not in errors:
        total = int(body["orderTotal"])
        if order_type == "sale" and total < 0:
            errors["orderTotal"] = "a sale cannot have a negative total (send it with type \"refund\")"
        elif order_type == "refund" and total > 0:
            errors["orderTotal"] = "a refund's total must be negative or zero"
    if "customer" in body:
        customer = body["customer"]
        if not isinstance(customer, dict):
            errors["customer"] = f"must be an object, not {type(customer).__name__}"
        else:
            _unknown_fields(customer, spec.CUSTOMER_FIELDS, "customer.", errors, "a customer")
            _string_fields(customer, spec.CUSTOMER_FIELDS, "customer.", errors)
            _contact_checks(customer, "customer.", errors)
    if "items" in body:
        items = body["items"]
        if not isinstance(items, list):
            errors["items"] = f"must be a list, not {type(items).__name__}"
        else:
            for i, item in enumerate(items):
                _validate_item(item, f"items[{i}].", errors)
    return errors


def _validate_item(item: Any, prefix: str, errors: dict[str, str]) -> None:
    if not isinstance(item, dict):
        errors[prefix.rstrip(".")] = f"must be an object, not {type(item).__name__}"
        return
    _unknown_fields(item, spec.ITEM_FIELDS, prefix, errors, "an item")
    for name in spec.ITEM_REQUIRED:
        if name not in item or item[name] is None or item[name] == "":
            errors[f"{prefix}{name}"] = "is required"
    _string_fields(item, ("name", "sku"), prefix, errors)
    quantity = item.get("quantity")
    if f"{prefix}quantity" not in errors and (
            isinstance(quantity, bool) or not isinstance(quantity, (int, float)) or not math.isfinite(quantity)):
        errors[f"{prefix}quantity"] = "must be a JSON number, such as 2 or 0.5"
    if f"{prefix}price" not in errors and (reason := _minor_units_reason(item.get("price"))):
        errors[f"{prefix}price"] = reason


def validate_store(body: dict[str, Any]) -> dict[str, str]:
    """The reasons, by field, why `body` is not a valid PUT /v1/stores body."""
    errors: dict[str, str] = {}
    _unknown_fields(body, spec.STORE_FIELDS, "", errors, "a store profile")
    _string_fields(body, spec.STORE_FIELDS, "", errors)
    for name in spec.STORE_REQUIRED:
        if name not in errors and not (isinstance(body.get(name), str) and body[name].strip()):
            errors[name] = "is required"
    country = body.get("storeCountryCode")
    if "storeCountryCode" not in errors and (not isinstance(country, str) or country not in COUNTRIES):
        errors["storeCountryCode"] = "must be an ISO 3166 alpha-2 country code such as US"
    currency = body.get("storeCurrency")
    if "storeCurrency" in body and "storeCurrency" not in errors and (
            not isinstance(currency, str) or currency not in CURRENCIES):
        errors["storeCurrency"] = "must be an ISO 4217 currency code such as USD"
    return errors


class CsvRejected(ValueError):
    """The customer list cannot be accepted; `fields` says where and why."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


def parse_customers_csv(text: str) -> list[dict[str, str]]:
    """The customers of an uploaded list, or CsvRejected naming the line and column that are wrong."""
    rows = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(rows, None)
    except csv.Error as exc:
        raise CsvRejected(f"line 1 is not valid CSV ({exc})") from None
    if header is None:
        raise CsvRejected("the file is empty: it needs at least the header line")
    if tuple(header) != spec.CUSTOMER_CSV_HEADER:
        raise CsvRejected("the header must be exactly " + ",".join(spec.CUSTOMER_CSV_HEADER),
                          {"header": f"is {','.join(header)!r}"})
    customers: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    try:
        for row in rows:
            line = rows.line_num
            if not row:
                continue
            if len(row) != len(header):
                errors[f"line {line}"] = f"has {len(row)} columns instead of {len(header)}"
            else:
                customer = dict(zip(header, row))
                if not (customer["customerId"] or customer["email"] or customer["phoneNumber"]):
                    errors[f"line {line}"] = "needs a customerId, an email or a phoneNumber"
                if customer["createdAt"] and not is_iso_utc(customer["createdAt"]):
                    errors[f"line {line}.createdAt"] = "must be an ISO-8601 UTC timestamp ending in Z"
                row_errors: dict[str, str] = {}
                _contact_checks(customer, "", row_errors)
                errors.update({f"line {line}.{k}": v for k, v in row_errors.items()})
                customers.append(customer)
            if len(errors) >= 20:
                break
    except csv.Error as exc:
        raise CsvRejected(f"line {rows.line_num} is not valid CSV ({exc})") from None
    if errors:
        raise CsvRejected("some rows of the customer list are not valid", errors)
    return customers
