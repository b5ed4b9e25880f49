"""One route per path with a handler per method, so that a wrong method gets 405 with the full Allow list."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Handler = Callable[[Request], Awaitable[Response]]


def route(path: str, **handlers: Handler) -> Route:
    """`route("/v1/orders", GET=get_order, POST=post_order)`; HEAD is answered like GET."""
    table = {method.upper(): handler for method, handler in handlers.items()}
    if "GET" in table:
        table.setdefault("HEAD", table["GET"])

    async def dispatch(request: Request) -> Any:
        return await table[request.method](request)

    dispatch.__name__ = path
    return Route(path, dispatch, methods=sorted(table))
