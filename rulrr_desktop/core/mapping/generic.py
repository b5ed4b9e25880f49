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

from typing import Callable

from rulrr_desktop.core.mapping.contacts import clean_email, phone_e164
from rulrr_desktop.core.mapping.context import MappingContext
from rulrr_desktop.core.mapping.errors import RowProblem
from rulrr_desktop.core.mapping.preset import Preset, amount, clean_id, is_skipped_state, quantity, when
from rulrr_desktop.core.mapping.result import MappingResult
from rulrr_desktop.core.mapping.times import TimeError
from rulrr_desktop.core.model import Customer, Order, OrderItem
from rulrr_desktop.core.sources.base import RawRecord, RecordRows

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


# what the generic-csv block mapper reads, in this order (any but orderId may be missing: it reads as "")
CSV_PICK = ("orderId", "orderDate", "orderTotal", "currency", "type", "status", "customerId", "firstName",
            "lastName", "email", "phoneNumber", "createdAt", "name", "sku", "quantity", "price")
_CUSTOMER_COLUMNS = CSV_PICK[6:12]


class _Declined(Exception):
    """The block mapper leaves this group to the record path (which words the quarantine, if any)."""


def csv_rows(rows: RecordRows, picked: list, groups: list[list[int]], ctx: MappingContext, out: MappingResult,
             slow: Callable[[list[int]], None]) -> None:
    """The block mapper of generic-csv (see preset.RowsMapper): the same result as `map_csv_group`, group by
    group, in order, from the picked values (no RawRecord or dict per row: most of the cost of a one-row-per-
    order export). Anything that would be a problem (no order id, date, currency or total; a bad amount, date
    or quantity; a line without a price) or any exception sends the group to `slow` before anything of it was
    added; the record path then quarantines it in its own words."""
    (i_id, i_date, i_total, i_cur, i_type, i_status, i_cid, _, _, _, _, i_created,
     i_name, i_sku, i_qty, i_price) = range(len(CSV_PICK))
    where = rows.where
    add_order = out.add_order
    utc = ctx.dates.utc
    store_currency = ctx.currency
    customers = ctx.memo("generic-customers")    # the head's customer columns → Customer or False (none)
    items = ctx.memo("generic-items")            # (name, sku, quantity, price, currency) texts → OrderItem
    for group in groups:
        try:
            if len(group) == 1:
                head_at = group[0]
                head = picked[head_at]
                line_rows = (head,) if head[i_name].strip() or head[i_price].strip() else ()
            else:
                head_at = next((i for i in group if picked[i][i_date].strip()), group[0])
                head = picked[head_at]
                line_rows = tuple(r for r in map(picked.__getitem__, group)
                                  if r[i_name].strip() or r[i_price].strip())
            order_id = clean_id(head[i_id])
            if not order_id:
                raise _Declined
            if is_skipped_state(head[i_status]):
                out.skip()
                continue
            currency = (head[i_cur].strip() or store_currency).upper()
            if not currency:
                raise _Declined
            money = ctx.money(currency)
            lines: tuple[OrderItem, ...] = ()
            if line_rows:
                made = []
                for r in line_rows:
                    key = (r[i_name], r[i_sku], r[i_qty], r[i_price], currency)
                    item = items.get(key)
                    if item is None:
                        if not r[i_price].strip():
                            raise _Declined
                        item = items[key] = OrderItem(r[i_name].strip() or "Item", quantity(r[i_qty]),
                                                      money(r[i_price]), clean_id(r[i_sku]))
                    made.append(item)
                lines = tuple(made)
            total_text = head[i_total]
            if total_text.strip():
                total = money(total_text)
            elif lines:
                total = sum(i.price for i in lines)
            else:
                raise _Declined
            kind = head[i_type].strip()
            refund = kind.lower() in _REFUND_TYPES or total < 0 and not kind
            if refund:
                total = -abs(total)
            date_text = head[i_date]
            if not date_text.strip():
                raise _Declined
            moment = utc(date_text)
            who = head[i_cid:i_created + 1]
            customer = customers.get(who)
            if customer is None:
                customer = customers[who] = _customer(dict(zip(_CUSTOMER_COLUMNS, who)), ctx) or False
            add_order(Order(order_id, moment, total, currency, "refund" if refund else "sale", customer or None,
                            lines, where(head_at)))
            continue
        except Exception:          # noqa: BLE001 - declined: the record path decides (and words it)
            pass
        slow(group)


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
    map_group=map_csv_group, map_rows=csv_rows, pick=CSV_PICK, pick_optional=True)

GENERIC_SQL = Preset(
    key="generic-sql", title="Generic SQL (one SELECT per entity)", grain="entity",
    required=("orderId", "orderDate"),
    characteristic=GENERIC_CSV.characteristic,
    order_id="orderId", date_columns=("orderDate",),
    notes="[source.sql] orders/lines/customers SELECTs whose columns are Rulrr's field names (as generic-csv) "
          "and a cursor column; type 'refund' tickets become refund orders",
    map_group=map_sql_batch)

PRESETS = (GENERIC_CSV, GENERIC_SQL)
