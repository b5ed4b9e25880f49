"""The SQLite source: a POS database read by a cursor column, read-only, while the POS keeps writing.

The database is opened `mode=ro` with `PRAGMA query_only`, so it is never written, and a busy timeout, so a
POS commit in progress makes the reader wait instead of fail. Each batch is its own short read transaction
(orders, then the lines of those orders), so the POS is never held up by a long pass; that works with WAL and
with rollback-journal databases alike.

Orders are the user's SELECT wrapped as a subquery and read in `(cursor, id)` order after the last
`(cursor, id)` seen, so an order is read once when the cursor is a change time kept by the POS (`DateUpdated`,
`updated_at`): a late (offline) sale with an old sale date but a new update time comes after the cursor by
itself. Where the cursor is only an insert order (an id, a sale time), voids and late edits of recent rows are
caught by a look-back: each pass starts again `lookback_rows` rows, or `lookback_seconds` (for ISO-text times
and Unix times), before the cursor. Re-reads are expected: the ledger downstream dedupes orders by orderId
and content hash, so a re-read unchanged order is not sent again.

Customers have their own cursor when `customers_cursor` is given; otherwise the whole customer query is
hashed each pass and read again only when that hash changed.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

from rulrr_desktop.core.sources.base import Batch, RawRecord, SourceInfo
from rulrr_desktop.core.sources.errors import (SourceBusy, SourceDatabaseError, SourceError, SourceQueryError,
                                               SourceUnavailable)

CURSOR_VERSION = 1
_IN_CHUNK = 500                    # ids per `IN (...)`: far below SQLite's host-parameter limit
_FROM_RE = re.compile(r"\bfrom\s+[\"`\[]?([A-Za-z_][\w.]*)", re.IGNORECASE)
T = TypeVar("T")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _clean_sql(sql: str) -> str:
    return sql.strip().rstrip(";").strip()


def _name_of(sql: str, default: str) -> str:
    """The first table a query reads from, to say where a record came from ("Document:42")."""
    match = _FROM_RE.search(sql or "")
    return match.group(1) if match else default


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _shift_back(value: Any, seconds: float) -> Any | None:
    """`value` moved `seconds` earlier, in the same form (ISO text or Unix time); None when it is not a time."""
    if seconds <= 0 or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if value >= 1e12:          # Unix milliseconds
            return type(value)(value - seconds * 1000)
        if value >= 1e9:           # Unix seconds
            return type(value)(value - seconds)
        return None
    if not isinstance(value, str) or len(value) < 10:
        return None
    text = value.strip()
    zulu = text.endswith("Z")
    try:
        moment = datetime.fromisoformat(text[:-1] if zulu else text)
    except ValueError:
        return None
    earlier = moment - timedelta(seconds=seconds)
    if len(text) == 10:            # a bare date
        return earlier.date().isoformat()
    sep = "T" if "T" in text else " "
    fraction = re.search(r"\.(\d+)", text)
    timespec = ("seconds" if not fraction else "milliseconds" if len(fraction.group(1)) <= 3
                else "microseconds")
    if text.count(":") == 1 and not fraction:
        timespec = "minutes"
    shifted = earlier.isoformat(sep=sep, timespec=timespec)
    return shifted + "Z" if zulu else shifted


class _Query:
    """One entity's query, read after a `(cursor, id)` position."""

    def __init__(self, sql: str, cursor_column: str | None, id_column: str, name: str) -> None:
        self.sql = _clean_sql(sql)
        self.cursor_column = cursor_column
        self.id_column = id_column
        self.name = name
        self.names: list[str] = []       # the query's result columns (set by `columns`)
        self.texts = ""                  # those columns as text, "" for NULL: the conversion runs in SQLite

    def columns(self, con: sqlite3.Connection) -> list[str]:
        cur = con.execute(f"SELECT * FROM ({self.sql}) AS q LIMIT 0")
        self.names = [d[0] for d in cur.description]
        self.texts = ", ".join(f"IFNULL(CAST(q.{_quote(n)} AS TEXT), '')" for n in self.names)
        return self.names

    def records(self, rows: list, entity: str, skip: int) -> list[RawRecord]:
        """RawRecords of rows whose first `skip` values are raw (cursor, id) and the rest the texts."""
        names = self.names
        ii = names.index(self.id_column) + skip if self.id_column in names else None
        prefix = f"{self.name}:"
        return [RawRecord(prefix + (row[ii] if ii is not None else str(n)), dict(zip(names, row[skip:])), entity)
                for n, row in enumerate(rows, start=1)]

    def after(self, con: sqlite3.Connection, last: dict | None, limit: int) -> sqlite3.Cursor:
        """Rows after `last` ({"c": cursor, "id": id}, or {"from": cursor} for a look-back start)."""
        c, i = _quote(self.cursor_column or ""), _quote(self.id_column)
        order = f" ORDER BY q.{c}, q.{i} LIMIT ?"
        base = f"SELECT q.{c}, q.{i}, {self.texts} FROM ({self.sql}) AS q"
        if not last:
            return con.execute(base + order, (limit,))
        if "from" in last:
            return con.execute(base + f" WHERE q.{c} >= ?" + order, (last["from"], limit))
        if last.get("c") is None:      # still among the rows whose cursor is NULL (they sort first)
            return con.execute(base + f" WHERE (q.{c} IS NULL AND q.{i} > ?) OR q.{c} IS NOT NULL" + order,
                               (last["id"], limit))
        # a row value, not "c > ? OR (c = ? AND id > ?)": SQLite turns it into an index range search, so a pass
        # costs what is new, not the history
        return con.execute(base + f" WHERE (q.{c}, q.{i}) > (?, ?)" + order, (last["c"], last["id"], limit))

    def rows_back(self, con: sqlite3.Connection, last: dict, rows: int) -> dict | None:
        """The position `rows` rows before `last` (None: fewer rows than that, start from the beginning)."""
        c, i = _quote(self.cursor_column or ""), _quote(self.id_column)
        row = con.execute(
            f"SELECT q.{c}, q.{i} FROM ({self.sql}) AS q WHERE (q.{c}, q.{i}) <= (?, ?) "
            f"ORDER BY q.{c} DESC, q.{i} DESC LIMIT 1 OFFSET ?",
            (last["c"], last["id"], rows)).fetchone()
        return {"c": row[0], "id": row[1]} if row else None


class SqliteSource:
    """Reads orders (with their lines) and customers from a POS's SQLite database; see the module doc."""

    kind = "sqlite"

    def __init__(self, path: str | os.PathLike[str], *, orders_sql: str, lines_sql: str | None = None,
                 customers_sql: str | None = None, cursor_column: str, id_column: str = "orderId",
                 line_order_column: str | None = None, customers_cursor: str | None = None,
                 customers_id: str = "customerId", lookback_seconds: float = 0.0, lookback_rows: int = 0,
                 busy_timeout: float = 5.0) -> None:
        if not orders_sql or not cursor_column:
            raise SourceQueryError("the orders query or its cursor column is missing")
        self.path = Path(path).expanduser()
        self.orders = _Query(orders_sql, cursor_column, id_column, _name_of(orders_sql, "orders"))
        self.lines = _Query(lines_sql, None, line_order_column or id_column,
                            _name_of(lines_sql, "lines")) if lines_sql else None
        self.customers = _Query(customers_sql, customers_cursor, customers_id,
                                _name_of(customers_sql, "customers")) if customers_sql else None
        self.lookback_seconds = float(lookback_seconds or 0)
        self.lookback_rows = int(lookback_rows or 0)
        self.busy_timeout = float(busy_timeout)

    def __repr__(self) -> str:
        return f"SqliteSource({str(self.path)!r})"

    # -- the connection --------------------------------------------------------------------------------------

    def connect(self) -> sqlite3.Connection:
        """A read-only connection (the caller closes it). Missing file or not a database → SourceDatabaseError."""
        name = self.path.name
        try:
            if not self.path.is_file():
                raise SourceDatabaseError(f"{self.path} does not exist" if not self.path.exists()
                                          else f"{self.path} is not a file")
            if not os.access(self.path, os.R_OK):
                raise SourceDatabaseError(f"{name} cannot be read (no permission)")
        except OSError as exc:
            raise SourceUnavailable(f"{self.path} cannot be read ({exc.strerror or exc})") from None
        uri = self.path.resolve().as_uri() + "?mode=ro"
        try:
            con = sqlite3.connect(uri, uri=True, timeout=self.busy_timeout, isolation_level=None,
                                  check_same_thread=False)
        except sqlite3.Error as exc:
            raise SourceDatabaseError(f"{name} cannot be opened ({exc})") from None
        try:
            con.execute("PRAGMA query_only = 1")
            self._transaction(con, lambda: con.execute("SELECT count(*) FROM sqlite_master").fetchone())
        except SourceBusy:
            con.close()
            raise
        except sqlite3.DatabaseError as exc:
            con.close()
            raise SourceDatabaseError(f"{name} is not an SQLite database ({exc})") from None
        return con

    def _transaction(self, con: sqlite3.Connection, work: Callable[[], T]) -> T:
        """Runs `work` in one short read transaction; retries while the POS holds a lock, up to the busy
        timeout (the busy handler already waits inside each statement)."""
        deadline = time.monotonic() + self.busy_timeout
        pause = 0.01
        while True:
            try:
                con.execute("BEGIN")
                try:
                    return work()
                finally:
                    if con.in_transaction:
                        con.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                if not _is_busy(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise SourceBusy(f"{self.path.name} stayed locked for more than "
                                     f"{self.busy_timeout:g} s") from None
                time.sleep(pause)   # back-off between retries of a busy database (not a test sync)
                pause = min(pause * 2, 0.2)

    def _query_error(self, exc: sqlite3.Error, query: _Query) -> SourceError:
        if "readonly" in str(exc).lower() or "read-only" in str(exc).lower():
            # a hot journal left by a POS that stopped mid-write: only a writer may roll it back
            return SourceDatabaseError(f"{self.path.name} needs the POS to finish an interrupted write ({exc})",
                                       action="Start the POS once so that it repairs its database, then sync again.")
        return SourceQueryError(f"the {query.name} query failed: {exc}",
                                action="Check the queries in Settings → Data source.")

    # -- what is there ---------------------------------------------------------------------------------------

    def info(self) -> SourceInfo:
        con = self.connect()
        try:
            details: dict = {"journal_mode": con.execute("PRAGMA journal_mode").fetchone()[0]}
            headers: list[str] = []
            for key, query in (("orders", self.orders), ("lines", self.lines), ("customers", self.customers)):
                if query is None:
                    continue
                columns = self._columns(con, query)
                details[key] = columns
                if key == "orders":
                    headers = columns
            return SourceInfo(self.kind, str(self.path), tuple(headers), (self.path.name,), details)
        finally:
            con.close()

    # -- reading ---------------------------------------------------------------------------------------------

    def batches(self, cursor: dict | None, *, batch_size: int = 5000,
                group_by: str | None = None) -> Iterator[Batch]:
        """Customers (when changed), then orders each followed by its lines, `batch_size` orders a batch.
        `group_by` is not needed here: the lines of an order always come in the batch of their order."""
        state: dict = dict(cursor) if isinstance(cursor, dict) and cursor.get("v") == CURSOR_VERSION else {
            "v": CURSOR_VERSION}
        batch_size = max(1, batch_size)
        con = self.connect()
        try:
            self._check_columns(con)
            if self.customers is not None:
                yield from self._customer_batches(con, state, batch_size)
            yield from self._order_batches(con, state, batch_size)
        finally:
            con.close()

    def _columns(self, con: sqlite3.Connection, query) -> list[str]:
        """The result columns of one of the configured queries (a query error is worded for the staff)."""
        try:
            return self._transaction(con, lambda: query.columns(con))
        except sqlite3.Error as exc:
            raise self._query_error(exc, query) from None

    def _check_columns(self, con: sqlite3.Connection) -> None:
        for query, needed in ((self.orders, (self.orders.cursor_column, self.orders.id_column)),
                              (self.lines, (self.lines.id_column,) if self.lines else ()),
                              (self.customers, (self.customers.cursor_column, self.customers.id_column)
                               if self.customers and self.customers.cursor_column else ())):
            if query is None:
                continue
            columns = self._columns(con, query)
            missing = [n for n in needed if n and n not in columns]
            if missing:
                raise SourceQueryError(f"the {query.name} query has no column {', '.join(missing)}",
                                       action="Check the queries and the cursor column in Settings → Data source.")

    def _start(self, con: sqlite3.Connection, query: _Query, last: dict | None) -> dict | None:
        """Where this pass starts: the cursor, moved back by the look-back window."""
        if not last or last.get("c") is None:
            return last
        starts = [last]
        earlier = _shift_back(last["c"], self.lookback_seconds)
        if earlier is not None:
            starts.append({"from": earlier})
        if self.lookback_rows > 0:
            back = query.rows_back(con, last, self.lookback_rows)
            starts.append(back if back is not None else {})
        if len(starts) == 1:
            return last

        def key(start: dict) -> tuple:
            if not start:
                return (0,)
            value = start.get("from", start.get("c"))
            return (1, isinstance(value, str), value, "from" not in start)
        return min(starts, key=key) or None

    def _order_batches(self, con: sqlite3.Connection, state: dict, batch_size: int) -> Iterator[Batch]:
        orders, lines = self.orders, self.lines
        last = state.get("orders")
        try:
            position = self._transaction(con, lambda: self._start(con, orders, last))
        except sqlite3.Error as exc:
            raise self._query_error(exc, orders) from None
        while True:
            def read() -> tuple[list, dict[Any, list[RawRecord]]]:
                rows = orders.after(con, position, batch_size).fetchall()
                by_order: dict[Any, list[RawRecord]] = {}
                if lines is not None and rows:
                    ids = list(dict.fromkeys(r[1] for r in rows))
                    lid = _quote(lines.id_column)
                    for k in range(0, len(ids), _IN_CHUNK):
                        chunk = ids[k:k + _IN_CHUNK]
                        found = con.execute(f"SELECT q.{lid}, {lines.texts} FROM ({lines.sql}) AS q "
                                            f"WHERE q.{lid} IN ({','.join('?' * len(chunk))})", chunk).fetchall()
                        for raw, record in zip(found, lines.records(found, "line", 1)):
                            by_order.setdefault(raw[0], []).append(record)
                return rows, by_order
            try:
                rows, by_order = self._transaction(con, read)
            except sqlite3.Error as exc:
                raise self._query_error(exc, orders) from None
            if not rows:
                return
            records: list[RawRecord] = []
            for row, record in zip(rows, orders.records(rows, "order", 2)):
                records.append(record)
                records.extend(by_order.get(row[1], ()))
            tail = rows[-1]
            position = {"c": tail[0], "id": tail[1]}
            if last is None or _after(position, last):
                last = position
            state = {**state, "orders": last}
            yield Batch(records, dict(state))
            if len(rows) < batch_size:
                return

    def _customer_batches(self, con: sqlite3.Connection, state: dict, batch_size: int) -> Iterator[Batch]:
        customers = self.customers
        assert customers is not None
        if customers.cursor_column:
            last = state.get("customers")
            if last is not None and "hash" in last:
                last = None
            position = last
            while True:
                try:
                    rows = self._transaction(con, lambda: customers.after(con, position, batch_size).fetchall())
                except sqlite3.Error as exc:
                    raise self._query_error(exc, customers) from None
                if not rows:
                    return
                records = customers.records(rows, "customer", 2)
                position = {"c": rows[-1][0], "id": rows[-1][1]}
                state["customers"] = position
                yield Batch(records, dict(state))
                if len(rows) < batch_size:
                    return
        # no cursor: hash the whole list; read it again only when it changed

        def digest() -> str:
            h = hashlib.blake2b(digest_size=16)
            for row in con.execute(f"SELECT * FROM ({customers.sql}) AS q"):
                h.update(repr(row).encode("utf-8", errors="surrogatepass"))
            return h.hexdigest()
        try:
            signature = self._transaction(con, digest)
        except sqlite3.Error as exc:
            raise self._query_error(exc, customers) from None
        if (state.get("customers") or {}).get("hash") == signature:
            return
        offset = 0
        while True:
            def read_page() -> list:
                return con.execute(f"SELECT {customers.texts} FROM ({customers.sql}) AS q LIMIT ? OFFSET ?",
                                   (batch_size, offset)).fetchall()
            try:
                rows = self._transaction(con, read_page)
            except sqlite3.Error as exc:
                raise self._query_error(exc, customers) from None
            offset += len(rows)
            done = len(rows) < batch_size
            records = customers.records(rows, "customer", 0)
            if done:
                state["customers"] = {"hash": signature}
            yield Batch(records, dict(state))
            if done:
                return


def _after(a: dict, b: dict) -> bool:
    """Is position `a` after position `b` in (cursor, id) order (SQLite's: NULL < numbers < text)?"""
    def key(p: dict) -> tuple:
        def rank(v: Any) -> tuple:
            if v is None:
                return (0, 0)
            if isinstance(v, (int, float)):
                return (1, v)
            if isinstance(v, str):
                return (2, v)
            return (3, bytes(v))
        return rank(p.get("c")) + rank(p.get("id"))
    return key(a) > key(b)
