"""Shopify's exports: orders (one row per line item, order fields on the first row only) and customers.

The order id is `Id` (first row only), else `Name` (`#16101`, present on every row, so it groups the rows).
Refunds are a status on the original order (`Financial Status` refunded / partially_refunded + `Refunded
Amount`): they become a refund order `<id>-R` dated at the order (the export does not say when it was
refunded). Voided, pending, expired and cancelled orders are skipped. Spreadsheet apostrophes are stripped.
"""

from __future__ import annotations

from rulrr_desktop.core.mapping.contacts import clean_email, phone_e164, split_name
from rulrr_desktop.core.mapping.context import MappingContext
from rulrr_desktop.core.mapping.preset import (Preset, amount, clean_id, is_skipped_state, line_total, quantity,
                                               when)
from rulrr_desktop.core.mapping.result import MappingResult
from rulrr_desktop.core.model import Customer, Order, OrderItem
from rulrr_desktop.core.sources.base import RawRecord


def _first_value(f: dict[str, str], *columns: str) -> str:
    for c in columns:
        v = f.get(c, "")
        if v and v.strip():
            return v
    return ""


def map_order(rows: list[RawRecord], ctx: MappingContext, out: MappingResult) -> None:
    # The row with the order fields is the one with a Created at / Financial Status (the first in Shopify's
    # layout; found rather than assumed in case a spreadsheet sorted the lines).
    head = next((r for r in rows if r.fields.get("Financial Status", "").strip() or r.fields.get("Total", "").strip()),
                rows[0])
    f = head.fields
    order_id = clean_id(f.get("Id", "")) or clean_id(f["Name"])
    status = f.get("Financial Status", "").strip().lower()
    if f.get("Cancelled at", "").strip() or is_skipped_state(status):
        out.skip()
        return
    currency = ctx.currency_for(f.get("Currency", ""), head.where)
    money = ctx.money(currency)
    total = amount(money, head, "Total")
    moment = when(ctx, head, "Created at")
    items = []
    for row in rows:
        r = row.fields
        name = r.get("Lineitem name", "").strip()
        if not name:
            continue
        qty = quantity(r.get("Lineitem quantity", ""), row.where)
        unit = amount(money, row, "Lineitem price")
        discount = amount(money, row, "Lineitem discount", optional=True)
        items.append(OrderItem(name, qty, line_total(unit, qty, discount), clean_id(r.get("Lineitem sku", ""))))
    first, last = split_name(_first_value(f, "Billing Name", "Shipping Name"))
    customer = Customer(email=clean_email(f.get("Email", "")), first_name=first, last_name=last,
                        phone_number=phone_e164(_first_value(f, "Phone", "Billing Phone", "Shipping Phone"),
                                                ctx.country))
    if not customer.key():
        customer = None if not (first or last) else customer
    out.add_order(Order(order_id, moment, total, currency, "sale", customer, tuple(items), head.where))
    if status in ("refunded", "partially_refunded"):
        refunded = amount(money, head, "Refunded Amount", optional=True)
        if refunded == 0 and status == "refunded":
            refunded = total
        if refunded:
            out.add_order(Order(order_id + "-R", moment, -abs(refunded), currency, "refund", customer, (),
                                head.where))


def map_customer(rows: list[RawRecord], ctx: MappingContext, out: MappingResult) -> None:
    row = rows[0]
    f = row.fields
    customer = Customer(customer_id=clean_id(f.get("Customer ID", "")), first_name=f.get("First Name", "").strip(),
                        last_name=f.get("Last Name", "").strip(), email=clean_email(f.get("Email", "")),
                        phone_number=phone_e164(_first_value(f, "Phone", "Default Address Phone"), ctx.country))
    if not customer.key():
        out.skip()
        return
    out.add_customer(customer)


ORDERS = Preset(
    key="shopify-orders", title="Shopify — Orders", grain="line item",
    required=("Name", "Created at", "Total", "Lineitem name", "Lineitem quantity", "Lineitem price"),
    characteristic=("Email", "Financial Status", "Paid at", "Fulfillment Status", "Accepts Marketing", "Currency",
                    "Subtotal", "Shipping", "Taxes", "Lineitem sku", "Billing Name", "Billing Zip",
                    "Refunded Amount", "Id", "Cancelled at"),
    order_id="Name", date_columns=("Created at",),
    notes="one row per line item, order fields on the first row; id = Id, else Name; currency from Currency; "
          "refunded/partially_refunded → refund order <id>-R of Refunded Amount; voided/pending/cancelled skipped",
    map_group=map_order)

CUSTOMERS = Preset(
    key="shopify-customers", title="Shopify — Customers", grain="customer",
    required=("First Name", "Last Name", "Email"),
    characteristic=("Customer ID", "Accepts Email Marketing", "Default Address Zip", "Default Address Phone",
                    "Accepts SMS Marketing", "Total Spent", "Total Orders", "Tax Exempt", "Accepts Marketing",
                    "Phone", "Tags", "Note"),
    order_id="Customer ID",
    notes="the customer list (new and old layouts); apostrophes stripped; phone → E.164",
    map_group=map_customer)

PRESETS = (ORDERS, CUSTOMERS)
