"""The block path (`map_rows` over a CSV batch's value lists) gives exactly what the record path
(`map_records` over RawRecords) gives, quirks included: refunds, repeated lines, a bad amount, a bad date, an
empty order id, a ragged and an unparseable row, a missing store currency, a header without optional columns."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from mapping_helpers import POS
from rulrr_desktop.core.mapping.context import MappingContext
from rulrr_desktop.core.mapping.engine import map_records, map_rows
from rulrr_desktop.core.mapping.square import ITEM_SALES
from rulrr_desktop.core.mapping.times import resolve_zone
from rulrr_desktop.core.sources.base import RawRecord, RecordRows
from rulrr_desktop.core.sources.csv_source import CsvSource


def _both(path: Path, currency: str = "USD", batch_size: int = 5000, pick: bool = True):
    """(block result, record result) per batch of `path`, each path with its own fresh context."""
    fast_ctx = MappingContext(currency=currency, country="US", zone=resolve_zone("America/New_York"))
    slow_ctx = MappingContext(currency=currency, country="US", zone=resolve_zone("America/New_York"))
    out = []
    source = CsvSource(path, settle_seconds=0)
    extra = {"pick": ITEM_SALES.pick} if pick else {}
    for batch in source.batches(None, batch_size=batch_size, group_by="Transaction ID", **extra):
        assert batch.rows is not None and (batch.rows.picked is not None) == (pick and len(batch.rows.header) > 13)
        fast = map_rows(batch.rows, ITEM_SALES, fast_ctx)
        slow = map_records(batch.records, ITEM_SALES, slow_ctx)
        out.append((fast, slow))
    return out


def _same(fast, slow) -> None:
    assert [o.to_api() for o in fast.orders] == [o.to_api() for o in slow.orders]
    assert [o.where for o in fast.orders] == [o.where for o in slow.orders]
    assert fast.customers == slow.customers
    assert fast.quarantined == slow.quarantined
    assert fast.skipped == slow.skipped


@pytest.mark.parametrize("name", ["items-2026-06-12-2026-06-17.csv", "items-2026-06-17-2026-06-21.csv"])
@pytest.mark.parametrize("batch_size", [1, 5000])
@pytest.mark.parametrize("pick", [True, False], ids=["picked-by-the-reader", "picked-by-the-engine"])
def test_fixture_exports_map_the_same_both_ways(name, batch_size, pick):
    pairs = _both(POS / "square-item-sales" / name, batch_size=batch_size, pick=pick)
    assert sum(len(f.orders) for f, _ in pairs) > 0
    for fast, slow in pairs:
        _same(fast, slow)


def _quirky(path: Path, header: list[str]) -> None:
    base = dict.fromkeys(header, "")
    rows = []
    def row(**kw):
        r = dict(base, Date="2026-03-08", Time="01:30:00", **{"Time Zone": "Eastern Time (US & Canada)"})
        r.update({k.replace("_", " "): v for k, v in kw.items()})
        rows.append([r[h] for h in header])
    for n in range(3):                        # the same lines again and again (the item cache's hits)
        row(Item="Latte", Qty="1.0", Net_Sales="$4.50", Tax="$0.40", Transaction_ID=f"T{n}", Event_Type="Payment",
            Customer_ID="C1", Customer_Name="Ann Okafor")
        row(Item="Latte", Qty="1.0", Net_Sales="$4.50", Tax="$0.40", Transaction_ID=f"T{n}", Event_Type="Payment")
    row(Item="Latte", Qty="1.0", Net_Sales="-$4.50", Tax="-$0.40", Transaction_ID="T1", Event_Type="Refund",
        Time="03:30:00")                      # a refund under an earlier sale's id, on a DST night
    row(Item="Tea", Qty="2.0", Net_Sales="$5.00", Tax="bad", Transaction_ID="T5")          # a bad tax
    row(Item="Tea", Qty="2.0", Net_Sales="$5.00", Tax="$0.10", Transaction_ID="T6", Date="2026-13-40")   # bad date
    row(Item="Tea", Qty="x", Net_Sales="$5.00", Transaction_ID="T7")                       # a bad quantity
    row(Item="Tea", Qty="1", Net_Sales="$2.50", Transaction_ID="")                         # no order
    row(Item="Tea", Qty="1", Net_Sales="$2.50", Transaction_ID="'T8 ")                     # apostrophe, space
    row(Item="Latte", Qty="1.0", Net_Sales="$4.50", Tax="$0.40", Transaction_ID="T0")      # T0 again, apart
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
        f.write("2026-03-09,10:00:00\n")       # a ragged row (its order id is empty)
        f.write('2026-03-09,10:00:00,"x"y,\n')  # a row the parser may refuse or read oddly


FULL = ["Date", "Time", "Time Zone", "Category", "Item", "Qty", "Price Point Name", "SKU", "Net Sales", "Tax",
        "Transaction ID", "Event Type", "Customer ID", "Customer Name", "Location"]


@pytest.mark.parametrize("header", [FULL, [h for h in FULL if h not in ("SKU", "Event Type", "Time Zone")]],
                         ids=["all-columns", "no-optional-columns"])
@pytest.mark.parametrize("currency", ["USD", ""])
def test_quirky_rows_map_the_same_both_ways(tmp_path, header, currency):
    path = tmp_path / "items.csv"
    _quirky(path, header)
    pairs = _both(path, currency=currency)
    assert pairs
    for fast, slow in pairs:
        _same(fast, slow)
    fast = pairs[0][0]
    assert fast.quarantined                    # the bad rows are there, and said where
    if currency:
        assert {"T0", "T1", "T2", "T8"} <= {o.order_id.split("-R")[0] for o in fast.orders}
        assert any(o.type == "refund" for o in fast.orders) == ("Event Type" in header)


def test_plain_rows_take_the_block_path_once_their_menu_lines_are_known(tmp_path, monkeypatch):
    from rulrr_desktop.core.mapping import engine
    path = tmp_path / "items.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(FULL)
        for n in range(60):
            w.writerow(["2026-03-09", f"10:{n % 60:02d}:00", "Eastern Time (US & Canada)", "Bakery",
                        ("Latte", "Tea")[n % 2], "1.0", "Regular", "", "$4.50", "$0.40", f"T{n // 2}",
                        "Refund" if n == 7 else "Payment", "C1" if n % 3 == 0 else "", "", "Bridge Street"])
    slow_groups: list[int] = []
    real = engine._map_group
    monkeypatch.setattr(engine, "_map_group", lambda fn, group, *a: (slow_groups.append(len(group)),
                                                                      real(fn, group, *a)))
    ctx = MappingContext(currency="USD", country="US", zone=resolve_zone("America/New_York"))
    [batch] = CsvSource(path, settle_seconds=0).batches(None, group_by="Transaction ID", pick=ITEM_SALES.pick)
    first = map_rows(batch.rows, ITEM_SALES, ctx)
    assert 0 < len(slow_groups) <= 3          # the orders with a menu line seen for the first time
    slow_groups.clear()
    [batch] = CsvSource(path, settle_seconds=0).batches(None, group_by="Transaction ID", pick=ITEM_SALES.pick)
    again = map_rows(batch.rows, ITEM_SALES, ctx)
    assert slow_groups == []                  # then every order is mapped from the picked values
    assert [o.to_api() for o in again.orders] == [o.to_api() for o in first.orders]
    assert len(first.orders) == 31 and sum(o.type == "refund" for o in first.orders) == 1


def _rows_with_unreadable_lines() -> RecordRows:
    """T1 (lines 2-3), then two lines the parser refused (4, 5), then T2 (line 6)."""
    def line(tid: str, time: str) -> list[str]:
        r = dict.fromkeys(FULL, "")
        r.update({"Date": "2026-03-09", "Time": time, "Time Zone": "Eastern Time (US & Canada)", "Item": "Latte",
                  "Qty": "1.0", "Net Sales": "$4.50", "Tax": "$0.40", "Transaction ID": tid,
                  "Event Type": "Payment"})
        return [r[h] for h in FULL]
    values = [line("T1", "10:00:00"), line("T1", "10:00:00"), [], [], line("T2", "11:00:00")]
    columns = {h: i for i, h in enumerate(FULL)}
    picked = [tuple(v[columns[c]] for c in ITEM_SALES.pick) if v else None for v in values]
    return RecordRows("items.csv", tuple(FULL), values, [2, 3, 4, 5, 6], pick=ITEM_SALES.pick, picked=picked)


def test_an_unreadable_line_after_a_quarantined_one_joins_no_earlier_order():
    """Two unreadable lines in a row: each is quarantined on its own, and the order before them keeps exactly
    its own two lines (the second unreadable line used to join it, on both paths)."""
    for mapped in (map_rows(_rows_with_unreadable_lines(), ITEM_SALES, MappingContext(currency="USD")),
                   map_records(_rows_with_unreadable_lines().records(), ITEM_SALES, MappingContext(currency="USD"))):
        orders = {o.order_id: o for o in mapped.orders}
        assert set(orders) == {"T1", "T2"}
        assert len(orders["T1"].items) == 2 and orders["T1"].total == 980
        assert [(q.where, q.reason) for q in mapped.quarantined] == [
            ("items.csv:4", "the line could not be read as CSV (a broken quote?), so it belongs to no order"),
            ("items.csv:5", "the line could not be read as CSV (a broken quote?), so it belongs to no order")]


def test_a_record_without_the_order_id_column_after_a_quarantined_one_joins_no_earlier_order():
    """Records as a dict source gives them (no `values`): after an empty record, one that lacks the order id
    column is quarantined with its own reason instead of joining T1."""
    rows = _rows_with_unreadable_lines()
    t1 = [RawRecord(r.where, dict(r.fields)) for r in rows.records()[:2]]
    stray = RawRecord("items.csv:5", {k: v for k, v in t1[0].fields.items() if k != "Transaction ID"})
    mapped = map_records([*t1, RawRecord("items.csv:4", {}), stray], ITEM_SALES, MappingContext(currency="USD"))
    assert [(o.order_id, len(o.items), o.total) for o in mapped.orders] == [("T1", 2, 980)]
    assert [(q.where, q.reason) for q in mapped.quarantined] == [
        ("items.csv:4", "the line could not be read as CSV (a broken quote?), so it belongs to no order"),
        ("items.csv:5", "the column 'Transaction ID' is missing in this file")]


def _order_around_an_unreadable_line() -> RecordRows:
    """T1 (line 2), a line the parser refused (3), T1 again (4), then T2 (line 5): line 3 may be one of T1's."""
    rows = _rows_with_unreadable_lines()
    values = [rows.value_list(0), [], rows.value_list(1), rows.value_list(4)]
    columns = {h: i for i, h in enumerate(FULL)}
    picked = [tuple(v[columns[c]] for c in ITEM_SALES.pick) if v else None for v in values]
    return RecordRows("items.csv", tuple(FULL), values, [2, 3, 4, 5], pick=ITEM_SALES.pick, picked=picked)


def test_an_order_with_an_unreadable_line_among_its_lines_is_quarantined_on_both_paths():
    """An order is sent once: T1 with line 3 unread between its lines would stay short of that line forever,
    so T1 is quarantined (line 3 too); T2 after it is mapped."""
    for mapped in (map_rows(_order_around_an_unreadable_line(), ITEM_SALES, MappingContext(currency="USD")),
                   map_records(_order_around_an_unreadable_line().records(), ITEM_SALES,
                               MappingContext(currency="USD"))):
        assert [o.order_id for o in mapped.orders] == ["T2"]
        assert [(q.where, q.reason, q.order_id) for q in mapped.quarantined] == [
            ("items.csv:3", "the line could not be read as CSV (a broken quote?), so it belongs to no order", ""),
            ("items.csv:2", "line 3 could not be read, and it sits between this order's lines, so the order's "
                            "total would be wrong", "T1")]
