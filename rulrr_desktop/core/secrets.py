"""The Rulrr tokens of each profile, kept only in the OS keyring (service "rulrr-desktop").

Rulrr hands out a store's tokens once, so losing them means the merchant must connect again; writing them to a
file would leak them. Hence: `TokenStore` reads and writes the keyring only, names the backend it used, and
turns every keyring failure (missing, locked, a fail/null backend, a plaintext file backend) into
`KeyringUnavailable`, a typed error with a plain action. There is no silent plaintext fallback.
`TokenVault` holds tokens that could not be stored in memory (never in a file) and stores them when
`retry_pending()` succeeds.

Windows Credential Manager refuses secrets over 2,560 bytes (stored as UTF-16), so each token is its own entry
("<profile>:access_token", "<profile>:refresh_token") and its length is checked before writing
(`TokenTooLong`).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import keyring
import keyring.backend
import keyring.errors

from rulrr_desktop.core.errors import AppError
from rulrr_desktop.core.redact import redact, register_secret

log = logging.getLogger(__name__)

SERVICE = "rulrr-desktop"
MAX_SECRET_BYTES = 2560          # Windows Credential Manager's CRED_MAX_CREDENTIAL_BLOB_SIZE
# Backends that are no keyring at all, or that would write the secret in a plain file.
_REFUSED_BACKENDS = ("keyring.backends.fail.", "keyring.backends.null.", "keyrings.alt.file.Plaintext")


class KeyringUnavailable(AppError):
    """The OS keyring is missing, locked or failing: the tokens cannot be stored safely."""

    title = "The system keyring is locked or missing"
    action = ("Unlock the system keyring (sign in to the desktop again), or install one (gnome-keyring or "
              "KWallet on Linux), then try again. Until then the connection is kept in memory only.")


class TokenTooLong(AppError):
    """A token is longer than the OS keyring accepts (Windows Credential Manager: 2,560 bytes)."""

    title = "Rulrr sent a key too long for the system keyring"
    action = "Update Rulrr Desktop. If it keeps happening, contact your POS vendor."


@dataclass(frozen=True)
class StoredTokens:
    """A profile's access and refresh tokens. Never printed: the repr masks both."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)

    def __repr__(self) -> str:
        return "StoredTokens(access_token='***', refresh_token='***')"


def backend_name(backend: keyring.backend.KeyringBackend | None = None) -> str:
    """The dotted class name of the keyring backend in use, e.g. "keyring.backends.SecretService.Keyring"."""
    backend = backend or keyring.get_keyring()
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def _usable(backend: keyring.backend.KeyringBackend) -> bool:
    name = backend_name(backend)
    if name.startswith(_REFUSED_BACKENDS):
        return False
    if name.startswith("keyring.backends.chainer."):
        return any(_usable(b) for b in getattr(backend, "backends", []))
    return True


def _check_length(kind: str, value: str) -> None:
    size = len(value.encode("utf-16-le"))
    if size > MAX_SECRET_BYTES:
        raise TokenTooLong(f"the {kind} takes {size} bytes; the keyring accepts at most {MAX_SECRET_BYTES}")


class TokenStore:
    """The tokens of one profile in the OS keyring. Every failure is a `KeyringUnavailable`."""

    def __init__(self, profile: str, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self.profile = profile
        self._backend = backend

    @property
    def backend(self) -> keyring.backend.KeyringBackend:
        return self._backend or keyring.get_keyring()

    @property
    def backend_name(self) -> str:
        return backend_name(self.backend)

    def _username(self, kind: str) -> str:
        return f"{self.profile}:{kind}"

    def ensure_usable(self) -> None:
        """Raises `KeyringUnavailable` now if there is no usable keyring at all (a fail/null/plaintext backend),
        so that a connect flow does not begin whose tokens could not be kept. No I/O: a locked keyring shows
        only when storing."""
        self._checked_backend()

    def _checked_backend(self) -> keyring.backend.KeyringBackend:
        backend = self.backend
        if not _usable(backend):
            raise KeyringUnavailable(f"no usable keyring was found (the backend is {backend_name(backend)})")
        return backend

    def _fail(self, doing: str, exc: BaseException) -> KeyringUnavailable:
        detail = f"{doing} failed ({self.backend_name} said {type(exc).__name__}: {redact(exc)})"
        return KeyringUnavailable(detail)

    def save(self, access_token: str, refresh_token: str) -> None:
        """Writes both tokens; raises `KeyringUnavailable` or `TokenTooLong` (nothing is written elsewhere)."""
        register_secret(access_token)
        register_secret(refresh_token)
        _check_length("access token", access_token)
        _check_length("refresh token", refresh_token)
        backend = self._checked_backend()
        try:
            backend.set_password(SERVICE, self._username("access_token"), access_token)
            backend.set_password(SERVICE, self._username("refresh_token"), refresh_token)
        except Exception as exc:  # any backend failure (D-Bus, locked, denied) means "not stored"
            raise self._fail("Storing the Rulrr keys in the system keyring", exc) from None

    def load(self) -> StoredTokens | None:
        """The stored tokens, or None when this profile has none. Raises `KeyringUnavailable`."""
        backend = self._checked_backend()
        try:
            access = backend.get_password(SERVICE, self._username("access_token"))
            refresh = backend.get_password(SERVICE, self._username("refresh_token"))
        except Exception as exc:
            raise self._fail("Reading the Rulrr keys from the system keyring", exc) from None
        if not access or not refresh:
            return None
        register_secret(access)
        register_secret(refresh)
        return StoredTokens(access, refresh)

    def delete(self) -> bool:
        """Deletes this profile's tokens; True if there were any. Raises `KeyringUnavailable`."""
        backend = self._checked_backend()
        found = False
        for kind in ("access_token", "refresh_token"):
            try:
                if backend.get_password(SERVICE, self._username(kind)) is None:
                    continue
                backend.delete_password(SERVICE, self._username(kind))
                found = True
            except keyring.errors.PasswordDeleteError:
                continue
            except Exception as exc:
                raise self._fail("Deleting the Rulrr keys from the system keyring", exc) from None
        return found


class TokenVault:
    """Stores tokens in the keyring, or holds them in memory until the keyring works again.

    `put()` never loses tokens: if the keyring fails they stay here (`pending`), `last_error` says why, and
    `retry_pending()` stores them later. Thread-safe. Nothing is ever written to a file.
    """

    def __init__(self, store: TokenStore) -> None:
        self.store = store
        self._pending: StoredTokens | None = None
        self.last_error: AppError | None = None
        self._lock = threading.Lock()

    @property
    def pending(self) -> bool:
        return self._pending is not None

    @property
    def held(self) -> StoredTokens | None:
        """The tokens held in memory (not yet in the keyring), if any."""
        return self._pending

    def put(self, access_token: str, refresh_token: str) -> bool:
        """Stores the tokens; True if they are in the keyring, False if they are held in memory."""
        with self._lock:
            self._pending = StoredTokens(access_token, refresh_token)
            return self._store_locked()

    def retry_pending(self) -> bool:
        """Tries to store held tokens again; True when nothing is left pending."""
        with self._lock:
            return True if self._pending is None else self._store_locked()

    def _store_locked(self) -> bool:
        assert self._pending is not None
        try:
            self.store.save(self._pending.access_token, self._pending.refresh_token)
        except (KeyringUnavailable, TokenTooLong) as exc:
            self.last_error = exc
            log.warning("the Rulrr keys are held in memory: %s", exc)
            return False
        self._pending = None
        self.last_error = None
        return True
