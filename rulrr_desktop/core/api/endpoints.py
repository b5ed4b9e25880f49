"""Every detail of the Rulrr API that this client knows or assumes, in one place.

Rulrr documents part of its API (see ../shared/rulrr-api.md: D) and the rest is our assumption (A). When the
real API turns out to differ, this module is the one file to change: paths, query keys, JSON keys, error
codes, and which status + error code means which of our typed errors.
"""

from __future__ import annotations

from rulrr_desktop.core.api import errors

# -- paths (D: everything under /v1) -------------------------------------------------------------------------
INTEGRATION_PATH = "/v1/auth/integration"   # D: POST creates, GET polls
TOKEN_PATH = "/v1/auth/token"               # A: POST exchanges an integration token or a refresh token
STORES_PATH = "/v1/stores"                  # D: PUT the profile, GET the settings
CUSTOMERS_PATH = "/v1/customers"            # D: GET an upload URL for the customer list
ORDERS_PATH = "/v1/orders"                  # D: POST one order; GET one order (A: ?orderId=)

# -- query keys (D: the OAuth flow takes everything in the query string) ---------------------------------------
Q_CLIENT_ID = "client_id"
Q_CLIENT_SECRET = "client_secret"
Q_INTEGRATION_TOKEN = "integration_token"
Q_REFRESH_TOKEN = "refresh_token"           # A
Q_ACCESS_TOKEN = "access_token"             # D: every data endpoint
Q_ORDER_ID = "orderId"                      # A

# -- JSON keys ---------------------------------------------------------------------------------------------
K_SUCCESS = "success"                       # D
K_INTEGRATION_TOKEN = "integrationToken"    # D
K_STATUS = "status"                         # D
K_REASON = "reason"                         # A: "expired" when an integration ran out of time
K_ACCESS_TOKEN = "accessToken"              # A
K_REFRESH_TOKEN = "refreshToken"            # A
K_EXPIRES_IN = "expiresIn"                  # A: seconds
K_STORE = "store"                           # A
K_E_RECEIPTS = "eReceiptsEnabled"           # A
K_UPLOAD_URL = "uploadUrl"                  # A
K_EXPIRES_AT = "expiresAt"                  # A
K_ORDER_ID = "orderId"                      # A
K_DUPLICATE = "duplicate"                   # A
K_ORDER = "order"                           # A
K_ERROR = "error"                           # A: the error code
K_MESSAGE = "message"                       # A
K_FIELDS = "fields"                         # A: {field: reason} with validation_error

INTEGRATION_STATUSES = ("pending", "finished", "cancelled")   # D

# -- error codes (A) -----------------------------------------------------------------------------------------
VALIDATION_ERROR = "validation_error"
TOKENS_ALREADY_ISSUED = "tokens_already_issued"
INTEGRATION_NOT_FINISHED = "integration_not_finished"
ORDER_NOT_FOUND = "order_not_found"
# D: a 403 on the status/exchange calls means "wrong integration token OR wrong client secret"; the body's code
# tells which. Codes that blame the partner credentials (anything else blames the integration token):
PARTNER_CREDENTIAL_CODES = frozenset({
    "invalid_client", "unknown_client", "invalid_client_id", "unknown_client_id", "invalid_client_secret",
    "wrong_client_secret", "bad_client_secret", "bad_client_credentials", "invalid_credentials",
})

# -- upload of the customer list (A) -----------------------------------------------------------------------
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"

# -- which error each answer means ---------------------------------------------------------------------------
# The "kind" of a call decides how its 400/403/404/409 read; 429 and 5xx read the same everywhere.
CREATE_INTEGRATION = "create_integration"   # D: 400 unknown client_id, 403 wrong secret
INTEGRATION_STATUS = "integration_status"   # D: 403 wrong token or secret
EXCHANGE = "exchange"                       # + A: 403 tokens_already_issued, 409 integration_not_finished
REFRESH = "refresh"                         # D: 403 when access was revoked
DATA = "data"                               # D: 403 missing/expired/revoked access token
UPLOAD = "upload"                           # A: the pre-signed upload URL


def _blames_partner(code: str) -> bool:
    return code in PARTNER_CREDENTIAL_CODES or "client" in code or "secret" in code


def error_class(kind: str, status: int, code: str) -> type[errors.RulrrError]:
    """The typed error for a non-2xx answer to a call of `kind` with `status` and the body's `code`."""
    if status == 429:
        return errors.RateLimited
    if status >= 500:
        return errors.ServerError
    if kind in (CREATE_INTEGRATION, INTEGRATION_STATUS, EXCHANGE, REFRESH):
        if code == TOKENS_ALREADY_ISSUED:
            return errors.TokensAlreadyIssued
        if code == INTEGRATION_NOT_FINISHED or (status == 409 and kind == EXCHANGE):
            return errors.IntegrationNotFinished
        if status == 400 and code != VALIDATION_ERROR:
            return errors.BadPartnerCredentials         # D: 400 = unknown client_id
        if status in (401, 403, 404):
            if kind == CREATE_INTEGRATION or _blames_partner(code):
                return errors.BadPartnerCredentials
            if kind == REFRESH:
                return errors.NotAuthorised             # the refresh token died with the access
            return errors.IntegrationTokenInvalid
    if kind == UPLOAD and status in (401, 403, 404, 409, 410):
        return errors.UploadUrlExpired                  # the single-use URL was used or ran out of time
    if status in (401, 403):
        return errors.NotAuthorised
    if status == 404:
        return errors.NotFound
    if status in (400, 413, 415, 422) or code == VALIDATION_ERROR:
        return errors.ValidationFailed
    return errors.ProtocolError
