"""The ledger: schema migrations, one-transaction batches, the order state machine, counts and history."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timezone

import pytest

from rulrr_desktop.core import ledger as ledger_module
from rulrr_desktop.core.ledger import SCHEMA_VERSION, Ledger, LedgerError, Outcome
from rulrr_desktop.core.model import Customer, Order


def order(order_id: str, total: int = 1000, **kw) -> Order:
    return Order(order_id, datetime(2026, 6, 28, 14, 3, tzinfo=timezone.utc), total, "USD", **kw)


@dataclass
class Bad:
    where: str
    reason: str
    order_id: str = ""


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "ledger.sqlite3") as led:
        yield led


def test_a_new_ledger_has_the_latest_schema_in_wal_mode(tmp_path):
    path = tmp_path / "l.sqlite3"
    Ledger(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_version_1_ledger_is_migrated_with_its_data(tmp_path):
    path = tmp_path / "l.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(ledger_module.MIGRATIONS[0] + "PRAGMA user_version=1;")
    db.execute("INSERT INTO orders (order_id, hash, state, body, created_at, delivered_at) "
               "VALUES ('A1', 'h', 'delivered', '{}', 0, strftime('%s','now'))")
    db.execute("INSERT INTO orders (order_id, hash, state, body, created_at) VALUES ('A2', 'h', 'pending', '{}', 0)")
    db.execute("INSERT INTO cursors VALUES ('source', '{\"offset\": 42}', 'fp', 0)")
    db.commit()
    db.close()
    with Ledger(path) as led:
        assert led.schema_version() == 4
        assert led.counts().delivered == 1 and led.counts().pending == 1
        assert led.source_cursor() == ({"offset": 42}, "fp")
        assert led.delivered_on(date.today()) == 1          # the history was rebuilt from delivered_at
        assert led.order_state("A1")["changed_hash"] is None  # the new column exists
    plan = sqlite3.connect(path).execute("EXPLAIN QUERY PLAN SELECT count(*) FROM orders "
                                         "WHERE changed_hash IS NOT NULL").fetchall()
    assert "orders_changed" in str(plan)                       # and the index of migration 3


def _plans_of_queries(led: Ledger, calls) -> dict[str, str]:
    """The query plan of each SELECT on orders that `calls` makes, by SQL text."""
    seen: list[str] = []
    led._db.set_trace_callback(seen.append)
    try:
        calls()
    finally:
        led._db.set_trace_callback(None)
    return {sql: " | ".join(r[3] for r in led._db.execute("EXPLAIN QUERY PLAN " + sql))
            for sql in seen if sql.startswith("SELECT") and "FROM orders" in sql}


def test_a_version_3_ledger_keeps_every_order_and_its_place_in_version_4(tmp_path):
    path = tmp_path / "l.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(";".join(ledger_module.MIGRATIONS[:3]) + ";PRAGMA user_version=3;")
    rows = [  # rowid, order_id, state, attempts, next_attempt_at, delivered_at, changed_hash, last_error
        (3, "P-late", "pending", 1, 50.0, None, None, "HTTP 503"),
        (7, "P-b", "pending", 0, 0.0, None, None, None),
        (9, "F1", "in_flight", 2, 10.0, None, None, "no answer"),
        (12, "P-a", "pending", 0, 0.0, None, None, None),   # a later rowid than P-b: claimed after it
        (20, "D1", "delivered", 1, 0.0, 5.0, None, None),
        (21, "S1", "superseded", 1, 0.0, 6.0, "h2", None),
        (30, "Q1", "quarantined", 1, 0.0, None, None, "currency: unknown code"),
    ]
    db.executemany("INSERT INTO orders (rowid, order_id, hash, state, body, attempts, next_attempt_at, delivered_at, "
                   "changed_hash, last_error, source_where, created_at) VALUES (?, ?, 'h', ?, ?, ?, ?, ?, ?, ?, "
                   "'pos.csv:' || ?, 0)",
                   [(r[0], r[1], r[2], json.dumps({"orderId": r[1]}), *r[3:], r[0]) for r in rows])
    db.commit()
    before = {r[0]: r for r in db.execute("SELECT order_id, rowid, * FROM orders")}
    db.close()
    with Ledger(path) as led:
        assert led.schema_version() == 4
        after = {r[0]: r for r in led._db.execute("SELECT order_id, rowid, * FROM orders")}
        assert after == before                                   # every column and every rowid
        counts = led.counts()
        assert (counts.delivered, counts.pending, counts.in_flight, counts.rejected, counts.changed) == (2, 3, 1, 1, 1)
        assert [u[0] for u in led.unsettled()] == ["F1"]
        assert [(e.order_id, e.reason) for e in led.quarantine() if e.by_rulrr] == [("Q1", "currency: unknown code")]
        assert led.next_due() == 0.0
        assert [(c.order_id, c.attempts) for c in led.claim(10, now=100.0)] == [("P-b", 1), ("P-a", 1), ("P-late", 2)]
        led.record_batch([order("N1")], [], [], {})             # new rows come after the copied ones
        assert led.order_state("N1")["state"] == "pending" and led._db.execute(
            "SELECT rowid FROM orders WHERE order_id='N1'").fetchone()[0] == 31
        with pytest.raises(sqlite3.IntegrityError):              # the state is still checked
            led._db.execute("UPDATE orders SET state='sent' WHERE order_id='D1'")


def test_a_migration_another_connection_has_just_made_is_not_made_again(tmp_path, monkeypatch):
    path = tmp_path / "l.sqlite3"
    with Ledger(path) as led:
        led.record_batch([order("A1")], [], [], {})
    root = sqlite3.connect(path).execute("SELECT rootpage FROM sqlite_master WHERE name='orders'").fetchone()
    answers = iter([3])   # this connection looked before the other one migrated
    real = Ledger.schema_version
    monkeypatch.setattr(Ledger, "schema_version", lambda self: next(answers, None) or real(self))
    with Ledger(path) as led:
        assert led.schema_version() == 4 and led.counts().pending == 1
    assert sqlite3.connect(path).execute("SELECT rootpage FROM sqlite_master WHERE name='orders'").fetchone() == root


def test_queries_by_state_read_the_index_of_open_orders_never_the_whole_table(ledger):
    ledger.record_batch([order(f"A{i}") for i in range(4)], [], [], {})

    def calls():
        ledger.claim(2)
        ledger.record_outcomes([Outcome("A0", "delivered"), Outcome("A1", "quarantined", "refused")])
        ledger.next_due()
        ledger.unsettled()
        ledger.counts()
        ledger.quarantine()

    plans = _plans_of_queries(ledger, calls)
    assert len(plans) == 7
    for sql, plan in plans.items():
        assert "SCAN orders |" not in plan + " |", (sql, plan)     # no full table scan
        if "state=" in sql or "GROUP BY state" in sql:
            assert "INDEX orders_open" in plan, (sql, plan)
    # delivered orders are not in that index: the total comes from count(*) on the primary key
    assert ledger._db.execute("SELECT count(*) FROM orders INDEXED BY orders_open "
                              "WHERE state <> 'delivered' AND state <> 'superseded'").fetchone()[0] == 3


def test_a_ledger_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "l.sqlite3"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(LedgerError, match="newer version"):
        Ledger(path)


def test_recording_a_batch_and_its_cursor_is_one_transaction(ledger, monkeypatch):
    ledger.record_batch([order("A1")], [], [], {"offset": 10})

    class Boom(Exception):
        pass

    class Exploding(Customer):
        def csv_row(self):
            raise Boom()

    with pytest.raises(Boom):  # fails after the orders were written, before the cursor moved
        ledger.record_batch([order("A2"), order("A3")], [Exploding(customer_id="c1")], [], {"offset": 20})
    assert ledger.source_cursor()[0] == {"offset": 10}
    assert ledger.order_state("A2") is None and ledger.counts().pending == 1


def test_rereading_orders_dedupes_by_id_and_hash(ledger):
    s1 = ledger.record_batch([order("A1"), order("A2")], [], [], {"n": 1}, "fp")
    assert (s1.new, s1.unchanged) == (2, 0)
    s2 = ledger.record_batch([order("A1"), order("A2", total=2000)], [], [], {"n": 2}, "fp")
    assert (s2.new, s2.unchanged, s2.updated) == (0, 1, 1)   # A2 was not sent yet: the new version will be
    assert json.loads(ledger.order_state("A2")["body"])["orderTotal"] == "2000"
    [c1, c2] = ledger.claim(10)
    ledger.record_outcomes([Outcome("A1", "delivered"), Outcome("A2", "delivered")])
    s3 = ledger.record_batch([order("A1", total=999), order("A2", total=2000)], [], [], {"n": 3}, "fp")
    assert (s3.changed, s3.unchanged) == (1, 1)
    a1 = ledger.order_state("A1")
    assert a1["state"] == "superseded" and a1["changed_hash"] and json.loads(a1["body"])["orderTotal"] == "1000"
    counts = ledger.counts()
    assert (counts.delivered, counts.changed, counts.pending) == (2, 1, 0)
    assert ledger.claim(10) == []                          # a changed delivered order is never re-sent


def test_a_recorded_body_is_sent_byte_for_byte_and_the_later_duplicate_in_a_batch_wins(ledger):
    who = Customer(customer_id="c\"1", first_name="Zoë \\ \"Z\"", email="zoe@example.com")
    s = ledger.record_batch([order("B1", where="pos.csv:2"), order("B2", customer=who),
                             order("B1", total=1250, where="pos.csv:9")], [who], [], {"n": 1})
    assert (s.new, s.unchanged, s.updated) == (2, 0, 0)
    bodies = {c.order_id: c.body for c in ledger.claim(10)}
    for o in (order("B1", total=1250), order("B2", customer=who)):
        assert bodies[o.order_id] == json.dumps(o.to_api(), sort_keys=True, separators=(",", ":"))
    assert ledger.customer_rows() == [who.csv_row()]
    ledger.record_outcomes([Outcome("B1", "quarantined", error="refused")])
    [entry] = ledger.quarantine()
    assert (entry.order_id, entry.where, entry.by_rulrr) == ("B1", "pos.csv:9", True)


def test_claim_marks_in_flight_durably_and_outcomes_move_the_state(ledger, tmp_path):
    ledger.record_batch([order(f"A{i}") for i in range(5)], [], [], {})
    claims = ledger.claim(3, now=100.0)
    assert [c.order_id for c in claims] == ["A0", "A1", "A2"] and all(c.attempts == 1 for c in claims)
    # another connection (another process after a crash) sees them in flight
    other = sqlite3.connect(tmp_path / "ledger.sqlite3")
    assert other.execute("SELECT count(*) FROM orders WHERE state='in_flight'").fetchone()[0] == 3
    ledger.record_outcomes([Outcome("A0", "delivered"), Outcome("A1", "pending", "HTTP 503", 200.0),
                            Outcome("A2", "unknown", "no answer", 150.0)], now=120.0)
    assert ledger.order_state("A0")["state"] == "delivered"
    assert ledger.order_state("A1")["state"] == "pending" and ledger.order_state("A1")["next_attempt_at"] == 200.0
    assert ledger.order_state("A2")["state"] == "in_flight"
    assert [u[0] for u in ledger.unsettled()] == ["A2"]
    assert [c.order_id for c in ledger.claim(10, now=120.0)] == ["A3", "A4"]   # A1 is not due yet
    assert ledger.next_due() == 200.0
    ledger.release(["A3", "A4"])
    assert ledger.order_state("A3")["state"] == "pending" and ledger.order_state("A3")["attempts"] == 0


def test_a_claim_pairs_each_order_with_its_own_body_and_attempts(ledger):
    ledger.record_batch([order(f"A{i}", total=100 + i) for i in range(6)], [], [], {})
    [first] = ledger.claim(1, now=100.0)
    ledger.record_outcomes([Outcome("A0", "pending", "HTTP 503", 150.0)], now=120.0)
    # a body that holds the separator the bodies travel with (the canonical encoder never writes one)
    ledger._db.execute("UPDATE orders SET body=? WHERE order_id='A3'", ('{"note":"a\x1eb"}',))
    claims = ledger.claim(10, now=200.0)
    assert [c.order_id for c in claims] == ["A1", "A2", "A3", "A4", "A5", "A0"]   # A0's next try is due last
    assert [c.attempts for c in claims] == [1, 1, 1, 1, 1, 2]
    bodies = {c.order_id: c.body for c in claims}
    assert bodies["A3"] == '{"note":"a\x1eb"}'
    assert all(json.loads(bodies[f"A{i}"])["orderTotal"] == str(100 + i) for i in (0, 1, 2, 4, 5))
    assert first.body == bodies["A0"]
    assert ledger.counts().in_flight == 6 and ledger.claim(10, now=200.0) == []


def test_outcomes_only_touch_orders_in_flight(ledger):
    ledger.record_batch([order("A1")], [], [], {})
    ledger.claim(1)
    ledger.record_outcomes([Outcome("A1", "delivered")])
    ledger.record_outcomes([Outcome("A1", "pending", "late duplicate report")])
    assert ledger.order_state("A1")["state"] == "delivered"
    assert ledger.delivered_on() == 1


def test_counts_are_taken_from_one_state_of_the_file(ledger, tmp_path):
    ledger.record_batch([order("A1"), order("A2")], [], [], {})
    writer = sqlite3.connect(tmp_path / "ledger.sqlite3", isolation_level=None)

    def another_process_records(sql):   # runs as each statement of counts() starts
        if sql == "SELECT count(*) FROM orders":
            writer.execute("INSERT INTO orders (order_id, hash, state, body, created_at) "
                           "VALUES ('B1', 'h', 'pending', '{}', 0)")

    ledger._db.set_trace_callback(another_process_records)
    counts = ledger.counts()
    ledger._db.set_trace_callback(None)
    assert (counts.delivered, counts.pending) == (0, 2)     # B1 came after: not counted as anything yet
    assert (ledger.counts().delivered, ledger.counts().pending) == (0, 3)


def test_quarantine_rejections_and_source_reset(ledger):
    ledger.record_batch([order("A1"), order("A2")], [], [Bad("x.csv:3", "orderDate is missing", "A3"),
                                                          Bad("x.csv:4", "no orderId")], {"n": 1}, "fp1")
    ledger.claim(2)
    ledger.record_outcomes([Outcome("A1", "quarantined", "currency: unknown code"), Outcome("A2", "delivered")])
    counts = ledger.counts()
    assert (counts.rejected, counts.quarantined_rows, counts.quarantined) == (1, 2, 3)
    entries = ledger.quarantine()
    assert {(e.where, e.by_rulrr) for e in entries} == {("x.csv:3", False), ("x.csv:4", False), ("", True)}
    assert any(e.reason == "currency: unknown code" and e.order_id == "A1" for e in entries)
    # the mapping changes: the cursor and the source quarantine are forgotten, orders are kept
    ledger.reset_source("fp2")
    assert ledger.source_cursor() == (None, "")
    assert ledger.counts().quarantined_rows == 0 and ledger.counts().delivered == 1
    # the fixed mapping produces the refused order anew (different content) and the bad row as an order
    ledger.record_batch([order("A1", total=5), order("A3")], [], [], {"n": 1}, "fp2")
    assert ledger.order_state("A1")["state"] == "pending" and ledger.order_state("A3")["state"] == "pending"


def test_a_valid_order_clears_the_quarantine_of_its_bad_rows(ledger):
    ledger.record_batch([], [], [Bad("x.csv:3", "bad date", "A3")], {"n": 1})
    ledger.record_batch([order("A3")], [], [], {"n": 2})
    assert ledger.counts().quarantined_rows == 0


def test_customers_hash_changes_only_with_content(ledger):
    empty = ledger.customers_hash()
    ledger.record_batch([], [Customer("c1", "Ada", email="ada@example.com")], [], {})
    h1 = ledger.customers_hash()
    ledger.record_batch([], [Customer("c1", "Ada", email="ada@example.com")], [], {})
    assert ledger.customers_hash() == h1 != empty
    ledger.record_batch([], [Customer("c1", "Ada", "Lovelace", email="ada@example.com")], [], {})
    assert ledger.customers_hash() != h1
    assert ledger.customer_rows() == [["c1", "Ada", "Lovelace", "ada@example.com", "", ""]]


def test_history_counts_deliveries_per_day(ledger):
    ledger.record_batch([order(f"A{i}") for i in range(3)], [], [], {})
    ledger.claim(3)
    day1 = datetime(2026, 11, 20, 12).timestamp()
    ledger.record_outcomes([Outcome("A0", "delivered"), Outcome("A1", "delivered")], now=day1)
    ledger.record_outcomes([Outcome("A2", "delivered")], now=day1 + 86400)
    assert ledger.history(3, today=date(2026, 11, 22)) == [("2026-11-20", 2), ("2026-11-21", 1), ("2026-11-22", 0)]


def test_facts_and_a_read_only_view(ledger, tmp_path):
    ledger.put(last_sync_at=1700000000.0, last_error="Rulrr could not be reached")
    ledger.put(last_error=None)
    assert ledger.get("last_error") == "" and ledger.last_sync().year == 2023
    with Ledger(tmp_path / "ledger.sqlite3", readonly=True) as view:
        assert view.get("last_sync_at") == "1700000000.0"
    with pytest.raises(LedgerError):
        Ledger(tmp_path / "missing.sqlite3", readonly=True)
