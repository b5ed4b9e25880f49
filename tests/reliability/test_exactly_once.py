"""Each order exactly once through what goes wrong in real life: a storm of faults, a process killed at random
moments, tokens revoked, the access token expiring mid-sync, and bad rows fixed later. The sandbox is the
referee: it counts every accepted POST, so `duplicates` 0 and the full set of orderIds prove exactly-once."""

from __future__ import annotations

import json
import random
import signal
import threading

import pytest

from rulrr_desktop.core.ledger import Ledger
from rulrr_desktop.core.sync import EngineOptions, build_engine
from polling import wait_for

pytestmark = pytest.mark.slow


def assert_exactly_once(profile, ids: list[str]) -> None:
    held = profile.sandbox_orders()
    got = [o["orderId"] for o in held["orders"]]
    assert held["duplicates"] == 0, f"{held['duplicates']} orders were posted twice"
    assert len(got) == len(set(got))
    missing = set(ids) - set(got)
    assert not missing, f"{len(missing)} orders never arrived, e.g. {sorted(missing)[:5]}"
    assert set(got) == set(ids)


def test_a_fault_storm_delivers_each_order_exactly_once(profile):
    ids = profile.write_orders(2000)
    profile.sandbox.faults(error_rate=0.20, statuses=[500, 502, 503, 429], retry_after=0.2, reset_rate=0.05,
                           drop_after_commit_rate=0.05, timeout_rate=0.02, timeout_s=2.0, seed=5)
    options = EngineOptions(request_timeout_s=0.5, settle_delay_s=0.3, backoff_base_s=0.1, backoff_cap_s=2.0)
    engine = build_engine(profile.paths, options=options)
    try:
        report = engine.run_once()
        for _ in range(3):  # a pass may end on a run of bad luck (exit 6): the next one resumes
            if report.exit_code == 0:
                break
            report = engine.run_once()
        assert report.exit_code == 0, report.error
        assert report.counts.delivered == 2000 and report.counts.unsent == 0
    finally:
        engine.close()
    injected = profile.sandbox.hook("GET", "faults")
    faults = json.dumps(injected)
    for kind in ("reset", "drop_after_commit", "timeout", "error_429", "error_503", "error_500"):
        assert kind in faults, f"the storm injected no {kind}: {faults}"
    profile.sandbox.clear_faults()
    assert_exactly_once(profile, ids)


@pytest.mark.keyring
def test_sync_killed_at_random_moments_still_delivers_each_order_once(cli_profile):
    ids = cli_profile.write_orders(5000)
    cli_profile.sandbox.faults(latency_ms=3, seed=3)   # a little latency keeps requests in flight when killed
    rng = random.Random(20261127)
    kills = 0
    ledger_file = cli_profile.paths.ledger_file
    for cycle in range(60):
        before = cli_profile.posts()
        if before >= 4800:
            break
        proc = cli_profile.popen("sync", "--once", "--no-progress")
        target = before + rng.randint(1, 150)
        if cycle == 0:   # the first one dies while it reads the export into the ledger
            condition = lambda: proc.poll() is not None or ledger_file.exists()  # noqa: E731
        else:            # the others once Rulrr has counted a random number of new POSTs
            condition = lambda: proc.poll() is not None or cli_profile.posts() >= target  # noqa: E731
        try:
            wait_for(condition, timeout=120, what="the sync to make progress")
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
        if kills >= 21:
            break
    assert kills >= 20
    cli_profile.sandbox.clear_faults()
    final = cli_profile.cli("sync", "--once", "--no-progress", timeout=300)
    assert final.returncode == 0, final.stderr
    assert_exactly_once(cli_profile, ids)
    with Ledger(cli_profile.paths.ledger_file) as ledger:
        counts = ledger.counts()
        assert (counts.delivered, counts.unsent) == (5000, 0)


@pytest.mark.keyring
def test_revoked_tokens_stop_with_exit_6_and_nothing_is_lost(cli_profile):
    ids = cli_profile.write_orders(3000)
    cli_profile.sandbox.faults(latency_ms=5, seed=1)
    proc = cli_profile.popen("sync", "--once", "--no-progress")
    try:
        wait_for(lambda: cli_profile.posts() >= 300, what="the sync to be under way")
        cli_profile.sandbox.hook("POST", "revoke", store_id="store-1")
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 6, err
    assert "Reconnect to Rulrr" in err
    with Ledger(cli_profile.paths.ledger_file) as ledger:
        counts = ledger.counts()
        delivered = counts.delivered
        assert counts.in_flight == 0 and counts.delivered + counts.pending == 3000 and counts.pending > 0
    assert cli_profile.posts() == delivered                       # what Rulrr has is what the ledger says
    status = json.loads(cli_profile.cli("status", "--json").stdout)
    assert "Reconnect" in (status["sync"]["last_error"] or "")
    cli_profile.sandbox.clear_faults()
    cli_profile.connect()                                          # the staff reconnects
    final = cli_profile.cli("sync", "--once", "--no-progress")
    assert final.returncode == 0, final.stderr
    assert_exactly_once(cli_profile, ids)


def test_the_access_token_expiring_mid_sync_is_refreshed_transparently(profile):
    from rulrr_desktop.core import connection
    ids = profile.write_orders(1500)
    profile.sandbox.faults(latency_ms=2, seed=2)
    expires_before = connection.load(profile.paths).expires_at
    moved = threading.Event()

    def progress(p):
        if p.sent >= 300 and not moved.is_set():
            moved.set()
            profile.sandbox.advance_clock(366 * 86400)            # a year and a day later, for Rulrr

    engine = build_engine(profile.paths, progress=progress, options=EngineOptions(progress_every_s=0.0))
    try:
        report = engine.run_once()
    finally:
        engine.close()
    assert moved.is_set()
    assert report.exit_code == 0, report.error
    assert report.counts.delivered == 1500
    record = connection.load(profile.paths)
    assert record.refreshed_at is not None and record.expires_at != expires_before
    profile.sandbox.clear_faults()
    assert_exactly_once(profile, ids)


@pytest.mark.keyring
def test_quarantined_rows_are_reported_and_delivered_once_the_mapping_is_fixed(cli_profile):
    good = cli_profile.write_orders(200)
    bad = cli_profile.write_orders(30, start=200, currency="")     # no currency, and the store has none set
    cli_profile.configure(storeCurrency="")
    first = cli_profile.cli("sync", "--once", "--no-progress")
    assert first.returncode == 5, first.stderr
    assert "30 quarantined" in first.stdout and "quarantined as invalid" in first.stderr
    status = json.loads(cli_profile.cli("status", "--json", "--limit", "50").stdout)
    assert status["sync"]["quarantined"] == 30 and status["sync"]["delivered"] == 200
    reasons = {q["reason"] for q in status["sync"]["quarantine"]}
    assert any("currency" in r for r in reasons) and all(q["where"] for q in status["sync"]["quarantine"])
    cli_profile.configure(storeCurrency="USD")                      # the staff fixes the store's currency
    second = cli_profile.cli("sync", "--once", "--no-progress")
    assert second.returncode == 0, second.stderr
    assert "Delivered 30 orders" in second.stdout
    status = json.loads(cli_profile.cli("status", "--json").stdout)
    assert (status["sync"]["delivered"], status["sync"]["quarantined"]) == (230, 0)
    assert_exactly_once(cli_profile, good + bad)
