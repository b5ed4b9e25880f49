"""How the sandbox answers: JSON success bodies and Rulrr's error bodies, and the exception that carries one.

Handlers and the state raise `ApiFailure(spec.SOME_ERROR, fields=…)`; the app turns it into
{"success": false, "error": code, "message": text[, "fields": {…}]} with the error's status.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from rulrr_desktop.sandbox import spec


class ApiFailure(Exception):
    """A request the sandbox refuses, answered with `error`'s status and body."""

    def __init__(self, error: spec.ApiError, message: str | None = None, *,
                 fields: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> None:
        self.error = error
        self.message = message or error.message
        self.fields = fields
        self.headers = headers
        super().__init__(f"{error.status} {error.code}: {self.message}")


class JsonResponse(Response):
    """A compact JSON response (no whitespace, UTF-8)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def ok(body: dict[str, Any] | None = None, status: int = 200) -> JsonResponse:
    return JsonResponse({spec.K_SUCCESS: True, **(body or {})}, status_code=status)


def error_body(error: spec.ApiError, message: str | None = None,
               fields: dict[str, str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {spec.K_SUCCESS: False, spec.K_ERROR: error.code, spec.K_MESSAGE: message or error.message}
    if fields:
        body[spec.K_FIELDS] = fields
    return body


def failure_response(failure: ApiFailure) -> JsonResponse:
    return JsonResponse(error_body(failure.error, failure.message, failure.fields),
                        status_code=failure.error.status, headers=failure.headers)
