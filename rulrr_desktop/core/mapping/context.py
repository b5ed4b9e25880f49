"""What every preset needs besides the row: the store's currency, country and zone, and the source's date
format, with the parsers built once per source (their caches make the hot path cheap)."""

from __future__ import annotations

from datetime import timezone, tzinfo

from rulrr_desktop.core.mapping.errors import RowProblem
from rulrr_desktop.core.mapping.money import MoneyParser, parser_for
from rulrr_desktop.core.mapping.times import DateOrder, DateTimeParser


MEMO_LIMIT = 100_000


class MappingContext:
    """Per-source mapping settings. `currency` is the store's (used when a row carries none); `country` is the
    default phone region; `zone` applies to timestamps that carry no zone."""

    def __init__(self, *, currency: str = "", country: str = "", zone: tzinfo = timezone.utc,
                 date_order: DateOrder | None = None, date_format: str = "", decimal_comma: bool = False) -> None:
        self.currency = currency.upper()
        self.country = country.upper()
        self.zone = zone
        self.decimal_comma = decimal_comma
        self.dates = DateTimeParser(date_order, date_format=date_format, default_zone=zone)
        self._money: dict[str, MoneyParser] = {}
        self._memos: dict[str, dict] = {}

    def memo(self, name: str) -> dict:
        """A per-source cache for immutable results (line items, customers) that repeat across orders; it is
        emptied when it grows past MEMO_LIMIT entries."""
        memo = self._memos.get(name)
        if memo is None or len(memo) > MEMO_LIMIT:
            memo = self._memos[name] = {}
        return memo

    def money(self, currency: str) -> MoneyParser:
        """The cached money parser for `currency` (its ISO 4217 exponent)."""
        p = self._money.get(currency)
        if p is None:
            p = self._money[currency] = parser_for(currency, decimal_comma=self.decimal_comma)
        return p

    def currency_for(self, row_currency: str, where: str) -> str:
        """The row's currency, else the store's; a row with neither is a problem the staff can fix once."""
        currency = (row_currency.strip() or self.currency).upper()
        if not currency:
            raise RowProblem("the order has no currency and the store currency is not set "
                             "(Settings → Store → Currency)", where)
        return currency
