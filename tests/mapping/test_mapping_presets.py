"""Each preset on its fixture files (tests/fixtures/pos), through the real CSV reader and the Pipeline:
totals in minor units, UTC times, refunds, skipped rows and quarantined rows with their reasons."""

from datetime import datetime, timezone

import pytest

from mapping_helpers import POS, by_id, map_file, pipeline_for, read_records
from rulrr_desktop.core.mapping.presets import PRESETS, recognise

UTC = timezone.utc


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def reasons(result) -> dict[str, str]:
    return {q.where: q.reason for q in result.quarantined}


def test_square_item_sales_two_header_versions_overlap_newest_first():
    pipeline = pipeline_for(POS / "square-item-sales")
    assert pipeline.preset.key == "square-item-sales"
    result = pipeline.read_all()
    orders = by_id(result.orders)
    assert sorted(orders) == ["T-A", "T-B", "T-C", "T-C-R20260616140000", "T-E", "T-F", "T-G"]
    assert len(result.orders) == 7                              # T-A is in both files: once
    a = orders["T-A"]
    assert (a.total, a.currency, a.order_date) == (1252, "USD", at("2026-06-17T13:15:00"))
    assert [(i.name, i.quantity, i.price, i.sku) for i in a.items] == [("Latte", "1", 450, "LAT-1"),
                                                                      ("Croissant", "2", 700, "CRO-1")]
    b = orders["T-B"]                                           # identical lines are both kept
    assert b.total == 1200 and [i.name for i in b.items] == ["Sourdough Loaf", "Sourdough Loaf"]
    refund = orders["T-C-R20260616140000"]
    assert (refund.type, refund.total, refund.order_date) == ("refund", -354, at("2026-06-16T14:00:00"))
    assert [(i.quantity, i.price) for i in refund.items] == [("1", -325)]
    assert orders["T-C"].customer.customer_id == "CUST-001" and orders["T-C"].customer.last_name == "Okafor"
    assert orders["T-E"].order_date == at("2026-06-12T14:30:00")   # Pacific Time row
    f = orders["T-F"]
    assert (f.total, f.order_date, f.items[0].name) == (125097, at("2026-06-22T00:00:00"), "Catering Tray (Large)")
    assert reasons(result) == {
        "items-2026-06-12-2026-06-17.csv:8": "the Net Sales amount 'see manager' is not an amount of money",
        "items-2026-06-12-2026-06-17.csv:9": "the Transaction ID is empty, so the row belongs to no order"}
    assert result.quarantined[0].order_id == "T-D"
    assert result.skipped == 0


def test_square_transactions_accounting_money_dst_and_blank_ids():
    result = pipeline_for(POS / "square-transactions").read_all()
    orders = by_id(result.orders)
    assert orders["TX1"].total == 114900 and orders["TX1"].order_date == at("2026-03-08T06:30:00")
    assert orders["TX2"].order_date == at("2026-03-08T07:30:00")      # in the spring gap: shifted forward
    assert orders["TX3"].order_date == at("2026-11-01T05:30:00")      # in the autumn fold: the first (EDT)
    assert orders["TX3"].total == 1250
    assert (orders["TX1-R20260309140000"].total, orders["TX1-R20260309140000"].type) == (-3362, "refund")
    assert orders["TX2-R20260310130000"].total == -1200
    assert orders["TX2"].customer.first_name == "Ben"                  # "Okafor, Ben"
    assert result.skipped == 1                                          # the Failed one
    assert reasons(result) == {
        "transactions-2018.csv:2": "the Transaction ID is empty, so the sale cannot be identified",
        "transactions-2018.csv:3": "the Transaction ID is empty, so the sale cannot be identified",
        "transactions-2026.csv:8": "the Total Collected amount 'twelve' is not an amount of money"}


def test_square_customers():
    result = pipeline_for(POS / "square-customers").read_all()
    assert result.orders == []
    customers = {c.customer_id: c for c in result.customers}
    assert customers["CUST-001"].phone_number == "+12125550147" and customers["CUST-001"].email == "ann@example.com"
    assert customers["CUST-001"].created_at == at("2026-01-05T05:00:00")
    assert (customers["CUST-002"].email, customers["CUST-002"].phone_number) == ("", "")   # invalid: dropped
    assert customers["CUST-003"].phone_number == "+442079460958" and customers["CUST-003"].first_name == "Chloé"
    assert result.skipped == 1 and not result.quarantined               # the row with nothing to identify


def test_shopify_orders():
    result = pipeline_for(POS / "shopify-orders", tz="America/Toronto", currency="CAD", country="CA").read_all()
    orders = by_id(result.orders)
    assert sorted(orders) == ["#1006", "5550001", "5550002", "5550002-R", "5550003", "5550003-R"]
    first = orders["5550001"]
    assert (first.total, first.currency, first.order_date) == (5750, "CAD", at("2026-05-12T19:54:01"))
    assert [(i.name, i.quantity, i.price) for i in first.items] == [("Oat Cookies", "2", 2500), ("Gift Box", "1", 2750)]
    assert first.customer.phone_number == "+573158173380"              # apostrophe stripped
    assert first.where == "orders_export.csv:2"
    assert orders["5550002"].where == "orders_export.csv:6"           # row 1 spans lines 2-4 (multi-line Notes)
    assert (orders["5550002-R"].total, orders["5550002-R"].type) == (-2000, "refund")
    assert orders["5550003-R"].total == -1500 and orders["5550003"].total == 4500
    assert orders["#1006"].customer.email == "" and orders["#1006"].customer.first_name == "Dana"
    assert result.skipped == 2                                          # voided + cancelled
    assert [q.where for q in result.quarantined] == ["orders_export.csv:11"]
    assert "Created at 'sometime in May' cannot be read" in result.quarantined[0].reason


def test_shopify_customers_new_and_old_layouts():
    new = map_file(POS / "shopify-customers" / "customers_export.csv", "shopify-customers")
    customers = {c.customer_id: c for c in new.customers}
    assert customers["7001"].phone_number == "+573158173380" and customers["7001"].email == "dana@example.com"
    assert customers["7002"].email == "" and customers["7002"].phone_number == "+14165550188"
    old = map_file(POS / "shopify-customers" / "customers_export_old.csv", "shopify-customers")
    assert [(c.email, c.phone_number) for c in old.customers] == [("fay@example.com", "+16175550111")]


def test_loyverse_receipts_month_first_locale():
    pipeline = pipeline_for(POS / "loyverse" / "receipts.csv")
    assert pipeline.preset.key == "loyverse-receipts"
    assert pipeline.date_order.order == "mdy" and not pipeline.date_order.ambiguous
    result = pipeline.read_all()
    orders = by_id(result.orders)
    assert orders["4-10378"].order_date == at("2026-07-28T17:33:00") and orders["4-10378"].total == 1575
    assert (orders["4-10378"].customer.phone_number, orders["4-10378"].customer.email) == \
        ("+12125550199", "maria@example.com")
    assert (orders["4-10379"].type, orders["4-10379"].total) == ("refund", -525)
    assert "4-10380" not in orders and result.skipped == 1             # Cancelled
    assert orders["4-10381"].customer is None                          # "joe at home": nothing usable


def test_loyverse_items_cp1252_semicolons_day_first_decimal_comma():
    pipeline = pipeline_for(POS / "loyverse" / "receipts-by-item-eu.csv", tz="Europe/Paris", currency="EUR",
                            country="FR", mapping={"decimal_comma": True})
    assert pipeline.preset.key == "loyverse-receipt-items"
    assert pipeline.date_order.order == "dmy"
    result = pipeline.read_all()
    orders = by_id(result.orders)
    sale = orders["2-500"]
    assert (sale.total, sale.order_date) == (1045, at("2026-07-28T11:33:00"))
    assert [i.name for i in sale.items] == ["Café crème (grand)", "Croissant"]
    assert (sale.customer.phone_number, sale.customer.email) == ("+33612345678", "lea@example.fr")
    assert (orders["2-501"].type, orders["2-501"].total, orders["2-501"].items[0].quantity) == ("refund", -275, "1")
    assert orders["2-503"].total == 123450 and orders["2-503"].order_date == at("2026-08-01T08:00:00")
    assert result.skipped == 1 and not result.quarantined


def test_a_locale_with_decimal_commas_reads_them():
    result = pipeline_for(POS / "loyverse" / "receipts-by-item-eu.csv", tz="Europe/Paris", currency="EUR",
                          country="FR", mapping={"locale": "fr_FR"}).read_all()
    assert by_id(result.orders)["2-503"].total == 123450 and not result.quarantined


def test_loyverse_items_without_the_decimal_comma_setting_quarantine_rather_than_misread():
    result = pipeline_for(POS / "loyverse" / "receipts-by-item-eu.csv", tz="Europe/Paris", currency="EUR",
                          country="FR").read_all()
    assert "2-500" not in by_id(result.orders)
    assert any("decimal separator" in q.reason for q in result.quarantined)


def test_clover_orders():
    result = pipeline_for(POS / "clover").read_all()
    orders = by_id(result.orders)
    assert sorted(orders) == ["ABC123", "ABC124", "ABC124-R", "ABC127"]
    assert orders["ABC123"].order_date == at("2023-12-16T07:44:00") and orders["ABC123"].total == 2550
    assert orders["ABC124"].order_date == at("2023-12-18T04:15:00")
    assert (orders["ABC124-R"].total, orders["ABC124-R"].type) == (-1000, "refund")
    assert orders["ABC127"].order_date == at("2024-07-14T22:00:00")   # EDT
    assert result.skipped == 2                                          # Open, FAIL
    assert reasons(result) == {"orders.csv:7": "the Order Total amount is empty"}


def test_generic_csv():
    result = pipeline_for(POS / "generic").read_all()
    orders = by_id(result.orders)
    g1 = orders["G-1"]
    assert (g1.total, g1.order_date, len(g1.items)) == (1230, at("2026-02-01T15:00:00"), 2)
    assert g1.customer.phone_number == "+12125550177"
    assert (orders["G-2"].total, orders["G-2"].currency, orders["G-2"].order_date) == (1500, "JPY",
                                                                                      at("2026-02-01T10:00:00"))
    assert (orders["G-3"].total, orders["G-3"].currency) == (1234, "KWD")
    assert (orders["G-4"].type, orders["G-4"].total) == ("refund", -500)
    assert orders["G-5"].customer.email == "" and orders["G-5"].customer.phone_number == "+12125550100"
    assert result.skipped == 1
    assert reasons(result) == {"orders.csv:9": "the orderDate is empty"}


def test_generic_sql_entities():
    from rulrr_desktop.core.mapping.engine import map_records
    from rulrr_desktop.core.sources.base import RawRecord
    from mapping_helpers import context
    records = [
        RawRecord("Document:1", {"orderId": "D-1", "orderDate": "2026-02-01 10:00:00", "orderTotal": "12.299999999",
                                 "currency": "", "type": "sale", "customerId": "7"}, "order"),
        RawRecord("DocumentItem:1", {"orderId": "D-1", "name": "Bread", "quantity": "2.0", "price": "12.3"}, "line"),
        RawRecord("Document:2", {"orderId": "D-2", "orderDate": "2026-02-02 10:00:00", "orderTotal": "4",
                                 "type": "refund"}, "order"),
        RawRecord("Document:3", {"orderId": "D-3", "orderDate": "never", "orderTotal": "4"}, "order"),
        RawRecord("Customer:7", {"customerId": "7", "firstName": "Ida", "email": "ida@example.com",
                                 "phoneNumber": "212 555 0123"}, "customer"),
    ]
    result = map_records(records, PRESETS["generic-sql"], context())
    orders = by_id(result.orders)
    assert (orders["D-1"].total, orders["D-1"].currency, orders["D-1"].items[0].quantity) == (1230, "USD", "2")
    assert (orders["D-2"].type, orders["D-2"].total) == ("refund", -400)
    assert [(q.where, q.order_id) for q in result.quarantined] == [("Document:3", "D-3")]
    customer = next(c for c in result.customers if c.customer_id == "7")
    assert (customer.first_name, customer.email, customer.phone_number) == ("Ida", "ida@example.com", "+12125550123")


@pytest.mark.parametrize("path, key", [
    ("square-item-sales/items-2026-06-12-2026-06-17.csv", "square-item-sales"),
    ("square-item-sales/items-2026-06-17-2026-06-21.csv", "square-item-sales"),
    ("square-transactions/transactions-2026.csv", "square-transactions"),
    ("square-transactions/transactions-2018.csv", "square-transactions"),
    ("square-customers/customers.csv", "square-customers"),
    ("shopify-orders/orders_export.csv", "shopify-orders"),
    ("shopify-customers/customers_export.csv", "shopify-customers"),
    ("shopify-customers/customers_export_old.csv", "shopify-customers"),
    ("loyverse/receipts.csv", "loyverse-receipts"),
    ("clover/orders.csv", "clover-orders"),
    ("generic/orders.csv", "generic-csv"),
])
def test_auto_recognises_every_fixture(path, key):
    records = read_records(POS / path)
    guess = recognise(list(records[0].fields))
    assert guess is not None and guess.preset.key == key and guess.confidence >= 0.5


def test_auto_recognises_the_european_loyverse_file():
    records = read_records(POS / "loyverse" / "receipts-by-item-eu.csv", encoding="cp1252", delimiter=";")
    assert recognise(list(records[0].fields)).preset.key == "loyverse-receipt-items"
