"""Settings → Sending → Proxy: checked on Save with the same rule as the HTTP clients (core.network), its password
kept in the system keyring and never in config.toml, and handed to the Connect page's web view (ui.web.use_proxy).
"""

from __future__ import annotations

import keyring.errors
import pytest
from PySide6.QtWidgets import QLineEdit

from rulrr_desktop.core.network import connection_proxy
from rulrr_desktop.core.secrets import ProxyPasswords
from rulrr_desktop.ui.backend import CoreBackend
from ui_support import open_settings_dialog


@pytest.fixture
def dialog(qtbot, fake_backend):
    return open_settings_dialog(qtbot, fake_backend)


def save_and_wait(qtbot, dialog) -> None:
    """Save, then wait until the keyring (written off the UI thread) has answered and the dialog shows it."""
    dialog.save()
    qtbot.waitUntil(lambda: not dialog.saving)


def test_a_bad_proxy_is_explained_next_to_the_field_and_nothing_is_saved(qtbot, dialog, fake_backend):
    dialog.tabs.setCurrentIndex(0)
    dialog.proxy.setText("http://bob:s3cret-pw@proxy.local:31280000")
    save_and_wait(qtbot, dialog)
    assert not fake_backend.saved and dialog.isVisible()
    assert dialog.tabs.currentWidget() is dialog.sending and dialog.proxy_problem.isVisible()
    assert "port" in dialog.proxy_problem.text() and "s3cret-pw" not in dialog.proxy_problem.text()
    assert dialog.error.text() == "The proxy address isn't valid."


@pytest.mark.parametrize("typed, saved", [("proxy.local:3128", "http://proxy.local:3128"), ("  ", None)])
def test_a_good_proxy_is_saved_as_the_clients_will_use_it(qtbot, dialog, fake_backend, typed, saved):
    dialog.proxy.setText("ftp://nope")
    save_and_wait(qtbot, dialog)
    assert dialog.proxy_problem.isVisible() and not fake_backend.saved
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


ADDRESS = "http://bakery@proxy.local:3128"
IN_FILE, TYPED = "hand-written-pw-1207", "typed-pw-5531"


def save(qtbot, dialog) -> None:
    with qtbot.waitSignal(dialog.accepted):
        dialog.save()


def test_the_password_field_hides_what_is_typed_and_is_named_for_screen_readers(dialog):
    field = dialog.proxy_password
    assert field.echoMode() is QLineEdit.EchoMode.Password and field.accessibleName() == "Proxy password"
    assert "keep the saved one" in field.placeholderText()
    assert dialog.forget_password.accessibleName() == "Forget the saved proxy password"


@pytest.mark.parametrize("keyring_kind", ["memory", pytest.param("real", marks=pytest.mark.keyring)])
def test_the_proxy_password_lives_in_the_keyring_and_never_in_config_toml(request, qtbot, app_home, keyring_kind):
    if keyring_kind == "real":
        request.getfixturevalue("real_keyring")
    request.addfinalizer(lambda: ProxyPasswords().delete(ADDRESS))
    app_home.ensure()
    app_home.config_file.write_text(f'[network]\nproxy = "http://bakery:{IN_FILE}@proxy.local:3128"\n',
                                    encoding="utf-8")
    backend = CoreBackend(app_home)

    dialog = open_settings_dialog(qtbot, backend)          # a hand-written password: not shown, moved on Save
    assert dialog.proxy.text() == ADDRESS and dialog.proxy_password.text() == ""
    save(qtbot, dialog)
    assert IN_FILE not in app_home.config_file.read_text(encoding="utf-8")
    assert backend.settings().network.proxy == ADDRESS
    assert connection_proxy(ADDRESS) == f"http://bakery:{IN_FILE}@proxy.local:3128"

    dialog = open_settings_dialog(qtbot, backend)          # a new password typed in its field
    dialog.proxy_password.setText(TYPED)
    save(qtbot, dialog)
    assert TYPED not in app_home.config_file.read_text(encoding="utf-8")
    assert connection_proxy(backend.settings().network.proxy) == f"http://bakery:{TYPED}@proxy.local:3128"

    dialog = open_settings_dialog(qtbot, backend)          # typed inside the address: split the same way
    dialog.proxy.setText(f"http://bakery:{IN_FILE}@proxy.local:3128")
    save(qtbot, dialog)
    assert IN_FILE not in app_home.config_file.read_text(encoding="utf-8")
    assert ProxyPasswords().get(ADDRESS) == IN_FILE

    dialog = open_settings_dialog(qtbot, backend)          # forgotten
    dialog.forget_password.setChecked(True)
    save(qtbot, dialog)
    assert ProxyPasswords().get(ADDRESS) is None and connection_proxy(ADDRESS) == ADDRESS
    assert backend.settings().network.proxy == ADDRESS


def test_a_password_without_a_user_name_is_explained_next_to_the_field(qtbot, dialog, fake_backend):
    dialog.proxy.setText("http://proxy.local:3128")
    dialog.proxy_password.setText(TYPED)
    save_and_wait(qtbot, dialog)
    assert not fake_backend.saved and dialog.proxy_problem.isVisible()
    assert "user name" in dialog.proxy_problem.text() and TYPED not in dialog.proxy_problem.text()


def test_when_the_keyring_refuses_the_password_is_held_in_memory_and_the_dialog_says_so(qtbot, app_home,
                                                                                      memory_keyring):
    def refuse(*_args):
        raise keyring.errors.KeyringLocked("the collection is locked")
    memory_keyring.set_password = refuse
    backend = CoreBackend(app_home)
    dialog = open_settings_dialog(qtbot, backend)
    dialog.proxy.setText(ADDRESS)
    dialog.proxy_password.setText(TYPED)
    try:
        save_and_wait(qtbot, dialog)
        assert dialog.isVisible() and dialog.tabs.currentWidget() is dialog.sending
        assert "kept in memory only" in dialog.error.text()
        assert dialog.error.text().startswith("Saved, except the proxy password. The system keyring")
        assert backend.settings().network.proxy == ADDRESS                        # the rest is saved
        assert TYPED not in app_home.config_file.read_text(encoding="utf-8")
        assert connection_proxy(ADDRESS) == f"http://bakery:{TYPED}@proxy.local:3128"   # works until the app closes
        del memory_keyring.set_password                                           # unlocked: Save again
        save(qtbot, dialog)
        assert memory_keyring.items == {("rulrr-desktop", "proxy-password:" + ADDRESS): TYPED}
    finally:
        ProxyPasswords().delete(ADDRESS)
