"""A web view confined to one origin, on an off-the-record profile: the frame of the Rulrr Connect page.

Why: the Connect page is where the merchant types a Rulrr password, so the app's window must show that page and
nothing else: a link to anywhere else (help pages, the merchant's e-mail provider, a target=_blank link or a
window.open) opens in the system browser instead, where the address bar tells the truth. The profile is
off the record (no storage name), so no cookie, cache or history reaches the disk.

This module imports QtWebEngine at its top; only `ui.connect_page` imports it, lazily, so the app starts without
loading Chromium until the wizard needs it.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtNetwork import QNetworkProxy, QNetworkProxyFactory
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

_INTERNAL_SCHEMES = ("about", "data", "blob")


def origin(url: QUrl) -> tuple[str, str, int]:
    """(scheme, host, port) with the scheme's default port filled in."""
    scheme = url.scheme().lower()
    default = {"http": 80, "https": 443}.get(scheme, -1)
    return scheme, url.host().lower(), url.port(default)


def open_externally(url: QUrl) -> None:
    """Hands a URL to the system browser (the one door out of the confined view)."""
    if url.scheme().lower() in ("http", "https", "mailto"):
        log.info("opening %s://%s in the system browser", url.scheme(), url.host())
        QDesktopServices.openUrl(url)


def use_proxy(proxy: str | None) -> None:
    """Sets the proxy of every web view from the `[network] proxy` setting (a `core.network.parse_proxy` result;
    None: the system's). Call it before a page loads: QtWebEngine hands Qt's application proxy (or the system's)
    to Chromium, with the proxy's user name and password. Chromium reaches loopback addresses directly."""
    if not proxy:
        QNetworkProxyFactory.setUseSystemConfiguration(True)
        return
    url = QUrl(proxy)
    QNetworkProxy.setApplicationProxy(QNetworkProxy(
        QNetworkProxy.ProxyType.HttpProxy, url.host(), url.port(80),
        url.userName(QUrl.ComponentFormattingOption.FullyDecoded),
        url.password(QUrl.ComponentFormattingOption.FullyDecoded)))


class _ExternalWindowPage(QWebEnginePage):
    """The page behind a new window the Connect page asked for: its first real URL goes to the system
    browser, and the page is discarded."""

    def __init__(self, profile: QWebEngineProfile, parent: QObject) -> None:
        super().__init__(profile, parent)
        self.urlChanged.connect(self._take)

    def acceptNavigationRequest(self, url: QUrl, _type, _is_main_frame: bool) -> bool:  # noqa: N802
        self._take(url)
        return False

    def _take(self, url: QUrl) -> None:
        if url.isEmpty() or url.scheme() in _INTERNAL_SCHEMES or self.property("taken"):
            return
        self.setProperty("taken", True)
        open_externally(url)
        self.deleteLater()


class ConfinedPage(QWebEnginePage):
    """A page that stays on `allowed` origin: other main-frame navigations go to the system browser."""

    navigationRefused = Signal(QUrl)

    def __init__(self, profile: QWebEngineProfile, allowed: QUrl, parent: QObject | None = None) -> None:
        super().__init__(profile, parent)
        self.allowed = allowed

    def set_allowed(self, url: QUrl) -> None:
        self.allowed = url

    def is_allowed(self, url: QUrl) -> bool:
        return url.scheme() in _INTERNAL_SCHEMES or origin(url) == origin(self.allowed)

    def acceptNavigationRequest(self, url: QUrl, nav_type, is_main_frame: bool) -> bool:  # noqa: N802
        if not is_main_frame or self.is_allowed(url):
            return True
        self.navigationRefused.emit(url)
        open_externally(url)
        return False

    def createWindow(self, _type) -> QWebEnginePage:  # noqa: N802
        return _ExternalWindowPage(self.profile(), self)


class ConfinedWebView(QWebEngineView):
    """A QWebEngineView that shows a `ConfinedPage` on `profile`.

    The caller owns `profile` (off the record: `QWebEngineProfile(parent)` without a storage name keeps cookies,
    cache and history in memory only) and must make it outlive the view: create it as a child of an ancestor
    of the view, after the view's own parent, so that Qt deletes the view and its page before the profile.
    """

    def __init__(self, profile: QWebEngineProfile, allowed: QUrl, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.confined_page = ConfinedPage(profile, allowed, self)
        self.setPage(self.confined_page)
