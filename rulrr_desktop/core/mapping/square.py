"""Square's exports: Item Sales (one row per line item), Transactions (one row per payment or refund),
Customers. Money is `$4.00`-style with no currency column (the store's currency applies); times are `Date` +
`Time` + a Rails zone name (`Eastern Time (US & Canada)`).

Refunds arrive as their own rows (`Event Type` = Refund) under the original Transaction ID; each becomes a
refund order `<Transaction ID>-R<UTC YYYYMMDDHHMMSS>` so that the id is the same however often it is read.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Callable

from rulrr_desktop.core.mapping.contacts import clean_email, phone_e164, split_name
from rulrr_desktop.core.mapping.context import MappingContext
from rulrr_desktop.core.mapping.errors import RowProblem
from rulrr_desktop.core.mapping.money import MoneyError
from rulrr_desktop.core.mapping.preset import (Preset, amount, clean_id, is_skipped_state, quantity,
                                               refund_suffix)
from rulrr_desktop.core.mapping.result import MappingResult
from rulrr_desktop.core.mapping.times import TimeError
from rulrr_desktop.core.model import Customer, Order, OrderItem
from rulrr_desktop.core.sources.base import RawRecord, RecordRows


def _currency(ctx: MappingContext, row: RawRecord) -> str:
    return ctx.currency_for("", row.where)


def _moment(ctx: MappingContext, row: RawRecord):
    f = row.fields
    try:
        return ctx.dates.utc_parts(f["Date"], f.get("Time", ""), f.get("Time Zone", ""))
    except TimeError as exc:
        raise RowProblem(f"the date/time {f['Date']} {f.get('Time', '')} {f.get('Time Zone', '')}".rstrip()
                         + f" cannot be read: {exc}", row.where) from None


def _customer(f: dict[str, str], memo: dict | None = None) -> Customer | None:
    cid = f.get("Customer ID")
    name = f.get("Customer Name")
    if not cid and not name:
        return None
    if memo is not None:
        known = memo.get((cid, name))
        if known is None:
            known = memo[(cid, name)] = _customer(f) or False
        return known or None
    cid = clean_id(cid or "")
    name = name or ""
    if not cid and not name.strip():
        return None
    first, last = split_name(name)
    return Customer(customer_id=cid, first_name=first, last_name=last)


def _is_refund(f: dict[str, str]) -> bool:
    ev = f.get("Event Type")
    return bool(ev) and ev != "Payment" and ev.strip().lower() == "refund"


def map_item_sales(rows: list[RawRecord], ctx: MappingContext, out: MappingResult) -> None:
    """The rows of one Transaction ID (newest-first or not) → a sale order and/or refund orders.

    The hot path of the biggest exports: plain dict reads and cached parsers; a bad amount is re-read
    through `amount()` only to word the quarantine reason."""
    first = rows[0]
    tid = clean_id(first.fields["Transaction ID"])
    currency = _currency(ctx, first)
    money = ctx.money(currency)
    sale: list[OrderItem] = []
    sale_total = 0
    sale_row: RawRecord | None = None
    refunds: dict[tuple[str, str, str], list] | None = None
    items = ctx.memo("square-items")       # the same menu lines repeat: OrderItem is immutable, share it
    for row in rows:
        f = row.fields
        key = (f["Item"], f.get("Price Point Name"), f["Qty"], f["Net Sales"], f.get("SKU"))
        cached = items.get(key)
        try:
            tax_text = f.get("Tax")
            tax = money(tax_text) if tax_text else 0
            if cached is not None:
                item, net = cached
            else:
                net = money(f["Net Sales"])
        except MoneyError:
            net = amount(money, row, "Net Sales")
            tax = amount(money, row, "Tax", optional=True)
        if cached is None:
            name = f["Item"].strip()
            point = f.get("Price Point Name")
            if point and point != "Regular" and point.strip():
                name = f"{name} ({point.strip()})"
            sku = f.get("SKU")
            if sku:
                sku = clean_id(sku)
            item = OrderItem(name or "Item", quantity(f["Qty"], row.where), net, sku or "")
            items[key] = (item, net)
        ev = f.get("Event Type")
        if ev and ev != "Payment" and ev.strip().lower() == "refund":
            moment_key = (f["Date"], f.get("Time", ""), f.get("Time Zone", ""))
            refunds = _add_refund_line(refunds, moment_key, row, item, net + tax)
        else:
            if sale_row is None:
                sale_row = row
            sale.append(item)
            sale_total += net + tax
    customer = _customer(first.fields, ctx.memo("square-customers"))
    if sale_row is not None:
        # Lines keep their file order (a line is its position in the order; identical lines both stay).
        out.add_order(Order(tid, _moment(ctx, sale_row), sale_total, currency, "sale", customer,
                            tuple(sale), sale_row.where))
    for row, items, total in (refunds or {}).values():
        moment = _moment(ctx, row)
        # A refund: a negative total; its lines count what came back (positive) at negative prices.
        total = -abs(total)
        items = [OrderItem(i.name, i.quantity.lstrip("-"), -abs(i.price), i.sku) for i in items]
        out.add_order(Order(tid + refund_suffix(moment), moment, total, currency, "refund", customer,
                            tuple(items), row.where))


def _add_refund_line(refunds: dict | None, moment: tuple[str, str, str], origin, item: OrderItem,
                     amount: int) -> dict:
    """Adds a refunded line to the refund of its moment (a refund is one order per date, time and zone, whose
    first line `origin` dates it); returns the refunds, made on the first one (most orders have none)."""
    if refunds is None:
        refunds = {}
    entry = refunds.get(moment)
    if entry is None:
        entry = refunds[moment] = [origin, [], 0]
    entry[1].append(item)
    entry[2] += amount
    return refunds

# what the Item Sales block mapper reads, in this order (the reader picks them out of each row)
ITEM_SALES_PICK = ("Transaction ID", "Item", "Price Point Name", "Qty", "Net Sales", "SKU", "Tax", "Event Type",
                   "Date", "Time", "Time Zone", "Customer ID", "Customer Name")


def item_sales_rows(rows: RecordRows, picked: list, groups: list[list[int]], ctx: MappingContext,
                    out: MappingResult, slow: Callable[[list[int]], None]) -> None:
    """The block mapper of Item Sales (see preset.RowsMapper): the same result as `map_item_sales`, group by
    group, in order; a group goes to `slow` (the record path) whenever that path would do more than read caches
    (a menu line not seen yet, no store currency) or when anything is raised (a bad amount or date): nothing
    of it was added."""
    i_tid, i_item, i_point, i_qty, i_net, i_sku, i_tax, i_ev, i_date, i_time, i_zone, i_cid, i_cname = range(13)
    item_key = itemgetter(i_item, i_point, i_qty, i_net, i_sku)
    moment_key = itemgetter(i_date, i_time, i_zone)
    currency = ctx.currency
    if not currency:
        for group in groups:
            slow(group)
        return
    values = picked
    where = rows.where
    money = ctx.money(currency)
    items = ctx.memo("square-items")
    # row[i_item:i_ev + 1] (item, price point, qty, net, SKU, tax, event type) → (item, net + tax, is a refund):
    # one lookup per row once a line is known
    lines = ctx.memo("square-item-lines")
    customers = ctx.memo("square-customers")
    utc_parts = ctx.dates.utc_parts
    add_order = out.add_order

    def line_of(row) -> tuple[OrderItem, int, bool] | None:
        """A line not seen yet, from its menu line (None when the record path must make that first)."""
        cached = items.get(item_key(row))
        if cached is None:
            return None
        item, net = cached
        tax_text = row[i_tax]
        ev = row[i_ev]
        line = lines[row[i_item:i_ev + 1]] = (item, net + (money(tax_text) if tax_text else 0),
                                              bool(ev) and ev != "Payment" and ev.strip().lower() == "refund")
        return line

    for group in groups:
        try:
            sale: list[OrderItem] = []
            sale_total = 0
            sale_at = -1
            refunds: dict[tuple[str, str, str], list] | None = None
            for i in group:
                row = values[i]
                line = lines.get(row[i_item:i_ev + 1]) or line_of(row)
                if line is None:
                    break
                item, total, refund = line
                if refund:
                    refunds = _add_refund_line(refunds, moment_key(row), i, item, total)
                else:
                    if sale_at < 0:
                        sale_at = i
                    sale.append(item)
                    sale_total += total
            else:
                first = values[group[0]]
                cid, name = first[i_cid], first[i_cname]
                if not cid and not name:
                    customer = None
                else:
                    known = customers.get((cid, name))
                    if known is None:
                        known = customers[(cid, name)] = (
                            _customer({"Customer ID": cid, "Customer Name": name}) or False)
                    customer = known or None
                tid = clean_id(first[i_tid])
                if sale_at >= 0:
                    row = values[sale_at]
                    order = Order(tid, utc_parts(row[i_date], row[i_time], row[i_zone]), sale_total,
                                  currency, "sale", customer, tuple(sale), where(sale_at))
                    if refunds is None:
                        add_order(order)
                        continue
                    orders = [order]
                elif refunds is None:
                    continue
                else:
                    orders = []
                for at, refund_items, total in refunds.values():
                    row = values[at]
                    moment = utc_parts(row[i_date], row[i_time], row[i_zone])
                    orders.append(Order(tid + refund_suffix(moment), moment, -abs(total), currency, "refund",
                                        customer, tuple(OrderItem(i.name, i.quantity.lstrip("-"),
                                                                  -abs(i.price), i.sku)
                                                        for i in refund_items), where(at)))
                for order in orders:
                    add_order(order)
                continue
        except Exception:          # noqa: BLE001 - declined: the record path decides (and words it)
            pass
        slow(group)


def map_transaction(rows: list[RawRecord], ctx: MappingContext, out: MappingResult) -> None:
    """One payment or refund row → one order (failed/cancelled transactions are skipped)."""
    row = rows[0]
    f = row.fields
    tid = clean_id(f["Transaction ID"])
    if not tid:
        raise RowProblem("the Transaction ID is empty, so the sale cannot be identified", row.where)
    if is_skipped_state(f.get("Transaction Status", "")):
        out.skip()
        return
    currency = _currency(ctx, row)
    total = amount(ctx.money(currency), row, "Total Collected")
    moment = _moment(ctx, row)
    customer = _customer(f)
    if _is_refund(f):
        out.add_order(Order(tid + refund_suffix(moment), moment, -abs(total), currency, "refund", customer,
                            (), row.where))
    else:
        out.add_order(Order(tid, moment, total, currency, "sale", customer, (), row.where))


def map_customer(rows: list[RawRecord], ctx: MappingContext, out: MappingResult) -> None:
    row = rows[0]
    f = row.fields
    created = None
    visit = f.get("First Visit", "").strip()
    if visit:
        try:
            created = ctx.dates.utc(visit)
        except TimeError:
            created = None
    customer = Customer(customer_id=clean_id(f.get("Square Customer ID", "")) or clean_id(f.get("Reference ID", "")),
                        first_name=f.get("First Name", "").strip(), last_name=f.get("Last Name", "").strip(),
                        email=clean_email(f.get("Email Address", "")),
                        phone_number=phone_e164(f.get("Phone Number", ""), ctx.country), created_at=created)
    if not customer.key():
        out.skip()
        return
    out.add_customer(customer)


ITEM_SALES = Preset(
    key="square-item-sales", title="Square — Item Sales", grain="line item",
    required=("Date", "Time", "Item", "Qty", "Net Sales", "Transaction ID"),
    characteristic=("Time Zone", "Category", "Price Point Name", "Modifiers Applied", "Gross Sales", "Discounts",
                    "Tax", "Payment ID", "Event Type", "Itemization Type", "Customer ID", "Customer Name", "GTIN"),
    order_id="Transaction ID", date_columns=("Date",),
    notes="one row per line item, grouped by Transaction ID; total = Σ(Net Sales + Tax); Event Type Refund → "
          "refund order <id>-R<UTC time>; currency from [store]; the 33- and 35-column headers both work",
    map_group=map_item_sales, store_columns=(("storeName", "Location"),), map_rows=item_sales_rows,
    pick=ITEM_SALES_PICK)

TRANSACTIONS = Preset(
    key="square-transactions", title="Square — Transactions", grain="payment",
    required=("Date", "Time", "Transaction ID", "Total Collected"),
    characteristic=("Time Zone", "Gross Sales", "Net Sales", "Tip", "Partial Refunds", "Card Entry Methods",
                    "Cash", "Fees", "Net Total", "Payment ID", "Event Type", "Deposit ID", "Transaction Status"),
    order_id="Transaction ID", date_columns=("Date",),
    notes="one row per payment or refund; total = Total Collected (accounting formats read); Event Type Refund → "
          "refund order <id>-R<UTC time>; failed/cancelled skipped; a blank Transaction ID is quarantined",
    map_group=map_transaction, store_columns=(("storeName", "Location"),))

CUSTOMERS = Preset(
    key="square-customers", title="Square — Customers", grain="customer",
    required=("First Name", "Last Name", "Email Address", "Phone Number"),
    characteristic=("Square Customer ID", "Reference ID", "Nickname", "Company Name", "Memo", "First Visit",
                    "Last Visit", "Transaction Count", "Lifetime Spend"),
    order_id="Square Customer ID", date_columns=("First Visit",),
    notes="the customer list; phones → E.164 with the store's country; invalid phone/email fields dropped",
    map_group=map_customer)

PRESETS = (ITEM_SALES, TRANSACTIONS, CUSTOMERS)
