"""`ConnectSession`: the integration-token state machine that connects a profile to a Rulrr store.

    new ─start()→ pending ─poll()→ finished ─exchange_and_store()→ stored
                     │                                   └→ stored_in_memory ─retry_store()→ stored
                     ├→ cancelled   (the merchant cancelled; restart() for a fresh token)
                     ├→ expired     (15 minutes passed; restart() for a fresh token)
                     └→ failed      (a fatal error: bad partner credentials, tokens already issued, ...)

It is Qt-free and driven by explicit calls, so the wizard polls it from a QTimer (through a worker thread)
and `rulrr-desktop connect` from a loop. Each call is short (one HTTP request or so) and returns the new state.

Errors: every method raises the `AppError` it met. A transient one (`err.retryable`) leaves the state as it was,
so the caller backs off and calls again; a fatal one moves the state to FAILED and is kept in `error`.
A refused client_id/secret is `BadPartnerCredentials` (a setup problem of the POS vendor); no usable keyring at
all is `KeyringUnavailable` at `start()`, before the merchant does anything.

The tokens come only once: `exchange_and_store()` asks for them at most once per integration token, writes them
to the keyring before anything else happens, and only then reads the store (GET /v1/stores) and saves the
non-secret `Connection` record. If the keyring fails, the state is STORED_IN_MEMORY, `error` is the
`KeyringUnavailable`, and the tokens stay in memory until `retry_store()` succeeds.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Callable
from urllib.parse import urlencode, urlsplit, urlunsplit, parse_qsl

from rulrr_desktop.core import connection as connection_record
from rulrr_desktop.core.api.errors import IntegrationTokenInvalid, RulrrError
from rulrr_desktop.core.config import AppPaths
from rulrr_desktop.core.connection import Connection
from rulrr_desktop.core.credentials import PartnerCredentials
from rulrr_desktop.core.errors import AppError
from rulrr_desktop.core.redact import register_secret
from rulrr_desktop.core.secrets import TokenStore, TokenVault

log = logging.getLogger(__name__)


class ConnectState(str, Enum):
    NEW = "new"
    PENDING = "pending"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    STORED = "stored"
    STORED_IN_MEMORY = "stored_in_memory"
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value

    @property
    def final(self) -> bool:
        """No more polling: the flow ended (restart() begins a new one where that makes sense)."""
        return self in (ConnectState.CANCELLED, ConnectState.EXPIRED, ConnectState.STORED,
                        ConnectState.STORED_IN_MEMORY, ConnectState.FAILED)


class ExchangeRefused(AppError):
    """The tokens were not handed out and cannot be had for this attempt (e.g. already issued)."""

    title = "Rulrr did not hand out the keys for this connection"
    action = "Start connecting again."


def connect_page_url(connect_url: str, integration_token: str, client_id: str) -> str:
    """The Connect page URL with `integration_token` and `client_id` added to its query."""
    parts = urlsplit(connect_url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("integration_token", "client_id")]
    query += [("integration_token", integration_token), ("client_id", client_id)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def default_client_factory(credentials: PartnerCredentials) -> Callable[[str | None], Any]:
    """Builds RulrrClients for these credentials (`factory(access_token)`)."""
    def factory(access_token: str | None = None):
        from rulrr_desktop.core.api.client import RulrrClient
        return RulrrClient.for_partner(credentials, access_token=access_token)
    return factory


def _close(client: Any) -> None:
    close = getattr(client, "close", None)
    if callable(close):
        close()


def store_identity(store: dict) -> tuple[str, str]:
    """(store id, store name) from a GET /v1/stores body's `store` object, tolerating key variants."""
    store_id = str(store.get("storeId") or store.get("id") or store.get("store_id") or "")
    return store_id, str(store.get("storeName") or store.get("name") or "")


class ConnectSession:
    """One attempt to connect `paths.profile` to Rulrr (see the module docstring for the states)."""

    def __init__(self, paths: AppPaths, credentials: PartnerCredentials, *,
                 client_factory: Callable[[str | None], Any] | None = None,
                 token_store: TokenStore | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.paths = paths
        self.credentials = credentials
        self._make_client = client_factory or default_client_factory(credentials)
        self.vault = TokenVault(token_store or TokenStore(paths.profile))
        self._now = now
        self._client: Any = None
        self._lock = threading.RLock()
        self.state = ConnectState.NEW
        self.error: AppError | None = None
        self.reason = ""                      # Rulrr's reason for a cancellation, if any
        self.integration_token: str | None = None
        self.connection: Connection | None = None
        self.attempts = 0                     # integration tokens created so far
        self._exchanged_for: set[str] = set()  # integration tokens whose exchange was asked for
        self._expires_at: datetime | None = None
        self._store: dict = {}

    def __repr__(self) -> str:
        return f"ConnectSession(profile={self.paths.profile!r}, state={self.state.value!r})"

    # -- the pieces the UI needs ---------------------------------------------------------------------
    @property
    def page_url(self) -> str:
        """The Connect page for the current integration token (a secret-bearing URL: never log it)."""
        if not self.integration_token:
            raise RuntimeError("start() first")
        return connect_page_url(self.credentials.connect_url, self.integration_token, self.credentials.client_id)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._make_client(None)
        return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                _close(self._client)
                self._client = None

    # -- transitions --------------------------------------------------------------------------------
    def _fatal(self, exc: AppError) -> AppError:
        self.state = ConnectState.FAILED
        self.error = exc
        return exc

    def _guard(self, exc: AppError) -> AppError:
        """Classifies an error met in a call: transient ones keep the state, the others end the flow."""
        if isinstance(exc, RulrrError) and exc.retryable:
            self.error = exc
            return exc
        return self._fatal(exc)

    def start(self) -> ConnectState:
        """Creates an integration token (POST /v1/auth/integration): → PENDING."""
        with self._lock:
            try:
                self.vault.store.ensure_usable()     # no keyring at all: do not begin a flow whose keys we'd lose
                token = self.client.create_integration()
            except AppError as exc:
                raise self._guard(exc)
            register_secret(token)
            self.integration_token = token
            self.attempts += 1
            self.state, self.error, self.reason = ConnectState.PENDING, None, ""
            log.info("connect: integration %d created, waiting for the merchant", self.attempts)
            return self.state

    def restart(self) -> ConnectState:
        """A fresh integration token after a cancellation or an expiry (or to begin again after a failure)."""
        with self._lock:
            if self.state in (ConnectState.STORED, ConnectState.STORED_IN_MEMORY):
                raise RuntimeError("this session already holds the tokens")
            self.integration_token = None
            self.state = ConnectState.NEW
            return self.start()

    def poll(self) -> ConnectState:
        """Asks Rulrr how the merchant is doing (GET /v1/auth/integration) while PENDING; returns the state."""
        with self._lock:
            if self.state is not ConnectState.PENDING:
                return self.state
            try:
                status = self.client.integration_status(self.integration_token)
            except IntegrationTokenInvalid:
                # The token is no longer known to Rulrr: it outlived its 15 minutes.
                self.state, self.reason = ConnectState.EXPIRED, "expired"
                return self.state
            except AppError as exc:
                raise self._guard(exc)
            self.error = None
            if status.status == "finished":
                self.state = ConnectState.FINISHED
            elif status.status == "cancelled":
                self.reason = status.reason or ""
                self.state = ConnectState.EXPIRED if self.reason == "expired" else ConnectState.CANCELLED
            if self.state is not ConnectState.PENDING:
                log.info("connect: integration %d is %s", self.attempts, self.state.value)
            return self.state

    def exchange_and_store(self) -> ConnectState:
        """FINISHED → tokens (asked for once) → keyring → store → Connection record: STORED (or
        STORED_IN_MEMORY with `error` when the keyring fails)."""
        with self._lock:
            if self.state is not ConnectState.FINISHED:
                return self.state
            token = self.integration_token
            if token in self._exchanged_for:
                raise self._fatal(ExchangeRefused("the keys for this connection were already asked for"))
            try:
                tokens = self.client.exchange_tokens(token)
            except AppError as exc:
                # Transient (network, 5xx, 409 not finished): nothing was handed out that we know of, so asking
                # again is safe; if Rulrr did hand them out and the answer was lost, it says
                # tokens_already_issued and the flow ends with a fresh start offered.
                if isinstance(exc, RulrrError) and exc.retryable:
                    raise self._guard(exc)
                self._exchanged_for.add(token)
                raise self._fatal(exc)
            self._exchanged_for.add(token)
            # First thing: the keyring (or memory, if the keyring fails). Nothing may come before it.
            stored = self.vault.put(tokens.access_token, tokens.refresh_token)
            self._expires_at = tokens.expires_at
            self._store = self._read_store(tokens.access_token)
            if not stored:
                self.state, self.error = ConnectState.STORED_IN_MEMORY, self.vault.last_error
                log.warning("connect: the keys are held in memory until the keyring works")
                return self.state
            return self._record()

    def retry_store(self) -> ConnectState:
        """STORED_IN_MEMORY → STORED once the keyring accepts the held tokens."""
        with self._lock:
            if self.state is not ConnectState.STORED_IN_MEMORY:
                return self.state
            if not self.vault.retry_pending():
                self.error = self.vault.last_error
                return self.state
            return self._record()

    def store_in_background(self, interval_s: float = 5.0) -> threading.Thread | None:
        """Keeps retrying `retry_store()` on a daemon thread until the held tokens land in the keyring.

        For when the window that drove the session goes away while the keyring still fails: the tokens must not
        go with it. Returns the thread (None when nothing is held)."""
        if self.state is not ConnectState.STORED_IN_MEMORY:
            return None
        wake = threading.Event()

        def loop() -> None:
            while self.retry_store() is ConnectState.STORED_IN_MEMORY:
                wake.wait(interval_s)
            self.close()

        thread = threading.Thread(target=loop, name="rulrr-store-keys", daemon=True)
        thread.start()
        return thread

    # -- helpers ----------------------------------------------------------------------------------
    def _read_store(self, access_token: str) -> dict:
        client = None
        try:
            client = self._make_client(access_token)
            return dict(client.get_store() or {})
        except AppError as exc:   # the tokens are safe; the store's name can be read later
            log.warning("connect: could not read the store's name: %s", exc.title)
            return {}
        finally:
            if client is not None:
                _close(client)

    def _record(self) -> ConnectState:
        store_id, store_name = store_identity(self._store)
        self.connection = Connection(
            profile=self.paths.profile, store_id=store_id, store_name=store_name, connected_at=self._now(),
            expires_at=self._expires_at, keyring_backend=self.vault.store.backend_name,
            api_url=self.credentials.api_url)
        connection_record.save(self.paths, self.connection)
        self.state, self.error = ConnectState.STORED, None
        log.info("connect: connected to %s", store_name or "the store")
        return self.state
