"""The sandbox as one ASGI application: the Rulrr API, the customer-list upload URLs, the Connect page and the
/_sandbox hooks over one SandboxState, behind the fault injector.

Every answer that is not a page is Rulrr's JSON: unknown paths 404, wrong methods 405 (with Allow), and even an
unexpected exception 500 `internal_error`, so a client never has to parse a stack trace.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from rulrr_desktop.sandbox import spec
from rulrr_desktop.sandbox.api import RulrrApi
from rulrr_desktop.sandbox.connect_page import ConnectPage
from rulrr_desktop.sandbox.faults import FaultInjector
from rulrr_desktop.sandbox.hooks import SandboxHooks
from rulrr_desktop.sandbox.responses import ApiFailure, JsonResponse, error_body, failure_response, ok
from rulrr_desktop.sandbox.routing import route
from rulrr_desktop.sandbox.state import SandboxState

log = logging.getLogger(__name__)


async def _on_failure(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiFailure)
    return failure_response(exc)


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        error = spec.NOT_FOUND
    elif exc.status_code == 405:
        error = spec.METHOD_NOT_ALLOWED
    else:
        error = spec.ApiError(exc.status_code, "bad_request", str(exc.detail))
    return JsonResponse(error_body(error), status_code=exc.status_code, headers=exc.headers)


async def _on_crash(request: Request, exc: Exception) -> Response:
    log.error("sandbox bug while answering %s %s", request.method, request.url.path, exc_info=exc)
    return JsonResponse(error_body(spec.INTERNAL_ERROR), status_code=500)


async def _index(request: Request) -> JsonResponse:
    return ok({"name": "Rulrr sandbox", "api": "/v1", "connect": spec.CONNECT_PATH, "hooks": "/_sandbox/state"})


class SandboxApp:
    """The ASGI app. `faults` is the injector that /_sandbox/faults configures; `state` is the world."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        routes = [route("/", GET=_index),
                  *RulrrApi(state).routes(), *ConnectPage(state).routes()]
        self.starlette = Starlette(routes=routes, exception_handlers={
            ApiFailure: _on_failure, HTTPException: _on_http_exception, Exception: _on_crash})
        self.faults = FaultInjector(self.starlette)
        self.starlette.router.routes.extend(SandboxHooks(state, self.faults).routes())

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        await self.faults(scope, receive, send)


def create_app(state_file: str | None = None) -> SandboxApp:
    return SandboxApp(SandboxState(state_file))
