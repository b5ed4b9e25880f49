"""The connect state machine and the token lifecycle against the real sandbox over HTTP: finished, cancelled,
expired (sandbox clock), a wrong client secret, tokens asked for once and stored in a real Secret Service;
refresh ahead of expiry, on 403, and "Reconnect to Rulrr" after a revocation."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest
from connect_helpers import app_log_lines_with, files_containing, integration  # type: ignore[import-not-found]

from rulrr_desktop.core import connection as connection_record
from rulrr_desktop.core.api.client import RulrrClient
from rulrr_desktop.core.api.errors import BadPartnerCredentials, NotAuthorised
from rulrr_desktop.core.connect import ConnectSession, ConnectState
from rulrr_desktop.core.credentials import load_credentials
from rulrr_desktop.core.secrets import TokenStore
from rulrr_desktop.core.tokens import TokenManager

DAY = 24 * 3600


@pytest.fixture
def session(app_home, partner_file):
    s = ConnectSession(app_home, load_credentials(app_home))
    yield s
    s.close()


def connect(sandbox, session, store_id="store-1") -> None:
    assert session.start() is ConnectState.PENDING
    assert session.poll() is ConnectState.PENDING
    sandbox.finish(session.integration_token, store_id=store_id)
    assert session.poll() is ConnectState.FINISHED
    assert session.exchange_and_store() is ConnectState.STORED


@pytest.mark.keyring
def test_finished_exchanges_once_into_the_real_keyring(real_keyring, sandbox, session, app_home, caplog,
                                                      request, app_logging):
    request.addfinalizer(lambda: TokenStore("default").delete())
    caplog.set_level(logging.DEBUG)
    connect(sandbox, session, store_id="store-2")
    issued = integration(sandbox, session.integration_token)
    assert issued["tokens_issued"] is True
    stored = TokenStore("default").load()
    assert stored.access_token == issued["access_token"] and stored.refresh_token == issued["refresh_token"]
    record = connection_record.load(app_home)
    assert record.store_name == "Harbour Cafe"
    assert "SecretService" in record.keyring_backend
    assert record.expires_at is not None and abs((record.expires_at - record.connected_at).total_seconds() - 365 * DAY) < 60
    # once: the session never asks again, and Rulrr would refuse anyway
    assert session.exchange_and_store() is ConnectState.STORED
    assert integration(sandbox, session.integration_token)["access_tokens"] == issued["access_tokens"]
    secrets = (stored.access_token, stored.refresh_token, session.integration_token)
    assert files_containing(app_home.config_dir.parent.parent, *secrets) == []
    assert app_log_lines_with(caplog, *secrets) == []
    assert app_logging.stat().st_size > 0             # the app's log file (checked above) did get lines
    described = connection_record.describe(app_home)
    assert (described["connected"], described["store_name"]) == (True, "Harbour Cafe")
    assert 364.9 <= described["token_days_left"] <= 365 and "SecretService" in described["keyring_backend"]
    assert described["needs_reconnect"] is False


def test_cancelled(sandbox, session, app_home):
    session.start()
    sandbox.cancel(session.integration_token)
    assert session.poll() is ConnectState.CANCELLED
    assert session.exchange_and_store() is ConnectState.CANCELLED
    assert connection_record.load(app_home) is None
    assert connection_record.describe(app_home) == {"connected": False, "profile": "default"}
    first = session.integration_token
    assert session.restart() is ConnectState.PENDING and session.integration_token != first


def test_expired_by_the_sandbox_clock(sandbox, session):
    session.start()
    assert session.poll() is ConnectState.PENDING
    sandbox.advance_clock(16 * 60)
    assert session.poll() is ConnectState.EXPIRED
    assert session.reason == "expired"
    assert session.restart() is ConnectState.PENDING
    assert session.poll() is ConnectState.PENDING


def test_wrong_client_secret_is_bad_partner_credentials(sandbox, app_home, partner_file, monkeypatch):
    monkeypatch.setenv("RULRR_CLIENT_SECRET", "not-the-secret")
    session = ConnectSession(app_home, load_credentials(app_home))
    with pytest.raises(BadPartnerCredentials) as caught:
        session.start()
    assert session.state is ConnectState.FAILED
    assert "POS vendor" in caught.value.action
    assert "not-the-secret" not in str(caught.value)


def manager_for(app_home, sandbox):
    creds = load_credentials(app_home)
    client = RulrrClient(creds.api_url, creds.client_id, creds.client_secret, retries=0)
    return TokenManager(app_home, client), client


def data_client(app_home, token):
    creds = load_credentials(app_home)
    return RulrrClient(creds.api_url, creds.client_id, creds.client_secret, access_token=token, retries=0)


def test_refresh_ahead_of_expiry(sandbox, session, app_home, memory_keyring):
    connect(sandbox, session)
    first = TokenStore("default").load().access_token
    manager, client = manager_for(app_home, sandbox)
    assert manager.access_token() == first            # 365 days left: no refresh
    # TokenManager reads the expiry from the record: 20 days left → refresh now
    record = connection_record.load(app_home)
    connection_record.save(app_home, record.with_changes(expires_at=datetime.now(timezone.utc) + timedelta(days=20)))
    fresh = manager.access_token()
    assert fresh != first
    assert TokenStore("default").load().access_token == fresh
    assert TokenStore("default").load().refresh_token == integration(sandbox, session.integration_token)[
        "refresh_token"]
    assert connection_record.load(app_home).expires_at - datetime.now(timezone.utc) > timedelta(days=364)
    assert connection_record.load(app_home).refreshed_at is not None
    assert data_client(app_home, fresh).get_store()["storeName"] == "Bridge Street Bakery"
    client.close()


def test_refresh_after_403_then_revoked_means_reconnect(sandbox, session, app_home, memory_keyring):
    connect(sandbox, session)
    manager, client = manager_for(app_home, sandbox)
    old = manager.access_token()
    sandbox.advance_clock(366 * DAY)                 # the access token has expired on Rulrr's side
    with pytest.raises(NotAuthorised):
        data_client(app_home, old).get_store()
    fresh = manager.refresh_after_forbidden(old)
    assert fresh != old
    assert manager.refresh_after_forbidden(old) == fresh    # a second worker refused with `old`: no 2nd refresh
    assert data_client(app_home, fresh).get_store()["storeName"] == "Bridge Street Bakery"
    assert TokenStore("default").load().access_token == fresh
    sandbox.hook("POST", "revoke", store_id="store-1")
    with pytest.raises(NotAuthorised):
        data_client(app_home, fresh).get_store()
    with pytest.raises(NotAuthorised) as caught:
        manager.refresh_after_forbidden(fresh)      # once: the renewed key was refused too
    assert "Reconnect" in caught.value.action
    assert connection_record.load(app_home).needs_reconnect is True
    manager2, client2 = manager_for(app_home, sandbox)
    with pytest.raises(NotAuthorised):
        manager2.refresh()                           # Rulrr refuses the refresh token of a revoked store
    assert TokenStore("default").load() is not None  # nothing is deleted: reconnecting replaces it
    client.close()
    client2.close()
