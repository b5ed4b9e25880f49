"""RulrrClient: one method per Rulrr endpoint, over one shared httpx.Client (keep-alive pool, thread-safe).

Why it looks like this:
- Every call returns a typed result or raises a typed error (core.api.errors), so the connect flow and the
  sync engine decide on types, never on status codes or httpx exceptions.
- Secrets travel in query strings (the API wants it), so every secret the client holds or receives is
  registered with core.redact and every URL, log line and error text goes through redact(). httpx exceptions
  are converted outside their `except` block, so no error raised here chains to one that names a URL.
- Only calls that are safe to repeat are retried (see retry.Repeat). POST /v1/orders, creating an integration
  and the token exchange never are: tokens come once, orders must be delivered once.
- The client never refreshes tokens by itself: a 403 on data is NotAuthorised, and the caller decides.
"""

from __future__ import annotations

import csv
import gzip as gzip_module
import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from rulrr_desktop import __version__
from rulrr_desktop.core import model
from rulrr_desktop.core.api import endpoints as ep
from rulrr_desktop.core.api import errors, failures
from rulrr_desktop.core.api.results import IntegrationStatus, OrderReceipt, Tokens, UploadTarget
from rulrr_desktop.core.api.retry import Backoff, Repeat
from rulrr_desktop.core.api.secrecy import forget_secret, guard_library_loggers, link_parts, remember_secret
from rulrr_desktop.core.errors import ConfigError
from rulrr_desktop.core.network import httpx_options, parse_proxy, proxy_for
from rulrr_desktop.core.redact import redact

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(connect=5, read=20, write=20, pool=10)
# Idle connections are dropped before common servers drop them (uvicorn: 5 s), so a request is rarely sent on a
# connection the server is closing at that very moment (which would make its outcome unknown).
KEEPALIVE_S = 4.0
_JSON = "application/json"
_JSON_HEADERS = {"Content-Type": _JSON}


def _valid_api_url(api_url: str) -> str:
    try:
        url = httpx.URL(api_url.strip())
    except (httpx.InvalidURL, TypeError):
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host or url.query:
        raise ConfigError(f"the Rulrr API address {redact(api_url)!r} is not an http(s) address",
                          action="Check api_url in the settings (or the partner file), e.g. https://api.rulrr.com")
    return str(url).rstrip("/")


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _require(body: dict, key: str, kind: type | tuple[type, ...] = str) -> Any:
    value = body.get(key)
    if not isinstance(value, kind) or (isinstance(value, str) and not value):
        raise errors.ProtocolError(f"the answer has no valid {key!r}")
    return value


class RulrrClient:
    """The Rulrr partner API. Share one instance between threads; close it (or use `with`) when done.

    `proxy` is the `[network] proxy` setting (None: the system's; see core.network for the rule);
    `retries` is how many times a call that is safe to repeat is tried again after a transient failure;
    `sleep` is what waits between tries: inject a recorder in tests, or `stop_event.wait` in a worker, whose
    True (the event was set) means "stop waiting": the call then gives up at once with the last error.
    """

    def __init__(self, api_url: str, client_id: str, client_secret: str, *, access_token: str | None = None,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT, max_connections: int = 32, retries: int = 3,
                 transport: httpx.BaseTransport | None = None, sleep: Callable[[float], object] = time.sleep,
                 backoff: Backoff | None = None, proxy: str | None = None) -> None:
        guard_library_loggers()
        remember_secret(client_secret)
        self._base = _valid_api_url(api_url)
        self._client_id = client_id
        self._client_secret = client_secret
        self._sleep = sleep
        self._backoff = backoff or Backoff(retries=retries)
        self._lock = threading.Lock()
        self._proxy = parse_proxy(proxy)
        self._http = httpx.Client(
            timeout=timeout, transport=transport, follow_redirects=False, **httpx_options(self._proxy),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections,
                                keepalive_expiry=KEEPALIVE_S),
            headers={"User-Agent": f"rulrr-desktop/{__version__}", "Accept": _JSON})
        self._access_token: str | None = None
        self._orders_url: httpx.URL | None = None
        self.access_token = access_token

    @classmethod
    def for_partner(cls, partner: Any, **kwargs: Any) -> "RulrrClient":
        """A client with these partner credentials (core.credentials.PartnerCredentials), through their proxy."""
        return cls(partner.api_url, partner.client_id, partner.client_secret, proxy=partner.proxy, **kwargs)

    # -- lifecycle -------------------------------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "RulrrClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"RulrrClient(api_url={redact(self._base)!r}, client_id={redact(self._client_id)!r}, "
                f"connected={self._access_token is not None})")

    @property
    def api_url(self) -> str:
        return self._base

    @property
    def access_token(self) -> str | None:
        return self._access_token

    @access_token.setter
    def access_token(self, value: str | None) -> None:
        remember_secret(value)
        with self._lock:
            self._access_token = value or None
            self._orders_url = (httpx.URL(self._base + ep.ORDERS_PATH, params={ep.Q_ACCESS_TOKEN: value})
                                if value else None)

    # -- the connect flow ----------------------------------------------------------------------------------------
    def create_integration(self) -> str:
        """Starts a connection (status "pending") and returns its integration token. Never retried."""
        body = self._call("POST", ep.INTEGRATION_PATH, kind=ep.CREATE_INTEGRATION, repeat=Repeat.NEVER,
                          params=self._partner_params())
        token = _require(body, ep.K_INTEGRATION_TOKEN)
        remember_secret(token)
        return token

    def integration_status(self, integration_token: str) -> IntegrationStatus:
        """Where the merchant is on the Connect page. Safe to poll; transient failures are retried."""
        remember_secret(integration_token)
        body = self._call("GET", ep.INTEGRATION_PATH, kind=ep.INTEGRATION_STATUS, repeat=Repeat.ALWAYS,
                          params={**self._partner_params(), ep.Q_INTEGRATION_TOKEN: integration_token})
        status = body.get(ep.K_STATUS)
        if status not in ep.INTEGRATION_STATUSES:
            raise errors.ProtocolError(f"unknown integration status {redact(status)!r}")
        reason = body.get(ep.K_REASON)
        return IntegrationStatus(status, reason if isinstance(reason, str) else "")

    def exchange_tokens(self, integration_token: str) -> Tokens:
        """Trades a finished integration token for the tokens. Rulrr answers this ONCE: never retried.

        The client uses the new access token from then on; storing the tokens is the caller's job (now).
        """
        remember_secret(integration_token)
        body = self._call("POST", ep.TOKEN_PATH, kind=ep.EXCHANGE, repeat=Repeat.NEVER,
                          params={**self._partner_params(), ep.Q_INTEGRATION_TOKEN: integration_token})
        return self._take_tokens(body, refresh_token=None)

    def refresh(self, refresh_token: str) -> Tokens:
        """A new access token for `refresh_token` (which stays the same). NotAuthorised if access was revoked."""
        remember_secret(refresh_token)
        body = self._call("POST", ep.TOKEN_PATH, kind=ep.REFRESH, repeat=Repeat.NEVER,
                          params={**self._partner_params(), ep.Q_REFRESH_TOKEN: refresh_token})
        return self._take_tokens(body, refresh_token=refresh_token)

    # -- data endpoints --------------------------------------------------------------------------------------
    def put_store(self, fields: dict[str, Any]) -> dict:
        """Sends the store profile (Rulrr's field names) and returns the store as Rulrr echoes it."""
        body = self._call("PUT", ep.STORES_PATH, kind=ep.DATA, repeat=Repeat.ALWAYS, params=self._auth(),
                          content=_dump(fields), headers=_JSON_HEADERS)
        return _require(body, ep.K_STORE, dict)

    def get_store(self) -> dict:
        """The store's settings as Rulrr holds them, including `eReceiptsEnabled`."""
        body = self._call("GET", ep.STORES_PATH, kind=ep.DATA, repeat=Repeat.ALWAYS, params=self._auth())
        return _require(body, ep.K_STORE, dict)

    def customer_upload_target(self) -> UploadTarget:
        """A fresh single-use URL for the customer list (valid about 15 minutes)."""
        body = self._call("GET", ep.CUSTOMERS_PATH, kind=ep.DATA, repeat=Repeat.ALWAYS, params=self._auth())
        url = _require(body, ep.K_UPLOAD_URL)
        absolute: httpx.URL | None = None
        try:
            absolute = httpx.URL(self._base).join(url)
        except httpx.InvalidURL:
            pass
        if absolute is None or absolute.scheme not in ("http", "https"):
            raise errors.ProtocolError("the upload link Rulrr gave is not a valid URL")
        for part in link_parts(absolute):   # the link is a credential until it is used: mask its parts
            remember_secret(part)
        return UploadTarget(str(absolute), _parse_time(body.get(ep.K_EXPIRES_AT)))

    def upload_customers(self, target: UploadTarget, csv_bytes: bytes, *, gzip: bool = True) -> None:
        """PUTs a UTF-8 CSV (gzip-compressed unless `gzip=False`) to `target`, replacing Rulrr's list.

        Retried only when the request certainly was not processed (the URL works once); anything else is
        raised: `upload_customer_list` then starts over with a new target, which is safe. Expiry is left to
        Rulrr (UploadUrlExpired): a store PC's clock may be off by more than the link's 15 minutes.
        """
        headers = {"Content-Type": ep.CSV_CONTENT_TYPE}
        if gzip:
            csv_bytes = gzip_module.compress(csv_bytes, compresslevel=6)
            headers["Content-Encoding"] = "gzip"
        url = httpx.URL(target.url)
        try:
            self._call("PUT", url, kind=ep.UPLOAD, repeat=Repeat.IF_NOT_SENT, content=csv_bytes, headers=headers,
                       shown_url=target.safe_url)
        finally:                            # used (or refused): the link is dead, stop masking it
            for part in link_parts(url):
                if part not in (self._client_secret, self._access_token):
                    forget_secret(part)

    def upload_customer_list(self, customers: Iterable[model.Customer], *, gzip: bool = True) -> int:
        """Builds the customer CSV, gets a target and uploads it; returns the number of customers sent.

        Each upload replaces the whole list, so on a transient failure the two steps start over (a new
        target each time) up to `retries` times.
        """
        csv_bytes, count = customer_csv(customers)
        for attempt in range(self._backoff.retries + 1):
            target = self.customer_upload_target()          # retries on its own
            try:
                self.upload_customers(target, csv_bytes, gzip=gzip)
                return count
            except (errors.OutcomeUnknown, errors.ServerError, errors.UploadUrlExpired) as error:
                if attempt >= self._backoff.retries:
                    raise
                delay = (0.0 if isinstance(error, errors.UploadUrlExpired)
                         else self._backoff.delay(error, attempt, Repeat.ALWAYS) or 0.0)
                last = error
            if self._pause(delay, "the customer list upload", attempt + 1):
                raise last
        raise AssertionError("unreachable")

    def post_order(self, body: dict[str, Any]) -> OrderReceipt:
        """Sends one order. NEVER retried: on OutcomeUnknown, settle with get_order before sending again."""
        return self.post_order_json(_dump(body))

    def post_order_json(self, content: bytes) -> OrderReceipt:
        """post_order for a body already serialised to JSON bytes (the cheap path for bulk delivery)."""
        url = self._orders_url
        if url is None:
            raise errors.NotAuthorised("the app is not connected to Rulrr yet")
        body = self._call("POST", url, kind=ep.DATA, repeat=Repeat.NEVER, content=content,
                          headers=_JSON_HEADERS)
        order_id = body.get(ep.K_ORDER_ID)
        return OrderReceipt("" if order_id is None else str(order_id), body.get(ep.K_DUPLICATE) is True)

    def get_order(self, order_id: str) -> dict | None:
        """The order as Rulrr holds it, or None if Rulrr never received it (404 order_not_found)."""
        try:
            body = self._call("GET", ep.ORDERS_PATH, kind=ep.DATA, repeat=Repeat.ALWAYS,
                              params={**self._auth(), ep.Q_ORDER_ID: order_id})
        except errors.NotFound as error:
            if error.code == ep.ORDER_NOT_FOUND:
                return None
            raise
        return _require(body, ep.K_ORDER, dict)

    # -- internals -----------------------------------------------------------------------------------------
    def _partner_params(self) -> dict[str, str]:
        return {ep.Q_CLIENT_ID: self._client_id, ep.Q_CLIENT_SECRET: self._client_secret}

    def _auth(self) -> dict[str, str]:
        token = self._access_token
        if not token:
            raise errors.NotAuthorised("the app is not connected to Rulrr yet")
        return {ep.Q_ACCESS_TOKEN: token}

    def _take_tokens(self, body: dict, refresh_token: str | None) -> Tokens:
        access = body.get(ep.K_ACCESS_TOKEN)
        refresh = body.get(ep.K_REFRESH_TOKEN) or refresh_token
        remember_secret(access if isinstance(access, str) else None)
        remember_secret(refresh if isinstance(refresh, str) else None)
        if not isinstance(access, str) or not access or not isinstance(refresh, str) or not refresh:
            raise errors.ProtocolError("the answer has no valid tokens")
        expires_in = body.get(ep.K_EXPIRES_IN)
        if not isinstance(expires_in, (int, float)) or isinstance(expires_in, bool) or expires_in <= 0:
            raise errors.ProtocolError(f"the answer has no valid {ep.K_EXPIRES_IN!r}")
        tokens = Tokens(access, refresh, datetime.now(timezone.utc) + timedelta(seconds=expires_in))
        self.access_token = access
        return tokens

    def _pause(self, delay: float, what: str, attempt: int) -> bool:
        """Waits before retry `attempt`; True if the wait was cut short on purpose (give up and raise)."""
        log.debug("retrying %s in %.2f s (retry %d of %d)", what, delay, attempt, self._backoff.retries)
        return bool(self._sleep(delay))

    def _call(self, method: str, path: str | httpx.URL, *, kind: str, repeat: Repeat,
              params: dict[str, str] | None = None, content: bytes | None = None,
              headers: dict[str, str] | None = None, shown_url: str | None = None) -> dict:
        """Sends one request (with retries as `repeat` allows) and returns the JSON body of a 2xx answer."""
        url = path if isinstance(path, httpx.URL) else httpx.URL(self._base + path, params=params)
        attempt = 0
        while True:
            try:
                return self._send(method, url, kind=kind, content=content, headers=headers, shown_url=shown_url)
            except errors.RulrrError as error:
                delay = self._backoff.delay(error, attempt, repeat)
                if delay is None:
                    raise
                last = error
            attempt += 1
            if self._pause(delay, f"{method} {shown_url or url.path}", attempt):
                raise last

    def _send(self, method: str, url: httpx.URL, *, kind: str, content: bytes | None,
              headers: dict[str, str] | None, shown_url: str | None) -> dict:
        started = time.perf_counter()
        failure: errors.RulrrError | None = None
        response: httpx.Response | None = None
        try:
            response = self._http.request(method, url, content=content, headers=headers)
        except httpx.HTTPError as exc:
            failure = failures.from_exception(exc, url, proxy=proxy_for(str(url), self._proxy))
        except RuntimeError as exc:          # "Cannot send a request, as the client has been closed."
            failure = errors.NetworkError(redact(exc)[:200])
        if log.isEnabledFor(logging.DEBUG):
            outcome = response.status_code if response is not None else type(failure).__name__
            log.debug("%s %s -> %s in %.1f ms", method, shown_url or redact(url), outcome,
                      (time.perf_counter() - started) * 1000)
        if failure is not None:
            raise failure                    # raised outside the except block: no chain to httpx's exception
        assert response is not None
        if not response.is_success:
            raise failures.from_response(kind, response)
        if kind == ep.UPLOAD:
            return {}
        try:
            body = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict) or body.get(ep.K_SUCCESS) is not True:
            raise errors.ProtocolError(f"Rulrr answered HTTP {response.status_code} without success")
        return body


def customer_csv(customers: Iterable[model.Customer]) -> tuple[bytes, int]:
    """The customer-list CSV (UTF-8, header model.CUSTOMER_CSV_HEADER) and the number of rows in it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(model.CUSTOMER_CSV_HEADER)
    count = 0
    for customer in customers:
        writer.writerow(customer.csv_row())
        count += 1
    return out.getvalue().encode("utf-8"), count


def _dump(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
