"""Removes secrets from anything that may be shown or written: URLs, log lines, exception texts.

The Rulrr API carries secrets in query strings (`access_token`, `client_secret`, ...), so every URL is a
potential leak. `redact()` is applied by the logging filter (see `core.logs`) and by the API client to every
URL and message it builds; `register_secret()` additionally masks known secret values wherever they appear.
Credentials written into a URL (`http://user:password@proxy:3128`, as a proxy setting may be) are masked too.
"""

from __future__ import annotations

import logging
import re
import threading

SECRET_PARAMS = ("client_secret", "access_token", "refresh_token", "integration_token",
                 "accessToken", "refreshToken", "integrationToken", "clientSecret")
MASK = "***"

_PARAM_RE = re.compile(
    r"(?P<key>(?:%s))(?P<sep>\"?\s*[=:]\s*\"?)(?P<value>[^&\s\"',;)}\]]+)" % "|".join(SECRET_PARAMS)
)
# the user:password@ part of a URL ("scheme://" + userinfo + "@"); the host and port stay readable
_USERINFO_RE = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^\s/?#\"']+@")
_known_values: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a secret value so that it is masked even where it appears without its parameter name."""
    if value and len(value) >= 6:
        with _lock:
            _known_values.add(value)


def forget_secret(value: str | None) -> None:
    """Stops masking a short-lived secret once it is dead (e.g. a used upload link), so the set stays small."""
    if value:
        with _lock:
            _known_values.discard(value)


def redact(text: object) -> str:
    """Returns `text` as a string with every secret parameter value and every registered secret masked."""
    s = str(text)
    s = _PARAM_RE.sub(lambda m: f"{m.group('key')}{m.group('sep')}{MASK}", s)
    if "@" in s:
        s = _USERINFO_RE.sub(lambda m: f"{m.group('scheme')}{MASK}@", s)
    if _known_values:
        with _lock:
            values = sorted(_known_values, key=len, reverse=True)
        for value in values:
            if value in s:
                s = s.replace(value, MASK)
    return s


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the final message (and drops args) of every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.exc_info = None
        return True
