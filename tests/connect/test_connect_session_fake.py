"""The connect state machine's edge cases against a scripted Rulrr (the real-sandbox runs are in
test_connect_session_sandbox.py): transient errors keep the state, tokens are asked for once, the keyring
comes first and a failing keyring keeps the tokens in memory until it recovers."""

from __future__ import annotations

import logging

import pytest
from connect_helpers import files_containing  # type: ignore[import-not-found]

from rulrr_desktop.core import connection as connection_record
from rulrr_desktop.core.api.errors import (BadPartnerCredentials, IntegrationNotFinished, NetworkError,
                                           OutcomeUnknown, ServerError, TokensAlreadyIssued)
from rulrr_desktop.core.api.results import IntegrationStatus
from rulrr_desktop.core.connect import ConnectSession, ConnectState, connect_page_url
from rulrr_desktop.core.secrets import SERVICE, KeyringUnavailable


def session_for(app_home, fake_credentials, fake_rulrr):
    return ConnectSession(app_home, fake_credentials, client_factory=fake_rulrr.client)


def test_page_url_carries_token_and_client_id():
    url = connect_page_url("http://h:1/connect?lang=en", "tok123", "demo-pos")
    assert url == "http://h:1/connect?lang=en&integration_token=tok123&client_id=demo-pos"


def test_transient_errors_keep_the_state_and_the_flow_goes_on(app_home, fake_credentials, fake_rulrr,
                                                              memory_keyring):
    fake_rulrr.statuses = [ServerError("boom", status=503), IntegrationStatus("pending"),
                           IntegrationStatus("finished")]
    fake_rulrr.exchange_errors = [IntegrationNotFinished("later", status=409), NetworkError("no route")]
    session = session_for(app_home, fake_credentials, fake_rulrr)
    assert session.start() is ConnectState.PENDING
    with pytest.raises(ServerError):
        session.poll()
    assert session.state is ConnectState.PENDING
    assert session.poll() is ConnectState.PENDING
    assert session.poll() is ConnectState.FINISHED
    for expected in (IntegrationNotFinished, NetworkError):
        with pytest.raises(expected):
            session.exchange_and_store()
        assert session.state is ConnectState.FINISHED
    assert session.exchange_and_store() is ConnectState.STORED
    assert memory_keyring.items[(SERVICE, "default:access_token")] == "access-3-0123456789"
    assert session.connection.store_name == "Bridge Street Bakery"
    assert connection_record.load(app_home).store_id == "store-1"


def test_tokens_already_issued_after_a_lost_answer_ends_the_attempt(app_home, fake_credentials, fake_rulrr):
    fake_rulrr.statuses = [IntegrationStatus("finished")]
    fake_rulrr.exchange_errors = [OutcomeUnknown("read timeout"), TokensAlreadyIssued("taken", status=403)]
    session = session_for(app_home, fake_credentials, fake_rulrr)
    session.start()
    session.poll()
    with pytest.raises(OutcomeUnknown):
        session.exchange_and_store()
    with pytest.raises(TokensAlreadyIssued):
        session.exchange_and_store()
    assert session.state is ConnectState.FAILED
    assert session.exchange_and_store() is ConnectState.FAILED
    assert len(fake_rulrr.exchanges) == 2
    assert session.restart() is ConnectState.PENDING     # a fresh token: "Start connecting again"
    assert len(fake_rulrr.created) == 2


def test_exchange_happens_once(app_home, fake_credentials, fake_rulrr):
    fake_rulrr.statuses = [IntegrationStatus("finished")]
    session = session_for(app_home, fake_credentials, fake_rulrr)
    session.start()
    session.poll()
    assert session.exchange_and_store() is ConnectState.STORED
    assert session.exchange_and_store() is ConnectState.STORED
    assert session.poll() is ConnectState.STORED
    assert len(fake_rulrr.exchanges) == 1
    with pytest.raises(RuntimeError):
        session.restart()


def test_bad_partner_credentials_fail_the_flow(app_home, fake_credentials, fake_rulrr):
    fake_rulrr.client = lambda token=None: type("C", (), {  # noqa: E731
        "create_integration": lambda self: (_ for _ in ()).throw(BadPartnerCredentials("wrong", status=403))})()
    session = session_for(app_home, fake_credentials, fake_rulrr)
    with pytest.raises(BadPartnerCredentials) as caught:
        session.start()
    assert session.state is ConnectState.FAILED and session.error is caught.value
    assert "POS vendor" in caught.value.action


def test_failing_keyring_holds_tokens_in_memory_until_it_recovers(app_home, fake_credentials, fake_rulrr,
                                                                  flaky_keyring, caplog):
    caplog.set_level(logging.DEBUG)
    fake_rulrr.statuses = [IntegrationStatus("finished")]
    session = session_for(app_home, fake_credentials, fake_rulrr)
    session.start()
    session.poll()
    assert session.exchange_and_store() is ConnectState.STORED_IN_MEMORY
    assert isinstance(session.error, KeyringUnavailable)
    assert "unlock" in session.error.action.lower()
    assert flaky_keyring.items == {}
    assert connection_record.load(app_home) is None       # no record while the keys are not safe
    assert session.retry_store() is ConnectState.STORED_IN_MEMORY   # still locked
    assert files_containing(app_home.config_dir.parent, "access-1-0123456789", "refresh-1-0123456789") == []
    flaky_keyring.broken = False
    assert session.retry_store() is ConnectState.STORED
    assert flaky_keyring.items[(SERVICE, "default:access_token")] == "access-1-0123456789"
    assert flaky_keyring.items[(SERVICE, "default:refresh_token")] == "refresh-1-0123456789"
    assert connection_record.load(app_home).store_name == "Bridge Street Bakery"
    assert len(fake_rulrr.exchanges) == 1
    assert "0123456789" not in caplog.text
    assert files_containing(app_home.config_dir.parent, "access-1-0123456789", "refresh-1-0123456789") == []


def test_no_keyring_at_all_fails_before_the_merchant_does_anything(app_home, fake_credentials, fake_rulrr):
    import keyring
    from keyring.backends import fail
    keyring.set_keyring(fail.Keyring())          # the autouse fixture restores the previous one
    session = session_for(app_home, fake_credentials, fake_rulrr)
    with pytest.raises(KeyringUnavailable) as caught:
        session.start()
    assert session.state is ConnectState.FAILED
    assert fake_rulrr.created == []                # no integration token was asked for
    assert "gnome-keyring" in caught.value.action
