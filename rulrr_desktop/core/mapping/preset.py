"""What a preset is: a declarative description of one POS export (its columns, grain and how rows group into
orders) plus the one function that maps a group of rows. Shared helpers for those functions live here too.

A map function gets the rows of one order (line-item grains) or one row (order grains) and writes into a
MappingResult: `add_order`, `add_customer`, `skip`. It raises RowProblem (or lets a KeyError for a required
column escape) to quarantine the group; the engine adds where and the order id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Callable

from rulrr_desktop.core.mapping.context import MappingContext
from rulrr_desktop.core.mapping.errors import RowProblem
from rulrr_desktop.core.mapping.money import MoneyError, MoneyParser, to_minor
from rulrr_desktop.core.mapping.result import MappingResult
from rulrr_desktop.core.mapping.times import TimeError
from rulrr_desktop.core.sources.base import RawRecord, RecordRows

MapFunction = Callable[[list[RawRecord], MappingContext, MappingResult], None]
# A block mapper maps the order groups of one CSV batch straight from the picked values of its rows (see
# engine.map_rows): given the rows, their values of the preset's `pick` columns (`picked[i]`, None for a row the
# parser refused), the groups (indices of each order's rows, in order), the context, the result and `slow`
# (maps one group through `map_group`), it adds each group's orders in turn, or hands the group to `slow`.
RowsMapper = Callable[[RecordRows, list, list[list[int]], MappingContext, MappingResult,
                       Callable[[list[int]], None]], None]


@dataclass(frozen=True)
class Preset:
    key: str
    title: str
    grain: str                              # "line item", "order", "payment", "customer", "entity"
    required: tuple[str, ...]
    characteristic: tuple[str, ...] = ()    # columns that tell this export apart (for `auto`)
    order_id: str = ""                      # the order id column (it groups the rows of "line item" grains)
    date_columns: tuple[str, ...] = ()      # sampled to sniff the date format
    notes: str = ""
    map_group: MapFunction | None = field(default=None, compare=False, repr=False)
    store_columns: tuple[tuple[str, str], ...] = ()   # (Rulrr store field, export column): what the export knows
    version: int = 1                        # bump when the mapping rules change (the ledger retries quarantine)
    # a block mapper that gives the same result as `map_group` from the values of the `pick` columns (the order
    # id among them), for a CSV file that has them all
    map_rows: RowsMapper | None = field(default=None, compare=False, repr=False)
    pick: tuple[str, ...] = ()
    # the `pick` columns other than the order id may be missing in a file: they are then picked as "" (for a
    # preset whose `map_group` reads a missing column as an empty one, and whose block mapper declines a group
    # wherever `map_group` would need the column to be there)
    pick_optional: bool = False

    @property
    def group_by(self) -> str | None:
        return self.order_id if self.grain == "line item" else None

    def missing(self, headers: tuple[str, ...] | list[str]) -> list[str]:
        present = set(headers)
        return [c for c in self.required if c not in present]


def clean_id(text: str) -> str:
    """An id as the POS wrote it, without spaces or a spreadsheet apostrophe."""
    if text and text[0] == "'":
        text = text[1:]
    return text.strip()


def amount(parse: MoneyParser, row: RawRecord, column: str, *, optional: bool = False) -> int:
    """The money in `column` of `row`, in minor units; a bad value becomes a RowProblem naming the column."""
    text = row.fields[column] if not optional else row.fields.get(column, "")
    try:
        return parse.optional(text) if optional else parse(text)
    except MoneyError as exc:
        if not (text or "").strip():
            raise RowProblem(f"the {column} amount is empty", row.where) from None
        raise RowProblem(f"the {column} amount {exc}", row.where) from exc


_QTY: dict[str, str] = {}


def quantity(text: str, where: str = "") -> str:
    """`"2.0"` → `"2"`, `"0.500"` → `"0.5"`, `""` → `"1"` (a decimal string, never a float)."""
    try:
        return _QTY[text]
    except KeyError:
        pass
    s = text.strip() or "1"
    try:
        value = Decimal(s.replace(",", ""))
        if not value.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        raise RowProblem(f"the quantity {text.strip()!r} is not a number", where) from None
    normal = value.normalize()
    out = f"{normal:f}"
    if len(_QTY) < 10_000:
        _QTY[text] = out
    return out


def line_total(unit_minor: int, qty: str, discount_minor: int = 0) -> int:
    """unit price × quantity − discount, rounded half-even to minor units, in Decimal."""
    if qty == "1":
        return unit_minor - discount_minor
    return to_minor(Decimal(unit_minor) * Decimal(qty), 0) - discount_minor


def when(ctx: MappingContext, row: RawRecord, column: str, zone_text: str = ""):
    """The aware UTC time in `column` of `row`; a bad value becomes a RowProblem naming the column."""
    text = row.fields[column]
    try:
        return ctx.dates.utc(text, zone_text)
    except TimeError as exc:
        if not text.strip():
            raise RowProblem(f"the {column} is empty", row.where) from None
        raise RowProblem(f"the {column} {text.strip()!r} cannot be read: {exc}", row.where) from None


def refund_suffix(moment) -> str:
    """The deterministic suffix of a refund order's id: `-R` + the refund's UTC time (YYYYMMDDHHMMSS)."""
    return "-R" + moment.strftime("%Y%m%d%H%M%S")


SKIP_STATES = frozenset({"cancelled", "canceled", "open", "failed", "fail", "voided", "void", "deleted",
                         "pending", "expired", "declined"})


def is_skipped_state(text: str) -> bool:
    """Cancelled, open, failed, voided, pending: not a sale (yet); skipped and counted, not an error."""
    return text.strip().lower() in SKIP_STATES if text else False
