"""Every detail of the Rulrr API that the sandbox emulates, documented (D) or assumed (A), in one place.

Rulrr documents only part of its partner API (see ../shared/rulrr-api.md). When the real API turns out to
differ, this module is the one file of the sandbox to change: paths, query keys, JSON keys, error codes with
their statuses and messages, lifetimes, and the seeded partner, merchant and stores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# -- paths (D: everything under /v1) -----------------------------------------------------------------------------
INTEGRATION_PATH = "/v1/auth/integration"   # D: POST creates, GET polls
TOKEN_PATH = "/v1/auth/token"               # D: POST exchanges; A: also refreshes with refresh_token
STORES_PATH = "/v1/stores"                  # D: PUT the profile, GET the settings
CUSTOMERS_PATH = "/v1/customers"            # D: GET an upload URL for the customer list
ORDERS_PATH = "/v1/orders"                  # D: POST one order; A: GET ?orderId= reads one
DATA_PATHS = (STORES_PATH, CUSTOMERS_PATH, ORDERS_PATH)   # take ?access_token=; faults apply to these only
UPLOAD_PATH_PREFIX = "/_upload/"            # A: where the pre-signed customer-list upload URLs point
CONNECT_PATH = "/connect"                   # D: the Connect page (connect.rulrr.com/?integration_token&client_id)

# -- query keys (D: the OAuth flow takes every parameter in the query string) -----------------------------------
Q_CLIENT_ID = "client_id"
Q_CLIENT_SECRET = "client_secret"
Q_INTEGRATION_TOKEN = "integration_token"
Q_REFRESH_TOKEN = "refresh_token"           # A
Q_ACCESS_TOKEN = "access_token"             # D
Q_ORDER_ID = "orderId"                      # A

# -- lifetimes --------------------------------------------------------------------------------------------------
INTEGRATION_TOKEN_LIFE_S = 15 * 60          # A: unfinished integrations are cancelled ("expired") after this
ACCESS_TOKEN_LIFE_S = 365 * 24 * 3600       # D: 365 days; A: expiresIn carries it in seconds
UPLOAD_URL_LIFE_S = 15 * 60                 # A: the customer-list upload URL works once, for 15 minutes
REFRESH_REVOKES_OLD_ACCESS = False          # A: a refresh leaves earlier access tokens valid until they expire

# -- integration statuses and reasons ---------------------------------------------------------------------------
PENDING, FINISHED, CANCELLED = "pending", "finished", "cancelled"          # D
REASON_EXPIRED = "expired"                  # A: the token passed its 15-minute life unfinished
REASON_MERCHANT = "merchant_cancelled"      # A: the merchant pressed Cancel on the Connect page

# -- orders (A) -------------------------------------------------------------------------------------------------
ORDER_TYPES = ("sale", "refund")
ORDER_DEFAULT_TYPE = "sale"
ORDER_REQUIRED = ("orderId", "orderDate", "orderTotal", "currency")
ORDER_FIELDS = ORDER_REQUIRED + ("type", "customer", "items")
CUSTOMER_FIELDS = ("customerId", "firstName", "lastName", "email", "phoneNumber")
ITEM_FIELDS = ("name", "sku", "quantity", "price")
ITEM_REQUIRED = ("name", "quantity", "price")
ORDER_ID_MAX = 255

# -- store profile (D fields, A validation) ---------------------------------------------------------------------
STORE_FIELDS = ("storeName", "storeAddress", "storeCountryCode", "storeCity", "storeState",
                "storePostalCode", "storePhoneNumber", "storeCurrency")
STORE_REQUIRED = ("storeName", "storeAddress", "storeCountryCode")
E_RECEIPTS_KEY = "eReceiptsEnabled"         # A: in GET /v1/stores

# -- customer list upload (A) -----------------------------------------------------------------------------------
CUSTOMER_CSV_HEADER = ("customerId", "firstName", "lastName", "email", "phoneNumber", "createdAt")
CSV_MEDIA_TYPE = "text/csv"
CSV_CONTENT_ENCODINGS = ("identity", "gzip")
UPLOAD_MAX_BYTES = 64 * 1024 * 1024         # the sandbox's own cap on an (uncompressed) customer list
JSON_MAX_BYTES = 1024 * 1024                # A: bodies above 1 MB are refused with 413

# -- formats ----------------------------------------------------------------------------------------------------
MINOR_UNITS_RE = re.compile(r"-?(0|[1-9][0-9]*)")                             # D: "1250" = 12.50
ISO_UTC_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")   # D: 2026-06-28T14:03:00.000Z
E164_RE = re.compile(r"\+[1-9][0-9]{6,14}")                                   # A: phone numbers in E.164
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

# -- JSON keys of answers ---------------------------------------------------------------------------------------
K_SUCCESS = "success"                       # D
K_INTEGRATION_TOKEN = "integrationToken"    # D
K_STATUS = "status"                         # D
K_REASON = "reason"                         # A: "expired" / "merchant_cancelled" with status cancelled
K_ACCESS_TOKEN = "accessToken"              # A
K_REFRESH_TOKEN = "refreshToken"            # A
K_EXPIRES_IN = "expiresIn"                  # A: seconds
K_STORE = "store"                           # A
K_UPLOAD_URL = "uploadUrl"                  # A
K_EXPIRES_AT = "expiresAt"                  # A
K_ORDER_ID = "orderId"                      # A
K_DUPLICATE = "duplicate"                   # A
K_ORDER = "order"                           # A
K_RECEIVED = "received"                     # A: how many customers an upload carried
K_ERROR = "error"                           # A
K_MESSAGE = "message"                       # A
K_FIELDS = "fields"                         # A: {field: reason} with validation_error


# -- errors (A: {"success": false, "error": code, "message": text}; 429/503 carry Retry-After) ------------------
@dataclass(frozen=True)
class ApiError:
    status: int
    code: str
    message: str


MISSING_PARAMETER = ApiError(400, "missing_parameter", "A required query parameter is missing.")
UNKNOWN_CLIENT = ApiError(400, "invalid_client", "This client_id is not known to Rulrr.")                 # D: 400
WRONG_SECRET = ApiError(403, "invalid_client_secret", "The client secret is wrong.")                     # D: 403
WRONG_INTEGRATION_TOKEN = ApiError(403, "invalid_integration_token", "The integration token is not valid.")  # D
INTEGRATION_NOT_FINISHED = ApiError(409, "integration_not_finished",
                                    "The merchant has not finished connecting yet.")
INTEGRATION_CANCELLED = ApiError(403, "integration_cancelled", "This integration was cancelled.")
TOKENS_ALREADY_ISSUED = ApiError(403, "tokens_already_issued",
                                 "The tokens of this integration were already issued.")
WRONG_REFRESH_TOKEN = ApiError(403, "invalid_refresh_token", "The refresh token is not valid or was revoked.")
ACCESS_TOKEN_MISSING = ApiError(403, "access_token_missing", "An access_token is required.")
ACCESS_TOKEN_INVALID = ApiError(403, "invalid_access_token", "The access token is not valid.")
ACCESS_TOKEN_EXPIRED = ApiError(403, "access_token_expired", "The access token has expired.")
ACCESS_TOKEN_REVOKED = ApiError(403, "access_token_revoked", "The access token was revoked.")
VALIDATION_ERROR = ApiError(400, "validation_error", "The request has invalid fields.")
ORDER_NOT_FOUND = ApiError(404, "order_not_found", "No order with this orderId was received for this store.")
INVALID_JSON = ApiError(400, "invalid_json", "The body is not valid JSON.")
NOT_AN_OBJECT = ApiError(400, "invalid_body", "The body must be a JSON object.")
UNSUPPORTED_MEDIA_TYPE = ApiError(415, "unsupported_media_type", "The Content-Type is not accepted here.")
UNSUPPORTED_ENCODING = ApiError(415, "unsupported_encoding", "The Content-Encoding is not accepted here.")
PAYLOAD_TOO_LARGE = ApiError(413, "payload_too_large", "The body is too large.")
INVALID_CSV = ApiError(400, "invalid_csv", "The customer list is not a valid CSV file.")
UPLOAD_NOT_FOUND = ApiError(404, "upload_not_found", "This upload URL is not known.")
UPLOAD_URL_USED = ApiError(410, "upload_url_used", "This upload URL was already used.")
UPLOAD_URL_EXPIRED = ApiError(410, "upload_url_expired", "This upload URL has expired.")
INVALID_CONTENT_LENGTH = ApiError(400, "invalid_content_length", "The Content-Length is not a number.")
INVALID_FORM = ApiError(400, "invalid_form", "The form data is not UTF-8.")
NOT_FOUND = ApiError(404, "not_found", "There is nothing at this path.")
METHOD_NOT_ALLOWED = ApiError(405, "method_not_allowed", "This method is not allowed here.")
INTERNAL_ERROR = ApiError(500, "internal_error", "Rulrr had an internal error.")
# answers of the /_sandbox hooks (not Rulrr's)
UNKNOWN_STORE = ApiError(404, "unknown_store", "There is no such store.")
INTEGRATION_SETTLED = ApiError(409, "integration_settled", "The integration is no longer pending.")
# answers of the fault injector, by status
FAULT_ERRORS = {
    429: ApiError(429, "rate_limited", "Too many requests: slow down."),
    500: ApiError(500, "internal_error", "Rulrr had an internal error."),
    502: ApiError(502, "bad_gateway", "Rulrr's gateway had an error."),
    503: ApiError(503, "service_unavailable", "Rulrr is temporarily unavailable."),
    504: ApiError(504, "gateway_timeout", "Rulrr's gateway timed out."),
}
RETRY_AFTER_STATUSES = (429, 503)
DEFAULT_RETRY_AFTER_S = 1.0


# -- the seeded world (CONTRACT.md) -----------------------------------------------------------------------------
@dataclass(frozen=True)
class SeedPartner:
    client_id: str
    client_secret: str
    name: str


@dataclass(frozen=True)
class SeedStore:
    store_id: str
    name: str
    currency: str
    country: str
    e_receipts: bool


@dataclass(frozen=True)
class SeedMerchant:
    email: str
    password: str
    name: str
    stores: tuple[SeedStore, ...]


SEED_PARTNERS = (SeedPartner("demo-pos", "demo-secret", "Demo POS"),)
SEED_MERCHANTS = (SeedMerchant("owner@example.com", "demo", "Demo Owner", (
    SeedStore("store-1", "Bridge Street Bakery", "USD", "US", True),
    SeedStore("store-2", "Harbour Cafe", "EUR", "IE", False),
)),)

# What the Connect page tells the merchant the partner will be allowed to do.
PARTNER_PERMISSIONS = (
    "Send the store's sales and refunds to Rulrr, one order at a time",
    "Upload the store's customer list (names, email addresses, phone numbers)",
    "Update the store's profile: name, address, phone number and currency",
    "Read whether e-receipts are turned on for the store",
)
