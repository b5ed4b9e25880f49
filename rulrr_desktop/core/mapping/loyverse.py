"""Loyverse's exports: receipts (one row per receipt) and receipts by item (one row per line item).

Dates are in the account's locale (`7/28/26 1:33 PM`, `28/07/2026 13:33`): the source's date format is sniffed.
A refund is its own receipt (`Receipt type` Refund, its own receipt number, negative amounts) and stays one.
`Status` Cancelled is skipped. `Customer contacts` is free text with a phone and/or an email.
"""

from __future__ import annotations

from rulrr_desktop.core.mapping.contacts import split_contacts, split_name
from rulrr_desktop.core.mapping.context import MappingContext
from rulrr_desktop.core.mapping.errors import RowProblem
from rulrr_desktop.core.mapping.preset import Preset, amount, clean_id, is_skipped_state, quantity, when
from rulrr_desktop.core.mapping.result import MappingResult
from rulrr_desktop.core.model import Customer, Order, OrderItem
from rulrr_desktop.core.sources.base import RawRecord


def _customer(f: dict[str, str], ctx: MappingContext) -> Customer | None:
    name = f.get("Customer name", "")
    contacts = f.get("Customer contacts", "")
    if not name.strip() and not contacts.strip():
        return None
    phone, email = split_contacts(contacts, ctx.country)
    first, last = split_name(name)
    customer = Customer(first_name=first, last_name=last, email=email, phone_number=phone)
    return customer if customer.key() else None


def _head(rows: list[RawRecord], ctx: MappingContext):
    head = rows[0]
    f = head.fields
    ctx.currency_for("", head.where)  # Loyverse exports carry no currency: the store's must be set
    refund = f.get("Receipt type", "").strip().lower() == "refund"
    return head, f, refund


def map_receipt(rows: list[RawRecord], ctx: MappingContext, out: MappingResult) -> None:
    head, f, refund = _head(rows, ctx)
    receipt = clean_id(f["Receipt number"])
    if not receipt:
        raise RowProblem("the Receipt number is empty", head.where)
    if is_skipped_state(f.get("Status", "")):
        out.skip()
        return
    total = amount(ctx.money(ctx.currency), head, "Total collected")
    if refund:
        total = -abs(total)
    out.add_order(Order(receipt, when(ctx, head, "Date"), total, ctx.currency, "refund" if refund else "sale",
                        _customer(f, ctx), (), head.where))


def map_receipt_items(rows: list[RawRecord], ctx: MappingContext, out: MappingResult) -> None:
    head, f, refund = _head(rows, ctx)
    if is_skipped_state(f.get("Status", "")):
        out.skip()
        return
    money = ctx.money(ctx.currency)
    items, total = [], 0
    for row in rows:
        r = row.fields
        net = amount(money, row, "Net sales")
        total += net + amount(money, row, "Taxes", optional=True)
        name = r["Item"].strip()
        variant = r.get("Variant", "").strip()
        if variant:
            name = f"{name} ({variant})"
        qty = quantity(r["Quantity"], row.where)
        if refund:
            net, qty = -abs(net), qty.lstrip("-")
        items.append(OrderItem(name or "Item", qty, net, clean_id(r.get("SKU", ""))))
    if refund:
        total = -abs(total)
    out.add_order(Order(clean_id(f["Receipt number"]), when(ctx, head, "Date"), total, ctx.currency,
                        "refund" if refund else "sale", _customer(f, ctx), tuple(items), head.where))


RECEIPTS = Preset(
    key="loyverse-receipts", title="Loyverse — Receipts", grain="order",
    required=("Date", "Receipt number", "Total collected"),
    characteristic=("Receipt type", "Gross sales", "Discounts", "Net sales", "Taxes", "Cost of goods",
                    "Gross profit", "Payment type", "POS", "Store", "Cashier name", "Customer contacts", "Status"),
    order_id="Receipt number", date_columns=("Date",),
    notes="one row per receipt; total = Total collected; Receipt type Refund → refund order (its own receipt "
          "number, negative); Status Cancelled skipped; dates in the account's locale (sniffed)",
    map_group=map_receipt, store_columns=(("storeName", "Store"),))

RECEIPT_ITEMS = Preset(
    key="loyverse-receipt-items", title="Loyverse — Receipts by item", grain="line item",
    required=("Date", "Receipt number", "Item", "Quantity", "Net sales"),
    characteristic=("Receipt type", "Category", "SKU", "Variant", "Modifiers applied", "Gross sales", "Taxes",
                    "Cost of goods", "POS", "Store", "Customer contacts", "Comment", "Status"),
    order_id="Receipt number", date_columns=("Date",),
    notes="one row per line item, grouped by Receipt number; total = Σ(Net sales + Taxes); refunds and "
          "cancelled as for receipts",
    map_group=map_receipt_items, store_columns=(("storeName", "Store"),))

PRESETS = (RECEIPTS, RECEIPT_ITEMS)
