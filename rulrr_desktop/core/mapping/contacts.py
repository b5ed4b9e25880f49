"""Customer contact fields → what Rulrr accepts: phones in E.164, sane emails, names split in two.

A bad phone or email drops that field only, never the order: `phone_e164` and `clean_email` return "" for what
they cannot read. Spreadsheet apostrophes (`'+573158173380`, `'90503`) are stripped first. Loyverse puts a
phone and/or an email in one free-text `Customer contacts` cell; `split_contacts` pulls both out.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

_EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_EMAIL_IN_TEXT = re.compile(r"[^\s,;:<>()\[\]\"]+@[^\s,;:<>()\[\]\"]+")


def strip_apostrophe(text: str) -> str:
    """`'90503` → `90503`: spreadsheets prefix a `'` to keep ids, zips and phones as text."""
    s = text.strip()
    return s[1:].strip() if s.startswith("'") else s


@lru_cache(maxsize=65536)
def phone_e164(text: str, region: str = "") -> str:
    """A phone as people write it → E.164 (`+12125550147`), using `region` (the store's country) for
    national numbers; "" when it is not a valid number."""
    s = strip_apostrophe(text)
    if not s or sum(c.isdigit() for c in s) < 5:
        return ""
    try:
        number = phonenumbers.parse(s, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_email(text: str) -> str:
    """A sane email address (one @, a dotted domain, no spaces) or ""."""
    s = strip_apostrophe(text).strip().strip("<>").strip()
    if len(s) > 254 or not _EMAIL_RE.match(s):
        return ""
    local, _, domain = s.rpartition("@")
    if ".." in s or local.startswith(".") or local.endswith("."):
        return ""
    return f"{local}@{domain.lower()}"


def split_contacts(text: str, region: str = "") -> tuple[str, str]:
    """Loyverse's free-text `Customer contacts` ("+1 212 555 0147, ann@example.com") → (phone E.164, email)."""
    s = strip_apostrophe(text)
    if not s:
        return "", ""
    email = ""
    found = _EMAIL_IN_TEXT.search(s)
    if found:
        email = clean_email(found.group(0))
        s = (s[:found.start()] + " " + s[found.end():]).strip()
    phone = ""
    for chunk in re.split(r"[,;/|]+", s):
        if sum(c.isdigit() for c in chunk) >= 5:
            phone = phone_e164(chunk.strip(), region)
            if phone:
                break
    if not phone:
        for match in phonenumbers.PhoneNumberMatcher(s, (region or "US").upper()):
            phone = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            break
    return phone, email


def split_name(text: str) -> tuple[str, str]:
    """"Ann Marie Okafor" → ("Ann Marie", "Okafor"); "Okafor, Ann" → ("Ann", "Okafor"); one word → first."""
    s = " ".join(text.split())
    if not s:
        return "", ""
    if "," in s:
        last, _, first = s.partition(",")
        return first.strip(), last.strip()
    first, _, last = s.rpartition(" ")
    return (first, last) if first else (last, "")
