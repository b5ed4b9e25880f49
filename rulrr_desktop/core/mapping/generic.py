"""The generic presets: columns named after Rulrr's own fields (CONTRACT.md), for POSes without a preset.

Order fields: orderId, orderDate (any sniffable format; a zone in the text wins, else the store's),
orderTotal (MAJOR units, e.g. `12.50`), currency, type (`sale`/`refund`), status (optional: cancelled/open/void
rows are skipped), customerId, firstName, lastName, email, phoneNumber. Line fields: orderId, name, sku,
quantity, price (the line's total in major units).

generic-csv: one row per order, or one row per line item with the order fields on at least one row of the
order (orderTotal may be left out: it is then the sum of the lines). generic-sql: the SQL source yields records
of entity "order", "line" and "customer" (one SELECT each); lines are attached to the orders of the same batch.
A refund ticket keeps its own orderId and becomes a refund order (negative total).
"""

from __future__ import annotations

from rulrr_desktop.core.mapping.contacts import clean_email, phone_e164
from rulrr_desktop.core.mapping.context import MappingContext
from rulrr_desktop.core.mapping.errors import RowProblem
from rulrr_desktop.core.mapping.preset import Preset, amount, clean_id, is_skipped_state, quantity, when
from rulrr_desktop.core.mapping.result import MappingResult
from rulrr_desktop.core.mapping.times import TimeError
from rulrr_desktop.core.model import Customer, Order, OrderItem
from rulrr_desktop.core.sources.base import RawRecord

_REFUND_TYPES = {"refund", "return", "credit", "credit note", "refunded"}


def _customer(f: dict[str, str], ctx: MappingContext) -> Customer | None:
    created = None
    if f.get("createdAt", "").strip():
        try:
            created = ctx.dates.utc(f["createdAt"])
        except TimeError:
            created = None
    c = Customer(customer_id=clean_id(f.get("customerId", "")), first_name=f.get("firstName", "").strip(),
                 last_name=f.get("lastName", "").strip(), email=clean_email(f.get("email", "")),
                 phone_number=phone_e164(f.get("phoneNumber", ""), ctx.country), created_at=created)
    return c if (c.key() or c.first_name or c.last_name) else None


def _line(row: RawRecord, ctx: MappingContext, currency: str) -> OrderItem:
    f = row.fields
    return OrderItem(f.get("name", "").strip() or "Item", quantity(f.get("quantity", ""), row.where),
                     amount(ctx.money(currency), row, "price"), clean_id(f.get("sku", "")))


def _order(head: RawRecord, lines: list[RawRecord], ctx: MappingContext, out: MappingResult) -> None:
    f = head.fields
    order_id = clean_id(f["orderId"])
    if not order_id:
        raise RowProblem("the orderId is empty", head.where)
    if is_skipped_state(f.get("status", "")):
        out.skip()
        return
    currency = ctx.currency_for(f.get("currency", ""), head.where)
    items = tuple(_line(r, ctx, currency) for r in lines)
    if f.get("orderTotal", "").strip():
        total = amount(ctx.money(currency), head, "orderTotal")
    elif items:
        total = sum(i.price for i in items)
    else:
        raise RowProblem("the orderTotal is empty and the order has no lines", head.where)
    refund = f.get("type", "").strip().lower() in _REFUND_TYPES or total < 0 and not f.get("type", "").strip()
    if refund:
        total = -abs(total)
    out.add_order(Order(order_id, when(ctx, head, "orderDate"), total, currency, "refund" if refund else "sale",
                        _customer(f, ctx), items, head.where))


def map_csv_group(rows: list[RawRecord], ctx: MappingContext, out: MappingResult) -> None:
    head = next((r for r in rows if r.fields.get("orderDate", "").strip()), rows[0])
    lines = [r for r in rows if r.fields.get("name", "").strip() or r.fields.get("price", "").strip()]
    _order(head, lines, ctx, out)


def map_sql_batch(records: list[RawRecord], ctx: MappingContext, out: MappingResult) -> None:
    """A batch of order, line and customer records → orders with their lines, and customers. Problems are
    quarantined per order here (this preset maps a whole batch, not a group)."""
    lines: dict[str, list[RawRecord]] = {}
    orders: list[RawRecord] = []
    for r in records:
        if r.entity == "line":
            lines.setdefault(clean_id(r.fields.get("orderId", "")), []).append(r)
        elif r.entity == "customer":
            c = _customer(r.fields, ctx)
            if c is not None and c.key():
                out.add_customer(c)
            else:
                out.skip()
        else:
            orders.append(r)
    for r in orders:
        order_id = clean_id(r.fields.get("orderId", ""))
        try:
            _order(r, lines.get(order_id, []), ctx, out)
        except RowProblem as p:
            out.quarantine(p.where or r.where, p.reason, order_id)
        except KeyError as exc:
            out.quarantine(r.where, f"the query returns no column {exc.args[0]!r}", order_id)


GENERIC_CSV = Preset(
    key="generic-csv", title="Generic CSV (Rulrr's field names)", grain="line item",
    required=("orderId", "orderDate"),
    characteristic=("orderTotal", "currency", "type", "customerId", "firstName", "lastName", "email",
                    "phoneNumber", "name", "sku", "quantity", "price"),
    order_id="orderId", date_columns=("orderDate",),
    notes="columns orderId, orderDate, orderTotal (major units), currency, type, status, customerId, firstName, "
          "lastName, email, phoneNumber; lines: name, sku, quantity, price (line total, major units); one row "
          "per order or per line",
    map_group=map_csv_group)

GENERIC_SQL = Preset(
    key="generic-sql", title="Generic SQL (one SELECT per entity)", grain="entity",
    required=("orderId", "orderDate"),
    characteristic=GENERIC_CSV.characteristic,
    order_id="orderId", date_columns=("orderDate",),
    notes="[source.sql] orders/lines/customers SELECTs whose columns are Rulrr's field names (as generic-csv) "
          "and a cursor column; type 'refund' tickets become refund orders",
    map_group=map_sql_batch)

PRESETS = (GENERIC_CSV, GENERIC_SQL)
