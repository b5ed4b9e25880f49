"""The Rulrr API client: `RulrrClient` (client.py), its results (results.py) and typed errors (errors.py).

Everything the client assumes about the API (paths, keys, error codes) lives in endpoints.py.
"""

from rulrr_desktop.core.api.client import DEFAULT_TIMEOUT, RulrrClient, customer_csv
from rulrr_desktop.core.api.secrecy import remember_secret
from rulrr_desktop.core.api.errors import (
    BadPartnerCredentials,
    IntegrationNotFinished,
    IntegrationTokenInvalid,
    NetworkError,
    NotAuthorised,
    NotFound,
    OutcomeUnknown,
    ProtocolError,
    RateLimited,
    RulrrError,
    ServerError,
    TokensAlreadyIssued,
    UploadUrlExpired,
    ValidationFailed,
)
from rulrr_desktop.core.api.results import IntegrationStatus, OrderReceipt, Tokens, UploadTarget
from rulrr_desktop.core.api.retry import Backoff, Repeat

__all__ = [
    "DEFAULT_TIMEOUT", "RulrrClient", "customer_csv", "remember_secret",
    "BadPartnerCredentials", "IntegrationNotFinished", "IntegrationTokenInvalid", "NetworkError",
    "NotAuthorised", "NotFound", "OutcomeUnknown", "ProtocolError", "RateLimited", "RulrrError", "ServerError",
    "TokensAlreadyIssued", "UploadUrlExpired", "ValidationFailed",
    "IntegrationStatus", "OrderReceipt", "Tokens", "UploadTarget", "Backoff", "Repeat",
]
