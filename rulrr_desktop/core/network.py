"""The way out to Rulrr: the `[network] proxy` setting, checked once, and what it means for each HTTP path.

Three parts of the app open connections: the API client (httpx), the bulk order poster (aiohttp) and the Connect
page's web view (QtWebEngine, set up in `ui.web`). They must agree on one rule:
- a proxy address (http://host:port, or http://user@host:port for a proxy that asks for a login) → every
  request goes through it, loopback included: the staff asked for it, so nothing bypasses it silently;
- empty → the system's proxy as Python reads it (HTTP_PROXY / HTTPS_PROXY / NO_PROXY; the system settings on
  Windows and macOS), except loopback addresses, which are always reached directly, so the built-in sandbox on
  127.0.0.1 keeps working on a machine with a company proxy.

Only http:// proxies: QtWebEngine hands Chromium an HTTP or SOCKS proxy only (an https:// one would break the
Connect step), and SOCKS would need extra packages for httpx and aiohttp.

A proxy's password is a secret, so it never sits in config.toml: Settings stores it in the OS keyring
(`store_proxy_login`, `core.secrets.ProxyPasswords`, one entry per login) and config.toml keeps
http://user@host:port; `connection_proxy` joins the two in memory where connections are made. A config.toml
written by hand with the password inside the address still works (the log says, redacted, to move it: saving
Settings once does). Every password is registered with core.redact, and every URL shown is redacted (which masks
the user:password part).
"""

from __future__ import annotations

import ipaddress
import logging
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from rulrr_desktop.core.errors import ConfigError
from rulrr_desktop.core.redact import redact, register_secret
from rulrr_desktop.core.secrets import KeyringUnavailable, ProxyPasswords

log = logging.getLogger(__name__)

SCHEMES = ("http",)
EXAMPLE = "http://proxy.example.com:3128"
LOGIN_EXAMPLE = "http://user@proxy.example.com:3128"
# httpx mount patterns that never take the system's proxy (see the module docstring)
_LOOPBACK_MOUNTS = ("all://127.0.0.1", "all://localhost", "all://[::1]")


class ProxySettingError(ConfigError):
    """The `[network] proxy` setting is not a proxy address the app can use."""

    title = "The proxy address isn't valid"
    action = "Open Settings → Sending → Proxy and correct it, or leave it empty to use the system's proxy."


def parse_proxy(text: str | None) -> str | None:
    """The proxy address to use (None: the system's), or ProxySettingError saying what is wrong with `text`.

    "proxy.local:3128" is read as "http://proxy.local:3128"; a path, query or unknown scheme is refused.
    """
    text = (text or "").strip()
    if not text:
        return None
    url = text if "://" in text else f"http://{text}"
    shown = redact(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ProxySettingError(f"{shown} has a port that is not a number from 1 to 65535") from None
    if parts.scheme.lower() not in SCHEMES:
        raise ProxySettingError(f"{shown} does not start with http:// (e.g. {EXAMPLE})")
    if not parts.hostname or any(c.isspace() for c in url):
        raise ProxySettingError(f"{shown} has no proxy host name (e.g. {EXAMPLE})")
    if port == 0:
        raise ProxySettingError(f"{shown} has a port that is not a number from 1 to 65535")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ProxySettingError(f"{shown} is more than a host and a port (e.g. {EXAMPLE})")
    if parts.password is not None and not parts.username:
        raise ProxySettingError(f"{shown} has a password but no user name (e.g. {LOGIN_EXAMPLE})")
    if parts.password:
        register_secret(parts.password)
        register_secret(unquote(parts.password))
    return f"{parts.scheme.lower()}://{parts.netloc}"


def split_password(proxy: str | None) -> tuple[str | None, str | None]:
    """A `parse_proxy` result as (the address config.toml keeps: no password in it, the decoded password or
    None)."""
    if not proxy:
        return None, None
    parts = urlsplit(proxy)
    if parts.password is None:
        return proxy, None
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{parts.username}@{host}", unquote(parts.password) or None


def with_password(address: str, password: str | None) -> str:
    """`address` (http://user@host:port) with `password` joined in, percent-encoded: for connections, in memory
    only. An address without a user name is returned as it is."""
    parts = urlsplit(address)
    user, at, host = parts.netloc.rpartition("@")
    if not password or not at:
        return address
    encoded = quote(password, safe="")
    register_secret(password)
    register_secret(encoded)
    return f"{parts.scheme}://{user}:{encoded}@{host}"


def _user(address: str | None) -> str:
    return (urlsplit(address).username or "") if address else ""


_told_to_move: set[str] = set()


def connection_proxy(text: str | None, passwords: ProxyPasswords | None = None) -> str | None:
    """The proxy connections go through for the `[network] proxy` setting `text` (None: the system's): checked
    by `parse_proxy`, with the login's password from the keyring joined in (in memory only). A password written
    inside the address in config.toml is used as it is, and the log says (once, redacted) to move it.
    Raises ProxySettingError, or KeyringUnavailable when the keyring cannot be read."""
    proxy = parse_proxy(text)
    address, password = split_password(proxy)
    if password:
        if proxy not in _told_to_move:
            _told_to_move.add(proxy)
            log.warning("config.toml holds the proxy password inside the proxy address (%s): save Settings once "
                        "to move it to the system keyring", redact(proxy))
        return proxy
    if not _user(address):
        return address
    return with_password(address, (passwords or ProxyPasswords()).get(address))


@dataclass(frozen=True)
class SavedProxy:
    """What Settings saved: `address` for config.toml (no password in it; None: the system's proxy), and
    `held` when the password could not go to the keyring and is held in memory (`error` says why)."""

    address: str | None
    held: bool = False
    error: KeyringUnavailable | None = None


def _parsed_or_none(text: str | None) -> str | None:
    try:
        return parse_proxy(text)
    except ProxySettingError:
        return None


def store_proxy_login(typed: str, password: str = "", *, forget: bool = False, saved: str | None = None,
                      passwords: ProxyPasswords | None = None) -> SavedProxy:
    """Settings → Sending → Proxy on Save: the address as config.toml keeps it, the password in the keyring.

    `typed` is the Proxy field (a password typed inside it counts as typed in the Password field) and `password`
    the Password field. Left empty, the saved password is kept: the keyring's for this login; one written inside
    the address in config.toml (`saved`, the setting before this save) moves to the keyring now; a new host or
    port for the same user takes the old login's password along. `forget` deletes the saved password of the old
    and the new login instead (a password typed now is still stored).
    Raises ProxySettingError (nothing is stored then) or KeyringUnavailable (deleting failed)."""
    address, new = split_password(parse_proxy(typed))
    new = password or new
    if new and not _user(address):
        raise ProxySettingError(f"a proxy password needs the proxy's user name in the address "
                                f"(e.g. {LOGIN_EXAMPLE})")
    passwords = passwords or ProxyPasswords()
    old_address, old_in_file = split_password(_parsed_or_none(saved))
    if forget:
        for login in {address, old_address} - {None}:
            if _user(login):
                passwords.delete(login)
    elif not new and _user(address) and _user(old_address) == _user(address):
        if old_in_file:
            new = old_in_file
        elif old_address != address:
            new = passwords.get(old_address)
    if new:
        passwords.put(address, new)
    elif address and passwords.held(address):
        passwords.get(address)                  # "Save" again tries the keyring again
    if address and passwords.held(address):
        return SavedProxy(address, True, passwords.last_error)
    return SavedProxy(address)


def is_loopback(host: str | None) -> bool:
    """True for localhost and loopback IP addresses (127.0.0.0/8, ::1)."""
    host = (host or "").strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def httpx_options(proxy: str | None) -> dict[str, Any]:
    """httpx.Client keyword arguments for `proxy` (a `parse_proxy` result)."""
    if proxy:
        return {"proxy": proxy}
    return {"mounts": {pattern: None for pattern in _LOOPBACK_MOUNTS}}    # None: the direct transport


def aiohttp_options(api_url: str, proxy: str | None) -> dict[str, Any]:
    """aiohttp.ClientSession keyword arguments for a session that talks to `api_url` only.

    The system's proxy is looked up here, once, rather than with `trust_env=True`: aiohttp would then look it up
    in a thread for every request, a cost the bulk order path should not pay (same rule, same answer)."""
    chosen = proxy_for(api_url, proxy)
    return {"proxy": chosen} if chosen else {}


def proxy_for(url: str, proxy: str | None) -> str | None:
    """The proxy a request to `url` goes through under the rule above (None: direct)."""
    return proxy or system_proxy_for(url)


def system_proxy_for(url: str) -> str | None:
    """The system's proxy for `url` (environment, or the system settings on Windows and macOS), as httpx reads
    it, or None: no proxy is set, NO_PROXY names the host, or the host is a loopback address."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if is_loopback(host) or urllib.request.proxy_bypass(host):
        return None
    proxies = urllib.request.getproxies()
    found = proxies.get(parts.scheme) or proxies.get("all")
    if not found:
        return None
    return found if "://" in found else f"http://{found}"
