"""`TokenManager`: the access token of a connected profile, refreshed before it expires or when Rulrr refuses it.

Access tokens last 365 days; the refresh token does not expire but dies when Rulrr revokes the access. The
sync engine asks this manager for the token, never the keyring:

    tokens = TokenManager(paths, client)
    token = tokens.access_token()          # refreshes first when under 30 days are left
    ...a data call answers 403 (NotAuthorised)...
    token = tokens.refresh_after_forbidden(token)   # one refresh; NotAuthorised if Rulrr refuses it too

`refresh_after_forbidden(rejected)` refreshes at most once per rejected token: when several workers were
refused the same token, the first refreshes and the others get the new one; when the token it returns is
refused again, it raises `NotAuthorised` ("Reconnect to Rulrr") and marks the Connection record
`needs_reconnect`. Nothing is deleted then: the ledger keeps every undelivered order for after reconnecting.

Each refresh writes the new tokens to the keyring (through a `TokenVault`: if the keyring fails they are held
in memory and stored by the next call) and the new expiry to the Connection record. `client` is a RulrrClient
(only its `refresh(refresh_token) -> Tokens` is used). Thread-safe.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from rulrr_desktop.core import connection as connection_record
from rulrr_desktop.core.api.errors import BadPartnerCredentials, NotAuthorised, RulrrError
from rulrr_desktop.core.config import AppPaths
from rulrr_desktop.core.secrets import StoredTokens, TokenStore, TokenVault

log = logging.getLogger(__name__)

REFRESH_AHEAD = timedelta(days=30)


class TokenManager:
    """The current access token of `paths.profile` (see the module docstring for the contract)."""

    def __init__(self, paths: AppPaths, client: Any, *, store: TokenStore | None = None,
                 refresh_ahead: timedelta = REFRESH_AHEAD,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.paths = paths
        self.client = client
        self.vault = TokenVault(store or TokenStore(paths.profile))
        self.refresh_ahead = refresh_ahead
        self._now = now
        self._lock = threading.RLock()
        self._tokens: StoredTokens | None = None
        self._refreshed_after_forbidden: set[str] = set()   # tokens obtained by refresh_after_forbidden

    def __repr__(self) -> str:
        return f"TokenManager(profile={self.paths.profile!r})"

    # -- public -----------------------------------------------------------------------------------------
    def access_token(self) -> str:
        """The access token to use now; refreshed first when it expires within `refresh_ahead`.

        Raises NotAuthorised when the profile is not connected (or Rulrr refused it), KeyringUnavailable when
        the keyring cannot be read. A failed ahead-of-time refresh that is only transient keeps the old token.
        """
        with self._lock:
            tokens = self._current()
            self.vault.retry_pending()
            if self._due():
                try:
                    return self._refresh(tokens)
                except RulrrError as exc:
                    if exc.retryable:
                        log.warning("token refresh postponed: %s", exc.title)
                        return tokens.access_token
                    raise
            return tokens.access_token

    def refresh_after_forbidden(self, rejected_token: str | None = None) -> str:
        """A new access token after a data call was refused (403) with `rejected_token`; once per token.

        Raises NotAuthorised when the refresh is refused, or when `rejected_token` itself came from a refresh
        after a 403 (refreshing again would loop): the staff must reconnect.
        """
        with self._lock:
            tokens = self._current()
            if rejected_token is not None and rejected_token != tokens.access_token:
                return tokens.access_token          # another caller refreshed already
            if tokens.access_token in self._refreshed_after_forbidden:
                raise self._reconnect_needed("Rulrr refused the renewed key too")
            fresh = self._refresh(tokens)
            self._refreshed_after_forbidden.add(fresh)
            return fresh

    def refresh(self) -> str:
        """Refreshes now, whatever the expiry; returns the new access token."""
        with self._lock:
            return self._refresh(self._current())

    def expires_at(self) -> datetime | None:
        record = connection_record.load(self.paths)
        return record.expires_at if record else None

    # -- internals -------------------------------------------------------------------------------------
    def _current(self) -> StoredTokens:
        if self._tokens is None:
            self._tokens = self.vault.held or self.vault.store.load()
        if self._tokens is None:
            raise NotAuthorised("this profile is not connected to a Rulrr store", title="Not connected to Rulrr",
                                action="Connect to Rulrr first (the Connect wizard, or `rulrr-desktop connect`).")
        return self._tokens

    def _due(self) -> bool:
        expires = self.expires_at()
        return expires is not None and expires - self._now() < self.refresh_ahead

    def _refresh(self, tokens: StoredTokens) -> str:
        try:
            fresh = self.client.refresh(tokens.refresh_token)
        except BadPartnerCredentials:
            raise
        except RulrrError as exc:
            if exc.retryable:
                raise
            raise self._reconnect_needed(f"Rulrr refused to renew the key ({exc.title})") from None
        refresh_token = fresh.refresh_token or tokens.refresh_token
        self._tokens = StoredTokens(fresh.access_token, refresh_token)
        # The keyring first; if it fails the vault holds them and the next call stores them.
        self.vault.put(fresh.access_token, refresh_token)
        record = connection_record.load(self.paths)
        if record is not None:
            connection_record.save(self.paths, record.with_changes(
                expires_at=fresh.expires_at, refreshed_at=self._now(), needs_reconnect=False,
                keyring_backend=self.vault.store.backend_name))
        if hasattr(self.client, "access_token"):
            try:
                self.client.access_token = fresh.access_token
            except AttributeError:
                pass
        log.info("the Rulrr access key was renewed")
        return fresh.access_token

    def _reconnect_needed(self, detail: str) -> NotAuthorised:
        record = connection_record.load(self.paths)
        if record is not None and not record.needs_reconnect:
            connection_record.save(self.paths, record.with_changes(needs_reconnect=True))
        log.warning("Rulrr no longer accepts this connection: reconnect needed")
        return NotAuthorised(detail)
