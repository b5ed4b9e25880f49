"""generic-sql end to end: an Aronium-like SQLite POS database (REAL money, a refund document type, local
times), read by the real SQLite source through the Pipeline."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

from mapping_helpers import by_id
from rulrr_desktop.core.config import Settings
from rulrr_desktop.core.pipeline import Pipeline

ORDERS_SQL = """
SELECT d.Number AS orderId, d.DateCreated AS orderDate, d.Total AS orderTotal,
       CASE t.Code WHEN 'REF' THEN 'refund' ELSE 'sale' END AS type,
       CASE d.PaidStatus WHEN 0 THEN 'open' ELSE 'paid' END AS status,
       c.Code AS customerId, c.FirstName AS firstName, c.LastName AS lastName, c.Email AS email,
       c.Phone AS phoneNumber, d.DateUpdated AS DateUpdated, d.Id AS Id
FROM Document d JOIN DocumentType t ON t.Id = d.DocumentTypeId LEFT JOIN Customer c ON c.Id = d.CustomerId
WHERE t.Code IN ('SAL', 'REF')
"""
LINES_SQL = """
SELECT d.Number AS orderId, p.Name AS name, p.Code AS sku, i.Quantity AS quantity, i.Total AS price
FROM DocumentItem i JOIN Document d ON d.Id = i.DocumentId JOIN Product p ON p.Id = i.ProductId
"""


def make_db(path):
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE DocumentType (Id INTEGER PRIMARY KEY, Code TEXT);
        INSERT INTO DocumentType VALUES (1, 'SAL'), (2, 'REF'), (3, 'INV');
        CREATE TABLE Customer (Id INTEGER PRIMARY KEY, Code TEXT, FirstName TEXT, LastName TEXT, Email TEXT,
                               Phone TEXT);
        INSERT INTO Customer VALUES (1, 'C-1', 'Ida', 'Berg', 'ida@example.com', '(212) 555-0123'),
                                    (2, 'C-2', 'Ola', 'Nord', 'not-an-email', '12');
        CREATE TABLE Product (Id INTEGER PRIMARY KEY, Name TEXT, Code TEXT);
        INSERT INTO Product VALUES (1, 'Bread', 'B-1'), (2, 'Milk', 'M-1');
        CREATE TABLE Document (Id INTEGER PRIMARY KEY, Number TEXT, CustomerId INTEGER, DocumentTypeId INTEGER,
                               Total REAL, PaidStatus INTEGER, DateCreated TEXT, DateUpdated TEXT);
        CREATE TABLE DocumentItem (Id INTEGER PRIMARY KEY, DocumentId INTEGER, ProductId INTEGER, Quantity REAL,
                                   Total REAL);
    """)
    docs = [
        (1, "100-1", 1, 1, 12.3 - 0.000000001, 1, "2026-03-08 02:30:00", "2026-03-08 02:31:00"),  # DST gap
        (2, "100-2", 2, 1, 7.5, 1, "2026-03-09 09:00:00", "2026-03-09 09:00:00"),
        (3, "100-3", None, 2, 4.0, 1, "2026-03-10 10:00:00", "2026-03-10 10:00:00"),         # a refund ticket
        (4, "100-4", None, 1, 9.99, 0, "2026-03-10 11:00:00", "2026-03-10 11:00:00"),        # unpaid: skipped
        (5, "100-5", None, 1, 3.0, 1, "not a date", "2026-03-10 12:00:00"),                  # quarantined
        (6, "INV-1", None, 3, 99.0, 1, "2026-03-10 13:00:00", "2026-03-10 13:00:00"),        # not a sale
    ]
    con.executemany("INSERT INTO Document VALUES (?,?,?,?,?,?,?,?)", docs)
    con.executemany("INSERT INTO DocumentItem (DocumentId, ProductId, Quantity, Total) VALUES (?,?,?,?)",
                    [(1, 1, 2.0, 8.2), (1, 2, 1.0, 4.1 - 0.000000001), (2, 2, 1.5, 7.5), (3, 1, 1.0, 4.0)])
    con.commit()
    con.close()


def test_generic_sql_on_an_sqlite_pos_database(tmp_path):
    db = tmp_path / "pos.db"
    make_db(db)
    settings = Settings.from_dict({
        "source": {"kind": "sqlite", "path": str(db), "preset": "auto",
                   "sql": {"orders": ORDERS_SQL, "lines": LINES_SQL, "cursor": "DateUpdated", "id": "orderId"}},
        "store": {"storeCurrency": "USD", "storeCountryCode": "US", "timezone": "America/New_York"}})
    pipeline = Pipeline(settings)
    assert pipeline.preset.key == "generic-sql"
    batches = list(pipeline.batches(None, batch_size=2))
    orders = by_id(o for b in batches for o in b.orders)
    assert sorted(orders) == ["100-1", "100-2", "100-3"]
    first = orders["100-1"]
    assert (first.total, first.currency) == (1230, "USD")                     # REAL 12.299999999 → 1230
    assert first.order_date == datetime(2026, 3, 8, 7, 30, tzinfo=timezone.utc)   # gap: shifted forward
    assert [(i.name, i.quantity, i.price) for i in first.items] == [("Bread", "2", 820), ("Milk", "1", 410)]
    assert (first.customer.customer_id, first.customer.phone_number) == ("C-1", "+12125550123")
    assert (orders["100-2"].customer.email, orders["100-2"].customer.phone_number) == ("", "")
    assert orders["100-2"].items[0].quantity == "1.5"
    assert (orders["100-3"].type, orders["100-3"].total) == ("refund", -400)
    assert sum(b.skipped for b in batches) == 1
    quarantined = [q for b in batches for q in b.quarantined]
    assert [(q.order_id, q.where) for q in quarantined] == [("100-5", "Document:100-5")]
    assert "orderDate 'not a date' cannot be read" in quarantined[0].reason
