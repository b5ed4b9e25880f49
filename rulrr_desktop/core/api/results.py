"""What the Rulrr API client returns: small frozen dataclasses, so callers get names instead of JSON keys.

The ones that hold a secret (tokens, the pre-signed upload URL) have reprs that never show it, so that a
debugger, a log line or a test failure cannot leak it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import httpx

from rulrr_desktop.core.redact import MASK


@dataclass(frozen=True, slots=True)
class IntegrationStatus:
    """Where the merchant is on the Connect page: "pending", "finished" or "cancelled" (reason "expired", ...)."""

    status: str
    reason: str = ""

    @property
    def finished(self) -> bool:
        return self.status == "finished"

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def expired(self) -> bool:
        return self.status == "cancelled" and self.reason == "expired"


@dataclass(frozen=True, slots=True, repr=False)
class Tokens:
    """The access and refresh tokens Rulrr hands out (only once per integration); `expires_at` is aware UTC."""

    access_token: str
    refresh_token: str
    expires_at: datetime

    def __repr__(self) -> str:
        return f"Tokens(access_token={MASK!r}, refresh_token={MASK!r}, expires_at={self.expires_at.isoformat()!r})"

    __str__ = __repr__


@dataclass(frozen=True, slots=True, repr=False)
class UploadTarget:
    """A single-use, short-lived URL to PUT the customer list to. The URL itself is a credential."""

    url: str
    expires_at: datetime | None = None

    @property
    def safe_url(self) -> str:
        """The URL with everything after the host masked: what may be shown or logged."""
        try:
            url = httpx.URL(self.url)
            return f"{url.scheme}://{url.netloc.decode('ascii', 'replace')}/{MASK}"
        except Exception:
            return MASK

    def __repr__(self) -> str:
        expires = self.expires_at.isoformat() if self.expires_at else None
        return f"UploadTarget(url={self.safe_url!r}, expires_at={expires!r})"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class OrderReceipt:
    """Rulrr's answer to one POST /v1/orders. `duplicate` is informative only: never rely on Rulrr's dedupe."""

    order_id: str
    duplicate: bool = False
