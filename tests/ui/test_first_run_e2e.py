"""The whole first run, for real: the wizard with the real QtWebEngine Connect page and the real sandbox over
HTTP; the merchant signs in and connects inside the view; a CSV export is picked; the store profile is saved;
the app then sends every order and the tray says "up to date"."""

from __future__ import annotations

import pytest

from rulrr_desktop.core.status_text import SyncState
from rulrr_desktop.ui.app import DesktopApp
from rulrr_desktop.ui.backend import CoreBackend
from rulrr_desktop.ui.style import apply_style

from ui_support import write_generic_export


def save_with_web_view(window, view, path) -> None:
    """A window grab does not include the web view's own surface: paint the view's grab over its place."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QPainter
    image = window.grab()
    painter = QPainter(image)
    painter.drawPixmap(view.mapTo(window, QPoint(0, 0)), view.grab())
    painter.end()
    assert image.save(str(path))


def colours(widget) -> int:
    image = widget.grab().toImage().scaled(120, 90)
    return len({image.pixel(x, y) for x in range(image.width()) for y in range(image.height())})


def js(qtbot, page, script: str):
    box = {}
    page._view.page().runJavaScript(script, 0, lambda result: box.setdefault("result", result))
    qtbot.waitUntil(lambda: "result" in box, timeout=10_000)
    return box["result"]


def wait_for_element(qtbot, page, selector: str) -> None:
    qtbot.waitUntil(lambda: page.state == "page" and bool(js(qtbot, page, f"!!document.querySelector({selector!r})")),
                    timeout=30_000)


@pytest.mark.timeout(180)
def test_first_run_from_welcome_to_up_to_date(qtbot, qapp, app_home, partner_file, sandbox, tmp_path, grab,
                                              screens_dir):
    apply_style(qapp)
    export = tmp_path / "pos" / "orders.csv"
    ids = write_generic_export(export, 40, bad=2)
    from rulrr_desktop.core.autostart import XdgAutostart
    switch = XdgAutostart(["rulrr-desktop"], env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    desktop = DesktopApp(CoreBackend(app_home.ensure()), tray_available=True, autostart_switch=switch,
                         interval_s=3600, jitter_s=0.1)
    try:
        desktop.start()
        wizard = desktop.wizard
        assert wizard is not None and wizard.isVisible()
        qtbot.waitExposed(wizard)
        assert desktop.tray.state is SyncState.NOT_CONNECTED
        wizard.next_button.click()                                   # Welcome → Connect
        assert wizard.current == "connect"
        page = wizard.connect_page
        wait_for_element(qtbot, page, "#sign-in")
        qtbot.waitUntil(lambda: colours(page._view) >= 4, timeout=10_000)   # the web view has painted
        save_with_web_view(wizard, page._view, screens_dir / "e2e-2-connect.png")
        js(qtbot, page, "document.querySelector('#email').value = 'owner@example.com';"
                        "document.querySelector('#password').value = 'demo';"
                        "document.querySelector('#sign-in').click(); true")
        wait_for_element(qtbot, page, 'input[name="store_id"][value="store-1"]')
        js(qtbot, page, "document.querySelector('input[name=\"store_id\"][value=\"store-1\"]').checked = true;"
                        "document.querySelector('#connect').click(); true")
        qtbot.waitUntil(lambda: wizard.current == "source", timeout=30_000)   # moved on by itself
        assert wizard.connected_store == "Bridge Street Bakery"
        wizard.source_form.set_path(str(export))                  # what the file dialog would return
        qtbot.waitUntil(wizard.source_form.ready, timeout=30_000)
        assert wizard.source_form.result.preset == "generic-csv"
        assert wizard.source_form.result.orders == 40
        assert "2 rows cannot be sent" in wizard.source_form.problems.text()
        grab(wizard, "e2e-3-source")
        wizard.next_button.click()                                   # → Store profile
        assert wizard.current == "store"
        form = wizard.store_form
        assert form.edits["storeName"].text() == "Bridge Street Bakery"
        form.edits["storeAddress"].setText("120 Bridge Street")
        form.country.setEditText("United States (US)")
        form.timezone.setText("America/New_York")
        wizard.next_button.click()                                   # saved → Done
        assert wizard.current == "done", form.problem_label.text()
        wizard.next_button.click()                                   # Finish
        assert switch.is_enabled()                                   # start at login, on by default
        qtbot.waitUntil(lambda: desktop.window.isVisible(), timeout=5_000)
        # the app now sends everything; 2 rows need a fix, so the tray says "needs attention" while up to date
        qtbot.waitUntil(lambda: desktop.status.delivered_total == 40 and not desktop.status.syncing,
                        timeout=60_000)
        held = sandbox.orders("store-1")
        assert sorted(o["orderId"] for o in held["orders"]) == ids and held["duplicates"] == 0
        assert desktop.tray.state is SyncState.ATTENTION and desktop.status.quarantined == 2
        assert desktop.tray.text.summary.startswith("Last sync just now")
        stores = sandbox.hook("GET", "stores")
        assert "120 Bridge Street" in str(stores)
        # the clerk fixes the export (drops the rows without an id): up to date
        write_generic_export(export, 40)
        desktop.tray.sync_action.trigger()
        qtbot.waitUntil(lambda: desktop.tray.state is SyncState.UP_TO_DATE, timeout=60_000)
        assert desktop.tray.text.headline == "Up to date"
        assert desktop.status.source_label == "orders.csv (Generic CSV (Rulrr's field names))"
        assert desktop.backend.settings().source.preset == "generic-csv"    # the recognised format, pinned
        grab(desktop.window, "e2e-main-up-to-date")
    finally:
        desktop.close()
