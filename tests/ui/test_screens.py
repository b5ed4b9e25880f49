"""Every screen and tray state, driven by a scripted backend; each is grabbed to a PNG (see RULRR_SCREENS_DIR)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from rulrr_desktop.core.status_text import SyncState, describe
from rulrr_desktop.ui.log_view import LogView
from rulrr_desktop.ui.main_window import MainWindow
from rulrr_desktop.ui.problems_dialog import ProblemsDialog
from rulrr_desktop.ui.settings_dialog import SettingsDialog
from rulrr_desktop.ui.style import apply_style, dark_palette
from rulrr_desktop.ui.tray import Tray
from rulrr_desktop.ui.wizard import FirstRunWizard

from ui_support import NOW, PROBLEMS, STATES, sample_status


@pytest.fixture(autouse=True)
def styled(qapp):
    apply_style(qapp)
    palette = qapp.palette()
    yield
    qapp.setPalette(palette)


@pytest.mark.parametrize("name", list(STATES))
def test_tray_shows_each_state(qtbot, name):
    tray = Tray()
    text = tray.show_status(STATES[name], NOW)
    assert tray.state.value == name
    assert tray.icon.toolTip() == text.tooltip
    assert not tray.icon.icon().isNull()
    assert tray.headline_action.text() == text.headline
    assert tray.problems_action.isEnabled() == (name == "attention")
    assert tray.sync_action.isEnabled() == (name not in ("not-connected", "syncing"))


def test_tray_menu_reads_the_real_status(qtbot, grab):
    tray = Tray()
    tray.show_status(STATES["attention"], NOW)
    labels = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
    assert labels[0] == "3 orders could not be sent"
    assert labels[1].startswith("Last sync 2 min ago · 38 orders today")
    assert labels[2:] == ["Sync now", "Pause sending", "Open Rulrr Desktop", "Show problems (3)",
                          "Open log folder", "Quit"]
    tray.menu.popup(tray.menu.pos())
    qtbot.waitExposed(tray.menu)
    grab(tray.menu, "tray-menu")
    tray.menu.hide()


def test_tray_icons_legible_on_light_and_dark_panels(qtbot, grab):
    from PySide6.QtGui import QColor, QPainter, QPixmap
    from rulrr_desktop.ui.icons import state_icon
    sheet = QPixmap(7 * 40 + 8, 2 * 40 + 8)
    sheet.fill(QColor("#ffffff"))
    p = QPainter(sheet)
    p.fillRect(0, 44, sheet.width(), 44, QColor("#202020"))
    for i, state in enumerate(SyncState):
        for row in (0, 1):
            p.drawPixmap(4 + i * 40, 6 + row * 44, state_icon(state).pixmap(32, 32))
    p.end()
    label = QLabel()
    label.setPixmap(sheet)
    qtbot.addWidget(label)
    label.resize(sheet.size())
    label.show()
    grab(label, "tray-icons")


def test_tray_notifies_first_error_and_recovery_only(qtbot):
    tray = Tray()
    tray.show_status(STATES["up-to-date"])
    for _ in range(5):
        tray.show_status(STATES["error"])
    tray.show_status(STATES["up-to-date"])
    tray.show_status(STATES["up-to-date"])
    assert [t for t, _ in tray.notifications] == ["Rulrr no longer accepts this connection", "Sending again"]


def test_tray_actions_emit_signals(qtbot):
    tray = Tray()
    tray.show_status(STATES["up-to-date"])
    with qtbot.waitSignal(tray.syncNowRequested):
        tray.sync_action.trigger()
    with qtbot.waitSignal(tray.pauseToggled) as paused:
        tray.pause_action.trigger()
    assert paused.args == [True]
    tray.show_status(STATES["up-to-date"].with_changes(paused_by_user=True))
    assert tray.pause_action.text() == "Resume sending"
    with qtbot.waitSignal(tray.pauseToggled) as resumed:
        tray.pause_action.trigger()
    assert resumed.args == [False]
    with qtbot.waitSignal(tray.quitRequested):
        tray.quit_action.trigger()


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("name", ["up-to-date", "syncing", "attention", "error", "not-connected"])
def test_main_window_states(qtbot, qapp, grab, theme, name):
    if theme == "dark":
        qapp.setPalette(dark_palette())
    window = MainWindow()
    qtbot.addWidget(window)
    window.set_tray_available(True)
    status = STATES[name]
    window.render_status(status, NOW)
    window.show()
    qtbot.waitExposed(window)
    text = describe(status, NOW)
    assert window.headline.text() == text.headline
    assert window.progress.isVisible() == (name == "syncing")
    assert window.error_banner.isVisible() == (name == "error")
    assert window.problems_button.isVisible() == (name == "attention")
    assert window.disconnect_button.isEnabled() == (name != "not-connected")
    if name == "error":
        assert "Reconnect" in window.error_banner.body.text()
    if name == "syncing":
        assert window.progress.text() == "6,200 of 20,000 orders"
        assert "310 orders/s" in window.summary.text() and "left" in window.summary.text()
    if name == "up-to-date":
        assert window.today_value.text() == "38" and window.total_value.text() == "1,204"
        assert window.chart.days == status.daily
    grab(window, f"main-{name}-{theme}")


def test_main_window_without_a_tray_says_so(qtbot, grab):
    window = MainWindow()
    qtbot.addWidget(window)
    window.set_tray_available(False)
    window.render_status(STATES["up-to-date"])
    window.show()
    qtbot.waitExposed(window)
    assert window.tray_banner.isVisible()
    assert "no tray" in window.tray_banner.title.text()
    window.close()                       # closing does not end the app: it minimises
    assert window.isVisible()
    grab(window, "main-no-tray")


def test_problems_dialog_lists_where_and_why(qtbot, grab):
    dialog = ProblemsDialog(PROBLEMS)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.table.rowCount() == 3
    assert dialog.table.item(0, 0).text() == "items-2026-06-12.csv:17"
    grab(dialog, "problems")


def test_log_view_shows_the_tail(qtbot, tmp_path, grab):
    log = tmp_path / "rulrr-desktop.log"
    log.write_text("".join(f"2026-06-28 14:{i % 60:02d}:00,000 INFO sync: line {i}\n" for i in range(5000)))
    view = LogView(log)
    qtbot.addWidget(view)
    view.show()
    text = view.text.toPlainText()
    assert text.rstrip().endswith("line 4999") and "line 0\n" not in text
    grab(view, "log")


def test_settings_dialog_saves(qtbot, fake_backend, grab, tmp_path):
    from rulrr_desktop.core.autostart import XdgAutostart
    switch = XdgAutostart(["x"], env={"XDG_CONFIG_HOME": str(tmp_path)})
    settings = fake_backend.settings()
    settings.store.update({"storeName": "Bridge Street Bakery", "storeAddress": "120 Bridge Street",
                           "storeCountryCode": "US", "storeCurrency": "USD"})
    dialog = SettingsDialog(fake_backend, settings, switch)
    qtbot.addWidget(dialog)
    dialog.show()
    for i in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(i)
        grab(dialog, f"settings-{i}")
    dialog.interval.setValue(120)
    dialog.proxy.setText("http://proxy.local:3128")
    dialog.autostart_box.setChecked(True)
    with qtbot.waitSignal(dialog.accepted):
        dialog.save()
    saved = fake_backend.saved[-1]
    assert saved.sync.interval_seconds == 120 and saved.network.proxy == "http://proxy.local:3128"
    assert saved.store["storeCountryCode"] == "US" and switch.is_enabled()


def test_settings_dialog_refuses_a_broken_store(qtbot, fake_backend):
    dialog = SettingsDialog(fake_backend, fake_backend.settings())
    qtbot.addWidget(dialog)
    dialog.save()
    assert not fake_backend.saved
    assert "store name" in dialog.store_form.problem_label.text()


class FakeConnectPage(QWidget):
    connected = Signal(object)
    failed = Signal(object)
    stateChanged = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("(Rulrr's Connect page is shown here)"))


def test_wizard_pages_keyboard_and_labels(qtbot, fake_backend, grab, tmp_path):
    from rulrr_desktop.core.autostart import XdgAutostart
    switch = XdgAutostart(["x"], env={"XDG_CONFIG_HOME": str(tmp_path)})
    pages = []
    wizard = FirstRunWizard(fake_backend, connect_page_factory=lambda b, parent: pages.append(
        FakeConnectPage(parent)) or pages[-1], autostart_switch=switch)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    assert wizard.current == "welcome" and wizard.next_button.isDefault()
    grab(wizard, "wizard-1-welcome")
    wizard.next()
    assert wizard.current == "connect" and not wizard.next_button.isEnabled()
    grab(wizard, "wizard-2-connect")
    pages[0].connected.emit(SimpleNamespace(store_name="Bridge Street Bakery"))
    assert wizard.current == "source"       # moved on by itself
    wizard.source_form.set_path(str(tmp_path / "items.csv"))
    qtbot.waitUntil(wizard.source_form.ready)
    assert wizard.next_button.isEnabled()
    assert wizard.source_form.table.rowCount() == 12
    assert "Square: Item Sales" in wizard.source_form.recognised.text()
    assert "3 rows cannot be sent" in wizard.source_form.problems.text()
    assert "4 rows skipped" in wizard.source_form.problems.text()
    grab(wizard, "wizard-3-source")
    wizard.next()
    assert wizard.current == "store"
    form = wizard.store_form
    assert form.edits["storeName"].text() == "Bridge Street Bakery"      # from the connected store
    assert form.values()["storeCurrency"] == "USD"                         # from the export
    wizard.next()                                                          # address and country missing
    assert wizard.current == "store" and "street address" in form.problem_label.text()
    grab(wizard, "wizard-4-store-problems")
    form.edits["storeAddress"].setText("120 Bridge Street")
    form.country.setEditText("United States (US)")
    form.edits["storePhoneNumber"].setText("(212) 201-3344")
    form.validate()
    grab(wizard, "wizard-4-store")
    wizard.next()
    assert wizard.current == "done" and wizard.autostart_box.isChecked()
    saved = fake_backend.saved[-1]
    assert saved.source.path.endswith("items.csv") and saved.source.kind == "csv"
    assert saved.store["storeCountryCode"] == "US" and saved.store["storePhoneNumber"] == "+12122013344"
    grab(wizard, "wizard-5-done")
    with qtbot.waitSignal(wizard.completed):
        wizard.next()
    assert switch.is_enabled()
    # every field on the form pages has a label (buddy) and an accessible name
    from PySide6.QtWidgets import QComboBox, QLineEdit
    buddies = {label.buddy() for label in wizard.findChildren(QLabel) if label.buddy() is not None}
    for field in wizard.findChildren(QLineEdit) + wizard.findChildren(QComboBox):
        if field.parent() is not None and isinstance(field.parent(), QComboBox):
            continue
        assert field.accessibleName(), field
        assert field in buddies, field.accessibleName()
