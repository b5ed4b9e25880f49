"""TokenManager edge cases against a scripted Rulrr (the sandbox runs are in test_connect_sandbox.py): concurrent
403s refresh once, a keyring failing during a refresh keeps the new token in memory until it recovers, a
transient failure of an ahead-of-time refresh keeps the old token, no connection means NotAuthorised."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from rulrr_desktop.core import connection as connection_record
from rulrr_desktop.core.api.errors import NotAuthorised, ServerError
from rulrr_desktop.core.connection import Connection
from rulrr_desktop.core.secrets import SERVICE, TokenStore
from rulrr_desktop.core.tokens import TokenManager


def connected(app_home, days_left: float) -> None:
    TokenStore("default").save("access-0-0123456789", "refresh-0-0123456789")
    now = datetime.now(timezone.utc)
    connection_record.save(app_home, Connection("default", "", "Bridge Street Bakery", now,
                                                now + timedelta(days=days_left), "test"))


def test_not_connected_is_not_authorised(app_home, fake_rulrr):
    with pytest.raises(NotAuthorised) as caught:
        TokenManager(app_home, fake_rulrr.client()).access_token()
    assert caught.value.title == "Not connected to Rulrr"


def test_concurrent_403s_refresh_once(app_home, fake_rulrr, memory_keyring):
    connected(app_home, 200)
    manager = TokenManager(app_home, fake_rulrr.client())
    old = manager.access_token()
    results, barrier = [], threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        results.append(manager.refresh_after_forbidden(old))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(fake_rulrr.refreshes) == 1
    assert set(results) == {"access-r1-0123456789"}
    with pytest.raises(NotAuthorised):
        manager.refresh_after_forbidden("access-r1-0123456789")   # refused again: reconnect
    assert len(fake_rulrr.refreshes) == 1
    assert connection_record.load(app_home).needs_reconnect is True


def test_keyring_failing_during_refresh_keeps_the_new_token_until_it_recovers(app_home, fake_rulrr,
                                                                                flaky_keyring):
    flaky_keyring.broken = False
    connected(app_home, 10)                       # 10 days left: refresh ahead
    flaky_keyring.broken = True
    manager = TokenManager(app_home, fake_rulrr.client())
    assert manager.access_token() == "access-r1-0123456789"
    assert flaky_keyring.items[(SERVICE, "default:access_token")] == "access-0-0123456789"
    assert manager.vault.pending
    flaky_keyring.broken = False
    assert manager.access_token() == "access-r1-0123456789"   # no second refresh: 365 days left now
    assert flaky_keyring.items[(SERVICE, "default:access_token")] == "access-r1-0123456789"
    assert len(fake_rulrr.refreshes) == 1


def test_a_transient_failure_of_an_early_refresh_keeps_the_old_token(app_home, fake_rulrr, memory_keyring):
    connected(app_home, 10)
    fake_rulrr.refresh_errors = [ServerError("busy", status=503)]
    manager = TokenManager(app_home, fake_rulrr.client())
    assert manager.access_token() == "access-0-0123456789"
    assert manager.access_token() == "access-r2-0123456789"   # the next call refreshes
