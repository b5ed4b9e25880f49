"""Property: whatever the secret values are, none of them ever shows in what the client lets out: the str()
and repr() of its errors (and every error they chain to), of its results and of itself, and every log record
of any logger at DEBUG (including httpx's own request lines).

Exercised over real HTTP against the sandbox (refusals of wrong secrets and tokens), against a closed port
(no answer at all), and against a scripted Rulrr that echoes the secrets back in its error messages.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from hypothesis import HealthCheck, given, settings

from rulrr_desktop.core.api import RulrrClient, RulrrError
from token_strategies import secret_values


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def every_log_record() -> Iterator[Records]:
    """Captures the records of every logger at DEBUG for the duration (levels restored afterwards)."""
    handler = Records()
    root = logging.getLogger()
    saved = {name: logging.getLogger(name).level for name in ("httpx", "httpcore", "rulrr_desktop")}
    saved_root = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in saved:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_root)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def texts_of_error(error: BaseException) -> list[str]:
    """str/repr/args of `error` and of every exception it chains to (cause and context)."""
    out: list[str] = []
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        out += [str(e), repr(e), *map(str, e.args), *map(repr, e.args)]
        out += [str(getattr(e, attr, "")) for attr in ("detail", "title", "action", "fields", "code")]
        todo += [e.__cause__, e.__context__]
    return out


def texts_of_record(record: logging.LogRecord) -> list[str]:
    out = [record.getMessage(), str(record.msg), repr(record.args)]
    if record.exc_info and record.exc_info[1] is not None:
        out += texts_of_error(record.exc_info[1])
    return out


def assert_nowhere(secrets: list[str], texts: list[str]) -> None:
    for secret in secrets:
        leaks = [t for t in texts if secret in t]
        assert leaks == [], f"a secret leaked into {leaks[:3]!r}"


def refusals(call) -> BaseException:
    with pytest.raises(RulrrError) as info:
        call()
    return info.value


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(client_secret=secret_values, integration_token=secret_values, refresh_token=secret_values,
       access_token=secret_values)
def test_no_secret_leaks_from_real_http_answers(sandbox, client_secret, integration_token, refresh_token,
                                                access_token):
    secrets = [client_secret, integration_token, refresh_token, access_token]
    errors: list[BaseException] = []
    with every_log_record() as logs:
        with RulrrClient(sandbox.url, "demo-pos", client_secret, retries=0) as wrong_secret:
            errors.append(refusals(wrong_secret.create_integration))
            errors.append(refusals(lambda: wrong_secret.integration_status(integration_token)))
            shown = [repr(wrong_secret)]
        with RulrrClient(sandbox.url, "demo-pos", "demo-secret", access_token=access_token, retries=0) as client:
            errors.append(refusals(lambda: client.integration_status(integration_token)))
            errors.append(refusals(lambda: client.exchange_tokens(integration_token)))
            errors.append(refusals(lambda: client.refresh(refresh_token)))
            errors.append(refusals(client.get_store))
            errors.append(refusals(lambda: client.post_order({"orderId": access_token})))
            shown.append(repr(client))
    assert logs.records, "the client logs each request at DEBUG"
    assert any("/v1/auth/token" in r.getMessage() for r in logs.records)
    texts = shown + [t for e in errors for t in texts_of_error(e)] + [t for r in logs.records
                                                                      for t in texts_of_record(r)]
    assert_nowhere(secrets, texts)


@settings(max_examples=30, deadline=None)
@given(client_secret=secret_values, access_token=secret_values, echoed=secret_values)
def test_no_secret_leaks_when_rulrr_echoes_them(client_secret, access_token, echoed):
    """A Rulrr (or proxy) that repeats the URL and the tokens in its error bodies and raises with the URL."""
    def echo(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/orders":
            raise httpx.ReadTimeout(f"timed out on {request.url}", request=request)
        if path == "/v1/stores":           # a refusal whose message repeats the URL and a token
            return httpx.Response(403, json={"success": False, "error": f"bad_token_{echoed}",
                                             "message": f"refused {request.url} token {access_token}"})
        if path == "/v1/auth/token":       # a struggling server, chatty about the credentials
            return httpx.Response(503, headers={"Retry-After": "1"}, json={
                "success": False, "error": "unavailable", "message": f"{client_secret} / {echoed} later"})
        return httpx.Response(400, json={"success": False, "error": "validation_error",
                                         "message": f"bad request {request.url} token {echoed}",
                                         "fields": {"accessToken": access_token, echoed: str(request.url)}})

    secrets = [client_secret, access_token, echoed]
    with every_log_record() as logs:
        with RulrrClient("https://rulrr.test", "demo-pos", client_secret, access_token=access_token,
                         transport=httpx.MockTransport(echo), retries=0) as client:
            # `echoed` is first handed to the client as an integration token, then echoed by Rulrr everywhere
            errors = [refusals(lambda: client.integration_status(echoed)), refusals(client.get_store),
                      refusals(lambda: client.post_order({"orderId": "A"})), refusals(lambda: client.refresh(echoed))]
    texts = [t for e in errors for t in texts_of_error(e)] + [t for r in logs.records for t in texts_of_record(r)]
    assert_nowhere(secrets, texts)


@settings(max_examples=10, deadline=None)
@given(client_secret=secret_values, access_token=secret_values)
def test_no_secret_leaks_when_nothing_answers(client_secret, access_token):
    with socket.socket() as closed:                      # bound, not listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        url = "http://127.0.0.1:%d" % closed.getsockname()[1]
        with every_log_record() as logs:
            with RulrrClient(url, "demo-pos", client_secret, access_token=access_token, retries=0) as client:
                errors = [refusals(client.get_store), refusals(client.create_integration)]
    texts = [t for e in errors for t in texts_of_error(e)] + [t for r in logs.records for t in texts_of_record(r)]
    assert_nowhere([client_secret, access_token], texts)
