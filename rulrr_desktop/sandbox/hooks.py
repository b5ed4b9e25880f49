"""The /_sandbox/ test hooks of CONTRACT.md: look at the sandbox's world, act as the merchant without a
browser, move the clock, revoke, inject faults, reset. They exist only in the sandbox, never in Rulrr.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from starlette.requests import Request
from starlette.routing import Route

from rulrr_desktop.sandbox import spec
from rulrr_desktop.sandbox.bodies import read_body
from rulrr_desktop.sandbox.faults import FaultInjector, FaultSpec
from rulrr_desktop.sandbox.responses import ApiFailure, JsonResponse, ok
from rulrr_desktop.sandbox.routing import route
from rulrr_desktop.sandbox.state import SandboxState, iso

PREFIX = "/_sandbox"


async def _json_or_empty(request: Request) -> Any:
    """The hook's JSON body; an empty body reads as {} (hooks are called by hand with curl too)."""
    raw = await read_body(request, spec.JSON_MAX_BYTES)
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise ApiFailure(spec.INVALID_JSON) from None


class SandboxHooks:
    def __init__(self, state: SandboxState, faults: FaultInjector, on_reset: Callable[[], None] | None = None) -> None:
        self.state = state
        self.faults = faults
        self.on_reset = on_reset

    def routes(self) -> list[Route]:
        return [
            route(f"{PREFIX}/state", GET=self.get_state),
            route(f"{PREFIX}/integrations/{{token}}/finish", POST=self.finish),
            route(f"{PREFIX}/integrations/{{token}}/cancel", POST=self.cancel),
            route(f"{PREFIX}/orders", GET=self.orders),
            route(f"{PREFIX}/customers", GET=self.customers),
            route(f"{PREFIX}/stores", GET=self.stores),
            route(f"{PREFIX}/stores/{{store_id}}", POST=self.update_store),
            route(f"{PREFIX}/faults", GET=self.get_faults, POST=self.set_faults, DELETE=self.clear_faults),
            route(f"{PREFIX}/clock", GET=self.get_clock, POST=self.advance_clock),
            route(f"{PREFIX}/revoke", POST=self.revoke),
            route(f"{PREFIX}/reset", POST=self.reset),
        ]

    def _store_param(self, request: Request, required: bool = True) -> str | None:
        store_id = request.query_params.get("store_id")
        if not store_id:
            if required:
                raise ApiFailure(spec.MISSING_PARAMETER, fields={"store_id": "is required"})
            return None
        self.state.store_view(store_id)  # 404 for an unknown store
        return store_id

    async def get_state(self, request: Request) -> JsonResponse:
        return JsonResponse({**self.state.snapshot(), "faults": self._faults_view()})

    async def finish(self, request: Request) -> JsonResponse:
        store_id = request.query_params.get("store_id") or spec.SEED_MERCHANTS[0].stores[0].store_id
        integ = self.state.finish_integration(request.path_params["token"], store_id)
        return ok({"integration": _integration_view(integ)})

    async def cancel(self, request: Request) -> JsonResponse:
        integ = self.state.cancel_integration(request.path_params["token"])
        return ok({"integration": _integration_view(integ)})

    async def orders(self, request: Request) -> JsonResponse:
        limit = request.query_params.get("limit")
        if limit is not None and not limit.isdigit():
            raise ApiFailure(spec.VALIDATION_ERROR, fields={"limit": "must be a whole number"})
        return JsonResponse(self.state.orders(self._store_param(request, required=False),
                                              int(limit) if limit is not None else None))

    async def customers(self, request: Request) -> JsonResponse:
        return JsonResponse(self.state.customers(self._store_param(request)))  # type: ignore[arg-type]

    async def stores(self, request: Request) -> JsonResponse:
        snapshot = self.state.snapshot()
        return JsonResponse({"stores": snapshot["stores"]})

    async def update_store(self, request: Request) -> JsonResponse:
        """Sets what the merchant controls in Rulrr, e.g. {"eReceiptsEnabled": false}."""
        store_id = request.path_params["store_id"]
        body = await _json_or_empty(request)
        enabled = body.get(spec.E_RECEIPTS_KEY) if isinstance(body, dict) else None
        if not isinstance(enabled, bool):
            raise ApiFailure(spec.VALIDATION_ERROR, fields={spec.E_RECEIPTS_KEY: "must be true or false"})
        self.state.set_e_receipts(store_id, enabled)
        return ok({"store": self.state.store_view(store_id)})

    def _faults_view(self) -> dict[str, Any] | None:
        if self.faults.spec is None:
            return None
        return {**self.faults.spec.to_json(), "injected": dict(self.faults.injected)}

    async def get_faults(self, request: Request) -> JsonResponse:
        return ok({"faults": self._faults_view()})

    async def set_faults(self, request: Request) -> JsonResponse:
        self.faults.set(FaultSpec.parse(await _json_or_empty(request)))
        return ok({"faults": self._faults_view()})

    async def clear_faults(self, request: Request) -> JsonResponse:
        self.faults.set(None)
        return ok({"faults": None})

    async def get_clock(self, request: Request) -> JsonResponse:
        return ok({"now": iso(self.state.now()), "offsetSeconds": self.state.clock_offset})

    async def advance_clock(self, request: Request) -> JsonResponse:
        body = await _json_or_empty(request)
        seconds = body.get("advance_seconds") if isinstance(body, dict) else None
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise ApiFailure(spec.VALIDATION_ERROR, fields={"advance_seconds": "must be a number of seconds"})
        now = self.state.advance_clock(float(seconds))
        return ok({"now": iso(now), "offsetSeconds": self.state.clock_offset})

    async def revoke(self, request: Request) -> JsonResponse:
        store_id = self._store_param(request)
        return ok({"revoked": self.state.revoke(store_id)})  # type: ignore[arg-type]

    async def reset(self, request: Request) -> JsonResponse:
        self.state.reset()
        self.faults.set(None)
        if self.on_reset:
            self.on_reset()
        return ok({"now": iso(self.state.now())})


def _integration_view(integ: dict[str, Any]) -> dict[str, Any]:
    return {"token": integ["token"], "status": integ["status"], "reason": integ["reason"],
            "store_id": integ["store_id"]}
