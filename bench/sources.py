"""Source + mapping throughput, memory and incremental cost, on a generated Square-Item-Sales-like export.

Generates (in a temp dir) a 1,000,000-row and a 10,000-row CSV in Square's 35-column Item Sales layout (about
2.5 line items per order, `$` money, a Rails zone name) and measures, in this one run:
Rates are per CPU second of the measuring process (the machine is shared: wall time would measure the others).
- `csv_reader_rows_per_s`: plain `csv.reader` iteration over the big file (the baseline);
- `rows_per_s`: the configured source + mapping through `Pipeline.batches` over the same file, in a subprocess
  whose peak RSS is `peak_rss_mb`; `vs_csv_reader` = rows_per_s ÷ csv_reader_rows_per_s (target ≥ 0.25).
  Both sides get the same treatment: each is the best of 2 runs, and each run's time includes its own setup
  (opening the file and building the reader; building the Pipeline, which reads the file's head to recognise
  it) and excludes importing the modules (csv, rulrr_desktop.core.pipeline) before the clock starts;
- `incremental_ratio`: an incremental pass (a new Pipeline, as a sync pass builds it, resuming from the cursor
  after 100 rows were appended) on the big file ÷ the same on the 10k-row file (target ≤ 1.5).
For the breakdown it also reports the reader alone (`reader_rows_per_s`, `reader_vs_csv_reader`) and the CPU
the mapping adds per row (`mapping_us_per_row`). The last stdout line is one JSON object. `--quick` uses 200,000 rows instead of 1,000,000 (under a minute).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = ("Date,Time,Time Zone,Category,Item,Qty,Price Point Name,SKU,Modifiers Applied,Gross Sales,Discounts,"
          "Net Sales,Tax,Transaction ID,Payment ID,Device Name,Notes,Details,Event Type,Location,Dining Option,"
          "Customer ID,Customer Name,Customer Reference ID,Unit,Count,GTIN,Itemization Type,Commission,Employee,"
          "Fulfillment Note,Channel,Token,Card Brand,PAN Suffix").split(",")
ITEMS = [("Latte", "$4.50", "$0.40", "LAT-1"), ("Croissant", "$3.50", "$0.31", "CRO-1"),
         ("Sourdough Loaf", "$6.00", "$0.00", "SRD-1"), ("Muffin", "$3.25", "$0.29", "MUF-1"),
         ("Tea", "$2.50", "$0.22", "TEA-1"), ("Catering Tray", "$1,149.00", "$101.97", "CAT-1")]


def _rows(start: int, count: int):
    """`count` rows from global row number `start`, newest first within a day, ~2.5 lines per order."""
    order = start * 2 // 5
    line = 0
    for n in range(start, start + count):
        if line >= 1 + (order % 4):
            order += 1
            line = 0
        line += 1
        day = 1 + (order // 2000) % 28
        month = 1 + (order // 56000) % 12
        secs = 86399 - (order * 37) % 86400
        name, net, tax, sku = ITEMS[(order + line) % len(ITEMS)]
        ev = "Refund" if order % 97 == 0 else "Payment"
        if ev == "Refund":
            net, tax = "-" + net, "-" + tax
        cust = f"CUST-{order % 5000}" if order % 3 == 0 else ""
        yield [f"2026-{month:02d}-{day:02d}", f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}",
               "Eastern Time (US & Canada)", "Bakery", name, "1.0" if line % 2 else "2.0", "Regular", sku, "",
               net, "$0.00", net, tax, f"T{order:09d}", f"P{order:09d}", "Front Till", "", "", ev,
               "Bridge Street Bakery", "", cust, "Ann Okafor" if cust else "", "", "ea", "1", "", "Physical Item",
               "$0.00", "Sam Reyes", "", "Point of Sale", "", "Visa", "4242"]


def generate(path: Path, rows: int, *, start: int = 0, header: bool = True) -> None:
    with open(path, "a" if not header else "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        if header:
            writer.writerow(HEADER)
        writer.writerows(_rows(start, rows))


def csv_reader_rate(path: Path) -> float:
    """Rows per CPU second of plain csv.reader iteration (CPU time: the machine is shared, wall time is noise)."""
    t0 = time.process_time()
    n = 0
    with open(path, newline="", encoding="utf-8") as f:
        for _ in csv.reader(f):
            n += 1
    return (n - 1) / (time.process_time() - t0)


def _settings(path: Path):
    from rulrr_desktop.core.config import Settings
    return Settings.from_dict({"source": {"kind": "csv", "path": str(path), "preset": "square-item-sales"},
                               "store": {"storeCurrency": "USD", "storeCountryCode": "US",
                                         "timezone": "America/New_York"}})


def full_pass(path: Path, cursor_out: Path) -> dict:
    """Runs in the child: maps the whole file, writes the final cursor, reports its rate and peak RSS."""
    from rulrr_desktop.core.pipeline import Pipeline
    t0, c0 = time.perf_counter(), time.process_time()
    pipeline = Pipeline(_settings(path))
    orders = quarantined = 0
    cursor: dict = {}
    for batch in pipeline.batches(None):
        orders += len(batch.orders)
        quarantined += len(batch.quarantined)
        cursor = batch.cursor
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    cursor_out.write_text(json.dumps(cursor))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "cpu_seconds": cpu, "orders": orders, "quarantined": quarantined,
            "peak_rss_mb": peak}


def reader_pass(path: Path) -> dict:
    """Runs in the child: the configured reader alone (no mapping), called as Pipeline calls it, for the
    breakdown."""
    from rulrr_desktop.core.mapping.presets import get_preset
    from rulrr_desktop.core.pipeline import open_configured_source
    preset = get_preset("square-item-sales")
    c0 = time.process_time()
    rows = 0
    source = open_configured_source(_settings(path))
    extra = {"pick": preset.pick} if getattr(source, "picks_columns", False) else {}   # as Pipeline asks
    for batch in source.batches(None, group_by=preset.group_by, **extra):
        rows += len(batch)          # the records as the source made them (a CSV batch builds RawRecords only on use)
    return {"cpu_seconds": time.process_time() - c0, "rows": rows}


def incremental_pass(path: Path, cursor: dict) -> tuple[float, int]:
    """A sync-like pass: a fresh Pipeline resuming from `cursor`."""
    from rulrr_desktop.core.pipeline import Pipeline
    t0 = time.process_time()
    pipeline = Pipeline(_settings(path))
    orders = 0
    for batch in pipeline.batches(cursor):
        orders += len(batch.orders)
    return time.process_time() - t0, orders


def _child(path: Path, cursor_out: Path, mode: str = "--child") -> dict:
    proc = subprocess.run([sys.executable, __file__, mode, str(path), str(cursor_out)], capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"the mapping run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="200,000 rows instead of 1,000,000")
    parser.add_argument("--rows", type=int, default=None, help="rows of the big file (default 1,000,000)")
    parser.add_argument("--rounds", type=int, default=7, help="incremental passes timed per file (median)")
    parser.add_argument("--child", nargs=2, metavar=("CSV", "CURSOR_OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--reader-child", nargs=2, metavar=("CSV", "UNUSED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(full_pass(Path(args.child[0]), Path(args.child[1]))))
        return
    if args.reader_child:
        print(json.dumps(reader_pass(Path(args.reader_child[0]))))
        return
    big_rows = args.rows or (200_000 if args.quick else 1_000_000)
    with tempfile.TemporaryDirectory(prefix="rulrr-bench-sources-") as tmp:
        tmp_path = Path(tmp)
        big, small = tmp_path / "big" / "items.csv", tmp_path / "small" / "items.csv"
        big.parent.mkdir()
        small.parent.mkdir()
        t0 = time.perf_counter()
        generate(big, big_rows)
        generate(small, 10_000)
        print(f"generated {big_rows:,} + 10,000 rows in {time.perf_counter() - t0:.1f}s "
              f"({big.stat().st_size / 1e6:.0f} MB)", flush=True)
        baseline = max(csv_reader_rate(big) for _ in range(2))
        print(f"csv.reader: {baseline:,.0f} rows/s", flush=True)
        runs = [_child(big, tmp_path / "big.cursor") for _ in range(2)]   # best of 2, as the baseline
        run = min(runs, key=lambda r: r["cpu_seconds"])
        run["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
        rate = big_rows / run["cpu_seconds"]
        print(f"pipeline: {rate:,.0f} rows per CPU s ({big_rows / run['seconds']:,.0f} rows/s wall), "
              f"{run['orders']:,} orders, peak RSS {run['peak_rss_mb']:.0f} MB", flush=True)
        reader = _child(big, tmp_path / "unused", "--reader-child")
        reader_rate = reader["rows"] / reader["cpu_seconds"]
        print(f"reader alone (no mapping): {reader_rate:,.0f} rows per CPU s", flush=True)
        small_run = _child(small, tmp_path / "small.cursor")
        del small_run
        # append 100 rows of new orders to each file, then time incremental passes from the saved cursors
        generate(big, 100, start=big_rows + 10, header=False)
        generate(small, 100, start=10_000 + 10, header=False)
        old = time.time() - 60
        for p in (big, small):   # as if written a minute ago: the reader does not wait for it to settle
            os.utime(p, (old, old))
        cursors = {p: json.loads((tmp_path / f"{p.parent.name}.cursor").read_text()) for p in (big, small)}
        times: dict[Path, list[float]] = {big: [], small: []}
        for _ in range(max(1, args.rounds)):
            for p in (small, big):
                seconds, orders = incremental_pass(p, cursors[p])
                if not 30 <= orders <= 60:
                    raise SystemExit(f"the incremental pass read {orders} orders, expected about 40")
                times[p].append(seconds)
        t_big, t_small = statistics.median(times[big]), statistics.median(times[small])
        print(f"incremental pass: {t_big * 1000:.1f} ms on {big_rows:,} rows, {t_small * 1000:.1f} ms on 10,000",
              flush=True)
    figures = {"rows_per_s": round(rate), "csv_reader_rows_per_s": round(baseline),
               "vs_csv_reader": round(rate / baseline, 3), "peak_rss_mb": round(run["peak_rss_mb"], 1),
               "incremental_ratio": round(t_big / t_small, 2), "rows": big_rows,
               "incremental_ms_big": round(t_big * 1000, 1), "incremental_ms_small": round(t_small * 1000, 1),
               "wall_rows_per_s": round(big_rows / run["seconds"]), "reader_rows_per_s": round(reader_rate),
               "reader_vs_csv_reader": round(reader_rate / baseline, 3),
               "mapping_us_per_row": round((run["cpu_seconds"] - reader["cpu_seconds"]) / big_rows * 1e6, 2)}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
