"""The Connect page's own states with a scripted Rulrr and the real QtWebEngine: the page cannot load (Retry /
Open in browser instead, polling goes on), the keyring fails (keys held in memory, stored when it recovers),
polling stops while the page is hidden, and bad partner credentials are a message for the POS vendor."""

from __future__ import annotations

import pytest
from connect_helpers import files_containing, grab, visible_texts  # type: ignore[import-not-found]

from rulrr_desktop.core import connection as connection_record
from rulrr_desktop.core.api.errors import BadPartnerCredentials
from rulrr_desktop.core.api.results import IntegrationStatus
from rulrr_desktop.core.connect import ConnectSession
from rulrr_desktop.core.credentials import PartnerCredentials
from rulrr_desktop.core.secrets import SERVICE
from rulrr_desktop.ui.connect_page import ConnectPage


@pytest.fixture
def unreachable_credentials(unused_port):
    # a loopback port nobody listens on: the Connect page fails to load at once
    url = f"http://127.0.0.1:{unused_port}/connect"
    return PartnerCredentials("demo-pos", "demo-secret", url, url, "partner file")


@pytest.fixture
def unused_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_page(qtbot, app_home, credentials, fake_rulrr, **kw):
    page = ConnectPage(lambda: ConnectSession(app_home, credentials, client_factory=fake_rulrr.client),
                       poll_interval_s=kw.pop("poll_interval_s", 0.2), **kw)
    qtbot.addWidget(page)
    page.resize(720, 520)
    return page


def test_load_error_offers_retry_and_the_browser_and_polling_goes_on(qtbot, app_home, fake_rulrr,
                                                                     unreachable_credentials, opened_urls):
    fake_rulrr.statuses = [IntegrationStatus("pending")] * 1000
    page = make_page(qtbot, app_home, unreachable_credentials, fake_rulrr)
    page.show()
    qtbot.waitUntil(lambda: page.state == "load_error", timeout=20000)
    assert page.retry_button.isVisible() and page.browser_button.isVisible()
    assert "could not be opened" in " ".join(visible_texts(page))
    grab(qtbot, page, "load_error")
    with qtbot.waitSignal(page.stateChanged, timeout=20000,
                          check_params_cb=lambda s: s == "load_error") as _:
        page.retry_button.click()                   # Retry loads again (and fails again here)
    page.browser_button.click()
    assert page.state == "in_browser"
    assert opened_urls and "integration_token=" in opened_urls[-1] and "client_id=demo-pos" in opened_urls[-1]
    grab(qtbot, page, "in_browser")
    # the flow goes on by polling: the merchant confirms in the browser
    fake_rulrr.statuses = [IntegrationStatus("finished")]
    with qtbot.waitSignal(page.connected, timeout=5000) as connected:
        pass
    assert connected.args[0].store_name == "Bridge Street Bakery"
    assert page.state == "stored"
    grab(qtbot, page, "connected")


def test_keyring_failure_holds_the_keys_until_it_recovers(qtbot, app_home, fake_rulrr, unreachable_credentials,
                                                          flaky_keyring, caplog):
    fake_rulrr.statuses = [IntegrationStatus("finished")]
    page = make_page(qtbot, app_home, unreachable_credentials, fake_rulrr, keyring_retry_s=0.2)
    page.show()
    qtbot.waitUntil(lambda: page.state == "stored_in_memory", timeout=10000)
    assert page.keyring_button.isVisible()
    assert "keyring" in " ".join(visible_texts(page)).lower()
    assert connection_record.load(app_home) is None
    grab(qtbot, page, "keyring_locked")
    flaky_keyring.broken = False
    with qtbot.waitSignal(page.connected, timeout=5000):
        pass
    assert flaky_keyring.items[(SERVICE, "default:access_token")] == "access-1-0123456789"
    assert len(fake_rulrr.exchanges) == 1
    assert "0123456789" not in caplog.text
    assert files_containing(app_home.config_dir.parent, "0123456789") == []


def test_polling_stops_while_hidden_and_resumes_when_shown(qtbot, app_home, fake_rulrr, unreachable_credentials):
    polls = []
    fake_rulrr.statuses = []
    original = fake_rulrr.client

    def counting_client(token=None):
        client = original(token)
        status = client.integration_status
        client.integration_status = lambda t: polls.append(t) or status(t)
        return client

    fake_rulrr.client = counting_client
    page = make_page(qtbot, app_home, unreachable_credentials, fake_rulrr, poll_interval_s=0.05)
    page.show()
    qtbot.waitUntil(lambda: len(polls) >= 3, timeout=10000)
    page.hide()
    qtbot.waitUntil(lambda: not page._busy, timeout=5000)
    count = len(polls)
    # an observation window of 12 poll intervals with the page hidden: no poll may happen in it
    qtbot.wait(600)
    assert len(polls) == count
    page.show()
    qtbot.waitUntil(lambda: len(polls) > count, timeout=5000)
    page.close()
    assert page.state != "stored"


def test_bad_partner_credentials_are_a_vendor_problem(qtbot, app_home, fake_rulrr, unreachable_credentials):
    def refusing(token=None):
        client = fake_rulrr.__class__().client(token)
        client.create_integration = lambda: (_ for _ in ()).throw(
            BadPartnerCredentials("Rulrr refused the client secret", status=403))
        return client

    fake_rulrr.client = refusing
    page = make_page(qtbot, app_home, unreachable_credentials, fake_rulrr)
    with qtbot.waitSignal(page.failed, timeout=5000) as failed:
        page.show()
    assert isinstance(failed.args[0], BadPartnerCredentials)
    text = " ".join(visible_texts(page))
    assert "POS vendor" in text and "not set up correctly" in text
    assert page.try_again_button.isVisible()
    grab(qtbot, page, "bad_partner_credentials")


@pytest.mark.parametrize("how", ["closed", "deleted with its parent"])
def test_closing_while_the_keyring_fails_does_not_lose_the_keys(qtbot, app_home, fake_rulrr,
                                                                unreachable_credentials, flaky_keyring, how):
    import shiboken6
    from PySide6.QtWidgets import QWidget
    fake_rulrr.statuses = [IntegrationStatus("finished")]
    wizard = QWidget()
    page = ConnectPage(lambda: ConnectSession(app_home, unreachable_credentials, client_factory=fake_rulrr.client),
                       poll_interval_s=0.2, keyring_retry_s=0.05, parent=wizard)
    wizard.show()
    qtbot.waitUntil(lambda: page.state == "stored_in_memory", timeout=10000)
    if how == "closed":                           # the staff closes the wizard; the keyring is still locked
        page.close()
    shiboken6.delete(wizard)                      # the wizard goes away, with the page inside it
    assert flaky_keyring.items == {}
    flaky_keyring.broken = False                  # ...and unlocks it later
    qtbot.waitUntil(lambda: (SERVICE, "default:refresh_token") in flaky_keyring.items, timeout=5000)
    qtbot.waitUntil(lambda: connection_record.path(app_home).exists(), timeout=5000)
    assert connection_record.load(app_home).store_name == "Bridge Street Bakery"
    assert len(fake_rulrr.exchanges) == 1


def test_polling_backs_off_while_rulrr_is_unreachable(qtbot, app_home, fake_rulrr, unreachable_credentials):
    from rulrr_desktop.core.api.errors import NetworkError
    from rulrr_desktop.ui.connect_page import OFFLINE_NOTICE
    fake_rulrr.statuses = [NetworkError("no route")] * 3 + [IntegrationStatus("pending")] * 1000
    page = make_page(qtbot, app_home, unreachable_credentials, fake_rulrr, poll_interval_s=0.05)
    delays = []
    page._timer.timeout.connect(lambda: delays.append(page._delay_s))
    page.show()
    qtbot.waitUntil(lambda: len(delays) >= 5 and page.notice == "", timeout=10000)
    assert delays[:4] == [0.05, 0.1, 0.2, 0.4]           # the first poll, then doubled after each failure
    assert OFFLINE_NOTICE not in visible_texts(page)      # cleared once Rulrr answers again
    page.close()


def test_missing_partner_settings_fail_the_page_for_the_vendor(qtbot, app_home, tmp_path, monkeypatch):
    monkeypatch.setenv("RULRR_PARTNER_FILE", str(tmp_path / "no-partner-file.toml"))
    page = ConnectPage.for_profile(app_home)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.failed, timeout=5000) as failed:
        page.show()
    assert type(failed.args[0]).__name__ == "PartnerSetupError"
    assert "POS vendor" in " ".join(visible_texts(page))
    page.close()
