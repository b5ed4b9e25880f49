"""The Pipeline over the real CSV reader: batches that stand alone, incremental reads, the fingerprint, the
store profile, and the errors a staff member sees when the export does not fit."""

from __future__ import annotations

import csv

import pytest

from mapping_helpers import POS, by_id, pipeline_for
from rulrr_desktop.core.errors import ConfigError
from rulrr_desktop.core.mapping.errors import MissingColumns, UnknownPreset, UnrecognisedExport


def test_small_batches_never_split_an_order_and_map_alone():
    whole = by_id(pipeline_for(POS / "square-item-sales").read_all().orders)
    seen: dict[str, object] = {}
    batches = list(pipeline_for(POS / "square-item-sales").batches(None, batch_size=1))
    assert len(batches) >= 6
    for batch in batches:
        ids = [o.order_id for o in batch.orders]
        assert len(ids) == len(set(ids))                      # deduped inside a batch
        for order in batch.orders:
            assert order.to_api() == whole[order.order_id].to_api()   # the same, whichever batch or file
            seen[order.order_id] = order
        assert isinstance(batch.cursor, dict) and batch.cursor
    assert seen.keys() == whole.keys()


def test_an_incremental_pass_maps_only_what_was_appended(pos_copy):
    folder = pos_copy("square-item-sales")
    pipeline = pipeline_for(folder)
    cursor = None
    for batch in pipeline.batches(None):
        cursor = batch.cursor
    newest = folder / "items-2026-06-17-2026-06-21.csv"
    with open(newest, encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    row = dict.fromkeys(header, "")
    row.update({"Date": "2026-06-22", "Time": "08:00:00", "Time Zone": "Eastern Time (US & Canada)",
                "Item": "Latte", "Qty": "1.0", "Net Sales": "$4.50", "Tax": "$0.40", "Transaction ID": "T-H",
                "Event Type": "Payment"})
    with open(newest, "a", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerow([row[h] for h in header])
    later = list(pipeline_for(folder).batches(cursor))
    orders = [o for b in later for o in b.orders]
    assert [(o.order_id, o.total) for o in orders] == [("T-H", 490)]
    assert not any(b.quarantined for b in later)


def test_the_fingerprint_follows_what_changes_the_mapping():
    base = pipeline_for(POS / "clover").mapping_fingerprint
    assert pipeline_for(POS / "clover").mapping_fingerprint == base
    assert pipeline_for(POS / "clover", "clover-orders").mapping_fingerprint == base   # auto resolved the same
    assert pipeline_for(POS / "clover", tz="Europe/London").mapping_fingerprint != base
    assert pipeline_for(POS / "clover", currency="EUR").mapping_fingerprint != base
    assert pipeline_for(POS / "clover", date_format="%d-%b-%Y %I:%M %p").mapping_fingerprint != base
    assert pipeline_for(POS / "generic", "generic-csv").mapping_fingerprint != \
        pipeline_for(POS / "generic", "generic-csv", mapping={"decimal_comma": True}).mapping_fingerprint


def test_store_profile_config_overrides_the_export():
    pipeline = pipeline_for(POS / "clover", country="us")
    profile = pipeline.store_profile({"storeName": "From Export", "storeCity": "Springfield", "bogus": "x"})
    assert profile.to_api() == {"storeName": "Test Store", "storeAddress": "1 Test Road", "storeCountryCode": "US",
                                "storeCurrency": "USD", "storeCity": "Springfield"}
    assert profile.timezone == "America/New_York" and profile.missing() == []


def test_errors_the_staff_sees(tmp_path):
    with pytest.raises(MissingColumns) as missing:
        _ = pipeline_for(POS / "clover", "square-item-sales").preset
    assert "'Date'" in str(missing.value) and "square-item-sales" in str(missing.value)
    assert missing.value.action and "Settings" in missing.value.action
    with pytest.raises(UnknownPreset):
        _ = pipeline_for(POS / "clover", "toast").preset
    odd = tmp_path / "odd.csv"
    odd.write_text("Foo,Bar\n1,2\n", encoding="utf-8")
    with pytest.raises(UnrecognisedExport) as unknown:
        _ = pipeline_for(odd).preset
    assert "Foo, Bar" in str(unknown.value)
    with pytest.raises(ConfigError):
        _ = pipeline_for(POS / "clover", tz="Mars/Olympus").zone
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UnrecognisedExport, match="no export to look at yet"):
        _ = pipeline_for(empty).preset


def test_a_column_mapping_renames_export_columns_to_rulrr_fields(tmp_path):
    export = tmp_path / "tickets.csv"
    export.write_text("Ticket,When,Amount,Who\nA-1,2026-02-01 10:00,12.50,ann@example.com\n"
                      "A-2,2026-02-01 11:00,,bob@example.com\n", encoding="utf-8")
    pipeline = pipeline_for(export, "generic-csv", mapping={"columns": {
        "orderId": "Ticket", "orderDate": "When", "orderTotal": "Amount", "email": "Who"}})
    result = pipeline.read_all()
    assert [(o.order_id, o.total, o.customer.email) for o in result.orders] == [("A-1", 1250, "ann@example.com")]
    assert [q.reason for q in result.quarantined] == ["the orderTotal is empty and the order has no lines"]


def test_info_reports_the_guess_and_warnings(tmp_path):
    info = pipeline_for(POS / "loyverse" / "receipts.csv").info()
    assert (info.preset, info.date_order, info.date_ambiguous) == ("loyverse-receipts", "M/D/YYYY (month first)",
                                                                    False)
    assert info.confidence is not None and info.confidence > 0.5
    ambiguous = tmp_path / "r.csv"
    ambiguous.write_text("Date,Receipt number,Receipt type,Total collected,Status\n"
                         "01/02/2026 10:00,1-1,Sale,3.00,Closed\n", encoding="utf-8")
    info = pipeline_for(ambiguous, country="GB", tz="").info()
    assert info.date_ambiguous and info.date_order.startswith("D/M/YYYY")
    assert any("time zone" in w for w in info.warnings) and any("date format" in w for w in info.warnings)


def test_the_store_name_the_export_shows_fills_in_when_the_config_has_none():
    from rulrr_desktop.core.config import Settings
    from rulrr_desktop.core.pipeline import Pipeline
    settings = Settings.from_dict({"source": {"kind": "csv", "path": str(POS / "square-item-sales")},
                                   "store": {"storeCurrency": "USD", "timezone": "America/New_York"}})
    pipeline = Pipeline(settings)
    pipeline.read_all()
    assert pipeline.store_profile().fields["storeName"] == "Bridge Street Bakery"
    assert pipeline.store_profile().missing() == ["storeAddress", "storeCountryCode"]


def test_customers_seen_twice_are_merged_not_repeated():
    from rulrr_desktop.core.mapping.result import MappingResult
    from rulrr_desktop.core.model import Customer
    result = MappingResult()
    result.add_customer(Customer(customer_id="C1", first_name="Ann"))
    result.add_customer(Customer(customer_id="C1", first_name="Ann"))
    result.add_customer(Customer(customer_id="C1", email="ann@example.com", first_name="Anne"))
    result.add_customer(Customer(email="bob@example.com"))
    assert result.customers == [Customer(customer_id="C1", first_name="Ann", email="ann@example.com"),
                                Customer(email="bob@example.com")]
