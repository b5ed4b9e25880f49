"""What every source yields: raw records (text fields by column name) in batches, each with the cursor to
resume after it.

A source knows files, offsets and cursor columns; it knows nothing of Rulrr. Mapping turns raw records into
orders. The cursor is an opaque, JSON-serialisable dict that the ledger stores in the same transaction as the
batch it follows, so a crash never loses or repeats a batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Protocol


@dataclass(frozen=True, slots=True)
class RawRecord:
    where: str                   # for the staff: "items-2026-06-12.csv:17" (1-based line where the record starts) or "Document:42"
    fields: dict[str, str]       # column name -> value as text ("" for NULL/empty)
    entity: str = "row"          # "row" for CSV; "order" / "line" / "customer" for SQL sources


@dataclass(slots=True)
class Batch:
    records: list[RawRecord]
    cursor: dict                 # resume point after this batch (JSON-serialisable)
    rewritten: bool = False      # the source was rewritten/rotated: earlier cursors are void, history was re-read


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
        complete now (a half-written last record waits for the next call)."""
