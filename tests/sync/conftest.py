"""Fixtures of the sync area: a profile connected to the test's sandbox for real (integration token → the
sandbox's finish hook → tokens in the keyring), with a generic-csv POS export, and helpers to run the CLI."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from rulrr_desktop.core.config import AppPaths, Settings, load_settings, save_settings

ROOT = Path(__file__).resolve().parents[2]
PYCACHE = os.path.join(tempfile.gettempdir(), "rulrr-desktop-test-pycache")
COLUMNS = ["orderId", "orderDate", "orderTotal", "currency", "type", "customerId", "firstName", "lastName",
           "email", "phoneNumber"]
T0 = datetime(2026, 5, 1, 8, tzinfo=timezone.utc)
STORE = {"storeName": "Bridge Street Bakery", "storeAddress": "120 Bridge Street", "storeCountryCode": "US",
         "storeCurrency": "USD", "timezone": "America/New_York"}


def order_row(i: int, *, currency: str = "USD", prefix: str = "R") -> list[str]:
    customer = i % 7 == 0
    return [f"{prefix}-{i:06d}", (T0 + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            f"{(i % 90) + 1}.{i % 100:02d}", currency, "sale",
            f"C{i % 50}" if customer else "", "Avery" if customer else "", "Hollis" if customer else "",
            f"avery{i % 50}@example.com" if customer else "", ""]


def write_export(path: Path, rows: list[list[str]], *, append: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not append or not path.exists()
    with open(path, "a" if append else "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        if new:
            writer.writerow(COLUMNS)
        writer.writerows(rows)


@dataclass
class Profile:
    """A connected profile: its paths, its POS export, the sandbox it talks to."""

    paths: AppPaths
    export: Path
    sandbox: object
    home: Path

    @property
    def settings(self) -> Settings:
        return load_settings(self.paths)

    def write_orders(self, n: int, start: int = 0, **kw) -> list[str]:
        rows = [order_row(i, **kw) for i in range(start, start + n)]
        write_export(self.export, rows, append=start > 0)
        return [r[0] for r in rows]

    def configure(self, **store: str) -> None:
        settings = self.settings
        settings.store = {k: v for k, v in {**settings.store, **store}.items() if v}
        save_settings(self.paths, settings)

    def connect(self, store_id: str = "store-1") -> None:
        from rulrr_desktop.core.credentials import resolve_credentials
        from rulrr_desktop.core.connect import ConnectSession, ConnectState
        session = ConnectSession(self.paths, resolve_credentials(self.settings))
        try:
            session.start()
            self.sandbox.finish(session.integration_token, store_id)
            assert session.poll() is ConnectState.FINISHED
            assert session.exchange_and_store() is ConnectState.STORED
        finally:
            session.close()

    def sandbox_orders(self, store_id: str = "store-1") -> dict:
        return self.sandbox.orders(store_id)

    def posts(self, store_id: str = "store-1") -> int:
        return self.sandbox.hook("GET", "orders", store_id=store_id, limit=0)["posts"]

    def env(self) -> dict[str, str]:
        env = {**os.environ, "RULRR_DESKTOP_HOME": str(self.home), "PYTHONUNBUFFERED": "1",
               # subprocesses reuse compiled bytecode (kept outside the source tree) instead of compiling
               # every module at each start: the kill test starts `sync` 20+ times
               "PYTHONPYCACHEPREFIX": PYCACHE}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        return env

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "rulrr_desktop", *args], capture_output=True, text=True,
                              env=self.env(), cwd=ROOT, timeout=timeout)

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "rulrr_desktop", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env(), cwd=ROOT)


@pytest.fixture
def profile(app_home: AppPaths, partner_file: Path, sandbox, tmp_path: Path) -> Profile:  # noqa: D401
    """A profile connected to store-1 of the test's sandbox, reading tmp/export/sales.csv (generic-csv).
    The export starts empty: tests write the orders they need."""
    export = tmp_path / "export" / "sales.csv"
    write_export(export, [])
    app_home.ensure()
    settings = Settings.from_dict({
        "rulrr": {"api_url": sandbox.url, "connect_url": sandbox.connect_url, "client_id": "demo-pos"},
        "source": {"kind": "csv", "path": str(export), "preset": "generic-csv"},
        "store": dict(STORE),
        "sync": {"interval_seconds": 1, "concurrency": 8},
    })
    save_settings(app_home, settings)
    home = app_home.config_dir.parent.parent
    p = Profile(app_home, export, sandbox, home)
    p.connect()
    return p


@pytest.fixture
def cli_profile(real_keyring, profile: Profile) -> Profile:
    """`profile`, with its tokens in the session's real Secret Service, so that `rulrr-desktop` subprocesses
    find them."""
    profile.connect()  # again, now into the real keyring
    return profile
