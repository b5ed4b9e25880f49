"""What every source yields: raw records (text fields by column name) in batches, each with the cursor to
resume after it.

A source knows files, offsets and cursor columns; it knows nothing of Rulrr. Mapping turns raw records into
orders. The cursor is an opaque, JSON-serialisable dict that the ledger stores in the same transaction as the
batch it follows, so a crash never loses or repeats a batch.

A record is either a dict of fields (SQL sources, tests) or, for a CSV file, the parser's own list of values
plus the file's shared column names: building one dict per row was most of the cost of reading a big export.
A CSV batch carries its records as `RecordRows` (value lists, start lines, shared columns); `Batch.records`
builds RawRecords from them only when someone asks, and `RawRecord.fields` builds its dict only when asked.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import Iterator, Protocol


class RawRecord:
    """One record: `where` for the staff ("items-2026-06-12.csv:17", 1-based line where the record starts, or
    "Document:42"), its `fields` (column name -> value as text, "" for NULL/empty) and its `entity` ("row" for
    CSV; "order" / "line" / "customer" for SQL sources). A record of a CSV row keeps the parser's `values`
    and the file's `header`; its `fields` dict is built on first use."""

    __slots__ = ("where", "entity", "values", "header", "_fields")

    def __init__(self, where: str, fields: dict[str, str] | None = None, entity: str = "row", *,
                 values: list[str] | None = None, header: tuple[str, ...] = ()) -> None:
        self.where = where
        self.entity = entity
        self.values = values
        self.header = header
        self._fields = fields if fields is not None or values is not None else {}

    @property
    def fields(self) -> dict[str, str]:
        f = self._fields
        if f is None:
            f = self._fields = fields_of(self.header, self.values or [])
        return f

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RawRecord):
            return NotImplemented
        return (self.where, self.fields, self.entity) == (other.where, other.fields, other.entity)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RawRecord(where={self.where!r}, fields={self.fields!r}, entity={self.entity!r})"


def fields_of(header: tuple[str, ...], values: list[str]) -> dict[str, str]:
    """A row's values by column name: a short row gets "" for the missing columns; values past the header are
    kept under "column N"; an empty value list (a record the parser refused) has no fields."""
    if not values:
        return {}
    fields = dict(zip(header, values))
    if len(values) < len(header):
        for key in header[len(values):]:
            fields[key] = ""
    else:
        for i in range(len(header), len(values)):
            fields[f"column {i + 1}"] = values[i]
    return fields


class RecordRows:
    """The records of one batch of one CSV file, as the parser made them: `values[i]` is record i's list of
    values (padded with "" to the header's length; [] for a record the parser refused), `lines[i]` the 1-based
    line it starts on. `columns` maps each column name to its index (shared by every batch of the file).

    When the reader was asked to `pick` columns, `picked[i]` holds record i's values of those columns (in the
    order of `pick`; None for a record the parser refused), and the whole record may be kept as its text,
    parsed on first use of `values` or `record(i)`."""

    __slots__ = ("name", "header", "columns", "_values", "lines", "delimiter", "pick", "picked")

    def __init__(self, name: str, header: tuple[str, ...], values: list, lines: list[int],
                 columns: dict[str, int] | None = None, *, delimiter: str = ",", pick: tuple[str, ...] = (),
                 picked: list[tuple[str, ...] | None] | None = None) -> None:
        self.name = name
        self.header = header
        self.columns = columns if columns is not None else {h: i for i, h in enumerate(header)}
        self._values = values
        self.lines = lines
        self.delimiter = delimiter
        self.pick = pick if picked is not None else ()
        self.picked = picked

    def __len__(self) -> int:
        return len(self._values)

    @property
    def values(self) -> list[list[str]]:
        values = self._values
        if self.picked is not None and any(isinstance(v, str) for v in values):
            values = self._values = [self._parsed(v) if isinstance(v, str) else v for v in values]
        return values

    def _parsed(self, text: str) -> list[str]:
        """A record kept as its text (one line, one record) → its values, padded like the reader pads."""
        row = next(csv.reader([text], delimiter=self.delimiter), [])
        if len(row) < len(self.header):
            row.extend([""] * (len(self.header) - len(row)))
        return row

    def value_list(self, i: int) -> list[str]:
        v = self._values[i]
        return self._parsed(v) if isinstance(v, str) else v

    def where(self, i: int) -> str:
        return f"{self.name}:{self.lines[i]}"

    def record(self, i: int) -> RawRecord:
        return RawRecord(f"{self.name}:{self.lines[i]}", None, values=self.value_list(i), header=self.header)

    def records(self) -> list[RawRecord]:
        name, header = self.name, self.header
        return [RawRecord(f"{name}:{line}", None, values=values, header=header)
                for values, line in zip(self.values, self.lines)]

    def release(self) -> None:
        """Empties these rows in place (the picked values too), for the one consumer of a batch once it is done
        with it: the rows are freed at once instead of when the source moves on to the next batch."""
        if self.picked is not None:
            self.picked.clear()
        self._values.clear()
        self.lines = []

    def renamed(self, back: dict[str, str]) -> "RecordRows":
        """The same rows with columns renamed (`back`: file column -> preset column); `pick` is renamed too."""
        header = tuple(back.get(h, h) for h in self.header)
        return RecordRows(self.name, header, self._values, self.lines, delimiter=self.delimiter,
                          pick=tuple(back.get(c, c) for c in self.pick), picked=self.picked)


class Batch:
    """`records` (RawRecords) with the `cursor` to resume after them (JSON-serialisable) and `rewritten` (the
    source was rewritten/rotated: earlier cursors are void, history was re-read). A CSV batch is built from
    `rows` (RecordRows) and makes its RawRecords on first use of `records`."""

    __slots__ = ("cursor", "rewritten", "rows", "_records")

    def __init__(self, records: list[RawRecord] | None = None, cursor: dict | None = None,
                 rewritten: bool = False, *, rows: RecordRows | None = None) -> None:
        self.cursor = cursor if cursor is not None else {}
        self.rewritten = rewritten
        self.rows = rows
        self._records = records if records is not None or rows is not None else []

    @property
    def records(self) -> list[RawRecord]:
        r = self._records
        if r is None:
            r = self._records = self.rows.records() if self.rows is not None else []
        return r

    def __len__(self) -> int:
        return len(self._records) if self._records is not None else len(self.rows or ())

    def __repr__(self) -> str:
        return f"Batch({len(self)} records, cursor={self.cursor!r}, rewritten={self.rewritten!r})"


@dataclass(frozen=True, slots=True)
class SourceInfo:
    kind: str                    # "csv" | "sqlite"
    path: str
    headers: tuple[str, ...] = ()   # the columns seen (CSV header of the newest file; SQL result columns)
    files: tuple[str, ...] = ()
    details: dict = field(default_factory=dict)


class Source(Protocol):
    def info(self) -> SourceInfo:
        """What the source looks like now (used to recognise the preset)."""

    def batches(self, cursor: dict | None, *, batch_size: int = 5000,
                group_by: str | None = None) -> Iterator[Batch]:
        """Yields what is new since `cursor` (None: from the start). A batch never splits a run of adjacent
        records with the same `group_by` value (line items of one order). Stops at the end of what is
        complete now (a half-written last record waits for the next call). A source whose class says
        `picks_columns = True` (the CSV source) also takes `pick=(column, ...)`: see CsvSource.batches."""
