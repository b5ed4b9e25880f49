"""POS timestamps (local wall time, localised formats, zones written many ways) → aware UTC datetimes.

Exports write `2026-07-15` + `12:56:55` + `Eastern Time (US & Canada)`, `7/28/26 1:33 PM`, `01/10/2026 23:50`,
`2026-05-12 12:54:01 -0700`, `16-Dec-2023 02:44 AM EST`. One date format per source is sniffed from a sample
(day-first vs month-first is decided by values above 12; when nothing decides, the store's country does, and the
guess is flagged as ambiguous so the UI can ask) and can be overridden by `[source] date_format` (strptime codes).

DST, documented once: a wall time that happens twice (the autumn fold) is read as the FIRST occurrence (fold=0),
always; a wall time that never happened (the spring gap) is read with the offset in force before the gap, which
shifts it forward by the gap (02:30 on the spring-forward night in New York → 03:30 EDT = 07:30 UTC).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rulrr_desktop.core.mapping.zones import ABBREVIATIONS, RAILS_ZONES, WINDOWS_ZONES

UTC = timezone.utc
_combine = datetime.combine
_from_iso = datetime.fromisoformat
_CACHE_LIMIT = 200_000
_OFFSET_RE = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?$")
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_MONTH_FIRST_COUNTRIES = {"US", "PH", "CA", "BZ", "FM", "MH", "PW", "GU", "PR", "AS", "VI", "MP", "UM"}
_NAMED_ZONES = {k.lower(): v for k, v in {**WINDOWS_ZONES, **RAILS_ZONES}.items()}


class TimeError(ValueError):
    """A date, time or zone that cannot be read (the message says what, in plain words)."""


@lru_cache(maxsize=1024)
def resolve_zone(text: str) -> tzinfo:
    """An IANA name, a Rails/Windows name, an abbreviation (`EST` = -05:00 fixed) or an offset (`-0700`,
    `+05:30`, `UTC+2`) → a tzinfo. Raises TimeError for anything else (an empty text included)."""
    s = text.strip()
    if not s:
        raise TimeError("no time zone was given")
    upper = s.upper()
    if upper in ABBREVIATIONS:
        minutes = ABBREVIATIONS[upper]
        return UTC if minutes == 0 else timezone(timedelta(minutes=minutes), upper)
    m = _OFFSET_RE.match(upper)
    if m:
        sign, hours, mins = m.group(1), int(m.group(2)), int(m.group(3) or 0)
        if hours > 14 or mins > 59:
            raise TimeError(f"the time zone offset {s!r} is out of range")
        delta = timedelta(hours=hours, minutes=mins)
        return timezone(-delta if sign == "-" else delta) if delta else UTC
    name = _NAMED_ZONES.get(s.lower(), s)
    if "/" in name or name in ("UTC", "Etc/UTC"):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise TimeError(f"the time zone {s!r} is not known")


def to_utc(wall: datetime, zone: tzinfo) -> datetime:
    """A naive local wall time in `zone` → aware UTC (fold=0: first occurrence; gaps shift forward)."""
    if wall.tzinfo is not None:
        return wall.astimezone(UTC)
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _is_zone_token(token: str) -> bool:
    if token in ("AM", "PM", "am", "pm", "a.m.", "p.m."):
        return False
    if token[0] in "+-" and len(token) >= 3 and token[1:].replace(":", "").isdigit():
        return True
    return token.isalpha() and token.isupper() and 1 <= len(token) <= 5 or token.upper().startswith(("UTC", "GMT"))


def split_zone(text: str) -> tuple[str, str]:
    """`"16-Dec-2023 02:44 AM EST"` → (`"16-Dec-2023 02:44 AM"`, `"EST"`); ISO `…T12:00:00Z` / `…+02:00` too."""
    s = text.strip()
    head, sep, last = s.rpartition(" ")
    if sep and last and _is_zone_token(last):
        return head.rstrip(), last
    if "T" in s[8:11] and len(s) > 11:  # ISO 8601 with the zone glued on
        if s.endswith("Z"):
            return s[:-1], "UTC"
        tail = s[11:]
        for i in range(len(tail) - 1, 0, -1):
            if tail[i] in "+-":
                return s[:11 + i], tail[i:]
    return s, ""


@dataclass(frozen=True)
class DateOrder:
    """How a source writes dates: `order` is "ymd", "mdy" or "dmy"; `ambiguous` when no sample decided it."""

    order: str = "ymd"
    ambiguous: bool = False

    @property
    def label(self) -> str:
        return {"ymd": "YYYY-MM-DD", "mdy": "M/D/YYYY (month first)", "dmy": "D/M/YYYY (day first)"}[self.order]


def _date_token(text: str) -> str:
    s = text.strip()
    if "T" in s[8:11]:
        return s[:s.index("T", 8)]
    # "Dec 16, 2023 ..." keeps its three words as the date
    parts = s.split()
    if parts and parts[0][:3].lower() in _MONTHS and parts[0].isalpha() and len(parts) >= 3:
        return " ".join(parts[:3])
    return parts[0] if parts else ""


def _numbers(token: str) -> list[str]:
    return [p for p in re.split(r"[/.\-\s,]+", token) if p]


def sniff_date_order(samples: list[str], country: str = "") -> DateOrder:
    """Decides day-first vs month-first from sample date texts (values above 12 decide; else the country)."""
    month_first = day_first = False
    for sample in samples:
        parts = _numbers(_date_token(sample))
        if len(parts) < 3:
            continue
        if len(parts[0]) == 4 and parts[0].isdigit():
            return DateOrder("ymd")
        if not (parts[0].isdigit() and parts[1].isdigit()):
            return DateOrder("dmy" if parts[0].isdigit() else "mdy")  # "16-Dec-2023" / "Dec 16, 2023"
        a, b = int(parts[0]), int(parts[1])
        if a > 12:
            day_first = True
        if b > 12:
            month_first = True
    if day_first and not month_first:
        return DateOrder("dmy")
    if month_first and not day_first:
        return DateOrder("mdy")
    default = "mdy" if country.upper() in _MONTH_FIRST_COUNTRIES or not country else "dmy"
    return DateOrder(default, ambiguous=not samples or (day_first == month_first))


def _year(text: str) -> int:
    y = int(text)
    if len(text) <= 2:
        y += 2000 if y < 70 else 1900
    return y


def _month(text: str) -> int:
    if text.isdigit():
        return int(text)
    m = _MONTHS.get(text[:3].lower())
    if m is None:
        raise TimeError(f"{text!r} is not a month")
    return m


def parse_time_of_day(text: str) -> time:
    """`13:33`, `13:33:05`, `13:33:05.250`, `1:33 PM`, `01:33:05 am` → a time."""
    if len(text) == 8 and text[2] == ":" and text[5] == ":":  # the common "HH:MM:SS"
        try:
            return time(int(text[:2]), int(text[3:5]), int(text[6:]))
        except ValueError:
            pass
    s = text.strip()
    if not s:
        return time(0)
    suffix = ""
    low = s.lower()
    for mark in ("am", "pm", "a.m.", "p.m."):
        if low.endswith(mark):
            suffix, s = mark[0], s[: -len(mark)].strip()
            break
    parts = s.split(":")
    try:
        hour = int(parts[0])
        minute = int(parts[1]) if len(parts) > 1 else 0
        sec_text = parts[2] if len(parts) > 2 else "0"
        micro = 0
        if "." in sec_text:
            sec_text, frac = sec_text.split(".", 1)
            micro = int((frac + "000000")[:6])
        second = int(sec_text)
        if len(parts) > 3:
            raise ValueError
        if suffix:
            if not 1 <= hour <= 12:
                raise ValueError
            hour = hour % 12 + (12 if suffix == "p" else 0)
        return time(hour, minute, second, micro)
    except ValueError:
        raise TimeError(f"{text.strip()!r} is not a time of day") from None


class DateTimeParser:
    """Reads one source's timestamps, fast: results are cached per text (POS data repeats dates a lot), ISO
    dates take a slicing fast path, and strptime is only used for an explicit `date_format`."""

    def __init__(self, order: DateOrder | None = None, *, date_format: str = "", default_zone: tzinfo = UTC):
        self.order = order or DateOrder("ymd")
        self.date_format = date_format
        self.default_zone = default_zone
        self._dates: dict[str, date] = {}
        self._times: dict[str, time] = {}
        self._full: dict[tuple[str, str], datetime] = {}
        self._days: dict[tuple[str, str], tuple[date, timedelta | None, tzinfo]] = {}

    # -- dates -------------------------------------------------------------------------------------------------
    def parse_date(self, text: str) -> date:
        value = self._dates.get(text)
        if value is not None:
            return value
        value = self._parse_date(text.strip())
        if len(self._dates) >= _CACHE_LIMIT:
            self._dates.clear()
        self._dates[text] = value
        return value

    def _parse_date(self, s: str) -> date:
        if not s:
            raise TimeError("the date is empty")
        try:
            if len(s) == 10 and s[4] == "-" and s[7] == "-":
                return date(int(s[:4]), int(s[5:7]), int(s[8:10]))
            parts = _numbers(s)
            if len(parts) != 3:
                raise ValueError
            if len(parts[0]) == 4:
                y, m, d = parts
            elif not parts[0].isdigit():
                m, d, y = parts
            elif not parts[1].isdigit():
                d, m, y = parts
            elif self.order.order == "dmy":
                d, m, y = parts
            elif self.order.order == "mdy":
                m, d, y = parts
            else:
                y, m, d = parts
            return date(_year(y), _month(m), int(d))
        except (ValueError, TimeError):
            raise TimeError(f"{s!r} is not a date in the format {self.order.label}") from None

    def parse_time(self, text: str) -> time:
        value = self._times.get(text)  # a miss is common (times are unique): no KeyError on the hot path
        if value is not None:
            return value
        value = parse_time_of_day(text)
        if len(self._times) >= _CACHE_LIMIT:
            self._times.clear()
        self._times[text] = value
        return value

    # -- whole timestamps --------------------------------------------------------------------------------------
    def local(self, text: str) -> tuple[datetime, str]:
        """`text` → (naive wall time, zone text found in it or "")."""
        body, zone_text = split_zone(text)
        if self.date_format:
            try:
                wall = datetime.strptime(body, self.date_format)
            except ValueError:
                raise TimeError(f"{body!r} does not match the date format {self.date_format!r}") from None
            return wall.replace(tzinfo=None), zone_text
        token = _date_token(body)
        rest = body[len(token):].lstrip("T ").strip() if body.startswith(token) else body.split(None, 1)[-1]
        return datetime.combine(self.parse_date(token), self.parse_time(rest)), zone_text

    def utc(self, text: str, zone_text: str = "") -> datetime:
        """A timestamp text (with or without its own zone) → aware UTC. `zone_text` comes from a separate zone
        column; a zone inside the text wins; neither → the default (store) zone."""
        key = (text, zone_text)
        value = self._full.get(key)
        if value is not None:
            return value
        wall, own_zone = self.local(text)
        zone = resolve_zone(own_zone or zone_text) if (own_zone or zone_text.strip()) else self.default_zone
        value = to_utc(wall, zone)
        if len(self._full) >= _CACHE_LIMIT:
            self._full.clear()
        self._full[key] = value
        return value

    def utc_parts(self, date_text: str, time_text: str, zone_text: str = "") -> datetime:
        """Separate Date / Time / Time Zone columns (Square) → aware UTC.

        The hot path of line-item exports: the zone's offset is looked up once per (date, zone) when no DST
        transition happens that day; transition days take the exact path (fold=0, gaps shift forward)."""
        day = self._days.get((date_text, zone_text))
        if day is None:
            day = self._day(date_text, zone_text)
        d, offset, zone, iso_day = day
        if offset is not None:  # no DST change that day: one fixed offset
            if len(time_text) == 8 and time_text[2] == ":" and time_text[5] == ":":
                # the common "HH:MM:SS" (times rarely repeat: no cache), read in C; anything it refuses
                # (" 1:00:00", "24:00:00") takes parse_time below
                try:
                    return _from_iso(iso_day + time_text + "+00:00") - offset
                except ValueError:
                    pass
            return _combine(d, self._times.get(time_text) or self.parse_time(time_text), UTC) - offset
        t = self._times.get(time_text) or self.parse_time(time_text)
        return _combine(d, t, zone).replace(fold=0).astimezone(UTC)

    def _day(self, date_text: str, zone_text: str) -> tuple[date, timedelta | None, tzinfo, str]:
        d = self.parse_date(date_text)
        zone = resolve_zone(zone_text) if zone_text and zone_text.strip() else self.default_zone
        start = datetime(d.year, d.month, d.day, tzinfo=zone).utcoffset()
        end = datetime(d.year, d.month, d.day, 23, 59, 59, 999999, tzinfo=zone).utcoffset()
        offset = start if start == end else None
        if len(self._days) >= _CACHE_LIMIT:
            self._days.clear()
        value = self._days[(date_text, zone_text)] = (d, offset, zone, f"{d.isoformat()}T")
        return value
