"""The engine and the commands against the real sandbox over HTTP: a first backfill, incremental passes, the
store profile and customers, `sync --once`, `status`, continuous `sync` stopped by SIGTERM."""

from __future__ import annotations

import json
import signal

import pytest

from rulrr_desktop.core.ledger import Ledger
from rulrr_desktop.core.sync import build_engine
from polling import wait_for


def test_backfill_then_incremental_passes(profile):
    ids = profile.write_orders(400)
    seen = []
    engine = build_engine(profile.paths, progress=seen.append)
    try:
        report = engine.run_once()
        assert report.exit_code == 0, report.error
        assert (report.read, report.delivered) == (400, 400)
        assert report.store_profile_sent and report.customers_uploaded
        held = profile.sandbox_orders()
        assert sorted(o["orderId"] for o in held["orders"]) == ids and held["duplicates"] == 0
        assert any(p.phase == "sending" for p in seen) and seen[-1].delivered == 400
        stores = profile.sandbox.hook("GET", "stores")
        assert "Bridge Street Bakery" in json.dumps(stores)
        customers = profile.sandbox.hook("GET", "customers", store_id="store-1")
        assert customers["uploads"] == 1 and len(customers["customers"]) == 50

        profile.write_orders(25, start=400)
        report = engine.run_once()
        assert (report.read, report.delivered, report.store_profile_sent, report.customers_uploaded) == (25, 25, False, False)
        assert profile.sandbox.hook("GET", "customers", store_id="store-1")["uploads"] == 1
        assert profile.posts() == 425
    finally:
        engine.close()


@pytest.mark.keyring
def test_sync_once_and_status_commands(cli_profile):
    cli_profile.write_orders(300)
    result = cli_profile.cli("sync", "--once", "--progress")
    assert result.returncode == 0, result.stderr
    assert "Delivered 300 orders" in result.stdout and "0 waiting, 0 quarantined" in result.stdout
    assert "/300 orders" in result.stderr and "300 orders sent\x1b[K" in result.stderr   # the progress bar
    status = cli_profile.cli("status", "--json")
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert data["connection"]["connected"] and data["connection"]["store_id"] in ("store-1", "")
    assert (data["sync"]["delivered"], data["sync"]["pending"], data["sync"]["quarantined"]) == (300, 0, 0)
    assert data["sync"]["last_sync_at"] and data["sync"]["last_error"] is None
    assert data["source"]["preset"] == "generic-csv"
    text = cli_profile.cli("status")
    assert text.returncode == 0 and "300 delivered" in text.stdout and "Last error:   none" in text.stdout
    again = cli_profile.cli("sync", "--once")
    assert again.returncode == 0 and "Delivered 0 orders" in again.stdout
    assert cli_profile.posts() == 300
    # no secret reached a file of the profile (ledger, WAL, logs, config) or the command's output
    from rulrr_desktop.core.secrets import TokenStore
    tokens = TokenStore("default").load()
    secrets = [tokens.access_token.encode(), tokens.refresh_token.encode(), b"demo-secret"]
    files = [f for f in cli_profile.paths.config_dir.parent.rglob("*") if f.is_file()]
    assert any(f.name.startswith("ledger") for f in files) and any(f.suffix == ".log" for f in files)
    for f in files:
        assert not any(secret in f.read_bytes() for secret in secrets), f
    for text in (result.stdout, result.stderr, status.stdout, again.stdout, again.stderr):
        assert not any(secret.decode() in text for secret in secrets)


@pytest.mark.keyring
def test_continuous_sync_picks_up_new_sales_and_stops_cleanly_on_sigterm(cli_profile):
    cli_profile.write_orders(50)
    proc = cli_profile.popen("sync")
    try:
        wait_for(lambda: cli_profile.posts() >= 50, what="the first pass")
        cli_profile.write_orders(5, start=50)                    # the POS sells more
        wait_for(lambda: cli_profile.posts() >= 55, what="the new sales")
        cli_profile.sandbox.faults(latency_ms=200)                # keep requests in flight while stopping
        cli_profile.write_orders(200, start=55)
        wait_for(lambda: cli_profile.posts() >= 60, what="the next pass")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    with Ledger(cli_profile.paths.ledger_file) as ledger:
        counts = ledger.counts()
        assert counts.in_flight == 0                               # every request in flight was finished
        assert counts.delivered == cli_profile.posts() and counts.delivered + counts.pending == 255
    assert cli_profile.sandbox_orders()["duplicates"] == 0


def test_an_order_rulrr_refuses_is_quarantined_with_rulrrs_reason(profile):
    profile.write_orders(20)
    profile.write_orders(2, start=20, currency="ZZZ")              # not an ISO 4217 code: Rulrr says 400
    engine = build_engine(profile.paths)
    try:
        report = engine.run_once()
        entries = engine.ledger.quarantine()
    finally:
        engine.close()
    assert report.exit_code == 5 and report.counts.delivered == 20 and report.counts.rejected == 2
    assert {e.order_id for e in entries} == {"R-000020", "R-000021"} and all(e.by_rulrr for e in entries)
    assert all("currency" in e.reason for e in entries), entries
    assert profile.posts() == 20
