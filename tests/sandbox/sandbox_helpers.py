"""Helpers shared by the sandbox tests (imported by name: tests/sandbox is on sys.path for its test modules)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
PARTNER = {"client_id": "demo-pos", "client_secret": "demo-secret"}


@dataclass
class Connection:
    integration_token: str
    access_token: str
    refresh_token: str
    store_id: str

    @property
    def auth(self) -> dict[str, str]:
        return {"access_token": self.access_token}


def connect(client: httpx.Client, store_id: str = "store-1") -> Connection:
    """Connects a store the way the app does; the finish hook stands in for the merchant's browser."""
    token = client.post("/v1/auth/integration", params=PARTNER).raise_for_status().json()["integrationToken"]
    client.post(f"/_sandbox/integrations/{token}/finish", params={"store_id": store_id}).raise_for_status()
    body = client.post("/v1/auth/token", params={**PARTNER, "integration_token": token}).raise_for_status().json()
    return Connection(token, body["accessToken"], body["refreshToken"], store_id)


def order(order_id: str = "R-1001", **changes) -> dict:
    """A valid order body; `changes` replace fields (None removes one)."""
    body = {"orderId": order_id, "orderDate": "2026-06-28T14:03:00.000Z", "orderTotal": "1250", "currency": "USD",
            "type": "sale",
            "customer": {"customerId": "C-7", "firstName": "Ann", "lastName": "Lee", "email": "ann@example.com",
                         "phoneNumber": "+14155550123"},
            "items": [{"name": "Sourdough", "sku": "SD-1", "quantity": 2, "price": "1000"},
                      {"name": "Coffee", "sku": "CF-1", "quantity": 0.5, "price": "250"}]}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


class SandboxProcess:
    """`rulrr-desktop sandbox` in its own process, with its first stdout line read."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "rulrr_desktop", "sandbox", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.first_line = self.proc.stdout.readline().rstrip("\n")
        self.url = self.first_line.removeprefix("Rulrr sandbox at ")

    def stop(self, sig: int | None = None, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            if sig is None:
                self.proc.terminate()
            else:
                self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            for stream in (self.proc.stdout, self.proc.stderr):
                stream.close()
