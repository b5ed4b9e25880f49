"""Fixtures of the desktop-app tests: a scripted backend (so every screen and tray state can be shown without a
sandbox), a folder for the PNG grabs, and a DesktopApp that is always quit at the end of its test."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from rulrr_desktop.core.config import AppPaths, Settings, SourceSettings
from rulrr_desktop.core.status_text import Progress, SyncStatus
from rulrr_desktop.ui.backend import PreviewResult, PreviewRow
from ui_support import PROBLEMS, sample_status, write_generic_export


@pytest.fixture(autouse=True)
def destroy_windows_after_test(qapp):
    """Every top-level window of a test is deleted at its end, while Qt is fully alive: leaving them to the
    interpreter's exit deletes Qt objects in random order (a web engine page after its profile) and crashes.
    The process-wide settings of ui.runtime (GC thresholds, frozen heap, GIL switch interval) are put back, so
    the tests of other areas that run after these in the same process see a default interpreter."""
    import gc
    import sys
    thresholds, switch, enabled = gc.get_threshold(), sys.getswitchinterval(), gc.isenabled()
    yield
    from rulrr_desktop.ui import runtime
    gc.set_threshold(*thresholds)
    sys.setswitchinterval(switch)
    gc.unfreeze()
    if enabled:
        gc.enable()
    runtime._tuned = False
    from PySide6.QtCore import QCoreApplication, QEvent
    qapp.processEvents()          # signals still queued (a stopped worker's last status) reach live objects
    for widget in qapp.topLevelWidgets():
        widget.hide()
        widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qapp.processEvents()
    gc.collect()


@pytest.fixture(scope="session")
def screens_dir(tmp_path_factory) -> Path:
    """Where the PNG grabs go: $RULRR_SCREENS_DIR if set (to look at them), else a tmp folder."""
    target = os.environ.get("RULRR_SCREENS_DIR")
    path = Path(target) if target else tmp_path_factory.mktemp("screens")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def grab(screens_dir: Path, qtbot):
    def save(widget, name: str) -> Path:
        from PySide6.QtWidgets import QApplication
        QApplication.processEvents()      # pending layout requests, as the event loop would run them
        widget.repaint()
        path = screens_dir / f"{name}.png"
        assert widget.grab().save(str(path)), path
        assert path.stat().st_size > 1000
        return path
    return save


@dataclass
class FakeBackend:
    """Stands in for CoreBackend: statuses and passes are scripted; settings live in memory."""

    paths: AppPaths
    status_value: SyncStatus = field(default_factory=sample_status)
    saved: list[Settings] = field(default_factory=list)
    passes: int = 0
    fail_with: BaseException | None = None
    block: threading.Event | None = None
    preview_result: PreviewResult | None = None
    _settings: Settings = field(default_factory=Settings)

    def settings(self) -> Settings:
        return Settings.from_dict(self._settings.to_dict())

    def save(self, settings: Settings) -> None:
        self._settings = settings
        self.saved.append(settings)

    def status(self) -> SyncStatus:
        return self.status_value

    def sync_once(self, stop, progress) -> None:
        self.passes += 1
        progress(Progress(1, 2, 10.0))
        if self.block is not None:
            self.block.wait(30)
        if self.fail_with is not None:
            raise self.fail_with

    def disconnect(self) -> None:
        self.status_value = SyncStatus()

    def presets(self):
        return [("auto", "Recognise automatically"), ("square-item-sales", "Square: Item Sales"),
                ("generic-csv", "Generic CSV (Rulrr column names)")]

    def preview(self, source: SourceSettings, limit: int = 20) -> PreviewResult:
        if self.preview_result is not None:
            return self.preview_result
        rows = tuple(PreviewRow(f"T-10{i:02d}", f"2{i % 9} Jun 2026 1{i % 10}:05", f"{4 + i}.50 USD",
                                "Jane Doe" if i % 3 else "", 1 + i % 3) for i in range(12))
        return PreviewResult("square-item-sales", rows, orders=1204, skipped=4, problems=PROBLEMS,
                             store={"storeCurrency": "USD", "timezone": "America/New_York"})


@pytest.fixture
def fake_backend(app_home: AppPaths) -> FakeBackend:
    app_home.ensure()
    return FakeBackend(app_home)


# --- a generic-csv POS export for the tests that run against the sandbox ------------------------------------
STORE = {"storeName": "Bridge Street Bakery", "storeAddress": "120 Bridge Street", "storeCountryCode": "US",
         "storeCurrency": "USD", "timezone": "America/New_York"}


@pytest.fixture
def connected_profile(app_home: AppPaths, partner_file: Path, sandbox, tmp_path: Path):
    """A profile connected to store-1 of the sandbox (tokens in the test's keyring), reading tmp/pos/orders.csv
    with generic-csv. Returns (paths, export path)."""
    from rulrr_desktop.core.config import save_settings
    from rulrr_desktop.core.connect import ConnectSession, ConnectState
    from rulrr_desktop.core.credentials import resolve_credentials
    export = tmp_path / "pos" / "orders.csv"
    write_generic_export(export, 0)
    app_home.ensure()
    settings = Settings.from_dict({
        "rulrr": {"api_url": sandbox.url, "connect_url": sandbox.connect_url, "client_id": "demo-pos"},
        "source": {"kind": "csv", "path": str(export), "preset": "generic-csv"},
        "store": dict(STORE), "sync": {"interval_seconds": 3600, "concurrency": 8}})
    save_settings(app_home, settings)
    session = ConnectSession(app_home, resolve_credentials(settings))
    try:
        session.start()
        sandbox.finish(session.integration_token, "store-1")
        assert session.poll() is ConnectState.FINISHED
        assert session.exchange_and_store() is ConnectState.STORED
    finally:
        session.close()
    return app_home, export
