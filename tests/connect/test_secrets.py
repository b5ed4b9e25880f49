"""The tokens in the OS keyring: a real Secret Service (gnome-keyring in the test's D-Bus session), refused
backends, the Windows length limit, and the partner credentials' resolution order."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends import fail, null

from rulrr_desktop.core.config import Settings
from rulrr_desktop.core.credentials import PartnerSetupError, partner_secret_username, resolve_credentials
from rulrr_desktop.core.secrets import (MAX_SECRET_BYTES, SERVICE, KeyringUnavailable, TokenStore, TokenTooLong,
                                        TokenVault)


@pytest.mark.keyring
def test_tokens_round_trip_in_the_real_secret_service(real_keyring):
    store = TokenStore("shop-a")
    other = TokenStore("shop-b")
    store.save("access-A-0123456789", "refresh-A-0123456789")
    other.save("access-B-0123456789", "refresh-B-0123456789")
    assert "SecretService" in store.backend_name
    # read back through a fresh backend object: it really is in gnome-keyring, not in this process
    from keyring.backends import SecretService
    fresh = SecretService.Keyring()
    assert fresh.get_password(SERVICE, "shop-a:access_token") == "access-A-0123456789"
    assert fresh.get_password(SERVICE, "shop-a:refresh_token") == "refresh-A-0123456789"
    loaded = store.load()
    assert (loaded.access_token, loaded.refresh_token) == ("access-A-0123456789", "refresh-A-0123456789")
    assert "0123456789" not in repr(loaded)
    assert store.delete() is True
    assert store.load() is None
    assert fresh.get_password(SERVICE, "shop-a:access_token") is None
    assert other.load().access_token == "access-B-0123456789"   # profiles are separate
    assert other.delete() is True and other.delete() is False


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()], ids=["fail", "null"])
def test_a_fail_or_null_backend_counts_as_missing(backend):
    store = TokenStore("default", backend=backend)
    with pytest.raises(KeyringUnavailable) as caught:
        store.save("access-0123456789", "refresh-0123456789")
    assert caught.value.title == "The system keyring is locked or missing"
    assert "0123456789" not in str(caught.value)
    with pytest.raises(KeyringUnavailable):
        store.load()


def test_a_token_too_long_for_windows_is_refused_clearly(memory_keyring):
    store = TokenStore("default")
    store.save("a" * (MAX_SECRET_BYTES // 2), "r" * 40)          # exactly at the limit (UTF-16)
    with pytest.raises(TokenTooLong) as caught:
        store.save("a" * (MAX_SECRET_BYTES // 2 + 1), "r" * 40)
    assert "2560" in str(caught.value)


def test_vault_holds_tokens_until_the_keyring_recovers(flaky_keyring):
    vault = TokenVault(TokenStore("default"))
    assert vault.put("access-0123456789", "refresh-0123456789") is False
    assert vault.pending and isinstance(vault.last_error, KeyringUnavailable)
    assert vault.retry_pending() is False and vault.pending
    flaky_keyring.broken = False
    assert vault.retry_pending() is True
    assert not vault.pending and vault.last_error is None
    assert flaky_keyring.items[(SERVICE, "default:access_token")] == "access-0123456789"


def _settings(**rulrr):
    base = {"client_id": "demo-pos", "api_url": "http://x", "connect_url": "http://x/connect"}
    return Settings.from_dict({"rulrr": {**base, **rulrr}})


def test_client_secret_order_env_then_keyring_then_partner_file(tmp_path, monkeypatch, memory_keyring):
    partner = tmp_path / "partner.toml"
    partner.write_text('[partner]\nclient_id = "demo-pos"\nclient_secret = "from-file-secret"\n')
    monkeypatch.setenv("RULRR_PARTNER_FILE", str(partner))
    monkeypatch.delenv("RULRR_CLIENT_SECRET", raising=False)
    creds = resolve_credentials(_settings())
    assert (creds.client_secret, creds.secret_source) == ("from-file-secret", "partner file")
    keyring.set_password(SERVICE, partner_secret_username("demo-pos"), "from-keyring-secret")
    assert resolve_credentials(_settings()).client_secret == "from-keyring-secret"
    monkeypatch.setenv("RULRR_CLIENT_SECRET", "from-env-secret")
    creds = resolve_credentials(_settings())
    assert (creds.client_secret, creds.secret_source) == ("from-env-secret", "environment")
    assert "from-env-secret" not in repr(creds)


def test_missing_partner_settings_are_a_vendor_problem(tmp_path, monkeypatch):
    monkeypatch.setenv("RULRR_PARTNER_FILE", str(tmp_path / "none.toml"))
    monkeypatch.delenv("RULRR_CLIENT_SECRET", raising=False)
    with pytest.raises(PartnerSetupError) as caught:
        resolve_credentials(_settings())
    assert "POS vendor" in caught.value.action and "client secret" in caught.value.detail
    with pytest.raises(PartnerSetupError) as caught:
        resolve_credentials(_settings(client_id=""))
    assert "client_id" in caught.value.detail
