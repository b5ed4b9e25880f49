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

The password of the proxy (Settings → Sending → Proxy) is kept the same way (`ProxyPasswords`): in the keyring,
one entry per proxy login ("proxy-password:http://user@host:port"), held in memory for this run of the app
when the keyring fails, never in config.toml.
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


# What to do when the keyring did not take the proxy password (the KeyringUnavailable of `ProxyPasswords.put`).
PROXY_PASSWORD_HELD_ACTION = ("Unlock the system keyring (sign in to the desktop again), or install one (gnome-keyring "
                              "or KWallet on Linux), then save Settings again. Until then the proxy password is kept "
                              "in memory only, until Rulrr Desktop closes.")


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


class _KeyringEntries:
    """Entries of the app's service in the OS keyring (the process's keyring unless a backend is given), and the
    one way their failures are told: `KeyringUnavailable`."""

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self._backend = backend

    @property
    def backend(self) -> keyring.backend.KeyringBackend:
        return self._backend or keyring.get_keyring()

    @property
    def backend_name(self) -> str:
        return backend_name(self.backend)

    def _checked_backend(self) -> keyring.backend.KeyringBackend:
        backend = self.backend
        if not _usable(backend):
            raise KeyringUnavailable(f"no usable keyring was found (the backend is {backend_name(backend)})")
        return backend

    def _fail(self, doing: str, exc: BaseException) -> KeyringUnavailable:
        detail = f"{doing} failed ({self.backend_name} said {type(exc).__name__}: {redact(exc)})"
        return KeyringUnavailable(detail)

    def _get(self, username: str, doing: str) -> str | None:
        """One entry's value, or None. Raises `KeyringUnavailable` (`doing` says what failed)."""
        backend = self._checked_backend()
        try:
            return backend.get_password(SERVICE, username)
        except Exception as exc:
            raise self._fail(doing, exc) from None

    def _set(self, username: str, value: str, doing: str) -> None:
        """Writes one entry. Raises `KeyringUnavailable` (`doing` says what failed)."""
        backend = self._checked_backend()
        try:
            backend.set_password(SERVICE, username, value)
        except Exception as exc:  # any backend failure (D-Bus, locked, denied) means "not stored"
            raise self._fail(doing, exc) from None

    def _delete(self, username: str, doing: str) -> bool:
        """Deletes one entry; True if there was one. Raises `KeyringUnavailable` (`doing` says what failed)."""
        backend = self._checked_backend()
        try:
            if backend.get_password(SERVICE, username) is None:
                return False
            backend.delete_password(SERVICE, username)
        except keyring.errors.PasswordDeleteError:
            return False
        except Exception as exc:
            raise self._fail(doing, exc) from None
        return True


class TokenStore(_KeyringEntries):
    """The tokens of one profile in the OS keyring. Every failure is a `KeyringUnavailable`."""

    def __init__(self, profile: str, backend: keyring.backend.KeyringBackend | None = None) -> None:
        super().__init__(backend)
        self.profile = profile

    def _username(self, kind: str) -> str:
        return f"{self.profile}:{kind}"

    def ensure_usable(self) -> None:
        """Raises `KeyringUnavailable` now if there is no usable keyring at all (a fail/null/plaintext backend),
        so that a connect flow does not begin whose tokens could not be kept. No I/O: a locked keyring shows
        only when storing."""
        self._checked_backend()

    def save(self, access_token: str, refresh_token: str) -> None:
        """Writes both tokens; raises `KeyringUnavailable` or `TokenTooLong` (nothing is written elsewhere)."""
        register_secret(access_token)
        register_secret(refresh_token)
        _check_length("access token", access_token)
        _check_length("refresh token", refresh_token)
        for kind, value in (("access_token", access_token), ("refresh_token", refresh_token)):
            self._set(self._username(kind), value, "Storing the Rulrr keys in the system keyring")

    def load(self) -> StoredTokens | None:
        """The stored tokens, or None when this profile has none. Raises `KeyringUnavailable`."""
        doing = "Reading the Rulrr keys from the system keyring"
        access = self._get(self._username("access_token"), doing)
        refresh = self._get(self._username("refresh_token"), doing)
        if not access or not refresh:
            return None
        register_secret(access)
        register_secret(refresh)
        return StoredTokens(access, refresh)

    def delete(self) -> bool:
        """Deletes this profile's tokens; True if there were any. Raises `KeyringUnavailable`."""
        found = False
        for kind in ("access_token", "refresh_token"):
            found = self._delete(self._username(kind), "Deleting the Rulrr keys from the system keyring") or found
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


class ProxyPasswords(_KeyringEntries):
    """Proxy passwords in the OS keyring, one per proxy login: `address` is the proxy's URL with its user name and
    without the password ("http://user@host:port", as config.toml keeps it).

    `put()` never loses a password: if the keyring fails it is held in memory for this run of the app (never in
    a file), `last_error` says why, and every later `put()` or `get()` tries the keyring again. The memory is
    shared by every instance, so the Settings dialog and the sync engine see the same held password. Thread-safe.
    """

    _held: dict[str, str] = {}          # address -> password the keyring did not take
    _lock = threading.Lock()

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        super().__init__(backend)
        self.last_error: KeyringUnavailable | None = None

    @staticmethod
    def username(address: str) -> str:
        return f"proxy-password:{address}"

    def held(self, address: str) -> bool:
        """True while the password of `address` is held in memory only (the keyring did not take it)."""
        with self._lock:
            return address in self._held

    def put(self, address: str, password: str) -> bool:
        """Stores the password of `address`; True if it is in the keyring, False if it is held in memory."""
        register_secret(password)
        with self._lock:
            self._held[address] = password
            return self._store_locked(address)

    def get(self, address: str) -> str | None:
        """The password of `address` (held in memory, or from the keyring), or None when none was saved.
        Raises `KeyringUnavailable` when the keyring cannot be read."""
        with self._lock:
            password = self._held.get(address)
            if password is not None:
                self._store_locked(address)         # the keyring may work again
                return password
        return self._read(address)

    def delete(self, address: str) -> bool:
        """Forgets the password of `address` (memory and keyring); True if there was one. Raises
        `KeyringUnavailable`."""
        with self._lock:
            held = self._held.pop(address, None) is not None
        return self._delete(self.username(address), "Deleting the proxy password from the system keyring") or held

    def _read(self, address: str) -> str | None:
        password = self._get(self.username(address), "Reading the proxy password from the system keyring")
        if password:
            register_secret(password)
        return password or None

    def _store_locked(self, address: str) -> bool:
        try:
            self._set(self.username(address), self._held[address], "Storing the proxy password in the system keyring")
        except KeyringUnavailable as exc:
            self.last_error = KeyringUnavailable(exc.detail, action=PROXY_PASSWORD_HELD_ACTION)
            log.warning("the proxy password is held in memory: %s", self.last_error)
            return False
        del self._held[address]
        self.last_error = None
        return True
