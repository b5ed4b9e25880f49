"""The one door from the UI to the core services of a profile: status snapshot, one sync pass, preview,
presets, disconnect.

Qt-free on purpose: every method here may block (SQLite, files, HTTP), so the UI calls it only from the
worker thread (`ui.worker`). Tests pass a fake with the same methods to drive every screen and tray state
without a sandbox; the app uses `CoreBackend`, which wires the real ledger, connection record and SyncEngine.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Protocol

from rulrr_desktop.core.config import AppPaths, Settings, SourceSettings, load_settings, save_settings
from rulrr_desktop.core.errors import AppError
from rulrr_desktop.core.status_text import ProblemRow, Progress, SyncStatus

log = logging.getLogger(__name__)

ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class PreviewRow:
    """One order as it will be sent, flattened for the preview table."""

    order_id: str
    date: str
    total: str
    customer: str
    items: int


@dataclass(frozen=True)
class PreviewResult:
    """What the wizard's Data source page shows: the recognised preset, the first orders, and the problems."""

    preset: str
    rows: tuple[PreviewRow, ...] = ()
    orders: int = 0
    skipped: int = 0
    problems: tuple[ProblemRow, ...] = ()
    store: dict[str, str] = field(default_factory=dict)
    error: str = ""


class Backend(Protocol):
    paths: AppPaths

    def settings(self) -> Settings: ...
    def save(self, settings: Settings) -> None: ...
    def status(self) -> SyncStatus: ...
    def sync_once(self, stop: threading.Event, progress: ProgressCallback) -> None: ...
    def disconnect(self) -> None: ...
    def presets(self) -> list[tuple[str, str]]: ...
    def preview(self, source: SourceSettings, limit: int = 20) -> PreviewResult: ...


def _money(minor: Any, currency: str) -> str:
    try:
        from rulrr_desktop.core.mapping.money import exponent  # type: ignore[attr-defined]
        exp = exponent(currency)
    except Exception:
        exp = 0 if currency in ("JPY", "KRW", "VND", "CLP", "ISK") else 3 if currency in ("KWD", "BHD", "OMR", "JOD", "TND") else 2
    try:
        value = int(minor)
    except (TypeError, ValueError):
        return str(minor)
    sign = "-" if value < 0 else ""
    value = abs(value)
    if exp == 0:
        return f"{sign}{value:,} {currency}".strip()
    return f"{sign}{value // 10 ** exp:,}.{value % 10 ** exp:0{exp}d} {currency}".strip()


def preview_rows(orders: list[dict], limit: int = 20) -> tuple[PreviewRow, ...]:
    """Order bodies as POSTed → rows a clerk can read (money in major units, local date)."""
    rows = []
    for body in orders[:limit]:
        customer = body.get("customer") or {}
        who = " ".join(p for p in (customer.get("firstName", ""), customer.get("lastName", "")) if p)
        who = who or customer.get("email", "") or customer.get("phoneNumber", "") or customer.get("customerId", "")
        when = body.get("orderDate", "")
        try:
            when = datetime.fromisoformat(when.replace("Z", "+00:00")).astimezone().strftime("%d %b %Y %H:%M")
        except ValueError:
            pass
        rows.append(PreviewRow(str(body.get("orderId", "")), when,
                               _money(body.get("orderTotal", ""), body.get("currency", "")),
                               who, len(body.get("items") or ())))
    return tuple(rows)


class CoreBackend:
    """The real services of one profile (ledger, connection record, tokens, SyncEngine)."""

    def __init__(self, paths: AppPaths) -> None:
        self.paths = paths
        self._ledger = None
        self._engine = None
        self._lock = threading.Lock()

    # --- settings ---------------------------------------------------------------------------------------------
    def settings(self) -> Settings:
        return load_settings(self.paths)

    def save(self, settings: Settings) -> None:
        save_settings(self.paths, settings)
        with self._lock:
            self._engine = None   # the next pass builds an engine with the new settings

    # --- status -----------------------------------------------------------------------------------------------
    _progress: ProgressCallback = staticmethod(lambda p: None)

    def _open_ledger(self):
        if self._ledger is None and self.paths.ledger_file.exists():
            from rulrr_desktop.core.ledger import Ledger
            self._ledger = Ledger(self.paths.ledger_file)
        return self._ledger

    def status(self) -> SyncStatus:
        from rulrr_desktop.core import connection as connection_record
        conn = connection_record.load(self.paths)
        settings = self.settings()
        source = Path(settings.source.path).name if settings.source.path else ""
        preset = settings.source.preset
        try:
            from rulrr_desktop.core.mapping.presets import get_preset
            preset = get_preset(preset).title
        except Exception:       # "auto" or an unknown name: show it as it is
            pass
        status = SyncStatus(
            connected=conn is not None and not conn.needs_reconnect,
            store_name=conn.store_name if conn else "",
            token_expires=conn.expires_at if conn else None,
            source_label=f"{source} ({preset})" if source else "",
        )
        if conn is not None and conn.needs_reconnect:
            from rulrr_desktop.core.api.errors import NotAuthorised
            from rulrr_desktop.core.status_text import ErrorInfo
            status = status.with_changes(connected=True, error=ErrorInfo.of(NotAuthorised("")))
        ledger = self._open_ledger()
        if ledger is None:
            return status
        counts = ledger.counts()
        history = ledger.history(30)
        problems = tuple(ProblemRow(q.where, q.reason) for q in ledger.quarantine(200))
        return status.with_changes(
            last_sync=ledger.last_sync(),
            delivered_today=ledger.delivered_on(),
            delivered_total=counts.delivered,
            pending=counts.unsent,
            quarantined=counts.quarantined,
            problems=problems,
            daily=tuple((date.fromisoformat(d), n) for d, n in history),
        )

    # --- sync ---------------------------------------------------------------------------------------------
    def sync_once(self, stop: threading.Event, progress: ProgressCallback) -> None:
        """One pass of the real SyncEngine; its error (in the report) is raised for the worker to show."""
        with self._lock:
            if self._engine is None:
                from rulrr_desktop.core.sync import build_engine
                self._progress = progress
                self._engine = build_engine(self.paths, progress=lambda p: self._progress(_as_progress(p)))
            engine = self._engine
            self._progress = progress
        report = engine.run_once(stop)
        if report.error is not None:
            raise report.error

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None
            if self._ledger is not None:
                self._ledger.close()
                self._ledger = None

    def disconnect(self) -> None:
        from rulrr_desktop.core import connection as connection_record
        from rulrr_desktop.core.secrets import TokenStore
        self.close()
        TokenStore(self.paths.profile).delete()
        connection_record.forget(self.paths)

    # --- wizard -------------------------------------------------------------------------------------------------
    def presets(self) -> list[tuple[str, str]]:
        from rulrr_desktop.core.mapping.presets import AUTO, PRESETS
        return [(AUTO, "Recognise automatically")] + [(p.key, p.title) for p in PRESETS.values()]

    def preview(self, source: SourceSettings, limit: int = 20) -> PreviewResult:
        from rulrr_desktop.core.pipeline import Pipeline
        settings = self.settings()
        settings.source = source
        try:
            pipeline = Pipeline(settings)
            result = pipeline.read_all()
            info = pipeline.info()
            store = dict(pipeline.store_profile().fields)
        except AppError as exc:
            return PreviewResult(source.preset, error=exc.message)
        if info.currency and not store.get("storeCurrency"):
            store["storeCurrency"] = info.currency
        if info.timezone and not store.get("timezone"):
            store["timezone"] = info.timezone
        return PreviewResult(
            preset=info.preset,
            rows=preview_rows([o.to_api() for o in result.orders[:limit]], limit), orders=len(result.orders),
            skipped=int(result.skipped),
            problems=tuple(ProblemRow(q.where, q.reason) for q in result.quarantined),
            store=store)


def _as_progress(report: Any) -> Progress:
    """Whatever the engine reports (a dataclass or a dict) → Progress."""
    if isinstance(report, Progress):
        return report
    get = report.get if isinstance(report, dict) else (lambda k, d=0: getattr(report, k, d))
    done = int(get("sent", 0) or get("done", 0) or 0)
    total = max(done, int(get("total", 0) or 0))
    return Progress(done=done, total=total, rate=float(get("rate", 0.0) or 0.0))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
