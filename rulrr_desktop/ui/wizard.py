"""The first-run wizard: Welcome → Connect → Data source → Store profile → Done.

A QStackedWidget with our own Back/Next bar rather than QWizard, so the Connect step can move on by itself
when Rulrr says the store is connected, and so each page decides when Next is allowed. Keyboard-only usable:
Next is the default button (Enter), every field has a label with a mnemonic and an accessible name.
The web engine is loaded only when the Connect page is first shown.
"""

from __future__ import annotations

import logging
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QHBoxLayout, QLabel, QPushButton, QStackedWidget, QVBoxLayout,
                               QWidget)

from rulrr_desktop import APP_NAME
from rulrr_desktop.core import autostart
from rulrr_desktop.core.errors import AppError
from rulrr_desktop.core.status_text import ErrorInfo
from rulrr_desktop.ui.backend import Backend, PreviewResult
from rulrr_desktop.ui.icons import app_icon
from rulrr_desktop.ui.source_form import SourceForm
from rulrr_desktop.ui.store_form import StoreForm

log = logging.getLogger(__name__)

PAGES = ("welcome", "connect", "source", "store", "done")


def fit_height(label: QLabel, width: int) -> None:
    """A QStackedWidget ignores height-for-width: give a wrapped label the height its text needs."""
    label.setMinimumHeight(label.heightForWidth(max(200, width)))


def page(title: str, intro: str) -> tuple[QWidget, QVBoxLayout]:
    widget = QWidget()
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(24, 20, 24, 12)
    heading = QLabel(title)
    heading.setObjectName("pageTitle")
    heading.setWordWrap(True)
    layout.addWidget(heading)
    if intro:
        text = QLabel(intro)
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(text)
    return widget, layout


def default_connect_page(backend: Backend, parent: QWidget) -> QWidget:
    """The embedded Rulrr Connect page (ui.connect_page, with QtWebEngine): imported only when needed."""
    from rulrr_desktop.ui.connect_page import ConnectPage
    return ConnectPage.for_profile(backend.paths, parent=parent)


class FirstRunWizard(QWidget):
    """Emits `completed` once the profile is connected, has a source and a store profile (saved)."""

    completed = Signal()
    pageChanged = Signal(str)

    def __init__(self, backend: Backend, *, connected_store: str = "",
                 connect_page_factory: Callable[[Backend, QWidget], QWidget] = default_connect_page,
                 autostart_switch=None, demo: bool = False) -> None:
        super().__init__()
        self.backend = backend
        self.setWindowTitle(f"Set up {APP_NAME}")
        self.setWindowIcon(app_icon())
        self.connected_store = connected_store
        self._connect_factory = connect_page_factory
        self.connect_page: QWidget | None = None
        self.autostart_switch = autostart_switch
        self.preview: PreviewResult | None = None
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget()
        root.addWidget(self.stack, 1)

        # Welcome
        welcome, layout = page(f"Welcome to {APP_NAME}",
                               "This app sends your store's sales to Rulrr, so your ads are measured against "
                               "real sales. Setting it up takes three steps:<ol>"
                               "<li>Connect your Rulrr account.</li><li>Show where your POS saves its sales "
                               "export.</li><li>Check your store's details.</li></ol>"
                               "After that it runs by itself in the tray and tells you if something needs you.")
        layout.addStretch(1)
        self.stack.addWidget(welcome)

        # Connect (the web view is created when this page is first shown)
        connect, self.connect_layout = page("Connect your Rulrr account",
                                            "Sign in to Rulrr below and choose your store. This page moves on "
                                            "by itself once Rulrr confirms.")
        self.demo_button: QPushButton | None = None
        if demo:
            hint = QLabel("<b>Demo:</b> sign in as <b>owner@example.com</b> with the password <b>demo</b>, "
                          "choose Bridge Street Bakery and click Connect, or let the demo merchant do it.")
            hint.setObjectName("demoHint")
            hint.setWordWrap(True)
            self.demo_button = QPushButton("&Let the demo merchant connect")
            self.demo_button.clicked.connect(self._demo_connect)
            row = QHBoxLayout()
            row.addWidget(hint, 1)
            row.addWidget(self.demo_button)
            self.connect_layout.addLayout(row)
        self.connect_state = QLabel()
        self.connect_state.setWordWrap(True)
        self.connect_state.setAccessibleName("Connection state")
        self.connect_layout.addWidget(self.connect_state)
        self.stack.addWidget(connect)

        # Data source
        source, layout = page("Where does your POS save its sales?",
                              "Choose the export file, the folder your POS exports to, or its database file. "
                              "Nothing is sent until you finish.")
        self.source_form = SourceForm(backend)
        self.source_form.previewReady.connect(self._preview_ready)
        self.source_form.changed.connect(self._update_buttons)
        layout.addWidget(self.source_form, 1)
        self.stack.addWidget(source)

        # Store profile
        store, layout = page("Check your store's details",
                             "Rulrr shows these to your customers and uses the currency for every order.")
        self.store_form = StoreForm()
        self.store_form.changed.connect(self._update_buttons)
        layout.addWidget(self.store_form)
        layout.addStretch(1)
        self.stack.addWidget(store)

        # Done
        done, layout = page("All set", "")
        self.done_text = QLabel()
        self.done_text.setWordWrap(True)
        layout.addWidget(self.done_text)
        self.autostart_box = QCheckBox("&Start Rulrr Desktop when I log in (recommended)")
        self.autostart_box.setChecked(True)
        self.autostart_box.setAccessibleName("Start Rulrr Desktop when I log in")
        layout.addWidget(self.autostart_box)
        self.done_error = QLabel()
        self.done_error.setObjectName("problem")
        self.done_error.setWordWrap(True)
        layout.addWidget(self.done_error)
        layout.addStretch(1)
        self.stack.addWidget(done)

        # navigation
        bar = QHBoxLayout()
        bar.setContentsMargins(24, 8, 24, 16)
        self.step_label = QLabel()
        self.step_label.setObjectName("muted")
        self.back_button = QPushButton("&Back")
        self.next_button = QPushButton("&Next")
        self.next_button.setDefault(True)
        self.next_button.setAutoDefault(True)
        bar.addWidget(self.step_label, 1)
        bar.addWidget(self.back_button)
        bar.addWidget(self.next_button)
        root.addLayout(bar)
        self.back_button.clicked.connect(self.back)
        self.next_button.clicked.connect(self.next)
        self.resize(760, 600)
        self._prefill()
        self._go(0)

    # --- navigation ------------------------------------------------------------------------------------------
    @property
    def current(self) -> str:
        return PAGES[self.stack.currentIndex()]

    def _go(self, index: int) -> None:
        self.stack.setCurrentIndex(index)
        name = PAGES[index]
        if name == "connect":
            self._ensure_connect_page()
        if name == "store":
            self._prefill_store()
        if name == "done":
            store = self.store_form.values().get("storeName", "your store")
            self.done_text.setText(f"{store} is connected. Rulrr Desktop now sends your orders in the "
                                   "background and lives in the tray (next to the clock). Click its icon "
                                   "any time to see how sending is going.")
            fit_height(self.done_text, self.stack.width() - 48)
        self.step_label.setText(f"Step {index + 1} of {len(PAGES)}")
        self.back_button.setVisible(0 < index < len(PAGES) - 1)
        self.next_button.setText({"welcome": "&Start", "done": "&Finish"}.get(name, "&Next"))
        self._update_buttons()
        self.pageChanged.emit(name)
        focus = {"source": self.source_form.path_edit, "store": self.store_form.edits["storeName"]}.get(name)
        (focus or self.next_button).setFocus()

    def _update_buttons(self) -> None:
        name = self.current
        ok = True
        if name == "connect":
            ok = bool(self.connected_store)
        elif name == "source":
            ok = self.source_form.ready()
        self.next_button.setEnabled(ok)

    def back(self) -> None:
        index = self.stack.currentIndex()
        if index > 0:
            self._go(index - 1 if not (index == 2 and self.connected_store) else 0)

    def next(self) -> None:
        name = self.current
        if name == "welcome":
            self._go(2 if self.connected_store else 1)
        elif name == "connect" and self.connected_store:
            self._go(2)
        elif name == "source" and self.source_form.ready():
            self._go(3)
        elif name == "store":
            if self.store_form.validate():
                self._save()
                self._go(4)
        elif name == "done":
            self._finish()

    # --- connect ---------------------------------------------------------------------------------------------
    def _ensure_connect_page(self) -> None:
        if self.connect_page is not None or self.connected_store:
            self.connect_state.setText(f"Connected to <b>{self.connected_store}</b>." if self.connected_store
                                       else "")
            return
        try:
            self.connect_page = self._connect_factory(self.backend, self)
        except Exception as exc:   # the web engine cannot start: say so, with what to do
            log.exception("the Connect page could not be created")
            info = ErrorInfo.of(exc)
            self.connect_state.setText(f"<b>The Rulrr page cannot be shown here.</b> {info.detail} "
                                       "Use “rulrr-desktop connect” in a terminal, or ask your POS vendor.")
            return
        self.connect_layout.addWidget(self.connect_page, 1)
        for name, slot in (("connected", self.on_connected), ("failed", self.on_connect_failed),
                           ("stateChanged", self._connect_state_changed)):
            signal = getattr(self.connect_page, name, None)
            if signal is not None:
                signal.connect(slot)
        start = getattr(self.connect_page, "start", None)
        if callable(start):
            start()

    def _demo_connect(self) -> None:
        """Demo only: what the merchant does on the Connect page, done through the sandbox's hook."""
        session = getattr(self.connect_page, "session", None)
        token = getattr(session, "integration_token", "")
        if not token:
            self.connect_state.setText("The Connect page is still loading; try again in a moment.")
            return
        from rulrr_desktop.core.demo_export import finish_on_connect_page
        from rulrr_desktop.ui.tasks import run_in_background
        api_url = self.backend.settings().rulrr.api_url
        run_in_background(lambda: finish_on_connect_page(api_url, token), lambda _: None,
                          self.on_connect_failed, parent=self)

    def on_connected(self, connection: object) -> None:
        self.connected_store = getattr(connection, "store_name", "") or "your store"
        self.connect_state.setText(f"Connected to <b>{self.connected_store}</b>.")
        self._update_buttons()
        if self.current == "connect":
            self._go(2)

    def on_connect_failed(self, error: object) -> None:
        info = ErrorInfo.of(error) if isinstance(error, BaseException) else error
        title = getattr(info, "title", str(info))
        action = getattr(info, "action", "")
        self.connect_state.setText(f"<b>{title}</b> {getattr(info, 'detail', '')} {action}")

    def _connect_state_changed(self, state: str) -> None:
        log.info("connect page: %s", state)

    # --- source and store ------------------------------------------------------------------------------------
    def _prefill(self) -> None:
        try:
            settings = self.backend.settings()
        except AppError:
            return
        if settings.source.path:
            self.source_form.set_path(settings.source.path, settings.source.preset)
        self.store_form.set_values({**settings.store})

    def _preview_ready(self, result: PreviewResult) -> None:
        self.preview = result
        self._update_buttons()

    def _prefill_store(self) -> None:
        values = {}
        if self.preview is not None:
            values.update(self.preview.store)
        if self.connected_store and not self.store_form.edits["storeName"].text():
            values.setdefault("storeName", self.connected_store)
        current = self.store_form.values()
        self.store_form.set_values({k: v for k, v in values.items() if not current.get(k)})

    def _save(self) -> None:
        settings = self.backend.settings()
        settings.source = self.source_form.source()
        values = self.store_form.values()
        settings.store.update(values)
        self.backend.save(settings)

    def _finish(self) -> None:
        switch = self.autostart_switch
        if switch is not None:
            try:
                autostart.set_enabled(switch, self.autostart_box.isChecked())
            except AppError as exc:
                self.done_error.setText(exc.message)
                return
        self.completed.emit()
