"""The main window: is my store connected, are my orders reaching Rulrr, and what do I need to fix.

It renders a `SyncStatus` (from the worker) and emits a signal for every button; it reads no file and makes
no call itself, so it never freezes and is tested by feeding it statuses.
"""

from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QPalette
from PySide6.QtWidgets import (QFrame, QGridLayout, QHBoxLayout, QLabel, QMainWindow, QProgressBar, QPushButton,
                               QScrollArea, QVBoxLayout, QWidget)

from rulrr_desktop import APP_NAME
from rulrr_desktop.core.status_text import SyncState, SyncStatus, ago, clock, describe, sentence
from rulrr_desktop.ui.chart import DailyChart
from rulrr_desktop.ui.icons import app_icon, state_icon


_UNSET = object()


def card(title: str, grid: QGridLayout, *cell: int) -> QVBoxLayout:
    """A titled card placed in `grid` at `cell` (row, column[, row span, column span]) before it is filled, so
    that its contents are styled once, where they stay. Returns the card's layout."""
    frame = QFrame()
    frame.setObjectName("card")
    grid.addWidget(frame, *cell)
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(14, 12, 14, 12)
    heading = QLabel(title)
    heading.setObjectName("cardTitle")
    layout.addWidget(heading)
    return layout


def muted(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setObjectName("muted")
    label.setWordWrap(True)
    return label


class Banner(QFrame):
    """A coloured strip with a title, a sentence and what to do (errors, no-tray notice)."""

    def __init__(self, kind: str = "error") -> None:
        super().__init__()
        self.setObjectName("banner")
        self.setProperty("kind", kind)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.title = QLabel()
        self.title.setObjectName("bannerTitle")     # bold (app.qss): a widget's own style sheet costs ~1 ms
        self.title.setWordWrap(True)
        self.body = QLabel()
        self.body.setWordWrap(True)
        # by name through the property system: touching `Qt` from Python builds every Qt-namespace enum
        # (~25 ms of start-up), and the window needs none of them
        self.body.setProperty("textInteractionFlags", "TextSelectableByMouse")
        layout.addWidget(self.title)
        layout.addWidget(self.body)
        self.hide()

    def show_message(self, title: str, body: str, kind: str | None = None) -> None:
        if kind and kind != self.property("kind"):     # re-polishing costs ~10 ms: only on a change
            self.setProperty("kind", kind)
            self.style().unpolish(self)
            self.style().polish(self)
        self.title.setText(title)
        self.body.setText(body)
        self.setAccessibleName(f"{title}. {body}")
        self.show()


class MainWindow(QMainWindow):
    syncNowRequested = Signal()
    pauseToggled = Signal(bool)
    disconnectRequested = Signal()
    reconnectRequested = Signal()
    settingsRequested = Signal()
    logRequested = Signal()
    diagnosticsRequested = Signal()
    problemsRequested = Signal()
    quitRequested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(app_icon())
        self.setObjectName("mainWindow")
        self.status: SyncStatus = SyncStatus()
        self.has_tray = True
        self._activity_lines: list[str] = []
        self._shown: dict = {}
        self._build_menu()
        # Built top-down: the scroll area joins the window first and every widget below is created inside it.
        # With the app's style sheet, moving a built subtree to a new parent re-styles all of it (QScrollArea.
        # setWidget, then setCentralWidget, re-styled the whole body twice: ~20 ms before the first frame).
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.setCentralWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        root = QVBoxLayout(body)
        root.setContentsMargins(16, 14, 16, 14)
        root.setSpacing(12)

        # headline: the state in one line, as in the tray
        head = QHBoxLayout()
        root.addLayout(head)
        self.state_icon = QLabel()
        self.state_icon.setFixedSize(40, 40)
        head.addWidget(self.state_icon)
        words = QVBoxLayout()
        head.addLayout(words, 1)
        self.headline = QLabel()
        self.headline.setObjectName("headline")
        self.headline.setWordWrap(True)
        self.summary = muted()
        words.addWidget(self.headline)
        words.addWidget(self.summary)
        actions_column = QVBoxLayout()
        head.addLayout(actions_column)
        actions = QHBoxLayout()           # the buttons keep their height at the top (a stretch below them)
        actions_column.addLayout(actions)
        actions_column.addStretch(1)
        self.sync_button = QPushButton("&Sync now")
        self.sync_button.clicked.connect(self.syncNowRequested)
        self.pause_button = QPushButton("&Pause")
        self.pause_button.clicked.connect(lambda: self.pauseToggled.emit(not self.status.paused_by_user))
        actions.addWidget(self.sync_button)
        actions.addWidget(self.pause_button)

        self.error_banner = Banner("error")
        root.addWidget(self.error_banner)
        self.tray_banner = Banner("info")
        root.addWidget(self.tray_banner)

        # the first backfill: a progress bar with rate and time left
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Sending progress")
        self.progress.setTextVisible(True)
        root.addWidget(self.progress)

        cards = QGridLayout()
        cards.setSpacing(12)
        cards.setColumnStretch(0, 1)
        cards.setColumnStretch(1, 1)
        root.addLayout(cards)
        root.addStretch(1)
        # connection card
        conn_layout = card("Rulrr connection", cards, 0, 0)
        self.store_label = QLabel()
        self.store_label.setObjectName("bigNumber")
        self.store_label.setWordWrap(True)
        self.expiry_label = muted()
        self.source_label = muted()
        for w in (self.store_label, self.expiry_label, self.source_label):
            conn_layout.addWidget(w)
        conn_layout.addStretch(1)
        buttons = QHBoxLayout()
        conn_layout.addLayout(buttons)
        self.reconnect_button = QPushButton("&Reconnect…")
        self.reconnect_button.clicked.connect(self.reconnectRequested)
        self.disconnect_button = QPushButton("&Disconnect")
        self.disconnect_button.clicked.connect(self.disconnectRequested)
        buttons.addWidget(self.reconnect_button)
        buttons.addWidget(self.disconnect_button)
        buttons.addStretch(1)

        # sync card
        sync_layout = card("Orders", cards, 0, 1)
        grid = QGridLayout()
        sync_layout.addLayout(grid)
        self.today_value = QLabel("0")
        self.today_value.setObjectName("bigNumber")
        self.total_value = QLabel("0")
        self.total_value.setObjectName("bigNumber")
        self.pending_value = QLabel("0")
        self.pending_value.setObjectName("bigNumber")
        self.quarantine_value = QLabel("0")
        self.quarantine_value.setObjectName("bigNumber")
        for col, (value, caption) in enumerate(((self.today_value, "sent today"), (self.total_value, "sent in all"),
                                                (self.pending_value, "waiting"),
                                                (self.quarantine_value, "need a fix"))):
            grid.addWidget(value, 0, col)
            cap = muted(caption)
            grid.addWidget(cap, 1, col)
            value.setAccessibleName(caption)
        self.times_label = muted()
        sync_layout.addWidget(self.times_label)
        problems_row = QHBoxLayout()      # the button at its own width, on the left
        sync_layout.addLayout(problems_row)
        self.problems_button = QPushButton("S&how orders that need a fix")
        self.problems_button.clicked.connect(self.problemsRequested)
        problems_row.addWidget(self.problems_button)
        problems_row.addStretch(1)

        chart_layout = card("Orders sent per day (last 30 days)", cards, 1, 0, 1, 2)
        self.chart = DailyChart()
        chart_layout.addWidget(self.chart)

        activity_layout = card("Recent activity", cards, 2, 0, 1, 2)
        # lines to read, in a scrolling label: a QListWidget's item-view types and their enums cost ~3 ms of
        # start-up (enums by name through the property system, as in Banner)
        scroller = QScrollArea()
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setFixedHeight(110)
        activity_layout.addWidget(scroller)
        self.activity = QLabel()
        self.activity.setAccessibleName("Recent activity")
        self.activity.setContentsMargins(3, 2, 3, 2)
        self.activity.setProperty("textFormat", "PlainText")
        self.activity.setProperty("alignment", "AlignLeft|AlignTop")
        self.activity.setProperty("textInteractionFlags", "TextSelectableByMouse")
        scroller.setWidget(self.activity)
        # on the card's background (Base), as the list was; not through viewport(): wrapping the QWidget it
        # returns makes PySide6 set up dozens of widget types to find its class
        scroller.setBackgroundRole(QPalette.ColorRole.Base)
        self.activity.setAutoFillBackground(False)
        self.resize(780, 700)
        self.render_status(SyncStatus())

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu("&File")
        self.settings_action = QAction("&Settings…", self)
        self.settings_action.triggered.connect(self.settingsRequested)
        self.quit_action = QAction("&Quit", self)
        self.quit_action.triggered.connect(self.quitRequested)
        menu.addAction(self.settings_action)
        menu.addSeparator()
        menu.addAction(self.quit_action)
        help_menu = self.menuBar().addMenu("&Help")
        self.log_action = QAction("Show the &log", self)
        self.log_action.triggered.connect(self.logRequested)
        self.diagnostics_action = QAction("&Export diagnostics…", self)
        self.diagnostics_action.triggered.connect(self.diagnosticsRequested)
        help_menu.addAction(self.log_action)
        help_menu.addAction(self.diagnostics_action)

    def add_shortcuts(self) -> None:
        """The platform's keys for Settings and Quit. The app adds them once the window is up: QKeySequence and
        its 70-member StandardKey enum cost ~1 ms that the first frame does not need. (The first binding, as
        `setShortcut(key)` would set it; but every overload of setShortcut also takes a `Qt.Key`, and resolving
        it builds all of PySide6's Qt-namespace enums, ~25 ms: setShortcuts(list) does not.)"""
        from PySide6.QtGui import QKeySequence
        key = QKeySequence.StandardKey
        self.settings_action.setShortcuts(QKeySequence.keyBindings(key.Preferences)[:1])
        self.quit_action.setShortcuts(QKeySequence.keyBindings(key.Quit)[:1])

    def set_tray_available(self, available: bool) -> None:
        self.has_tray = available
        if available:
            self.tray_banner.hide()
        else:
            self.tray_banner.show_message(
                "This desktop has no tray area",
                "Keep this window open (you can minimise it) so your orders keep reaching Rulrr. "
                "Closing it minimises it; use File → Quit to stop sending.", "info")

    def render_status(self, status: SyncStatus, now: datetime | None = None) -> None:
        now = now or datetime.now(timezone.utc)
        self.status = status
        text = describe(status, now)
        if self._shown.get("icon") != text.state:
            self._shown["icon"] = text.state
            self.state_icon.setPixmap(state_icon(text.state).pixmap(40, 40))
        self._put(self.state_icon, "setAccessibleName", text.state.label)
        self._put(self.headline, "setText", text.headline)
        # in the window, the error banner and the problems list say the rest: the line under the headline
        # only says how sending is going
        plain = f"Last sync {ago(status.last_sync, now)} · {status.delivered_today:,} orders today"
        if text.state is SyncState.NOT_CONNECTED:
            plain = "Click Connect… below to link your store to Rulrr; then your orders are sent by themselves."
        self._put(self.summary, "setText", plain if text.state in (
            SyncState.ERROR, SyncState.ATTENTION, SyncState.NOT_CONNECTED) else text.summary)
        connected = text.state is not SyncState.NOT_CONNECTED
        self._put(self.sync_button, "setEnabled", connected and not status.syncing and not status.paused_by_user)
        self._put(self.pause_button, "setEnabled", connected)
        self._put(self.pause_button, "setText", "&Resume" if status.paused_by_user else "&Pause")
        if self._shown.get("error", 0) != status.error:
            self._shown["error"] = status.error
            if status.error is not None:
                self.error_banner.show_message(status.error.title, " ".join(
                    p for p in (sentence(status.error.detail), status.error.action) if p))
            else:
                self.error_banner.hide()
        p = status.progress
        show_progress = bool(status.syncing and p is not None and p.total)
        self._put(self.progress, "setVisible", show_progress)
        if show_progress:
            assert p is not None
            self._put(self.progress, "setMaximum", p.total)
            self._put(self.progress, "setValue", min(p.done, p.total))
            self._put(self.progress, "setFormat", f"{p.done:,} of {p.total:,} orders")
        # connection
        if status.connected:
            self._put(self.store_label, "setText", status.store_name or "Connected store")
            if status.token_expires:
                days = (status.token_expires - now).days
                self._put(self.expiry_label, "setText", f"Connected. The connection is renewed automatically "
                                          f"(valid for {days:,} more days).")
            else:
                self._put(self.expiry_label, "setText", "Connected.")
        else:
            self._put(self.store_label, "setText", "Not connected")
            self._put(self.expiry_label, "setText", "Connect your Rulrr store so your orders can be sent.")
        self._put(self.source_label, "setText", f"Reading: {status.source_label}" if status.source_label else
                                  "No POS export chosen yet (File → Settings).")
        self._put(self.reconnect_button, "setText", "&Reconnect…" if status.connected else "&Connect…")
        self._put(self.disconnect_button, "setEnabled", status.connected)
        # numbers
        self._put(self.today_value, "setText", f"{status.delivered_today:,}")
        self._put(self.total_value, "setText", f"{status.delivered_total:,}")
        self._put(self.pending_value, "setText", f"{status.pending:,}")
        self._put(self.quarantine_value, "setText", f"{status.quarantined:,}")
        self._put(self.quarantine_value, "setStyleSheet", "color: #b45309;" if status.quarantined else "")
        self._put(self.problems_button, "setVisible", status.quarantined > 0)
        self._put(self.problems_button, "setText", f"S&how the {status.quarantined:,} orders that need a fix"
                                     if status.quarantined != 1 else "S&how the order that needs a fix")
        times = [f"Last sync {ago(status.last_sync, now)}"]
        if status.next_sync and connected and not status.paused_by_user:
            times.append(f"next at {clock(status.next_sync)}")
        self._put(self.times_label, "setText", ", ".join(times) + ".")
        self.chart.set_days(status.daily)   # compares before repainting
        # activity (rebuilt only when it changed: progress reports arrive ten times a second)
        lines = [f"{clock(moment)}  {line}" for moment, line in status.activity[:20]] or ["Nothing yet."]
        if lines != self._activity_lines:
            self._activity_lines = lines
            self.activity.setText("\n".join(lines))

    def _put(self, widget, setter: str, value) -> None:
        """Calls widget.setter(value) only when the value changed: each call into Qt may wait for the GIL
        while the sync thread runs, so a render that repeats forty unchanged calls ten times a second would
        keep the UI thread waiting."""
        key = (id(widget), setter)
        if self._shown.get(key, _UNSET) != value:
            self._shown[key] = value
            getattr(widget, setter)(value)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        # the app lives in the tray: closing the window only hides it
        event.ignore()
        if self.has_tray:
            self.hide()
        else:
            self.showMinimized()

    def bring_forward(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()


__all__ = ["MainWindow", "Banner", "card", "muted"]
