"""The `[network] proxy` setting without the network: what is accepted, the staff's error for the rest, the rule
for the system's proxy, and a proxy password never showing anywhere."""

from __future__ import annotations

import pytest

from rulrr_desktop.core import network
from rulrr_desktop.core.config import Settings
from rulrr_desktop.core.credentials import resolve_credentials
from rulrr_desktop.core.diagnostics import scrub_settings
from rulrr_desktop.core.redact import redact

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
    assert Settings.from_dict(settings.to_dict()).network.proxy == typed      # kept as typed in config.toml
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
