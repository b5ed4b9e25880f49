"""Money as POS exports write it → an int of minor units, exactly, with no float anywhere.

Exports write money as `$4.00`, `"$1,149.00 "`, `($33.62)`, `-$12.00`, plain `12.5`, or a REAL column rendered as
text (`12.299999999`). Rulrr wants minor units, so every amount goes through `Decimal` and is rounded half-even at
the currency's ISO 4217 exponent (JPY 0, KWD 3, most 2). Decimal commas (`1.149,00`) are read only when the
source's locale says so (`decimal_comma=True`), never guessed.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

# ISO 4217 minor-unit exponents that are not 2 (every other currency code has 2).
_EXPONENT_NOT_2 = {
    # 0 decimals
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0,
    "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    # 3 decimals
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    # 4 decimals
    "CLF": 4, "UYW": 4,
}
_SYMBOLS = "$€£¥₩₹₽₺₪₫฿₱₦₴₡₲₵"
_MINUS_SIGNS = ("-", "\u2212", "\u2013")
_CACHE_LIMIT = 200_000
_GROUPED = re.compile(r"^\d{1,3}(?:,\d{3})+$")


class MoneyError(ValueError):
    """The text is not an amount of money (the message says why, in plain words)."""


def exponent(currency: str) -> int:
    """The number of decimals of `currency` (ISO 4217): 2 unless the table says otherwise."""
    return _EXPONENT_NOT_2.get(currency.upper(), 2)


_QUANTS = {e: Decimal(1).scaleb(-e) for e in range(0, 5)}
_SCALES = {e: Decimal(10) ** e for e in range(0, 5)}


def to_minor(amount: Decimal, exp: int) -> int:
    """`amount` in major units → minor units, rounded half-even at `exp` decimals."""
    return int((amount * _SCALES[exp]).quantize(_QUANTS[0], rounding=ROUND_HALF_EVEN))


def parse_decimal(text: str, *, decimal_comma: bool = False) -> Decimal:
    """Reads an amount in major units: symbols, ISO codes, thousands separators, spaces and accounting
    parentheses are understood; anything else raises MoneyError."""
    s = text.strip().replace("\u00a0", "").replace("\u202f", "")
    if not s:
        raise MoneyError("the amount is empty")
    negative = False
    if s[0] == "(" and s[-1] == ")":
        negative, s = True, s[1:-1].strip()
    # An ISO code before or after the number ("USD 12.00", "12.00 EUR").
    if len(s) > 3 and s[:3].isalpha() and s[:3].isupper():
        s = s[3:].strip()
    elif len(s) > 3 and s[-3:].isalpha() and s[-3:].isupper():
        s = s[:-3].strip()
    signs = 1 if negative else 0
    for _ in range(4):  # sign and symbol in any order: "-$12", "$-12", "-12 €"
        if s and s[0] in _MINUS_SIGNS:
            negative, s, signs = True, s[1:].strip(), signs + 1
        elif s and s[0] == "+":
            s, signs = s[1:].strip(), signs + 1
        elif s and s[0] in _SYMBOLS:
            s = s[1:].strip()
        elif s and s[-1] in _SYMBOLS:
            s = s[:-1].strip()
        elif s and s[-1] in _MINUS_SIGNS:  # trailing minus, as some ERP exports write it
            negative, s, signs = True, s[:-1].strip(), signs + 1
        else:
            break
    if signs > 1:
        raise MoneyError(f"{text.strip()!r} is not an amount of money")
    group, point = (".", ",") if decimal_comma else (",", ".")
    s = s.replace("'", "").replace(" ", "") if decimal_comma else s.replace("'", "")
    if group in s:
        # thousands separators must group by three ("1,149.00"); "4,00" is a decimal comma, not 400
        whole = s.partition(point)[0]
        if not _GROUPED.match(whole.replace(group, ",")):
            hint = " (is the decimal separator a comma? set it in Settings → Source)" if not decimal_comma else ""
            raise MoneyError(f"{text.strip()!r} is not an amount of money{hint}")
        s = s.replace(group, "")
    if decimal_comma:
        s = s.replace(",", ".")
    if not s or s[0] in "+-" or not (s[0].isdigit() or s[0] == "."):
        raise MoneyError(f"{text.strip()!r} is not an amount of money")
    try:
        value = Decimal(s)
    except InvalidOperation:
        raise MoneyError(f"{text.strip()!r} is not an amount of money") from None
    if not value.is_finite():
        raise MoneyError(f"{text.strip()!r} is not an amount of money")
    return -value if negative else value


class MoneyParser:
    """Parses amounts for one currency exponent, with a cache: POS data repeats the same few prices a lot."""

    __slots__ = ("exp", "decimal_comma", "_cache")

    def __init__(self, exp: int = 2, *, decimal_comma: bool = False) -> None:
        self.exp = exp
        self.decimal_comma = decimal_comma
        self._cache: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        try:
            return self._cache[text]
        except KeyError:
            pass
        value = to_minor(parse_decimal(text, decimal_comma=self.decimal_comma), self.exp)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[text] = value
        return value

    @property
    def known(self) -> dict[str, int]:
        """The amounts read so far, by text (a hot loop may look there first; the dict object stays the
        same for the parser's life)."""
        return self._cache

    def optional(self, text: str) -> int:
        """Like calling it, but an empty cell is 0 (for columns such as Tax or Discounts)."""
        if not text or not text.strip():
            return 0
        return self(text)


_parsers: dict[tuple[int, bool], MoneyParser] = {}


def parser_for(currency: str, *, decimal_comma: bool = False) -> MoneyParser:
    """The shared cached parser for `currency`'s exponent."""
    key = (exponent(currency), decimal_comma)
    p = _parsers.get(key)
    if p is None:
        p = _parsers[key] = MoneyParser(key[0], decimal_comma=decimal_comma)
    return p


def parse_money(text: str, currency: str, *, decimal_comma: bool = False) -> int:
    """`"$1,149.00 "`, `"USD"` → 114900. Raises MoneyError when the text is not money."""
    return parser_for(currency, decimal_comma=decimal_comma)(text)


def format_minor(minor: int, currency: str) -> str:
    """114900, "USD" → "1149.00" (for tables shown to people; never float)."""
    exp = exponent(currency)
    text = str(Decimal(minor).scaleb(-exp).quantize(_QUANTS[exp]))
    return text
