"""Scripted stand-ins for the engine's collaborators, for the decision tests (the real parts are exercised by the
integration and reliability tests against the sandbox)."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from rulrr_desktop.core.api.errors import NotAuthorised
from rulrr_desktop.core.model import Customer, Order, StoreProfile
from rulrr_desktop.core.sync_http import PostResult

T0 = datetime(2026, 6, 1, 9, tzinfo=timezone.utc)


def make_order(i: int, total: int = 1250) -> Order:
    return Order(f"R-{i:05d}", T0 + timedelta(minutes=i), total, "USD")


@dataclass
class MappedBatch:
    orders: list
    customers: list
    skipped: int
    quarantined: list
    cursor: dict
    rewritten: bool = False


@dataclass
class Bad:
    where: str
    reason: str
    order_id: str = ""


@dataclass
class FakePipeline:
    orders: list[Order]
    customers: list[Customer] = field(default_factory=list)
    quarantined: list[Bad] = field(default_factory=list)
    profile: StoreProfile = field(default_factory=lambda: StoreProfile(
        {"storeName": "Bridge Street Bakery", "storeAddress": "120 Bridge Street", "storeCountryCode": "US"}))
    mapping_fingerprint: str = "fp1"
    batch_size: int = 100

    def __call__(self, settings) -> "FakePipeline":
        return self

    def batches(self, cursor, batch_size=5000):
        start = (cursor or {}).get("n", 0)
        end = len(self.orders)
        for lo in range(start, end, self.batch_size):
            hi = min(end, lo + self.batch_size)
            yield MappedBatch(self.orders[lo:hi], self.customers if lo == start else [], 0,
                              self.quarantined if lo == start else [], {"n": hi})
        if start >= end and (self.quarantined and start == 0):
            yield MappedBatch([], self.customers, 0, self.quarantined, {"n": end})

    def store_profile(self) -> StoreProfile:
        return self.profile


class FakeTokens:
    """A TokenManager stand-in: `good` are the tokens Rulrr accepts; refresh hands out the next one."""

    def __init__(self, refreshable: bool = True) -> None:
        self.current = "tok-1"
        self.refreshable = refreshable
        self.refreshes = 0

    def access_token(self) -> str:
        return self.current

    def refresh_after_forbidden(self, rejected=None) -> str:
        if not self.refreshable:
            raise NotAuthorised("Rulrr refused to renew the key")
        self.refreshes += 1
        self.current = f"tok-{self.refreshes + 1}"
        return self.current


class FakeClient:
    def __init__(self) -> None:
        self.stores: list[dict] = []
        self.uploads: list[list[Customer]] = []

    def put_store(self, fields):
        self.stores.append(dict(fields))
        return {"success": True}

    def upload_customer_list(self, customers):
        self.uploads.append(list(customers))
        return len(customers)


class FakeRulrr:
    """Plays Rulrr for the engine: `script[order_id]` is a list of what successive POSTs of that order get
    ("ok", "store-then-lose" = stored but the answer is lost, or an exception to raise); `valid_tokens` are
    accepted, others get 403."""

    def __init__(self) -> None:
        self.script: dict[str, list[Any]] = {}
        self.get_script: dict[str, list[Any]] = {}
        self.stored: dict[str, dict] = {}
        self.posts: list[str] = []
        self.post_times: dict[str, list[float]] = {}
        self.gets: list[str] = []
        self.valid_tokens = {"tok-1"}
        self.duplicates = 0

    def factory(self, api_url, *, max_connections, timeout):
        return _FakePoster(self)


class _FakePoster:
    def __init__(self, rulrr: FakeRulrr) -> None:
        self.rulrr = rulrr

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return None

    async def post(self, body: str, token: str) -> PostResult:
        await asyncio.sleep(0)
        r = self.rulrr
        order = json.loads(body)
        oid = order["orderId"]
        r.posts.append(oid)
        r.post_times.setdefault(oid, []).append(time.monotonic())
        if token not in r.valid_tokens:
            raise NotAuthorised("access refused", status=403)
        steps = r.script.get(oid)
        step = steps.pop(0) if steps else "ok"
        if isinstance(step, BaseException):
            raise step
        duplicate = oid in r.stored
        r.duplicates += duplicate
        r.stored[oid] = order
        if step == "store-then-lose":
            from rulrr_desktop.core.api.errors import OutcomeUnknown
            raise OutcomeUnknown("the connection broke")
        return PostResult(oid, duplicate)

    async def exists(self, order_id: str, token: str) -> bool:
        await asyncio.sleep(0)
        r = self.rulrr
        r.gets.append(order_id)
        if token not in r.valid_tokens:
            raise NotAuthorised("access refused", status=403)
        steps = r.get_script.get(order_id)
        step = steps.pop(0) if steps else "ok"
        if isinstance(step, BaseException):
            raise step
        return order_id in r.stored
