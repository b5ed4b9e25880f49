"""The Connect page with the real QtWebEngine, the real sandbox and (for the happy path) the session's real
Secret Service: the merchant completes Rulrr's page inside the view; Cancel; the 15-minute expiry through the
sandbox clock; navigation to another origin handed to the system browser. PNGs of each state land in
build/screens/connect/."""

from __future__ import annotations

import logging
import time

import pytest
from connect_helpers import (app_log_lines_with, files_containing, grab,  # type: ignore[import-not-found]
                            integration, visible_texts)

from rulrr_desktop.core import connection as connection_record
from rulrr_desktop.core.secrets import TokenStore
from rulrr_desktop.ui.connect_page import EXPIRED_NOTICE, ConnectPage

POLL_S = 1.5


@pytest.fixture
def page(qtbot, app_home, partner_file):
    widget = ConnectPage.for_profile(app_home, poll_interval_s=POLL_S)
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    yield widget
    widget.close()


def js(qtbot, page, script: str):
    """Runs `script` in the Connect page and returns its result."""
    box = {}
    page._view.page().runJavaScript(script, 0, lambda result: box.setdefault("result", result))
    qtbot.waitUntil(lambda: "result" in box, timeout=10000)
    return box["result"]


def wait_for_element(qtbot, page, selector: str) -> None:
    qtbot.waitUntil(lambda: page.state == "page" and js(qtbot, page, f"!!document.querySelector({selector!r})"),
                    timeout=20000)


def sign_in(qtbot, page) -> None:
    wait_for_element(qtbot, page, "#sign-in")
    js(qtbot, page, "document.querySelector('#email').value = 'owner@example.com';"
                    "document.querySelector('#password').value = 'demo';"
                    "document.querySelector('#sign-in').click(); true")
    wait_for_element(qtbot, page, "input[name=store_id][value=store-2]")


@pytest.mark.keyring
def test_merchant_connects_inside_the_view(qtbot, page, sandbox, app_home, real_keyring, caplog, request,
                                           app_logging):
    request.addfinalizer(lambda: TokenStore("default").delete())
    caplog.set_level(logging.DEBUG)
    states = []
    page.stateChanged.connect(states.append)
    page.show()
    qtbot.waitUntil(lambda: page.state in ("starting", "loading"), timeout=5000)
    grab(qtbot, page, "1_loading")
    wait_for_element(qtbot, page, "#sign-in")
    grab(qtbot, page, "2_sign_in", min_colours=4)
    sign_in(qtbot, page)
    js(qtbot, page, "document.querySelector('#store-store-2').checked = true; true")
    grab(qtbot, page, "3_choose_store", min_colours=4)
    token = page.session.integration_token
    with qtbot.waitSignal(page.connected, timeout=int(4 * POLL_S * 1000)) as connected:
        clicked = time.monotonic()
        js(qtbot, page, "document.querySelector('#connect').click(); true")
    latency = time.monotonic() - clicked
    assert latency <= 2 * POLL_S, f"connected {latency:.2f} s after the click"
    connection = connected.args[0]
    assert connection.store_name == "Harbour Cafe"
    assert states[-2:] == ["exchanging", "stored"] and "page" in states
    grab(qtbot, page, "4_connected")
    issued = integration(sandbox, token)
    stored = TokenStore("default").load()
    assert "SecretService" in TokenStore("default").backend_name
    assert (stored.access_token, stored.refresh_token) == (issued["access_token"], issued["refresh_token"])
    assert connection_record.load(app_home).store_name == "Harbour Cafe"
    secrets = (stored.access_token, stored.refresh_token)
    assert files_containing(app_home.config_dir.parent.parent, *secrets) == []
    assert app_log_lines_with(caplog, *secrets) == []
    assert app_logging.stat().st_size > 0             # the app's log file (checked above) did get lines
    assert not any(s in text for s in secrets for text in visible_texts(page))
    assert "Harbour Cafe" in " ".join(visible_texts(page))


def test_cancel_then_try_again(qtbot, page, sandbox):
    page.show()
    sign_in(qtbot, page)
    first = page.session.integration_token
    with qtbot.waitSignal(page.stateChanged, timeout=int(4 * POLL_S * 1000),
                          check_params_cb=lambda s: s == "cancelled"):
        js(qtbot, page, "document.querySelector('#cancel').click(); true")
    assert page.try_again_button.isVisible()
    assert "cancelled" in " ".join(visible_texts(page))
    grab(qtbot, page, "5_cancelled")
    assert integration(sandbox, first)["status"] == "cancelled"
    page.try_again_button.click()
    wait_for_element(qtbot, page, "#sign-in")
    assert page.session.integration_token != first
    assert integration(sandbox, page.session.integration_token)["status"] == "pending"


def test_expiry_gives_a_fresh_token_and_reloads_the_page(qtbot, page, sandbox):
    page.show()
    wait_for_element(qtbot, page, "#sign-in")
    first = page.session.integration_token
    states = []
    page.stateChanged.connect(states.append)
    sandbox.advance_clock(16 * 60)
    qtbot.waitUntil(lambda: page.session.integration_token != first and page.state == "page", timeout=15000)
    assert "expired" in states
    assert page.notice == EXPIRED_NOTICE and EXPIRED_NOTICE in visible_texts(page)
    url = page._view.url().toString()
    assert page.session.integration_token in url and first not in url
    wait_for_element(qtbot, page, "#sign-in")
    grab(qtbot, page, "6_expired_reloaded", min_colours=4)


def test_navigation_to_another_origin_goes_to_the_system_browser(qtbot, page, sandbox, opened_urls):
    page.show()
    wait_for_element(qtbot, page, "#sign-in")
    here = page._view.url().toString()
    js(qtbot, page, "location.href = 'https://example.org/help'; true")
    qtbot.waitUntil(lambda: "https://example.org/help" in opened_urls, timeout=10000)
    js(qtbot, page, "window.open('https://example.org/popup', '_blank'); true")
    qtbot.waitUntil(lambda: "https://example.org/popup" in opened_urls, timeout=10000)
    assert page._view.url().toString() == here
    assert js(qtbot, page, "!!document.querySelector('#sign-in')") is True
    assert page.state == "page"
    assert page._view.page().profile().isOffTheRecord()


def test_importing_the_page_does_not_load_the_web_engine():
    import subprocess
    import sys
    code = ("import sys, rulrr_desktop.ui.connect_page\n"
            "print(sorted(m for m in sys.modules if m.startswith('PySide6.QtWebEngine')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"
