"""Money → minor units: accounting formats, ISO 4217 exponents, half-even rounding, never float."""

from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

RELAXED = settings(deadline=None, max_examples=100)  # a shared 2-core machine: no per-example deadline

from rulrr_desktop.core.mapping import money
from rulrr_desktop.core.mapping.money import MoneyError, exponent, format_minor, parse_money


@pytest.mark.parametrize("text, currency, minor", [
    ("$1,149.00 ", "USD", 114900),
    ("($33.62)", "USD", -3362),
    ("-$12.00", "USD", -1200),
    ("$-12.00", "USD", -1200),
    ("12.5", "USD", 1250),
    ("12.299999999", "USD", 1230),      # a REAL column rendered as text
    ("0.125", "USD", 12),               # half-even: .125 → .12
    ("0.135", "USD", 14),               # half-even: .135 → .14
    ("1500", "JPY", 1500),
    ("1500.5", "JPY", 1500),            # half-even at exponent 0
    ("1501.5", "JPY", 1502),
    ("1.2345", "KWD", 1234),            # exponent 3, half-even
    ("1.2355", "KWD", 1236),
    ("USD 4.00", "USD", 400),
    ("4.00 EUR", "EUR", 400),
    ("  7 ", "USD", 700),
    ("\u2212$5.10", "USD", -510),       # a Unicode minus
])
def test_parse_money_examples(text, currency, minor):
    assert parse_money(text, currency) == minor


@pytest.mark.parametrize("text, minor", [("1.149,00", 114900), ("-12,50", -1250), ("€ 3,5", 350),
                                         ("1 234,56", 123456)])
def test_decimal_comma_only_when_the_locale_says_so(text, minor):
    assert parse_money(text, "EUR", decimal_comma=True) == minor


@pytest.mark.parametrize("text", ["", "  ", "twelve", "see manager", "$", "NaN", "Infinity", "1.2.3", "--5",
                                  "12abc", "€4,00", "1,14.00"])  # a decimal comma is never read as thousands
def test_not_money_raises_a_plain_error(text):
    with pytest.raises(MoneyError):
        parse_money(text, "USD")


def test_exponents_follow_iso_4217():
    assert (exponent("USD"), exponent("eur"), exponent("JPY"), exponent("KRW"), exponent("KWD"),
            exponent("BHD"), exponent("TND")) == (2, 2, 0, 0, 3, 3, 3)
    assert format_minor(114900, "USD") == "1149.00" and format_minor(1234, "KWD") == "1.234"
    assert format_minor(-5, "JPY") == "-5"


def test_no_float_reaches_the_parser(monkeypatch):
    """The parser never builds a float: poison float() inside the module and parse a float-ish text."""
    monkeypatch.setattr(money, "float", lambda *a: pytest.fail("float() used"), raising=False)
    assert money.MoneyParser(2)("12.299999999") == 1230


CURRENCIES = st.sampled_from(["USD", "EUR", "JPY", "KWD", "BHD", "GBP", "KRW"])


@RELAXED
@given(minor=st.integers(min_value=-10**12, max_value=10**12), currency=CURRENCIES)
def test_minor_units_round_trip_for_every_exponent(minor, currency):
    text = format_minor(minor, currency)
    assert parse_money(text, currency) == minor
    padded = text + ("000" if "." in text else ".000")              # extra decimal zeros change nothing
    assert parse_money(padded, currency) == minor


@RELAXED
@given(minor=st.integers(min_value=0, max_value=10**11), currency=CURRENCIES)
def test_accounting_formats_round_trip(minor, currency):
    exp = exponent(currency)
    whole, _, frac = format_minor(minor, currency).partition(".")
    grouped = f"{int(whole):,}" + (f".{frac}" if exp else "")
    assert parse_money(f"${grouped} ", currency) == minor
    assert parse_money(f"(${grouped})", currency) == -minor
    assert parse_money(f"-${grouped}", currency) == -minor


@RELAXED
@given(value=st.decimals(min_value=-10**9, max_value=10**9, allow_nan=False, allow_infinity=False, places=6),
       currency=CURRENCIES)
def test_rounding_is_half_even_at_the_exponent(value, currency):
    exp = exponent(currency)
    expected = int((value * Decimal(10) ** exp).quantize(Decimal(1), rounding="ROUND_HALF_EVEN"))
    assert parse_money(str(value), currency) == expected


@RELAXED
@given(x=st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False))
def test_float_text_is_read_as_its_decimal_text(x):
    """A REAL value printed by the POS (repr) is read through Decimal of that text, never float maths."""
    text = repr(x)
    expected = int((Decimal(text) * 100).quantize(Decimal(1), rounding="ROUND_HALF_EVEN"))
    assert parse_money(text, "USD") == expected
