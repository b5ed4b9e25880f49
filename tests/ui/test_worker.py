"""The sync loop on its thread: every outcome reaches the UI as a status, commands work, quit is clean."""

from __future__ import annotations

import threading
import time

import pytest

from rulrr_desktop.core.api.errors import NetworkError, NotAuthorised
from rulrr_desktop.core.status_text import SyncState, state_of
from rulrr_desktop.ui.worker import SyncWorker


@pytest.fixture
def worker(fake_backend, qtbot):
    w = SyncWorker(fake_backend, interval_s=3600, jitter_s=0.1)
    statuses = []
    w.statusChanged.connect(statuses.append)
    w.statuses = statuses
    yield w
    assert w.stop(10)


def wait_state(qtbot, worker, state, timeout=10_000):
    qtbot.waitUntil(lambda: bool(worker.statuses) and state_of(worker.statuses[-1]) is state, timeout=timeout)
    return worker.statuses[-1]


def test_a_pass_runs_and_reports(qtbot, worker, fake_backend):
    with qtbot.waitSignal(worker.passFinished, timeout=10_000) as finished:
        worker.start()
    assert fake_backend.passes == 1
    assert state_of(finished.args[0]) is SyncState.UP_TO_DATE
    assert any(s.syncing for s in worker.statuses)        # the UI saw the pass running
    assert finished.args[0].activity[0][1] == "Sent what was new"


def test_an_unexpected_exception_reaches_the_ui_as_an_error(qtbot, worker, fake_backend):
    fake_backend.fail_with = RuntimeError("database is on fire")
    worker.start()
    status = wait_state(qtbot, worker, SyncState.ERROR)
    assert status.error.title == "Something went wrong inside the app"
    assert "database is on fire" in status.error.detail
    # the loop is still alive: fixing the cause and asking again recovers
    fake_backend.fail_with = None
    worker.sync_now()
    wait_state(qtbot, worker, SyncState.UP_TO_DATE)
    assert fake_backend.passes == 2


def test_an_app_error_shows_title_and_action(qtbot, worker, fake_backend):
    fake_backend.fail_with = NotAuthorised("the access token was revoked", status=403)
    worker.start()
    status = wait_state(qtbot, worker, SyncState.ERROR)
    assert status.error.title == NotAuthorised.title and "Reconnect" in status.error.action


def test_rulrr_unreachable_pauses_with_the_next_try(qtbot, worker, fake_backend):
    fake_backend.fail_with = NetworkError("connection refused")
    worker.start()
    status = wait_state(qtbot, worker, SyncState.PAUSED)
    assert status.paused_until is not None and status.pause_reason == NetworkError.title
    fake_backend.fail_with = None
    worker.sync_now()
    wait_state(qtbot, worker, SyncState.UP_TO_DATE)


def test_pause_and_resume(qtbot, worker, fake_backend):
    with qtbot.waitSignal(worker.passFinished, timeout=10_000):
        worker.start()
    worker.pause()
    status = wait_state(qtbot, worker, SyncState.PAUSED)
    assert status.paused_by_user
    worker.sync_now()        # Sync now while paused by the user does not send
    wait_state(qtbot, worker, SyncState.PAUSED)
    assert fake_backend.passes == 1
    with qtbot.waitSignal(worker.passFinished, timeout=10_000):
        worker.resume()
    assert fake_backend.passes == 2


def test_offline_waits_then_syncs_with_jitter_when_back(qtbot, worker, fake_backend):
    with qtbot.waitSignal(worker.passFinished, timeout=10_000):
        worker.start()
    worker.set_online(False)
    wait_state(qtbot, worker, SyncState.OFFLINE)
    worker.system_resumed()              # woke from sleep while offline: wait for the network
    wait_state(qtbot, worker, SyncState.OFFLINE)
    assert fake_backend.passes == 1
    with qtbot.waitSignal(worker.passFinished, timeout=10_000):
        worker.set_online(True)
    assert fake_backend.passes == 2


def test_quit_lets_the_pass_in_flight_finish(qtbot, fake_backend):
    entered, finished = threading.Event(), threading.Event()

    def slow_pass(stop, progress):
        entered.set()
        stop.wait(30)                    # the engine notices the stop event, finishes its requests...
        finished.set()                   # ... and returns
    fake_backend.sync_once = slow_pass
    worker = SyncWorker(fake_backend, interval_s=3600)
    worker.start()
    qtbot.waitUntil(entered.is_set, timeout=10_000)
    started = time.monotonic()
    assert worker.stop(10)
    assert finished.is_set() and time.monotonic() - started < 5
    assert not worker.running
