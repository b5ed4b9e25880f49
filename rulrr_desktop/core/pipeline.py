"""The one object that turns the configured POS source into Rulrr data: source → preset → mapped batches.

The sync engine and `preview` both use it, so what preview shows is what sync sends. It resolves the preset
(`auto` recognises it from the header), sniffs the source's date format once from the head of the source, and
maps each batch on its own (the reader never splits an order's adjacent rows when given the preset's order-id
column). A CSV batch is mapped from the values the reader picked for the preset's block mapper, with the
cyclic collector paused while a batch is read and mapped (see `gc_paused`). `mapping_fingerprint` changes
whenever something that changes the mapped result changes (preset and its version, column mapping, date
format, store currency, country and zone): the ledger then re-reads and retries what it quarantined.
"""

from __future__ import annotations

import gc
import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timezone, tzinfo
from typing import Any, Iterator

from rulrr_desktop.core.config import Settings
from rulrr_desktop.core.errors import ConfigError
from rulrr_desktop.core.mapping.context import MappingContext
from rulrr_desktop.core.mapping.engine import map_records, map_rows
from rulrr_desktop.core.mapping.errors import MissingColumns, UnrecognisedExport
from rulrr_desktop.core.mapping.preset import Preset
from rulrr_desktop.core.mapping.presets import AUTO, get_preset, recognise
from rulrr_desktop.core.mapping.result import MappingResult, Quarantined
from rulrr_desktop.core.mapping.times import DateOrder, TimeError, resolve_zone, sniff_date_order
from rulrr_desktop.core.model import STORE_FIELDS, Customer, Order, StoreProfile
from rulrr_desktop.core.sources.base import Batch, RawRecord, Source, SourceInfo

SNIFF_ROWS = 500


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch is read and mapped. They allocate hundreds of thousands of
    short-lived lists, tuples and orders and create no reference cycles, yet each allocation counts towards
    the next collection, and each collection walks every live container (the batch's rows included): that
    was a third of a full read. Reference counting still frees everything at once; the collector runs again
    from the next allocation after the pause (for the consumer of the batch, e.g. the ledger). Paused only
    while it is on (a caller that turned it off keeps it off); with threads, another thread's pause may end
    this one early, which only costs time."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@dataclass
class MappedBatch:
    orders: list[Order]
    customers: list[Customer]
    skipped: int
    quarantined: list[Quarantined]
    cursor: dict                # the source cursor after this batch
    rewritten: bool = False     # the source was rewritten: earlier cursors are void


@dataclass(frozen=True)
class PipelineInfo:
    """What the settings screen and `preview` show for confirmation."""

    source: SourceInfo
    preset: str
    preset_title: str
    confidence: float | None          # None when the preset was configured, not guessed
    date_order: str                   # "YYYY-MM-DD", "M/D/YYYY (month first)", ...
    date_ambiguous: bool
    date_format: str                  # the configured strptime format, or ""
    timezone: str
    currency: str
    fingerprint: str
    warnings: tuple[str, ...] = field(default_factory=tuple)


def open_configured_source(settings: Settings) -> Source:
    """The reader for `[source]` (the sources package owns the choice)."""
    from rulrr_desktop.core import sources
    opener = getattr(sources, "open_source", None)
    if opener is not None:
        return opener(settings.source)
    if settings.source.kind in ("", "csv"):  # until the sources package exports open_source
        from rulrr_desktop.core.sources.csv_source import CsvSource
        if not settings.source.path:
            raise ConfigError("no POS export is configured ([source] path)")
        return CsvSource(settings.source.path)
    raise ConfigError(f"the source kind {settings.source.kind!r} is not supported")


# Languages whose locales write money with a decimal comma ("1.149,00"); English and the CJK ones use a point.
_COMMA_LANGUAGES = {"de", "fr", "es", "it", "nl", "pt", "ru", "pl", "sv", "da", "nb", "no", "fi", "cs", "sk", "tr",
                    "id", "el", "hu", "ro", "bg", "hr", "sl", "sr", "uk", "lt", "lv", "et", "vi", "ca", "is"}


def _comma_locale(locale: str) -> bool:
    """`[source.mapping] locale = "fr-FR"` → the export writes decimal commas."""
    return locale.replace("_", "-").split("-")[0].lower() in _COMMA_LANGUAGES if locale else False


def _where_key(q: Quarantined) -> tuple[str, int, str]:
    name, _, line = q.where.rpartition(":")
    return (name, int(line), "") if line.isdigit() else (q.where, 0, "")


class Pipeline:
    """Source + preset + normalisation for one profile's settings (see the module doc)."""

    def __init__(self, settings: Settings, *, source: Source | None = None) -> None:
        self.settings = settings
        self._source = source
        self._preset: Preset | None = None
        self._confidence: float | None = None
        self._info: SourceInfo | None = None
        self._context: MappingContext | None = None
        self._date_order: DateOrder | None = None
        mapping = dict(settings.source.mapping or {})
        self._renames: dict[str, str] = {str(k): str(v) for k, v in dict(mapping.get("columns", {})).items()}
        self._decimal_comma = bool(mapping.get("decimal_comma", _comma_locale(str(mapping.get("locale", "")))))
        self._warnings: list[str] = []
        self._export_store: dict[str, str] = {}

    # -- resolution ----------------------------------------------------------------------------------------
    @property
    def source(self) -> Source:
        if self._source is None:
            self._source = open_configured_source(self.settings)
        return self._source

    def _source_info(self) -> SourceInfo:
        if self._info is None:
            self._info = self.source.info()
        return self._info

    def _headers(self) -> tuple[str, ...]:
        headers = self._source_info().headers
        if self._renames:
            back = {v: k for k, v in self._renames.items()}
            headers = tuple(back.get(h, h) for h in headers)
        return headers

    @property
    def preset(self) -> Preset:
        """The preset in use: the configured one, or for `auto` the one the header looks like. Raises
        UnrecognisedExport / MissingColumns when the export does not fit."""
        if self._preset is None:
            name = (self.settings.source.preset or AUTO).strip()
            kind = self._source_info().kind
            headers = self._headers()
            if name.lower() == AUTO:
                guess = recognise(headers, sql=kind == "sqlite")
                if guess is None:
                    raise UnrecognisedExport(headers)
                preset, self._confidence = guess.preset, guess.confidence
            else:
                preset = get_preset(name)
            if headers:
                missing = preset.missing(headers)
                if missing:
                    raise MissingColumns(preset.key, missing)
            self._preset = preset
        return self._preset

    @property
    def zone(self) -> tzinfo:
        text = self.settings.timezone
        if not text:
            return timezone.utc
        try:
            return resolve_zone(text)
        except TimeError:
            raise ConfigError(f"the store time zone {text!r} is not known",
                              action="Open Settings → Store and pick the time zone from the list.") from None

    @property
    def date_order(self) -> DateOrder:
        if self._date_order is None:
            self._date_order = self._sniff_dates()
        return self._date_order

    def _sniff_dates(self) -> DateOrder:
        preset = self.preset
        country = self.settings.store.get("storeCountryCode", "")
        if self.settings.source.date_format or not preset.date_columns:
            return DateOrder("ymd")
        samples: list[str] = []
        seen = 0
        batches = self.source.batches(None, batch_size=SNIFF_ROWS)
        try:
            for batch in batches:
                seen += len(batch.records)
                for record in self._renamed(batch.records):
                    for column in preset.date_columns:
                        value = record.fields.get(column, "")
                        if value and value.strip():
                            samples.append(value)
                if len(samples) >= SNIFF_ROWS or seen >= 4 * SNIFF_ROWS:
                    break
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                close()       # release the file or database now, not when the generator is collected
        return sniff_date_order(samples, country)

    def context(self) -> MappingContext:
        if self._context is None:
            store = self.settings.store
            self._context = MappingContext(currency=store.get("storeCurrency", ""),
                                           country=store.get("storeCountryCode", ""), zone=self.zone,
                                           date_order=self.date_order,
                                           date_format=self.settings.source.date_format,
                                           decimal_comma=self._decimal_comma)
        return self._context

    @property
    def mapping_fingerprint(self) -> str:
        preset = self.preset
        store = self.settings.store
        parts = {"preset": preset.key, "version": preset.version, "columns": self._renames,
                 "decimal_comma": self._decimal_comma, "date_format": self.settings.source.date_format,
                 "date_order": self.date_order.order, "currency": store.get("storeCurrency", "").upper(),
                 "country": store.get("storeCountryCode", "").upper(), "timezone": self.settings.timezone}
        raw = json.dumps(parts, sort_keys=True).encode()
        return hashlib.blake2b(raw, digest_size=12).hexdigest()

    # -- reading -------------------------------------------------------------------------------------------
    def _renamed(self, records: list[RawRecord]) -> list[RawRecord]:
        if not self._renames:
            return records
        back = {v: k for k, v in self._renames.items()}
        return [RawRecord(r.where, {back.get(k, k): v for k, v in r.fields.items()}, r.entity) for r in records]

    def map_batch(self, batch: Batch) -> MappedBatch:
        rows = batch.rows
        if rows is not None:               # a CSV batch: mapped from the parser's rows, no record objects
            if self._renames:
                rows = rows.renamed({v: k for k, v in self._renames.items()})
            if len(rows) and self.preset.store_columns and not self._export_store:
                self._remember_store(rows.record(0).fields)
            result = map_rows(rows, self.preset, self.context())
        else:
            records = self._renamed(batch.records)
            if records and self.preset.store_columns and not self._export_store:
                self._remember_store(records[0].fields)
            result = map_records(records, self.preset, self.context())
        return MappedBatch(result.orders, result.customers, result.skipped, result.quarantined, batch.cursor,
                           batch.rewritten)

    def _remember_store(self, fields: dict[str, str]) -> None:
        self._export_store = {k: fields[c].strip() for k, c in self.preset.store_columns
                              if fields.get(c, "").strip()}

    def batches(self, cursor: dict | None, *, batch_size: int = 5000) -> Iterator[MappedBatch]:
        """What is new since `cursor`, mapped. Each batch stands alone; an order read again from an
        overlapping file in a later batch is yielded again (the ledger dedupes by id + content hash)."""
        preset = self.preset
        group_by = preset.group_by
        if group_by and self._renames:
            group_by = self._renames.get(group_by, group_by)
        self.context()
        extra = {}
        if preset.pick and getattr(self.source, "picks_columns", False):
            # the reader picks out what the preset's block mapper reads (file column names)
            extra["pick"] = tuple(self._renames.get(c, c) for c in preset.pick)
        batches = self.source.batches(cursor, batch_size=batch_size, group_by=group_by, **extra)
        try:
            while True:
                with gc_paused():          # reading and mapping a batch makes no cycles (see gc_paused)
                    batch = next(batches, None)
                    if batch is None:
                        return
                    mapped = self.map_batch(batch)
                    if batch.rows is not None:
                        batch.rows.release()   # its rows die now, before the collector would walk them
                yield mapped
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                close()

    def read_all(self) -> MappingResult:
        """The whole source, mapped and deduped across batches (first seen wins): what `preview` shows."""
        total = MappingResult()
        for batch in self.batches(None):
            for order in batch.orders:
                total.add_order(order)
            for customer in batch.customers:
                total.add_customer(customer)
            total.skip(batch.skipped)
            total.quarantined.extend(batch.quarantined)
        total.quarantined.sort(key=_where_key)
        return total

    # -- the store -----------------------------------------------------------------------------------------
    def store_profile(self, hints: dict[str, str] | None = None) -> StoreProfile:
        """The store profile: what the export showed while it was read (e.g. Square's Location) and `hints`,
        overridden by the `[store]` config."""
        fields: dict[str, str] = dict(self._export_store)
        fields.update({k: str(v).strip() for k, v in (hints or {}).items() if k in STORE_FIELDS and v})
        for key, value in self.settings.store.items():
            if key in STORE_FIELDS and str(value).strip():
                fields[key] = str(value).strip()
        for key in ("storeCountryCode", "storeCurrency"):
            if key in fields:
                fields[key] = fields[key].upper()
        return StoreProfile(fields, self.settings.timezone)

    def info(self) -> PipelineInfo:
        warnings = list(self._warnings)
        if not self.settings.timezone:
            warnings.append("no store time zone is set: times without a zone are read as UTC "
                            "(Settings → Store → Time zone)")
        if not self.settings.store.get("storeCurrency") and self.preset.key.startswith(("square", "loyverse")):
            warnings.append("no store currency is set and this export carries none (Settings → Store)")
        order = self.date_order
        if order.ambiguous:
            warnings.append(f"the date format could not be told from the data; reading dates as {order.label} "
                            "(set [source] date_format to change it)")
        return PipelineInfo(self._source_info(), self.preset.key, self.preset.title, self._confidence,
                            order.label, order.ambiguous, self.settings.source.date_format,
                            self.settings.timezone, self.settings.store.get("storeCurrency", "").upper(),
                            self.mapping_fingerprint, tuple(warnings))

    def describe(self) -> dict[str, Any]:
        """`info()` as plain JSON-able data."""
        i = self.info()
        return {"source": {"kind": i.source.kind, "path": i.source.path, "files": list(i.source.files)},
                "preset": i.preset, "confidence": i.confidence, "dateOrder": i.date_order,
                "dateAmbiguous": i.date_ambiguous, "timezone": i.timezone, "currency": i.currency,
                "warnings": list(i.warnings)}
