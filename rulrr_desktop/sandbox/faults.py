"""Fault injection on the /v1 data endpoints, as an ASGI middleware: what a flaky network and a struggling
Rulrr do to a client.

Set with `POST /_sandbox/faults` (see CONTRACT.md), cleared with `DELETE`. Per request, after `latency_ms`,
one seeded draw picks at most one fault, each rate taking its own slice of [0, 1):
- error:   answer one of `statuses` without doing anything (429/503 carry Retry-After: `retry_after` seconds);
- reset:   cut the connection (TCP RST) without doing anything or answering;
- drop_after_commit (POST /v1/orders only): store the order, then cut the connection instead of answering;
- timeout: do the work, then hold the answer for `timeout_s` seconds (the client has given up by then).
The same seed and the same sequence of requests give the same faults.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import struct
from dataclasses import asdict, dataclass, field
from typing import Any

from rulrr_desktop.sandbox import spec
from rulrr_desktop.sandbox.responses import ApiFailure, error_body

RATES = ("error_rate", "reset_rate", "drop_after_commit_rate", "timeout_rate")


@dataclass
class FaultSpec:
    error_rate: float = 0.0
    statuses: list[int] = field(default_factory=lambda: [500, 503, 429])
    retry_after: float = spec.DEFAULT_RETRY_AFTER_S
    reset_rate: float = 0.0
    drop_after_commit_rate: float = 0.0
    timeout_rate: float = 0.0
    timeout_s: float = 30.0
    latency_ms: float = 0.0
    seed: int | None = None

    @classmethod
    def parse(cls, data: Any) -> "FaultSpec":
        """A FaultSpec from the hook's JSON body, or ApiFailure 400 naming the fields that are wrong."""
        if not isinstance(data, dict):
            raise ApiFailure(spec.NOT_AN_OBJECT)
        errors: dict[str, str] = {}
        known = {f for f in cls.__dataclass_fields__}
        for key in data:
            if key not in known:
                errors[key] = "is not a fault setting"
        for key in RATES + ("retry_after", "timeout_s", "latency_ms"):
            value = data.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                errors[key] = "must be a number, at least 0"
            elif key in RATES and value > 1:
                errors[key] = "must be between 0 and 1"
        if not errors and sum(float(data.get(k, 0)) for k in RATES) > 1:
            errors["error_rate"] = "the rates together must not exceed 1"
        statuses = data.get("statuses", [500, 503, 429])
        if not isinstance(statuses, list) or not statuses or not all(
                isinstance(s, int) and not isinstance(s, bool) and 400 <= s <= 599 for s in statuses):
            errors["statuses"] = "must be a non-empty list of HTTP error statuses (400-599)"
        seed = data.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            errors["seed"] = "must be an integer"
        if errors:
            raise ApiFailure(spec.VALIDATION_ERROR, fields=errors)
        return cls(**{k: v for k, v in data.items()})

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _is_faultable(scope: dict) -> bool:
    return scope["type"] == "http" and scope["path"] in spec.DATA_PATHS


class CutConnection(Exception):
    """The injected fault needs a transport to abort and this server does not give one."""


def _cut_connection(send: Any) -> bool:
    """Aborts the client connection with a TCP reset. Reaches uvicorn's transport through its `send`
    (a bound method of the request cycle, in both the h11 and httptools protocols); False if it cannot."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        return False
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()
    return True


class FaultInjector:
    """ASGI middleware in front of the app; costs one attribute check per request while no faults are set."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.spec: FaultSpec | None = None
        self._random = random.Random()
        self.injected: dict[str, int] = {}

    def set(self, fault_spec: FaultSpec | None) -> None:
        self.spec = fault_spec
        self._random = random.Random(fault_spec.seed if fault_spec else None)
        self.injected = {}

    def _count(self, kind: str) -> None:
        self.injected[kind] = self.injected.get(kind, 0) + 1

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        fs = self.spec
        if fs is None or not _is_faultable(scope):
            await self.app(scope, receive, send)
            return
        if fs.latency_ms:
            await asyncio.sleep(fs.latency_ms / 1000)
        draw = self._random.random()
        edge = fs.error_rate
        if draw < edge:
            status = self._random.choice(fs.statuses)
            self._count(f"error_{status}")
            await self._error(send, status, fs.retry_after)
            return
        edge += fs.reset_rate
        if draw < edge:
            self._count("reset")
            if not _cut_connection(send):
                raise CutConnection("reset")
            await asyncio.sleep(0)  # let the server see the connection is gone
            return
        edge += fs.drop_after_commit_rate
        if draw < edge and scope["method"] == "POST" and scope["path"] == spec.ORDERS_PATH:
            self._count("drop_after_commit")
            await self.app(scope, receive, self._dropping_send(send))
            return
        edge_timeout = edge + fs.timeout_rate
        if edge <= draw < edge_timeout:
            self._count("timeout")
            await self.app(scope, receive, self._delaying_send(send, fs.timeout_s))
            return
        await self.app(scope, receive, send)

    @staticmethod
    async def _error(send: Any, status: int, retry_after: float) -> None:
        error = spec.FAULT_ERRORS.get(status, spec.ApiError(status, "injected_error", f"Injected HTTP {status}."))
        body = json.dumps(error_body(error), separators=(",", ":")).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if status in spec.RETRY_AFTER_STATUSES:
            headers.append((b"retry-after", f"{retry_after:g}".encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _dropping_send(send: Any) -> Any:
        async def dropping(message: dict) -> None:
            if message["type"] == "http.response.start":
                if not _cut_connection(send):
                    raise CutConnection("drop_after_commit")
                await asyncio.sleep(0)  # let the server see the connection is gone
        return dropping

    @staticmethod
    def _delaying_send(send: Any, delay: float) -> Any:
        async def delaying(message: dict) -> None:
            if message["type"] == "http.response.start":
                try:
                    await asyncio.sleep(delay)
                except asyncio.CancelledError:  # the sandbox is stopping: no answer rather than a false 500
                    _cut_connection(send)
                    raise
            await send(message)
        return delaying
