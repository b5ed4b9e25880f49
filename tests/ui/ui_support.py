"""Sample statuses and export writers shared by the UI tests.

A module of its own (not conftest) so that `from ui_support import ...` always means this file, whatever other
test folders' conftest modules pytest loaded first.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from rulrr_desktop.core.status_text import ErrorInfo, ProblemRow, Progress, SyncStatus

NOW = datetime.now(timezone.utc)   # the statuses below are described "as of" this moment


def sample_status(**changes) -> SyncStatus:
    today = date.today()
    daily = tuple((today - timedelta(days=29 - i), (i * 37) % 90 + (20 if i > 20 else 3)) for i in range(30))
    now = NOW
    base = SyncStatus(connected=True, store_name="Bridge Street Bakery",
                      token_expires=now + timedelta(days=364), source_label="items-2026.csv (Square Item Sales)",
                      last_sync=now - timedelta(minutes=2), next_sync=now + timedelta(seconds=58),
                      delivered_today=38, delivered_total=1204, daily=daily,
                      activity=((now - timedelta(minutes=2), "Sent what was new"),
                                (now - timedelta(minutes=3), "Sent what was new")))
    return base.with_changes(**changes)


PROBLEMS = (ProblemRow("items-2026-06-12.csv:17", "the Transaction ID is empty: an order without an id cannot "
                                                  "be sent"),
            ProblemRow("items-2026-06-12.csv:42", "the date “31/02/2026” is not a date"),
            ProblemRow("items-2026-06-13.csv:5", "the total “abc” is not an amount of money"))

STATES = {
    "up-to-date": sample_status(),
    "syncing": sample_status(syncing=True, progress=Progress(6200, 20000, 310.0)),
    "paused": sample_status(paused_until=NOW + timedelta(minutes=10),
                            pause_reason="Rulrr could not be reached"),
    "offline": sample_status(offline=True),
    "attention": sample_status(quarantined=3, problems=PROBLEMS),
    "error": sample_status(error=ErrorInfo("Rulrr no longer accepts this connection",
                                           "the access token was revoked",
                                           "Reconnect to Rulrr (Connect again in the app). Nothing is lost "
                                           "meanwhile.")),
    "not-connected": SyncStatus(),
}



GENERIC_COLUMNS = ["orderId", "orderDate", "orderTotal", "currency", "type", "customerId", "firstName",
                   "lastName", "email", "phoneNumber"]


def write_generic_export(path: Path, count: int, *, start: int = 0, bad: int = 0) -> list[str]:
    """`count` orders (ids U-000000…) plus `bad` rows without an id; returns the good ids."""
    t0 = datetime(2026, 5, 1, 8, tzinfo=timezone.utc)
    path.parent.mkdir(parents=True, exist_ok=True)
    ids = []
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(GENERIC_COLUMNS)
        for i in range(start, start + count):
            who = i % 5 == 0
            ids.append(f"U-{i:06d}")
            writer.writerow([ids[-1], (t0 + timedelta(seconds=30 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                             f"{i % 90 + 1}.{i % 100:02d}", "USD", "sale", f"C{i % 40}" if who else "",
                             "Avery" if who else "", "Hollis" if who else "",
                             f"avery{i % 40}@example.com" if who else "", ""])
        for j in range(bad):
            writer.writerow(["", (t0 + timedelta(hours=j)).strftime("%Y-%m-%dT%H:%M:%SZ"), "1.00", "USD",
                             "sale", "", "", "", "", ""])
    return ids


SETTINGS_STORE = {"storeName": "Bridge Street Bakery", "storeAddress": "120 Bridge Street", "storeCountryCode": "US",
                  "storeCurrency": "USD"}


def open_settings_dialog(qtbot, backend):
    """The Settings dialog over `backend`'s settings, shown, with a valid store."""
    from rulrr_desktop.ui.settings_dialog import SettingsDialog
    settings = backend.settings()
    settings.store.update(SETTINGS_STORE)
    dialog = SettingsDialog(backend, settings)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog
