"""Settings: the data source and its format, the store profile, how often and how fast to send, start at
login, and a proxy. Saved to config.toml on OK (the sync loop picks them up at its next pass), except the proxy's
password: it goes to the system keyring (core.network.store_proxy_login), and config.toml keeps the address
with the user name only.

The keyring is written on the thread pool (ui.tasks), never on the UI thread: a Secret Service can block for
seconds (a locked collection's unlock prompt, a D-Bus timeout). Meanwhile the dialog says it is saving (Save
reads "Saving…", the fields wait) and Cancel still works: it closes the dialog, and when the keyring answers
nothing more is saved (config.toml is left as it was; a password the keyring took by then stays there). Once
the keyring has answered, the rest is saved as before, on the UI thread (two small local files)."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QSpinBox,
                               QTabWidget, QVBoxLayout, QWidget)

from rulrr_desktop.core import autostart, network
from rulrr_desktop.core.config import Settings
from rulrr_desktop.core.errors import AppError
from rulrr_desktop.core.redact import redact
from rulrr_desktop.core.secrets import KeyringUnavailable
from rulrr_desktop.core.status_text import ErrorInfo
from rulrr_desktop.ui.backend import Backend
from rulrr_desktop.ui.source_form import SourceForm
from rulrr_desktop.ui.store_form import StoreForm
from rulrr_desktop.ui.tasks import run_in_background

log = logging.getLogger(__name__)
# What to do when the keyring could not read or forget the saved proxy password (then nothing was saved).
KEYRING_ACTION = ("Unlock the system keyring (sign in to the desktop again), or install one (gnome-keyring or "
                  "KWallet on Linux), then click Save again.")


def labelled(form: QFormLayout, text: str, field: QWidget, accessible: str) -> None:
    caption = QLabel(text)
    caption.setBuddy(field)
    field.setAccessibleName(accessible)
    form.addRow(caption, field)


def _shown_address(proxy: str | None) -> str:
    """The proxy setting as the Proxy field shows it: without a password (one written in config.toml by hand)."""
    try:
        return network.split_password(network.parse_proxy(proxy))[0] or ""
    except network.ProxySettingError:       # shown to be corrected, its user:password part masked
        return redact(proxy or "")


def _store_proxy_login(typed: str, password: str, forget: bool,
                       saved: str | None) -> network.SavedProxy | AppError:
    """On the thread pool: `network.store_proxy_login`, its AppError returned rather than raised (the dialog tells
    a bad address from a keyring failure; a task's failure arrives flattened). The error's traceback is dropped:
    its frames hold the password."""
    try:
        return network.store_proxy_login(typed, password, forget=forget, saved=saved)
    except AppError as exc:
        return exc.with_traceback(None)


class SettingsDialog(QDialog):
    def __init__(self, backend: Backend, settings: Settings, autostart_switch=None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend, self.settings, self.autostart_switch = backend, settings, autostart_switch
        self.setWindowTitle("Settings")
        self.resize(720, 560)
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs)

        self.source_form = SourceForm(backend)
        if settings.source.path:
            self.source_form.set_path(settings.source.path, settings.source.preset)
        self.tabs.addTab(self.source_form, "&Data source")

        self.store_form = StoreForm()
        self.store_form.set_values(dict(settings.store))
        self.tabs.addTab(self.store_form, "S&tore")

        sending = QWidget()
        form = QFormLayout(sending)
        self.interval = QSpinBox()
        self.interval.setRange(10, 24 * 3600)
        self.interval.setSuffix(" seconds")
        self.interval.setValue(settings.sync.interval_seconds)
        labelled(form, "Look for new sales &every", self.interval, "Look for new sales every (seconds)")
        self.concurrency = QSpinBox()
        self.concurrency.setRange(1, 32)
        self.concurrency.setValue(settings.sync.concurrency)
        labelled(form, "Orders sent at the &same time", self.concurrency, "Orders sent at the same time")
        self.autostart_box = QCheckBox("Start Rulrr Desktop when I &log in")
        self.autostart_box.setAccessibleName("Start Rulrr Desktop when I log in")
        self.autostart_box.setChecked(bool(autostart_switch and autostart_switch.is_enabled()))
        self.autostart_box.setEnabled(autostart_switch is not None)
        form.addRow(self.autostart_box)
        self.proxy = QLineEdit(_shown_address(settings.network.proxy))
        self.proxy.setPlaceholderText(f"{network.EXAMPLE} (leave empty to use the system's)")
        labelled(form, "&Proxy", self.proxy, "Proxy")
        self.proxy_password = QLineEdit()
        self.proxy_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.proxy_password.setPlaceholderText("Only for a proxy that asks for a login (leave empty to keep the "
                                               "saved one)")
        labelled(form, "Proxy pass&word", self.proxy_password, "Proxy password")
        self.forget_password = QCheckBox("Fo&rget the saved proxy password")
        self.forget_password.setAccessibleName("Forget the saved proxy password")
        form.addRow("", self.forget_password)
        self.proxy_problem = QLabel()
        self.proxy_problem.setObjectName("problem")
        self.proxy_problem.setWordWrap(True)
        self.proxy_problem.hide()
        form.addRow("", self.proxy_problem)
        self.sending = sending
        self.tabs.addTab(sending, "Se&nding")

        self.error = QLabel()
        self.error.setObjectName("problem")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        self.saving_note = QLabel("If the system asks to unlock its keyring, answer it to finish saving.")
        self.saving_note.setWordWrap(True)
        self.saving_note.hide()
        layout.addWidget(self.saving_note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.cancel_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self._save_text = self.save_button.text()
        self._request = 0           # the Save whose answer is awaited; Cancel moves it on (its answer is dropped)
        self._in_flight = 0         # keyring writes not answered yet

    @property
    def saving(self) -> bool:
        """True while a Save waits for the keyring."""
        return self._in_flight > 0

    def _show_saving(self, saving: bool) -> None:
        self.save_button.setEnabled(not saving)
        self.save_button.setText("Saving…" if saving else self._save_text)
        self.tabs.setEnabled(not saving)
        self.saving_note.setVisible(saving)
        if saving:
            self.error.clear()

    def reject(self) -> None:
        self._request += 1          # a Save still waiting for the keyring saves nothing more when it answers
        super().reject()

    def save(self) -> None:
        """Stores the proxy login on the thread pool; the rest is saved when the keyring has answered
        (`_proxy_stored`)."""
        if self.saving:                 # a second click while the keyring answers the first
            return
        if not self.store_form.validate():
            self.tabs.setCurrentWidget(self.store_form)
            self.error.setText("Some store details need fixing first.")
            return
        typed, password = self.proxy.text(), self.proxy_password.text()
        forget, saved = self.forget_password.isChecked(), self.settings.network.proxy
        self._request += 1
        request = self._request
        self._in_flight += 1
        self._show_saving(True)
        run_in_background(lambda: _store_proxy_login(typed, password, forget, saved),
                          lambda outcome: self._proxy_stored(request, outcome),
                          lambda error: self._proxy_failed(request, error), parent=self)

    def _answered(self, request: int) -> bool:
        """The keyring answered save number `request`: True if that save is still wanted (not cancelled)."""
        self._in_flight -= 1
        self._show_saving(self.saving)
        return request == self._request

    def _proxy_failed(self, request: int, error: ErrorInfo) -> None:
        """A bug while storing the proxy login (logged, redacted, by ui.tasks): nothing was saved."""
        if self._answered(request):
            self.tabs.setCurrentWidget(self.sending)
            detail = f": {error.detail}" if error.detail else ""
            self.error.setText(f"Settings were not saved. {error.title}{detail}. {error.action}")

    def _proxy_stored(self, request: int, outcome: network.SavedProxy | AppError) -> None:
        if not self._answered(request):
            return
        if isinstance(outcome, network.ProxySettingError):
            self.tabs.setCurrentWidget(self.sending)
            self.proxy.setFocus()
            self.proxy_problem.setText(f"{outcome.detail}.")
            self.proxy_problem.show()
            self.error.setText(f"{outcome.title}.")
            return
        if isinstance(outcome, KeyringUnavailable):     # the keyring could not read or forget the saved password
            log.warning("Settings were not saved: %s", outcome)        # its detail (redacted) for support
            self.tabs.setCurrentWidget(self.sending)
            self.error.setText(f"Settings were not saved. {outcome.title}. {KEYRING_ACTION}")
            return
        if isinstance(outcome, AppError):
            self.tabs.setCurrentWidget(self.sending)
            self.error.setText(outcome.message)
            return
        self._save_the_rest(outcome)

    def _save_the_rest(self, proxy: network.SavedProxy) -> None:
        """config.toml and the start-at-login switch, once the proxy login is stored: on the UI thread, as before
        (two small local files)."""
        self.proxy_problem.hide()
        settings = self.settings
        source = self.source_form.source()
        if source.path:
            settings.source.kind, settings.source.path, settings.source.preset = (source.kind, source.path,
                                                                                  source.preset)
        settings.store.update(self.store_form.values())
        settings.sync.interval_seconds = self.interval.value()
        settings.sync.concurrency = self.concurrency.value()
        settings.network.proxy = proxy.address
        try:
            self.backend.save(settings)
            if self.autostart_switch is not None:
                autostart.set_enabled(self.autostart_switch, self.autostart_box.isChecked())
        except AppError as exc:
            self.error.setText(exc.message)
            return
        self.proxy.setText(_shown_address(proxy.address))
        self.forget_password.setChecked(False)
        if proxy.held:              # saved; the password works until the app closes: say so, and stay open
            self.tabs.setCurrentWidget(self.sending)
            self.error.setText(f"Saved, except the proxy password. {proxy.error.title}. {proxy.error.action}")
            return
        self.accept()
