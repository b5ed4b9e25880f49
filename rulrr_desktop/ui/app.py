"""The desktop app: one instance per profile, a tray icon, the main window or the first-run wizard, and the
sync loop on its worker thread.

`DesktopApp` wires the parts by signals (worker → tray/window, tray/window → worker commands) and owns no
sync logic. After `close()` every command is a no-op: a tray click or timer queued before it must not build a
fresh sync worker, start its thread or show a window on an app that is going away. `run_app()` is the entry
point of `rulrr-desktop` and of `rulrr-desktop demo`.

Start-up time: only what the first frame needs is imported before it (the tray, the main window, the status
read). The sync loop (ui.worker), the signal handlers, dialogs, the wizard, the log file, the network/sleep
watch and the start-at-login switch are imported when first used or once the window is up
(`DesktopApp.after_first_frame`); what is logged before the log file opens is held in memory until then
(core.logs). bench/startup.py measures it.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Callable

# The Qt-free modules come before PySide6: PySide6 reads the source of every module named by an import
# statement run after it loaded (its __feature__ check), ~0.2 ms each. The connection record is read at start.
from rulrr_desktop import APP_ID, APP_NAME
from rulrr_desktop.core import connection as connection_record
from rulrr_desktop.core.config import AppPaths
from rulrr_desktop.core.errors import AppError
from rulrr_desktop.core.logs import early_records_held, hold_early_records
from rulrr_desktop.core.status_text import ErrorInfo, SyncStatus
from rulrr_desktop.ui.backend import Backend, CoreBackend

from PySide6.QtCore import QObject, QTimer, Signal  # noqa: E402,I001 (after the Qt-free modules, see above)
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from rulrr_desktop.ui.icons import app_icon
from rulrr_desktop.ui.main_window import MainWindow
from rulrr_desktop.ui.tray import Tray

log = logging.getLogger(__name__)
QUIT_TIMEOUT_S = 10.0
STARTUP_MARK_ENV = "RULRR_STARTUP_MARK"


class DesktopApp(QObject):
    """The running app of one profile."""

    statusChanged = Signal(object)     # SyncStatus, as shown
    quitting = Signal()

    def __init__(self, backend: Backend, *, tray_available: bool | None = None,
                 connect_page_factory: Callable[[Backend, QWidget], QWidget] | None = None,
                 autostart_switch=None, interval_s: float | None = None, jitter_s: float = 10.0,
                 first_pass_delay_s: float = 0.0, autostart_factory: Callable[[], object] | None = None) -> None:
        super().__init__()
        self.backend = backend
        self.connect_page_factory = connect_page_factory
        self.demo = False
        self.worker_start_delay_ms = 0
        # the start-at-login switch, or a factory for it (built when the wizard or Settings first needs it)
        self._autostart_switch = autostart_switch
        self._autostart_factory = autostart_factory
        # work that waits until the first frame is up; runs just before the sync thread starts
        self.after_first_frame: list[Callable[[], None]] = []
        self.status = SyncStatus()
        self.tray = Tray(self)
        if tray_available is not None:
            self.tray.available = tray_available
        self.window = MainWindow()
        self.after_first_frame.append(self.window.add_shortcuts)
        self.window.set_tray_available(self.tray.available)
        self.wizard = None     # FirstRunWizard, imported when first needed (start-up time)
        self._worker = None    # SyncWorker, built when first needed (`worker`): after the first frame
        self._worker_options = {"interval_s": interval_s, "jitter_s": jitter_s,
                                "first_pass_delay_s": first_pass_delay_s}
        # progress reports come up to ten times a second: render the newest one at most every 200 ms
        self._pending: SyncStatus | None = None
        self._render_timer = QTimer(self.window)
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(200)
        self._render_timer.timeout.connect(self._render_pending)
        self._dialogs: list[QWidget] = []
        self._closed = False
        # tray → app
        self.tray.syncNowRequested.connect(self.sync_now)
        self.tray.pauseToggled.connect(self.set_paused)
        self.tray.openRequested.connect(self.open)
        self.tray.problemsRequested.connect(self.show_problems)
        self.tray.logFolderRequested.connect(self.open_log_folder)
        self.tray.quitRequested.connect(self.quit)
        # window → app
        w = self.window
        w.syncNowRequested.connect(self.sync_now)
        w.pauseToggled.connect(self.set_paused)
        w.problemsRequested.connect(self.show_problems)
        w.settingsRequested.connect(self.show_settings)
        w.logRequested.connect(self.show_log)
        w.diagnosticsRequested.connect(self.export_diagnostics)
        w.disconnectRequested.connect(self.disconnect)
        w.reconnectRequested.connect(self.reconnect)
        w.quitRequested.connect(self.quit)
        # a clock for "2 min ago": re-render once a minute without asking the worker
        # timers belong to the window, so they die with it
        self._clock = QTimer(self.window)
        self._clock.setInterval(30_000)
        self._clock.timeout.connect(lambda: self._show_status(self.status))

    # --- start and stop ----------------------------------------------------------------------------------
    def start(self, *, show_window: bool = True, first_run: bool | None = None) -> None:
        if self._closed:
            return
        connection = self._connection()
        if connection is not None:      # show the store at once; the worker fills in the rest
            self.status = SyncStatus(connected=not connection.needs_reconnect, store_name=connection.store_name,
                                     token_expires=connection.expires_at)
            self.tray.show_status(self.status)
        self.tray.show()
        if first_run is None:
            first_run = self.needs_setup(connection)
        if first_run:
            self.open_wizard()
        elif show_window or not self.tray.available:
            self.window.render_status(self.status)
            self.window.bring_forward()
        # the sync thread starts once the first frame is up (its imports would compete with drawing it)
        QTimer.singleShot(self.worker_start_delay_ms, self._start_worker)
        self._clock.start()

    @property
    def worker(self):
        """The sync loop (ui.worker.SyncWorker), built on first use; the app starts it once the first frame is
        up (importing it and its thread would compete with drawing that frame). Never built after `close()`:
        then it is the stopped one, or None."""
        if self._worker is None and not self._closed:
            from rulrr_desktop.ui.worker import SyncWorker
            self._worker = SyncWorker(self.backend, **self._worker_options)
            self._worker.statusChanged.connect(self._status_arrived)
        return self._worker

    def _command(self, name: str, *args) -> None:
        """Sends a command to the sync loop; nothing once the app is closed (a late click or timer)."""
        if not self._closed:
            getattr(self.worker, name)(*args)

    def sync_now(self) -> None:
        self._command("sync_now")

    def refresh(self) -> None:
        """The settings or the connection changed: the worker reads them again and reports."""
        self._command("refresh")

    def set_online(self, online: bool) -> None:
        """The network watch: the network went away or came back."""
        self._command("set_online", online)

    def system_resumed(self) -> None:
        """The sleep watch: the computer woke up."""
        self._command("system_resumed")

    def _start_worker(self) -> None:
        if self._closed:        # quit before the first frame's follow-up work was due
            return
        from rulrr_desktop.ui.runtime import tune_for_ui
        deferred, self.after_first_frame = self.after_first_frame, []
        for work in deferred:
            work()
        tune_for_ui()
        self.worker.start()

    @property
    def autostart_switch(self):
        if self._autostart_switch is None and self._autostart_factory is not None:
            self._autostart_switch = self._autostart_factory()
        return self._autostart_switch

    @autostart_switch.setter
    def autostart_switch(self, switch) -> None:
        self._autostart_switch = switch

    def _connection(self):
        """The connection record (a small file read), or None."""
        try:
            return connection_record.load(self.backend.paths)
        except AppError:
            return None

    def needs_setup(self, connection=None) -> bool:
        """First run: no connection record or no source yet (two small file reads)."""
        try:
            connection = connection or self._connection()
            return connection is None or not self.backend.settings().source.path
        except AppError:
            return True

    def quit(self) -> None:
        """Finishes in-flight requests (bounded), then leaves."""
        self.quitting.emit()
        self.close()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def close(self) -> None:
        """Stops the sync loop (in-flight requests finish, bounded) and takes every window and the tray down.
        Idempotent."""
        self._closed = True
        self._clock.stop()
        self._render_timer.stop()
        for dialog in self._dialogs:
            dialog.close()
        if self.wizard is not None:
            self.wizard.close()
        self.window.hide()
        if self._worker is not None:
            self._worker.stop(QUIT_TIMEOUT_S)
            try:
                self._worker.statusChanged.disconnect(self._status_arrived)
            except (RuntimeError, TypeError):
                pass
        self.tray.hide()

    # --- status --------------------------------------------------------------------------------------------
    def _status_arrived(self, status: SyncStatus) -> None:
        urgent = not status.syncing or self.status.syncing != status.syncing
        self._pending = status
        if urgent:                          # a change of state shows at once; progress is batched
            self._render_pending()
        elif not self._render_timer.isActive():
            self._render_timer.start()

    def _render_pending(self) -> None:
        self._render_timer.stop()
        status, self._pending = self._pending, None
        if status is not None:
            self._show_status(status)

    def _show_status(self, status: SyncStatus) -> None:
        self.status = status
        self.tray.show_status(status)
        if self.window.isVisible():      # a hidden window is rendered when it is opened
            self.window.render_status(status)
        self.statusChanged.emit(status)

    def set_paused(self, paused: bool) -> None:
        self._command("pause" if paused else "resume")

    # --- windows -------------------------------------------------------------------------------------------
    def open(self) -> None:
        if self._closed:
            return
        if self.wizard is not None and self.wizard.isVisible():
            self.wizard.raise_()
            self.wizard.activateWindow()
            return
        self.window.render_status(self.status)
        self.window.bring_forward()

    def open_wizard(self, *, reconnect: bool = False):
        if self._closed:
            return None
        from rulrr_desktop.ui.wizard import FirstRunWizard, default_connect_page
        connected_store = "" if reconnect else self._connected_store()
        self.wizard = FirstRunWizard(self.backend, connected_store=connected_store,
                                     connect_page_factory=self.connect_page_factory or default_connect_page,
                                     autostart_switch=self.autostart_switch, demo=self.demo)
        self.wizard.completed.connect(self._wizard_done)
        self.wizard.show()
        self.wizard.raise_()
        return self.wizard

    def _connected_store(self) -> str:
        try:
            conn = connection_record.load(self.backend.paths)
        except AppError:
            return ""
        return conn.store_name if conn is not None and not conn.needs_reconnect else ""

    def _wizard_done(self) -> None:
        wizard = self.wizard
        self.wizard = None
        if wizard is not None:
            wizard.hide()
            wizard.deleteLater()
        self.window.bring_forward()
        self.refresh()

    def show_problems(self) -> None:
        if self._closed:
            return
        from rulrr_desktop.ui.problems_dialog import ProblemsDialog
        self._keep(ProblemsDialog(self.status.problems, self.window)).show()

    def show_settings(self) -> None:
        if self._closed:
            return
        from rulrr_desktop.ui.settings_dialog import SettingsDialog
        try:
            settings = self.backend.settings()
        except AppError as exc:
            self.show_error(ErrorInfo.of(exc))
            return
        dialog = SettingsDialog(self.backend, settings, self.autostart_switch, self.window)
        dialog.accepted.connect(self.refresh)
        self._keep(dialog).show()

    def show_log(self) -> None:
        if self._closed:
            return
        from rulrr_desktop.ui.log_view import LogView
        self._keep(LogView(self.backend.paths.log_dir / "rulrr-desktop.log", self.window)).show()

    def open_log_folder(self) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices
        self.backend.paths.log_dir.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.backend.paths.log_dir)))

    def export_diagnostics(self, target: str | None = None) -> None:
        if self._closed:
            return
        from rulrr_desktop.ui.tasks import run_in_background
        if target is None:
            from PySide6.QtWidgets import QFileDialog
            default = Path.home() / f"rulrr-desktop-diagnostics-{datetime.now():%Y%m%d-%H%M}.zip"
            target, _ = QFileDialog.getSaveFileName(self.window, "Export diagnostics", str(default),
                                                    "Zip files (*.zip)")
            if not target:
                return
        from rulrr_desktop.core.diagnostics import export_diagnostics
        status, paths = self.status, self.backend.paths
        run_in_background(lambda: export_diagnostics(paths, Path(target), status=status),
                          lambda path: self.window.statusBar().showMessage(
                              f"Diagnostics saved to {path}. Send this file to support.", 15_000),
                          self.show_error, parent=self)

    def disconnect(self) -> None:
        if self._closed:
            return
        from PySide6.QtWidgets import QMessageBox
        from rulrr_desktop.ui.tasks import run_in_background
        answer = QMessageBox.question(
            self.window, "Disconnect from Rulrr?",
            "Rulrr Desktop will stop sending orders and forget this store's connection on this computer. "
            "Nothing already sent is lost. You can connect again at any time.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        run_in_background(self.backend.disconnect, lambda _: self.refresh(), self.show_error, parent=self)

    def reconnect(self) -> None:
        self.open_wizard(reconnect=True)

    def show_error(self, error: ErrorInfo) -> None:
        if self._closed:
            return
        from PySide6.QtWidgets import QMessageBox
        box = QMessageBox(QMessageBox.Icon.Warning, error.title,
                          " ".join(p for p in (error.detail, error.action) if p), parent=self.window)
        self._keep(box).show()

    def _keep(self, widget: QWidget) -> QWidget:
        self._dialogs = [d for d in self._dialogs if d.isVisible()] + [widget]
        return widget


def run_app(paths: AppPaths, *, demo: bool = False, background: bool = False,
            argv: list[str] | None = None) -> int:
    """The `rulrr-desktop` app for one profile. Returns the exit code (0 also when another instance of this
    profile was already running: it was asked to show its window)."""
    hold_early_records()        # the log file opens once the window is up; until then records wait in memory
    log.info("%s started (profile %s%s)", APP_NAME, paths.profile, ", demo" if demo else "")
    try:
        return _run(paths, demo=demo, background=background, argv=argv)
    finally:
        if early_records_held():    # it ended before its log file opened: write what it said
            _start_logging(paths)


def _run(paths: AppPaths, *, demo: bool, background: bool, argv: list[str] | None) -> int:
    from rulrr_desktop.ui.single_instance import (ANSWER_WAIT_S, AlreadyRunning, ask_running_instance_to_show,
                                                  claim_profile)
    from rulrr_desktop.ui.style import apply_style

    app = QApplication.instance() or QApplication(argv if argv is not None else [sys.argv[0]])
    app.setApplicationName(APP_ID)
    app.setApplicationDisplayName(APP_NAME)
    app.setQuitOnLastWindowClosed(False)
    app.setWindowIcon(app_icon())
    lock = claim_profile(paths)
    if lock is None:        # this profile's app already runs: bring its window forward and leave
        if ask_running_instance_to_show(paths, wait_s=ANSWER_WAIT_S):
            return 0
        raise AlreadyRunning(f"it did not answer within {ANSWER_WAIT_S:.0f} s")
    paths.ensure()
    apply_style(app)
    # the first pass waits a moment: importing the sync engine would compete with drawing the first window
    desktop = DesktopApp(CoreBackend(paths), first_pass_delay_s=2.0,
                         autostart_factory=lambda: _autostart_switch(paths))
    desktop.demo = demo
    desktop.worker_start_delay_ms = 300
    # once the window is up (before the sync thread starts): a clean quit on SIGTERM/SIGINT (until then the
    # default ends the process, and nothing is in flight yet), the server later launches talk to (QtNetwork),
    # and the log file (logging.handlers)
    instance: list = []
    desktop.after_first_frame.append(lambda: _quit_on_signals(desktop))
    desktop.after_first_frame.append(lambda: instance.append(_listen_for_later_launches(paths, desktop)))
    desktop.after_first_frame.append(lambda: _start_logging(paths))
    watch: list = []
    QTimer.singleShot(1000, lambda: watch.append(_watch_the_system(desktop)))   # not needed for the first frame
    desktop.start(show_window=not background or demo)
    if os.environ.get(STARTUP_MARK_ENV):
        # bench/startup.py: report when the first frame is up, then leave
        QTimer.singleShot(0, lambda: (print(f"ready {time.time():.6f} webengine="
                                            f"{'PySide6.QtWebEngineCore' in sys.modules}", flush=True),
                                      desktop.quit()))
    code = app.exec()
    desktop.close()         # idempotent: the sync loop, if it started, has finished
    for w in watch:
        w.stop()
    for server in instance:
        server.close()
    lock.release()
    return int(code)


def _listen_for_later_launches(paths: AppPaths, desktop: DesktopApp):
    """A later launch of this profile brings this window forward."""
    from rulrr_desktop.ui.single_instance import SingleInstance
    instance = SingleInstance(paths, desktop)
    instance.showRequested.connect(desktop.open)
    instance.showRequested.connect(lambda: log.info("a second launch asked this window to come forward"))
    return instance


def _start_logging(paths: AppPaths) -> None:
    """Opens the log file; what was logged since `hold_early_records()` is written to it first."""
    from rulrr_desktop.core.logs import setup_logging
    setup_logging(paths.log_dir, stderr=False)


def _watch_the_system(desktop: DesktopApp):
    """The network and sleep watch, feeding the sync loop."""
    from rulrr_desktop.ui.system_watch import SystemWatch
    watch = SystemWatch(desktop)
    watch.onlineChanged.connect(desktop.set_online)
    watch.resumed.connect(desktop.system_resumed)
    watch.start()
    return watch


def _autostart_switch(paths: AppPaths):
    from rulrr_desktop.core import autostart
    return autostart.for_this_os(paths.profile, _home_arg(paths))


def _quit_on_signals(desktop: DesktopApp) -> None:
    """SIGTERM/SIGINT (a logout, `kill`, Ctrl-C in a terminal) end the app cleanly: in-flight requests finish."""
    import signal

    def handler(signum, frame):
        QTimer.singleShot(0, desktop.quit)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handler)
    # Python runs signal handlers only between bytecodes: wake the interpreter a few times a second
    wake = QTimer(desktop)
    wake.setInterval(250)
    wake.timeout.connect(lambda: None)
    wake.start()


def _home_arg(paths: AppPaths) -> str | None:
    """The --home folder if this profile lives under one (so start at login reopens the same profile)."""
    parts = paths.config_dir.parts
    if "profiles" in parts and parts[-2] == "profiles":
        return str(Path(*parts[:-2]))
    return None
