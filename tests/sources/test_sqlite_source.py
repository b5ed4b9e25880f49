"""The SQLite source: read-only, by a (cursor, id) position with lines and customers, while another process
commits sales in WAL and in rollback-journal mode; a late sale with an old date is read; errors are plain."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path

import pytest

from rulrr_desktop.core.config import SourceSettings
from rulrr_desktop.core.sources import (SourceBusy, SourceDatabaseError, SourceQueryError, SqliteSource,
                                        open_source)
from rulrr_desktop.core.sources.sqlite_source import _shift_back

from sources_helpers import read_pass

ORDERS = "SELECT id AS orderId, sale_time AS orderDate, total AS orderTotal, status, updated_at FROM sales"
LINES = "SELECT sale_id AS orderId, name, qty AS quantity, price FROM sale_items"


def sales_source(db: Path, **kw) -> SqliteSource:
    kw.setdefault("lines_sql", LINES)
    return SqliteSource(db, orders_sql=ORDERS, cursor_column="updated_at", **kw)


def make_db(db: Path, mode: str, writers, count: int = 0) -> None:
    writer = writers("sqlite_writer.py", db, mode, count)
    writer.wait_for("DONE")
    writer.finish()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def db_state(db: Path) -> dict[int, tuple]:
    con = sqlite3.connect(db)
    try:
        return {r[0]: r[1:] for r in con.execute("SELECT id, status, updated_at FROM sales")}
    finally:
        con.close()


@pytest.mark.parametrize("mode", ["wal", "delete"])
def test_every_committed_sale_is_read_once_while_the_pos_writes(tmp_path, writers, mode):
    db = tmp_path / "pos.db"
    make_db(db, mode, writers)                       # the schema exists before the reader starts
    writer = writers("sqlite_writer.py", db, mode, 300)
    source = sales_source(db)
    seen: list[tuple] = []
    lines: dict[str, list[str]] = {}

    def take(records) -> None:
        for r in records:
            if r.entity == "order":
                seen.append((int(r.fields["orderId"]), r.fields["status"], r.fields["updated_at"]))
                lines[r.fields["orderId"]] = []          # a re-read order comes with all its lines again
            else:
                assert r.entity == "line" and r.where == f"sale_items:{r.fields['orderId']}"
                lines[r.fields["orderId"]].append(r.fields["name"])
    cursor, passes = None, 0
    deadline = time.monotonic() + 60
    while not writer.done:
        assert time.monotonic() < deadline
        for batch in source.batches(cursor, batch_size=16):
            take(batch.records)
            cursor = batch.cursor
        passes += 1
        while writer.poll_line():
            pass
    writer.finish()
    records, cursor, _ = read_pass(source, cursor)
    take(records)
    final = db_state(db)
    # each committed version of each sale read exactly once (a void is a new version), the last one matches
    assert len(seen) == len(set(seen))
    assert {s[0] for s in seen} == set(final) == set(range(1, 301))
    assert {sid: (st, up) for sid, st, up in seen} == final
    assert all(lines[str(i)] == [f"item {i}.{k}" for k in range(1, 2 + i % 3)] for i in final)
    # the late sales (old sale_time, new updated_at) were read although their date is before the cursor's
    late = [i for i in final if i % 7 == 0]
    assert late and all(any(s[0] == i for s in seen) for i in late)
    assert passes > 1
    assert read_pass(source, cursor)[0] == []


def test_a_late_sale_with_an_old_date_after_the_cursor(tmp_path, writers):
    db = tmp_path / "pos.db"
    make_db(db, "wal", writers, 6)
    source = sales_source(db)
    records, cursor, _ = read_pass(source, None)
    assert [r.fields["orderId"] for r in records if r.entity == "order"] == ["1", "2", "3", "4", "5", "6"]
    make_db(db, "wal", writers, 1)                   # sale 7: rung up long ago, synced now
    records, cursor, _ = read_pass(source, cursor)
    orders = [r for r in records if r.entity == "order"]
    assert [(o.where, o.fields["orderDate"]) for o in orders] == [("sales:7", "2026-07-01 00:01:00")]
    assert orders[0].fields["orderDate"] < cursor["orders"]["c"]


def test_reading_never_writes_and_never_leaves_files(tmp_path, writers):
    db = tmp_path / "pos.db"
    make_db(db, "delete", writers, 30)
    before = (digest(db), sorted(p.name for p in tmp_path.iterdir()), db.stat().st_mtime_ns)
    source = sales_source(db, customers_sql="SELECT id AS customerId, total FROM sales")
    records, _, _ = read_pass(source, None, batch_size=7)
    assert len([r for r in records if r.entity == "order"]) == 30
    assert source.info().headers == ("orderId", "orderDate", "orderTotal", "status", "updated_at")
    assert (digest(db), sorted(p.name for p in tmp_path.iterdir()), db.stat().st_mtime_ns) == before
    con = source.connect()
    try:
        with pytest.raises(sqlite3.OperationalError):
            con.execute("DELETE FROM sales")
    finally:
        con.close()
    assert digest(db) == before[0]


def test_a_wal_database_is_not_written_either(tmp_path, writers):
    db = tmp_path / "pos.db"
    make_db(db, "wal", writers, 12)                  # the POS closed cleanly: no -wal/-shm left
    before = digest(db)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pos.db"]
    records, _, _ = read_pass(sales_source(db), None)
    assert len([r for r in records if r.entity == "order"]) == 12
    # a WAL reader needs the WAL index: SQLite may create the (empty) -wal/-shm pair, never write the data
    assert digest(db) == before
    wal = tmp_path / "pos.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0


def test_wal_database_read_while_the_pos_holds_a_write_transaction(tmp_path, writers):
    db = tmp_path / "pos.db"
    writer = writers("sqlite_writer.py", db, "wal", 5, "--hold", stdin=True)
    writer.wait_for("HOLDING")                        # the POS is in the middle of a write
    records, _, _ = read_pass(sales_source(db, busy_timeout=1), None)
    assert len([r for r in records if r.entity == "order"]) == 5
    writer.send()
    writer.wait_for("DONE")


def test_a_lock_held_past_the_busy_timeout_is_a_plain_error_and_the_next_pass_reads(tmp_path, writers):
    db = tmp_path / "pos.db"
    writer = writers("sqlite_writer.py", db, "delete", 3, "--hold-exclusive", stdin=True)
    writer.wait_for("HOLDING")
    source = sales_source(db, busy_timeout=0.3)
    started = time.monotonic()
    with pytest.raises(SourceBusy) as err:
        list(source.batches(None))
    assert time.monotonic() - started >= 0.3
    assert err.value.title == "The POS database is busy" and "next sync tries again" in err.value.action
    writer.send()
    writer.wait_for("DONE")
    assert len([r for r in read_pass(source, None)[0] if r.entity == "order"]) == 3


def test_no_read_transaction_is_held_between_batches(tmp_path, writers):
    db = tmp_path / "pos.db"
    make_db(db, "delete", writers, 20)
    batches = sales_source(db).batches(None, batch_size=5)
    first = next(batches)                             # the pass is suspended here, between two batches
    assert len([r for r in first.records if r.entity == "order"]) == 5
    pos = sqlite3.connect(db, timeout=0)             # a POS that would fail at once on a held SHARED lock
    try:
        pos.execute("UPDATE sales SET status = 'refunded' WHERE id = 1")
        pos.commit()
    finally:
        pos.close()
    rest = [r for b in batches for r in b.records if r.entity == "order"]
    assert len(rest) == 15


def test_lookback_rereads_recent_rows_for_an_insert_order_cursor(tmp_path, writers):
    db = tmp_path / "pos.db"
    make_db(db, "wal", writers, 10)
    by_id = SqliteSource(db, orders_sql=ORDERS, cursor_column="orderId", lookback_rows=3)
    records, cursor, _ = read_pass(by_id, None)
    assert len(records) == 10 and cursor["orders"] == {"c": 10, "id": 10}
    again, cursor2, _ = read_pass(by_id, cursor)
    assert [r.fields["orderId"] for r in again] == ["8", "9", "10"] and cursor2["orders"] == cursor["orders"]
    by_time = SqliteSource(db, orders_sql=ORDERS, cursor_column="orderDate", lookback_seconds=120)
    records, cursor, _ = read_pass(by_time, None)
    last = cursor["orders"]["c"]
    again, _, _ = read_pass(by_time, cursor)
    assert again and all(r.fields["orderDate"] >= _shift_back(last, 120) for r in again)
    assert {r.fields["orderDate"] for r in again} == {r.fields["orderDate"] for r in records
                                                      if r.fields["orderDate"] >= _shift_back(last, 120)}


def test_shift_back_keeps_the_form_of_the_time():
    assert _shift_back("2026-07-01 10:00:00", 90) == "2026-07-01 09:58:30"
    assert _shift_back("2026-07-01T10:00:00.250Z", 1) == "2026-07-01T09:59:59.250Z"
    assert _shift_back("2026-07-01 10:00", 60) == "2026-07-01 09:59"
    assert _shift_back(1_780_000_000, 60) == 1_779_999_940
    assert _shift_back(1_780_000_000_000, 1) == 1_779_999_999_000
    assert _shift_back(42, 60) is None and _shift_back("A-17", 60) is None


def test_customers_with_and_without_a_cursor(tmp_path):
    db = tmp_path / "pos.db"
    con = sqlite3.connect(db)
    con.executescript("CREATE TABLE sales (id INTEGER PRIMARY KEY, updated_at TEXT);"
                      "CREATE TABLE Customer (Id INTEGER PRIMARY KEY, Name TEXT, Email TEXT, DateUpdated TEXT);"
                      "INSERT INTO Customer VALUES (1, 'Ann', 'ann@example.com', '2026-07-01'),"
                      "(2, 'Bo', NULL, '2026-07-02');")
    con.commit()
    orders = "SELECT id AS orderId, updated_at FROM sales"
    customers = "SELECT Id AS customerId, Name, Email, DateUpdated FROM Customer"
    full = SqliteSource(db, orders_sql=orders, cursor_column="updated_at", customers_sql=customers)
    records, cursor, _ = read_pass(full, None, batch_size=1)
    assert [(r.entity, r.where, r.fields) for r in records] == [
        ("customer", "Customer:1", {"customerId": "1", "Name": "Ann", "Email": "ann@example.com",
                                    "DateUpdated": "2026-07-01"}),
        ("customer", "Customer:2", {"customerId": "2", "Name": "Bo", "Email": "", "DateUpdated": "2026-07-02"})]
    assert read_pass(full, cursor)[0] == []           # unchanged: not read again
    con.execute("UPDATE Customer SET Email = 'bo@example.com', DateUpdated = '2026-07-03' WHERE Id = 2")
    con.commit()
    assert [r.fields["customerId"] for r in read_pass(full, cursor)[0]] == ["1", "2"]
    incremental = SqliteSource(db, orders_sql=orders, cursor_column="updated_at", customers_sql=customers,
                               customers_cursor="DateUpdated")
    records, cursor, _ = read_pass(incremental, None)
    assert [r.fields["customerId"] for r in records] == ["1", "2"]
    con.execute("INSERT INTO Customer VALUES (3, 'Cy', NULL, '2026-07-04')")
    con.commit()
    con.close()
    assert [r.fields["Name"] for r in read_pass(incremental, cursor)[0]] == ["Cy"]


def test_missing_file_and_not_a_database_are_plain_errors(tmp_path):
    with pytest.raises(SourceDatabaseError) as err:
        list(sales_source(tmp_path / "gone.db").batches(None))
    assert err.value.title == "The POS database cannot be opened"
    assert "gone.db" in err.value.detail and "Settings → Data source" in err.value.action
    junk = tmp_path / "export.db"
    junk.write_text("id,total\n1,2\n" * 200)
    with pytest.raises(SourceDatabaseError) as err:
        sales_source(junk).info()
    assert "not an SQLite database" in err.value.detail
    assert junk.read_text().startswith("id,total") and sorted(p.name for p in tmp_path.iterdir()) == ["export.db"]


def test_a_wrong_query_or_cursor_column_is_a_plain_error(tmp_path):
    db = tmp_path / "pos.db"
    sqlite3.connect(db).executescript("CREATE TABLE sales (id INTEGER, updated_at TEXT);")
    with pytest.raises(SourceQueryError) as err:
        list(SqliteSource(db, orders_sql="SELECT id AS orderId FROM sales", cursor_column="DateUpdated")
             .batches(None))
    assert "no column DateUpdated" in err.value.detail
    with pytest.raises(SourceQueryError) as err:
        list(SqliteSource(db, orders_sql="SELECT * FROM Document", cursor_column="DateUpdated").batches(None))
    assert "no such table: Document" in err.value.detail


def test_open_source_builds_each_kind(tmp_path):
    (tmp_path / "a.csv").write_text("id\n1\n")
    assert [r.fields for r in read_pass(open_source(SourceSettings(kind="csv", path=str(tmp_path))), None)[0]] \
        == [{"id": "1"}]
    db = tmp_path / "pos.db"
    sqlite3.connect(db).executescript("CREATE TABLE sales (id INTEGER, updated_at TEXT);"
                                      "INSERT INTO sales VALUES (1, '2026-07-01');")
    settings = SourceSettings(kind="sqlite", path=str(db), sql={
        "orders": "SELECT id AS orderId, updated_at FROM sales;", "cursor": "updated_at"})
    assert [r.where for r in read_pass(open_source(settings), None)[0]] == ["sales:1"]
    settings.kind = ""                                # not said: the file's first bytes tell
    assert isinstance(open_source(settings), SqliteSource)
    with pytest.raises(SourceQueryError):
        open_source(SourceSettings(kind="sqlite", path=str(db)))
    with pytest.raises(Exception) as err:
        open_source(SourceSettings(kind="ftp", path="x"))
    assert "Settings → Data source" in str(err.value)


def test_an_incremental_pass_costs_what_is_new_not_the_history(tmp_path, monkeypatch):
    """Counted in SQLite VM steps (deterministic, unlike time): 100 new sales after 200 or after 20,000."""
    steps = {"n": 0}
    real_connect = SqliteSource.connect

    def counting_connect(self):
        con = real_connect(self)
        con.set_progress_handler(lambda: steps.__setitem__("n", steps["n"] + 1) or 0, 100)
        return con
    monkeypatch.setattr(SqliteSource, "connect", counting_connect)

    def incremental_steps(history: int) -> int:
        db = tmp_path / f"pos-{history}.db"
        con = sqlite3.connect(db)
        con.executescript("CREATE TABLE sales (id INTEGER PRIMARY KEY, total REAL, updated_at TEXT);"
                          "CREATE INDEX sales_updated ON sales (updated_at, id);"
                          "CREATE TABLE sale_items (sale_id INTEGER, name TEXT);"
                          "CREATE INDEX sale_items_sale ON sale_items (sale_id);")
        rows = [(i, i * 1.5, f"2026-07-01 {i:08d}") for i in range(1, history + 1)]
        con.executemany("INSERT INTO sales VALUES (?, ?, ?)", rows)
        con.executemany("INSERT INTO sale_items VALUES (?, 'x')", [(i,) for i in range(1, history + 1)])
        con.commit()
        source = SqliteSource(db, orders_sql="SELECT id AS orderId, total, updated_at FROM sales",
                              lines_sql="SELECT sale_id AS orderId, name FROM sale_items", cursor_column="updated_at")
        _, cursor, _ = read_pass(source, None)
        con.executemany("INSERT INTO sales VALUES (?, ?, ?)",
                        [(i, 1.0, f"2026-07-01 {i:08d}") for i in range(history + 1, history + 101)])
        con.commit()
        con.close()
        steps["n"] = 0
        records, _, _ = read_pass(source, cursor)
        assert len(records) == 100
        return steps["n"]
    small, big = incremental_steps(200), incremental_steps(20_000)
    assert big <= small * 1.5, (small, big)
