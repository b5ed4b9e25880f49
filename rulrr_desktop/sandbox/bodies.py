"""Reading request bodies defensively: a size cap, the content type, the encoding, JSON that is an object.

Whatever a client sends (a 50 MB body, XML, broken JSON, gzip that is not gzip), the answer is a clear 4xx
from spec, never a 500 or a hang.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from starlette.requests import Request

from rulrr_desktop.sandbox import spec
from rulrr_desktop.sandbox.responses import ApiFailure


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The raw body, refused with 413 as soon as it passes `max_bytes` (by Content-Length or while reading)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ApiFailure(spec.INVALID_CONTENT_LENGTH)
        if int(declared) > max_bytes:
            raise ApiFailure(spec.PAYLOAD_TOO_LARGE, f"The body is larger than {max_bytes} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise ApiFailure(spec.PAYLOAD_TOO_LARGE, f"The body is larger than {max_bytes} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json_object(request: Request) -> tuple[dict[str, Any], str]:
    """The body as a JSON object (and its text), or ApiFailure 415/413/400."""
    if media_type(request) != "application/json":
        raise ApiFailure(spec.UNSUPPORTED_MEDIA_TYPE, "The body must be JSON (Content-Type: application/json).")
    raw = await read_body(request, spec.JSON_MAX_BYTES)
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiFailure(spec.INVALID_JSON, f"The body is not valid UTF-8 JSON ({str(exc)[:100]}).") from None
    if not isinstance(data, dict):
        raise ApiFailure(spec.NOT_AN_OBJECT)
    return data, text


def gunzip(data: bytes, max_bytes: int) -> bytes:
    """Decompresses a gzip body, refusing it with 413 when it inflates past `max_bytes` (a gzip bomb)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, max_bytes + 1)
        if len(out) > max_bytes:
            raise ApiFailure(spec.PAYLOAD_TOO_LARGE, f"The uncompressed body is larger than {max_bytes} bytes.")
        if not inflater.eof:
            raise ApiFailure(spec.INVALID_CSV, "The gzip data is truncated.")
    except zlib.error as exc:
        raise ApiFailure(spec.INVALID_CSV, f"The body is not valid gzip ({exc}).") from None
    return out
