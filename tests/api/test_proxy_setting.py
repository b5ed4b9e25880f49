"""The `[network] proxy` setting without the network: what is accepted, the staff's error for the rest, the rule
for the system's proxy, a proxy password never showing anywhere, and its place: the keyring (held in memory when
the keyring fails), joined to the address only where connections are made."""

from __future__ import annotations

import json
from types import SimpleNamespace

import keyring.errors
import pytest

from rulrr_desktop.core import network
from rulrr_desktop.core.config import Settings, save_settings
from rulrr_desktop.core.credentials import resolve_credentials
from rulrr_desktop.core.diagnostics import scrub_settings
from rulrr_desktop.core.redact import redact
from rulrr_desktop.core.secrets import ProxyPasswords

PASSWORD = "s3cret-proxy-pw"


@pytest.mark.parametrize("typed, used", [
    ("http://proxy.local:3128", "http://proxy.local:3128"),
    ("  proxy.local:3128 ", "http://proxy.local:3128"),
    ("HTTP://Proxy.Local:8080/", "http://Proxy.Local:8080"),
    ("http://10.0.0.5", "http://10.0.0.5"),
    ("http://[fd00::5]:3128", "http://[fd00::5]:3128"),
    (f"http://bob:{PASSWORD}@proxy.local:3128", f"http://bob:{PASSWORD}@proxy.local:3128"),
    ("", None),
    (None, None),
])
def test_accepted_proxy_addresses(typed, used):
    assert network.parse_proxy(typed) == used


@pytest.mark.parametrize("typed, says", [
    ("https://proxy.local:3128", "http://"),
    ("socks5://proxy.local:1080", "http://"),
    ("http://:3128", "host"),
    ("http://proxy.local:99999", "port"),
    ("http://proxy.local:0", "port"),
    (f"http://bob:{PASSWORD}@proxy.local:abc", "port"),
    ("http://proxy.local:3128/wpad.dat", "host and a port"),
    ("http://proxy .local:3128", "host"),
    (f"http://:{PASSWORD}@proxy.local:3128", "user name"),
])
def test_a_bad_proxy_address_is_a_plain_staff_error(typed, says):
    with pytest.raises(network.ProxySettingError) as raised:
        network.parse_proxy(typed)
    error = raised.value
    assert error.title == "The proxy address isn't valid" and says in error.detail
    assert "Settings → Sending → Proxy" in error.action
    assert PASSWORD not in error.message


def test_settings_keep_a_bad_proxy_but_connecting_refuses_it(monkeypatch):
    monkeypatch.setenv("RULRR_CLIENT_SECRET", "demo-secret")
    settings = Settings.from_dict({"rulrr": {"client_id": "demo-pos", "api_url": "http://rulrr.test",
                                             "connect_url": "http://rulrr.test/connect"},
                                   "network": {"proxy": "ftp://proxy.local"}})
    assert settings.network.proxy == "ftp://proxy.local"          # Settings still opens, to fix it
    with pytest.raises(network.ProxySettingError):
        resolve_credentials(settings)
    settings.network.proxy = "proxy.local:3128"
    assert resolve_credentials(settings).proxy == "http://proxy.local:3128"
    settings.network.proxy = " "
    assert resolve_credentials(settings).proxy is None and "network" not in settings.to_dict()


def test_a_proxy_password_never_shows():
    typed = f"http://bob:{PASSWORD}@proxy.local:3128"
    network.parse_proxy(typed)
    settings = Settings.from_dict({"network": {"proxy": typed}})
    assert Settings.from_dict(settings.to_dict()).network.proxy == typed      # hand-written: kept until Settings
                                                                              # saves (the dialog moves it)
    shown = [redact(typed), redact(f"failed: {PASSWORD}"), repr(settings), str(scrub_settings(settings.to_dict()))]
    assert all(PASSWORD not in text for text in shown), shown
    assert redact(typed) == "http://***@proxy.local:3128"


@pytest.fixture
def environment(monkeypatch):
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


def test_the_system_proxy_rule(environment):
    assert network.proxy_for("http://rulrr.test/v1", None) is None                  # nothing set: direct
    environment.setenv("HTTPS_PROXY", "corp-proxy:3128")
    environment.setenv("NO_PROXY", "internal.test")
    assert network.proxy_for("https://api.rulrr.test/v1", None) == "http://corp-proxy:3128"
    assert network.proxy_for("http://api.rulrr.test/v1", None) is None               # no HTTP_PROXY
    assert network.proxy_for("https://internal.test/v1", None) is None               # NO_PROXY
    for loopback in ("https://127.0.0.1:8765", "https://localhost:8765", "https://[::1]:8765", "https://127.0.0.9"):
        assert network.proxy_for(loopback, None) is None
        assert network.aiohttp_options(loopback, None) == {}
    assert network.aiohttp_options("https://api.rulrr.test", None) == {"proxy": "http://corp-proxy:3128"}
    explicit = "http://proxy.local:3128"                                              # the setting beats it all
    assert network.proxy_for("https://127.0.0.1:8765", explicit) == explicit
    assert network.aiohttp_options("https://internal.test", explicit) == {"proxy": explicit}


ADDRESS = "http://bob@proxy.local:3128"


def test_a_saved_password_is_joined_to_the_address_only_for_connections(memory_keyring):
    odd = "p@ss:w/rd %"                           # characters a URL must percent-encode
    saved = network.store_proxy_login(ADDRESS, odd)
    assert saved == network.SavedProxy(ADDRESS) and memory_keyring.items == {
        ("rulrr-desktop", "proxy-password:" + ADDRESS): odd}
    used = network.connection_proxy(ADDRESS)
    assert used == "http://bob:p%40ss%3Aw%2Frd%20%25@proxy.local:3128"
    assert network.split_password(network.parse_proxy(used)) == (ADDRESS, odd)
    assert odd not in redact(f"failed: {odd}") and "%40ss" not in redact(used)
    assert network.connection_proxy("http://proxy.local:3128") == "http://proxy.local:3128"   # no user: no look-up


def test_saving_keeps_moves_or_forgets_the_saved_password(memory_keyring):
    key = ("rulrr-desktop", "proxy-password:" + ADDRESS)
    # a hand-written config.toml with the password inside: an empty Password field moves it to the keyring
    assert network.store_proxy_login(ADDRESS, saved=f"http://bob:{PASSWORD}@proxy.local:3128").address == ADDRESS
    assert memory_keyring.items == {key: PASSWORD}
    assert network.store_proxy_login(ADDRESS, saved=ADDRESS).address == ADDRESS     # empty: kept as it is
    assert memory_keyring.items == {key: PASSWORD}
    moved = "http://bob@proxy2.local:8080"                   # a new host for the same user takes it along
    assert network.store_proxy_login(moved, saved=ADDRESS).address == moved
    assert network.connection_proxy(moved) == f"http://bob:{PASSWORD}@proxy2.local:8080"
    network.store_proxy_login("http://alice@proxy2.local:8080", saved=moved)        # another user does not
    assert network.connection_proxy("http://alice@proxy2.local:8080") == "http://alice@proxy2.local:8080"
    typed = network.store_proxy_login(f"http://bob:typed-in-field@proxy.local:3128", saved=ADDRESS)
    assert typed.address == ADDRESS and memory_keyring.items[key] == "typed-in-field"
    network.store_proxy_login(ADDRESS, forget=True, saved=moved)                     # forgets both logins
    assert memory_keyring.items == {}
    with pytest.raises(network.ProxySettingError, match="user name"):               # nothing to log in with
        network.store_proxy_login("http://proxy.local:3128", "a-password")


def test_a_password_written_inside_the_address_still_works_and_the_log_says_to_move_it(caplog, monkeypatch):
    monkeypatch.setenv("RULRR_CLIENT_SECRET", "demo-secret")
    inline = "http://carol:hand-written-pw-4821@proxy.local:3128"
    settings = Settings.from_dict({"rulrr": {"client_id": "demo-pos", "api_url": "http://rulrr.test",
                                             "connect_url": "http://rulrr.test/connect"},
                                   "network": {"proxy": inline}})
    with caplog.at_level("WARNING", logger="rulrr_desktop.core.network"):
        assert resolve_credentials(settings).proxy == inline
    assert "move it to the system keyring" in caplog.text and "http://***@proxy.local:3128" in caplog.text
    assert "hand-written-pw-4821" not in caplog.text


def refuse_to_store(*_args) -> None:
    """What a keyring that is there but will not store says (locked, or its D-Bus service gone)."""
    raise keyring.errors.KeyringLocked("the collection is locked")


def test_a_password_the_keyring_refuses_is_held_in_memory_and_stored_when_it_works_again(memory_keyring, caplog):
    memory_keyring.set_password = refuse_to_store
    saved = network.store_proxy_login(ADDRESS, PASSWORD)
    try:
        assert saved.address == ADDRESS and saved.held and saved.error.title.startswith("The system keyring")
        assert "in memory only" in saved.error.action and PASSWORD not in saved.error.message
        assert "the proxy password is held in memory" in caplog.text and PASSWORD not in caplog.text
        assert network.connection_proxy(ADDRESS) == f"http://bob:{PASSWORD}@proxy.local:3128"   # works meanwhile
        assert ProxyPasswords().held(ADDRESS) and memory_keyring.items == {}
        del memory_keyring.set_password                                                 # the keyring works again
        assert network.connection_proxy(ADDRESS) == f"http://bob:{PASSWORD}@proxy.local:3128"
        assert not ProxyPasswords().held(ADDRESS)                                       # stored at last
        assert memory_keyring.items == {("rulrr-desktop", "proxy-password:" + ADDRESS): PASSWORD}
    finally:
        ProxyPasswords().delete(ADDRESS)


def test_the_web_view_selftest_reports_a_bad_proxy_setting_without_loading_anything(app_home, capsys):
    from rulrr_desktop.cli import selftest_cmd
    settings = Settings()
    settings.network.proxy = f"ftp://bob:{PASSWORD}@proxy.local:3128"
    save_settings(app_home, settings)
    args = SimpleNamespace(paths=app_home, url="http://rulrr.test/connect", png=None, timeout=1.0)
    assert selftest_cmd.run(args) == 1
    out = capsys.readouterr().out
    report = json.loads(out)
    assert report["ok"] is False and report["error"].startswith("The proxy address isn't valid")
    assert PASSWORD not in out
