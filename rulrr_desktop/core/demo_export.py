"""The demo: a throw-away profile wired to the built-in sandbox and to a POS export that keeps selling.

`prepare_demo(home)` starts the sandbox in this process on a free loopback port, writes a generic-csv POS export
with a realistic history (a few hundred orders over the last weeks, returning customers, a few refunds), a
partner file and a config.toml pointing at both, and returns a `DemoEnvironment`. `connect_demo(env)` plays the
demo merchant: it starts the connect flow and completes the Connect page through the sandbox hook, so the tokens
land in the keyring exactly as in real life. `DemoExport.start()` then appends a new sale every few seconds, the
way a POS appends to its export. Used by `rulrr-desktop demo` (headless or not) and by the desktop app.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from rulrr_desktop.core.config import PARTNER_FILE_ENV, AppPaths, Settings, save_settings

COLUMNS = ["orderId", "orderDate", "orderTotal", "currency", "type", "customerId", "firstName", "lastName",
           "email", "phoneNumber"]
DEMO_CLIENT_ID, DEMO_CLIENT_SECRET = "demo-pos", "demo-secret"   # the sandbox's seeded partner (CONTRACT.md)
DEMO_STORE_ID = "store-1"
DEMO_STORE = {"storeName": "Bridge Street Bakery", "storeAddress": "120 Bridge Street", "storeCity": "Portland",
              "storeState": "OR", "storePostalCode": "97205", "storeCountryCode": "US", "storeCurrency": "USD",
              "storePhoneNumber": "+15035550142", "timezone": "America/Los_Angeles"}

_FIRST = ["Avery", "Jordan", "Riley", "Morgan", "Casey", "Quinn", "Harper", "Rowan", "Elliot", "Sage", "Emerson",
          "Finley", "Hayden", "Jules", "Kendall", "Logan", "Marlow", "Noel", "Parker", "Reese"]
_LAST = ["Alder", "Brook", "Calloway", "Dunmore", "Ellery", "Fairbanks", "Garland", "Hollis", "Iverson", "Jessup",
         "Kingsley", "Lockwood", "Merriweather", "Northcott", "Oakley", "Pemberton"]
_BASKET = [Decimal(v) for v in ("3.50", "4.25", "4.75", "6.90", "8.40", "11.20", "12.50", "15.75", "18.30", "24.00",
                                "31.60", "42.15")]


@dataclass(frozen=True)
class DemoCustomer:
    customer_id: str
    first_name: str
    last_name: str
    email: str
    phone: str


class DemoExport:
    """A generic-csv export file that gains a sale every `interval_s` seconds once started.

    Every row is written with one write() + flush, so a reader sees whole lines (and the CSV source waits for a
    half-written last line anyway)."""

    def __init__(self, path: Path, *, seed: int = 7, currency: str = "USD", interval_s: float = 4.0) -> None:
        self.path = Path(path)
        self.currency = currency
        self.interval_s = interval_s
        self._rng = random.Random(seed)
        self._next_id = 10001
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.rows_written = 0
        self.customers = [self._customer(i) for i in range(60)]

    def _customer(self, i: int) -> DemoCustomer:
        first, last = self._rng.choice(_FIRST), self._rng.choice(_LAST)
        return DemoCustomer(f"C{1000 + i}", first, last, f"{first}.{last}{i}@example.com".lower(),
                            f"+1 503 555 {100 + i:04d}")

    def _row(self, when: datetime, refund_of: tuple[str, Decimal] | None = None) -> list[str]:
        who = self._rng.choice(self.customers) if self._rng.random() < 0.7 else None
        order_id = f"DEMO-{self._next_id}"
        self._next_id += 1
        if refund_of is not None:
            total, kind = -refund_of[1], "refund"
        else:
            items = self._rng.randint(1, 4)
            total = sum((self._rng.choice(_BASKET) for _ in range(items)), Decimal("0"))
            kind = "sale"
        stamp = when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        cust = [who.customer_id, who.first_name, who.last_name, who.email, who.phone] if who else [""] * 5
        return [order_id, stamp, f"{total:.2f}", self.currency, kind, *cust]

    def write_history(self, orders: int = 300, days: int = 21, now: datetime | None = None) -> int:
        """Writes the header and `orders` past orders spread over the last `days` days (oldest first)."""
        now = now or datetime.now(timezone.utc)
        start = now - timedelta(days=days)
        moments = sorted(start + timedelta(seconds=self._rng.uniform(0, days * 86400)) for _ in range(orders))
        rows: list[list[str]] = []
        for moment in moments:
            if rows and self._rng.random() < 0.03:     # now and then a refund of an earlier sale
                earlier = self._rng.choice(rows)
                if earlier[4] == "sale":
                    rows.append(self._row(moment, (earlier[0], Decimal(earlier[2]))))
                    continue
            rows.append(self._row(moment))
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "w", encoding="utf-8", newline="") as out:
                out.write(_csv_lines([COLUMNS] + rows))
            self.rows_written = len(rows)
        return len(rows)

    def append_sale(self, when: datetime | None = None) -> str:
        """Appends one new sale (one write); returns its orderId."""
        with self._lock:
            row = self._row(when or datetime.now(timezone.utc))
            with open(self.path, "a", encoding="utf-8", newline="") as out:
                out.write(_csv_lines([row]))
                out.flush()
            self.rows_written += 1
            return row[0]

    def start(self) -> None:
        """Appends a sale every `interval_s` seconds (±50 %) from a daemon thread until stop()."""
        if self._thread is not None:
            return
        self._stop.clear()

        def run() -> None:
            while not self._stop.wait(self.interval_s * self._rng.uniform(0.5, 1.5)):
                self.append_sale()

        self._thread = threading.Thread(target=run, name="demo-pos-export", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def _csv_lines(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


@dataclass
class DemoEnvironment:
    """Everything the demo set up: the profile's paths and settings, the running sandbox, the export writer."""

    home: Path
    paths: AppPaths
    settings: Settings
    sandbox: Any                 # rulrr_desktop.sandbox.server.RunningSandbox (url, connect_url, stop())
    export: DemoExport
    partner_file: Path
    _closed: bool = field(default=False, repr=False)

    def close(self) -> None:
        """Stops the export writer and the sandbox (the home folder is left for the caller to delete)."""
        if self._closed:
            return
        self._closed = True
        self.export.stop()
        self.sandbox.stop()


def prepare_demo(home: Path | str, *, history: int = 300, sale_interval_s: float = 4.0, seed: int = 7,
                 sync_interval_s: int = 3) -> DemoEnvironment:
    """Sets up a demo profile under `home` (see the module docstring). Sets RULRR_PARTNER_FILE in this process
    so that every part of the app finds the sandbox's partner credentials."""
    from rulrr_desktop.sandbox.server import start_in_thread

    home = Path(home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    sandbox = start_in_thread("127.0.0.1", 0, state_file=home / "sandbox.sqlite3")
    try:
        partner = home / "partner.toml"
        partner.write_text(
            "[partner]\nname = \"Demo POS\"\n"
            f"client_id = {json.dumps(DEMO_CLIENT_ID)}\nclient_secret = {json.dumps(DEMO_CLIENT_SECRET)}\n"
            f"api_url = {json.dumps(sandbox.url)}\nconnect_url = {json.dumps(sandbox.connect_url)}\n",
            encoding="utf-8")
        os.environ[PARTNER_FILE_ENV] = str(partner)
        export = DemoExport(home / "pos-export" / "sales.csv", seed=seed, interval_s=sale_interval_s)
        export.write_history(history)
        paths = AppPaths.resolve(home / "app", "default").ensure()
        settings = Settings.from_dict({
            "rulrr": {"api_url": sandbox.url, "connect_url": sandbox.connect_url, "client_id": DEMO_CLIENT_ID},
            "source": {"kind": "csv", "path": str(export.path), "preset": "generic-csv"},
            "store": dict(DEMO_STORE),
            "sync": {"interval_seconds": sync_interval_s, "concurrency": 8},
        })
        save_settings(paths, settings)
    except BaseException:
        sandbox.stop()
        raise
    return DemoEnvironment(home, paths, settings, sandbox, export, partner)


def finish_on_connect_page(sandbox_url: str, integration_token: str, store_id: str = DEMO_STORE_ID) -> None:
    """What the demo merchant does on the Connect page (sign in, pick the store, confirm), through the
    sandbox's hook instead of a browser."""
    import httpx
    response = httpx.post(f"{sandbox_url}/_sandbox/integrations/{integration_token}/finish",
                          params={"store_id": store_id}, timeout=10, trust_env=False)  # local: no system proxy
    response.raise_for_status()


def connect_demo(env: DemoEnvironment, store_id: str = DEMO_STORE_ID):
    """Connects the demo profile for real (integration token → merchant confirms → tokens in the keyring) and
    returns the Connection record."""
    return connect_on_sandbox(env.paths, env.settings, env.sandbox.url, store_id)


def connect_on_sandbox(paths: AppPaths, settings: Settings, sandbox_url: str, store_id: str = DEMO_STORE_ID):
    """The real connect flow for `paths`, with the sandbox's hook playing the merchant (demo and benchmarks)."""
    from rulrr_desktop.core.connect import ConnectSession, ConnectState
    from rulrr_desktop.core.credentials import resolve_credentials

    session = ConnectSession(paths, resolve_credentials(settings))
    try:
        session.start()
        finish_on_connect_page(sandbox_url, session.integration_token, store_id)
        state = session.poll()
        if state is not ConnectState.FINISHED:
            raise RuntimeError(f"the demo connection did not finish ({state})")
        state = session.exchange_and_store()
        if state not in (ConnectState.STORED, ConnectState.STORED_IN_MEMORY):
            raise RuntimeError(f"the demo connection could not be stored ({state})")
        return session.connection
    finally:
        session.close()
