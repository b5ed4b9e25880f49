"""The sandbox's Connect page in a real QWebEngineView (off-the-record profile, offscreen), driven the way the
app's tests drive it (runJavaScript on the contracted element ids), by keyboard only, and inside a cross-site
iframe. Set RULRR_SANDBOX_SHOTS=DIR to keep a PNG of every step."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

QtWebEngineCore = pytest.importorskip("PySide6.QtWebEngineCore")
from PySide6.QtCore import QCoreApplication, QEvent, QUrl, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWebEngineWidgets import QWebEngineView  # noqa: E402

from pytestqt.exceptions import TimeoutError  # noqa: E402

from sandbox_helpers import PARTNER  # noqa: E402

SHOTS = os.environ.get("RULRR_SANDBOX_SHOTS")


@pytest.fixture(scope="module")
def view(qapp):
    """One web view for the module (QtWebEngine start-up is the slow part), on an off-the-record profile."""
    profile = QtWebEngineCore.QWebEngineProfile()  # no storage name: off the record, cookies in memory only
    assert profile.isOffTheRecord()
    widget = QWebEngineView()
    page = QtWebEngineCore.QWebEnginePage(profile, widget)
    widget.setPage(page)
    widget.resize(560, 760)
    widget.show()
    yield widget
    widget.close()
    page.deleteLater()  # the page must go before its profile
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    widget.deleteLater()
    profile.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


class Driver:
    def __init__(self, qtbot, view, sandbox):
        self.qtbot, self.view, self.sandbox = qtbot, view, sandbox

    def js(self, script: str):
        box: dict = {}
        self.view.page().runJavaScript(script, 0, lambda result: box.setdefault("result", result))
        self.qtbot.waitUntil(lambda: "result" in box, timeout=10000)
        return box["result"]

    def frame_js(self, frame, script: str):
        """Runs `script` in a child frame; None when the frame navigated away before answering."""
        box: dict = {}
        frame.runJavaScript(script, 0, lambda result: box.setdefault("result", result))
        try:
            self.qtbot.waitUntil(lambda: "result" in box, timeout=1000)
        except TimeoutError:
            return None
        return box["result"]

    def wait_ready_for_keys(self) -> None:
        """Waits until the page has focus and has painted frames: Chromium drops input before the first paint."""
        self.js("window.__frames = 0; (function tick() { if (++window.__frames < 3) requestAnimationFrame(tick); })();"
                " true")
        self.qtbot.waitUntil(lambda: self.js("document.hasFocus() && window.__frames >= 3"), timeout=10000)

    def load(self, url: str) -> None:
        with self.qtbot.waitSignal(self.view.loadFinished, timeout=15000) as blocker:
            self.view.load(QUrl(url))
        assert blocker.args == [True]

    def navigate(self, script: str) -> None:
        """Runs a script that submits a form and waits for the next page."""
        with self.qtbot.waitSignal(self.view.loadFinished, timeout=15000):
            self.view.page().runJavaScript(script)

    def shot(self, name: str) -> None:
        if SHOTS:  # only when asked for: give the compositor a moment to paint the last change
            self.qtbot.wait(400)
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            self.view.grab().save(str(Path(SHOTS) / f"{name}.png"))

    def start(self) -> str:
        token = httpx.post(f"{self.sandbox.url}/v1/auth/integration", params=PARTNER).json()["integrationToken"]
        self.load(f"{self.sandbox.connect_url}?integration_token={token}&client_id=demo-pos")
        return token

    def status(self, token: str) -> dict:
        return httpx.get(f"{self.sandbox.url}/v1/auth/integration",
                         params={**PARTNER, "integration_token": token}).json()

    def sign_in(self, password: str = "demo") -> None:
        self.navigate(f"document.querySelector('#email').value = 'owner@example.com';"
                      f"document.querySelector('#password').value = {password!r};"
                      "document.querySelector('#sign-in').click();")

    def result(self) -> tuple[str, str]:
        status = self.js("document.querySelector('#result')?.dataset.status || ''")
        return status, self.js("document.querySelector('#result')?.innerText || ''")


@pytest.fixture
def driver(qtbot, view, sandbox):
    return Driver(qtbot, view, sandbox)


def test_sign_in_choose_store_2_and_connect(driver):
    token = driver.start()
    assert driver.js("!!document.querySelector('form#sign-in-form input#email') && "
                     "!!document.querySelector('input#password') && !!document.querySelector('button#sign-in')")
    assert driver.js("document.activeElement.id") == "email"  # autofocus: type straight away
    driver.shot("1-sign-in")
    driver.sign_in()
    assert driver.js("[...document.querySelectorAll('input[name=store_id]')].map(i => i.id + '=' + i.value)"
                     ".join(' ')") == "store-store-1=store-1 store-store-2=store-2"
    assert driver.js("document.querySelectorAll('#permissions li').length") >= 3
    driver.js("document.querySelector('#store-store-2').click(); true")
    driver.shot("2-choose-store")
    driver.navigate("document.querySelector('#connect').click();")
    status, text = driver.result()
    assert status == "finished" and "Harbour Cafe" in text
    driver.shot("3-finished")
    assert driver.status(token) == {"success": True, "status": "finished"}
    integration = next(i for i in driver.sandbox.state()["integrations"] if i["token"] == token)
    assert integration["store_id"] == "store-2"


def test_cancel_ends_on_a_cancelled_page(driver):
    token = driver.start()
    driver.sign_in()
    driver.navigate("document.querySelector('#cancel').click();")
    status, text = driver.result()
    assert status == "cancelled" and "Demo POS" in text
    driver.shot("4-cancelled")
    assert driver.status(token) == {"success": True, "status": "cancelled", "reason": "merchant_cancelled"}


def test_a_wrong_password_shows_an_error_and_stays_on_sign_in(driver):
    token = driver.start()
    driver.sign_in(password="not-the-password")
    assert driver.js("(() => { const e = document.querySelector('#error');"
                     " return e.getAttribute('role') + '|' + (e.offsetHeight > 0) + '|' + e.innerText })()"
                     ).startswith("alert|true|That email and password do not match")
    assert driver.js("!!document.querySelector('form#sign-in-form') && "
                     "document.querySelector('#email').value") == "owner@example.com"
    assert driver.js("document.querySelectorAll('input[name=store_id]').length") == 0
    driver.shot("5-wrong-password")
    assert driver.status(token)["status"] == "pending"


def test_unknown_and_expired_tokens_get_a_clear_page(driver):
    driver.load(f"{driver.sandbox.connect_url}?integration_token=it_made_up&client_id=demo-pos")
    status, text = driver.result()
    assert status == "invalid" and "not valid" in text
    driver.shot("6-invalid")
    token = httpx.post(f"{driver.sandbox.url}/v1/auth/integration", params=PARTNER).json()["integrationToken"]
    driver.sandbox.advance_clock(16 * 60)
    driver.load(f"{driver.sandbox.connect_url}?integration_token={token}&client_id=demo-pos")
    status, text = driver.result()
    assert status == "expired" and "expired" in text
    driver.shot("7-expired")


def test_keyboard_only(driver):
    token = driver.start()
    driver.view.setFocus()
    driver.wait_ready_for_keys()
    assert driver.js("document.activeElement.id") == "email"  # autofocus: type straight away
    keys = driver.view.focusProxy()
    QTest.keyClicks(keys, "owner@example.com")
    driver.qtbot.waitUntil(lambda: driver.js("document.activeElement.value") == "owner@example.com", timeout=10000)
    QTest.keyClick(keys, Qt.Key_Tab)
    driver.qtbot.waitUntil(lambda: driver.js("document.activeElement.id") == "password", timeout=10000)
    QTest.keyClicks(keys, "demo")
    driver.qtbot.waitUntil(lambda: driver.js("document.activeElement.value") == "demo", timeout=10000)
    with driver.qtbot.waitSignal(driver.view.loadFinished, timeout=15000):
        QTest.keyClick(keys, Qt.Key_Return)                 # Enter submits the sign-in form
    driver.view.setFocus()
    driver.wait_ready_for_keys()
    keys = driver.view.focusProxy()                         # a new page may come with a new render widget
    QTest.keyClick(keys, Qt.Key_Tab)                        # focus lands on the first store
    driver.qtbot.waitUntil(lambda: driver.js("document.activeElement.id") == "store-store-1", timeout=10000)
    assert driver.js("getComputedStyle(document.activeElement).outlineStyle") != "none"  # visible focus
    QTest.keyClick(keys, Qt.Key_Down)                       # arrows pick the store
    driver.qtbot.waitUntil(lambda: driver.js("document.querySelector('#store-store-2').checked"), timeout=10000)
    with driver.qtbot.waitSignal(driver.view.loadFinished, timeout=15000):
        QTest.keyClick(keys, Qt.Key_Return)                 # Enter means Connect, the form's first button
    assert driver.result()[0] == "finished"
    integration = next(i for i in driver.sandbox.state()["integrations"] if i["token"] == token)
    assert integration["status"] == "finished" and integration["store_id"] == "store-2"


def test_works_inside_a_cross_site_iframe(driver):
    token = httpx.post(f"{driver.sandbox.url}/v1/auth/integration", params=PARTNER).json()["integrationToken"]
    src = f"{driver.sandbox.connect_url}?integration_token={token}&client_id=demo-pos"
    # the host page's origin is localhost, the sandbox's 127.0.0.1: different sites, so no shared cookies
    host = QUrl(driver.sandbox.url.replace("127.0.0.1", "localhost") + "/host-page")
    with driver.qtbot.waitSignal(driver.view.loadFinished, timeout=15000):
        driver.view.setHtml(f'<iframe id="c" src="{src}" style="width:520px;height:700px;border:0"></iframe>', host)
    page = driver.view.page()

    def frame():
        children = page.mainFrame().children()
        return children[0] if children else None

    def in_frame(script):
        f = frame()
        return driver.frame_js(f, script) if f is not None and f.isValid() else None

    driver.qtbot.waitUntil(lambda: in_frame("!!document.querySelector('#sign-in')") is True, timeout=15000)
    in_frame("document.querySelector('#email').value = 'owner@example.com';"
             "document.querySelector('#password').value = 'demo'; document.querySelector('#sign-in').click(); true")
    driver.qtbot.waitUntil(lambda: in_frame("!!document.querySelector('#store-store-1')") is True, timeout=15000)
    in_frame("document.querySelector('#store-store-1').click(); document.querySelector('#connect').click(); true")
    driver.qtbot.waitUntil(lambda: in_frame("document.querySelector('#result')?.dataset.status") == "finished",
                           timeout=15000)
    driver.shot("8-iframe-finished")
    assert driver.status(token) == {"success": True, "status": "finished"}
