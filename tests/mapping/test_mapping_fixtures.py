"""The POS fixtures reproduce every quirk of ../shared/pos-formats.md (so that the preset tests that read them
cover each one): this guards the fixtures themselves against a 'cleanup' that loses a quirk."""

from __future__ import annotations

import csv
import io

from mapping_helpers import POS, read_records


def header(path, encoding="utf-8-sig", delimiter=","):
    return next(csv.reader(io.StringIO(path.read_bytes().decode(encoding)), delimiter=delimiter))


def test_square_header_changes_between_exports_33_to_35_columns():
    old = header(POS / "square-item-sales" / "items-2026-06-12-2026-06-17.csv")
    new = header(POS / "square-item-sales" / "items-2026-06-17-2026-06-21.csv")
    assert (len(old), len(new)) == (33, 35) and set(new) - set(old) == {"Commission", "Employee"}
    assert len(header(POS / "square-transactions" / "transactions-2018.csv")) == 44
    assert len(header(POS / "square-transactions" / "transactions-2026.csv")) == 55


def test_line_items_identical_lines_newest_first_and_overlapping_files():
    rows = read_records(POS / "square-item-sales" / "items-2026-06-12-2026-06-17.csv")
    b = [r.fields for r in rows if r.fields["Transaction ID"] == "T-B"]
    assert len(b) == 2 and b[0] == b[1]                                      # no line id, identical lines
    dates = [r.fields["Date"] for r in rows]
    assert dates == sorted(dates, reverse=True)                              # newest first
    newer = read_records(POS / "square-item-sales" / "items-2026-06-17-2026-06-21.csv")
    assert {r.fields["Transaction ID"] for r in rows} & {r.fields["Transaction ID"] for r in newer} == {"T-A"}
    shopify = read_records(POS / "shopify-orders" / "orders_export.csv")
    assert shopify[1].fields["Name"] == "#1001" and shopify[1].fields["Total"] == ""   # order fields on row 1 only


def test_quoting_apostrophes_and_accounting_money():
    raw = (POS / "shopify-orders" / "orders_export.csv").read_bytes().decode("utf-8")
    assert '"Leave at the ""blue"" door\nring twice"' in raw                # multi-line field with "" escapes
    assert "'+573158173380" in raw and "'90503" in raw                       # spreadsheet apostrophes
    assert "'7001" in (POS / "shopify-customers" / "customers_export.csv").read_text(encoding="utf-8")
    money = [r.fields["Total Collected"] for r in read_records(POS / "square-transactions" / "transactions-2026.csv")]
    assert {"$1,149.00 ", "($33.62)", "-$12.00", "12.5"} <= set(money)


def test_zones_dates_encodings_and_delimiters():
    items = read_records(POS / "square-item-sales" / "items-2026-06-12-2026-06-17.csv")
    assert {r.fields["Time Zone"] for r in items} == {"Eastern Time (US & Canada)", "Pacific Time (US & Canada)"}
    clover = (POS / "clover" / "orders.csv").read_bytes()
    assert clover.startswith(b"\xef\xbb\xbf") and b"16-Dec-2023 02:44 AM EST" in clover        # BOM, abbreviation
    assert b"-0700" in (POS / "shopify-orders" / "orders_export.csv").read_bytes()           # an offset
    assert b"7/28/26 1:33 PM" in (POS / "loyverse" / "receipts.csv").read_bytes()            # localised dates
    eu = (POS / "loyverse" / "receipts-by-item-eu.csv").read_bytes()
    try:
        eu.decode("utf-8")
        raise AssertionError("the European fixture must be cp1252, not UTF-8")
    except UnicodeDecodeError:
        pass
    assert b";" in eu.splitlines()[0] and b"28/07/2026 13:33" in eu and b"7,00" in eu         # ; and day-first
    generic = (POS / "generic" / "orders.csv").read_text(encoding="utf-8")
    assert "12.299999999" in generic and "JPY" in generic and "KWD" in generic               # float text, exponents


def test_blank_ids_refund_styles_and_skipped_states():
    assert all(r.fields["Transaction ID"] == ""
               for r in read_records(POS / "square-transactions" / "transactions-2018.csv"))
    assert any(r.fields["Event Type"] == "Refund"
               for r in read_records(POS / "square-item-sales" / "items-2026-06-12-2026-06-17.csv"))
    assert any(r.fields["Receipt type"] == "Refund" for r in read_records(POS / "loyverse" / "receipts.csv"))
    shopify = {r.fields["Financial Status"] for r in read_records(POS / "shopify-orders" / "orders_export.csv")}
    assert {"refunded", "partially_refunded", "voided"} <= shopify
    clover = read_records(POS / "clover" / "orders.csv")
    assert {"Open", "FAIL"} <= {r.fields["Order Payment State"] for r in clover}
    assert any(r.fields["Refunds Total"] for r in clover)
    assert any(r.fields["Status"] == "Cancelled" for r in read_records(POS / "loyverse" / "receipts.csv"))
