"""Fixtures of the API client tests: clients whose retry sleeps are recorded instead of slept, and a tiny
scripted transport for the wire conditions the real sandbox cannot produce (odd Retry-After dates, bodies
that are not JSON, exceptions httpx raises on its own).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from rulrr_desktop.core.api import RulrrClient, Tokens

CLIENT_ID = "demo-pos"
CLIENT_SECRET = "demo-secret"


class Sleeps(list):
    """A `sleep` for the client that records each delay and runs an optional hook instead of waiting."""

    def __init__(self) -> None:
        super().__init__()
        self.hook: Callable[[], Any] | None = None

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        if self.hook is not None:
            self.hook()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_client(sleeps: Sleeps) -> Iterator[Callable[..., RulrrClient]]:
    """Builds RulrrClients that never really sleep between retries; all are closed after the test."""
    made: list[RulrrClient] = []

    def make(api_url: str, client_secret: str = CLIENT_SECRET, **kw: Any) -> RulrrClient:
        kw.setdefault("sleep", sleeps)
        client = RulrrClient(api_url, kw.pop("client_id", CLIENT_ID), client_secret, **kw)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


class Script:
    """A MockTransport handler that answers from a queue of responses/exceptions and records each request."""

    def __init__(self) -> None:
        self.answers: list[Any] = []
        self.requests: list[httpx.Request] = []

    def add(self, status: int = 200, body: Any = None, headers: dict | None = None, raw: bytes | None = None):
        content = raw if raw is not None else json.dumps(body if body is not None else {"success": True}).encode()
        self.answers.append((status, content, headers))
        return self

    def fail(self, exc_type: type[httpx.HTTPError], text: str = "boom"):
        self.answers.append((exc_type, text))
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        """Answers with the next queued answer; the last one repeats for ever."""
        self.requests.append(request)
        request.read()
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer[0], type):
            exc_type, text = answer
            raise exc_type(text, request=request)
        status, content, headers = answer
        return httpx.Response(status, content=content, headers=headers)


@pytest.fixture
def script() -> Script:
    return Script()


@pytest.fixture
def scripted(make_client, script: Script) -> RulrrClient:
    """A client talking to `script` instead of the network, with an access token set."""
    return make_client("https://rulrr.test", transport=httpx.MockTransport(script), access_token="tok-access-123")


@pytest.fixture(autouse=True)
def forget_test_secrets():
    """The secrets registered for redaction during a test are forgotten after it (they are process-wide)."""
    from rulrr_desktop.core import redact
    with redact._lock:
        before = set(redact._known_values)
    yield
    with redact._lock:
        redact._known_values.intersection_update(before)


@dataclass
class Connected:
    """A client connected to the sandbox's store-1 (the connect flow done for real), and its tokens."""

    client: RulrrClient
    tokens: Tokens


def connect_to_sandbox(client: RulrrClient, sandbox, store_id: str = "store-1") -> Tokens:
    """The whole connect flow against the sandbox, the merchant's part done through the hook."""
    token = client.create_integration()
    sandbox.finish(token, store_id=store_id)
    return client.exchange_tokens(token)


@pytest.fixture
def connected(sandbox, make_client) -> Iterator[Connected]:
    client = make_client(sandbox.url)
    yield Connected(client, connect_to_sandbox(client, sandbox))
    sandbox.clear_faults()
