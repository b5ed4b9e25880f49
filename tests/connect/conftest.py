"""Fixtures of the Connect area: a scripted fake Rulrr client (for the state machine's edge cases), keyring
backends that fail on demand, and helpers to read the sandbox's view of an integration."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
import pytest

from rulrr_desktop.core.api.results import IntegrationStatus, Tokens
from rulrr_desktop.core.config import AppPaths
from rulrr_desktop.core.credentials import PartnerCredentials


class FakeRulrr:
    """A scripted Rulrr: integration statuses and errors are queued by the test; counts every call."""

    def __init__(self) -> None:
        self.counter = itertools.count(1)
        self.statuses: list = []          # what integration_status returns (or raises), in order
        self.exchange_errors: list = []   # raised by exchange_tokens before it succeeds
        self.refresh_errors: list = []
        self.created: list[str] = []
        self.exchanges: list[str] = []
        self.refreshes: list[str] = []
        self.store = {"storeId": "store-1", "storeName": "Bridge Street Bakery"}
        self.expires_in = timedelta(days=365)

    def client(self, access_token: str | None = None) -> "FakeClient":
        return FakeClient(self, access_token)


class FakeClient:
    def __init__(self, rulrr: FakeRulrr, access_token: str | None) -> None:
        self.rulrr = rulrr
        self.access_token = access_token

    def create_integration(self) -> str:
        token = f"itok-{next(self.rulrr.counter):04d}-abcdef"
        self.rulrr.created.append(token)
        return token

    def integration_status(self, token: str) -> IntegrationStatus:
        item = self.rulrr.statuses.pop(0) if self.rulrr.statuses else IntegrationStatus("pending")
        if isinstance(item, Exception):
            raise item
        return item

    def exchange_tokens(self, token: str) -> Tokens:
        self.rulrr.exchanges.append(token)
        if self.rulrr.exchange_errors:
            raise self.rulrr.exchange_errors.pop(0)
        n = len(self.rulrr.exchanges)
        return Tokens(f"access-{n}-0123456789", f"refresh-{n}-0123456789",
                      datetime.now(timezone.utc) + self.rulrr.expires_in)

    def refresh(self, refresh_token: str) -> Tokens:
        self.rulrr.refreshes.append(refresh_token)
        if self.rulrr.refresh_errors:
            raise self.rulrr.refresh_errors.pop(0)
        return Tokens(f"access-r{len(self.rulrr.refreshes)}-0123456789", refresh_token,
                      datetime.now(timezone.utc) + timedelta(days=365))

    def get_store(self) -> dict:
        assert self.access_token, "get_store needs an access token"
        return dict(self.rulrr.store)

    def close(self) -> None:
        pass


class FlakyKeyring(keyring.backend.KeyringBackend):
    """A keyring that refuses to store while `broken` is True (like a locked collection), else keeps a dict."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, broken: bool = True) -> None:
        super().__init__()
        self.broken = broken
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        if self.broken:
            raise keyring.errors.KeyringLocked("the collection is locked")
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        if (service, username) not in self.items:
            raise keyring.errors.PasswordDeleteError(username)
        del self.items[(service, username)]


@pytest.fixture
def fake_rulrr() -> FakeRulrr:
    return FakeRulrr()


@pytest.fixture
def fake_credentials() -> PartnerCredentials:
    return PartnerCredentials("demo-pos", "demo-secret", "http://rulrr.invalid", "http://rulrr.invalid/connect",
                              "partner file")


@pytest.fixture
def flaky_keyring():
    backend = FlakyKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


# QtWebEngine wants this set before the QApplication exists (pytest-qt creates it at the first Qt test).
try:
    from PySide6.QtCore import QCoreApplication, Qt

    if QCoreApplication.instance() is None:
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
except ImportError:  # pragma: no cover - PySide6 is a dependency
    pass


@pytest.fixture
def app_logging(app_home):
    """The app's own logging (redacting handlers, a log file under the app home) at DEBUG, for this test."""
    import logging

    from rulrr_desktop.core.logs import setup_logging
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    quiet = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    setup_logging(app_home.log_dir, level=logging.DEBUG, stderr=False)
    yield app_home.log_dir / "rulrr-desktop.log"
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    for name, previous in quiet.items():
        logging.getLogger(name).setLevel(previous)


@pytest.fixture
def opened_urls(monkeypatch):
    """The URLs the app handed to the system browser (QDesktopServices.openUrl), instead of opening them."""
    opened: list[str] = []
    monkeypatch.setattr("PySide6.QtGui.QDesktopServices.openUrl",
                        staticmethod(lambda url: opened.append(url.toString()) or True))
    return opened
