"""Helpers of the mapping tests: the POS fixture files, raw records read from them with the stdlib csv module
(so mapping is tested apart from the incremental readers), and pipelines over the real CSV reader."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from rulrr_desktop.core.config import Settings
from rulrr_desktop.core.mapping.context import MappingContext
from rulrr_desktop.core.mapping.engine import map_records
from rulrr_desktop.core.mapping.presets import get_preset
from rulrr_desktop.core.mapping.times import resolve_zone
from rulrr_desktop.core.pipeline import Pipeline
from rulrr_desktop.core.sources.base import RawRecord

POS = Path(__file__).resolve().parent.parent / "fixtures" / "pos"


def read_records(path: Path, *, encoding: str = "utf-8-sig", delimiter: str = ",") -> list[RawRecord]:
    """RawRecords from a CSV file via csv.DictReader; `where` is "<name>:<line the record starts on>"."""
    text = path.read_bytes().decode(encoding)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    out: list[RawRecord] = []
    start = reader.line_num + 1
    for row in reader:
        out.append(RawRecord(f"{path.name}:{start}", {k: v or "" for k, v in row.items() if k is not None}))
        start = reader.line_num + 1
    return out


def context(tz: str = "America/New_York", currency: str = "USD", country: str = "US", **kw) -> MappingContext:
    return MappingContext(currency=currency, country=country, zone=resolve_zone(tz), **kw)


def map_file(path: Path, preset: str, **ctx_kw):
    return map_records(read_records(path), get_preset(preset), context(**ctx_kw))


def pipeline_for(path: Path, preset: str = "auto", *, tz: str = "America/New_York", currency: str = "USD",
                 country: str = "US", **source) -> Pipeline:
    """A Pipeline over the real configured reader for `path`."""
    settings = Settings.from_dict({
        "source": {"kind": "csv", "path": str(path), "preset": preset, **source},
        "store": {"storeName": "Test Store", "storeAddress": "1 Test Road", "storeCountryCode": country,
                  "storeCurrency": currency, "timezone": tz}})
    return Pipeline(settings)


def by_id(orders) -> dict:
    return {o.order_id: o for o in orders}
