"""Runs a preset over a list of raw records: groups line items into orders, catches what one group cannot map
and quarantines it (with file:line and a reason) so that one bad row never stops the line.

Rows of one order are grouped by (file, order id), not by order id alone: the same order read from two
overlapping exports must not merge into one order with doubled lines; instead the second copy is dropped by
the batch's dedupe (first seen wins).
"""

from __future__ import annotations

from rulrr_desktop.core.mapping.context import MappingContext
from rulrr_desktop.core.mapping.errors import RowProblem
from rulrr_desktop.core.mapping.preset import Preset, clean_id
from rulrr_desktop.core.mapping.result import MappingResult
from rulrr_desktop.core.mapping.times import TimeError
from rulrr_desktop.core.mapping.money import MoneyError
from rulrr_desktop.core.sources.base import RawRecord


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
        for record in records:
            value = record.fields.get(column)
            where = record.where
            # the fast path: the next line of the same order in the same file (adjacent rows)
            if value == last_value and where.startswith(last_prefix):
                group.append(record)
                continue
            key = clean_id(value) if value else ""
            if not key:
                if value is None:
                    out.quarantine(where, f"the column '{column}' is missing in this file")
                else:
                    out.quarantine(where, f"the {column} is empty, so the row belongs to no order")
                last_value = None
                continue
            fname = where.rpartition(":")[0]
            gkey = (fname, key)
            group = by_key.get(gkey)  # type: ignore[assignment]
            if group is None:
                group = by_key[gkey] = []
                groups.append(group)
            group.append(record)
            last_value, last_prefix = value, fname + ":"
    for group in groups:
        try:
            fn(group, ctx, out)
        except RowProblem as problem:
            out.quarantine(problem.where or group[0].where, problem.reason, _order_id(preset, group))
        except KeyError as exc:
            out.quarantine(group[0].where, f"the column {exc.args[0]!r} that the preset '{preset.key}' needs "
                                           f"is missing in this file", _order_id(preset, group))
        except (MoneyError, TimeError) as exc:
            out.quarantine(group[0].where, str(exc), _order_id(preset, group))
    return out


def _order_id(preset: Preset, group: list[RawRecord]) -> str:
    if not preset.order_id or not group or preset.grain == "entity":
        return ""
    return clean_id(group[0].fields.get(preset.order_id, ""))
