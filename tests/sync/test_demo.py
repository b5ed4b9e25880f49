"""The demo: its POS export keeps selling, and `demo --headless` tells the whole story until Ctrl-C."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rulrr_desktop.core.demo_export import COLUMNS, DemoExport

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_export_is_a_generic_csv_history_that_gains_sales(tmp_path):
    export = DemoExport(tmp_path / "sales.csv", seed=3, interval_s=0.05)
    assert export.write_history(120) == 120
    rows = list(csv.DictReader(open(export.path, encoding="utf-8", newline="")))
    assert list(rows[0]) == COLUMNS and len(rows) == 120 and len({r["orderId"] for r in rows}) == 120
    assert {r["type"] for r in rows} <= {"sale", "refund"} and any(r["email"] for r in rows)
    assert all(float(r["orderTotal"]) < 0 for r in rows if r["type"] == "refund")
    export.start()
    try:
        deadline = time.monotonic() + 30
        while export.rows_written < 125 and time.monotonic() < deadline:
            time.sleep(0.01)  # polling a condition with a deadline
    finally:
        export.stop()
    rows = list(csv.DictReader(open(export.path, encoding="utf-8", newline="")))
    assert len(rows) == export.rows_written >= 125 and len({r["orderId"] for r in rows}) == len(rows)


@pytest.mark.keyring
def test_demo_headless_connects_backfills_then_sends_live_sales_until_ctrl_c(real_keyring, tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(tmp_path)}
    env.pop("RULRR_PARTNER_FILE", None)
    proc = subprocess.Popen([sys.executable, "-m", "rulrr_desktop", "demo", "--headless", "--orders", "150",
                             "--sale-every", "0.3"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=ROOT)
    lines: list[str] = []
    live_delivery = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if "Live:" in "\n".join(lines) and line[:2].isdigit() and "Delivered" in line:
                live_delivery.set()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert live_delivery.wait(timeout=120), "\n".join(lines)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=10)
    text = "\n".join(lines)
    assert "Rulrr sandbox at http://127.0.0.1:" in text and "Connected to Bridge Street Bakery" in text
    assert "Delivered 150 orders" in text and "store profile sent" in text and "customer list uploaded" in text
    assert "Stopped:" in text
    assert not list(tmp_path.glob("rulrr-demo-*"))          # the throw-away home is gone
