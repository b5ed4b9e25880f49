"""The application shell: wiring of tray, window and worker; one instance per profile; a clean quit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rulrr_desktop.core.status_text import SyncState
from rulrr_desktop.ui.app import DesktopApp

from ui_support import STATES

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def desktop(fake_backend, qtbot):
    app = DesktopApp(fake_backend, tray_available=True, interval_s=3600, jitter_s=0.1)
    yield app
    app.close()


def test_tray_and_window_follow_the_worker(qtbot, desktop, fake_backend):
    fake_backend.status_value = STATES["attention"]
    with qtbot.waitSignal(desktop.worker.passFinished, timeout=10_000):
        desktop.start(first_run=False)
    qtbot.waitUntil(lambda: desktop.tray.state is SyncState.ATTENTION)
    assert desktop.window.isVisible()
    assert desktop.window.quarantine_value.text() == "3"
    desktop.tray.problemsRequested.emit()
    dialog = desktop._dialogs[-1]
    assert dialog.table.rowCount() == 3
    dialog.close()
    # Pause from the tray reaches the worker and comes back as a status
    desktop.tray.pause_action.trigger()
    qtbot.waitUntil(lambda: desktop.tray.state is SyncState.PAUSED)
    assert desktop.window.pause_button.text() == "&Resume"
    with qtbot.waitSignal(desktop.worker.passFinished, timeout=10_000):
        desktop.window.pause_button.click()
    # closing the window keeps the app in the tray
    desktop.window.close()
    assert not desktop.window.isVisible() and desktop.worker.running
    desktop.tray.openRequested.emit()
    assert desktop.window.isVisible()


def test_first_run_opens_the_wizard(qtbot, desktop):
    desktop.start()                      # no connection record in the fresh home: set-up first
    assert desktop.wizard is not None and desktop.wizard.isVisible()
    assert not desktop.window.isVisible()
    desktop.tray.openRequested.emit()    # the tray's Open brings the wizard back, not an empty window
    assert not desktop.window.isVisible()


def test_diagnostics_export_from_the_window(qtbot, desktop, tmp_path, fake_backend):
    import zipfile
    desktop.start(first_run=False)
    target = tmp_path / "diag.zip"
    desktop.export_diagnostics(str(target))
    qtbot.waitUntil(target.exists, timeout=10_000)
    qtbot.waitUntil(lambda: "Diagnostics saved" in desktop.window.statusBar().currentMessage(), timeout=10_000)
    assert "status.json" in zipfile.ZipFile(target).namelist()


def _launch(home: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "RULRR_DESKTOP_HOME": str(home), **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "rulrr_desktop", "app", *extra], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)   # polling a condition with a deadline (not synchronisation by sleeping)
    return predicate()


def test_one_instance_per_profile_and_a_clean_quit(tmp_path):
    home = tmp_path / "home"
    log = home / "profiles" / "default" / "logs" / "rulrr-desktop.log"
    first = _launch(home)
    try:
        started = _wait_for(lambda: first.poll() is not None
                            or (log.exists() and "started (profile default" in log.read_text()), 60)
        assert started and first.poll() is None, (first.returncode, first.stderr.read() if first.poll() is not None
                                                  else "not started within 60 s")
        second = _launch(home)
        assert second.wait(60) == 0, second.stderr.read()  # it handed over and left
        assert _wait_for(lambda: "a second launch asked" in log.read_text(), 30)
        assert first.poll() is None                       # the first one still runs
        other = _launch(home, "--profile", "cafe")        # another store on the same machine is its own app
        try:
            other_log = home / "profiles" / "cafe" / "logs" / "rulrr-desktop.log"
            assert _wait_for(lambda: other_log.exists() and "started" in other_log.read_text(), 60)
            assert other.poll() is None
        finally:
            other.send_signal(signal.SIGTERM)
            assert other.wait(30) == 0
        first.send_signal(signal.SIGTERM)                 # a logout: quit cleanly
        assert first.wait(30) == 0
    finally:
        for proc in (first,):
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_what_is_logged_before_the_first_frame_reaches_the_log_file(tmp_path):
    """The log file opens once the window is up; an app that quits right at its first frame (as the start-up
    bench makes it) still has its first lines in the file, stamped before that frame."""
    from datetime import datetime
    home = tmp_path / "home"
    proc = _launch(home, env={"RULRR_STARTUP_MARK": "1"})
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    ready = float(next(line for line in out.splitlines() if line.startswith("ready")).split()[1])
    log = (home / "profiles" / "default" / "logs" / "rulrr-desktop.log").read_text(encoding="utf-8")
    started = next(line for line in log.splitlines() if "Rulrr Desktop started (profile default)" in line)
    assert datetime.strptime(started[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp() <= ready


def test_one_launch_at_a_time_holds_a_profile(tmp_path):
    from rulrr_desktop.core.config import AppPaths
    from rulrr_desktop.ui.single_instance import claim_profile
    paths = AppPaths.resolve(tmp_path, "default")
    first = claim_profile(paths)
    assert first is not None and first.held
    assert claim_profile(paths) is None          # a second launch (another open file) is refused
    first.release()
    again = claim_profile(paths)                 # released (or its process gone): the next launch takes it
    assert again is not None
    again.release()


def test_a_launch_without_options_is_what_the_parser_makes_of_it():
    from rulrr_desktop import cli
    parsed = cli.build_parser(only="app").parse_args(["app"])
    assert vars(cli.plain_app_launch()) == vars(parsed)


def test_the_web_engine_is_not_loaded_to_show_the_window():
    code = ("import sys; import rulrr_desktop.ui.app, rulrr_desktop.ui.main_window, rulrr_desktop.ui.tray; "
            "print(sorted(m for m in sys.modules if 'WebEngine' in m))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_disconnect_asks_then_forgets_the_store(qtbot, desktop, fake_backend, monkeypatch):
    from PySide6.QtWidgets import QMessageBox
    answers = []
    monkeypatch.setattr(QMessageBox, "question", staticmethod(
        lambda *a, **k: answers.append(a[1]) or QMessageBox.StandardButton.Yes))
    with qtbot.waitSignal(desktop.worker.passFinished, timeout=10_000):
        desktop.start(first_run=False)
    assert desktop.window.disconnect_button.isEnabled()
    desktop.window.disconnect_button.click()
    assert answers == ["Disconnect from Rulrr?"]
    qtbot.waitUntil(lambda: desktop.tray.state is SyncState.NOT_CONNECTED, timeout=10_000)
    assert desktop.window.store_label.text() == "Not connected"
    assert desktop.window.reconnect_button.text() == "&Connect…"
    assert not desktop.window.disconnect_button.isEnabled()


def test_after_close_no_command_builds_or_starts_a_worker(qtbot, fake_backend):
    from PySide6.QtCore import QTimer
    app = DesktopApp(fake_backend, tray_available=True, interval_s=3600, jitter_s=0.1)
    ran: list[str] = []
    QTimer.singleShot(0, app.sync_now)                    # a timer or a queued tray click, due after close()
    QTimer.singleShot(0, lambda: ran.append("after it"))
    app.close()
    app.sync_now()
    app.refresh()
    app.set_paused(True)
    app.set_paused(False)
    app.tray.syncNowRequested.emit()
    app.tray.pauseToggled.emit(True)
    app.window.syncNowRequested.emit()
    app._start_worker()
    qtbot.waitUntil(lambda: ran == ["after it"])          # the queued sync_now has run (and done nothing)
    assert app._worker is None
    app.set_online(False)                                 # the network and sleep watch's commands
    app.system_resumed()
    assert app._worker is None and app.worker is None
    assert not app.window.isVisible()
    app.close()                                           # still idempotent


def test_after_close_a_started_worker_is_never_restarted(qtbot, fake_backend):
    from PySide6.QtCore import QTimer
    app = DesktopApp(fake_backend, tray_available=True, interval_s=3600, jitter_s=0.1)
    with qtbot.waitSignal(app.worker.passFinished, timeout=10_000):
        app.start(first_run=False)
    worker = app.worker
    app.close()
    assert not worker.running
    passes = fake_backend.passes
    ran: list[str] = []
    app.sync_now()
    app.tray.syncNowRequested.emit()
    app._start_worker()
    app.open()                                            # a late tray "Open" shows nothing on a closing app
    QTimer.singleShot(0, lambda: ran.append("later"))
    qtbot.waitUntil(lambda: ran == ["later"])
    assert app.worker is worker and not worker.running and worker._thread is None
    assert fake_backend.passes == passes and not app.window.isVisible()
