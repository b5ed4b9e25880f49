"""`rulrr-desktop preview`: show what would be sent, without sending anything or touching the sync state.

It reads the whole configured source through the same Pipeline the sync engine uses. Exit 0; 5 when rows were
quarantined; 2 when the source cannot be read (or does not fit its preset).
"""

from __future__ import annotations

import json
import sys

from rulrr_desktop.core.errors import AppError

HELP = "show what would be sent, without sending or changing anything"
EXIT_QUARANTINED = 5
EXIT_UNREADABLE = 2


def add_arguments(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON (the order bodies as POSTed)")
    parser.add_argument("--limit", type=int, default=None, metavar="N",
                        help="show at most N orders and N customers (the counts still cover everything)")


def _customer_json(customer) -> dict:
    from rulrr_desktop.core.model import iso_utc
    body = customer.to_api()
    if customer.created_at is not None:
        body["createdAt"] = iso_utc(customer.created_at)
    return body


def run(args) -> int:
    from rulrr_desktop.core.config import load_settings
    from rulrr_desktop.core.pipeline import Pipeline

    settings = load_settings(args.paths)
    try:
        pipeline = Pipeline(settings)
        info = pipeline.info()
        result = pipeline.read_all()
    except AppError as exc:
        print(f"rulrr-desktop: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    store = pipeline.store_profile()
    limit = args.limit if args.limit is not None and args.limit >= 0 else None
    orders = result.orders[:limit] if limit is not None else result.orders
    customers = result.customers[:limit] if limit is not None else result.customers
    if args.json:
        print(json.dumps({"store": store.to_api(), "orders": [o.to_api() for o in orders],
                          "customers": [_customer_json(c) for c in customers], "skipped": result.skipped,
                          "quarantined": [q.to_json() for q in result.quarantined]}, ensure_ascii=False, indent=1))
    else:
        _print_table(info, store, result, orders, customers)
    return EXIT_QUARANTINED if result.quarantined else 0


def _print_table(info, store, result, orders, customers) -> None:
    from rulrr_desktop.core.mapping.money import format_minor
    from rulrr_desktop.core.model import iso_utc
    guessed = f" (recognised, {info.confidence:.0%} sure)" if info.confidence is not None else ""
    print(f"Source:  {info.source.path} ({len(info.source.files) or 1} file(s))")
    print(f"Preset:  {info.preset} — {info.preset_title}{guessed}")
    print(f"Dates:   {info.date_format or info.date_order}; zone {info.timezone or 'UTC (not set)'}")
    fields = store.to_api()
    print("Store:   " + (", ".join(f"{k}={v}" for k, v in fields.items()) or "(nothing configured)"))
    for warning in info.warnings:
        print(f"Note:    {warning}")
    print()
    rows = [("Order", "Date (UTC)", "Type", "Total", "Items", "Customer")]
    for o in orders:
        c = o.customer
        who = (c.email or c.phone_number or " ".join(x for x in (c.first_name, c.last_name) if x) or c.customer_id) \
            if c else ""
        rows.append((o.order_id, iso_utc(o.order_date)[:19].replace("T", " "), o.type,
                     f"{format_minor(o.total, o.currency)} {o.currency}", str(len(o.items)), who))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, r in enumerate(rows):
        print("  ".join(cell.ljust(w) if j != 3 else cell.rjust(w) for j, (cell, w) in enumerate(zip(r, widths))))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    if len(orders) < len(result.orders):
        print(f"… and {len(result.orders) - len(orders)} more orders")
    print()
    print(f"{len(result.orders)} orders, {len(result.customers)} customers, {result.skipped} skipped "
          f"(cancelled/open/voided), {len(result.quarantined)} quarantined")
    for q in result.quarantined:
        print(f"  quarantined {q.where}: {q.reason}")
    del customers
