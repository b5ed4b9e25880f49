"""The "Export diagnostics" zip: logs, config and status, safe to e-mail to support.

Support needs to see what the app did; it must not receive a secret (client secret, tokens) nor a customer's
contact details (emails, phone numbers, names) that an order or a quarantine reason may have put in a log.
Everything that goes into the zip passes through `scrub()` first. Qt-free: the window calls it from a worker.
"""

from __future__ import annotations

import json
import platform
import re
import sys
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from rulrr_desktop import __version__
from rulrr_desktop.core.config import AppPaths
from rulrr_desktop.core.redact import MASK, redact

EMAIL_MASK = "<email>"
PHONE_MASK = "<phone>"
NAME_MASK = "<name>"

_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# a phone: optional +, then 7-15 digits with the usual separators; not a date, a time, an amount or an id
_PHONE_RE = re.compile(r"(?<![\w.:/-])(?:\+|00)?\(?\d{1,4}\)?(?:[ .-]?\(?\d{2,4}\)?){2,5}(?![\w.:/-])")
# a name given as a field: firstName=..., "lastName": "...", Customer Name: ...
_NAME_FIELD_RE = re.compile(
    r"(?P<key>\b(?:first[_ ]?name|last[_ ]?name|full[_ ]?name|customer[_ ]?name|billing[_ ]?name|"
    r"shipping[_ ]?name|cashier[_ ]?name|name)\b)(?P<sep>\"?'?\s*[=:]\s*\"?'?)(?P<value>[^\s\"',;}\]&=:]+(?: (?-i:[A-Z])[^\s\"',;}\]&=:]*){0,2})",
    re.IGNORECASE)
_CONTACT_FIELD_RE = re.compile(
    r"(?P<key>\b(?:email|e-mail|phone[_ ]?number|phone|customer[_ ]?contacts)\b)(?P<sep>\"?'?\s*[=:]\s*\"?'?)"
    r"(?P<value>\+?[\d()][\d() .-]{5,}\d|[^\s\"',;}\]&]+)", re.IGNORECASE)
_SECRET_KEY_RE = re.compile(r"secret|token|password|passwd|api[_-]?key", re.IGNORECASE)
# names of things that are not people: keep them
_KEEP_NAME_KEYS = {"name"}


def _looks_like_phone(text: str) -> bool:
    digits = sum(c.isdigit() for c in text)
    if not 7 <= digits <= 15:
        return False
    # dates/times (2026-06-28, 14:03:00) and decimals are not phones
    return not re.fullmatch(r"\d{4}-\d{2}-\d{2}.*|\d+\.\d+", text.strip())


def scrub(text: str, extra: Iterable[str] = ()) -> str:
    """Masks secrets (via core.redact), e-mail addresses, phone numbers, person names given as fields, and
    any `extra` value (e.g. the customer names the ledger knows)."""
    text = redact(text)
    for value in sorted({v for v in extra if v and len(v) >= 3}, key=len, reverse=True):
        text = re.sub(re.escape(value), NAME_MASK, text, flags=re.IGNORECASE)
    text = _EMAIL_RE.sub(EMAIL_MASK, text)

    def contact_sub(m: re.Match) -> str:
        value = m.group("value")
        mask = EMAIL_MASK if "@" in value or value == EMAIL_MASK else PHONE_MASK
        return f"{m.group('key')}{m.group('sep')}{mask}"
    text = _CONTACT_FIELD_RE.sub(contact_sub, text)

    def name_sub(m: re.Match) -> str:
        key = m.group("key").lower().replace(" ", "").replace("_", "")
        if key in _KEEP_NAME_KEYS:
            value = m.group("value").strip()
            # a bare "name=" is a person only when it looks like one: two capitalised words
            if not re.fullmatch(r"[A-Z][a-z'’-]+(?: [A-Z][a-z'’-]+)+", value):
                return m.group(0)
        return f"{m.group('key')}{m.group('sep')}{NAME_MASK}"
    text = _NAME_FIELD_RE.sub(name_sub, text)
    text = _PHONE_RE.sub(lambda m: PHONE_MASK if _looks_like_phone(m.group(0)) else m.group(0), text)
    return text


def scrub_settings(data: Any) -> Any:
    """A config dict with every secret-looking key masked and every string scrubbed."""
    if isinstance(data, dict):
        return {k: (MASK if _SECRET_KEY_RE.search(str(k)) and v else scrub_settings(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [scrub_settings(v) for v in data]
    if isinstance(data, str):
        return scrub(data)
    return data


def _jsonable(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return {k: _jsonable(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def export_diagnostics(paths: AppPaths, target: Path, *, status: Any = None,
                       extra_sensitive: Iterable[str] = (), max_log_bytes: int = 5_000_000) -> Path:
    """Writes the zip to `target` and returns it: README, about.json, config.toml (scrubbed), status.json and
    the newest logs (scrubbed, the last `max_log_bytes` of each)."""
    extra = list(extra_sensitive)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("README.txt",
                    "Rulrr Desktop diagnostics. Secrets and customer contact details (e-mails, phone numbers,\n"
                    "names) were replaced by ***, <email>, <phone> and <name> before this file was written.\n")
        zf.writestr("about.json", json.dumps({
            "app_version": __version__, "python": sys.version.split()[0], "platform": platform.platform(),
            "profile": paths.profile, "created": datetime.now(timezone.utc).isoformat(),
            "keyring_backend": _keyring_backend(),
        }, indent=2))
        if paths.config_file.exists():
            try:
                import tomllib

                import tomli_w
                data = tomllib.loads(paths.config_file.read_text(encoding="utf-8"))
                zf.writestr("config.toml", tomli_w.dumps(scrub_settings(data)))
            except Exception as exc:  # a broken config is itself worth reporting
                zf.writestr("config.toml.txt", scrub(f"config.toml could not be read: {exc}\n"
                                                     + paths.config_file.read_text("utf-8", "replace"), extra))
        if status is not None:
            zf.writestr("status.json", scrub(json.dumps(_jsonable(status), indent=2, ensure_ascii=False), extra))
        if paths.log_dir.exists():
            for log in sorted(paths.log_dir.glob("*.log*")):
                raw = log.read_bytes()[-max_log_bytes:]
                zf.writestr(f"logs/{log.name}", scrub(raw.decode("utf-8", "replace"), extra))
    tmp.replace(target)
    return target


def _keyring_backend() -> str:
    try:
        import keyring
        return type(keyring.get_keyring()).__module__ + "." + type(keyring.get_keyring()).__name__
    except Exception as exc:
        return f"unavailable ({type(exc).__name__})"
