"""The POS vendor's partner credentials: which Rulrr partner this build is, and its client secret.

The client_id and the Rulrr URLs come from the settings (`config.load_settings` fills them from the partner
file shipped with the build). The client secret is looked up, in order, in the environment
(RULRR_CLIENT_SECRET), the OS keyring (service "rulrr-desktop", username "partner-client-secret:<client_id>")
and the partner file. Anything missing is a setup problem of the POS vendor, never of the store, and is
explained that way (`PartnerSetupError`). The way there is the profile's `[network] proxy`, with its password
from the keyring (`core.network.connection_proxy`).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import keyring
import keyring.errors

from rulrr_desktop.core.config import SECRET_ENV, AppPaths, Settings, load_partner, load_settings
from rulrr_desktop.core.errors import ConfigError
from rulrr_desktop.core.network import connection_proxy
from rulrr_desktop.core.redact import register_secret

log = logging.getLogger(__name__)

KEYRING_SERVICE = "rulrr-desktop"


def partner_secret_username(client_id: str) -> str:
    """The keyring username under which a vendor may store its client secret on a machine."""
    return f"partner-client-secret:{client_id}"


class PartnerSetupError(ConfigError):
    """The build lacks its partner credentials (client_id, client secret or Rulrr URLs): the vendor's problem."""

    title = "This copy of Rulrr Desktop is not set up correctly"
    action = "Contact your POS vendor: its partner settings for Rulrr are missing. This is not a store problem."


@dataclass(frozen=True)
class PartnerCredentials:
    """What the app needs to talk to Rulrr as the vendor's partner, and the way there (the proxy of the settings).
    The secret and the proxy (it may hold a password) never show in a repr."""

    client_id: str
    client_secret: str = field(repr=False)
    api_url: str
    connect_url: str
    secret_source: str = ""      # "environment" | "keyring" | "partner file"
    proxy: str | None = field(default=None, repr=False)   # the [network] proxy with its password; None: the system's

    def __repr__(self) -> str:
        return (f"PartnerCredentials(client_id={self.client_id!r}, client_secret='***', api_url={self.api_url!r}, "
                f"connect_url={self.connect_url!r}, secret_source={self.secret_source!r})")


def _secret_from_keyring(client_id: str) -> str | None:
    try:
        return keyring.get_password(KEYRING_SERVICE, partner_secret_username(client_id))
    except (keyring.errors.KeyringError, RuntimeError, OSError) as exc:
        # A missing keyring is fine here: the partner file may still carry the secret.
        log.debug("no partner secret from the keyring (%s)", type(exc).__name__)
        return None


def resolve_credentials(settings: Settings) -> PartnerCredentials:
    """The partner credentials for these settings, or `PartnerSetupError` saying what is missing (a bad proxy
    setting: `ProxySettingError`; a keyring that cannot give the proxy password: `KeyringUnavailable`)."""
    rulrr = settings.rulrr
    missing = [name for name in ("client_id", "api_url", "connect_url") if not getattr(rulrr, name)]
    if missing:
        raise PartnerSetupError(f"the partner settings have no {', '.join(missing)}")
    source, secret = "environment", os.environ.get(SECRET_ENV, "")
    if not secret:
        source, secret = "keyring", _secret_from_keyring(rulrr.client_id) or ""
    if not secret:
        source, secret = "partner file", load_partner().get("client_secret", "")
    if not secret:
        raise PartnerSetupError(f"no client secret was found for the partner {rulrr.client_id!r}")
    register_secret(secret)
    return PartnerCredentials(rulrr.client_id, secret, rulrr.api_url.rstrip("/"), rulrr.connect_url, source,
                              connection_proxy(settings.network.proxy))


def load_credentials(paths: AppPaths) -> PartnerCredentials:
    """Reads the profile's settings and resolves the partner credentials from them."""
    return resolve_credentials(load_settings(paths))
