"""generic-csv's block mapper (`generic.csv_rows`, through `engine.map_rows`) gives exactly what the record
path (`map_records` → `map_csv_group`) gives, on generated exports: messy values, missing and extra columns,
refunds, line items, empty ids, bad amounts, dates and quantities, zones, skipped states, ragged and
unreadable rows, with and without a store currency, picked by the reader or by the engine. Equal means the
same orders (`to_api()`, its canonical JSON text, `where`), customers, quarantine entries and skip count."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from mapping_helpers import POS
from rulrr_desktop.core.mapping import engine
from rulrr_desktop.core.mapping.context import MappingContext
from rulrr_desktop.core.mapping.engine import map_records, map_rows
from rulrr_desktop.core.mapping.generic import CSV_PICK, GENERIC_CSV
from rulrr_desktop.core.mapping.times import resolve_zone
from rulrr_desktop.core.sources.csv_source import CsvSource

# per column: (ordinary values, odd ones); a value is drawn from the ordinary ones three times in four
VALUES = {
    "orderId": (["A1", "A2", "B7", "C-9"], [" A2", "'A3", "", "  "]),
    "orderDate": (["2026-05-01T08:00:00Z", "2026-05-01 08:00", "2026-11-01 01:30:00", "2026-05-01T08:00:00+02:00",
                   "2026-06-28 23:59:59.5"],
                  ["2026-03-08 02:30", "05/06/2026 10:00", "2026-05-01T08:00:00.999-05:00", "", " ", "bad",
                   "2026-02-30 10:00", "0999-01-01 00:00"]),
    "orderTotal": (["12.50", "", "0", "1,149.00"], [" 7 ", "-3.00", "$4", "abc", "12.299999999", "-0"]),
    "currency": (["", "usd", "JPY"], ["KWD", " eur ", "ZZZ", "usd "]),
    "type": (["", "sale", "refund"], ["Return", "credit note", " REFUNDED ", "other"]),
    "status": (["", "paid"], ["cancelled", " Open ", "void"]),
    "customerId": (["", "C1"], ["'C2", " C3 "]),
    "firstName": (["", "Ann"], [" Bo "]),
    "lastName": (["", "Okafor"], ["  "]),
    "email": (["", "ann@example.com"], ["ANN@Example.COM", "not-an-email", " <bo@example.org> "]),
    "phoneNumber": (["", "+1 212 555 0147"], ["555", "'2125550147", "12"]),
    "createdAt": (["", "2026-01-01"], ["garbage", "2026-01-01T10:00:00Z"]),
    "name": (["", "Latte", "Tea"], ["  ", " Croissant "]),
    "sku": (["", "S1"], ["'S2 "]),
    "quantity": (["", "1", "2.0"], ["x", "0.500", "1,000", "-1", "NaN"]),
    "price": (["", "4.50", "2"], ["-4.50", "bad", "0", " 1.5 "]),
}
COLUMNS = list(VALUES)


def _value(ordinary: list[str], odd: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(ordinary) | st.sampled_from(ordinary) | st.sampled_from(ordinary) | st.sampled_from(odd)


# the full header less a few columns (rarely the order id), maybe with a column of its own, in any order
headers = st.tuples(st.lists(st.sampled_from(COLUMNS[1:]), unique=True, max_size=6),
                    st.integers(0, 9), st.booleans()).flatmap(
    lambda t: st.permutations([c for c in COLUMNS if c not in t[0] and (c != "orderId" or t[1])]
                              + (["note"] if t[2] else [])))
rows = st.lists(st.fixed_dictionaries({c: _value(*v) for c, v in VALUES.items()} | {"note": st.just("x")}),
                min_size=1, max_size=25)
oddities = st.lists(st.sampled_from(["short", "long", "blank", "broken"]), max_size=3)


def _write(path: Path, header: list[str], data: list[dict], odd: list[str]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for n, row in enumerate(data):
            w.writerow([row[c] for c in header])
            if n < len(odd):
                kind = odd[n]
                if kind == "short":
                    w.writerow([row[c] for c in header][:1])
                elif kind == "long":
                    w.writerow([row[c] for c in header] + ["extra", "more"])
                elif kind == "blank":
                    f.write("\r\n")
                else:
                    f.write('"A1,"x"y\r\n')


def _context(currency: str) -> MappingContext:
    return MappingContext(currency=currency, country="US", zone=resolve_zone("America/New_York"))


def _compare(path: Path, currency: str, batch_size: int, pick: bool) -> int:
    """Maps `path` both ways, batch by batch; asserts they agree; returns the orders mapped."""
    fast_ctx, slow_ctx = _context(currency), _context(currency)
    extra = {"pick": CSV_PICK} if pick else {}
    mapped = 0
    for batch in CsvSource(path, settle_seconds=0).batches(None, batch_size=batch_size, group_by="orderId",
                                                           **extra):
        if batch.rows is None:                                 # the last cursor, with no records
            assert not batch.records
            continue
        fast = map_rows(batch.rows, GENERIC_CSV, fast_ctx)
        slow = map_records(batch.records, GENERIC_CSV, slow_ctx)
        assert [o.canonical_json() for o in fast.orders] == [o.canonical_json() for o in slow.orders]
        assert fast.orders == slow.orders                      # where, items and the times' zones too
        assert fast.customers == slow.customers
        assert fast.quarantined == slow.quarantined
        assert fast.skipped == slow.skipped
        mapped += len(fast.orders)
    return mapped


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=headers, data=rows, odd=oddities, currency=st.sampled_from(["USD", ""]),
       batch_size=st.sampled_from([1, 3, 5000]), pick=st.booleans())
def test_generated_exports_map_the_same_both_ways(header, data, odd, currency, batch_size, pick):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "orders.csv"
        _write(path, header, data, odd)
        _compare(path, currency, batch_size, pick)


@pytest.mark.parametrize("pick", [True, False], ids=["pick-asked", "no-pick"])
@pytest.mark.parametrize("batch_size", [1, 5000])
def test_the_generic_fixture_maps_the_same_both_ways(pick, batch_size):
    assert _compare(POS / "generic" / "orders.csv", "USD", batch_size, pick) > 0


def _plain_export(path: Path, header: list[str], n: int) -> None:
    """`n` orders of one or two rows each, nothing unusual in them."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for i in range(n):
            base = {"orderId": f"T{i}", "orderDate": f"2026-05-{1 + i % 28:02d} 10:{i % 60:02d}",
                    "orderTotal": "" if i % 3 else f"{i}.50", "currency": "", "type": "refund" if i == 4 else "",
                    "status": "", "customerId": f"C{i % 4}" if i % 2 else "", "firstName": "Ann",
                    "lastName": "", "email": "", "phoneNumber": "", "createdAt": "",
                    "name": "Latte", "sku": "L1", "quantity": "1", "price": "4.50"}
            w.writerow([base.get(c, "") for c in header])
            if i % 3:
                w.writerow([{**base, "orderDate": "", "name": "Tea", "price": "2.00"}.get(c, "") for c in header])


def test_plain_orders_take_the_block_path(tmp_path, monkeypatch):
    """The block mapper maps ordinary orders itself (one row or several, with or without the optional columns,
    picked by the reader or not): the record path sees none of them, and both give the same."""
    calls: list[int] = []
    real = engine._map_group
    monkeypatch.setattr(engine, "_map_group", lambda fn, group, *a: (calls.append(len(group)), real(fn, group, *a)))
    for header in (list(CSV_PICK), ["orderId", "orderDate", "orderTotal", "type", "customerId", "firstName", "name",
                                    "price", "quantity"]):
        path = tmp_path / "orders.csv"
        _plain_export(path, header, 30)
        for pick in (True, False):
            [batch] = CsvSource(path, settle_seconds=0).batches(None, group_by="orderId",
                                                                **({"pick": CSV_PICK} if pick else {}))
            assert (batch.rows.picked is not None) == (pick and len(header) == len(CSV_PICK))
            result = map_rows(batch.rows, GENERIC_CSV, _context("USD"))
            assert calls == [] and len(result.orders) == 30 and not result.quarantined
            assert sum(o.type == "refund" for o in result.orders) == 1
            assert {len(o.items) for o in result.orders} == {1, 2}
            assert _compare(path, "USD", 5000, pick) == 30
            assert len(calls) == 30                 # the record path of the comparison maps each order
            calls.clear()


def test_a_file_without_the_order_id_column_quarantines_each_row_as_before(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("orderDate,orderTotal\r\n2026-05-01,1.00\r\n", encoding="utf-8")
    [batch] = CsvSource(path, settle_seconds=0).batches(None, group_by="orderId")
    result = map_rows(batch.rows, GENERIC_CSV, _context("USD"))
    assert [(q.where, q.reason) for q in result.quarantined] == [
        ("orders.csv:2", "the column 'orderId' is missing in this file")]
