"""Clover's orders export (one row per order). Dates look like `16-Dec-2023 02:44 AM EST` (the abbreviation is
a fixed offset). Refunds are amounts on the original order (`Refunds Total`, `Manual Refunds Total`): they become
a refund order `<Order ID>-R`. Open and failed orders are skipped until they are paid."""

from __future__ import annotations

from rulrr_desktop.core.mapping.context import MappingContext
from rulrr_desktop.core.mapping.errors import RowProblem
from rulrr_desktop.core.mapping.preset import Preset, amount, clean_id, is_skipped_state, when
from rulrr_desktop.core.mapping.result import MappingResult
from rulrr_desktop.core.model import Order
from rulrr_desktop.core.sources.base import RawRecord


def map_order(rows: list[RawRecord], ctx: MappingContext, out: MappingResult) -> None:
    row = rows[0]
    f = row.fields
    order_id = clean_id(f["Order ID"])
    if not order_id:
        raise RowProblem("the Order ID is empty", row.where)
    state = f.get("Order Payment State", "").strip()
    if is_skipped_state(state) or state.lower().startswith("fail"):
        out.skip()
        return
    currency = ctx.currency_for(f.get("Currency", ""), row.where)
    money = ctx.money(currency)
    total = amount(money, row, "Order Total")
    moment = when(ctx, row, "Order Date")
    out.add_order(Order(order_id, moment, total, currency, "sale", None, (), row.where))
    refunds = abs(amount(money, row, "Refunds Total", optional=True)) + \
        abs(amount(money, row, "Manual Refunds Total", optional=True))
    if refunds == 0 and state.lower() == "refunded":
        refunds = abs(total)
    if refunds:
        out.add_order(Order(order_id + "-R", moment, -refunds, currency, "refund", None, (), row.where))


ORDERS = Preset(
    key="clover-orders", title="Clover — Orders", grain="order",
    required=("Order Date", "Order ID", "Order Total"),
    characteristic=("Invoice Number", "Order Number", "Order Type", "Order Employee Name", "Currency",
                    "Tax Amount", "Tip", "Service Charge", "Payments Total", "Refunds Total",
                    "Manual Refunds Total", "Tender", "Order Payment State"),
    order_id="Order ID", date_columns=("Order Date",),
    notes="one row per order; `16-Dec-2023 02:44 AM EST` dates; Refunds Total → refund order <id>-R; "
          "Open and failed orders skipped",
    map_group=map_order)

PRESETS = (ORDERS,)
