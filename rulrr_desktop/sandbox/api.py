"""The Rulrr API as the sandbox serves it: the connect flow under /v1/auth and the data endpoints.

Handlers are thin: they read the query and body, let `validation` judge the content and `state` keep it, and
answer with spec's bodies. Every refusal is an ApiFailure that the app turns into Rulrr's error body.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from rulrr_desktop.sandbox import spec
from rulrr_desktop.sandbox.bodies import gunzip, media_type, read_body, read_json_object
from rulrr_desktop.sandbox.responses import ApiFailure, JsonResponse, ok
from rulrr_desktop.sandbox.routing import route
from rulrr_desktop.sandbox.state import SandboxState, iso
from rulrr_desktop.sandbox.validation import CsvRejected, parse_customers_csv, validate_order, validate_store


def _param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    return value if value else None


def _require(request: Request, name: str) -> str:
    value = _param(request, name)
    if value is None:
        raise ApiFailure(spec.MISSING_PARAMETER, fields={name: "is required"})
    return value


class RulrrApi:
    """The /v1 endpoints and the customer-list upload URL, over one SandboxState."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        return [
            route(spec.INTEGRATION_PATH, POST=self.create_integration, GET=self.integration_status),
            route(spec.TOKEN_PATH, POST=self.token),
            route(spec.STORES_PATH, PUT=self.put_store, GET=self.get_store),
            route(spec.CUSTOMERS_PATH, GET=self.customers_upload_url),
            route(spec.ORDERS_PATH, POST=self.post_order, GET=self.get_order),
            route(spec.UPLOAD_PATH_PREFIX + "{upload_id}", PUT=self.upload_customers),
        ]

    # -- the connect flow ---------------------------------------------------------------------------------------
    def _partner(self, request: Request) -> dict[str, str]:
        return self.state.partner(_param(request, spec.Q_CLIENT_ID), _param(request, spec.Q_CLIENT_SECRET))

    async def create_integration(self, request: Request) -> JsonResponse:
        partner = self._partner(request)
        return ok({spec.K_INTEGRATION_TOKEN: self.state.create_integration(partner["client_id"])})

    async def integration_status(self, request: Request) -> JsonResponse:
        partner = self._partner(request)
        integ = self.state.integration(_require(request, spec.Q_INTEGRATION_TOKEN), partner["client_id"])
        if integ is None:
            raise ApiFailure(spec.WRONG_INTEGRATION_TOKEN)
        body: dict[str, Any] = {spec.K_STATUS: integ["status"]}
        if integ["reason"]:
            body[spec.K_REASON] = integ["reason"]
        return ok(body)

    async def token(self, request: Request) -> JsonResponse:
        partner = self._partner(request)
        refresh_token = _param(request, spec.Q_REFRESH_TOKEN)
        if refresh_token is not None:
            return ok(self.state.refresh(partner["client_id"], refresh_token))
        integration_token = _require(request, spec.Q_INTEGRATION_TOKEN)
        return ok(self.state.exchange(partner["client_id"], integration_token))

    # -- data endpoints (?access_token=) ------------------------------------------------------------------------
    def _store_id(self, request: Request) -> str:
        return self.state.store_for_access_token(_param(request, spec.Q_ACCESS_TOKEN))

    async def put_store(self, request: Request) -> JsonResponse:
        store_id = self._store_id(request)
        body, _ = await read_json_object(request)
        errors = validate_store(body)
        if errors:
            raise ApiFailure(spec.VALIDATION_ERROR, fields=errors)
        self.state.put_store(store_id, body)
        return ok({spec.K_STORE: self.state.api_store(store_id)})

    async def get_store(self, request: Request) -> JsonResponse:
        return ok({spec.K_STORE: self.state.api_store(self._store_id(request))})

    async def customers_upload_url(self, request: Request) -> JsonResponse:
        upload_id, expires_at = self.state.create_upload(self._store_id(request))
        url = str(request.base_url).rstrip("/") + spec.UPLOAD_PATH_PREFIX + upload_id
        return ok({spec.K_UPLOAD_URL: url, spec.K_EXPIRES_AT: iso(expires_at)})

    async def post_order(self, request: Request) -> JsonResponse:
        store_id = self._store_id(request)
        body, text = await read_json_object(request)
        errors = validate_order(body)
        if errors:
            raise ApiFailure(spec.VALIDATION_ERROR, fields=errors)
        order_id = body[spec.K_ORDER_ID]
        if self.state.add_order(store_id, order_id, text):
            return ok({spec.K_ORDER_ID: order_id, spec.K_DUPLICATE: True})
        return ok({spec.K_ORDER_ID: order_id})

    async def get_order(self, request: Request) -> JsonResponse:
        store_id = self._store_id(request)
        order = self.state.order(store_id, _require(request, spec.Q_ORDER_ID))
        if order is None:
            raise ApiFailure(spec.ORDER_NOT_FOUND)
        return ok({spec.K_ORDER: order})

    # -- the pre-signed customer-list upload URL ----------------------------------------------------------------
    async def upload_customers(self, request: Request) -> JsonResponse:
        upload_id = request.path_params["upload_id"]
        store_id = self.state.upload_store(upload_id)
        if media_type(request) != spec.CSV_MEDIA_TYPE:
            raise ApiFailure(spec.UNSUPPORTED_MEDIA_TYPE, "The customer list must be sent as text/csv.")
        encoding = request.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in spec.CSV_CONTENT_ENCODINGS:
            raise ApiFailure(spec.UNSUPPORTED_ENCODING, "The customer list may only be gzip-compressed.")
        raw = await read_body(request, spec.UPLOAD_MAX_BYTES)
        if encoding == "gzip":
            raw = gunzip(raw, spec.UPLOAD_MAX_BYTES)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ApiFailure(spec.INVALID_CSV, f"The customer list is not UTF-8 (byte {exc.start}).") from None
        try:
            customers = parse_customers_csv(text)
        except CsvRejected as exc:
            raise ApiFailure(spec.INVALID_CSV, f"The customer list was refused: {exc}.",
                             fields=exc.fields or None) from None
        self.state.replace_customers(upload_id, store_id, customers)
        return ok({spec.K_RECEIVED: len(customers)})
