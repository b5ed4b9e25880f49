"""Settings → Sending → Proxy: checked on Save with the same rule as the HTTP clients (core.network), and handed to
the Connect page's web view (ui.web.use_proxy)."""

from __future__ import annotations

import pytest

from rulrr_desktop.ui.settings_dialog import SettingsDialog

STORE = {"storeName": "Bridge Street Bakery", "storeAddress": "120 Bridge Street", "storeCountryCode": "US",
         "storeCurrency": "USD"}


@pytest.fixture
def dialog(qtbot, fake_backend):
    settings = fake_backend.settings()
    settings.store.update(STORE)
    dialog = SettingsDialog(fake_backend, settings)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_a_bad_proxy_is_explained_next_to_the_field_and_nothing_is_saved(dialog, fake_backend):
    dialog.tabs.setCurrentIndex(0)
    dialog.proxy.setText("http://bob:s3cret-pw@proxy.local:31280000")
    dialog.save()
    assert not fake_backend.saved and dialog.isVisible()
    assert dialog.tabs.currentWidget() is dialog.sending and dialog.proxy_problem.isVisible()
    assert "port" in dialog.proxy_problem.text() and "s3cret-pw" not in dialog.proxy_problem.text()
    assert dialog.error.text() == "The proxy address isn't valid."


@pytest.mark.parametrize("typed, saved", [("proxy.local:3128", "http://proxy.local:3128"), ("  ", None)])
def test_a_good_proxy_is_saved_as_the_clients_will_use_it(qtbot, dialog, fake_backend, typed, saved):
    dialog.proxy.setText("ftp://nope")
    dialog.save()
    dialog.proxy.setText(typed)
    with qtbot.waitSignal(dialog.accepted):
        dialog.save()
    assert fake_backend.saved[-1].network.proxy == saved and not dialog.proxy_problem.isVisible()


def test_the_web_view_takes_the_proxy_setting_or_the_system_proxy(qapp):
    from PySide6.QtNetwork import QNetworkProxy, QNetworkProxyFactory
    from rulrr_desktop.ui.web import use_proxy
    try:
        use_proxy("http://bob:p%40ss@proxy.local:3128")
        proxy = QNetworkProxy.applicationProxy()
        assert proxy.type() == QNetworkProxy.ProxyType.HttpProxy
        assert (proxy.hostName(), proxy.port(), proxy.user(), proxy.password()) == ("proxy.local", 3128, "bob", "p@ss")
        assert not QNetworkProxyFactory.usesSystemConfiguration()
    finally:
        use_proxy(None)
    assert QNetworkProxyFactory.usesSystemConfiguration()
    assert QNetworkProxy.applicationProxy().hostName() != "proxy.local"
