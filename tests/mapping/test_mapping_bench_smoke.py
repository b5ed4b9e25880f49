"""bench/sources.py still runs and prints its figures (CONTRACT.md names) as the last line, on a tiny file."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_sources_bench_prints_the_contract_figures():
    done = subprocess.run([sys.executable, "bench/sources.py", "--rows", "3000", "--rounds", "1"], cwd=ROOT, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    for name in ("rows_per_s", "csv_reader_rows_per_s", "vs_csv_reader", "peak_rss_mb", "incremental_ratio"):
        assert isinstance(figures[name], (int, float)) and figures[name] > 0, name
    assert figures["rows"] == 3000 and figures["peak_rss_mb"] < 150
