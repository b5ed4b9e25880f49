"""The durable sync state of one profile: what was read from the source, what was sent, what is left.

Rulrr's API has no idempotency key, so the ledger is what makes "each order exactly once" true across crashes:
an order is marked `in_flight` (durably, fsynced) before its POST and `delivered` after; whatever is found
`in_flight` later has an unknown outcome and must be settled with a GET before it is ever sent again. Each
order row keeps the exact body to send, so a crash never needs the source again. Recording a mapped batch and
advancing the source cursor happen in one transaction, so a crash never loses or repeats a batch.

SQLite in WAL mode (readers such as the tray or `status` never block the engine); the schema is versioned with
`PRAGMA user_version` and migrated forward step by step (MIGRATIONS).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Iterable, Sequence

from rulrr_desktop.core.errors import AppError
from rulrr_desktop.core.model import body_hash

# Order states. `superseded`: delivered, and the POS later changed the order; the change is noted in
# `changed_hash` but not sent (Rulrr has no update endpoint). It counts as delivered.
PENDING, IN_FLIGHT, DELIVERED, QUARANTINED, SUPERSEDED = (
    "pending", "in_flight", "delivered", "quarantined", "superseded")
STATES = (PENDING, IN_FLIGHT, DELIVERED, QUARANTINED, SUPERSEDED)

# One encoder for the customer rows (json.dumps with options builds a new encoder at every call).
_COMPACT = json.JSONEncoder(separators=(",", ":")).encode

# One entry per schema version: MIGRATIONS[i] takes a database from user_version i to i + 1.
MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1: cursors, orders, source quarantine, customers, key/value facts
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE cursors (
        source TEXT PRIMARY KEY,
        cursor TEXT NOT NULL,
        fingerprint TEXT NOT NULL DEFAULT '',
        updated_at REAL NOT NULL
    );
    CREATE TABLE orders (
        order_id TEXT PRIMARY KEY,
        hash TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending','in_flight','delivered','quarantined','superseded')),
        body TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        next_attempt_at REAL NOT NULL DEFAULT 0,
        delivered_at REAL,
        source_where TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL
    );
    CREATE INDEX orders_by_state ON orders (state, next_attempt_at);
    CREATE TABLE quarantine (
        id INTEGER PRIMARY KEY,
        source_where TEXT NOT NULL,
        reason TEXT NOT NULL,
        order_id TEXT NOT NULL DEFAULT '',
        fingerprint TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        UNIQUE (source_where, order_id, reason)
    );
    CREATE TABLE customers (key TEXT PRIMARY KEY, row TEXT NOT NULL);
    """,
    # 1 -> 2: the daily history for the chart, and changes seen after delivery
    """
    CREATE TABLE history (day TEXT PRIMARY KEY, delivered INTEGER NOT NULL DEFAULT 0);
    ALTER TABLE orders ADD COLUMN changed_hash TEXT;
    INSERT INTO history (day, delivered)
        SELECT date(delivered_at, 'unixepoch', 'localtime'), count(*) FROM orders
        WHERE delivered_at IS NOT NULL GROUP BY 1;
    """,
    # 2 -> 3: counting changed orders must not scan a large history on every status read
    """
    CREATE INDEX orders_changed ON orders (order_id) WHERE changed_hash IS NOT NULL;
    """,
    # 3 -> 4: every row an order writes (recorded, claimed, delivered) paid a temporary table: SQLite evaluates
    # `CHECK (state IN (...))` by building one each time. The same check as comparisons needs a new table (rows
    # copied with their rowids: claims and listings keep their order). Delivered orders, nearly all rows in
    # time, leave the state index: delivering no longer moves an index entry, and counts() reads the open orders
    # from the index and the total from the primary key.
    """
    CREATE TABLE orders_v4 (
        order_id TEXT PRIMARY KEY,
        hash TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state = 'pending' OR state = 'in_flight' OR state = 'delivered'
                                   OR state = 'quarantined' OR state = 'superseded'),
        body TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        next_attempt_at REAL NOT NULL DEFAULT 0,
        delivered_at REAL,
        source_where TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        changed_hash TEXT
    );
    INSERT INTO orders_v4 (rowid, order_id, hash, state, body, attempts, last_error, next_attempt_at, delivered_at,
                           source_where, created_at, changed_hash)
        SELECT rowid, order_id, hash, state, body, attempts, last_error, next_attempt_at, delivered_at,
               source_where, created_at, changed_hash FROM orders ORDER BY rowid;
    DROP TABLE orders;
    ALTER TABLE orders_v4 RENAME TO orders;
    CREATE INDEX orders_open ON orders (state, next_attempt_at) WHERE state <> 'delivered' AND state <> 'superseded';
    CREATE INDEX orders_changed ON orders (order_id) WHERE changed_hash IS NOT NULL;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

# Queries by state name the partial index's condition word for word: SQLite uses a partial index only for a
# query whose WHERE contains it (it does not infer it from state='pending').
_OPEN = "state <> 'delivered' AND state <> 'superseded'"


class LedgerError(AppError):
    """The sync state cannot be read or written."""

    title = "The sync state cannot be opened"
    action = "Make sure the disk is not full and no other copy of Rulrr Desktop uses this profile, then try again."


@dataclass(frozen=True, slots=True)
class Claim:
    """An order taken for sending: it is durably `in_flight` before its body leaves the machine."""

    order_id: str
    body: str            # the JSON body of POST /v1/orders, as recorded
    attempts: int        # including this one


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one claimed or unsettled order (recorded in batches by `record_outcomes`).

    kind: "delivered", "pending" (certainly not delivered: send again at `next_attempt_at`), "unknown" (may have
    arrived: stays in_flight, settle with a GET at `next_attempt_at`), "quarantined" (Rulrr refused it: `error`
    says why).
    """

    order_id: str
    kind: str
    error: str = ""
    next_attempt_at: float = 0.0


@dataclass(frozen=True, slots=True)
class BatchSummary:
    new: int = 0
    updated: int = 0       # not sent yet and changed in the source: the new version will be sent
    changed: int = 0       # already sent (or in flight) and changed in the source: noted, not re-sent
    unchanged: int = 0
    quarantined: int = 0


@dataclass(frozen=True, slots=True)
class Counts:
    delivered: int = 0
    pending: int = 0
    in_flight: int = 0
    rejected: int = 0          # orders Rulrr refused (400)
    quarantined_rows: int = 0  # source rows that could not be mapped
    changed: int = 0           # delivered orders the POS changed afterwards

    @property
    def quarantined(self) -> int:
        return self.rejected + self.quarantined_rows

    @property
    def unsent(self) -> int:
        return self.pending + self.in_flight


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    where: str
    reason: str
    order_id: str
    by_rulrr: bool   # True: Rulrr refused the order; False: the row could not be read/mapped


def _now() -> float:
    return time.time()


def hash_customers(rows: Iterable[Sequence[str]]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for row in rows:
        digest.update(_COMPACT(list(row)).encode())
        digest.update(b"\n")
    return digest.hexdigest()


class Ledger:
    """One profile's sync state. Thread-safe (one connection behind a lock); several processes may open the
    same file (WAL, busy timeout), e.g. the tray reading counts while `sync` writes."""

    def __init__(self, path: Path | str, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        try:
            if readonly:
                if not self.path.exists():
                    raise LedgerError(f"{self.path} does not exist yet", title="Nothing has been synced yet",
                                      action="Run a sync first.")
                self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None,
                                           check_same_thread=False, timeout=10)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=10000")
            self._sync_mode = ""
            self._synchronous("NORMAL")
            if not readonly:
                self._migrate()
            elif self.schema_version() != SCHEMA_VERSION:
                raise LedgerError(f"{self.path} has schema {self.schema_version()}, expected {SCHEMA_VERSION}",
                                  action="Run a sync with this version first.")
        except sqlite3.Error as exc:
            raise LedgerError(f"{self.path}: {exc}") from None

    # --- lifecycle -------------------------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        with self._lock:
            version = self.schema_version()
            if version > SCHEMA_VERSION:
                raise LedgerError(f"{self.path} was written by a newer version of Rulrr Desktop (schema {version})",
                                  action="Install the newer version again, or use another profile.")
            for target in range(version + 1, SCHEMA_VERSION + 1):
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    # another connection (the window's, the engine's) may have taken this step since we looked
                    if self.schema_version() < target:
                        for statement in _split_sql(MIGRATIONS[target - 1]):
                            self._db.execute(statement)
                        self._db.execute(f"PRAGMA user_version={target}")
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            if version < SCHEMA_VERSION:
                # a migration may write a whole table into the WAL (4 does): give the space back now, not at exit
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _synchronous(self, mode: str) -> None:
        """FULL fsyncs the WAL at each commit (needed before a POST: `in_flight` must survive a power cut);
        NORMAL is enough for everything a GET can re-establish."""
        if mode != self._sync_mode:
            self._db.execute(f"PRAGMA synchronous={mode}")
            self._sync_mode = mode

    def _tx(self, *, durable: bool = False):
        return _Transaction(self, durable)

    # --- source side -----------------------------------------------------------------------------------------
    def source_cursor(self, source: str = "source") -> tuple[dict | None, str]:
        """(cursor, mapping fingerprint it was read with); (None, "") before the first batch."""
        with self._lock:
            row = self._db.execute("SELECT cursor, fingerprint FROM cursors WHERE source=?", (source,)).fetchone()
        return (json.loads(row[0]), row[1]) if row else (None, "")

    def reset_source(self, fingerprint: str, source: str = "source") -> None:
        """Forgets the cursor and the source quarantine: the next read starts over with the new mapping.
        Orders already recorded stay; re-read ones are recognised by orderId and content hash."""
        with self._tx():
            self._db.execute("DELETE FROM cursors WHERE source=?", (source,))
            self._db.execute("DELETE FROM quarantine")
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('mapping_fingerprint', ?)", (fingerprint,))

    def clear_source_quarantine(self) -> None:
        with self._tx():
            self._db.execute("DELETE FROM quarantine")

    def record_batch(self, orders: Iterable[Any], customers: Iterable[Any], quarantined: Iterable[Any],
                     cursor: dict, fingerprint: str = "", source: str = "source") -> BatchSummary:
        """Records one mapped batch and advances the cursor, in ONE transaction.

        `orders` are model.Order, `customers` model.Customer, `quarantined` objects with where/reason/order_id.
        An orderId already recorded: same hash → ignored; not sent yet → replaced by the new version;
        delivered or in flight → the change is noted (`changed_hash`), never re-sent.
        """
        now = _now()
        prepared = []
        for order in orders:
            raw = order.canonical_json()       # what is hashed is what is sent
            prepared.append((order.order_id, body_hash(raw), raw, getattr(order, "where", "")))
        new = updated = changed = unchanged = 0
        q_count = 0
        with self._tx():
            db = self._db
            # Lookups and inserts are one statement each (rows packed as JSON), not one step per row: the sqlite3
            # module hands the GIL back at every row, and a batch is recorded while the event loop sends.
            ids = json.dumps([p[0] for p in prepared])
            found = db.execute("SELECT json_group_array(json_array(order_id, hash, state)) FROM orders "
                               "WHERE order_id IN (SELECT value FROM json_each(?))", (ids,)).fetchone()[0]
            existing = {oid: (h, state) for oid, h, state in json.loads(found)}
            inserts, replaces, notes = [], [], []
            seen: dict[str, int] = {}
            for oid, h, body, where in prepared:
                if oid in seen:  # the same order twice in one batch: the later version wins
                    inserts[seen[oid]] = (oid, h, body, where)
                    continue
                old = existing.get(oid)
                if old is None:
                    seen[oid] = len(inserts)
                    inserts.append((oid, h, body, where))
                    new += 1
                elif old[0] == h:
                    unchanged += 1
                elif old[1] in (PENDING, QUARANTINED):
                    replaces.append((h, body, where, oid))
                    updated += 1
                else:  # delivered / superseded / in_flight: Rulrr has no update endpoint
                    notes.append((h, oid))
                    changed += 1
            if inserts:
                db.execute("INSERT INTO orders (order_id, hash, state, body, source_where, created_at) "
                           "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), 'pending', "
                           "json_extract(value, '$[2]'), json_extract(value, '$[3]'), ? FROM json_each(?)",
                           (now, json.dumps(inserts)))
            db.executemany("UPDATE orders SET hash=?, body=?, source_where=?, state='pending', attempts=0, "
                           "last_error=NULL, next_attempt_at=0 WHERE order_id=?", replaces)
            db.executemany("UPDATE orders SET changed_hash=?, state=CASE state WHEN 'delivered' THEN "
                           "'superseded' ELSE state END WHERE order_id=?", notes)
            if prepared:  # a valid version of an order clears the quarantine entries of its bad rows
                db.execute("DELETE FROM quarantine WHERE order_id IN (SELECT value FROM json_each(?))", (ids,))
            for q in quarantined:
                cur = db.execute("INSERT OR IGNORE INTO quarantine (source_where, reason, order_id, fingerprint, "
                                 "created_at) VALUES (?, ?, ?, ?, ?)",
                                 (q.where, q.reason, getattr(q, "order_id", "") or "", fingerprint, now))
                q_count += cur.rowcount
            rows = [(c.key(), _COMPACT(c.csv_row())) for c in customers if c.key()]
            if rows:
                db.execute("INSERT OR REPLACE INTO customers (key, row) SELECT json_extract(value, '$[0]'), "
                           "json_extract(value, '$[1]') FROM json_each(?)", (json.dumps(rows),))
            db.execute("INSERT OR REPLACE INTO cursors (source, cursor, fingerprint, updated_at) VALUES (?,?,?,?)",
                       (source, json.dumps(cursor, sort_keys=True), fingerprint, now))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('mapping_fingerprint', ?)", (fingerprint,))
        return BatchSummary(new, updated, changed, unchanged, q_count)

    # --- delivery side ---------------------------------------------------------------------------------------
    def claim(self, limit: int, now: float | None = None) -> list[Claim]:
        """Marks up to `limit` due pending orders in_flight, durably, and returns them (oldest first)."""
        now = _now() if now is None else now
        # One statement each, one row out: the sqlite3 module hands the GIL back and forth at every row it
        # steps through, and a claim runs in a thread next to a busy event loop (each handoff can wait ~5 ms).
        # The bodies come joined by \x1e, not inside a JSON array: each body would be escaped there and unescaped
        # again here. A recorded body is JSON text from the canonical encoder, which escapes every control
        # character, so \x1e never occurs in one; should a body hold one anyway, the count tells and the bodies
        # are read again as a JSON array. The update finds the rows by rowid (no lookup by orderId).
        with self._tx(durable=True):
            db = self._db
            bodies, ids, attempts, rowids = db.execute(
                "SELECT group_concat(body, char(30)), json_group_array(order_id), json_group_array(attempts + 1), "
                "json_group_array(rowid) FROM (SELECT rowid, order_id, body, attempts FROM orders "
                f"WHERE {_OPEN} AND state='pending' AND next_attempt_at<=? ORDER BY next_attempt_at, rowid LIMIT ?)",
                (now, limit)).fetchone()
            if bodies is None:
                return []
            db.execute("UPDATE orders SET state='in_flight', attempts=attempts+1 "
                       "WHERE rowid IN (SELECT value FROM json_each(?))", (rowids,))
            ids = json.loads(ids)
            bodies = bodies.split("\x1e")
            if len(bodies) != len(ids):
                bodies = json.loads(db.execute(
                    "SELECT json_group_array(body) FROM (SELECT orders.body FROM json_each(?) AS claimed "
                    "JOIN orders ON orders.rowid=claimed.value ORDER BY claimed.key)", (rowids,)).fetchone()[0])
        return list(map(Claim, ids, bodies, json.loads(attempts)))

    def release(self, order_ids: Sequence[str]) -> None:
        """Claimed orders that were never sent (stopping): back to pending, the attempt not counted."""
        with self._tx():
            self._db.executemany("UPDATE orders SET state='pending', attempts=max(attempts-1, 0) "
                                 "WHERE order_id=? AND state='in_flight'", [(i,) for i in order_ids])

    def unsettled(self) -> list[tuple[str, str, int]]:
        """Orders found in_flight: their POST may have arrived. (order_id, body, attempts)."""
        with self._lock:
            return self._db.execute(f"SELECT order_id, body, attempts FROM orders WHERE {_OPEN} "
                                    "AND state='in_flight' ORDER BY next_attempt_at, rowid").fetchall()

    def record_outcomes(self, outcomes: Sequence[Outcome], now: float | None = None) -> None:
        """Records what became of claimed/unsettled orders, in one transaction."""
        if not outcomes:
            return
        now = _now() if now is None else now
        delivered = [o.order_id for o in outcomes if o.kind == "delivered"]  # one statement (see claim)
        pending = [(o.error[:500], o.next_attempt_at, o.order_id) for o in outcomes if o.kind == "pending"]
        unknown = [(o.error[:500], o.next_attempt_at, o.order_id) for o in outcomes if o.kind == "unknown"]
        rejected = [(o.error[:1000], o.order_id) for o in outcomes if o.kind == "quarantined"]
        day = date.fromtimestamp(now).isoformat()
        with self._tx():
            db = self._db
            cur = db.execute("UPDATE orders SET state=CASE WHEN changed_hash IS NULL THEN 'delivered' "
                             "ELSE 'superseded' END, delivered_at=?, last_error=NULL "
                             "WHERE order_id IN (SELECT value FROM json_each(?)) AND state='in_flight'",
                             (now, json.dumps(delivered)))
            if cur.rowcount > 0:
                db.execute("INSERT INTO history (day, delivered) VALUES (?, ?) "
                           "ON CONFLICT (day) DO UPDATE SET delivered=delivered+excluded.delivered",
                           (day, cur.rowcount))
            db.executemany("UPDATE orders SET state='pending', last_error=?, next_attempt_at=? "
                           "WHERE order_id=? AND state='in_flight'", pending)
            db.executemany("UPDATE orders SET last_error=?, next_attempt_at=? "
                           "WHERE order_id=? AND state='in_flight'", unknown)
            db.executemany("UPDATE orders SET state='quarantined', last_error=? "
                           "WHERE order_id=? AND state='in_flight'", rejected)

    def next_due(self) -> float | None:
        """When the earliest pending order may be sent (None: nothing pending)."""
        with self._lock:
            row = self._db.execute(f"SELECT min(next_attempt_at) FROM orders WHERE {_OPEN} "
                                   "AND state='pending'").fetchone()
        return row[0]

    def order_state(self, order_id: str) -> dict | None:
        with self._lock:
            cur = self._db.execute("SELECT order_id, hash, state, attempts, last_error, next_attempt_at, "
                                   "delivered_at, changed_hash, body FROM orders WHERE order_id=?", (order_id,))
            row = cur.fetchone()
            return dict(zip([d[0] for d in cur.description], row)) if row else None

    # --- what the staff sees ---------------------------------------------------------------------------------
    def counts(self) -> Counts:
        with self._lock:
            # one read transaction: the open orders and the total are counted in the same state of the file
            self._db.execute("BEGIN")
            try:
                open_ = dict(self._db.execute(f"SELECT state, count(*) FROM orders WHERE {_OPEN} GROUP BY state"))
                total = self._db.execute("SELECT count(*) FROM orders").fetchone()[0]
                rows = self._db.execute("SELECT count(*) FROM quarantine").fetchone()[0]
                changed = self._db.execute("SELECT count(*) FROM orders WHERE changed_hash IS NOT NULL").fetchone()[0]
            finally:
                self._db.execute("COMMIT")
        return Counts(delivered=total - sum(open_.values()),   # delivered and superseded
                      pending=open_.get(PENDING, 0), in_flight=open_.get(IN_FLIGHT, 0),
                      rejected=open_.get(QUARANTINED, 0), quarantined_rows=rows, changed=changed)

    def quarantine(self, limit: int = 1000) -> list[QuarantineEntry]:
        """Source rows that could not be mapped, then orders Rulrr refused, with their reasons."""
        with self._lock:
            rows = self._db.execute("SELECT source_where, reason, order_id FROM quarantine ORDER BY id LIMIT ?",
                                    (limit,)).fetchall()
            refused = self._db.execute(f"SELECT source_where, last_error, order_id FROM orders WHERE {_OPEN} "
                                       "AND state='quarantined' ORDER BY rowid LIMIT ?", (limit,)).fetchall()
        return ([QuarantineEntry(w, r, o, False) for w, r, o in rows]
                + [QuarantineEntry(w, r or "", o, True) for w, r, o in refused])[:limit]

    def history(self, days: int = 30, today: date | None = None) -> list[tuple[str, int]]:
        """Delivered orders per day for the last `days` days (oldest first, days without deliveries as 0)."""
        today = today or date.today()
        start = today - timedelta(days=days - 1)
        with self._lock:
            got = dict(self._db.execute("SELECT day, delivered FROM history WHERE day>=?",
                                        (start.isoformat(),)).fetchall())
        return [((start + timedelta(d)).isoformat(), got.get((start + timedelta(d)).isoformat(), 0))
                for d in range(days)]

    def delivered_on(self, day: date | None = None) -> int:
        with self._lock:
            row = self._db.execute("SELECT delivered FROM history WHERE day=?",
                                   ((day or date.today()).isoformat(),)).fetchone()
        return row[0] if row else 0

    # --- customers, store profile, facts ---------------------------------------------------------------------
    def customer_rows(self) -> list[list[str]]:
        with self._lock:
            return [json.loads(r[0]) for r in self._db.execute("SELECT row FROM customers ORDER BY key")]

    def customers_hash(self) -> str:
        with self._lock:
            return hash_customers(json.loads(r[0]) for r in
                                  self._db.execute("SELECT row FROM customers ORDER BY key"))

    def get(self, key: str, default: str = "") -> str:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def put(self, **values: str | float | None) -> None:
        with self._tx():
            for key, value in values.items():
                if value is None:
                    self._db.execute("DELETE FROM meta WHERE key=?", (key,))
                else:
                    self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, str(value)))

    def last_sync(self) -> datetime | None:
        value = self.get("last_sync_at")
        return datetime.fromtimestamp(float(value)).astimezone() if value else None


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT under the ledger's lock; rolls back on any exception."""

    def __init__(self, ledger: Ledger, durable: bool) -> None:
        self.ledger, self.durable = ledger, durable

    def __enter__(self) -> None:
        self.ledger._lock.acquire()
        try:
            self.ledger._synchronous("FULL" if self.durable else "NORMAL")
            self.ledger._db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.ledger._lock.release()
            raise

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.ledger._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
        finally:
            self.ledger._lock.release()


def _split_sql(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
