"""`rulrr-desktop preview` and `presets`, run as real subprocesses with --home and a config.toml."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path


from mapping_helpers import POS

ROOT = Path(__file__).resolve().parents[2]


def write_config(home: Path, source: Path, preset: str = "auto", **store: str) -> None:
    profile = home / "profiles" / "default"
    profile.mkdir(parents=True, exist_ok=True)
    store = {"storeName": "Bridge Street Bakery", "storeAddress": "120 Bridge Street", "storeCountryCode": "US",
             "storeCurrency": "USD", "timezone": "America/New_York", **store}
    lines = ["[source]", 'kind = "csv"', f"path = {json.dumps(str(source))}", f'preset = "{preset}"', "",
             "[store]", *(f"{k} = {json.dumps(v)}" for k, v in store.items())]
    (profile / "config.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "RULRR_DESKTOP_HOME"}
    return subprocess.run([sys.executable, "-m", "rulrr_desktop", "--home", str(home), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_preview_json_on_square_exports_with_two_headers_and_overlapping_dates(tmp_path):
    folder = tmp_path / "exports"
    shutil.copytree(POS / "square-item-sales", folder)
    home = tmp_path / "home"
    write_config(home, folder)
    done = cli(home, "preview", "--json")
    assert done.returncode == 5, done.stderr                      # rows were quarantined
    out = json.loads(done.stdout)
    assert set(out) == {"store", "orders", "customers", "skipped", "quarantined"}
    assert out["store"] == {"storeName": "Bridge Street Bakery", "storeAddress": "120 Bridge Street",
                            "storeCountryCode": "US", "storeCurrency": "USD"}
    ids = [o["orderId"] for o in out["orders"]]
    assert sorted(ids) == ["T-A", "T-B", "T-C", "T-C-R20260616140000", "T-E", "T-F", "T-G"]   # each once
    orders = {o["orderId"]: o for o in out["orders"]}
    assert orders["T-A"] == {"orderId": "T-A", "orderDate": "2026-06-17T13:15:00.000Z", "orderTotal": "1252",
                             "currency": "USD", "type": "sale",
                             "items": [{"name": "Latte", "sku": "LAT-1", "quantity": 1, "price": "450"},
                                       {"name": "Croissant", "sku": "CRO-1", "quantity": 2, "price": "700"}]}
    assert (orders["T-F"]["orderTotal"], orders["T-F"]["orderDate"]) == ("125097", "2026-06-22T00:00:00.000Z")
    assert (orders["T-G"]["orderTotal"], orders["T-G"]["orderDate"]) == ("980", "2026-06-19T15:11:11.000Z")
    assert (orders["T-E"]["orderDate"], orders["T-B"]["orderTotal"]) == ("2026-06-12T14:30:00.000Z", "1200")
    assert orders["T-C-R20260616140000"]["type"] == "refund"
    assert orders["T-C-R20260616140000"]["orderTotal"] == "-354"
    assert out["customers"] == [{"customerId": "CUST-001", "firstName": "Ann", "lastName": "Okafor"}]
    assert out["skipped"] == 0
    assert out["quarantined"] == [
        {"where": "items-2026-06-12-2026-06-17.csv:8",
         "reason": "the Net Sales amount 'see manager' is not an amount of money"},
        {"where": "items-2026-06-12-2026-06-17.csv:9",
         "reason": "the Transaction ID is empty, so the row belongs to no order"}]
    assert not (home / "profiles" / "default" / "data" / "ledger.sqlite3").exists()   # no sync state touched

    limited = json.loads(cli(home, "preview", "--json", "--limit", "2").stdout)
    assert len(limited["orders"]) == 2 and len(limited["quarantined"]) == 2

    table = cli(home, "preview")
    assert table.returncode == 5
    assert "square-item-sales" in table.stdout and "1250.97 USD" in table.stdout
    assert "7 orders" in table.stdout and "items-2026-06-12-2026-06-17.csv:8" in table.stdout


def test_preview_exit_0_when_clean_and_2_when_the_source_cannot_be_read(tmp_path):
    home = tmp_path / "home"
    clean = tmp_path / "clean"
    clean.mkdir()
    shutil.copy(POS / "square-item-sales" / "items-2026-06-17-2026-06-21.csv", clean)
    write_config(home, clean)
    done = cli(home, "preview", "--json")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["orders"]) == 3

    write_config(home, tmp_path / "nowhere")
    missing = cli(home, "preview", "--json")
    assert missing.returncode == 2 and missing.stdout == ""
    assert "nowhere" in missing.stderr

    write_config(home, clean, preset="clover-orders")          # the wrong preset: a column is missing
    wrong = cli(home, "preview")
    assert wrong.returncode == 2
    assert "'Order Date'" in wrong.stderr and "clover-orders" in wrong.stderr


def test_presets_lists_every_preset_with_its_key_columns(tmp_path):
    done = cli(tmp_path, "presets")
    assert done.returncode == 0
    for key in ("square-item-sales", "square-transactions", "square-customers", "shopify-orders",
                "shopify-customers", "loyverse-receipts", "loyverse-receipt-items", "clover-orders", "generic-csv",
                "generic-sql", "auto"):
        assert key in done.stdout
    assert "Transaction ID" in done.stdout
    listed = json.loads(cli(tmp_path, "presets", "--json").stdout)
    assert {p["key"] for p in listed} >= {"square-item-sales", "generic-sql"}
