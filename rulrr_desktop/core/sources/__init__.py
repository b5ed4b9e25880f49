"""POS sources: readers that yield raw records from CSV exports and SQLite databases, with a resumable cursor.

`open_source(settings.source)` builds the reader the settings describe. What every source yields is in
`base` (RawRecord, Batch, SourceInfo, Source); the typed errors the staff may see are in `errors`.
"""

from __future__ import annotations

from typing import Any

from rulrr_desktop.core.sources.base import Batch, RawRecord, Source, SourceInfo
from rulrr_desktop.core.sources.csv_source import CsvSource
from rulrr_desktop.core.sources.errors import (SourceBusy, SourceDatabaseError, SourceError, SourceQueryError,
                                               SourceUnavailable)
from rulrr_desktop.core.sources.sqlite_source import SqliteSource

__all__ = ["Batch", "CsvSource", "RawRecord", "Source", "SourceBusy", "SourceDatabaseError", "SourceError",
           "SourceInfo", "SourceQueryError", "SourceUnavailable", "SqliteSource", "open_source"]

KINDS = ("csv", "sqlite")
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _looks_like_sqlite(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC
    except OSError:                   # a folder, or missing: the CSV source says what is wrong
        return False


def open_source(settings: Any) -> Source:
    """The source that `settings` (a `SourceSettings`: kind, path, sql) describe.

    For "sqlite", `settings.sql` holds `orders`, `lines`, `customers` (SELECTs) and `cursor` (the cursor
    column), and optionally `id` (default "orderId"), `line_order_id`, `customers_cursor`, `customers_id`
    (default "customerId"), `lookback_seconds`, `lookback_rows`. For "csv", optional attributes `encoding` and
    `delimiter` force what is otherwise detected per file.
    """
    kind = (getattr(settings, "kind", "") or "").strip().lower()
    path = (getattr(settings, "path", "") or "").strip()
    if not path:
        raise SourceUnavailable("no export file or folder is set", title="No POS data source is set",
                                action="Open Settings → Data source and choose the export file or folder.")
    if not kind:                      # not said: an SQLite file says so in its first bytes, else CSV
        kind = "sqlite" if _looks_like_sqlite(path) else "csv"
    if kind == "csv":
        return CsvSource(path, encoding=getattr(settings, "encoding", None) or None,
                         delimiter=getattr(settings, "delimiter", None) or None)
    if kind == "sqlite":
        sql = dict(getattr(settings, "sql", None) or {})
        if not sql.get("orders") or not sql.get("cursor"):
            raise SourceQueryError("the orders query or the cursor column is missing",
                                   title="The POS database source is incomplete",
                                   action="Open Settings → Data source and fill in the orders query and the cursor "
                                          "column.")
        return SqliteSource(path, orders_sql=sql["orders"], lines_sql=sql.get("lines") or None,
                            customers_sql=sql.get("customers") or None, cursor_column=sql["cursor"],
                            id_column=sql.get("id") or "orderId",
                            line_order_column=sql.get("line_order_id") or None,
                            customers_cursor=sql.get("customers_cursor") or None,
                            customers_id=sql.get("customers_id") or "customerId",
                            lookback_seconds=float(sql.get("lookback_seconds") or 0),
                            lookback_rows=int(sql.get("lookback_rows") or 0))
    raise SourceError(f"the source kind {kind or '(empty)'!r} is not known (use \"csv\" or \"sqlite\")",
                      title="The POS data source is not set up",
                      action="Open Settings → Data source and choose a CSV export or an SQLite database.")
