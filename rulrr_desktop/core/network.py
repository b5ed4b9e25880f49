"""The way out to Rulrr: the `[network] proxy` setting, checked once, and what it means for each HTTP path.

Three parts of the app open connections: the API client (httpx), the bulk order poster (aiohttp) and the Connect
page's web view (QtWebEngine, set up in `ui.web`). They must agree on one rule:
- a proxy address (http://host:port, optionally http://user:password@host:port) → every request goes through
  it, loopback included: the staff asked for it, so nothing bypasses it silently;
- empty → the system's proxy as Python reads it (HTTP_PROXY / HTTPS_PROXY / NO_PROXY; the system settings on
  Windows and macOS), except loopback addresses, which are always reached directly, so the built-in sandbox on
  127.0.0.1 keeps working on a machine with a company proxy.

Only http:// proxies: QtWebEngine hands Chromium an HTTP or SOCKS proxy only (an https:// one would break the
Connect step), and SOCKS would need extra packages for httpx and aiohttp. A proxy's password is a secret: it is
registered with core.redact, and every URL shown is redacted (which masks the user:password part).
"""

from __future__ import annotations

import ipaddress
import urllib.request
from typing import Any
from urllib.parse import unquote, urlsplit

from rulrr_desktop.core.errors import ConfigError
from rulrr_desktop.core.redact import redact, register_secret

SCHEMES = ("http",)
EXAMPLE = "http://proxy.example.com:3128"
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
    if parts.password:
        register_secret(parts.password)
        register_secret(unquote(parts.password))
    return f"{parts.scheme.lower()}://{parts.netloc}"


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
