"""`rulrr-desktop demo` opens this app: on the demo profile the wizard starts, tells how to sign in on the
Connect page, and has the demo export and the store prefilled, so a newcomer only clicks through."""

from __future__ import annotations

from rulrr_desktop.ui.app import DesktopApp
from rulrr_desktop.ui.backend import CoreBackend


def test_demo_profile_opens_a_prefilled_wizard(qtbot, tmp_path, monkeypatch, grab, memory_keyring):
    from rulrr_desktop.core.demo_export import prepare_demo
    monkeypatch.setenv("RULRR_PARTNER_FILE", "")          # restored after the test (prepare_demo sets it)
    env = prepare_demo(tmp_path / "demo", history=20, sale_interval_s=3600)
    try:
        desktop = DesktopApp(CoreBackend(env.paths), tray_available=True, interval_s=3600)
        desktop.demo = True
        desktop.start()
        wizard = desktop.wizard
        assert wizard is not None and wizard.isVisible()
        wizard.next()
        hint = wizard.findChild(__import__("PySide6.QtWidgets").QtWidgets.QLabel, "demoHint")
        assert hint is not None and "owner@example.com" in hint.text() and "demo" in hint.text()
        # one click: the demo merchant completes the real Connect page (sandbox hook), the wizard moves on
        qtbot.waitUntil(lambda: bool(getattr(wizard.connect_page.session, "integration_token", "")),
                        timeout=30_000)
        wizard.demo_button.click()
        qtbot.waitUntil(lambda: wizard.current == "source", timeout=30_000)
        assert wizard.connected_store == "Bridge Street Bakery"
        # the demo export is already chosen and previewed
        qtbot.waitUntil(wizard.source_form.ready, timeout=30_000)
        assert wizard.source_form.path_edit.text() == str(env.export.path)
        assert wizard.source_form.result.orders == 20
        assert wizard.store_form.values()["storeName"]
    finally:
        desktop.close()
        env.close()
