"""The tray icon: the state at a glance, the real status in the tooltip and menu, and the few things a clerk
does from there (Sync now, Pause/Resume, Open, Show problems, Open log folder, Quit).

It renders a `StatusText` (core.status_text) and emits plain signals for each menu action; it never touches
the sync loop or the ledger itself. Notifications go through `NotificationPolicy`: the first error and the
recovery, never a storm.
"""

from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from rulrr_desktop.core.status_text import NotificationPolicy, StatusText, SyncState, SyncStatus, describe
from rulrr_desktop.ui.icons import state_icon


class Tray(QObject):
    syncNowRequested = Signal()
    pauseToggled = Signal(bool)       # True: pause
    openRequested = Signal()
    problemsRequested = Signal()
    logFolderRequested = Signal()
    quitRequested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        self.icon = QSystemTrayIcon(parent)
        self.menu = QMenu()
        self.menu.setObjectName("trayMenu")
        # the status lines stay enabled (greyed-out text is hard to read) and open the window
        self.headline_action = QAction("Rulrr Desktop", self.menu)
        self.summary_action = QAction("", self.menu)
        self.sync_action = QAction("Sync now", self.menu)
        self.pause_action = QAction("Pause sending", self.menu)
        self.open_action = QAction("Open Rulrr Desktop", self.menu)
        self.problems_action = QAction("Show problems", self.menu)
        self.logs_action = QAction("Open log folder", self.menu)
        self.quit_action = QAction("Quit", self.menu)
        for action in (self.headline_action, self.summary_action):
            self.menu.addAction(action)
        self.menu.addSeparator()
        for action in (self.sync_action, self.pause_action, self.open_action, self.problems_action):
            self.menu.addAction(action)
        self.menu.addSeparator()
        self.menu.addAction(self.logs_action)
        self.menu.addAction(self.quit_action)
        self.headline_action.triggered.connect(self.openRequested)
        self.summary_action.triggered.connect(self.openRequested)
        self.sync_action.triggered.connect(self.syncNowRequested)
        self.pause_action.triggered.connect(lambda: self.pauseToggled.emit(not self._paused))
        self.open_action.triggered.connect(self.openRequested)
        self.problems_action.triggered.connect(self.problemsRequested)
        self.logs_action.triggered.connect(self.logFolderRequested)
        self.quit_action.triggered.connect(self.quitRequested)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.policy = NotificationPolicy()
        self._shown: dict = {}
        self._paused = False
        self.text: StatusText | None = None
        self.notifications: list[tuple[str, str]] = []
        self.show_status(SyncStatus())

    def show(self) -> None:
        if self.available:
            self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    @property
    def state(self) -> SyncState:
        assert self.text is not None
        return self.text.state

    def show_status(self, status: SyncStatus, now: datetime | None = None) -> StatusText:
        now = now or datetime.now(timezone.utc)
        text = describe(status, now)
        self.text = text
        self._paused = status.paused_by_user
        if self._shown.get("icon") != text.state:
            self._shown["icon"] = text.state
            self.icon.setIcon(state_icon(text.state))
        self._put(self.icon, "setToolTip", text.tooltip)
        self._put(self.headline_action, "setText", text.headline)
        self._put(self.summary_action, "setText", text.summary)
        self._put(self.pause_action, "setText", text.pause_label)
        self._put(self.problems_action, "setText", text.problems_label)
        self._put(self.problems_action, "setEnabled", status.quarantined > 0)
        connected = text.state is not SyncState.NOT_CONNECTED
        self._put(self.sync_action, "setEnabled", connected and not status.syncing and not status.paused_by_user)
        self._put(self.pause_action, "setEnabled", connected)
        note = self.policy.update(status, now)
        if note is not None:
            self.notifications.append(note)
            if self.available and self.icon.isVisible() and QSystemTrayIcon.supportsMessages():
                kind = (QSystemTrayIcon.MessageIcon.Critical if text.state is SyncState.ERROR
                        else QSystemTrayIcon.MessageIcon.Information)
                self.icon.showMessage(note[0], note[1], kind, 10_000)
        return text

    def _put(self, target, setter: str, value) -> None:
        """Calls target.setter(value) only when it changed (each call into Qt may wait for the GIL)."""
        key = (id(target), setter)
        if key not in self._shown or self._shown[key] != value:
            self._shown[key] = value
            getattr(target, setter)(value)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.openRequested.emit()
