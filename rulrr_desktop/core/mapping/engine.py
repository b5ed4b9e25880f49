"""Runs a preset over a list of raw records: groups line items into orders, catches what one group cannot map
and quarantines it (with file:line and a reason) so that one bad row never stops the line.

Rows of one order are grouped by (file, order id), not by order id alone: the same order read from two
overlapping exports must not merge into one order with doubled lines; instead the second copy is dropped by
the batch's dedupe (first seen wins).
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any, Callable

from rulrr_desktop.core.mapping.context import MappingContext
from rulrr_desktop.core.mapping.errors import RowProblem
from rulrr_desktop.core.mapping.preset import Preset, clean_id
from rulrr_desktop.core.mapping.result import MappingResult
from rulrr_desktop.core.mapping.times import TimeError
from rulrr_desktop.core.mapping.money import MoneyError
from rulrr_desktop.core.sources.base import RawRecord, RecordRows


def map_records(records: list[RawRecord], preset: Preset, ctx: MappingContext,
                result: MappingResult | None = None) -> MappingResult:
    """Maps `records` with `preset` into `result` (a new one if None) and returns it."""
    out = result if result is not None else MappingResult()
    fn = preset.map_group
    if fn is None:
        raise ValueError(f"preset {preset.key} has no mapping")
    column = preset.order_id
    if preset.grain == "entity":
        groups = [records]
    elif preset.grain != "line item":
        groups = [[r] for r in records]
    else:
        by_key: dict[tuple[str, str], list[RawRecord]] = {}
        groups = []
        group: list[RawRecord] = []
        last_value: str | None = None
        last_prefix = "\0"
        unread: dict[str, str] = {}      # file → the line of its last unreadable record
        seen: dict[int, str] = {}        # id(group) → that file's unreadable line when the group last grew
        cut: dict[int, str] = {}         # id(group) → an unreadable line among its lines
        for record in records:
            value = record.fields.get(column)
            where = record.where
            # the fast path: the next line of the same order in the same file (adjacent rows)
            if value == last_value and where.startswith(last_prefix):
                group.append(record)
                continue
            key = clean_id(value) if value else ""
            fname, _, line = where.rpartition(":")
            if not key:
                out.quarantine(where, _no_order(column, value, bool(record.fields)))
                if not record.fields:
                    unread[fname] = line
                last_value, last_prefix = None, "\0"    # the next row joins no order before this one
                continue
            gkey = (fname, key)
            group = by_key.get(gkey)  # type: ignore[assignment]
            if group is None:
                group = by_key[gkey] = []
                groups.append(group)
            elif unread.get(fname, "") != seen[id(group)]:
                cut.setdefault(id(group), unread[fname])
            seen[id(group)] = unread.get(fname, "")
            group.append(record)
            last_value, last_prefix = value, fname + ":"
        if cut:
            groups = _drop_cut(groups, lambda g: cut.get(id(g)), lambda g: (g[0].where, _order_id(preset, g)), out)
    for group in groups:
        _map_group(fn, group, preset, ctx, out)
    return out


def _drop_cut(groups: list, cut_by: Callable[[Any], str | None], identify: Callable[[Any], tuple[str, str]],
              out: MappingResult) -> list:
    """`groups` without the orders that have an unreadable line among their lines, which are quarantined: an
    order is sent once, and this one would stay short of that line (and its total wrong) forever."""
    kept = []
    for group in groups:
        line = cut_by(group)
        if line is None:
            kept.append(group)
            continue
        where, order_id = identify(group)
        out.quarantine(where, f"line {line} could not be read, and it sits between this order's lines, so the "
                              f"order's total would be wrong", order_id)
    return kept


def _map_group(fn, group: list[RawRecord], preset: Preset, ctx: MappingContext, out: MappingResult) -> None:
    """One group through the preset's map function; what it cannot map is quarantined."""
    try:
        fn(group, ctx, out)
    except RowProblem as problem:
        out.quarantine(problem.where or group[0].where, problem.reason, _order_id(preset, group))
    except KeyError as exc:
        out.quarantine(group[0].where, f"the column {exc.args[0]!r} that the preset '{preset.key}' needs "
                                       f"is missing in this file", _order_id(preset, group))
    except (MoneyError, TimeError) as exc:
        out.quarantine(group[0].where, str(exc), _order_id(preset, group))


def map_rows(rows: RecordRows, preset: Preset, ctx: MappingContext,
             result: MappingResult | None = None) -> MappingResult:
    """Maps the rows of one CSV batch: the same result as `map_records(rows.records(), ...)`, without a
    RawRecord or a dict per row when the preset has a block mapper (`Preset.map_rows`) and the file has its
    `pick` columns. Rows are grouped by order id the way `map_records` groups records; a group the block
    mapper declines (anything unusual: a bad amount, a new menu line, a missing currency) goes through
    `map_group`. With `Preset.pick_optional`, the file needs only the order id column; the others it lacks
    are picked as ""."""
    pick = preset.pick
    fast = preset.map_rows
    columns = rows.columns
    complete = all(c in columns for c in pick)
    if (fast is None or preset.grain != "line item" or preset.map_group is None or preset.order_id not in pick
            or preset.order_id not in columns or not (complete or preset.pick_optional)):
        return map_records(rows.records(), preset, ctx, result)
    picked = rows.picked if rows.pick == pick else None
    if picked is None:                 # the reader did not pick them: take them from the rows here
        if complete:
            getter = itemgetter(*(columns[c] for c in pick))
            picked = [getter(v) if v else None for v in rows.values]
        else:                          # a missing column is the last value of the row with "" appended
            getter = itemgetter(*(columns.get(c, -1) for c in pick))
            blank = [""]
            picked = [getter(v + blank) if v else None for v in rows.values]
    out = result if result is not None else MappingResult()
    column = preset.order_id
    oi = pick.index(column)
    by_key: dict[str, list[int]] = {}
    groups: list[list[int]] = []
    group: list[int] | None = None
    last_value: str | None = None
    unread = -1                          # the last row the parser refused
    cut: dict[int, int] = {}             # id(group) → a refused row among its rows
    for i, row in enumerate(picked):
        value = row[oi] if row is not None else None
        # the next line of the same order (adjacent rows)
        if value == last_value and group is not None:
            group.append(i)
            continue
        key = clean_id(value) if value else ""
        if not key:
            out.quarantine(rows.where(i), _no_order(column, value, row is not None))
            if row is None:
                unread = i
            last_value, group = None, None       # the next row joins no order before this one
            continue
        group = by_key.get(key)
        if group is None:
            group = by_key[key] = []
            groups.append(group)
        elif unread > group[-1]:
            cut.setdefault(id(group), unread)
        group.append(i)
        last_value = value
    if cut:
        lines = rows.lines
        groups = _drop_cut(groups, lambda g: None if id(g) not in cut else str(lines[cut[id(g)]]),
                           lambda g: (rows.where(g[0]), clean_id(picked[g[0]][oi])), out)
    fn = preset.map_group
    record = rows.record
    fast(rows, picked, groups, ctx, out,
         lambda group: _map_group(fn, [record(i) for i in group], preset, ctx, out))
    return out


def _no_order(column: str, value: str | None, readable: bool) -> str:
    """Why a row with no order id is quarantined, in the staff's words."""
    if not readable:
        return "the line could not be read as CSV (a broken quote?), so it belongs to no order"
    if value is None:
        return f"the column '{column}' is missing in this file"
    return f"the {column} is empty, so the row belongs to no order"


def _order_id(preset: Preset, group: list[RawRecord]) -> str:
    if not preset.order_id or not group or preset.grain == "entity":
        return ""
    return clean_id(group[0].fields.get(preset.order_id, ""))
