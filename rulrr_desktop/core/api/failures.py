"""Turns what went wrong on the wire into the client's typed errors, with redacted, plain-word details.

Two sources: an httpx exception (no answer) and a non-2xx response (an answer Rulrr meant). The one rule that
matters most: a request that certainly never reached Rulrr is a `NetworkError` (safe to send again), one that
was sent but got no complete answer is `OutcomeUnknown` (it may have been processed). Nothing here keeps a
reference to the httpx exception or request: their text and attributes carry the URL with its secrets. A proxy
that cannot be reached or refuses (407 included) is named in the title: the staff should look at the proxy.
"""

from __future__ import annotations

import email.utils
import json
import math
from datetime import datetime, timezone

import httpx

from rulrr_desktop.core.api import endpoints as ep
from rulrr_desktop.core.api import errors
from rulrr_desktop.core.redact import redact

_MAX_DETAIL = 300

# Certainly not sent: the connection was never made, or no connection was free to send on.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)

PROXY_UNREACHABLE = "The proxy cannot be reached"
PROXY_REFUSED = "The proxy refused the connection to Rulrr"
PROXY_ACTION = ("Check the proxy address in Settings → Sending → Proxy (empty uses the system's proxy), or ask "
                "whoever looks after the network. The app tries again by itself; nothing is lost.")
PROXY_LOGIN_ACTION = ("In Settings → Sending, put the proxy's user name in its address, like http://user@host:port, "
                      "and its password in the Proxy password field.")


def _where(url: httpx.URL) -> str:
    host = url.host or "?"
    return f"{host}:{url.port}" if url.port else host


def _proxy_error(detail: str, title: str, action: str = PROXY_ACTION, **kw) -> errors.NetworkError:
    """A request the proxy did not pass on to Rulrr: certainly not delivered, so safe to send again."""
    return errors.NetworkError(detail, title=title, action=action, **kw)


def from_exception(exc: httpx.HTTPError, url: httpx.URL, proxy: str | None = None) -> errors.RulrrError:
    """The typed error for an httpx exception raised while sending to `url` (only its host is named), through
    `proxy` when one was used (only its host is named)."""
    where = _where(url)
    reason = redact(str(exc) or type(exc).__name__)[:_MAX_DETAIL]
    if proxy and isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
        return _proxy_error(f"nothing answers at {_where(httpx.URL(proxy))} ({reason})", PROXY_UNREACHABLE)
    if isinstance(exc, httpx.ProxyError):
        return _proxy_error(f"it did not connect to {where} ({reason})", PROXY_REFUSED)
    if isinstance(exc, httpx.ConnectTimeout):
        return errors.NetworkError(f"connecting to {where} took too long")
    if isinstance(exc, httpx.PoolTimeout):
        return errors.NetworkError("too many requests at once: no connection became free in time")
    if isinstance(exc, _NOT_SENT):
        return errors.NetworkError(f"could not connect to {where} ({reason})")
    if isinstance(exc, httpx.ReadTimeout):
        return errors.OutcomeUnknown(f"{where} did not answer in time")
    if isinstance(exc, httpx.WriteTimeout):
        return errors.OutcomeUnknown(f"sending to {where} took too long")
    if isinstance(exc, httpx.DecodingError):
        return errors.ProtocolError(f"the answer from {where} could not be decoded")
    if isinstance(exc, (httpx.TransportError, httpx.StreamError)):
        # read/write errors, resets, "server disconnected", incomplete bodies: the request may have arrived
        return errors.OutcomeUnknown(f"the connection to {where} broke before the answer came ({reason})")
    return errors.ProtocolError(f"talking to {where} failed ({reason})")


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date. None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


def error_body(response: httpx.Response) -> dict:
    """The JSON error body, or {} when the answer is not JSON (a proxy's HTML page, an empty body)."""
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def from_response(kind: str, response: httpx.Response) -> errors.RulrrError:
    """The typed error for a non-2xx answer to a call of `kind` (see endpoints.error_class)."""
    if response.status_code == 407:     # from the proxy, never from Rulrr
        return _proxy_error("the proxy asks for a user name and password", PROXY_REFUSED, PROXY_LOGIN_ACTION,
                            status=407)
    body = error_body(response)
    code = body.get(ep.K_ERROR)
    code = code if isinstance(code, str) else ""
    message = body.get(ep.K_MESSAGE)
    message = message if isinstance(message, str) else ""
    status = response.status_code
    cls = ep.error_class(kind, status, code)
    detail = redact(message or f"Rulrr answered HTTP {status}{f' ({code})' if code else ''}")[:_MAX_DETAIL]
    kw: dict = {"status": status, "code": redact(code)[:100]}
    if issubclass(cls, (errors.RateLimited, errors.ServerError)):
        kw["retry_after"] = retry_after_seconds(response.headers.get("Retry-After"))
    if issubclass(cls, errors.ValidationFailed):
        fields = body.get(ep.K_FIELDS)
        if isinstance(fields, dict) and fields:
            kw["fields"] = {redact(k)[:100]: redact(v)[:_MAX_DETAIL] for k, v in fields.items()}
            detail = ""     # built from the fields
    return cls(detail, **kw)
