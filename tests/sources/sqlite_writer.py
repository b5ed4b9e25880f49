"""A POS that writes its SQLite database while the tests read it (run as a separate process).

    sqlite_writer.py DB JOURNAL_MODE COUNT [--hold]

Creates `sales` / `sale_items` if needed, then commits COUNT sales, one transaction each (a sale and its
items), printing "COMMIT <id>" after each commit. Every 7th sale is a late (offline) sale: an old `sale_time`
but a new `updated_at`. Every 10th commit also voids an earlier sale (status and `updated_at` change). The
cursor `updated_at` is a logical clock (one tick per transaction), so the tests do not depend on the wall clock.
`--hold` then opens a write transaction, prints "HOLDING", and commits it when a line arrives on stdin;
`--hold-exclusive` does the same with an exclusive lock (in rollback-journal mode it keeps readers out).
"""

from __future__ import annotations

import sqlite3
import sys

SCHEMA = """
CREATE TABLE IF NOT EXISTS sales (id INTEGER PRIMARY KEY, sale_time TEXT NOT NULL, total REAL NOT NULL,
                                  status TEXT NOT NULL DEFAULT 'paid', updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sales_updated ON sales (updated_at, id);
CREATE TABLE IF NOT EXISTS sale_items (sale_id INTEGER NOT NULL, name TEXT, qty REAL, price REAL);
CREATE INDEX IF NOT EXISTS sale_items_sale ON sale_items (sale_id);
CREATE TABLE IF NOT EXISTS clock (tick INTEGER NOT NULL);
"""


def stamp(tick: int) -> str:
    return f"2026-07-{1 + tick // 86400:02d} {tick // 3600 % 24:02d}:{tick // 60 % 60:02d}:{tick % 60:02d}"


def main(argv: list[str]) -> int:
    db, mode, count = argv[0], argv[1], int(argv[2])
    con = sqlite3.connect(db, timeout=30, isolation_level=None)
    con.execute(f"PRAGMA journal_mode={mode}")
    con.executescript(SCHEMA)
    if con.execute("SELECT count(*) FROM clock").fetchone()[0] == 0:
        con.execute("INSERT INTO clock VALUES (3600)")
    first = (con.execute("SELECT max(id) FROM sales").fetchone()[0] or 0) + 1
    for sale in range(first, first + count):
        con.execute("BEGIN IMMEDIATE")
        tick = con.execute("UPDATE clock SET tick = tick + 1 RETURNING tick").fetchone()[0]
        sale_time = stamp(60) if sale % 7 == 0 else stamp(tick)      # a late sale: rung up long ago
        con.execute("INSERT INTO sales (id, sale_time, total, updated_at) VALUES (?, ?, ?, ?)",
                    (sale, sale_time, sale * 1.5, stamp(tick)))
        con.executemany("INSERT INTO sale_items VALUES (?, ?, ?, ?)",
                        [(sale, f"item {sale}.{k}", 1, 0.5 * k) for k in range(1, 1 + sale % 3 + 1)])
        if sale % 10 == 0:
            con.execute("UPDATE sales SET status = 'void', updated_at = ? WHERE id = ?", (stamp(tick), sale - 5))
        con.execute("COMMIT")
        print(f"COMMIT {sale}", flush=True)
    if "--hold" in argv or "--hold-exclusive" in argv:
        con.execute("BEGIN EXCLUSIVE" if "--hold-exclusive" in argv else "BEGIN IMMEDIATE")
        con.execute("UPDATE clock SET tick = tick + 1")
        print("HOLDING", flush=True)
        sys.stdin.readline()
        con.execute("COMMIT")
    con.close()
    print("DONE", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
