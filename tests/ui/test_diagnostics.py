"""The diagnostics zip: logs, config and status, with secrets and customer contacts removed."""

import zipfile

from rulrr_desktop.core.config import AppPaths, Settings, save_settings
from rulrr_desktop.core.diagnostics import export_diagnostics, scrub
from rulrr_desktop.core.redact import register_secret
from rulrr_desktop.core.status_text import ProblemRow, SyncStatus

SECRETS = ["acc-9f8e7d6c5b4a", "ref-1a2b3c4d5e6f", "demo-secret-XYZ"]
CONTACTS = ["jane.doe@example.com", "+1 (555) 201-3344", "0412 345 678", "Jane", "Doe", "Marco Polo"]


def test_zip_has_logs_config_status_and_nothing_sensitive(app_home: AppPaths, tmp_path):
    app_home.ensure()
    settings = Settings.from_dict({"rulrr": {"api_url": "http://127.0.0.1:1"},
                                   "source": {"kind": "csv", "path": "/data/orders.csv", "preset": "square"},
                                   "store": {"storeName": "Bridge Street Bakery", "storeCountryCode": "US"},
                                   "partner_override": {"client_secret": "demo-secret-XYZ"}})
    save_settings(app_home, settings)
    register_secret("acc-9f8e7d6c5b4a")
    (app_home.log_dir / "rulrr-desktop.log").write_text(
        "2026-06-28 14:03:00,001 INFO sync: POST /v1/orders?access_token=acc-9f8e7d6c5b4a 200\n"
        "2026-06-28 14:03:01,002 INFO token: refreshed refreshToken=ref-1a2b3c4d5e6f\n"
        "2026-06-28 14:03:02,003 WARNING mapping: orders.csv:17 quarantined: email=jane.doe@example.com "
        "phone +1 (555) 201-3344 firstName=Jane lastName=Doe\n"
        "2026-06-28 14:03:03,004 WARNING mapping: Customer contacts: 0412 345 678\n"
        "2026-06-28 14:03:04,005 INFO sync: delivered 1204 orders, 38 today\n", encoding="utf-8")
    status = SyncStatus(connected=True, store_name="Bridge Street Bakery", delivered_total=1204,
                        problems=(ProblemRow("orders.csv:17", "the customer Marco Polo has no order id"),))
    out = export_diagnostics(app_home, tmp_path / "out" / "diag.zip", status=status,
                             extra_sensitive=["Marco Polo"])
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        assert {"README.txt", "about.json", "config.toml", "status.json", "logs/rulrr-desktop.log"} <= names
        text = "\n".join(zf.read(n).decode() for n in names)
    for value in SECRETS + CONTACTS:
        assert value not in text, value
    # what support needs is still there
    assert "delivered 1204 orders, 38 today" in text
    assert "orders.csv:17" in text and "Bridge Street Bakery" in text and "/data/orders.csv" in text
    assert "2026-06-28 14:03:00,001" in text


def test_scrub_keeps_ordinary_words_dates_and_amounts():
    line = "2026-06-28 14:03:00 sent order 4-10378 total 1149.00 item name=Croissant in 12.5 s"
    assert scrub(line) == line
