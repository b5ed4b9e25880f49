"""The typed errors of the Rulrr API client.

Each says, for the staff, what happened and what to do; each carries what the code needs to decide
(retry or not, after how long, which fields Rulrr rejected). Messages are built from redacted text only.
"""

from __future__ import annotations

from rulrr_desktop.core.errors import AppError


class RulrrError(AppError):
    """Any failure talking to Rulrr. `status` is the HTTP status (None when there was no answer)."""

    title = "Rulrr could not be reached"
    retryable = False

    def __init__(self, detail: str = "", *, status: int | None = None, code: str = "", **kw) -> None:
        self.status = status
        self.code = code
        super().__init__(detail, **kw)


class BadPartnerCredentials(RulrrError):
    """400 unknown client_id / 403 wrong client secret on the auth endpoints: a setup problem of the vendor."""

    title = "This copy of Rulrr Desktop is not set up correctly"
    action = "Your POS vendor's partner credentials were refused. Contact your POS vendor; this is not a store problem."


class NotAuthorised(RulrrError):
    """403 on a data endpoint or a refused refresh: the access token is missing, expired or revoked."""

    title = "Rulrr no longer accepts this connection"
    action = "Reconnect to Rulrr (Connect again in the app). Nothing is lost meanwhile."


class IntegrationTokenInvalid(RulrrError):
    """403 on the integration status/exchange: the integration token is unknown or wrong."""

    title = "The connection attempt is no longer valid"
    action = "Start connecting again."


class TokensAlreadyIssued(RulrrError):
    """403 `tokens_already_issued`: Rulrr hands out the tokens once and they were already taken."""

    title = "Rulrr already handed out the keys for this connection"
    action = "Start connecting again to get a new connection."


class IntegrationNotFinished(RulrrError):
    """409 `integration_not_finished`: the exchange was asked for before the merchant confirmed."""

    title = "The connection is not confirmed yet"
    action = "Finish the steps on the Connect page first."
    retryable = True


class ValidationFailed(RulrrError):
    """400 `validation_error`: Rulrr rejected the content. `fields` maps each field to Rulrr's reason."""

    title = "Rulrr refused the data"
    action = "Check the highlighted fields in Settings, or the row in your POS export."

    def __init__(self, detail: str = "", *, fields: dict[str, str] | None = None, **kw) -> None:
        self.fields = dict(fields or {})
        if not detail and self.fields:
            detail = "; ".join(f"{k}: {v}" for k, v in self.fields.items())
        super().__init__(detail, **kw)


class NotFound(RulrrError):
    """404, e.g. `order_not_found` when settling an order whose delivery was not seen."""

    title = "Rulrr does not know this item"
    action = ""


class RateLimited(RulrrError):
    """429: Rulrr asks us to slow down for `retry_after` seconds."""

    title = "Rulrr asked us to slow down"
    action = "Nothing to do: sending resumes by itself."
    retryable = True

    def __init__(self, detail: str = "", *, retry_after: float | None = None, **kw) -> None:
        self.retry_after = retry_after
        super().__init__(detail, **kw)


class ServerError(RulrrError):
    """5xx: Rulrr is having trouble. 503 may carry `retry_after`."""

    title = "Rulrr is having trouble"
    action = "Nothing to do: the app tries again by itself."
    retryable = True

    def __init__(self, detail: str = "", *, retry_after: float | None = None, **kw) -> None:
        self.retry_after = retry_after
        super().__init__(detail, **kw)


class NetworkError(RulrrError):
    """The request could not be sent (no route, refused, DNS, connect timeout): it certainly did not arrive."""

    title = "Rulrr could not be reached"
    action = "Check the internet connection. The app tries again by itself; nothing is lost."
    retryable = True


class OutcomeUnknown(NetworkError):
    """The request was sent but no answer came (read timeout, reset, cut connection): it may have arrived.

    For POST /v1/orders this must never be retried blindly: settle it with GET /v1/orders?orderId= first.
    """

    title = "Rulrr did not answer in time"


class ProtocolError(RulrrError):
    """Rulrr answered something this version does not understand (not JSON, missing keys)."""

    title = "Rulrr answered something unexpected"
    action = "Try again later. If it keeps happening, update Rulrr Desktop."


class UploadUrlExpired(NotFound):
    """The single-use, 15-minute upload URL for the customer list was already used or ran out of time."""

    title = "The customer list upload link expired"
    action = "Nothing to do: the app asks Rulrr for a new link and uploads again."
    retryable = True
