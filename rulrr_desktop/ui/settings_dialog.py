"""Settings: the data source and its format, the store profile, how often and how fast to send, start at
login, and a proxy. Saved to config.toml on OK (the sync loop picks them up at its next pass), except the proxy's
password: it goes to the system keyring (core.network.store_proxy_login), and config.toml keeps the address
with the user name only."""

from __future__ import annotations

from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QSpinBox,
                               QTabWidget, QVBoxLayout, QWidget)

from rulrr_desktop.core import autostart, network
from rulrr_desktop.core.config import Settings
from rulrr_desktop.core.errors import AppError
from rulrr_desktop.core.redact import redact
from rulrr_desktop.ui.backend import Backend
from rulrr_desktop.ui.source_form import SourceForm
from rulrr_desktop.ui.store_form import StoreForm


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
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def save(self) -> None:
        if not self.store_form.validate():
            self.tabs.setCurrentWidget(self.store_form)
            self.error.setText("Some store details need fixing first.")
            return
        try:
            proxy = network.store_proxy_login(self.proxy.text(), self.proxy_password.text(),
                                              forget=self.forget_password.isChecked(),
                                              saved=self.settings.network.proxy)
        except network.ProxySettingError as exc:
            self.tabs.setCurrentWidget(self.sending)
            self.proxy.setFocus()
            self.proxy_problem.setText(f"{exc.detail}.")
            self.proxy_problem.show()
            self.error.setText(f"{exc.title}.")
            return
        except AppError as exc:         # the keyring could not be read (a saved password) or forget one
            self.tabs.setCurrentWidget(self.sending)
            self.error.setText(exc.message)
            return
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
