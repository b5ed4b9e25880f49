"""Which values the API client treats as secret, and keeping them out of every log record and message.

The client registers each secret it holds or receives (client secret, tokens, pre-signed upload links) with
core.redact, in every form it takes in a URL, and forgets short-lived ones once they are dead so that the set
stays small in an app that runs for months. httpx's own request log line is redacted at its logger.
"""

from __future__ import annotations

import logging
import urllib.parse

import httpx

from rulrr_desktop.core.redact import RedactingFilter, register_secret
from rulrr_desktop.core.redact import forget_secret as redact_forget

__all__ = ["forget_secret", "guard_library_loggers", "link_parts", "remember_secret"]


def _forms(value: str) -> set[str]:
    """A value as it is and as it looks percent-encoded in a URL."""
    return {value, urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value, safe=""),
            str(httpx.QueryParams({"k": value}))[2:]}


def remember_secret(value: str | None) -> None:
    """Registers a secret for redaction in every form it may take in a URL."""
    if value:
        for form in _forms(value):
            register_secret(form)


def forget_secret(value: str | None) -> None:
    """Stops masking a dead short-lived secret (a used upload link) in all its forms."""
    if value:
        for form in _forms(value):
            redact_forget(form)


def guard_library_loggers() -> None:
    """Redacts the records httpx logs itself ("HTTP Request: GET <url with secrets>"), at the logger, so that
    no handler (a test's, a plugin's, one added without our filter) ever sees the raw URL."""
    for name in ("httpx",):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


def link_parts(url: httpx.URL) -> list[str]:
    """What of a pre-signed link is secret: the whole link, its query, and its long (token-like) path segments."""
    return [str(url), url.query.decode("ascii", "replace"), *(s for s in url.path.split("/") if len(s) >= 16)]
